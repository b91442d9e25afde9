"""The audit service's continuous watch: its consumers record the facts the invariants need (one
statement per kind of fact per batch), and a sweep (one leader per schema) checks every invariant over
them in one statement, raising each new finding once as audit.finding with the events that prove it."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
import structlog

from contracts import Envelope, new_envelope
from contracts.audit import AuditFindingV1
from siji_shared.db import load_queries

Q = load_queries(Path(__file__).parent / "sql" / "queries.sql")
log = structlog.get_logger(__name__)


def _columns(rows: list[tuple]) -> list[list]:
    return [list(c) for c in zip(*rows, strict=True)]


async def entitlements(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """case.approved and subsidy.due: what may be paid, and how much."""
    rows = [(e.payload.case_id, e.payload.campaign, e.payload.amount_fen, getattr(e.payload, "loan_id", None),
             getattr(e.payload, "period_end", None), e.event_id) for e in envelopes]
    await conn.execute(Q["record_entitlements"], *_columns(rows))
    return []


async def settlements(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    rows = [(e.payload.payment_id, e.payload.case_id, e.payload.campaign, e.payload.amount_fen, e.event_id)
            for e in envelopes]
    await conn.execute(Q["record_settlements"], *_columns(rows))
    return []


async def returns(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    await conn.execute(Q["record_returns"], [e.payload.payment_id for e in envelopes])
    return []


async def budgets(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    await conn.execute(Q["record_budgets"], *_columns([(e.payload.campaign, e.payload.total_fen) for e in envelopes]))
    return []


async def forfeits(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    await conn.execute(Q["record_forfeits"], *_columns([(e.payload.loan_id, e.payload.period_end, e.event_id)
                                                        for e in envelopes]))
    return []


async def registrations(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    await conn.execute(Q["record_registrations"], *_columns([(e.payload.campaign, e.payload.worker_ref)
                                                             for e in envelopes]))
    return []


async def handouts(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    await conn.execute(Q["record_handouts"], *_columns([(e.payload.handout_id, e.payload.campaign,
                                                         e.payload.worker_ref, e.event_id) for e in envelopes]))
    return []


async def over_issues(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    await conn.execute(Q["record_over_issues"], *_columns([(e.payload.handout_id, e.payload.campaign,
                                                            e.payload.worker_ref, e.event_id) for e in envelopes]))
    return []


LATE_COMMIT = timedelta(seconds=15)  # how much earlier than the last cutoff the next sweep looks again
WHOLE_SWEEP_SECONDS = 600.0  # and how often it looks at the whole history, as the backstop for what
#                              committed later still (a fact is stamped when its transaction starts)


class Sweeper:
    """The leader's sweeps: the first looks at the whole history, the next ones at what was seen since
    the cutoff before (less LATE_COMMIT), and one in WHOLE_SWEEP_SECONDS at the whole history again, so a
    sweep's cost follows what is happening now, not all that ever happened."""

    def __init__(self, grace: timedelta) -> None:
        self.grace = grace
        self.since: datetime | None = None
        self.whole_due = 0.0  # due at once: the first sweep is whole

    async def sweep(self, conn: asyncpg.Connection) -> list[Envelope]:
        whole = time.monotonic() >= self.whole_due
        cutoff: datetime = await conn.fetchval("SELECT now() - $1::interval", self.grace)
        events = await sweep(conn, cutoff=cutoff, since=None if whole else self.since)
        if whole:
            self.whole_due = time.monotonic() + WHOLE_SWEEP_SECONDS
        self.since = cutoff - LATE_COMMIT
        return events


async def sweep(conn: asyncpg.Connection, *, cutoff: datetime, since: datetime | None) -> list[Envelope]:
    """Every invariant over the facts seen before `cutoff`, looking at those seen since `since` (None: all)."""
    found = await conn.fetch(Q["sweep"], cutoff, since or datetime.min.replace(tzinfo=UTC))
    for r in found:
        log.warning("audit finding", kind=r["kind"], subject=r["subject"], campaign=r["campaign"])
    return [new_envelope(AuditFindingV1(finding_id=r["finding_id"], kind=r["kind"], subject=r["subject"],
                                        campaign=r["campaign"], detail=r["detail"], evidence=tuple(r["evidence"])),
                         producer="audit") for r in found]


async def findings(conn: asyncpg.Connection, *, campaign: str | None, limit: int) -> list[dict]:
    return [{**dict(r), "finding_id": str(r["finding_id"]), "evidence": [str(x) for x in r["evidence"]],
             "found_at": r["found_at"].isoformat()} for r in await conn.fetch(Q["findings"], campaign, limit)]
