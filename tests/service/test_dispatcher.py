"""The dispatcher against a real schema and a fake bank: one pain.001 per batch, each line's answer
recorded once; a rejected line fails that payment alone and releases its reservation; an unavailable
bank gets the same message again; a batch refused whole fails every payment in it."""

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime

from uuid_utils.compat import uuid7

from disbursement import repository as repo
from disbursement import service
from disbursement.bank import BankUnavailable
from disbursement.dispatcher import Dispatcher
from disbursement.service import BudgetIn
from siji_shared import outbox
from siji_shared.auth import Role
from siji_shared.iso20022 import LineStatus, PaymentBatch, StatusReport
from support.events import case_approved, envelope_of
from support.service import principal


@dataclass
class FakeBank:
    """Answers each batch by rule: lines in `refuse` rejected, lines in `leave_out` left out of the report
    (once), every batch refused whole, or no answer."""

    refuse: set[str] = field(default_factory=set)
    leave_out: set[str] = field(default_factory=set)
    unavailable: int = 0
    refuse_whole: bool = False
    received: list[PaymentBatch] = field(default_factory=list)

    async def send_batch(self, batch: PaymentBatch) -> StatusReport:
        self.received.append(batch)
        if self.unavailable:
            self.unavailable -= 1
            raise BankUnavailable("bank answered 503")
        now = datetime.now(UTC)
        if self.refuse_whole:
            return StatusReport(message_id="R", original_message_id=batch.message_id, group_status="RJCT",
                                created_at=now, group_reason_code="AM10", group_reason="control sum")
        lines = [LineStatus(t.end_to_end_id, t.end_to_end_id not in self.refuse,
                            *(("AC04", "payee account closed") if t.end_to_end_id in self.refuse else ("", "")),
                            bank_reference="" if t.end_to_end_id in self.refuse else f"BK-{t.end_to_end_id[:8]}")
                 for t in batch.transfers if t.end_to_end_id not in self.leave_out]
        self.leave_out = set()
        return StatusReport(message_id="R", original_message_id=batch.message_id, group_status="PART",
                            created_at=now, lines=lines)

    async def aclose(self) -> None:
        pass


async def instructed(disb, count: int, amount_fen: int = 10_000) -> list:
    async with disb.pool.acquire() as conn, conn.transaction():
        await service.create_budget(conn, principal("fin", Role.FINANCE),
                                    BudgetIn(campaign="c", programme="winter-warmth", total_fen=10**8))
        events = await service.instruct_payments(conn, [envelope_of(case_approved("c", amount_fen=amount_fen))
                                                        for _ in range(count)], vault=disb.vault)
        await outbox.stage(conn, events)
    return [e.payload.payment_id for e in events]


async def statuses(disb) -> dict:
    async with disb.pool.acquire() as conn:
        return {r["payment_id"]: (r["status"], r["failure_reason"]) for r in await conn.fetch(
            "SELECT payment_id, status, failure_reason FROM payments")}


async def test_batches_of_the_configured_size_and_a_rejected_line_fails_alone(disb):
    payments = await instructed(disb, 5)
    disb.bank = bank = FakeBank(refuse={payments[1].hex})
    disb.settings.dispatch_batch_size = 3
    dispatcher = Dispatcher(disb)
    assert await dispatcher.dispatch_due(), "two batches at the bank at once"
    assert not await dispatcher.dispatch_due(), "nothing left"
    assert sorted(len(b.transfers) for b in bank.received) == [2, 3]
    assert sum(b.control_sum_fen for b in bank.received) == 50_000
    found = await statuses(disb)
    assert found[payments[1]] == ("failed", "AC04: payee account closed")
    assert [found[p][0] for p in payments if p != payments[1]] == ["settled"] * 4
    async with disb.pool.acquire() as conn:
        paid, reserved = await conn.fetchrow("SELECT sum(balance_fen) FILTER (WHERE kind = 'paid'), "
                                             "sum(balance_fen) FILTER (WHERE kind IN ('reserved', 'cleared')) FROM accounts")
    assert (paid, reserved) == (40_000, 0), "the refused line's reservation went back"


