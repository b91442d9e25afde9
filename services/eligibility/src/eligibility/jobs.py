"""Eligibility's own schedule: the rule set versions shipped with the service and not loaded yet, and hardship
files expired on time (one leader per schema, however many replicas run)."""

from __future__ import annotations

from collections.abc import Coroutine
from datetime import UTC, date, datetime
from typing import Any

import structlog

from eligibility import policies, service
from eligibility.bootstrap import Eligibility
from siji_shared import outbox
from siji_shared.leader import run_as_schema_leader

log = structlog.get_logger(__name__)


async def on_start(c: Eligibility) -> None:
    loaded = await policies.load_shipped(c.pool)
    if loaded:
        log.info("the shipped rule sets not loaded yet are loaded", rule_sets=loaded)


def background(c: Eligibility) -> list[Coroutine[Any, Any, None]]:
    return [expiry(c)]


async def expiry(c: Eligibility) -> None:
    await run_as_schema_leader(c.pool, job="expiry", step=lambda: expire_due(c),
                               poll_seconds=c.settings.expiry_interval_seconds)


async def expire_due(c: Eligibility, today: date | None = None) -> bool:
    """One round of expiry, in its own transaction with its events; True when more may be due."""
    async with c.pool.acquire() as conn, conn.transaction():
        done = await service.expire_hardship_files(conn, today=today or datetime.now(UTC).date(),
                                                   limit=c.settings.expiry_batch_size)
        await outbox.stage(conn, done.events)
    return done.body == c.settings.expiry_batch_size
