"""Disbursement rules, pure: which ledger accounts a payment's money moves between, and retry timing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from enum import StrEnum
from uuid import UUID

PAYMENT_NAMESPACE = uuid.UUID("6c1f7a52-8d0e-4f0a-9a55-7b3c2f1e9d41")


class Kind(StrEnum):
    FUNDING = "funding"
    AVAILABLE = "available"
    RESERVED = "reserved"  # credited by reservations
    CLEARED = "cleared"    # reserved money's contra account: settlements and releases draw on it (see migration 0003)
    PAID = "paid"


def account(campaign: str, kind: Kind) -> str:
    return f"{campaign}:{kind.value}"


@dataclass(frozen=True)
class Transfer:
    from_account: str
    to_account: str
    kind: str


def fund(campaign: str) -> Transfer:
    return Transfer(account(campaign, Kind.FUNDING), account(campaign, Kind.AVAILABLE), "fund")


def reserve(campaign: str) -> Transfer:
    return Transfer(account(campaign, Kind.AVAILABLE), account(campaign, Kind.RESERVED), "reserve")


def settle(campaign: str) -> Transfer:
    return Transfer(account(campaign, Kind.CLEARED), account(campaign, Kind.PAID), "settle")


def release(campaign: str) -> Transfer:
    return Transfer(account(campaign, Kind.CLEARED), account(campaign, Kind.AVAILABLE), "release")


def give_back(campaign: str) -> Transfer:
    """A paid line the payee's bank returned: the money is the budget's again."""
    return Transfer(account(campaign, Kind.PAID), account(campaign, Kind.AVAILABLE), "return")


def payment_id_for(case_id: UUID) -> UUID:
    """One payment per case, whatever happens upstream: the id is derived from the case."""
    return uuid.uuid5(PAYMENT_NAMESPACE, str(case_id))


def reissue_id_for(returned_payment_id: UUID) -> UUID:
    """A returned payment is paid again at most once: the new id is derived from the returned one."""
    return uuid.uuid5(PAYMENT_NAMESPACE, f"reissue:{returned_payment_id}")


def retry_delay(attempts: int) -> timedelta:
    """Back off from the bank when it is unavailable: 1 s, 2 s, 4 s ... capped at 5 minutes."""
    return timedelta(seconds=min(2 ** max(attempts - 1, 0), 300))
