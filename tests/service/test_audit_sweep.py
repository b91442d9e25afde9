"""The audit sweep on a real schema: it raises each broken invariant once, looks only at what was seen
since its last cutoff (and what that touches), and its whole sweeps still find what fell outside."""

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg
import pytest

import audit.main
from audit import watch
from siji_shared.db import create_pool, migrate

LONG_AGO = datetime.now(UTC) - timedelta(hours=2)


@pytest.fixture
async def conn(infra, schema):
    await migrate(infra.database_url, schema, audit.main.MIGRATIONS)
    pool = await create_pool(infra.database_url, schema, size=2)
    async with pool.acquire() as connection:
        yield connection
    await pool.close()


async def entitle(conn, case_id, *, campaign="c1", amount=10000, seen_at=LONG_AGO):
    await conn.execute("INSERT INTO entitlements (case_id, campaign, amount_fen, event_id, seen_at) "
                       "VALUES ($1, $2, $3, $4, $5)", case_id, campaign, amount, uuid.uuid4(), seen_at)


async def settle(conn, case_id, *, campaign="c1", amount=10000, seen_at=LONG_AGO) -> uuid.UUID:
    payment_id = uuid.uuid4()
    await conn.execute("INSERT INTO settlements (payment_id, case_id, campaign, amount_fen, event_id, seen_at) "
                       "VALUES ($1, $2, $3, $4, $5, $6)", payment_id, case_id, campaign, amount, uuid.uuid4(), seen_at)
    return payment_id


def kinds(events) -> list[tuple[str, str]]:
    return sorted((e.payload.kind, e.payload.subject) for e in events)


async def test_the_first_sweep_looks_at_everything_and_raises_each_finding_once(conn):
    unapproved, twice = uuid.uuid4(), uuid.uuid4()
    await settle(conn, unapproved)
    await entitle(conn, twice)
    await settle(conn, twice)
    await settle(conn, twice)
    sweeper = watch.Sweeper(grace=timedelta(seconds=30))

    found = kinds(await sweeper.sweep(conn))

    assert [k for k, _ in found] == ["paid_twice", "payment_without_approval"]
    assert ("paid_twice", f"case:{twice}") in found
    assert await sweeper.sweep(conn) == []


async def test_later_sweeps_look_at_what_is_new_and_what_it_touches(conn):
    paid, overpaid, old_unapproved = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await conn.execute("INSERT INTO budgets (campaign, total_fen) VALUES ('c2', 15000)")
    await entitle(conn, paid, campaign="c2")
    await settle(conn, paid, campaign="c2")
    sweeper = watch.Sweeper(grace=timedelta(0))
    assert await sweeper.sweep(conn) == []

    await settle(conn, paid, campaign="c2", seen_at=datetime.now(UTC))  # a second payment: twice, and over the budget
    await entitle(conn, overpaid, campaign="c2", amount=9000, seen_at=datetime.now(UTC))
    differs = await settle(conn, overpaid, campaign="c2", amount=9500)  # old, touched by its new entitlement
    unapproved_payment = await settle(conn, old_unapproved)  # old, and touched by nothing new

    found = kinds(await sweeper.sweep(conn))

    assert found == sorted([("paid_twice", f"case:{paid}"), ("budget_overspent", "campaign:c2"),
                            ("amount_differs", f"payment:{differs}")])

    sweeper.whole_due = 0.0  # the backstop: a whole sweep finds what no new fact touched
    assert kinds(await sweeper.sweep(conn)) == [("payment_without_approval", f"payment:{unapproved_payment}")]


async def test_kits_and_forfeited_periods_are_checked_from_their_new_side(conn):
    sweeper = watch.Sweeper(grace=timedelta(0))
    loan, period, subsidy = uuid.uuid4(), datetime(2026, 6, 30).date(), uuid.uuid4()
    await conn.execute("INSERT INTO entitlements (case_id, campaign, amount_fen, loan_id, period_end, event_id, "
                       "seen_at) VALUES ($1, 'fugongdai', 500, $2, $3, $4, $5)", subsidy, loan, period, uuid.uuid4(),
                       LONG_AGO)
    await conn.execute("INSERT INTO registrations (campaign, worker_ref) VALUES ('sc1', 'w1')")
    assert await sweeper.sweep(conn) == []

    await conn.execute("INSERT INTO forfeits (loan_id, period_end, event_id) VALUES ($1, $2, $3)",
                       loan, period, uuid.uuid4())  # the period forfeited after its subsidy fell due
    await conn.execute("INSERT INTO handouts (handout_id, campaign, worker_ref, event_id) SELECT gen_random_uuid(), "
                       "'sc1', w, gen_random_uuid() FROM unnest(array['w1', 'w1', 'w2']) AS w")

    assert kinds(await sweeper.sweep(conn)) == sorted([
        ("subsidy_for_forfeited_period", f"case:{subsidy}"), ("kit_twice", "worker:sc1:w1"),
        *[("kit_without_registration", f"handout:{h}") for h in await conn.fetchval(
            "SELECT array_agg(handout_id) FROM handouts WHERE worker_ref = 'w2'")]])


async def test_a_campaign_paid_total_follows_its_settlements_and_their_returns(conn):
    """The budget check reads campaign_paid, which triggers keep: a return takes its amount back once."""
    await conn.execute("INSERT INTO budgets (campaign, total_fen) VALUES ('c3', 15000)")
    cases = [uuid.uuid4(), uuid.uuid4()]
    for case in cases:
        await entitle(conn, case, campaign="c3")
    returned = await settle(conn, cases[0], campaign="c3")
    await settle(conn, cases[1], campaign="c3")
    assert await conn.fetchval("SELECT paid_fen FROM campaign_paid WHERE campaign = 'c3'") == 20000
    for _ in range(2):  # the same return told twice
        await conn.execute("UPDATE settlements SET returned = true WHERE payment_id = $1", returned)
    assert await conn.fetchval("SELECT paid_fen FROM campaign_paid WHERE campaign = 'c3'") == 10000

    assert await watch.Sweeper(grace=timedelta(0)).sweep(conn) == [], "10,000 of 15,000 paid: within the budget"
    with pytest.raises(asyncpg.RestrictViolationError, match="settlements are kept"):
        await conn.execute("DELETE FROM settlements")