async def test_an_unavailable_bank_gets_the_same_message_again(disb):
    await instructed(disb, 2)
    disb.bank = bank = FakeBank(unavailable=1)
    dispatcher = Dispatcher(disb)
    assert not await dispatcher.dispatch_due()
    async with disb.pool.acquire() as conn:
        await conn.execute("UPDATE payment_batches SET next_attempt_at = now()")  # the back-off has passed
    assert await dispatcher.dispatch_due()
    assert [b.message_id for b in bank.received] == [bank.received[0].message_id] * 2
    assert bank.received[0].transfers == bank.received[1].transfers
    assert {s for s, _ in (await statuses(disb)).values()} == {"settled"}


async def test_a_line_left_out_of_the_report_goes_in_a_later_batch_and_each_payment_names_its_batch(disb):
    payments = await instructed(disb, 3)
    disb.bank = bank = FakeBank(unavailable=1, leave_out={payments[2].hex})
    dispatcher = Dispatcher(disb)
    assert not await dispatcher.dispatch_due(), "no answer: the batch stays open"
    async with disb.pool.acquire() as conn:
        first = await conn.fetchval("SELECT batch_id FROM payment_batches")
        assert {p["batch_id"] for p in await repo.payments_of_campaign(conn, "c")} == {first}, "in the open batch"
        await conn.execute("UPDATE payment_batches SET next_attempt_at = now()")
    assert await dispatcher.dispatch_due(), "the same message again, answered but for one line"
    assert await statuses(disb) == {**{p: ("settled", None) for p in payments[:2]}, payments[2]: ("instructed", None)}
    assert await dispatcher.dispatch_due(), "the line left out, in a batch of its own"
    assert [[t.end_to_end_id for t in b.transfers] for b in bank.received[1:]] == [
        sorted(p.hex for p in payments), [payments[2].hex]]
    assert bank.received[1].message_id != bank.received[2].message_id
    async with disb.pool.acquire() as conn:
        second = await conn.fetchval("SELECT batch_id FROM payment_batches WHERE batch_id <> $1", first)
        found = {p["payment_id"]: (p["status"], p["batch_id"]) for p in await repo.payments_of_campaign(conn, "c")}
    assert found == {payments[0]: ("settled", first), payments[1]: ("settled", first), payments[2]: ("settled", second)}


async def test_batches_made_at_once_share_no_payment(disb):
    """Two dispatchers at once (a leader that lost its lock without noticing): the second batch is made
    after the first commits, from the payments left."""
    payments = await instructed(disb, 4)

    async def make(conn, name: str):
        async with conn.transaction():
            return await repo.make_batch(conn, batch_id=uuid7(), message_id=f"SIJI{name}", limit=3)

    async with disb.pool.acquire() as one, disb.pool.acquire() as other:
        async with one.transaction():
            first = await repo.make_batch(one, batch_id=uuid7(), message_id="SIJIONE", limit=3)
            second = asyncio.create_task(make(other, "TWO"))
            await asyncio.sleep(0.3)
            assert not second.done(), "the second waits for the first to commit"
        second_batch = await second
    assert len(first["payment_ids"]) == 3 and second_batch["payment_ids"] == [
        p for p in payments if p not in first["payment_ids"]]


async def test_a_batch_refused_whole_fails_every_payment_in_it(disb):
    payments = await instructed(disb, 3)
    disb.bank = FakeBank(refuse_whole=True)
    assert await Dispatcher(disb).dispatch_due()
    found = await statuses(disb)
    assert {found[p] for p in payments} == {("failed", "the bank refused the whole batch: AM10 control sum")}


async def test_a_bank_that_never_answers_fails_the_batch_after_its_attempts_explained(disb):
    payments = await instructed(disb, 2)
    disb.bank = bank = FakeBank(unavailable=100)
    disb.settings.bank_max_attempts = 3
    dispatcher = Dispatcher(disb)
    for _ in range(2):
        assert not await dispatcher.dispatch_due(), "retried later, with backoff"
        async with disb.pool.acquire() as conn:
            await conn.execute("UPDATE payment_batches SET next_attempt_at = now()")
    assert await dispatcher.dispatch_due(), "the third attempt is the last"
    assert len(bank.received) == 3 and len({b.message_id for b in bank.received}) == 1
    found = await statuses(disb)
    assert all(found[p][0] == "failed" and "no answer from the bank after 3 attempts" in found[p][1] for p in payments)
    async with disb.pool.acquire() as conn:
        reserved = await conn.fetchval("SELECT sum(balance_fen) FROM accounts WHERE kind IN ('reserved', 'cleared')")
    assert reserved == 0, "the reservations went back"
