"""Kafka clients shared by the outbox relay and the dead-letter publisher, topic creation, and reading
a topic to its end (for dead-letter tools and the auditor's replay)."""

from __future__ import annotations

from contextlib import asynccontextmanager

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import TopicAlreadyExistsError
from aiokafka.structs import ConsumerRecord


def idempotent_producer(bootstrap_servers: str, *, client_id: str) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send never duplicates or reorders within a partition."""
    return AIOKafkaProducer(
        bootstrap_servers=bootstrap_servers,
        client_id=client_id,
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=30000,
    )


async def ensure_topics(bootstrap_servers: str, topics: list[str], *, partitions: int = 6) -> None:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        brokers = len((await admin.describe_cluster())["brokers"])
        existing = set(await admin.list_topics())
        missing = [NewTopic(t, num_partitions=partitions, replication_factor=min(3, brokers))
                   for t in topics if t not in existing]
        if missing:
            try:
                await admin.create_topics(missing)
            except TopicAlreadyExistsError:
                pass
    finally:
        await admin.close()


async def partitions_of(bootstrap_servers: str, topic: str) -> list[int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers)
    await admin.start()
    try:
        described = await admin.describe_topics([topic])
    finally:
        await admin.close()
    return sorted(p["partition"] for t in described if t["topic"] == topic and not t["error_code"]
                  for p in t["partitions"])


async def read_all(bootstrap_servers: str, topic: str) -> list[ConsumerRecord]:
    """Everything on `topic`, from the start up to its current end."""
    async with topic_reader(bootstrap_servers, topic, group_id=None) as (records, _commit):
        return records


@asynccontextmanager
async def topic_reader(bootstrap_servers: str, topic: str, *, group_id: str | None):
    """Reads `topic` up to its current end (from the start, or from `group_id`'s committed offsets);
    yields the records and a commit() that moves `group_id` to that end."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap_servers, group_id=group_id, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    partitions = [TopicPartition(topic, p) for p in await partitions_of(bootstrap_servers, topic)]
    await consumer.start()
    try:
        records: list[ConsumerRecord] = []
        ends: dict[TopicPartition, int] = {}
        if partitions:
            consumer.assign(partitions)
            if group_id is None:
                await consumer.seek_to_beginning(*partitions)
            ends = await consumer.end_offsets(partitions)
            while [tp for tp, end in ends.items() if await consumer.position(tp) < end]:
                for batch in (await consumer.getmany(timeout_ms=500)).values():
                    records.extend(r for r in batch if r.offset < ends[TopicPartition(r.topic, r.partition)])

        async def commit() -> None:
            if ends:
                await consumer.commit(ends)

        yield records, commit
    finally:
        await consumer.stop()
