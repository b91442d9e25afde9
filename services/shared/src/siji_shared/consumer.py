"""Consumers: a batch of records in, one database transaction out, exactly one effect per event.

For each batch: undecodable records go to the dead-letter topic; the rest are claimed in the inbox
and handled in one transaction, which also stages (outbox) every event the handlers return. If a handler breaks a rule, the batch is redone event by event
under savepoints and the offending events go to the dead-letter topic, so the rest carry on.
Dead letters are published before the commit, and offsets are committed after it (by FastStream's
NACK_ON_ERROR policy), so nothing is lost between the two. Transient failures retry with backoff.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import structlog
from aiokafka.structs import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from contracts.envelope import Envelope, EventPayload, UndecodableEvent, decode
from siji_shared import inbox, outbox
from siji_shared.dead_letters import DeadLetters
from siji_shared.errors import is_transient

log = structlog.get_logger(__name__)

Handler = Callable[[asyncpg.Connection, Envelope], Awaitable[list[Envelope]]]  # returns the events it emits


@dataclass
class EventConsumer:
    topic: str
    group_id: str
    pool: asyncpg.Pool
    dead_letters: DeadLetters
    handlers: dict[type[EventPayload], Handler]
    max_attempts: int = 6

    def __post_init__(self) -> None:
        self._by_type = {(t.event_type, t.schema_version): h for t, h in self.handlers.items()}

    async def process(self, records: list[ConsumerRecord]) -> None:
        batch: list[tuple[Envelope, ConsumerRecord]] = []
        for record in records:
            try:
                envelope = decode(record.value or b"")
            except UndecodableEvent as exc:
                log.warning("dead-lettered undecodable event", topic=record.topic, offset=record.offset,
                            reason=str(exc))
                await self.dead_letters.publish(record, str(exc))
                continue
            if (envelope.event_type, envelope.schema_version) in self._by_type:
                batch.append((envelope, record))
        if batch:
            await self._with_retries(batch)

    async def _with_retries(self, batch: list[tuple[Envelope, ConsumerRecord]]) -> None:
        for attempt in range(1, self.max_attempts + 1):
            try:
                await self._apply(batch)
                return
            except Exception as exc:
                if not is_transient(exc) or attempt == self.max_attempts:
                    raise
                delay = min(0.2 * 2 ** (attempt - 1), 10.0)
                log.warning("transient failure, retrying batch", error=repr(exc), attempt=attempt, delay=delay)
                await asyncio.sleep(delay)

    async def _apply(self, batch: list[tuple[Envelope, ConsumerRecord]]) -> None:
        try:
            async with self.pool.acquire() as conn, conn.transaction():
                emitted: list[Envelope] = []
                for envelope in await inbox.claim(conn, _unique([e for e, _ in batch])):
                    emitted += await self._handle(conn, envelope)
                await outbox.stage(conn, emitted)
        except Exception as exc:
            if is_transient(exc):
                raise
            await self._apply_one_by_one(batch)

    async def _apply_one_by_one(self, batch: list[tuple[Envelope, ConsumerRecord]]) -> None:
        records = {e.event_id: r for e, r in batch}
        async with self.pool.acquire() as conn, conn.transaction():
            for envelope in _unique([e for e, _ in batch]):
                try:
                    async with conn.transaction():  # a savepoint: a failure also undoes the inbox claim,
                        if await inbox.claim(conn, [envelope]):  # so a re-driven event is handled then
                            await outbox.stage(conn, await self._handle(conn, envelope))
                except Exception as exc:
                    if is_transient(exc):
                        raise
                    reason = f"{type(exc).__name__}: {exc}"
                    log.warning("dead-lettered event", event_id=str(envelope.event_id),
                                event_type=envelope.event_type, reason=reason)
                    await self.dead_letters.publish(records[envelope.event_id], reason)

    async def _handle(self, conn: asyncpg.Connection, envelope: Envelope) -> list[Envelope]:
        with structlog.contextvars.bound_contextvars(event_id=str(envelope.event_id),
                                                     correlation_id=envelope.correlation_id):
            return await self._by_type[(envelope.event_type, envelope.schema_version)](conn, envelope)


def _unique(envelopes: list[Envelope]) -> list[Envelope]:
    return list({e.event_id: e for e in envelopes}.values())


async def _raw_records(message: Any) -> Any:
    """Hand the handler the raw records, so bytes that are not JSON still reach the dead-letter topic."""
    return list(message.raw_message)


def subscribe(broker: KafkaBroker, consumer: EventConsumer, *, max_records: int = 500) -> None:
    async def consume(records: Any) -> None:
        await consumer.process(records)

    broker.subscriber(
        consumer.topic,
        group_id=consumer.group_id,
        batch=True,
        max_records=max_records,
        batch_timeout_ms=20,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
        decoder=_raw_records,
        title=f"{consumer.group_id}:{consumer.topic}",
    )(consume)
