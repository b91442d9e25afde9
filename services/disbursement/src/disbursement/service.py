"""Disbursement use cases, each inside the caller's transaction. Those driven by events or by the bank
return the events they emit, for the caller to stage a whole batch at once."""

from __future__ import annotations

from datetime import UTC, datetime

import asyncpg
import structlog
from pydantic import BaseModel

from contracts import Envelope, new_envelope
from contracts.disbursement import FailureStage, PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.eligibility import CaseApprovedV1
from contracts.types import Code, PositiveFen
from disbursement import domain
from disbursement import repository as repo
from disbursement.bank import BankOutcome
from siji_shared.auth import Principal
from siji_shared.pii import PiiVault, mask_account

PRODUCER = "disbursement"
log = structlog.get_logger(__name__)


class BudgetIn(BaseModel):
    campaign: Code
    programme: Code
    total_fen: PositiveFen


class BudgetExists(Exception):
    pass


async def create_budget(conn: asyncpg.Connection, who: Principal, command: BudgetIn) -> dict:
    created = await repo.create_budget(conn, campaign=command.campaign, programme=command.programme,
                                       region=who.region, total_fen=command.total_fen, created_by=who.user)
    if not created:
        raise BudgetExists(f"campaign {command.campaign} already has a budget")
    log.info("budget created", campaign=command.campaign, total_fen=command.total_fen, by=who.user)
    await _must_transfer(conn, domain.fund(command.campaign), campaign=command.campaign,
                         amount_fen=command.total_fen)
    return await repo.budget_view(conn, command.campaign)


async def instruct_payment(conn: asyncpg.Connection, envelope: Envelope[CaseApprovedV1], *,
                           vault: PiiVault) -> list[Envelope]:
    """An approved case becomes one payment: reserve its amount from the budget, or fail it for lack of one."""
    case = envelope.payload
    payment_id = domain.payment_id_for(case.case_id)
    masked = mask_account(case.payee_account)
    if not await repo.insert_payment(conn, payment_id=payment_id, case_id=case.case_id, campaign=case.campaign,
                                     amount_fen=case.amount_fen, payee_name_enc=vault.encrypt(case.payee_name),
                                     payee_account_enc=vault.encrypt(case.payee_account),
                                     payee_account_masked=masked):
        return []  # this case already has its payment
    fields = dict(payment_id=payment_id, case_id=case.case_id, campaign=case.campaign, amount_fen=case.amount_fen)
    if await repo.transfer(conn, domain.reserve(case.campaign), campaign=case.campaign, amount_fen=case.amount_fen,
                           payment_id=payment_id):
        event = PaymentInstructedV1(**fields, payee_account_masked=masked)
    else:
        reason = f"budget of campaign {case.campaign} cannot cover {case.amount_fen} fen"
        await repo.fail_payment(conn, payment_id, stage=FailureStage.BUDGET, reason=reason)
        event = PaymentFailedV1(**fields, stage=FailureStage.BUDGET, reason=reason, failed_at=datetime.now(UTC))
    log.info("payment instructed" if isinstance(event, PaymentInstructedV1) else "payment failed: budget",
             payment_id=str(payment_id), case_id=str(case.case_id), amount_fen=case.amount_fen)
    return [new_envelope(event, producer=PRODUCER, causation=envelope)]


async def record_bank_outcome(conn: asyncpg.Connection, outcome: BankOutcome) -> list[Envelope]:
    """Settle or fail a payment once, whatever the bank says how many times."""
    if outcome.settled:
        row = await repo.settle_payment(conn, outcome.payment_id, bank_reference=outcome.bank_reference,
                                        settled_at=outcome.at)
        if row is None:
            return []
        await _must_transfer(conn, domain.settle(row["campaign"]), campaign=row["campaign"],
                             amount_fen=row["amount_fen"], payment_id=row["payment_id"])
        event = PaymentSettledV1(**_payment_fields(row), bank_reference=outcome.bank_reference, settled_at=outcome.at)
    else:
        row = await repo.fail_payment(conn, outcome.payment_id, stage=FailureStage.BANK, reason=outcome.reason)
        if row is None:
            return []
        await _must_transfer(conn, domain.release(row["campaign"]), campaign=row["campaign"],
                             amount_fen=row["amount_fen"], payment_id=row["payment_id"])
        event = PaymentFailedV1(**_payment_fields(row), stage=FailureStage.BANK, reason=outcome.reason,
                                failed_at=outcome.at)
    log.info("payment settled" if outcome.settled else "payment failed: bank", payment_id=str(outcome.payment_id),
             case_id=str(row["case_id"]), amount_fen=event.amount_fen)
    return [new_envelope(event, producer=PRODUCER)]


class LedgerInconsistent(Exception):
    """A reserved amount is missing: stop and alert rather than move money on a broken book."""


async def _must_transfer(conn: asyncpg.Connection, move: domain.Transfer, **amounts) -> None:
    if not await repo.transfer(conn, move, **amounts):
        raise LedgerInconsistent(f"{move.from_account} cannot cover {amounts['amount_fen']} fen for {move.kind}")


def _payment_fields(row: asyncpg.Record) -> dict:
    return dict(payment_id=row["payment_id"], case_id=row["case_id"], campaign=row["campaign"],
                amount_fen=row["amount_fen"])
