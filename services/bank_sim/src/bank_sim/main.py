"""create_app(): the bank simulator's HTTP API: payment batches in (pain.001), status reports out
(pain.002), the day's statement, and the behaviour tests set (failure, outage, latency)."""

from __future__ import annotations

import asyncio
import hashlib

from fastapi import FastAPI, HTTPException, Request, Response
from pydantic import BaseModel, Field

from bank_sim.bank import Bank, Behaviour, ConflictingMessage
from bank_sim.config import Settings
from siji_shared.iso20022 import MessageInvalid, build_pain002, parse_pain001
from siji_shared.logging import configure_logging

XML = "application/xml"


class BehaviourIn(BaseModel):
    failure_rate: float = Field(ge=0, le=1)
    unavailable_rate: float = Field(ge=0, le=1)
    latency_ms: int = Field(ge=0, le=60000)


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    configure_logging("bank_sim", fmt=settings.log_format, level=settings.log_level)
    bank = Bank(Behaviour(settings.failure_rate, settings.unavailable_rate, settings.latency_ms),
                seed=settings.seed, journal=settings.journal)
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

    @app.get("/v1/stats")
    async def stats() -> dict:
        return bank.stats()

    @app.put("/admin/behaviour")
    async def set_behaviour(body: BehaviourIn) -> dict:
        bank.behaviour = Behaviour(**body.model_dump())
        return body.model_dump()

    @app.get("/health")
    async def health() -> dict:
        return {"status": "ok"}

    return app
