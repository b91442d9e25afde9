"""Loading rule set documents into the service, listing them and diffing two versions. A loaded
version is immutable (a trigger refuses changes): loading the same document again does nothing, and a
different document under a loaded version number is refused, so a past decision always re-derives.
A rule set keeps its kind (programme, hardship standards, loan programme, registration programme) across
its versions, and each is looked up by its kind, so a member case never reads a loan or registration
programme, nor a loan or a registration a member programme."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import structlog

from eligibility import repository as repo
from eligibility.policy import POLICY_DIR, Document, canonical, content_sha256, diff, read_dir

log = structlog.get_logger(__name__)


class VersionConflict(ValueError):
    """A document claims a version number that is loaded with different content, or another kind of
    document than its rule set's."""


@dataclass(frozen=True)
class Loaded:
    rule_set_id: str
    version: int
    status: str  # "loaded" or "unchanged"
    source: str

    def as_json(self) -> dict[str, Any]:
        return vars(self)


async def load(conn: asyncpg.Connection, documents: list[tuple[str, Document]], *,
               loaded_by: str) -> list[Loaded]:
    """Load each document not yet loaded; all or none (the caller's transaction)."""
    kinds = await repo.rule_set_kinds(conn, sorted({document.rule_set_id for _, document in documents}))
    done = []
    for source, document in documents:
        kind = kinds.setdefault(document.rule_set_id, document.kind)
        if kind != document.kind:
            raise VersionConflict(f"{source}: {document.rule_set_id} is a {kind} rule set; a {document.kind} "
                                  f"document cannot be a version of it: give it another programme name")
        sha = content_sha256(document)
        fresh = await repo.insert_rule_set(conn, document, rules_json=canonical(document), content_sha256=sha,
                                           source=source, loaded_by=loaded_by)
        if not fresh:
            existing = await repo.rule_set_version(conn, document.rule_set_id, document.version)
            if existing is None or existing["content_sha256"] != sha:
                raise VersionConflict(
                    f"{source}: {document.rule_set_id} v{document.version} is loaded already with other content; "
                    f"a loaded version never changes: give the new rules version {document.version + 1}")
        done.append(Loaded(document.rule_set_id, document.version, "loaded" if fresh else "unchanged", source))
    log.info("rule sets loaded", loaded=sum(d.status == "loaded" for d in done), documents=len(done), by=loaded_by)
    return done


async def load_shipped(pool: asyncpg.Pool, directory: Path = POLICY_DIR) -> int:
    """At start-up: every version shipped with the service that is not loaded yet (a fresh system gets
    them all; an upgraded one the new versions). A shipped document that differs from its loaded
    version stops the start, with the reason: a loaded version never changes."""
    async with pool.acquire() as conn, conn.transaction():
        await repo.count_rule_sets(conn, lock=True)  # locked: two replicas starting at once load once
        return sum(d.status == "loaded" for d in await load(conn, read_dir(directory), loaded_by="eligibility start-up"))


async def versions(conn: asyncpg.Connection, *, programme: str | None, region: str | None,
                   year: int | None) -> list[dict[str, Any]]:
    return [{**dict(r), "published_at": r["published_at"].isoformat()}
            for r in await repo.list_rule_sets(conn, programme=programme, region=region, year=year)]


async def version(conn: asyncpg.Connection, rule_set_id: str, number: int) -> dict[str, Any] | None:
    row = await repo.rule_set_version(conn, rule_set_id, number)
    if row is None:
        return None
    return {**dict(row), "rules": json.loads(row["rules"]), "published_at": row["published_at"].isoformat()}


async def compare(conn: asyncpg.Connection, rule_set_id: str, old: int, new: int) -> dict[str, Any] | None:
    before, after = await version(conn, rule_set_id, old), await version(conn, rule_set_id, new)
    if before is None or after is None:
        return None
    return {"rule_set_id": rule_set_id, "from": old, "to": new, "changes": diff(before["rules"], after["rules"])}
