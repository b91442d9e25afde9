"""Inbox: claim event ids per consumer group in the consumer's transaction; a claimed id is never
processed again by that group."""

from __future__ import annotations

import asyncpg

from contracts.envelope import Envelope


async def claim(conn: asyncpg.Connection, group: str, envelopes: list[Envelope]) -> list[Envelope]:
    """Record the events' ids for `group`; return only those it has not
    seen before (each once), in their original order."""
    envelopes = list({e.event_id: e for e in envelopes}.values())
    if not envelopes:
        return []
    rows = await conn.fetch(
        "INSERT INTO inbox (consumer_group, event_id, event_type) "
        "SELECT $1, * FROM unnest($2::uuid[], $3::text[]) ON CONFLICT DO NOTHING RETURNING event_id",
        group, [e.event_id for e in envelopes], [e.event_type for e in envelopes],
    )
    new = {row["event_id"] for row in rows}
    return [e for e in envelopes if e.event_id in new]
