"""Disbursement use cases: each takes a batch, runs inside the caller's transaction with one statement
per step, and returns the events it emits for the caller (consumer, dispatcher, HTTP route) to stage."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg
import structlog
from pydantic import BaseModel, Field

from contracts import Envelope, new_envelope
from contracts.disbursement import (
    BudgetChangedV1,
    FailureStage,
    PaymentEvent,
    PaymentFailedV1,
    PaymentInstructedV1,
    PaymentReturnedV1,
    PaymentSettledV1,
    PaymentWaitingV1,
)
from contracts.eligibility import CaseApprovedV1, CaseApprovedV2, CasePayeeCorrectedV1, CasePayeeCorrectedV2
from contracts.loans import SubsidyDueV1, SubsidyDueV2
from contracts.reconciliation import ReturnFoundV1
from contracts.types import Code, PositiveFen
from disbursement import domain
from disbursement import repository as repo
from disbursement.bank import BankOutcome
from siji_shared.auth import Principal
from siji_shared.errors import RuleViolation
from siji_shared.pii import PiiVault, mask_account
from siji_shared.sealed import opened
from siji_shared.usecase import Done

PRODUCER = "disbursement"
log = structlog.get_logger(__name__)


MAX_BUDGET_FEN = 10**14  # CNY 1 trillion: far above any union's programme, far below the ledger's bigint


class BudgetIn(BaseModel):
    campaign: Code
    programme: Code
    total_fen: PositiveFen = Field(le=MAX_BUDGET_FEN)


class BudgetExists(Exception):
    pass


async def create_budget(conn: asyncpg.Connection, who: Principal, command: BudgetIn) -> Done:
    created = await repo.create_budget(conn, campaign=command.campaign, programme=command.programme,
                                       region=who.region, total_fen=command.total_fen, created_by=who.user)
    if not created:
        raise BudgetExists(f"campaign {command.campaign} already has a budget")
    log.info("budget created", campaign=command.campaign, total_fen=command.total_fen, by=who.user)
    await _must_transfer(conn, [(domain.fund(command.campaign), repo.Movement(command.campaign, command.total_fen))])
    view = await repo.budget_of(conn, command.campaign)
    return Done(view, [new_envelope(BudgetChangedV1(
        campaign=command.campaign, change="created", amount_fen=command.total_fen, total_fen=command.total_fen,
        available_fen=view["available_fen"], changed_by=who.user), producer=PRODUCER)])


Entitlement = CaseApprovedV1 | CaseApprovedV2 | SubsidyDueV1 | SubsidyDueV2


async def instruct_payments(conn: asyncpg.Connection, envelopes: list[Envelope[Entitlement]], *,
                            vault: PiiVault) -> list[Envelope]:
    """Approved cases (and loan subsidies due: a period is the entitlement, the fund the campaign's
    budget) become payments, one per case whatever is redelivered, in approval order: each
    reserves its amount from its campaign's budget, or, when the budget cannot cover it (or others wait
    before it), waits in the campaign's queue for a top-up. A campaign without a budget breaks a rule."""
    first_of_case: dict[UUID, Envelope[Entitlement]] = {}
    for e in envelopes:
        first_of_case.setdefault(e.payload.case_id, e)
    cases = list(first_of_case.values())
    campaigns = sorted({e.payload.campaign for e in cases})
    without_budget = set(campaigns) - await repo.budgets_of(conn, campaigns)
    if without_budget:
        raise RuleViolation(f"campaign {', '.join(sorted(without_budget))} has no budget; create it, then re-drive "
                            "this event")
    payments = [repo.NewPayment(payment_id=domain.payment_id_for(e.payload.case_id), case_id=e.payload.case_id,
                                campaign=e.payload.campaign, amount_fen=e.payload.amount_fen,
                                **_payee(vault, e.payload)) for e in cases]
    inserted = await repo.insert_payments(conn, payments)
    new = [(p, e) for p, e in zip(payments, cases, strict=True) if p.payment_id in inserted]
    available = await repo.lock_available(conn, campaigns)
    queued = await repo.queue_lengths(conn, campaigns)
    events: list[Envelope] = []
    reserve: list[repo.NewPayment] = []
    waiting: list[UUID] = []
    for p, cause in new:
        event: PaymentEvent
        if queued.get(p.campaign) or p.amount_fen > available[p.campaign]:
            queued[p.campaign] = position = queued.get(p.campaign, 0) + 1
            waiting.append(p.payment_id)
            event = PaymentWaitingV1(payment_id=p.payment_id, case_id=p.case_id, campaign=p.campaign,
                                     amount_fen=p.amount_fen, position=position, reason=(
                                         f"budget of campaign {p.campaign} cannot cover {p.amount_fen} fen now "
                                         f"({available[p.campaign]} fen left); paid in approval order after a top-up"))
        else:
            available[p.campaign] -= p.amount_fen
            reserve.append(p)
            event = PaymentInstructedV1(payment_id=p.payment_id, case_id=p.case_id, campaign=p.campaign,
                                        amount_fen=p.amount_fen, payee_account_masked=p.payee_account_masked)
        events.append(new_envelope(event, producer=PRODUCER, causation=cause))
    await _must_transfer(conn, [(domain.reserve(p.campaign), repo.Movement(p.campaign, p.amount_fen, p.payment_id))
                                for p in reserve])
    await repo.mark_waiting(conn, waiting)
    log.info("payments instructed", payments=len(reserve), waiting_for_budget=len(waiting),
             already_there=len(cases) - len(new))
    return events


