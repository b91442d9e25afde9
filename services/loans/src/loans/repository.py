"""The loans service's SQL, loaded once from sql/queries.sql; one statement per step for a whole batch.
The book of a batch is loaded with its rows locked (loans, then funds: one order everywhere) and
written back in one statement per table."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from loans.book import Book, Fund, LoanState, Payee, PeriodState
from loans.policy import PolicyDocument, parse
from siji_shared.db import load_queries

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")
LOAN_FIELDS = ("loan_id", "campaign", "region", "year", "principal_fen", "term_months", "method", "status",
               "bank_loan_id", "annual_rate_bp", "start_date", "policy_id", "policy_version", "projected_fen",
               "reserved_fen", "spent_fen", "waiting_seq", "stopped_on", "clawback_fen", "reason")
SAVED_LOAN_FIELDS = ("loan_id", "status", "bank_loan_id", "annual_rate_bp", "start_date", "term_months", "method",
                     "policy_id", "policy_version", "projected_fen", "reserved_fen", "spent_fen", "waiting_seq",
                     "stopped_on", "clawback_fen", "reason")  # in save_loans' order
PERIOD_FIELDS = ("loan_id", "period_end", "period_start", "projected_fen", "interest_fen", "penalty_fen",
                 "outstanding_fen", "bank_status", "paid_on_time", "subsidy_fen", "status", "entitlement_id",
                 "payment_id", "reported_seq", "shortfall_fen")


class NoPolicy(LookupError):
    """No subsidy policy is loaded for a loan's region and year."""


async def insert_policy(conn: asyncpg.Connection, document: PolicyDocument, *, source: str, loaded_by: str) -> bool:
    return await conn.fetchval(Q["insert_policy"], document.policy_id, document.version, document.region,
                               document.year, document.canonical(), document.sha256(), source, loaded_by) is not None


async def policy_sha(conn: asyncpg.Connection, policy_id: str, version: int) -> str | None:
    return await conn.fetchval(Q["policy_sha"], policy_id, version)


async def count_policies(conn: asyncpg.Connection, *, lock: bool) -> int:
    if lock:
        await conn.execute(Q["lock_policies"])
    return await conn.fetchval(Q["count_policies"])


async def all_policies(conn: asyncpg.Connection) -> list[asyncpg.Record]:
    return await conn.fetch(Q["all_policies"])


async def policies(conn: asyncpg.Connection) -> dict[tuple[str, int], PolicyDocument]:
    return {(r["policy_id"], r["version"]): parse(json.loads(r["document"]), source=r["policy_id"])
            for r in await all_policies(conn)}


async def insert_loans(conn: asyncpg.Connection, rows: Sequence[tuple]) -> set[UUID]:
    if not rows:
        return set()
    columns = list(zip(*rows, strict=True))
    await conn.execute(Q["ensure_funds"], sorted(set(columns[1])))
    return {r["loan_id"] for r in await conn.fetch(Q["insert_loans"], *(list(c) for c in columns))}


async def loans_to_forward(conn: asyncpg.Connection, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["loans_to_forward"], limit)


async def set_bank_loan_ids(conn: asyncpg.Connection, pairs: list[tuple[UUID, str]]) -> None:
    if pairs:
        await conn.execute(Q["set_bank_loan_ids"], [p[0] for p in pairs], [p[1] for p in pairs])


async def loan_campaigns(conn: asyncpg.Connection) -> list[str]:
    return [r["campaign"] for r in await conn.fetch(Q["loan_campaigns"])]


async def ensure_funds(conn: asyncpg.Connection, campaigns: list[str]) -> None:
    await conn.execute(Q["ensure_funds"], campaigns)


async def waiting_loans(conn: asyncpg.Connection, campaigns: list[str]) -> list[UUID]:
    return [r["loan_id"] for r in await conn.fetch(Q["waiting_loans"], campaigns)]


def without_payees(rows: dict[UUID, asyncpg.Record]) -> Payee:
    """For a book that makes no subsidy due (payments recorded): asking it for a payee is a bug."""
    def refuse(loan_id: UUID) -> tuple[str, str]:
        raise RuntimeError(f"loan {loan_id}: this book was loaded without its payees")
    return refuse


