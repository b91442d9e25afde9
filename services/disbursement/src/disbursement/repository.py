"""Disbursement's SQL, loaded once from sql/queries.sql; every step takes a whole batch."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from uuid import UUID

import asyncpg

from disbursement.domain import Kind, Transfer, account
from siji_shared.db import load_queries

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")


async def create_budget(conn: asyncpg.Connection, *, campaign: str, programme: str, region: str, total_fen: int,
                        created_by: str) -> bool:
    created = await conn.fetchval(Q["insert_budget"], campaign, programme, region, total_fen, created_by)
    if created:
        await conn.execute(Q["insert_accounts"], campaign, [account(campaign, k) for k in Kind], [k.value for k in Kind])
    return created is not None


@dataclass(frozen=True)
class Movement:
    """One transfer of a batch: `amount_fen` of `campaign`'s money, for a payment (or none, for funding)."""

    campaign: str
    amount_fen: int
    payment_id: UUID | None = None


async def transfers(conn: asyncpg.Connection, moves: Sequence[tuple[Transfer, Movement]]) -> list[bool]:
    """Move a batch of transfers of one kind with one call; for each, whether it moved (False: the
    paying budget account could not cover it, and nothing moved)."""
    if not moves:
        return []
    kinds = {t.kind for t, _ in moves}
    if len(kinds) != 1:
        raise ValueError(f"one kind of transfer per batch, not {sorted(kinds)}")
    return list(await conn.fetchval(
        Q["transfer_batch"], [m.campaign for _, m in moves], [m.payment_id for _, m in moves],
        [t.from_account for t, _ in moves], [t.to_account for t, _ in moves], [m.amount_fen for _, m in moves],
        kinds.pop()))


async def transfer(conn: asyncpg.Connection, move: Transfer, *, campaign: str, amount_fen: int,
                   payment_id: UUID | None = None) -> bool:
    """One transfer (funding a budget): a batch of one."""
    return (await transfers(conn, [(move, Movement(campaign, amount_fen, payment_id))]))[0]


async def budgets_of(conn: asyncpg.Connection, campaigns: list[str]) -> set[str]:
    return {r["campaign"] for r in await conn.fetch(Q["budgets_of"], campaigns)}


async def budget_of(conn: asyncpg.Connection, campaign: str) -> dict:
    """The view of a budget known to exist (created or locked in this transaction)."""
    view = await budget_view(conn, campaign)
    assert view is not None, f"campaign {campaign} has a budget"
    return view


async def budget_view(conn: asyncpg.Connection, campaign: str) -> dict | None:
    row = await conn.fetchrow(Q["budget_view"], campaign)
    if row is None:
        return None
    counts = {r["status"]: {"payments": r["payments"], "amount_fen": r["amount_fen"]}
              for r in await conn.fetch(Q["payment_counts"], campaign)}
    return {**dict(row), "payments": counts}


@dataclass(frozen=True)
class NewPayment:
    payment_id: UUID
    case_id: UUID
    campaign: str
    amount_fen: int
    payee_name_enc: bytes
    payee_account_enc: bytes
    payee_account_masked: str


async def insert_payments(conn: asyncpg.Connection, payments: Sequence[NewPayment]) -> set[UUID]:
    """The ids of the payments inserted; a case that has its payment already is skipped."""
    rows = await conn.fetch(Q["insert_payments"], [p.payment_id for p in payments], [p.case_id for p in payments],
                            [p.campaign for p in payments], [p.amount_fen for p in payments],
                            [p.payee_name_enc for p in payments], [p.payee_account_enc for p in payments],
                            [p.payee_account_masked for p in payments])
    return {r["payment_id"] for r in rows}


async def fail_payments(conn: asyncpg.Connection, failures: Sequence[tuple[UUID, str]], *,
                        stage: str, batch_id: UUID | None) -> list[asyncpg.Record]:
    if not failures:
        return []
    return await conn.fetch(Q["fail_payments"], [p for p, _ in failures], stage, [r for _, r in failures], batch_id)


