"""Eligibility's SQL, loaded once from sql/queries.sql. Functions take a connection and keyword
arguments, and work on sets: one statement per step for a whole batch."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, TypeVar
from uuid import UUID

import asyncpg
from pydantic_core import to_json

from eligibility.domain import Assessment, HardshipLevel
from eligibility.policy import (
    Category,
    Document,
    HardshipStandards,
    LoanProgrammeRules,
    ProgrammeRules,
    RegistrationRules,
    parse,
)
from siji_shared.db import load_queries

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")
D = TypeVar("D", ProgrammeRules, HardshipStandards, LoanProgrammeRules, RegistrationRules)
CaseRules = ProgrammeRules | LoanProgrammeRules | RegistrationRules
OCCUPATION_CATEGORY = {"frontline": Category.FRONTLINE, "gig": Category.FRONTLINE, "medical": Category.MEDICAL}


async def latest_programme_rules(conn: asyncpg.Connection, *, programme: str, region: str,
                                 year: int) -> ProgrammeRules | None:
    row = await conn.fetchrow(Q["latest_rule_set"], "programme", programme, region, year)
    return _document(row, ProgrammeRules)


async def latest_loan_rules(conn: asyncpg.Connection, *, programme: str, region: str,
                            year: int) -> LoanProgrammeRules | None:
    row = await conn.fetchrow(Q["latest_rule_set"], "loan-programme", programme, region, year)
    return _document(row, LoanProgrammeRules)


async def latest_registration_rules(conn: asyncpg.Connection, *, programme: str, region: str,
                                    year: int) -> RegistrationRules | None:
    row = await conn.fetchrow(Q["latest_rule_set"], "registration-programme", programme, region, year)
    return _document(row, RegistrationRules)


async def latest_hardship_standards(conn: asyncpg.Connection, *, region: str, year: int) -> HardshipStandards | None:
    row = await conn.fetchrow(Q["latest_rule_set"], "hardship-standards", "hardship-standards", region, year)
    return _document(row, HardshipStandards)


def _document(row: asyncpg.Record | None, kind: type[D]) -> D | None:
    if row is None:
        return None
    document = parse(json.loads(row["rules"]), source=f"{row['rule_set_id']} v{row['version']}")
    assert isinstance(document, kind)
    return document


async def rule_set_version(conn: asyncpg.Connection, rule_set_id: str, version: int) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["rule_set_version"], rule_set_id, version)


async def rule_set_kinds(conn: asyncpg.Connection, rule_set_ids: list[str]) -> dict[str, str]:
    """The kind each of these rule sets was loaded as (a rule set keeps its kind across versions)."""
    return {r["rule_set_id"]: r["kind"] for r in await conn.fetch(Q["rule_set_kinds"], rule_set_ids)}


async def insert_rule_set(conn: asyncpg.Connection, document: Document, *, rules_json: str,
                          content_sha256: str, source: str, loaded_by: str) -> bool:
    """True when this call loaded the version; False when it was there already."""
    return await conn.fetchval(Q["insert_rule_set"], document.rule_set_id, document.version, document.kind,
                               document.programme, document.region, document.year, rules_json, content_sha256,
                               source, loaded_by) is not None


async def list_rule_sets(conn: asyncpg.Connection, *, programme: str | None, region: str | None,
                         year: int | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["list_rule_sets"], programme, region, year)


async def count_rule_sets(conn: asyncpg.Connection, *, lock: bool = False) -> int:
    if lock:
        await conn.execute(Q["lock_rule_sets"])
    return await conn.fetchval(Q["count_rule_sets"])


@dataclass(frozen=True)
class NewMember:
    member_ref: str
    national_id_enc: bytes
    name_enc: bytes
    union_name: str
    occupation: str
    model_worker: bool
    hardship_cadre: bool
    household_ref: str


async def upsert_members(conn: asyncpg.Connection, members: Sequence[NewMember], *, region: str,
                         updated_by: str) -> None:
    await conn.execute(Q["upsert_members"], region, updated_by, *(
        [getattr(m, f) for m in members] for f in ("member_ref", "national_id_enc", "name_enc", "union_name",
                                                   "occupation", "model_worker", "hardship_cadre", "household_ref")))


@dataclass(frozen=True)
class MemberFacts:
    categories: tuple[Category, ...]
    household_ref: str


async def members_of(conn: asyncpg.Connection, member_refs: list[str]) -> dict[str, MemberFacts]:
    found = {}
    for r in await conn.fetch(Q["members_of"], member_refs):
        categories = {OCCUPATION_CATEGORY.get(r["occupation"]),
                      Category.MODEL_WORKER if r["model_worker"] else None,
                      Category.HARDSHIP_CADRE if r["hardship_cadre"] else None} - {None}
        found[r["member_ref"]] = MemberFacts(categories=tuple(sorted(c for c in categories if c)),
                                             household_ref=r["household_ref"])
    return found


@dataclass(frozen=True)
class NewHardshipFile:
    file_id: UUID
    member_ref: str
    level: HardshipLevel
    national_id_enc: bytes
    name_enc: bytes
    valid_until: date
    household_ref: str
    household_size: int
    income_fen_per_month: int
    causes: tuple[str, ...]
    grading: str  # the rules that fired, JSON


async def upsert_hardship_files(conn: asyncpg.Connection, files: Sequence[NewHardshipFile], *, region: str,
                                opened_by: str, standards: HardshipStandards) -> list[asyncpg.Record]:
    """Each file's id, member_ref, level and level_before (None: opened now)."""
    return await conn.fetch(Q["upsert_hardship_files"], region, opened_by, *(
        [getattr(f, name) for f in files] for name in ("file_id", "member_ref")),
        [f.level.value for f in files], [f.national_id_enc for f in files], [f.name_enc for f in files],
        [f.valid_until for f in files], [f.household_ref for f in files], [f.household_size for f in files],
        [f.income_fen_per_month for f in files], [",".join(f.causes) for f in files], [f.grading for f in files],
        standards.rule_set_id, standards.version)


