"""Reconciliation's classifications on a real schema: payments as disbursement reports them, the
bank's camt.053 statements as the bank books them, and every mismatch named, once."""

import uuid
from datetime import UTC, date, datetime

import pytest

from contracts import new_envelope
from contracts.disbursement import FailureStage, PaymentFailedV1, PaymentInstructedV1, PaymentSettledV1
from contracts.reconciliation import DayClosedV1, ItemClassifiedV1
from reconciliation import page, service
from siji_shared.iso20022 import Lump, Notification, Statement, StatementEntry, build_camt053, build_camt054

DAY_1, DAY_2, DAY_3, DAY_4 = date(2026, 9, 29), date(2026, 9, 30), date(2026, 10, 8), date(2026, 10, 9)


def settled(amount: int = 50_000):
    payment_id, case_id = uuid.uuid4(), uuid.uuid4()
    fields = dict(payment_id=payment_id, case_id=case_id, campaign="ww", amount_fen=amount)
    return [new_envelope(PaymentInstructedV1(**fields, payee_account_masked="****3445"), producer="disbursement"),
            new_envelope(PaymentSettledV1(**fields, bank_reference="ref", settled_at=datetime.now(UTC)),
                         producer="disbursement")]


def e2e(events) -> str:
    return events[0].payload.payment_id.hex


def debit(events, day, *, amount=None, ref=None) -> StatementEntry:
    return StatementEntry(e2e(events), amount or events[0].payload.amount_fen, False, ref or f"BK{e2e(events)[:8]}",
                          day)


def statement(day: date, sequence: int, opening: int, entries: list[StatementEntry], *, closing=None) -> bytes:
    movement = sum(e.amount_fen if e.credit else -e.amount_fen for e in entries)
    return build_camt053(Statement(f"M{sequence}", datetime.now(UTC), f"S{sequence}", sequence, "10551101040012345",
                                   day, opening, opening + movement if closing is None else closing, entries))


async def report_of(recon, *steps, grace: int = 1):
    """Payment events and statements, in the order given (consecutive events as one consumer batch)."""
    events, batch = [], []
    async with recon.pool.acquire() as conn, conn.transaction():
        for step in [*steps, None]:
            if not isinstance(step, bytes | None):
                batch.append(step)
                continue
            if batch:
                await service.record_payments(conn, batch)
                batch = []
            if step is not None:
                events += (await service.take_statement(conn, step, source="upload", grace=grace)).events
        events += (await service.classify(conn, grace=grace)).events
    return events


async def day(recon, which: date) -> dict:
    async with recon.pool.acquire() as conn:
        return await service.report(conn, which)


async def test_every_payment_and_entry_is_classified_and_each_mismatch_named(recon):
    fine, short, twice, returned, waiting = (settled() for _ in range(5))
    failed_id = uuid.uuid4()
    failed = [new_envelope(PaymentFailedV1(payment_id=failed_id, case_id=uuid.uuid4(), campaign="ww", amount_fen=9_000,
                                           stage=FailureStage.BANK, reason="AC04"), producer="disbursement")]
    stranger = StatementEntry(uuid.uuid4().hex, 7_000, False, "BKSTRANGER", DAY_1)
    booked_failed = StatementEntry(failed_id.hex, 9_000, False, "BKFAILED", DAY_1)
    first = statement(DAY_1, 1, 10_000_000, [debit(fine, DAY_1), debit(short, DAY_1, amount=49_000),
                                             debit(twice, DAY_1), debit(twice, DAY_1, ref="BKTWICE2"),
                                             debit(returned, DAY_1), stranger, booked_failed])
    events = await report_of(recon, *fine, *short, *twice, *returned, *waiting, *failed, first)

    report = await day(recon, DAY_1)
    classes = {k: v["items"] for k, v in report["classes"].items()}
    assert classes == {"MATCHED": 7, "AMOUNT_MISMATCH": 2, "DUPLICATE_AT_BANK": 1, "UNKNOWN_BANK_ENTRY": 2,
                       "IN_TRANSIT": 1}, "3 payments, their 3 entries and the statement match; the unbooked one waits"
    assert report["unexplained"] == report["open"] == 4 and report["closed"] is None
    assert [r["end_to_end_id"] for r in report["recovery_items"]] == [e2e(twice)], "a recovery item, not a mismatch"
    assert all(i["what_to_do"] for i in report["open_items"])
    assert {e.payload.classification for e in events if isinstance(e.payload, ItemClassifiedV1)} >= {
        "MATCHED", "AMOUNT_MISMATCH", "DUPLICATE_AT_BANK", "UNKNOWN_BANK_ENTRY", "IN_TRANSIT"}

    again = await report_of(recon, first, *fine)
    assert again == [], "the same statement and the same events again change nothing"

    opening = 10_000_000 - sum(e.amount_fen for e in [debit(fine, DAY_1), debit(short, DAY_1, amount=49_000),
                                                      debit(twice, DAY_1), debit(twice, DAY_1), debit(returned, DAY_1),
                                                      stranger, booked_failed])
    back = StatementEntry(e2e(returned), 50_000, True, "BKRET", DAY_2, return_reason_code="MD07")
    bogus_return = StatementEntry(uuid.uuid4().hex, 3_000, True, "BKBOGUS", DAY_2)
    changes = await report_of(recon, statement(DAY_2, 2, opening, [back, bogus_return]))
    moved = {(e.payload.item_id, e.payload.previous, e.payload.classification) for e in changes
             if isinstance(e.payload, ItemClassifiedV1)}
    assert (f"payment:{returned[0].payload.payment_id}", "MATCHED", "RETURNED") in moved
    assert (f"payment:{waiting[0].payload.payment_id}", "IN_TRANSIT", "MISSING_AT_BANK") in moved, "past its grace"
    second = await day(recon, DAY_2)
    assert {"RETURNED", "INVALID_REVERSAL", "MISSING_AT_BANK"} <= set(second["classes"])


