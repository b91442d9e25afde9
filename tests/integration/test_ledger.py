"""The budget can never go below zero, enforced by PostgreSQL, also under concurrent reservations."""

import asyncio
import uuid
from pathlib import Path

import asyncpg
import pytest

from disbursement import domain
from disbursement import repository as repo
from siji_shared.db import create_pool, migrate

MIGRATIONS = Path(domain.__file__).resolve().parents[2] / "migrations"


@pytest.fixture
async def ledger(infra, schema):
    await migrate(infra.database_url, schema, MIGRATIONS)
    pool = await create_pool(infra.database_url, schema, size=12)
    async with pool.acquire() as conn, conn.transaction():
        await repo.create_budget(conn, campaign="c", programme="winter-warmth", region="taicang",
                                 total_fen=1_000_000, created_by="fin")
        assert await repo.transfer(conn, domain.fund("c"), campaign="c", amount_fen=1_000_000)
    yield pool
    await pool.close()


async def balances(pool) -> dict[str, int]:
    async with pool.acquire() as conn:
        return {r["kind"]: r["balance_fen"] for r in await conn.fetch("SELECT CASE kind WHEN 'cleared' THEN 'reserved' ELSE kind END AS kind, "  # cleared: reserved's contra
            "sum(balance_fen)::bigint AS balance_fen FROM accounts GROUP BY 1")}


async def test_concurrent_reservations_never_overdraw(ledger):
    async def reserve() -> bool:
        async with ledger.acquire() as conn, conn.transaction():
            return await repo.transfer(conn, domain.reserve("c"), campaign="c", amount_fen=30_000,
                                       payment_id=uuid.uuid4())

    results = await asyncio.gather(*(reserve() for _ in range(50)))
    assert results.count(True) == 33
    assert await balances(ledger) == {"funding": -1_000_000, "available": 10_000, "reserved": 990_000, "paid": 0}


async def test_the_database_refuses_a_negative_budget_whatever_the_code_does(ledger):
    async with ledger.acquire() as conn:
        with pytest.raises(asyncpg.CheckViolationError, match="budget_never_negative"):
            await conn.execute("UPDATE accounts SET balance_fen = -1 WHERE account = 'c:available'")
        with pytest.raises(asyncpg.UniqueViolationError):
            payment = uuid.uuid4()
            async with conn.transaction():
                for _ in range(2):
                    await repo.transfer(conn, domain.reserve("c"), campaign="c", amount_fen=1, payment_id=payment)
    assert (await balances(ledger))["available"] == 1_000_000


async def test_every_entry_names_accounts_that_exist_and_stay(ledger):
    async with ledger.acquire() as conn:
        with pytest.raises(asyncpg.ForeignKeyViolationError, match="must both exist"):
            await repo.transfer(conn, domain.Transfer("c:available", "nowhere:reserved", "reserve"), campaign="c",
                                amount_fen=1, payment_id=uuid.uuid4())
        with pytest.raises(asyncpg.RestrictViolationError, match="kept for good"):
            await conn.execute("DELETE FROM accounts WHERE account = 'c:paid'")
        with pytest.raises(asyncpg.RestrictViolationError, match="kept for good"):
            await conn.execute("UPDATE accounts SET account = 'd:available' WHERE account = 'c:available'")
        assert await conn.fetchval("SELECT count(*) FROM ledger_entries WHERE from_account NOT IN "
                                   "(SELECT account FROM accounts) OR to_account NOT IN (SELECT account FROM accounts)") == 0


async def test_a_budget_and_a_payment_batch_are_kept_for_good(ledger):
    """Payments name them without a foreign key (the writers check): deleting either is refused."""
    async with ledger.acquire() as conn:
        await conn.execute("INSERT INTO payment_batches (batch_id, message_id, payments, control_sum_fen, payment_ids) "
                           "VALUES ($1, 'M1', 1, 1, '{}')", uuid.uuid4())
        with pytest.raises(asyncpg.RestrictViolationError, match="budgets rows are kept for good"):
            await conn.execute("DELETE FROM budgets WHERE campaign = 'c'")
        with pytest.raises(asyncpg.RestrictViolationError, match="payment_batches rows are kept for good"):
            await conn.execute("DELETE FROM payment_batches")
        assert await conn.fetchval("SELECT count(*) FROM budgets") == 1
