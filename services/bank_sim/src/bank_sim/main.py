"""create_app(): the bank simulator's HTTP API: payment batches in (pain.001), status reports out
(pain.002), its business date and each closed day's camt.053 statement, and the behaviour tests set
(failure, outage, latency, returns, duplicates, late bookings)."""

from __future__ import annotations

import asyncio
import hashlib
from datetime import date

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field

from bank_sim.bank import Account, Bank, Behaviour, ConflictingMessage, DayNotClosed
from bank_sim.calendar import CalendarUnknown
from bank_sim.config import Settings
from siji_shared.http import install_error_handlers
from siji_shared.iso20022 import MessageInvalid, build_pain002, parse_pain001
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


class AdvanceIn(BaseModel):
    days: int = Field(1, ge=1, le=31, description="business days to close")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("bank_sim", fmt=settings.log_format, level=settings.log_level)
    bank = Bank(Behaviour(settings.failure_rate, settings.unavailable_rate, settings.latency_ms,
                          settings.return_rate, settings.duplicate_rate, settings.late_rate, settings.lump_rate),
                seed=settings.seed, journal=settings.journal, statements_dir=settings.statements_dir,
                account=Account(settings.account, settings.opening_balance_fen), start=settings.business_date)
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
            report = bank.receive(received, digest=hashlib.sha256(body).hexdigest())
        except ConflictingMessage as exc:
            raise HTTPException(409, str(exc)) from exc
        if bank.behaviour.latency_ms:
            await asyncio.sleep(bank.behaviour.latency_ms / 1000)
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

    @app.get("/v1/stats")
    async def stats() -> dict:
        return bank.stats()

    @app.put("/admin/behaviour")
    async def set_behaviour(body: BehaviourIn) -> dict:
        bank.behaviour = Behaviour(**body.model_dump())
        return body.model_dump()

    install_error_handlers(app, {DayNotClosed: 404, CalendarUnknown: 409})

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    return app
