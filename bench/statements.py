"""Where a stage's PostgreSQL time went, from pg_stat_statements: the statements that took the most
execution time between two stage boundaries (the view is reset at each), with their calls and rows.
Execution time is wall time inside PostgreSQL, waits for locks and for a core included; with
`bench/cpu.py` it tells which statement to look at first. Empty where the server was started without
the module (an external PostgreSQL), so the bench still runs."""

from __future__ import annotations

import re
from typing import Any

import asyncpg

TOP = 8

_TOP_STATEMENTS = """
SELECT query, sum(calls)::bigint AS calls, sum(rows)::bigint AS rows, round(sum(total_exec_time))::bigint AS ms
FROM pg_stat_statements
GROUP BY query ORDER BY ms DESC LIMIT $1
"""


class Statements:
    """Takes each stage's top statements; `start` once, then `take` at every stage boundary."""

    def __init__(self, database_url: str) -> None:
        self.database_url = database_url
        self.conn: asyncpg.Connection | None = None

    async def start(self) -> None:
        conn = await asyncpg.connect(self.database_url)
        try:
            await conn.execute("CREATE EXTENSION IF NOT EXISTS pg_stat_statements")
            await conn.execute("SELECT pg_stat_statements_reset()")
        except asyncpg.PostgresError:
            await conn.close()
            return
        self.conn = conn

    async def take(self) -> list[dict[str, Any]]:
        """The top statements since the last take (one row per statement text: the services' schemas each
        have their own copy of the runtime's statements), then a fresh start."""
        if self.conn is None:
            return []
        rows = await self.conn.fetch(_TOP_STATEMENTS, TOP)
        await self.conn.execute("SELECT pg_stat_statements_reset()")
        return [{"query": _one_line(r["query"]), "calls": r["calls"], "rows": r["rows"], "ms": r["ms"]} for r in rows]

    async def stop(self) -> None:
        if self.conn is not None:
            await self.conn.close()


def _one_line(sql: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"--[^\n]*", " ", sql)).strip()
