"""The loans service's use cases: approved loans in, forwarded to the bank, followed through the bank's
events; the subsidy fund's reservations and top-ups; the subsidy payments' outcomes; policies; reports.
Each works on a batch inside the caller's transaction and returns the events it emits for the caller
(consumer, bank job, HTTP route) to stage."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import asyncpg
import structlog

from contracts import Envelope, new_envelope
from contracts.disbursement import BudgetChangedV1, PaymentFailedV1, PaymentSettledV1
from contracts.eligibility import LoanApprovedV1, LoanApprovedV2
from loans import repository as repo
from loans.book import Book, Payee
from loans.policy import POLICY_DIR, PolicyDocument, read_dir
from loans.schedule import BankConventions
from siji_shared.pii import PiiVault
from siji_shared.sealed import opened
from siji_shared.usecase import Done

PRODUCER = "loans"
log = structlog.get_logger(__name__)


class NotFound(LookupError):
    pass


class VersionConflict(ValueError):
    """A document claims a version number that is loaded with different content."""


def _emit(book: Book) -> list[Envelope]:
    return [new_envelope(payload, producer=PRODUCER) for payload in book.emitted]


def payee_of(vault: PiiVault) -> Callable[[dict[UUID, asyncpg.Record]], Payee]:
    def lookup(rows: dict[UUID, asyncpg.Record]) -> Payee:
        """The payee of a subsidy due, sealed for disbursement straight from storage: never in clear in an event."""
        return lambda loan_id: tuple(vault.events.seal(vault.decrypt(rows[loan_id][column]), recipient="disbursement")
                                     for column in ("name_enc", "account_enc"))  # type: ignore[return-value]

    return lookup


async def record_approved(conn: asyncpg.Connection, envelopes: list[Envelope[LoanApprovedV1 | LoanApprovedV2]], *,
                          vault: PiiVault) -> list[Envelope]:
    """Consumer of eligibility.cases: each approved loan once, to be forwarded to the bank."""
    rows = [(p.case_id, p.campaign, p.programme, p.region, p.year, p.borrower_kind, p.borrower_ref,
             vault.encrypt(opened(p, vault.events, recipient="loans", field="borrower_name")),
             vault.encrypt(opened(p, vault.events, recipient="loans", field="payee_account")), p.principal_fen,
             p.term_months,
             p.method, p.staff_count, p.new_hires, json.dumps(list(p.approved_by)))
            for p in {e.payload.case_id: e.payload for e in envelopes}.values()]
    inserted = await repo.insert_loans(conn, rows)
    if inserted:
        await conn.execute("SELECT pg_notify(current_schema() || '_bank', '')")
        log.info("loans approved", loans=len(inserted))
    return []


async def fund_changed(conn: asyncpg.Connection, envelopes: list[Envelope[BudgetChangedV1]], *,
                       vault: PiiVault) -> list[Envelope]:
    """Consumer of disbursement.budgets: a fund's total is its budget; after a top-up, the loans waiting
    for the fund are taken up in order while it covers them."""
    totals: dict[str, int] = {}
    for e in envelopes:
        totals[e.payload.campaign] = max(totals.get(e.payload.campaign, 0), e.payload.total_fen)
    campaigns = sorted(totals)
    await repo.ensure_funds(conn, campaigns)
    waiting = await repo.waiting_loans(conn, campaigns)
    book = await repo.load_book(conn, waiting, campaigns=campaigns, payee=payee_of(vault))
    for campaign, total in totals.items():
        book.funds[campaign].total_fen = max(book.funds[campaign].total_fen, total)
    book.take_up([book.loans[i] for i in waiting if i in book.loans])
    await repo.save_book(conn, book)
    return _emit(book)


async def record_payments(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Consumer of disbursement.payments: a subsidy's payment settled marks its period paid; one the bank
    refused gives its money back to the fund. Every other payment is not ours."""
    entitlements = {e.payload.case_id for e in envelopes}
    loan_ids = await repo.loans_paid_by(conn, list(entitlements))
    if not loan_ids:
        return []
    book = await repo.load_book(conn, loan_ids)
    by_entitlement = {p.entitlement_id: p for p in book.periods.values() if p.entitlement_id}
    for e in envelopes:
        period = by_entitlement.get(e.payload.case_id)
        if period is None:
            continue
        if isinstance(e.payload, PaymentSettledV1):
            book.payment_settled(period, e.payload.payment_id)
        elif isinstance(e.payload, PaymentFailedV1):
            book.payment_failed(period, e.payload.payment_id)
    await repo.save_book(conn, book)
    return _emit(book)


