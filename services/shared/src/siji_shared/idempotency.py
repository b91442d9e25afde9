"""HTTP Idempotency-Key: the first response to (actor, key) is stored in the same transaction as the
effect and replayed for retries; the same key with a different request is refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from fastapi import HTTPException

Outcome = tuple[int, str]  # the status and the answer as JSON text, stored and replayed as it is


def request_fingerprint(body: Any) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, default=str).encode()).hexdigest()


async def once(conn: asyncpg.Connection, *, actor: str, key: str, fingerprint: str,
               effect: Callable[[], Awaitable[Outcome]]) -> Outcome:
    """Run `effect` once per (actor, key); call inside the transaction that holds the effect."""
    if not 1 <= len(key) <= 200:
        raise HTTPException(400, "Idempotency-Key must have 1 to 200 characters")
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"idem:{actor}:{key}")
    stored = await conn.fetchrow(
        "SELECT request_hash, status_code, response FROM idempotency_keys WHERE actor = $1 AND key = $2", actor, key
    )
    if stored:
        if stored["request_hash"] != fingerprint:
            raise HTTPException(422, "this Idempotency-Key was used for a different request")
        return stored["status_code"], stored["response"]
    status, response = await effect()
    await conn.execute(
        "INSERT INTO idempotency_keys (actor, key, request_hash, status_code, response) VALUES ($1, $2, $3, $4, $5)",
        actor, key, fingerprint, status, response,
    )
    return status, response
