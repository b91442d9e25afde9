"""Disbursement's use cases on a real schema: a batch of approvals reserves what the budget covers,
and the bank's answers settle or release each payment once."""

import uuid
from datetime import UTC, datetime

import pytest

from contracts.disbursement import (
    BudgetChangedV1,
    PaymentFailedV1,
    PaymentInstructedV1,
    PaymentSettledV1,
    PaymentWaitingV1,
)
from disbursement import domain, service
from disbursement import repository as repo
from disbursement.bank import BankOutcome
from disbursement.service import BudgetIn
from siji_shared.auth import Role
from siji_shared.errors import RuleViolation
from support.events import case_approved, envelope_of
from support.service import principal

FINANCE = principal("fin-1", Role.FINANCE)


async def budget(disb, campaign: str, total_fen: int) -> None:
    async with disb.pool.acquire() as conn, conn.transaction():
        await service.create_budget(conn, FINANCE, BudgetIn(campaign=campaign, programme="winter-warmth",
                                                            total_fen=total_fen))


async def instruct(disb, envelopes):
    async with disb.pool.acquire() as conn, conn.transaction():
        return await service.instruct_payments(conn, envelopes, vault=disb.vault)


async def balances(disb, campaign: str) -> dict[str, int]:
    async with disb.pool.acquire() as conn:
        return {r["kind"]: r["balance_fen"] for r in await conn.fetch(
            "SELECT CASE kind WHEN 'cleared' THEN 'reserved' ELSE kind END AS kind, "  # cleared: reserved's contra
            "sum(balance_fen)::bigint AS balance_fen FROM accounts WHERE campaign = $1 GROUP BY 1", campaign)}


async def entries(disb) -> dict[uuid.UUID, list[str]]:
    async with disb.pool.acquire() as conn:
        rows = await conn.fetch("SELECT payment_id, kind FROM ledger_entries WHERE payment_id IS NOT NULL "
                                "ORDER BY entry_id")
    found: dict[uuid.UUID, list[str]] = {}
    for r in rows:
        found.setdefault(r["payment_id"], []).append(r["kind"])
    return found


async def test_what_the_budget_cannot_cover_waits_in_approval_order_and_a_top_up_pays_it(disb):
    await budget(disb, "c", 200_000)
    approvals = [envelope_of(case_approved("c", amount_fen=a)) for a in (80_000, 80_000, 80_000, 30_000)]
    again = envelope_of(approvals[0].payload)  # the same approval redelivered under another event id

    events = await instruct(disb, [*approvals, again])

    assert [type(e.payload) for e in events] == [PaymentInstructedV1, PaymentInstructedV1, PaymentWaitingV1,
                                                 PaymentWaitingV1], "in order: the small last one does not jump"
    assert "cannot cover 80000 fen" in events[2].payload.reason and [e.payload.position for e in events[2:]] == [1, 2]
    assert [e.causation_id for e in events] == [a.event_id for a in approvals]
    assert await balances(disb, "c") == {"funding": -200_000, "available": 40_000, "reserved": 160_000, "paid": 0}
    assert await instruct(disb, approvals) == [], "redelivered: nothing twice"
    later = await instruct(disb, [envelope_of(case_approved("c", amount_fen=10_000))])
    assert [type(e.payload) for e in later] == [PaymentWaitingV1], "behind the queue, though the money is there"

    async with disb.pool.acquire() as conn, conn.transaction():
        topped = await service.top_up_budget(conn, FINANCE, "c", service.TopUpIn(amount_fen=60_000))
    assert isinstance(topped.events[0].payload, BudgetChangedV1) and topped.body["released"] == 1
    assert [(type(e.payload), e.payload.amount_fen) for e in topped.events[1:]] == [(PaymentInstructedV1, 80_000)]
    async with disb.pool.acquire() as conn:
        waiting = await repo.waiting_of_campaign(conn, "c")
    assert [w["amount_fen"] for w in waiting] == [30_000, 10_000], "the head paid; the 30,000 behind it does not fit"
    assert await balances(disb, "c") == {"funding": -260_000, "available": 20_000, "reserved": 240_000, "paid": 0}


async def test_approvals_for_a_campaign_without_a_budget_break_a_rule(disb):
    with pytest.raises(RuleViolation, match="campaign nobudget has no budget"):
        await instruct(disb, [envelope_of(case_approved("nobudget"))])


async def test_the_banks_answers_settle_or_release_each_payment_once(disb):
    await budget(disb, "c", 100_000)
    instructed = await instruct(disb, [envelope_of(case_approved("c", amount_fen=30_000)) for _ in range(3)])
    paid, refused, waiting = (e.payload.payment_id for e in instructed)
    at = datetime.now(UTC)
    answers = [BankOutcome(paid, settled=True, at=at, bank_reference="BK1"),
               BankOutcome(refused, settled=False, at=at, reason="AC04: closed account")]

    for _ in range(2):
        async with disb.pool.acquire() as conn, conn.transaction():
            events = await service.record_bank_outcomes(conn, answers, batch_id=None)
        if _ == 0:
            assert [type(e.payload) for e in events] == [PaymentSettledV1, PaymentFailedV1]
            assert events[1].payload.reason == "AC04: closed account"
        else:
            assert events == [], "the same answers again change nothing"

    assert await balances(disb, "c") == {"funding": -100_000, "available": 40_000, "reserved": 30_000,
                                         "paid": 30_000}
    assert await entries(disb) == {paid: ["reserve", "settle"], refused: ["reserve", "release"],
                                   waiting: ["reserve"]}
    async with disb.pool.acquire() as conn:
        payments = {p["payment_id"]: p for p in await repo.payments_of_campaign(conn, "c")}
    assert payments[refused]["failure_stage"] == "bank" and payments[waiting]["status"] == "instructed"
    assert domain.payment_id_for(instructed[0].payload.case_id) == paid
