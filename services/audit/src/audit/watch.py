"""The audit service's continuous watch: its consumers record the facts the invariants need (one
statement per kind of fact per batch), and a sweep (one leader per schema) checks every invariant over
them in one statement, raising each new finding once as audit.finding with the events that prove it."""

from __future__ import annotations

from datetime import timedelta
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


async def sweep(conn: asyncpg.Connection, *, grace: timedelta) -> list[Envelope]:
    found = await conn.fetch(Q["sweep"], grace)
    for r in found:
        log.warning("audit finding", kind=r["kind"], subject=r["subject"], campaign=r["campaign"])
    return [new_envelope(AuditFindingV1(finding_id=r["finding_id"], kind=r["kind"], subject=r["subject"],
                                        campaign=r["campaign"], detail=r["detail"], evidence=tuple(r["evidence"])),
                         producer="audit") for r in found]


async def findings(conn: asyncpg.Connection, *, campaign: str | None, limit: int) -> list[dict]:
    return [{**dict(r), "finding_id": str(r["finding_id"]), "evidence": [str(x) for x in r["evidence"]],
             "found_at": r["found_at"].isoformat()} for r in await conn.fetch(Q["findings"], campaign, limit)]
