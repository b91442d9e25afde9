"""How to reach Kafka (one connection object, SASL-ready), the clients shared by the outbox relay and
the dead-letter publisher, topic creation, and reading a topic to its end (for dead-letter tools and
the auditor's replay)."""

from __future__ import annotations

import asyncio
import ssl
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass
from typing import Any, TypeVar

import structlog
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import OutOfOrderSequenceNumber, TopicAlreadyExistsError
from aiokafka.partitioner import DefaultPartitioner
from aiokafka.structs import ConsumerRecord
from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512
from murmurhash2 import murmurhash2
from pydantic import SecretStr

from siji_shared import metrics

log = structlog.get_logger(__name__)

EVENT_TYPE = "event-type"
CAMPAIGN = "campaign"


def event_headers(event_type: str, campaign: str | None = None) -> list[tuple[str, bytes]]:
    """The headers every event travels with, as the relay sends it: its content type, its type and its
    campaign where it has one, by which a reader skips what it does not read without parsing the body."""
    headers = [("content-type", b"application/json"), (EVENT_TYPE, event_type.encode())]
    return [*headers, (CAMPAIGN, campaign.encode())] if campaign is not None else headers


def event_type_of(record: ConsumerRecord) -> bytes | None:
    """The record's event-type label, or None on a record that has none (a plain loop: every consumer asks
    this of every record it reads, and a generator costs four times as much)."""
    return header_of(record, EVENT_TYPE)


def header_of(record: ConsumerRecord, name: str) -> bytes | None:
    for key, value in record.headers or ():
        if key == name:
            return value
    return None


