"""HTTP plumbing shared by the services: clear 4xx errors, idempotent writes, and the server entry point."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import uvicorn
from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from siji_shared import idempotency
from siji_shared.auth import Principal
from siji_shared.pii import InvalidNationalId


def install_error_handlers(app: FastAPI, statuses: dict[type[Exception], int]) -> None:
    """Map domain exceptions to HTTP statuses with their message as the reason. Validation errors
    never echo the submitted input back, since it may hold personal data."""

    async def invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [{"field": ".".join(str(p) for p in e["loc"]), "reason": e["msg"]} for e in exc.errors()]
        return JSONResponse({"detail": "invalid request", "errors": errors}, status_code=422)

    app.add_exception_handler(RequestValidationError, invalid_request)
    for exc_type, status in {InvalidNationalId: 422, **statuses}.items():
        app.add_exception_handler(exc_type, _as_status(status))


def _as_status(status: int):
    async def handler(_request: Request, exc: Exception) -> JSONResponse:
        return JSONResponse({"detail": str(exc)}, status_code=status)

    return handler


async def idempotent(pool: asyncpg.Pool, who: Principal, *, key: str, request: Any, success_status: int,
                     effect: Callable[[asyncpg.Connection], Awaitable[dict]]) -> JSONResponse:
    """Run `effect` in one transaction with the stored Idempotency-Key, or replay the stored response."""

    async def run(conn: asyncpg.Connection) -> idempotency.Outcome:
        return success_status, jsonable_encoder(await effect(conn))

    async with pool.acquire() as conn, conn.transaction():
        status, body = await idempotency.once(conn, actor=who.user, key=key,
                                              fingerprint=idempotency.request_fingerprint(request),
                                              effect=lambda: run(conn))
    return JSONResponse(body, status_code=status)


def serve(create_app: Callable[[], FastAPI]) -> None:
    app = create_app()
    settings = app.state.settings
    uvicorn.run(app, host=settings.http_host, port=settings.http_port, log_level="warning", access_log=False,
                loop="uvloop", http="httptools", timeout_graceful_shutdown=15)