@dataclass(frozen=True)
class FileFacts:
    level: HardshipLevel
    valid_until: date
    active: bool
    household_ref: str | None


async def hardship_files(conn: asyncpg.Connection, *, region: str, member_refs: list[str]) -> dict[str, FileFacts]:
    rows = await conn.fetch(Q["hardship_files"], region, member_refs)
    return {r["member_ref"]: FileFacts(level=HardshipLevel(r["level"]), valid_until=r["valid_until"],
                                       active=r["status"] == "active", household_ref=r["household_ref"])
            for r in rows}


async def expire_hardship_files(conn: asyncpg.Connection, *, today: date, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["expire_hardship_files"], today, limit)


async def lock_award_totals(conn: asyncpg.Connection, *, region: str, year: int, subjects: list[str]) -> dict[str, int]:
    rows = await conn.fetch(Q["lock_award_totals"], region, year, sorted(set(subjects)))
    return {r["subject"]: r["awarded_fen"] for r in rows}


async def add_award_totals(conn: asyncpg.Connection, *, region: str, year: int, amounts: dict[str, int]) -> None:
    """Add (or, negative, take back) amounts to the subjects' yearly totals."""
    if amounts:
        await conn.execute(Q["add_award_totals"], region, year, list(amounts), list(amounts.values()))


async def insert_history(conn: asyncpg.Connection, entries: Sequence[tuple[UUID, str, str, dict]]) -> None:
    if entries:
        await conn.execute(Q["insert_history"], [e[0] for e in entries], [e[1] for e in entries],
                           [e[2] for e in entries], [jsonb(e[3]) for e in entries])