_SASL = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and who we are to them. Every client (FastStream's broker, the relay's and
    dead letters' producers, admin, readers) is built from this one object."""

    bootstrap_servers: str
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = "SCRAM-SHA-512"
    username: str | None = None
    password: SecretStr | None = None
    ssl_cafile: str | None = None  # the brokers' CA (PEM) on SASL_SSL; None: the system's trusted CAs

    @property
    def servers(self) -> list[str]:
        """The bootstrap addresses one by one: FastStream takes a single string for one broker's address."""
        return [server.strip() for server in self.bootstrap_servers.split(",") if server.strip()]

    def security(self) -> BaseSecurity | None:
        """FastStream's security object, or None on a plaintext listener."""
        if self.security_protocol == "PLAINTEXT":
            return None
        if self.username is None or self.password is None:
            raise ValueError(f"Kafka {self.security_protocol} needs a username and a password")
        tls = self.security_protocol == "SASL_SSL"
        return _SASL[self.sasl_mechanism](self.username, self.password.get_secret_value(), use_ssl=tls,
                                          ssl_context=ssl.create_default_context(cafile=self.ssl_cafile) if tls
                                          else None)

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for aiokafka's producer, consumer and admin client."""
        return {"bootstrap_servers": self.bootstrap_servers, **parse_security(self.security())}


class KeyPartitioner(DefaultPartitioner):
    """aiokafka's default partitioning (the Java client's murmur2 of the key, so every producer puts a key
    in the same partition), hashed in C: the pure-Python murmur2 took 7 µs an event, a few seconds of
    every relay's CPU in a 100,000-recipient campaign."""

    def __call__(self, key: bytes | None, all_partitions: list[int], available: list[int]) -> int:
        if key is None:
            return super().__call__(key, all_partitions, available)
        return all_partitions[(murmurhash2(key, MURMUR2_SEED) & 0x7FFFFFFF) % len(all_partitions)]


MURMUR2_SEED = 0x9747B28C  # the Java client's


async def send_batches(producer: AIOKafkaProducer, topic: str, partition: int,
                       records: Iterable[tuple[bytes, bytes, list[tuple[str, bytes]]]]) -> list[asyncio.Future]:
    """Hand (key, value, headers) records, in order, to the producer as record batches for one partition, a
    new batch whenever one fills; the deliveries to await. Far less of the producer's per-message work than
    one send() per record."""
    deliveries, batch = [], producer.create_batch()
    for key, value, headers in records:
        while batch.append(key=key, value=value, timestamp=None, headers=headers) is None:  # it was full
            deliveries.append(await producer.send_batch(batch, topic, partition=partition))
            batch = producer.create_batch()
    deliveries.append(await producer.send_batch(batch, topic, partition=partition))
    return deliveries


RETRY_BACKOFF_MS = 100


def idempotent_producer(kafka: KafkaConnection, *, client_id: str) -> AIOKafkaProducer:
    """acks=all and idempotence: a retried send never duplicates or reorders within a partition."""
    producer = AIOKafkaProducer(
        **kafka.client_kwargs(),
        client_id=client_id,
        partitioner=KeyPartitioner(),
        enable_idempotence=True,
        acks="all",
        linger_ms=5,
        max_batch_size=256 * 1024,
        request_timeout_ms=30000,
        retry_backoff_ms=RETRY_BACKOFF_MS,
    )
    space_metadata_updates(producer.client, seconds=RETRY_BACKOFF_MS / 1000)
    return producer


def space_metadata_updates(client: Any, *, seconds: float) -> None:
    """Space the metadata updates a producer forces by `seconds`; one asked for sooner waits for the next
    slot. aiokafka's sender (0.14) forces one after another, with no pause, while a partition it holds
    records for has no known leader, and a stopped broker refuses the connection at once: in a 20-s
    outage the relay's producer spun a core through 90,000 updates and logged two errors for each."""
    force = client.force_metadata_update
    next_at = 0.0

    def spaced() -> asyncio.Future:
        nonlocal next_at
        now = time.monotonic()
        if now >= next_at:
            next_at = now + seconds
            return force()
        loop = asyncio.get_running_loop()
        later: asyncio.Future = loop.create_future()

        def not_updated() -> None:
            if not later.done():
                later.set_result(False)

        loop.call_later(next_at - now, not_updated)
        return later

    client.force_metadata_update = spaced


T = TypeVar("T")


class RenewingProducer:
    """An idempotent producer that replaces itself when the broker answers it out of sequence. A broker
    that lost the producer's last batches (stopped mid-send) answers every later batch so, and the
    producer's sender has stopped for good: only a new producer (a new producer id) sends again. What
    failed is raised to the caller, who sends it again later (the relay's rows stay in the outbox; a
    consumer's batch is redelivered and its inbox drops what took effect)."""

    def __init__(self, kafka: KafkaConnection, *, client_id: str) -> None:
        self._kafka, self._client_id = kafka, client_id
        self.current = idempotent_producer(kafka, client_id=client_id)

    async def start(self) -> None:
        await self.current.start()

    async def stop(self) -> None:
        await self.current.stop()

    async def deliver(self, send: Callable[[AIOKafkaProducer], Awaitable[T]]) -> T:
        """`send` with the current producer, awaiting its deliveries; renewed first if it fails out of sequence."""
        try:
            return await send(self.current)
        except OutOfOrderSequenceNumber:
            await self._renew()
            raise

    async def _renew(self) -> None:
        dead, self.current = self.current, idempotent_producer(self._kafka, client_id=self._client_id)
        with suppress(OutOfOrderSequenceNumber):
            await dead.stop()
        await self.current.start()
        metrics.PRODUCERS_RENEWED.labels(self._client_id).inc()
        log.warning("kafka producer renewed", client_id=self._client_id, reason="answered out of sequence")


async def ensure_topics(kafka: KafkaConnection, topics: list[str], *, partitions: int = 6) -> None:
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
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


async def partitions_of(kafka: KafkaConnection, topics: list[str]) -> list[TopicPartition]:
    """The partitions of the topics that exist, in one description."""
    admin = AIOKafkaAdminClient(**kafka.client_kwargs())
    await admin.start()
    try:
        described = await admin.describe_topics(topics)
    finally:
        await admin.close()
    return sorted(TopicPartition(t["topic"], p["partition"]) for t in described
                  if t["topic"] in topics and not t["error_code"] for p in t["partitions"])


async def read_all(kafka: KafkaConnection, topic: str) -> list[ConsumerRecord]:
    """Everything on `topic`, from the start up to its current end."""
    async with topic_reader(kafka, topic, group_id=None) as (records, _commit):
        return records


async def records_on(kafka: KafkaConnection, topics: list[str]) -> int:
    """How many records the topics hold now, from their partitions' first and end offsets (one description
    of the topics, two offset requests): what reading them all will take, at most, for a progress bar."""
    partitions = await partitions_of(kafka, topics)
    if not partitions:
        return 0
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), enable_auto_commit=False)
    await consumer.start()
    try:
        firsts = await consumer.beginning_offsets(partitions)
        ends = await consumer.end_offsets(partitions)
    finally:
        await consumer.stop()
    return sum(ends[tp] - firsts[tp] for tp in partitions)


@asynccontextmanager
async def topic_reader(kafka: KafkaConnection, topic: str, *, group_id: str | None):
    """Reads `topic` up to its current end (from the start, or from `group_id`'s committed offsets);
    yields the records and a commit() that moves `group_id` to that end."""
    consumer = AIOKafkaConsumer(**kafka.client_kwargs(), group_id=group_id, enable_auto_commit=False,
                                auto_offset_reset="earliest")
    partitions = await partitions_of(kafka, [topic])
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
