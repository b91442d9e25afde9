"""Inbox: claim event ids in the consumer's transaction; a claimed id is never processed again."""

from __future__ import annotations

import asyncpg

from contracts.envelope import Envelope


async def claim(conn: asyncpg.Connection, envelopes: list[Envelope]) -> list[Envelope]:
    """Record the events' ids; return only those not seen before, in their original order."""
    if not envelopes:
        return []
    rows = await conn.fetch(
        "INSERT INTO inbox (event_id, event_type) SELECT * FROM unnest($1::uuid[], $2::text[]) "
        "ON CONFLICT (event_id) DO NOTHING RETURNING event_id",
        [e.event_id for e in envelopes], [e.event_type for e in envelopes],
    )
    new = {row["event_id"] for row in rows}
    return [e for e in envelopes if e.event_id in new]