@dataclass(frozen=True)
class BankAnswer:
    loan_id: UUID
    status: str  # disbursed or declined
    bank_loan_id: str | None
    reason: str | None


async def record_bank_answers(conn: asyncpg.Connection, answers: list[BankAnswer], *, vault: PiiVault) -> list[Envelope]:
    """The bank's answers to forwarded loans: a declined loan is closed; a taken one gets the bank's id
    (the loan's terms come with the bank's loan.disbursed event)."""
    await repo.set_bank_loan_ids(conn, [(a.loan_id, a.bank_loan_id) for a in answers
                                        if a.status == "disbursed" and a.bank_loan_id])
    declined = [a for a in answers if a.status == "declined"]
    if not declined:
        return []
    book = await repo.load_book(conn, [a.loan_id for a in declined], payee=payee_of(vault))
    for a in declined:
        book.declined(a.loan_id, a.reason or "declined by the bank")
    await repo.save_book(conn, book)
    return _emit(book)


async def apply_bank_events(conn: asyncpg.Connection, events: list[dict[str, Any]], *,
                            vault: PiiVault) -> list[Envelope]:
    """A page of the bank's loan event feed, each event once and in the bank's order."""
    loan_of = await repo.loans_of_bank_ids(conn, sorted({e["loan_id"] for e in events}))
    new = await repo.insert_bank_events(conn, events, loan_of)
    fresh = [e for e in events if e["seq"] in new and e["loan_id"] in loan_of]
    if not fresh:
        return []
    book = await repo.load_book(conn, sorted({loan_of[e["loan_id"]] for e in fresh}), payee=payee_of(vault))
    for e in sorted(fresh, key=lambda x: x["seq"]):
        loan_id, kind = loan_of[e["loan_id"]], e["type"]
        if kind == "loan.disbursed":
            book.disbursed(loan_id, seq=e["seq"], bank_loan_id=e["loan_id"], annual_rate_bp=e["annual_rate_bp"],
                           start=date.fromisoformat(e["start"]), term_months=e["term_months"], method=e["method"],
                           conventions=_conventions(e))
        elif kind == "interest.charged":
            book.interest_charged(loan_id, seq=e["seq"], period_start=date.fromisoformat(e["period_start"]),
                                  period_end=date.fromisoformat(e["period_end"]), interest_fen=e["interest_fen"],
                                  penalty_fen=e["penalty_fen"], outstanding_fen=e["outstanding_fen"],
                                  status=e["status"], paid_on_time=e["paid_on_time"])
        elif kind == "loan.repaid_early":
            book.repaid_early(loan_id, date.fromisoformat(e["repaid_on"]))
        elif kind == "loan.defaulted":
            book.defaulted(loan_id, date.fromisoformat(e["on"]))
        elif kind == "loan.matured":
            book.matured(loan_id, date.fromisoformat(e["on"]))
        elif kind == "loan.extended":
            book.extended(loan_id)
    for period in book.shortfalls:
        log.warning("subsidy earned beyond the fund: the shortfall is recorded on the period, not paid",
                    loan_id=str(period.loan_id), period_end=period.period_end.isoformat(),
                    paid_fen=period.subsidy_fen, shortfall_fen=period.shortfall_fen)
    await repo.save_book(conn, book)
    return _emit(book)