async def settle_payments(conn: asyncpg.Connection, settlements: Sequence[tuple[UUID, str]], *,
                          settled_at: datetime, batch_id: UUID | None) -> list[asyncpg.Record]:
    if not settlements:
        return []
    return await conn.fetch(Q["settle_payments"], [p for p, _ in settlements], [r for _, r in settlements],
                            settled_at, batch_id)


async def due_batch(conn: asyncpg.Connection, *, besides: list[UUID]) -> asyncpg.Record | None:
    """The oldest open batch whose retry time has come, other than those already being sent."""
    return await conn.fetchrow(Q["due_batch"], besides)


async def make_batch(conn: asyncpg.Connection, *, batch_id: UUID, message_id: str,
                     limit: int) -> asyncpg.Record | None:
    """Gather up to `limit` instructed payments not yet in a batch into a new one; None if there are none.
    In the caller's transaction, which holds the batching lock until it commits."""
    await conn.execute(Q["lock_batching"])
    picked = await conn.fetch(Q["payments_to_batch"], limit)
    if not picked:
        return None
    return await conn.fetchrow(Q["insert_batch"], batch_id, message_id, [p["payment_id"] for p in picked],
                               sum(p["amount_fen"] for p in picked))


async def batch_lines(conn: asyncpg.Connection, batch_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(Q["batch_lines"], batch_id)


async def postpone_batch(conn: asyncpg.Connection, batch_id: UUID, *, delay: timedelta) -> None:
    await conn.execute(Q["postpone_batch"], batch_id, delay)


async def close_batch(conn: asyncpg.Connection, batch_id: UUID, *, group_status: str) -> None:
    await conn.execute(Q["close_batch"], batch_id, group_status)


async def payments_of_campaign(conn: asyncpg.Connection, campaign: str) -> list[dict]:
    return [dict(r) for r in await conn.fetch(Q["payments_of_campaign"], campaign)]


async def lock_available(conn: asyncpg.Connection, campaigns: list[str]) -> dict[str, int]:
    return {r["campaign"]: r["balance_fen"] for r in await conn.fetch(Q["lock_available"], campaigns)}


async def queue_lengths(conn: asyncpg.Connection, campaigns: list[str]) -> dict[str, int]:
    return {r["campaign"]: r["waiting"] for r in await conn.fetch(Q["queue_lengths"], campaigns)}


async def mark_waiting(conn: asyncpg.Connection, payment_ids: list[UUID]) -> None:
    if payment_ids:
        await conn.execute(Q["mark_waiting"], payment_ids)


async def waiting_payments(conn: asyncpg.Connection, campaign: str) -> list[asyncpg.Record]:
    return await conn.fetch(Q["waiting_payments"], campaign)


async def mark_instructed(conn: asyncpg.Connection, payment_ids: list[UUID]) -> None:
    if payment_ids:
        await conn.execute(Q["mark_instructed"], payment_ids)


async def add_to_budget(conn: asyncpg.Connection, campaign: str, amount_fen: int) -> int:
    return await conn.fetchval(Q["add_to_budget"], campaign, amount_fen)


async def waiting_of_campaign(conn: asyncpg.Connection, campaign: str) -> list[dict]:
    return [dict(r) for r in await conn.fetch(Q["waiting_of_campaign"], campaign)]


async def return_payments(conn: asyncpg.Connection, returns: Sequence[tuple[UUID, str]]) -> list[asyncpg.Record]:
    if not returns:
        return []
    return await conn.fetch(Q["return_payments"], [p for p, _ in returns], [r for _, r in returns])


async def returned_payments_of(conn: asyncpg.Connection, payment_ids: list[UUID]) -> list[asyncpg.Record]:
    return await conn.fetch(Q["returned_payments_of"], payment_ids)


async def insert_reissues(conn: asyncpg.Connection, payments: Sequence[tuple[NewPayment, UUID]]) -> set[UUID]:
    """(new payment, the returned one it pays again); returns the ids inserted."""
    rows = await conn.fetch(Q["insert_reissues"], *(
        [getattr(p, f) for p, _ in payments] for f in ("payment_id", "case_id", "campaign", "amount_fen",
                                                       "payee_name_enc", "payee_account_enc",
                                                       "payee_account_masked")), [r for _, r in payments])
    return {r["payment_id"] for r in rows}
