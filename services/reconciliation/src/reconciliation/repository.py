"""Reconciliation's SQL, loaded once from sql/queries.sql; one statement per step for a whole batch."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import asyncpg

from siji_shared.db import load_queries
from siji_shared.iso20022 import Statement

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")


async def upsert_payments(conn: asyncpg.Connection,
                          rows: list[tuple[UUID, str, int, str, str | None, str | None, UUID | None]]) -> None:
    """(payment id, campaign, amount, status, bank reference, failure stage, the payment it re-issues)."""
    if rows:
        await conn.execute(Q["upsert_payments"], *(list(column) for column in zip(*rows, strict=True)))


async def insert_statement(conn: asyncpg.Connection, statement: Statement, *, source: str, document: bytes,
                           notification: bytes | None) -> bool:
    """True when this call took the statement; False when that business day's statement was there."""
    taken = await conn.fetchval(Q["insert_statement"], statement.business_date, statement.sequence_number,
                                statement.message_id, statement.account, statement.opening_balance_fen,
                                statement.closing_balance_fen, statement.movement_fen, len(statement.entries),
                                source, document, notification)
    if taken is not None and statement.entries:
        e = statement.entries
        await conn.execute(Q["insert_entries"], [x.bank_reference for x in e], [x.booking_date for x in e],
                           [x.end_to_end_id for x in e], [x.amount_fen for x in e], [x.credit for x in e],
                           [x.return_reason_code for x in e])
    return taken is not None


async def statement_day(conn: asyncpg.Connection, day: date | None) -> date | None:
    """`day` if its statement has been taken (None: the latest taken), else None."""
    return await conn.fetchval(Q["statement_day"], day)


async def statement_days(conn: asyncpg.Connection) -> list[date]:
    return [r["business_date"] for r in await conn.fetch(Q["statement_days"])]


async def change_mark(conn: asyncpg.Connection) -> tuple:
    """Changes when disbursement reports something or a statement is taken: whether to classify again."""
    return tuple(await conn.fetchrow(Q["change_mark"]))


async def classify(conn: asyncpg.Connection, *, grace: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["classify"], grace)


async def days_to_close(conn: asyncpg.Connection) -> list[date]:
    return [r["business_date"] for r in await conn.fetch(Q["days_to_close"])]


async def close_day(conn: asyncpg.Connection, day: date, *, by: str, open_items: int, reason: str) -> bool:
    return await conn.fetchval(Q["close_day"], day, by, open_items, reason) is not None


async def day_closed(conn: asyncpg.Connection, day: date) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["day_closed"], day)


async def day_totals(conn: asyncpg.Connection, day: date) -> list[asyncpg.Record]:
    return await conn.fetch(Q["day_totals"], day)


async def open_items(conn: asyncpg.Connection, day: date, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["open_items"], day, limit)


async def day_items(conn: asyncpg.Connection, day: date) -> list[asyncpg.Record]:
    return await conn.fetch(Q["day_items"], day)


async def recovery_items(conn: asyncpg.Connection, day: date) -> list[asyncpg.Record]:
    return await conn.fetch(Q["recovery_items"], day)
