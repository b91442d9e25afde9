"""`siji status`: each service at a glance: running and healthy, its consumer groups' lag per topic,
its outbox backlog and the age of its oldest unpublished event, and the dead letters waiting on the
topics it consumes."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from siji_cli.infra.access import CONSUMES
from siji_cli.services import Deployment
from siji_shared.kafka import KafkaConnection


async def service_status(deployment: Deployment, kafka: KafkaConnection, database_url: str) -> dict[str, Any]:
    ends = await end_offsets(kafka, sorted({t.value for topics in CONSUMES.values() for t in topics}
                                          | {t.dead_letter for topics in CONSUMES.values() for t in topics}))
    committed = await _committed(kafka, list(CONSUMES))
    backlog = await _outbox(database_url, list(CONSUMES))
    out: dict[str, Any] = {}
    async with httpx.AsyncClient(timeout=2.0) as http:
        for name, topics in CONSUMES.items():
            try:
                health = (await http.get(f"{deployment.url(name)}/health")).json().get("status", "?")
            except httpx.HTTPError:
                health = "down"
            lag = {t.value: sum(max(end - committed.get(name, {}).get(tp, 0), 0)
                                for tp, end in ends.items() if tp.topic == t.value) for t in topics}
            out[name] = {"health": health, "consumer_lag": lag,
                         "dead_letters": {t.dead_letter: sum(end for tp, end in ends.items() if tp.topic == t.dead_letter)
                                          for t in topics},
                         **backlog.get(name, {"outbox_backlog": None, "oldest_unpublished_seconds": None})}
    return out


async def end_offsets(kafka: KafkaConnection, topics: list[str]) -> dict[TopicPartition, int]:
    """Each partition's end offset: how many events it has held (the bench counts topics by it too)."""
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), enable_auto_commit=False)
    await consumer.start()
    try:
        partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        if not partitions:
            await consumer.topics()
            partitions = [TopicPartition(t, p) for t in topics for p in (consumer.partitions_for_topic(t) or ())]
        return dict(await consumer.end_offsets(partitions)) if partitions else {}
    finally:
        await consumer.stop()


async def _committed(kafka: KafkaConnection, groups: list[str]) -> dict[str, dict[TopicPartition, int]]:
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    await admin.start()
    try:
        return {group: {tp: meta.offset for tp, meta in (await admin.list_consumer_group_offsets(group)).items()}
                for group in groups}
    finally:
        await admin.close()


async def _outbox(database_url: str, schemas: list[str]) -> dict[str, dict[str, Any]]:
    conn = await asyncpg.connect(database_url)
    try:
        present = {r["nspname"] for r in await conn.fetch("SELECT nspname FROM pg_namespace")}
        out = {}
        for schema in (s for s in schemas if s in present):
            row = await conn.fetchrow(f'SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age '
                                      f'FROM "{schema}".outbox')
            out[schema] = {"outbox_backlog": row["n"], "oldest_unpublished_seconds": round(float(row["age"] or 0), 1)}
        return out
    finally:
        await conn.close()