async def case_history(conn: asyncpg.Connection, case_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(Q["case_history"], case_id)


async def lock_members_in_campaign(conn: asyncpg.Connection, *, campaign: str, member_refs: list[str]) -> None:
    await conn.execute(Q["lock_members_in_campaign"], campaign, member_refs)


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
    household_ref: str | None  # None: a loan or a registration, outside the yearly award caps
    payee_name_enc: bytes
    payee_account_enc: bytes
    assessment: Assessment
    application: dict
    import_row: int | None = None


def jsonb(value: Any) -> str:
    """A value for a jsonb column, by pydantic's serializer: under half of `json.dumps` (an import writes
    three per row)."""
    return to_json(value).decode()


def reasons_json(a: Assessment) -> str:
    return jsonb([vars(f) for f in a.fired])


async def insert_cases(conn: asyncpg.Connection, cases: Sequence[NewCase], *, programme: str, campaign: str,
                       region: str, year: int, rules: CaseRules, registered_by: str,
                       import_id: UUID | None) -> None:
    a = [c.assessment for c in cases]
    await conn.execute(
        Q["insert_cases"], programme, campaign, region, year, rules.rule_set_id, rules.version, registered_by,
        import_id, [c.case_id for c in cases], [c.member_ref for c in cases], [c.payee_name_enc for c in cases],
        [c.payee_account_enc for c in cases], ["eligible" if x.eligible else "ineligible" for x in a],
        [x.amount_fen for x in a], [x.tier for x in a], [reasons_json(x) for x in a],
        [x.approvals_required for x in a], [c.import_row for c in cases], [c.household_ref for c in cases],
        [jsonb(c.application) for c in cases], [x.inputs_json for x in a],
        [x.decision_hash for x in a],
    )


async def reassess_case(conn: asyncpg.Connection, case_id: UUID, *, assessment: Assessment,
                        rules: CaseRules, excluded: list[str],
                        application: dict | None = None) -> None:
    """The new assessment; `application`, when given, replaces the stored one (a loan's approved term)."""
    a = assessment
    await conn.execute(Q["reassess_case"], case_id, "eligible" if a.eligible else "ineligible", a.amount_fen, a.tier,
                       rules.rule_set_id, rules.version, reasons_json(a), a.approvals_required,
                       a.inputs_json, a.decision_hash, excluded,
                       None if application is None else jsonb(application))


async def cases_for_decision(conn: asyncpg.Connection, *, campaign: str | None, case_ids: list[UUID],
                             import_id: UUID | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["cases_for_decision"], campaign, case_ids, import_id)


async def record_approvals(conn: asyncpg.Connection, *, approver: str, case_ids: list[UUID],
                           approved: list[bool]) -> None:
    await conn.execute(Q["record_approvals"], approver, case_ids, approved)


async def case_by_id(conn: asyncpg.Connection, case_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["case_by_id"], case_id)


async def close_cases(conn: asyncpg.Connection, *, case_ids: list[UUID], status: str, by: str, reason: str) -> None:
    """Rejected or withdrawn: decided against, by whom and why."""
    await conn.execute(Q["close_cases"], case_ids, status, by, reason)


async def record_payment_outcomes(conn: asyncpg.Connection, *, case_ids: list[UUID], payment_ids: list[UUID],
                                  statuses: list[str], reasons: list[str | None]) -> None:
    await conn.execute(Q["record_payment_outcomes"], case_ids, payment_ids, statuses, reasons)


async def campaign_summary(conn: asyncpg.Connection, *, campaign: str, region: str) -> dict[str, int]:
    return dict(await conn.fetchrow(Q["campaign_summary"], campaign, region))


async def queue(conn: asyncpg.Connection, *, region: str, campaign: str | None, status: str | None,
                programme: str | None, import_id: UUID | None, after: UUID | None, limit: int,
                case_id: UUID | None = None, member_ref: str | None = None) -> list[dict]:
    rows = await conn.fetch(Q["queue"], region, campaign, status, programme, import_id, after, limit, case_id,
                            member_ref)
    return [dict(r) for r in rows]


async def member_national_id(conn: asyncpg.Connection, *, member_ref: str, region: str) -> bytes | None:
    return await conn.fetchval(Q["member_national_id"], member_ref, region)


async def find_import(conn: asyncpg.Connection, *, region: str, kind: str, campaign: str | None,
                      file_sha256: str) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["find_import"], region, kind, campaign, file_sha256)


async def import_by_id(conn: asyncpg.Connection, import_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["import_by_id"], import_id)


async def insert_import(conn: asyncpg.Connection, *, import_id: UUID, kind: str, region: str, campaign: str | None,
                        programme: str | None, year: int | None, filename: str, file_sha256: str,
                        imported_by: str) -> bool:
    """A running import's record; False when another request has just started the same file."""
    return await conn.fetchval(Q["insert_import"], import_id, kind, region, campaign, programme, year, filename,
                               file_sha256, imported_by) is not None


async def add_import_chunk(conn: asyncpg.Connection, *, import_id: UUID, offset: int, rows_read: int, rejected: int,
                           accepted: int, eligible: int, ineligible: int, already_registered: int,
                           eligible_fen: int) -> None:
    await conn.execute(Q["add_import_chunk"], import_id, offset, rows_read, rejected, accepted, eligible, ineligible,
                       already_registered, eligible_fen)


async def finish_import(conn: asyncpg.Connection, import_id: UUID) -> asyncpg.Record:
    return await conn.fetchrow(Q["finish_import"], import_id)


async def lock_import(conn: asyncpg.Connection, import_id: UUID) -> bool:
    return await conn.fetchval(Q["lock_import"], import_id)


async def unlock_import(conn: asyncpg.Connection, import_id: UUID) -> None:
    await conn.fetchval(Q["unlock_import"], import_id)


async def insert_import_errors(conn: asyncpg.Connection, *, import_id: UUID,
                               errors: Sequence[tuple[int, str, str]]) -> None:
    if errors:
        rows, columns, reasons = zip(*errors, strict=True)
        await conn.execute(Q["insert_import_errors"], import_id, list(rows), list(columns), list(reasons))


async def import_errors(conn: asyncpg.Connection, import_id: UUID, *, limit: int | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["import_errors"], import_id, limit)


async def correct_payee(conn: asyncpg.Connection, *, case_id: UUID, name_enc: bytes, account_enc: bytes) -> None:
    await conn.execute(Q["correct_payee"], case_id, name_enc, account_enc)
