"""HTTP plumbing shared by the services: clear 4xx errors, idempotent writes, and the server entry point."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from siji_shared import idempotency, outbox
from siji_shared.auth import Principal
from siji_shared.collector import tune_for_batches
from siji_shared.pii import InvalidNationalId
from siji_shared.usecase import Done


def install_error_handlers(app: FastAPI, statuses: dict[type[Exception], int]) -> None:
    """Map domain exceptions to HTTP statuses with their message as the reason. Validation errors
    never echo the submitted input back, since it may hold personal data."""

    async def invalid_request(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=422)

    async def out_of_range(_request: Request, exc: Exception) -> JSONResponse:
        """A value the request carried that the database cannot hold (a number beyond its column's range):
        the request's fault, said as such, not a 500."""
        return JSONResponse({"detail": "a value in the request is out of range for what can be stored"},
                            status_code=422)

    app.add_exception_handler(RequestValidationError, invalid_request)
    app.add_exception_handler(asyncpg.DataError, out_of_range)
    known: dict[type[Exception], int] = {InvalidNationalId: 422, **statuses}
    for exc_type, status in known.items():
        app.add_exception_handler(exc_type, _as_status(status))


def _as_status(status: int):
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


async def idempotent(request: Request, pool: asyncpg.Pool, who: Principal, *, key: str, body: Any,
                     success_status: int, effect: Callable[[asyncpg.Connection], Awaitable[Done]]) -> Response:
    """Run `effect` and stage the events it returns in one transaction with the stored Idempotency-Key,
    or replay the stored response. The key's fingerprint is the route and the request body. The answer
    is rendered to JSON once, stored and sent as it is (a batch approval's answer names every case)."""

    async def run(conn: asyncpg.Connection) -> idempotency.Outcome:
        done = await effect(conn)
        await outbox.stage(conn, done.events)
        return success_status, json.dumps(done.body, ensure_ascii=False, default=str)

    fingerprint = idempotency.request_fingerprint([request.method, request.url.path, body])
    async with pool.acquire() as conn, conn.transaction():
        status, answer = await idempotency.once(conn, actor=who.user, key=key, fingerprint=fingerprint,
                                                effect=lambda: run(conn))
    return Response(answer, status_code=status, media_type="application/json")


def serve(create_app: Callable[[], FastAPI]) -> None:
    app = create_app()
    tune_for_batches()
    settings = app.state.settings
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools", timeout_graceful_shutdown=15)
