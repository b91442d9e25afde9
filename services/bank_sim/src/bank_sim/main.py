"""create_app(): the bank simulator's HTTP API."""

from __future__ import annotations

import asyncio

from fastapi import FastAPI, HTTPException
from pydantic import BaseModel, Field

from bank_sim.bank import Bank, Behaviour, ConflictingInstruction
from bank_sim.config import Settings
from siji_shared.logging import configure_logging


class TransferIn(BaseModel):
    instruction_id: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(strict=True, gt=0)
    payee_account: str = Field(pattern=r"^[0-9]{12,30}$")
    payee_name: str = Field(min_length=1, max_length=100)


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
    app.state.bank = bank

    @app.post("/v1/transfers")
    async def transfer(body: TransferIn) -> dict:
        if bank.behaviour.latency_ms:
            await asyncio.sleep(bank.behaviour.latency_ms / 1000)
        if bank.outage_now():
            raise HTTPException(503, "the bank is temporarily unavailable")
        try:
            done = bank.execute(**body.model_dump())
        except ConflictingInstruction as exc:
            raise HTTPException(409, str(exc)) from exc
        return {"instruction_id": done.instruction_id, "status": done.status, "processed_at": done.processed_at,
                "bank_reference": done.bank_reference, "reason": done.reason}

    @app.get("/v1/transfers/{instruction_id}")
    async def show_transfer(instruction_id: str) -> dict:
        if instruction_id not in bank.transfers:
            raise HTTPException(404, f"no transfer {instruction_id}")
        found = bank.transfers[instruction_id]
        return {"instruction_id": found.instruction_id, "status": found.status, "amount_fen": found.amount_fen,
                "bank_reference": found.bank_reference, "reason": found.reason}

    @app.get("/v1/statement")
    async def statement() -> dict:
        """The day's credit transfers as the bank booked them, for reconciliation. Accounts shown masked."""
        entries = [{"instruction_id": t.instruction_id, "bank_reference": t.bank_reference,
                    "amount_fen": t.amount_fen, "booked_at": t.processed_at} for t in bank.settled()]
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
