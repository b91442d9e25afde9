"""Eligibility's SQL, loaded once from sql/queries.sql. Functions take a connection and keyword arguments."""

from __future__ import annotations

import json
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


async def save_hardship_file(conn: asyncpg.Connection, *, file_id: UUID, member_ref: str, region: str,
                             level: HardshipLevel, national_id_enc: bytes, name_enc: bytes, valid_until: date,
                             opened_by: str) -> UUID:
    return await conn.fetchval(Q["insert_hardship_file"], file_id, member_ref, region, level.value,
                               national_id_enc, name_enc, valid_until, opened_by)


async def hardship_file(conn: asyncpg.Connection, *, member_ref: str, region: str) -> HardshipFile | None:
    row = await conn.fetchrow(Q["hardship_file"], member_ref, region)
    return HardshipFile(level=HardshipLevel(row["level"]), valid_until=row["valid_until"]) if row else None


async def lock_member_in_campaign(conn: asyncpg.Connection, *, campaign: str, member_ref: str) -> None:
    await conn.execute(Q["lock_member_in_campaign"], campaign, member_ref)


async def prior_awards(conn: asyncpg.Connection, *, campaign: str, member_ref: str) -> int:
    return await conn.fetchval(Q["prior_awards"], campaign, member_ref)


async def insert_case(conn: asyncpg.Connection, *, case_id: UUID, programme: str, campaign: str, region: str,
                      year: int, member_ref: str, payee_name_enc: bytes, payee_account_enc: bytes,
                      assessment: Assessment, rules: RuleSet, registered_by: str) -> None:
    await conn.execute(
        Q["insert_case"], case_id, programme, campaign, region, year, member_ref, payee_name_enc, payee_account_enc,
        "eligible" if assessment.eligible else "ineligible", assessment.amount_fen, assessment.tier,
        rules.rule_set_id, rules.version, json.dumps(assessment.reasons, ensure_ascii=False),
        assessment.approvals_required, registered_by,
    )


async def case_for_update(conn: asyncpg.Connection, case_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["case_for_update"], case_id)


async def case_by_id(conn: asyncpg.Connection, case_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["case_by_id"], case_id)


async def record_approval(conn: asyncpg.Connection, *, case_id: UUID, approvals: tuple[str, ...], approved: bool,
                          approver: str) -> None:
    await conn.execute(Q["record_approval"], case_id, list(approvals), "approved" if approved else "eligible",
                       approver)


async def record_rejection(conn: asyncpg.Connection, *, case_id: UUID, rejected_by: str, reason: str) -> None:
    await conn.execute(Q["record_rejection"], case_id, rejected_by, reason)


async def record_payment_outcome(conn: asyncpg.Connection, *, case_id: UUID, payment_id: UUID, status: str,
                                 reason: str | None) -> None:
    await conn.execute(Q["record_payment_outcome"], case_id, payment_id, status, reason)


async def campaign_summary(conn: asyncpg.Connection, *, campaign: str, region: str) -> dict[str, int]:
    return dict(await conn.fetchrow(Q["campaign_summary"], campaign, region))