async def return_payments(conn: asyncpg.Connection, envelopes: list[Envelope[ReturnFoundV1]]) -> list[Envelope]:
    """Reconciliation found paid lines returned by the payee's bank: each is reversed once (paid back to
    available) and marked returned; the case then needs a corrected account."""
    returned = {e.payload.payment_id: e.payload.reason for e in envelopes}
    rows = await repo.return_payments(conn, list(returned.items()))
    await _must_transfer(conn, [(domain.give_back(r["campaign"]), _movement(r)) for r in rows])
    if rows:
        log.info("payments returned", payments=len(rows))
    return [new_envelope(PaymentReturnedV1(**_payment_fields(r), reason=returned[r["payment_id"]]),
                         producer=PRODUCER) for r in rows]


async def reissue_payments(conn: asyncpg.Connection,
                           envelopes: list[Envelope[CasePayeeCorrectedV1 | CasePayeeCorrectedV2]], *,
                           vault: PiiVault) -> list[Envelope]:
    """A corrected account after a return: the entitlement is paid again as a new payment linked to the
    returned one, at most once, and only for a payment that was returned (never one in transit)."""
    corrections = {e.payload.returned_payment_id: e for e in envelopes}
    again = []
    for r in await repo.returned_payments_of(conn, list(corrections)):
        payee = corrections[r["payment_id"]].payload
        again.append((repo.NewPayment(
            payment_id=domain.reissue_id_for(r["payment_id"]), case_id=r["case_id"], campaign=r["campaign"],
            amount_fen=r["amount_fen"], **_payee(vault, payee)), r["payment_id"]))
    inserted = await repo.insert_reissues(conn, again) if again else set()
    paid = [(p, first) for p, first in again if p.payment_id in inserted]
    await _must_transfer(conn, [(domain.reserve(p.campaign), repo.Movement(p.campaign, p.amount_fen, p.payment_id))
                                for p, _ in paid])
    log.info("returned payments issued again", payments=len(paid), ignored=len(corrections) - len(paid))
    return [new_envelope(PaymentInstructedV1(
        payment_id=p.payment_id, case_id=p.case_id, campaign=p.campaign, amount_fen=p.amount_fen,
        payee_account_masked=p.payee_account_masked, reissue_of=first), producer=PRODUCER,
        causation=corrections[first]) for p, first in paid]


class TopUpIn(BaseModel):
    amount_fen: PositiveFen = Field(le=MAX_BUDGET_FEN)


class NoBudget(LookupError):
    pass


async def top_up_budget(conn: asyncpg.Connection, who: Principal, campaign: str, command: TopUpIn) -> Done:
    """Finance adds money to a campaign's budget; the approvals waiting for it are instructed, in
    approval order, as far as it goes."""
    view = await repo.budget_view(conn, campaign)
    if view is None:
        raise NoBudget(f"campaign {campaign} has no budget")
    who.ensure_region(view["region"])
    total = await repo.add_to_budget(conn, campaign, command.amount_fen)
    await _must_transfer(conn, [(domain.fund(campaign), repo.Movement(campaign, command.amount_fen))])
    released = await release_queue(conn, campaign)
    view = await repo.budget_of(conn, campaign)
    log.info("budget topped up", campaign=campaign, amount_fen=command.amount_fen, released=len(released), by=who.user)
    return Done({**view, "released": len(released)}, [new_envelope(BudgetChangedV1(
        campaign=campaign, change="topped_up", amount_fen=command.amount_fen, total_fen=total,
        available_fen=view["available_fen"], changed_by=who.user), producer=PRODUCER), *released])


