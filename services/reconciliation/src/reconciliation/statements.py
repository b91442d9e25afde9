"""The bank's statements, fetched: one leader per schema asks the bank which business days it has
closed, takes each statement not yet taken (in order, one transaction each; classified once, with the
last: a bank that closed many days at once is not classified day by day),
and re-classifies when disbursement has reported something new: at most every
RECONCILIATION_RECLASSIFY_SECONDS while a campaign's payments flow, and never before there is a
statement to match them to."""

from __future__ import annotations

import time
from datetime import date

import httpx
import structlog

from reconciliation import repository as repo
from reconciliation import service
from reconciliation.bootstrap import Reconciliation
from siji_shared import outbox
from siji_shared.leader import run_as_schema_leader

log = structlog.get_logger(__name__)


class StatementFetcher:
    def __init__(self, container: Reconciliation) -> None:
        self.c = container
        self.classified_at: tuple | None = None  # what the last classification saw, and when
        self.classified_when = 0.0

    async def run(self) -> None:
        await run_as_schema_leader(self.c.pool, job="statements", step=self.step,
                                   poll_seconds=self.c.settings.statement_poll_seconds)

    async def step(self) -> bool:
        """Take the statements of days the bank has closed since; then classify. False: wait for the next poll."""
        grace = self.c.settings.grace_business_days
        days = await self._new_days()
        for day in days:
            answer = await self.c.bank.get(f"/v1/statements/{day.isoformat()}")
            answer.raise_for_status()
            lumps = await self.c.bank.get(f"/v1/notifications/{day.isoformat()}")  # 404: no lump debit that day
            if lumps.status_code != 404:
                lumps.raise_for_status()
            async with self.c.pool.acquire() as conn, conn.transaction():
                done = await service.take_statement(conn, answer.content, source="bank", grace=grace,
                                                    notification=lumps.content if lumps.status_code == 200 else None,
                                                    classify_now=day == days[-1])
                await outbox.stage(conn, done.events)
        async with self.c.pool.acquire() as conn, conn.transaction():
            mark = await repo.change_mark(conn)
            due = time.monotonic() - self.classified_when >= self.c.settings.reclassify_seconds
            if mark != self.classified_at and mark[1] and due:  # a taken statement classified at once, above
                await outbox.stage(conn, (await service.classify(conn, grace=grace)).events)
                self.classified_at, self.classified_when = mark, time.monotonic()
        return False

    async def _new_days(self) -> list[date]:
        try:
            answer = await self.c.bank.get("/v1/business-date")
            answer.raise_for_status()
        except httpx.HTTPError as exc:
            log.warning("the bank's statements are out of reach; trying again", error=repr(exc))
            return []
        async with self.c.pool.acquire() as conn:
            taken = set(await repo.statement_days(conn))
        return [day for day in map(date.fromisoformat, answer.json()["closed_days"]) if day not in taken]