async def load_book(conn: asyncpg.Connection, loan_ids: Sequence[UUID], *, campaigns: Sequence[str] = (),
                    payee: Callable[[dict[UUID, asyncpg.Record]], Payee] = without_payees) -> Book:
    """The loans (locked), their periods and their funds (locked after them), with every loaded policy.
    `payee` turns the loan rows into the decrypting look-up a due subsidy needs."""
    loan_rows = await conn.fetch(Q["lock_loans"], list(loan_ids))
    fund_rows = await conn.fetch(Q["lock_funds"], sorted({r["campaign"] for r in loan_rows} | set(campaigns)))
    period_rows = await conn.fetch(Q["periods_of"], [r["loan_id"] for r in loan_rows])
    known = await policies(conn)
    in_force: dict[tuple[str, int], PolicyDocument] = {}
    for document in known.values():
        key = (document.region, document.year)
        if key not in in_force or document.version > in_force[key].version:
            in_force[key] = document

    def policy_in_force(region: str, year: int) -> PolicyDocument:
        if (region, year) not in in_force:
            raise NoPolicy(f"no loan subsidy policy is loaded for {region} {year}: load one with "
                           "`siji loans policies load`, then re-drive")
        return in_force[(region, year)]

    return Book(
        loans={r["loan_id"]: LoanState(**{f: r[f] for f in LOAN_FIELDS}) for r in loan_rows},
        periods={(r["loan_id"], r["period_end"]): PeriodState(**{f: r[f] for f in PERIOD_FIELDS})
                 for r in period_rows},
        funds={r["campaign"]: Fund(r["campaign"], r["total_fen"], r["reserved_fen"], r["spent_fen"], r["waiting"])
               for r in fund_rows},
        policies=known, payee=payee({r["loan_id"]: r for r in loan_rows}), in_force=policy_in_force)


async def save_book(conn: asyncpg.Connection, book: Book) -> None:
    loans = [book.loans[i] for i in sorted(book.changed_loans)]
    if loans:
        await conn.execute(Q["save_loans"], *([getattr(x, f) for x in loans] for f in SAVED_LOAN_FIELDS))
    periods = [book.periods[k] for k in sorted(book.changed_periods)]
    if periods:
        await conn.execute(Q["save_periods"], *([getattr(p, f) for p in periods] for f in PERIOD_FIELDS))
    funds = list(book.funds.values())
    if funds:
        await conn.execute(Q["save_funds"], [f.campaign for f in funds], [f.total_fen for f in funds],
                           [f.reserved_fen for f in funds], [f.spent_fen for f in funds])


async def insert_bank_events(conn: asyncpg.Connection, events: list[dict[str, Any]],
                             loan_of: dict[str, UUID]) -> set[int]:
    """Store the feed's events; the sequence numbers not seen before come back."""
    if not events:
        return set()
    rows = await conn.fetch(Q["insert_bank_events"], [e["seq"] for e in events], [e["type"] for e in events],
                            [e["loan_id"] for e in events], [loan_of.get(e["loan_id"]) for e in events],
                            [date.fromisoformat(e["business_date"]) for e in events],
                            [json.dumps(e) for e in events])
    return {r["seq"] for r in rows}


async def last_bank_seq(conn: asyncpg.Connection) -> int:
    return await conn.fetchval(Q["last_bank_seq"])


async def loans_of_bank_ids(conn: asyncpg.Connection, bank_loan_ids: list[str]) -> dict[str, UUID]:
    return {r["bank_loan_id"]: r["loan_id"] for r in await conn.fetch(Q["loans_of_bank_ids"], bank_loan_ids)}


async def loans_paid_by(conn: asyncpg.Connection, entitlement_ids: list[UUID]) -> list[UUID]:
    return [r["loan_id"] for r in await conn.fetch(Q["periods_paid_by"], entitlement_ids)]


async def fund(conn: asyncpg.Connection, campaign: str) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["fund"], campaign)


async def fund_queue(conn: asyncpg.Connection, campaign: str, limit: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["fund_queue"], campaign, limit)


async def loan(conn: asyncpg.Connection, loan_id: UUID) -> asyncpg.Record | None:
    return await conn.fetchrow(Q["loan"], loan_id)


async def loan_periods(conn: asyncpg.Connection, loan_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(Q["loan_periods"], loan_id)


async def report_regions(conn: asyncpg.Connection, region: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["report_regions"], region)


async def report_enterprises(conn: asyncpg.Connection, region: str, *, limit: int, offset: int) -> list[asyncpg.Record]:
    return await conn.fetch(Q["report_enterprises"], region, limit, offset)


async def period_counts(conn: asyncpg.Connection, campaign: str | None) -> list[asyncpg.Record]:
    return await conn.fetch(Q["period_counts"], campaign)
