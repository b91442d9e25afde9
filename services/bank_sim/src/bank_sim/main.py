"""create_app(): the bank simulator's HTTP API: payment batches in (pain.001), status reports out
(pain.002), its business date and each closed day's camt.053 statement, loans (applications in, a feed
of the loans' events out, admin actions on one loan for tests) and the behaviour tests set (failure,
outage, latency, returns, duplicates, late bookings; early repayments, overdue periods, extensions,
defaults and declines of loans)."""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import asdict, fields
from datetime import date
from uuid import UUID

from fastapi import FastAPI, HTTPException, Query, Request, Response
from pydantic import BaseModel, Field

from bank_sim.bank import Account, Bank, Behaviour, ConflictingMessage, DayNotClosed
from bank_sim.calendar import CalendarUnknown
from bank_sim.config import Settings
from bank_sim.loan_book import Action, Application, LoanActionRefused, LoanBehaviour, LoanTerms, LoanUnknown
from siji_shared.http import install_error_handlers
from siji_shared.iso20022 import MessageInvalid, build_pain002, parse_pain001
from siji_shared.loan_interest import BankConventions, Method
from siji_shared.logging import configure_logging

XML = "application/xml"


class BehaviourIn(BaseModel):
    failure_rate: float = Field(ge=0, le=1)
    unavailable_rate: float = Field(ge=0, le=1)
    latency_ms: int = Field(ge=0, le=60000)
    return_rate: float = Field(0.0, ge=0, le=1)
    duplicate_rate: float = Field(0.0, ge=0, le=1)
    late_rate: float = Field(0.0, ge=0, le=1)
    lump_rate: float = Field(0.0, ge=0, le=1)
    lost_answer_rate: float = Field(0.0, ge=0, le=1)
    early_repayment_rate: float = Field(0.0, ge=0, le=1)
    overdue_rate: float = Field(0.0, ge=0, le=1)
    extension_rate: float = Field(0.0, ge=0, le=1)
    default_rate: float = Field(0.0, ge=0, le=1)
    loan_decline_rate: float = Field(0.0, ge=0, le=1)


LOAN_BEHAVIOUR = {f.name for f in fields(LoanBehaviour)}


class LoanApplicationIn(BaseModel):
    application_id: UUID
    borrower_ref: str = Field(min_length=1, max_length=100)
    borrower_name: str = Field(min_length=1, max_length=100)
    account: str = Field(pattern=r"^[0-9]{12,30}$")
    principal_fen: int = Field(gt=0)
    term_months: int = Field(ge=1, le=120)
    method: Method


class LoansIn(BaseModel):
    applications: list[LoanApplicationIn] = Field(min_length=1, max_length=5000)


class LoanEventIn(BaseModel):
    type: Action
    months: int | None = Field(None, ge=1, le=120, description="extend: months added to maturity (default 6)")


