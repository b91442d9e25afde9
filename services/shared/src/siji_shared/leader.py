"""Single-leader background loops: one per schema and job, woken by NOTIFY, polling as a fallback."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import asyncpg
import structlog

from siji_shared.errors import is_transient

log = structlog.get_logger(__name__)


async def run_as_leader(pool: asyncpg.Pool, *, name: str, channel: str, step: Callable[[], Awaitable[bool]],
                        poll_seconds: float) -> None:
    """Hold an advisory lock named `name` for as long as this runs, then call `step` until it reports
    nothing left (False), and sleep until NOTIFY on `channel` or `poll_seconds` pass."""
    wake = asyncio.Event()

    def on_notify(*_: object) -> None:
        wake.set()

    listener = await pool.acquire()
    try:
        await listener.execute("SELECT pg_advisory_lock(hashtext($1))", name)
        await listener.add_listener(channel, on_notify)
        log.info("leader loop started", loop=name)
        while True:
            wake.clear()
            try:
                while await step():
                    pass
            except Exception as exc:
                if not is_transient(exc):
                    log.exception("leader loop step failed", loop=name)
                else:
                    log.warning("leader loop retrying", loop=name, error=repr(exc))
                await asyncio.sleep(poll_seconds)
                continue
            try:
                await asyncio.wait_for(wake.wait(), timeout=poll_seconds)
            except TimeoutError:
                pass
    finally:
        await listener.remove_listener(channel, on_notify)
        await pool.release(listener, timeout=5)  # the pool's reset also drops the advisory lock


async def run_as_schema_leader(pool: asyncpg.Pool, *, job: str, step: Callable[[], Awaitable[bool]],
                               poll_seconds: float) -> None:
    """`run_as_leader` for a job of the pool's schema: one leader per schema and job (the advisory lock is
    database-wide, and services, or tests, share a database); woken by NOTIFY on `<schema>_<job>`."""
    async with pool.acquire() as conn:
        schema = await conn.fetchval("SELECT current_schema()")
    await run_as_leader(pool, name=f"siji-{job}:{schema}", channel=f"{schema}_{job}", step=step,
                        poll_seconds=poll_seconds)
