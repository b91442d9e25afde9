"""Disbursement's SQL, loaded once from sql/queries.sql."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg

from disbursement.domain import Kind, Transfer, account
from siji_shared.db import load_queries
from siji_shared.errors import RuleViolation

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")


async def create_budget(conn: asyncpg.Connection, *, campaign: str, programme: str, region: str, total_fen: int,
                        created_by: str) -> bool:
    created = await conn.fetchval(Q["insert_budget"], campaign, programme, region, total_fen, created_by)
    if created:
        await conn.execute(Q["insert_accounts"], campaign, [account(campaign, k) for k in Kind], [k.value for k in Kind])
    return created is not None


async def transfer(conn: asyncpg.Connection, move: Transfer, *, campaign: str, amount_fen: int,
                   payment_id: UUID | None = None) -> bool:
    """False, and nothing moved, when the paying budget account cannot cover the amount."""
    return await conn.fetchval(Q["transfer"], campaign, payment_id, move.from_account, move.to_account, amount_fen,
                               move.kind)


async def budget_view(conn: asyncpg.Connection, campaign: str) -> dict | None:
    row = await conn.fetchrow(Q["budget_view"], campaign)
    if row is None:
        return None
    counts = {r["status"]: {"payments": r["payments"], "amount_fen": r["amount_fen"]}
              for r in await conn.fetch(Q["payment_counts"], campaign)}
    return {**dict(row), "payments": counts}


async def insert_payment(conn: asyncpg.Connection, *, payment_id: UUID, case_id: UUID, campaign: str,
                         amount_fen: int, payee_name_enc: bytes, payee_account_enc: bytes,
                         payee_account_masked: str) -> bool:
    """False when the case has its payment already. A campaign without a budget breaks a rule."""
    try:
        return await conn.fetchval(Q["insert_payment"], payment_id, case_id, campaign, amount_fen, payee_name_enc,
                                   payee_account_enc, payee_account_masked) is not None
    except asyncpg.ForeignKeyViolationError as exc:
        raise RuleViolation(f"campaign {campaign} has no budget; create it, then re-drive this event") from exc


async def fail_payment(conn: asyncpg.Connection, payment_id: UUID, *, stage: str, reason: str) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["fail_payment"], payment_id, stage, reason)


async def settle_payment(conn: asyncpg.Connection, payment_id: UUID, *, bank_reference: str,
                         settled_at: datetime) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["settle_payment"], payment_id, bank_reference, settled_at)


async def postpone_payment(conn: asyncpg.Connection, payment_id: UUID, *, delay: timedelta) -> None:
    await conn.execute(Q["postpone_payment"], payment_id, delay)


async def due_payments(conn: asyncpg.Connection, *, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["due_payments"], limit)


async def payments_of_campaign(conn: asyncpg.Connection, campaign: str) -> list[dict]:
    return [dict(r) for r in await conn.fetch(Q["payments_of_campaign"], campaign)]