async def release_queue(conn: asyncpg.Connection, campaign: str) -> list[Envelope]:
    """Instruct the longest run of the queue, from its head, that the available money covers."""
    queue = await repo.waiting_payments(conn, campaign)
    left = (await repo.lock_available(conn, [campaign]))[campaign]
    paid = []
    for row in queue:
        if row["amount_fen"] > left:
            break
        left -= row["amount_fen"]
        paid.append(row)
    await _must_transfer(conn, [(domain.reserve(campaign), repo.Movement(campaign, r["amount_fen"], r["payment_id"]))
                                for r in paid])
    await repo.mark_instructed(conn, [r["payment_id"] for r in paid])
    return [new_envelope(PaymentInstructedV1(
        payment_id=r["payment_id"], case_id=r["case_id"], campaign=campaign, amount_fen=r["amount_fen"],
        payee_account_masked=r["payee_account_masked"]), producer=PRODUCER) for r in paid]


async def record_bank_outcomes(conn: asyncpg.Connection, outcomes: list[BankOutcome], *,
                               batch_id: UUID | None) -> list[Envelope]:
    """Settle or fail each payment once, whatever the bank says how many times: settled money moves
    from reserved to paid, refused money back to available. Each payment records the batch that
    carried its answer. The transfers come last: giving money back locks the budget's available
    account, which every reservation of the consumer waits for, until the commit."""
    at = max((o.at for o in outcomes), default=datetime.now(UTC))
    settled = await repo.settle_payments(conn, [(o.payment_id, o.bank_reference) for o in outcomes if o.settled],
                                         settled_at=at, batch_id=batch_id)
    failed = await repo.fail_payments(conn, [(o.payment_id, o.reason) for o in outcomes if not o.settled],
                                      stage=FailureStage.BANK, batch_id=batch_id)
    by_id = {o.payment_id: o for o in outcomes}
    events: list[Envelope] = []
    for r in settled:
        answer = by_id[r["payment_id"]]
        events.append(new_envelope(PaymentSettledV1(**_payment_fields(r), bank_reference=answer.bank_reference,
                                                    settled_at=answer.at), producer=PRODUCER))
    for r in failed:
        answer = by_id[r["payment_id"]]
        events.append(new_envelope(PaymentFailedV1(**_payment_fields(r), stage=FailureStage.BANK,
                                                   reason=answer.reason, failed_at=answer.at), producer=PRODUCER))
    await _must_transfer(conn, [(domain.settle(r["campaign"]), _movement(r)) for r in settled])
    await _must_transfer(conn, [(domain.release(r["campaign"]), _movement(r)) for r in failed])
    log.info("bank outcomes recorded", settled=len(settled), failed=len(failed),
             repeated=len(outcomes) - len(settled) - len(failed))
    return events


class LedgerInconsistent(Exception):
    """A reserved amount is missing: stop and alert rather than move money on a broken book."""


async def _must_transfer(conn: asyncpg.Connection, moves: list[tuple[domain.Transfer, repo.Movement]]) -> None:
    moved = await repo.transfers(conn, moves)
    short = [(t, m) for (t, m), ok in zip(moves, moved, strict=True) if not ok]
    if short:
        t, m = short[0]
        raise LedgerInconsistent(f"{t.from_account} cannot cover {m.amount_fen} fen for {t.kind} "
                                 f"({len(short)} transfer(s) short)")


def _movement(row: asyncpg.Record) -> repo.Movement:
    return repo.Movement(row["campaign"], row["amount_fen"], row["payment_id"])


def _payment_fields(row: asyncpg.Record) -> dict[str, Any]:
    return dict(payment_id=row["payment_id"], case_id=row["case_id"], campaign=row["campaign"],
                amount_fen=row["amount_fen"])


def _payee(vault: PiiVault, event: object) -> dict[str, Any]:
    """The payee an event names (sealed for disbursement; in clear in events from before sealing), encrypted
    for storage, with the account's last digits for display."""
    name, account = (opened(event, vault.events, recipient="disbursement", field=f) for f in ("payee_name",
                                                                                              "payee_account"))
    return {"payee_name_enc": vault.encrypt(name), "payee_account_enc": vault.encrypt(account),
            "payee_account_masked": mask_account(account)}