async def test_statements_that_do_not_add_up_or_skip_a_day_are_named(recon):
    await report_of(recon, statement(DAY_1, 1, 1_000, []))
    await report_of(recon, statement(DAY_2, 2, 1_000, [], closing=900))
    await report_of(recon, statement(DAY_4, 4, 900, []))
    assert "STATEMENT_BALANCE_ERROR" in (await day(recon, DAY_2))["classes"]
    assert "STATEMENT_GAP" in (await day(recon, DAY_4))["classes"]
    assert (await day(recon, DAY_1))["closed"]["by"] == "reconciliation", "a clean day closes by itself"


async def test_a_statement_before_the_payment_events_is_held_and_matched_when_they_come(recon):
    early = settled()
    first = await report_of(recon, statement(DAY_1, 1, 1_000_000, [debit(early, DAY_1)]))
    assert [e.payload.classification for e in first if isinstance(e.payload, ItemClassifiedV1)
            and e.payload.item_id.startswith("entry:")] == ["UNKNOWN_BANK_ENTRY"]
    later = await report_of(recon, *early)
    assert {(e.payload.item_id.split(":")[0], e.payload.classification) for e in later
            if isinstance(e.payload, ItemClassifiedV1)} == {("entry", "MATCHED"), ("payment", "MATCHED")}
    assert any(isinstance(e.payload, DayClosedV1) for e in later), "nothing open: the day closes"


async def test_a_day_signed_off_stays_closed_and_later_changes_land_on_a_later_day(recon):
    lost = settled()
    await report_of(recon, *lost, statement(DAY_1, 1, 1_000, [StatementEntry(uuid.uuid4().hex, 10, False, "X", DAY_1)]))
    async with recon.pool.acquire() as conn, conn.transaction():
        signed = await service.sign_off(conn, DAY_1, by="fin-1", reason="the bank is investigating entry X")
    assert signed.body["closed"]["open_items"] == 1 and signed.body["unexplained"] == 0
    assert isinstance(signed.events[0].payload, DayClosedV1)
    async with recon.pool.acquire() as conn, conn.transaction():
        with pytest.raises(service.DayAlreadyClosed):
            await service.sign_off(conn, DAY_1, by="fin-2", reason="again")
    await report_of(recon, statement(DAY_2, 2, 990, []), statement(DAY_3, 3, 990, []), grace=1)
    async with recon.pool.acquire() as conn:
        moved = await conn.fetchval("SELECT business_date FROM items WHERE item_id = $1",
                                    f"payment:{lost[0].payload.payment_id}")
    assert moved == DAY_2, "missing at the bank from DAY_2's statement on: reported then, not on closed DAY_1"


async def test_a_payment_paid_again_is_linked_to_the_returned_one_even_when_its_outcome_comes_in_the_same_batch(recon):
    first, again = settled(), settled()
    reissue = new_envelope(again[0].payload.model_copy(update={"reissue_of": first[0].payload.payment_id}),
                           producer="disbursement")
    await report_of(recon, *first, reissue, again[1])  # the instruction and its outcome in one consumer batch
    async with recon.pool.acquire() as conn:
        linked = await conn.fetchval("SELECT reissue_of FROM payments WHERE payment_id = $1",
                                     again[0].payload.payment_id)
    assert linked == first[0].payload.payment_id


async def test_the_day_page_charts_the_flows_and_lists_what_is_open(recon):
    paid = settled()
    stranger = StatementEntry(uuid.uuid4().hex, 7_000, False, "<BK&1>", DAY_1)
    await report_of(recon, *paid, statement(DAY_1, 1, 1_000_000, [debit(paid, DAY_1), stranger]))
    html = page.render(await day(recon, DAY_1))
    assert "<svg" in html and "UNKNOWN_BANK_ENTRY" in html and "claim it back" in html
    assert "&lt;BK&amp;1&gt;" in html and "<BK&1>" not in html, "what the bank sends is escaped"


async def test_a_lump_debit_is_matched_line_by_line_from_its_camt054_and_named_without_it(recon):
    one, two = settled(), settled(30_000)
    lines = [debit(one, DAY_1), debit(two, DAY_1)]
    lump = StatementEntry("", 80_000, False, "LUMP1", DAY_1)
    notification = build_camt054(Notification("N1", datetime.now(UTC), "10551101040012345",
                                              [Lump("LUMP1", 80_000, DAY_1, lines)]))
    async with recon.pool.acquire() as conn, conn.transaction():
        await service.record_payments(conn, [*one, *two])
        await service.take_statement(conn, statement(DAY_1, 1, 1_000_000, [lump]), source="bank", grace=2,
                                     notification=notification)
    assert (await day(recon, DAY_1))["classes"]["MATCHED"]["items"] == 5, "two payments, two lines, the statement"

    await report_of(recon, statement(DAY_2, 2, 920_000, [StatementEntry("", 5_000, False, "LUMP2", DAY_2)]))
    (unknown,) = (await day(recon, DAY_2))["open_items"]
    assert unknown["classification"] == "UNKNOWN_BANK_ENTRY" and "camt.054" in unknown["detail"]
