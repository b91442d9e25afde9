"""Transactional outbox: `stage` writes events in the caller's transaction; `OutboxRelay` publishes them.

Gap-safe: the relay never keeps a high-water mark. The outbox holds only what is still to be sent; the
relay sends its rows in id order and deletes them once Kafka has acknowledged them, so a transaction
that commits late (with a lower id) is still picked up. Per-key order holds because every state change
locks its aggregate row before staging, so one aggregate's events get ids in commit order, and one relay
per schema (an advisory lock) sends them through an idempotent producer. A crash between send and delete
re-sends rows; consumers' inboxes drop the duplicates. Kafka keeps what was sent. While idle, the relay
purges the schema's inbox claims older than their retention (default 30 days: longer than Kafka keeps
the events, so a redelivery always finds its claim; a dead letter re-driven later than that relies on the
domain's own keys, such as one payment per case).
"""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from collections.abc import Iterable
from datetime import timedelta

import asyncpg
from aiokafka import AIOKafkaProducer

from contracts.envelope import Envelope, encode
from siji_shared import metrics
from siji_shared.kafka import KafkaConnection, KeyPartitioner, RenewingProducer, event_headers, send_batches
from siji_shared.leader import run_as_leader
from siji_shared.tracing import TRACEPARENT, current_traceparent

PURGE_EVERY_SECONDS = 300.0


async def stage(conn: asyncpg.Connection, envelopes: Iterable[Envelope]) -> None:
    """One insert for all the events, in their order (ids follow it, so the relay keeps it)."""
    envelopes = list(envelopes)
    if envelopes:
        await conn.execute(
            "INSERT INTO outbox (event_id, event_type, topic, key, body, campaign, traceparent) "
            "SELECT event_id, event_type, topic, key, body, campaign, $7 "
            "FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::bytea[], $6::text[]) WITH ORDINALITY "
            "AS t(event_id, event_type, topic, key, body, campaign, n) ORDER BY n",
            [e.event_id for e in envelopes], [e.event_type for e in envelopes], [e.topic.value for e in envelopes],
            [e.key for e in envelopes], [encode(e) for e in envelopes], [e.campaign for e in envelopes],
            current_traceparent(),
        )


class OutboxRelay:
    def __init__(self, pool: asyncpg.Pool, *, schema: str, kafka: KafkaConnection, batch_size: int = 1000,
                 poll_seconds: float = 1.0, inbox_retention: timedelta = timedelta(days=30)) -> None:
        self.pool = pool
        self.schema = schema
        self.batch_size = batch_size
        self.poll_seconds = poll_seconds
        self.inbox_retention = inbox_retention
        self.purge_chunk = batch_size * 10
        self._next_purge = 0.0
        self.published = 0
        self._producer = RenewingProducer(kafka, client_id=f"{schema}-outbox")
        self._partitioner = KeyPartitioner()

    async def run(self) -> None:
        """Become the schema's single relay, then publish whenever woken (NOTIFY) or every poll interval."""
        await self._producer.start()
        try:
            await run_as_leader(self.pool, name=f"siji-outbox-relay:{self.schema}", channel=f"{self.schema}_outbox",
                                step=self.publish_pending, poll_seconds=self.poll_seconds)
        finally:
            await self._producer.stop()

    async def publish_pending(self) -> bool:
        """Publish one batch of the outbox's rows and delete them; True if a full batch went (more may be waiting)."""
        async with self.pool.acquire() as conn:
            rows = await conn.fetch(
                "SELECT id, event_type, topic, key, body, campaign, traceparent FROM outbox ORDER BY id LIMIT $1",
                self.batch_size,
            )
            if not rows:
                if time.monotonic() >= self._next_purge:
                    purged = await self.purge_inbox(conn)
                    self._next_purge = time.monotonic() + (0 if purged == self.purge_chunk else PURGE_EVERY_SECONDS)
                return False
            await self._producer.deliver(lambda producer: self._send(producer, rows))
            await conn.execute("DELETE FROM outbox WHERE id = ANY($1::bigint[])", [row["id"] for row in rows])
        self.published += len(rows)
        metrics.count_published(rows)
        return len(rows) == self.batch_size

    async def _send(self, producer: AIOKafkaProducer, rows: list[asyncpg.Record]) -> None:
        """Hand the rows to the producer as record batches, per partition in id order, in the partition the
        producer's partitioner gives their keys, and await their delivery. Sent one by one, the producer's
        per-message work was most of the relay's CPU."""
        partitions = {topic: sorted(await producer.partitions_for(topic)) for topic in {row["topic"] for row in rows}}
        by_partition: dict[tuple[str, int], list[tuple[bytes, bytes, list[tuple[str, bytes]]]]] = defaultdict(list)
        for row in rows:
            key, of_topic = row["key"].encode(), partitions[row["topic"]]
            headers = [*event_headers(row["event_type"], row["campaign"]),
                       *(((TRACEPARENT, row["traceparent"].encode()),) if row["traceparent"] else ())]
            by_partition[row["topic"], self._partitioner(key, of_topic, of_topic)].append((key, row["body"], headers))
        await asyncio.gather(*[delivery for (topic, partition), records in by_partition.items()
                               for delivery in await send_batches(producer, topic, partition, records)])

    async def purge_inbox(self, conn: asyncpg.Connection) -> int:
        """Forget inbox claims older than the inbox retention. Bounded per call; an idle relay calls it every few
        minutes, sooner while full chunks go."""
        deleted = await conn.execute(
            "DELETE FROM inbox WHERE ctid IN (SELECT ctid FROM inbox WHERE received_at < now() - $1::interval "
            "LIMIT $2)", self.inbox_retention, self.purge_chunk)
        return int(deleted.split()[-1])
