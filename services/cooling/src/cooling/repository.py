"""Cooling's SQL, loaded once from sql/queries.sql; one statement per step for a whole batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from uuid import UUID

import asyncpg

from siji_shared.db import load_queries

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")
SUPPLIER, HANDED_OUT, WRITTEN_OFF = "supplier", "handed_out", "written_off"


def warehouse(code: str) -> str:
    return f"warehouse:{code}"


def site(code: str) -> str:
    return f"site:{code}"


def transit(shipment_id: UUID) -> str:
    return f"transit:{shipment_id}"


@dataclass(frozen=True)
class Move:
    from_location: str
    to_location: str
    item: str
    quantity: int
    kind: str
    reference: str
    reason: str | None = None


class OutOfStock(ValueError):
    """A movement would take a location's stock below zero."""


async def create_campaign(conn: asyncpg.Connection, *, campaign: str, region: str, title: str, starts_on: date,
                          ends_on: date, kit: dict[str, int], created_by: str) -> bool:
    return await conn.fetchval(Q["create_campaign"], campaign, region, title, starts_on, ends_on, json.dumps(kit),
                               created_by) is not None


async def campaign(conn: asyncpg.Connection, code: str) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["campaign"], code)


async def upsert_sites(conn: asyncpg.Connection, campaign: str, rows: Sequence[tuple[str, str, str, str, bool]]) -> None:
    await conn.execute(Q["upsert_sites"], campaign, *(list(c) for c in zip(*rows, strict=True)))


async def insert_registrations(conn: asyncpg.Connection, rows: Sequence[tuple]) -> None:
    if rows:
        await conn.execute(Q["insert_registrations"], *(list(c) for c in zip(*rows, strict=True)))


async def move(conn: asyncpg.Connection, campaign: str, moves: Sequence[Move]) -> None:
    moves = [m for m in moves if m.quantity > 0]
    if not moves:
        return
    touched = sorted({(m.from_location, m.item) for m in moves} | {(m.to_location, m.item) for m in moves})
    try:
        async with conn.transaction():
            await conn.execute(Q["ensure_balances"], campaign, [t[0] for t in touched], [t[1] for t in touched])
            await conn.execute(Q["move"], campaign, *([getattr(m, f) for m in moves] for f in (
                "from_location", "to_location", "item", "quantity", "kind", "reference", "reason")))
    except asyncpg.CheckViolationError as exc:
        raise OutOfStock("not enough stock where the items were to come from") from exc


async def lock_balances(conn: asyncpg.Connection, campaign: str, locations: list[str]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for r in await conn.fetch(Q["lock_balances"], campaign, locations):
        out.setdefault(r["location"], {})[r["item"]] = r["quantity"]
    return out


async def balances(conn: asyncpg.Connection, campaign: str) -> list[asyncpg.Record]:
    return await conn.fetch(Q["balances"], campaign)


async def insert_receipt(conn: asyncpg.Connection, campaign: str, *, delivery_note: str, warehouse_code: str,
                         items: dict[str, int], by: str) -> bool:
    return await conn.fetchval(Q["insert_receipt"], campaign, delivery_note, warehouse_code, json.dumps(items),
                               by) is not None


async def demand(conn: asyncpg.Connection, campaign: str) -> list[asyncpg.Record]:
    return await conn.fetch(Q["demand"], campaign)


async def replace_plan(conn: asyncpg.Connection, campaign: str, plan: dict[str, int]) -> None:
    await conn.execute(Q["replace_plan"], campaign, list(plan), list(plan.values()))


async def plan(conn: asyncpg.Connection, campaign: str) -> dict[str, int]:
    return {r["site"]: r["kits"] for r in await conn.fetch(Q["plan"], campaign)}


async def clear_plan(conn: asyncpg.Connection, campaign: str, sites: list[str]) -> None:
    await conn.execute(Q["clear_plan"], campaign, sites)


async def insert_shipments(conn: asyncpg.Connection, campaign: str, warehouse_code: str,
                           rows: Sequence[tuple[UUID, str, int, dict[str, int]]]) -> None:
    if rows:
        await conn.execute(Q["insert_shipments"], campaign, warehouse_code, [r[0] for r in rows],
                           [r[1] for r in rows], [r[2] for r in rows], [json.dumps(r[3]) for r in rows])


async def lock_shipment(conn: asyncpg.Connection, shipment_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["lock_shipment"], shipment_id)


async def deliver_shipment(conn: asyncpg.Connection, shipment_id: UUID, counted: dict[str, int]) -> None:
    await conn.execute(Q["deliver_shipment"], shipment_id, json.dumps(counted))


async def shipments_in_transit(conn: asyncpg.Connection, campaign: str) -> list[asyncpg.Record]:
    return await conn.fetch(Q["shipments_in_transit"], campaign)


async def registered_workers(conn: asyncpg.Connection, campaign: str, refs: list[str]) -> dict[str, str]:
    return {r["worker_ref"]: r["site"] for r in await conn.fetch(Q["registered_workers"], campaign, refs)}


async def kept_handouts(conn: asyncpg.Connection, campaign: str, refs: list[str]) -> dict[str, asyncpg.Record]:
    return {r["worker_ref"]: r for r in await conn.fetch(Q["kept_handouts"], campaign, refs)}


async def recorded_refs(conn: asyncpg.Connection, campaign: str, site_code: str, refs: list[str]) -> dict[str, asyncpg.Record]:
    return {r["station_ref"]: r for r in await conn.fetch(Q["recorded_refs"], campaign, site_code, refs)}


async def insert_handouts(conn: asyncpg.Connection, campaign: str, site_code: str, recorded: str,
                          rows: Sequence[tuple[UUID, str, datetime, str, str]]) -> None:
    if rows:
        await conn.execute(Q["insert_handouts"], campaign, site_code, recorded,
                           *(list(c) for c in zip(*rows, strict=True)))


async def demote_handouts(conn: asyncpg.Connection, handout_ids: list[UUID]) -> None:
    if handout_ids:
        await conn.execute(Q["demote_handouts"], handout_ids)


async def coverage_by_site(conn: asyncpg.Connection, campaign: str) -> list[asyncpg.Record]:
    return await conn.fetch(Q["coverage_by_site"], campaign)


async def over_issues(conn: asyncpg.Connection, campaign: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["over_issues"], campaign, limit)


async def handouts_by_site(conn: asyncpg.Connection, campaign: str) -> dict[str, asyncpg.Record]:
    return {r["site"]: r for r in await conn.fetch(Q["handouts_by_site"], campaign)}


async def movements_by_kind(conn: asyncpg.Connection, campaign: str) -> list[asyncpg.Record]:
    return await conn.fetch(Q["movements_by_kind"], campaign)
