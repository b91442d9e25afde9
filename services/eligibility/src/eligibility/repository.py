"""Eligibility's SQL, loaded once from sql/queries.sql. Functions take a connection and keyword
arguments, and work on sets: one statement per step for a whole batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from uuid import UUID

import asyncpg

from eligibility.domain import Assessment, HardshipFile, HardshipLevel, RuleSet
from siji_shared.db import load_queries

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")


async def latest_rule_set(conn: asyncpg.Connection, *, programme: str, region: str, year: int) -> RuleSet | None:
    row = await conn.fetchrow(Q["latest_rule_set"], programme, region, year)
    return RuleSet.from_data(row["rule_set_id"], row["version"], json.loads(row["rules"])) if row else None


@dataclass(frozen=True)
class NewHardshipFile:
    file_id: UUID
    member_ref: str
    level: HardshipLevel
    national_id_enc: bytes
    name_enc: bytes
    valid_until: date


async def upsert_hardship_files(conn: asyncpg.Connection, files: Sequence[NewHardshipFile], *, region: str,
                                opened_by: str) -> dict[str, UUID]:
    """member_ref -> the file id (a member's existing file in the region is updated, keeping its id)."""
    rows = await conn.fetch(Q["upsert_hardship_files"], region, opened_by, [f.file_id for f in files],
                            [f.member_ref for f in files], [f.level.value for f in files],
                            [f.national_id_enc for f in files], [f.name_enc for f in files],
                            [f.valid_until for f in files])
    return {r["member_ref"]: r["file_id"] for r in rows}


async def hardship_files(conn: asyncpg.Connection, *, region: str, member_refs: list[str]) -> dict[str, HardshipFile]:
    rows = await conn.fetch(Q["hardship_files"], region, member_refs)
    return {r["member_ref"]: HardshipFile(level=HardshipLevel(r["level"]), valid_until=r["valid_until"]) for r in rows}


async def lock_campaign_registrations(conn: asyncpg.Connection, *, campaign: str, exclusive: bool) -> None:
    await conn.execute(Q["lock_campaign_registrations"], campaign, exclusive)


async def lock_member_in_campaign(conn: asyncpg.Connection, *, campaign: str, member_ref: str) -> None:
    await conn.execute(Q["lock_member_in_campaign"], campaign, member_ref)


async def cases_of_members(conn: asyncpg.Connection, *, campaign: str,
                           member_refs: list[str]) -> dict[str, list[asyncpg.Record]]:
    found: dict[str, list[asyncpg.Record]] = {}
    for row in await conn.fetch(Q["cases_of_members"], campaign, member_refs):
        found.setdefault(row["member_ref"], []).append(row)
    return found


@dataclass(frozen=True)
class NewCase:
    case_id: UUID
    member_ref: str
    payee_name_enc: bytes
    payee_account_enc: bytes
    assessment: Assessment
    import_row: int | None = None


async def insert_cases(conn: asyncpg.Connection, cases: Sequence[NewCase], *, programme: str, campaign: str,
                       region: str, year: int, rules: RuleSet, registered_by: str, import_id: UUID | None) -> None:
    a = [c.assessment for c in cases]
    await conn.execute(
        Q["insert_cases"], programme, campaign, region, year, rules.rule_set_id, rules.version, registered_by,
        import_id, [c.case_id for c in cases], [c.member_ref for c in cases], [c.payee_name_enc for c in cases],
        [c.payee_account_enc for c in cases], ["eligible" if x.eligible else "ineligible" for x in a],
        [x.amount_fen for x in a], [x.tier for x in a], [json.dumps(x.reasons, ensure_ascii=False) for x in a],
        [x.approvals_required for x in a], [c.import_row for c in cases],
    )


async def cases_for_decision(conn: asyncpg.Connection, *, campaign: str | None, case_ids: list[UUID],
                             import_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["cases_for_decision"], campaign, case_ids, import_id)


async def record_approvals(conn: asyncpg.Connection, *, approver: str, case_ids: list[UUID],
                           approved: list[bool]) -> None:
    await conn.execute(Q["record_approvals"], approver, case_ids, approved)


async def case_by_id(conn: asyncpg.Connection, case_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["case_by_id"], case_id)


async def record_rejection(conn: asyncpg.Connection, *, case_id: UUID, rejected_by: str, reason: str) -> None:
    await conn.execute(Q["record_rejection"], case_id, rejected_by, reason)


async def record_payment_outcomes(conn: asyncpg.Connection, *, case_ids: list[UUID], payment_ids: list[UUID],
                                  statuses: list[str], reasons: list[str | None]) -> None:
    await conn.execute(Q["record_payment_outcomes"], case_ids, payment_ids, statuses, reasons)


async def campaign_summary(conn: asyncpg.Connection, *, campaign: str, region: str) -> dict[str, int]:
    return dict(await conn.fetchrow(Q["campaign_summary"], campaign, region))


async def queue(conn: asyncpg.Connection, *, region: str, campaign: str | None, status: str | None,
                programme: str | None, import_id: UUID | None, after: UUID | None, limit: int) -> list[dict]:
    rows = await conn.fetch(Q["queue"], region, campaign, status, programme, import_id, after, limit)
    return [dict(r) for r in rows]


async def find_import(conn: asyncpg.Connection, *, region: str, kind: str, campaign: str | None,
                      file_sha256: str) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["find_import"], region, kind, campaign, file_sha256)


async def import_by_id(conn: asyncpg.Connection, import_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["import_by_id"], import_id)


async def insert_import(conn: asyncpg.Connection, *, import_id: UUID, kind: str, region: str, campaign: str | None,
                        programme: str | None, year: int | None, filename: str, file_sha256: str,
                        imported_by: str) -> None:
    await conn.execute(Q["insert_import"], import_id, kind, region, campaign, programme, year, filename, file_sha256,
                       imported_by)


async def finish_import(conn: asyncpg.Connection, *, import_id: UUID, rows_read: int, rejected: int, accepted: int,
                        eligible: int, ineligible: int, already_registered: int,
                        eligible_fen: int) -> asyncpg.Record:
    return await conn.fetchrow(Q["finish_import"], import_id, rows_read, rejected, accepted, eligible, ineligible,
                               already_registered, eligible_fen)


async def insert_import_errors(conn: asyncpg.Connection, *, import_id: UUID,
                               errors: Sequence[tuple[int, str, str]]) -> None:
    if errors:
        rows, columns, reasons = zip(*errors, strict=True)
        await conn.execute(Q["insert_import_errors"], import_id, list(rows), list(columns), list(reasons))


async def import_errors(conn: asyncpg.Connection, import_id: UUID, *, limit: int | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["import_errors"], import_id, limit)
