"""Consumers: a batch of records in, one database transaction out, exactly one effect per event.

The error policy, in one place:
- bytes that are not an event we know (not an envelope, an unregistered type or version, a payload
  that fails its schema) go to the dead-letter topic with the reason;
- an event of a type we handle but in a version we have no handler for is logged and counted, and
  its offset moves on: it is not ours to guess at;
- a handler that raises RuleViolation (the event breaks a business rule): the batch is redone event
  by event under savepoints and only the offending events go to the dead-letter topic;
- a transient failure (connection, deadlock, Kafka) retries the whole batch with backoff;
- anything else is a bug: the consumer logs it loudly and stops with its offsets uncommitted, so the
  stream waits for a fix instead of being dead-lettered event by event.

Handlers take the whole batch (`list[Envelope]`, consecutive events of the types they handle) and
return the events they emit; the consumer claims the batch in the inbox, calls them and stages their
events, all in one transaction. Dead letters are published after that commit and before the offsets
are committed (FastStream's NACK_ON_ERROR), so a crash in between redelivers, and nothing is lost.
What happens is counted (siji_shared.metrics): events by type, each handler's latency, dead letters by cause.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable, Collection, Coroutine
from dataclasses import dataclass, field
from itertools import groupby
from typing import Any, TypeVar

import asyncpg
import structlog
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from contracts.envelope import Envelope, EventPayload, UndecodableEvent, decode
from siji_shared import inbox, metrics, outbox, tracing
from siji_shared.dead_letters import DeadLetters
from siji_shared.errors import RuleViolation, is_transient
from siji_shared.kafka import CAMPAIGN, event_type_of, header_of

log = structlog.get_logger(__name__)

BatchHandler = Callable[[asyncpg.Connection, list[Envelope]], Awaitable[list[Envelope]]]  # returns what it emits
DeadLetter = tuple[ConsumerRecord, str, str]  # the record, why (for the operator), the cause's class (a label)
CampaignsRead = Callable[[asyncpg.Connection], Awaitable[Collection[str]]]
T = TypeVar("T")


@dataclass
class EventConsumer:
    topic: str
    group_id: str
    pool: asyncpg.Pool
    dead_letters: DeadLetters
    handlers: dict[type[EventPayload], BatchHandler]
    campaigns: CampaignsRead | None = None  # set: only these campaigns' events are read (asked at each batch)
    max_attempts: int = 6
    stopped_by: str | None = None  # the bug that stopped this consumer, for /health
    unhandled_versions: Counter[tuple[str, int]] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self._by_type = {(t.event_type, t.schema_version): h for t, h in self.handlers.items()}
        self._handled_types = {t.event_type for t in self.handlers}
        self._likely = {t.event_type: t for t in sorted(self.handlers, key=lambda t: t.schema_version)}  # the newest
        self._handler_names = {h: metrics.handler_name(h) for h in self.handlers.values()}
        self._stop: Callable[[], Coroutine[Any, Any, None]] | None = None
        self._stopping: asyncio.Task | None = None

    async def process(self, records: list[ConsumerRecord]) -> None:
        if not records:
            return
        with structlog.contextvars.bound_contextvars(
                topic=self.topic, consumer_group=self.group_id, records=len(records),
                partitions=sorted({r.partition for r in records}),
                offsets=f"{min(r.offset for r in records)}..{max(r.offset for r in records)}"):
            try:
                wanted = await self._with_retries(self._campaigns_read) if self.campaigns else None
                batch, dead = self._decode(records, wanted)
                with tracing.consuming(self.topic, self.group_id, records):
                    dead += await self._with_retries(lambda: self._apply(batch))
            except Exception as exc:
                if not is_transient(exc):
                    self._stop_on_bug(exc)
                raise
            metrics.count_consumed(self.group_id, self.topic, (envelope for envelope, _ in batch))
            for record, reason, cause in dead:
                await self.dead_letters.publish(record, reason)
                metrics.DEAD_LETTERS.labels(self.group_id, self.topic, cause).inc()

    async def _campaigns_read(self) -> frozenset[bytes]:
        assert self.campaigns is not None
        async with self.pool.acquire() as conn:
            return frozenset(c.encode() for c in await self.campaigns(conn))

    def _decode(self, records: list[ConsumerRecord], campaigns: frozenset[bytes] | None = None,
                ) -> tuple[list[tuple[Envelope, ConsumerRecord]], list[DeadLetter]]:
        """The records as events this consumer handles; told by the relay's headers without parsing, it
        passes over other types and, when it follows only some campaigns, other campaigns' events (a record
        without a campaign header is parsed)."""
        batch, dead = [], []
        for record in records:
            label = event_type_of(record)
            event_type = label.decode(errors="replace") if label is not None else None
            if event_type is not None and event_type not in self._handled_types:
                continue
            if campaigns is not None and (campaign := header_of(record, CAMPAIGN)) is not None \
                    and campaign not in campaigns:
                continue
            try:
                envelope = decode(record.value or b"", self._likely.get(event_type) if event_type else None)
            except UndecodableEvent as exc:
                log.warning("dead-lettered undecodable event", partition=record.partition, offset=record.offset,
                            reason=str(exc))
                dead.append((record, str(exc), type(exc).__name__))
                continue
            version = (envelope.event_type, envelope.schema_version)
            if version in self._by_type:
                batch.append((envelope, record))
            elif envelope.event_type in self._handled_types:
                self.unhandled_versions[version] += 1
                metrics.EVENTS_SKIPPED.labels(self.group_id, self.topic, *map(str, version)).inc()
                log.warning("no handler for this event version; skipped", event_type=envelope.event_type,
                            schema_version=envelope.schema_version, event_id=str(envelope.event_id),
                            skipped_so_far=self.unhandled_versions[version])
        return batch, dead

    async def _with_retries(self, step: Callable[[], Awaitable[T]]) -> T:
        for attempt in range(1, self.max_attempts):
            try:
                return await step()
            except Exception as exc:
                if not is_transient(exc):
                    raise
                delay = min(0.2 * 2 ** (attempt - 1), 10.0)
                log.warning("transient failure, retrying batch", error=repr(exc), attempt=attempt, delay=delay)
                await asyncio.sleep(delay)
        return await step()

    async def _apply(self, batch: list[tuple[Envelope, ConsumerRecord]]) -> list[DeadLetter]:
        if not batch:
            return []
        envelopes = [e for e, _ in batch]
        async with self.pool.acquire() as conn:
            try:
                async with conn.transaction():
                    await self._handle(conn, envelopes)
                return []
            except RuleViolation:
                return await self._apply_one_by_one(conn, batch)

    async def _apply_one_by_one(self, conn: asyncpg.Connection,
                                batch: list[tuple[Envelope, ConsumerRecord]]) -> list[DeadLetter]:
        """Split the batch to isolate the events that break a rule; the rest take effect."""
        dead: list[DeadLetter] = []
        async with conn.transaction():
            for envelope, record in batch:
                try:
                    async with conn.transaction():  # a savepoint: a failure also undoes the inbox claim,
                        await self._handle(conn, [envelope])  # so a re-driven event is handled then
                except RuleViolation as exc:
                    reason = f"RuleViolation: {exc}"
                    log.warning("dead-lettered event", event_id=str(envelope.event_id),
                                event_type=envelope.event_type, reason=reason)
                    dead.append((record, reason, type(exc).__name__))
        return dead

    async def _handle(self, conn: asyncpg.Connection, envelopes: list[Envelope]) -> None:
        """Claim the events in the inbox, hand each run of consecutive events with the same handler to
        it (so per-key order holds), and stage everything they emit with one insert."""
        emitted: list[Envelope] = []
        claimed = await inbox.claim(conn, self.group_id, envelopes)
        for handler, run in groupby(claimed, key=lambda e: self._by_type[(e.event_type, e.schema_version)]):
            with metrics.HANDLER_DURATION.labels(self.group_id, self._handler_names[handler]).time():
                emitted += await handler(conn, list(run))
        await outbox.stage(conn, emitted)

    def bind_stop(self, stop: Callable[[], Coroutine[Any, Any, None]]) -> None:
        self._stop = stop

    def _stop_on_bug(self, exc: Exception) -> None:
        self.stopped_by = f"{type(exc).__name__}: {exc}"
        log.critical("consumer stopped by an unexpected error; offsets left uncommitted, fix and restart",
                     error=self.stopped_by, exc_info=exc)
        if self._stop:
            self._stopping = asyncio.get_running_loop().create_task(self._stop())


async def _raw_records(message: Any) -> Any:
    """Hand the handler the raw records, so bytes that are not JSON still reach the dead-letter topic."""
    return list(message.raw_message)


def subscribe(broker: KafkaBroker, consumer: EventConsumer, *, max_records: int = 1000) -> None:
    async def consume(records: Any) -> None:
        await consumer.process(records)

    subscriber = broker.subscriber(
        consumer.topic,
        group_id=consumer.group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=20,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_records,
        title=f"{consumer.group_id}:{consumer.topic}",
    )
    subscriber(consume)
    consumer.bind_stop(subscriber.stop)