class AdvanceIn(BaseModel):
    days: int = Field(1, ge=1, le=31, description="business days to close")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("bank_sim", fmt=settings.log_format, level=settings.log_level)
    bank = Bank(Behaviour(settings.failure_rate, settings.unavailable_rate, settings.latency_ms,
                          settings.return_rate, settings.duplicate_rate, settings.late_rate, settings.lump_rate,
                          settings.lost_answer_rate),
                seed=settings.seed, journal=settings.journal, statements_dir=settings.statements_dir,
                account=Account(settings.account, settings.opening_balance_fen), start=settings.business_date,
                loan_terms=LoanTerms(BankConventions(day_count=settings.day_count, interest_day=settings.interest_day),
                                     settings.loan_rate_bp, settings.penalty_percent),
                loan_behaviour=LoanBehaviour(**settings.model_dump(include=LOAN_BEHAVIOUR)))
    app = FastAPI(title="Siji bank simulator")
    app.state.settings = settings

    @app.post("/v1/payment-batches")
    async def payment_batch(request: Request) -> Response:
        """One pain.001 in, its pain.002 out. The latency comes after booking, so an answer lost on the
        way back (a time-out, a crash) is what the payer must ride out with the same message."""
        if bank.outage_now():
            raise HTTPException(503, "the bank is temporarily unavailable")
        body = await request.body()
        try:
            received = parse_pain001(body)
        except MessageInvalid as exc:
            raise HTTPException(400, str(exc)) from exc
        try:
            report, first = bank.receive(received, digest=hashlib.sha256(body).hexdigest())
        except ConflictingMessage as exc:
            raise HTTPException(409, str(exc)) from exc
        if bank.behaviour.latency_ms:
            await asyncio.sleep(bank.behaviour.latency_ms / 1000)
        if first and bank.answer_lost_now():  # booked, but the payer never hears: it sends the same message again
            raise HTTPException(504, "the bank's answer was lost on the way back")
        return Response(build_pain002(report), media_type=XML)

    @app.get("/v1/statement")
    async def statement() -> dict:
        """The credit transfers the bank booked, for reconciliation. No accounts shown."""
        entries = [{"instruction_id": b.instruction_id, "bank_reference": b.bank_reference,
                    "amount_fen": b.amount_fen, "booked_at": b.processed_at} for b in bank.settled()]
        return {"entries": entries, "count": len(entries), "total_fen": sum(e["amount_fen"] for e in entries)}

    @app.get("/v1/business-date")
    async def business_date() -> dict:
        return {"business_date": bank.day.business_date.isoformat(), "closed_days": bank.closed_days(),
                "account": bank.account.number}

    @app.get("/v1/statements/{day}")
    async def statement_of(day: date) -> Response:
        """A closed business day's camt.053 statement (404 for a day not closed)."""
        return Response(bank.statement(day), media_type=XML)

    @app.get("/v1/notifications/{day}")
    async def notification_of(day: date) -> Response:
        """A closed business day's camt.054: the lines of the batches booked as one lump debit."""
        return Response(bank.notification(day), media_type=XML)

    @app.post("/admin/business-date/advance")
    async def advance(body: AdvanceIn) -> dict:
        """Close the business day (or several): each gets its statement, and the date moves on."""
        closed = bank.close_days(body.days)
        return {"closed": [d.isoformat() for d in closed], "business_date": bank.day.business_date.isoformat()}

    @app.post("/v1/loans")
    async def apply_for_loans(body: LoansIn) -> dict:
        """Each application is decided once, on the business date: disbursed, or declined with a reason; the
        same application again is answered as the first time."""
        applications = [Application(**{**a.model_dump(), "application_id": str(a.application_id)})
                        for a in body.applications]
        decisions = bank.loans.lend(applications, bank.day.business_date)
        return {"loans": [asdict(d) for d in decisions]}

    @app.get("/v1/loan-events")
    async def loan_events(after: int = Query(0, ge=0), limit: int = Query(1000, ge=1, le=5000)) -> dict:
        """The loans' events after `after`, in order; `last_seq` is the `after` to ask with next, `newest_seq`
        the feed's newest event (how far behind the reader is)."""
        events = bank.loans.feed(after, limit)
        return {"events": events, "last_seq": events[-1]["seq"] if events else after,
                "newest_seq": bank.loans.newest_seq()}

    @app.get("/v1/loans/{loan_id}")
    async def loan(loan_id: str) -> dict:
        return bank.loans.view(loan_id)

    @app.post("/admin/loans/{loan_id}/events")
    async def loan_event(loan_id: str, body: LoanEventIn) -> dict:
        """What happens to a loan, for tests: an early repayment or a default now, the next period overdue,
        an extension."""
        bank.loans.act(loan_id, body.type, body.months, bank.day.business_date)
        return bank.loans.view(loan_id)

    @app.get("/v1/stats")
    async def stats() -> dict:
        return bank.stats()

    @app.put("/admin/behaviour")
    async def set_behaviour(body: BehaviourIn) -> dict:
        bank.behaviour = Behaviour(**body.model_dump(exclude=LOAN_BEHAVIOUR))
        bank.loans.behaviour = LoanBehaviour(**body.model_dump(include=LOAN_BEHAVIOUR))
        return body.model_dump()

    install_error_handlers(app, {DayNotClosed: 404, CalendarUnknown: 409, LoanUnknown: 404, LoanActionRefused: 409})

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    return app
