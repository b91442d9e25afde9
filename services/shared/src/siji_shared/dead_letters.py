"""Dead letters: the original bytes, key and headers, plus why and where they came from; and the
operator's side: list them, re-drive them to their source topic once the cause is fixed, or send an
operator's correction of one whose bytes were the cause."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from contracts.envelope import UndecodableEvent, decode
from contracts.topics import dead_letter_of
from siji_shared.kafka import (
    EVENT_TYPE,
    KafkaConnection,
    RenewingProducer,
    event_headers,
    idempotent_producer,
    read_all,
    topic_reader,
)
from siji_shared.pii import redact_text

REASON = "dlt-reason"


def dead_letter_headers(record: ConsumerRecord, *, reason: str, group_id: str) -> list[tuple[str, bytes]]:
    return [*(record.headers or ()),
            (REASON, reason[:2000].encode()),
            ("dlt-source-topic", record.topic.encode()),
            ("dlt-source-partition", str(record.partition).encode()),
            ("dlt-source-offset", str(record.offset).encode()),
            ("dlt-consumer-group", group_id.encode())]


class DeadLetters:
    def __init__(self, producer: RenewingProducer, *, group_id: str) -> None:
        self.producer = producer
        self.group_id = group_id

    async def publish(self, record: ConsumerRecord, reason: str) -> None:
        """Returns once the dead-letter topic has the record (acks=all), so the offset may then be committed."""
        async def send(producer: AIOKafkaProducer) -> None:
            await producer.send_and_wait(dead_letter_of(record.topic), record.value, key=record.key,
                                         headers=dead_letter_headers(record, reason=reason, group_id=self.group_id))

        await self.producer.deliver(send)


@dataclass(frozen=True)
class DeadLetter:
    offset: int
    partition: int
    timestamp_ms: int
    consumer_group: str
    reason: str
    source: str
    key: str
    event_type: str


def describe(record: ConsumerRecord) -> DeadLetter:
    headers = {name: value.decode(errors="replace") for name, value in record.headers or ()}
    return DeadLetter(
        offset=record.offset, partition=record.partition, timestamp_ms=record.timestamp,
        consumer_group=headers.get("dlt-consumer-group", ""), reason=headers.get(REASON, ""),
        source=f"{headers.get('dlt-source-topic', '?')}[{headers.get('dlt-source-partition', '?')}]"
               f"@{headers.get('dlt-source-offset', '?')}",
        key=(record.key or b"").decode(errors="replace"), event_type=headers.get(EVENT_TYPE, "?"),
    )


async def redrive(kafka: KafkaConnection, source_topic: str, *, consumer_group: str) -> tuple[int, int]:
    """Publish `consumer_group`'s dead letters from `source_topic`'s twin back to `source_topic`, each once:
    a cursor group remembers how far re-driving got, and moves only after the sends are acknowledged.
    Consumers that handled an event before skip it through their inbox.
    Returns (re-driven, skipped because they still do not decode)."""
    sent = undecodable = 0
    producer = idempotent_producer(kafka, client_id=f"siji-redrive.{consumer_group}")
    await producer.start()
    try:
        cursor = f"siji-redrive.{consumer_group}"
        async with topic_reader(kafka, dead_letter_of(source_topic), group_id=cursor) as (records, commit):
            for record in (r for r in records if describe(r).consumer_group == consumer_group):
                try:
                    decode(record.value or b"")
                except UndecodableEvent:
                    undecodable += 1
                    continue
                headers = [(n, v) for n, v in record.headers or () if not n.startswith("dlt-")]
                headers.append(("redriven-from", f"{record.topic}[{record.partition}]@{record.offset}".encode()))
                await producer.send_and_wait(source_topic, record.value, key=record.key, headers=headers)
                sent += 1
            await commit()
    finally:
        await producer.stop()
    return sent, undecodable


PERSONAL_FIELDS = {"payee_name", "payee_account", "borrower_name", "name", "national_id", "account"}


def redacted_body(raw: bytes) -> str:
    """A dead letter's body for an operator's eyes: JSON with its personal fields replaced, anything else
    as text; national IDs and account numbers masked wherever they are."""
    try:
        body = json.loads(raw)
    except ValueError:
        return redact_text(raw[:4000].decode(errors="replace"))

    def scrub(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: "<redacted>" if k in PERSONAL_FIELDS else scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [scrub(v) for v in value]
        return value

    return redact_text(json.dumps(scrub(body), ensure_ascii=False, indent=2))


class FixRefused(ValueError):
    """A correction not sent, and why, in words the operator can act on."""


async def dead_letter_at(kafka: KafkaConnection, source_topic: str, *, partition: int, offset: int) -> ConsumerRecord:
    for record in await read_all(kafka, dead_letter_of(source_topic)):
        if (record.partition, record.offset) == (partition, offset):
            return record
    raise FixRefused(f"no dead letter at {partition}@{offset} on {dead_letter_of(source_topic)}")


async def resend_fixed(kafka: KafkaConnection, source_topic: str, *, consumer_group: str, partition: int,
                       offset: int, fixed: bytes) -> UUID:
    """Send the operator's correction of the dead letter at `partition`@`offset` to its source topic, under
    the corrected event's own key. It must be an event the consumers know, or it is refused with the reason
    and nothing is sent. Its event id makes it once: sent again, the consumers' inboxes skip it (and a
    dead-lettered event never reached an inbox, so the original id may be kept)."""
    letter = await dead_letter_at(kafka, source_topic, partition=partition, offset=offset)
    if (group := describe(letter).consumer_group) != consumer_group:
        raise FixRefused(f"the dead letter at {partition}@{offset} was set aside by {group}, not {consumer_group}")
    try:
        envelope = decode(fixed)
    except UndecodableEvent as exc:
        raise FixRefused(f"the correction is not an event the consumers know: {exc}") from exc
    producer = idempotent_producer(kafka, client_id=f"siji-fix.{consumer_group}")
    await producer.start()
    try:
        await producer.send_and_wait(source_topic, fixed, key=envelope.key.encode(), headers=[
            *event_headers(envelope.event_type, envelope.campaign), ("fixed-from", f"{letter.topic}[{letter.partition}]@{letter.offset}".encode())])
    finally:
        await producer.stop()
    return envelope.event_id