def _conventions(event: dict[str, Any]) -> BankConventions | None:
    """The conventions the bank says it charges this loan by, when its event says (its simulator's does)."""
    stated = {key: event[key] for key in ("day_count", "interest_day") if key in event}
    return BankConventions(**stated) if stated else None


# -- policies ------------------------------------------------------------------------------------

async def load_policies(conn: asyncpg.Connection, documents: list[tuple[str, PolicyDocument]], *,
                        loaded_by: str) -> Done:
    """Load each document not yet loaded; all or none (the caller's transaction)."""
    answers = []
    for source, document in documents:
        fresh = await repo.insert_policy(conn, document, source=source, loaded_by=loaded_by)
        if not fresh and await repo.policy_sha(conn, document.policy_id, document.version) != document.sha256():
            raise VersionConflict(f"{source}: {document.policy_id} v{document.version} is loaded already with other "
                                  f"content; a loaded version never changes: give it version {document.version + 1}")
        answers.append({"policy_id": document.policy_id, "version": document.version, "source": source,
                        "status": "loaded" if fresh else "unchanged"})
    log.info("policies loaded", loaded=sum(a["status"] == "loaded" for a in answers), by=loaded_by)
    return Done(answers)


async def load_shipped(pool: asyncpg.Pool) -> None:
    """At start-up: every policy version shipped with the service that is not loaded yet."""
    async with pool.acquire() as conn, conn.transaction():
        await repo.count_policies(conn, lock=True)  # locked: two replicas starting at once load once
        await load_policies(conn, read_dir(POLICY_DIR), loaded_by="loans start-up")


async def list_policies(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [{"policy_id": r["policy_id"], "version": r["version"], "region": r["region"], "year": r["year"],
             "content_sha256": r["content_sha256"], "source": r["source"], "loaded_by": r["loaded_by"],
             "loaded_at": r["loaded_at"].isoformat(), "document": json.loads(r["document"])}
            for r in await repo.all_policies(conn)]


# -- views and reports ---------------------------------------------------------------------------

SHOWN_WAITING = 200


async def fund_view(conn: asyncpg.Connection, campaign: str) -> dict[str, Any]:
    row = await repo.fund(conn, campaign)
    if row is None:
        raise NotFound(f"no subsidy fund {campaign}")
    queue = await repo.fund_queue(conn, campaign, SHOWN_WAITING)
    return {**dict(row), "waiting": [{"loan_id": str(r["loan_id"]), "borrower_ref": r["borrower_ref"],
                                      "projected_subsidy_fen": r["projected_fen"], "position": r["position"]}
                                     for r in queue]}


async def last_bank_seq(conn: asyncpg.Connection) -> int:
    return await repo.last_bank_seq(conn)


async def loan_view(conn: asyncpg.Connection, loan_id: UUID) -> dict[str, Any]:
    row = await repo.loan(conn, loan_id)
    if row is None:
        raise NotFound(f"no loan {loan_id}")
    periods = await repo.loan_periods(conn, loan_id)
    return {**_json(row), "periods": [_json(p) for p in periods]}


async def report(conn: asyncpg.Connection, *, region: str | None, campaign: str | None) -> dict[str, Any]:
    regions = [_json(r) for r in await repo.report_regions(conn, region)]
    periods = {r["status"]: {"periods": r["periods"], "subsidy_fen": r["subsidy_fen"]}
               for r in await repo.period_counts(conn, campaign)}
    return {"regions": regions, "periods": periods}


async def enterprises(conn: asyncpg.Connection, region: str, *, limit: int, offset: int) -> list[dict[str, Any]]:
    return [_json(r) for r in await repo.report_enterprises(conn, region, limit=limit, offset=offset)]


def _json(row: asyncpg.Record) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in dict(row).items():
        out[key] = value.isoformat() if isinstance(value, date) else str(value) if isinstance(value, UUID) else value
    return out
