"""asyncpg pools bound to one service's schema, and the forward-only migration runner."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable
from pathlib import Path
from typing import Any

import asyncpg

RUNTIME_MIGRATIONS = Path(__file__).parent / "migrations"
_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


def quoted_schema(schema: str) -> str:
    if not _IDENTIFIER.match(schema):
        raise ValueError(f"not a schema name: {schema!r}")
    return f'"{schema}"'


async def create_pool(database_url: str, schema: str, *, size: int = 10) -> asyncpg.Pool:
    """Every connection's search_path is the service's own schema, so SQL names no schema.

    Statements are planned for their actual parameters every time (`force_custom_plan`): set-based steps
    take arrays whose length the generic plan of a prepared statement cannot know, and PostgreSQL's
    generic plan for settling a batch scanned every instructed payment once per line of the batch."""
    quoted_schema(schema)
    return await asyncpg.create_pool(database_url, min_size=1, max_size=size,
                                     server_settings={"search_path": schema, "application_name": schema,
                                                      "plan_cache_mode": "force_custom_plan"})


async def together(*work: Awaitable[Any]) -> list[Any]:
    """The results of `work` run at once: one's statements run in PostgreSQL while another computes (or
    runs statements on its own connection). The first failure stops the rest, which end before it is
    raised as it is (so a connection is never left in the middle of a statement)."""
    running = [asyncio.ensure_future(w) for w in work]
    try:
        return await asyncio.gather(*running)
    finally:
        for task in running:
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)


async def migrate(database_url: str, schema: str, migrations_dir: Path) -> list[str]:
    """Apply the shared runtime's migrations, then the service's, each once, in name order."""
    conn = await asyncpg.connect(database_url)
    applied: list[str] = []
    try:
        async with conn.transaction():
            await conn.execute("SELECT pg_advisory_xact_lock(hashtext($1))", f"siji-migrate:{schema}")
            await conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quoted_schema(schema)}")
            await conn.execute(f"SET LOCAL search_path TO {quoted_schema(schema)}")
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations "
                "(name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
            )
            done = {r["name"] for r in await conn.fetch("SELECT name FROM schema_migrations")}
            for label, folder in (("runtime", RUNTIME_MIGRATIONS), ("service", migrations_dir)):
                for path in sorted(folder.glob("*.sql")):
                    name = f"{label}/{path.name}"
                    if name in done:
                        continue
                    await conn.execute(path.read_text())
                    await conn.execute("INSERT INTO schema_migrations (name) VALUES ($1)", name)
                    applied.append(name)
    finally:
        await conn.close()
    return applied


def load_queries(path: Path) -> dict[str, str]:
    """Named queries from a .sql file: each starts with a line `-- name: <query_name>`."""
    queries: dict[str, str] = {}
    name = None
    for line in path.read_text().splitlines():
        if line.startswith("-- name:"):
            name = line.removeprefix("-- name:").strip()
            queries[name] = ""
        elif name:
            queries[name] += line + "\n"
    return {key: value.strip() for key, value in queries.items()}
