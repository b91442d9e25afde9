"""Dead letters: the original bytes, key and headers, plus why and where they came from."""

from __future__ import annotations

from aiokafka import AIOKafkaProducer
from aiokafka.structs import ConsumerRecord

from contracts.topics import dead_letter_of

REASON = "dlt-reason"


def dead_letter_headers(record: ConsumerRecord, *, reason: str, group_id: str) -> list[tuple[str, bytes]]:
    return [*(record.headers or ()),
            (REASON, reason[:2000].encode()),
            ("dlt-source-topic", record.topic.encode()),
            ("dlt-source-partition", str(record.partition).encode()),
            ("dlt-source-offset", str(record.offset).encode()),
            ("dlt-consumer-group", group_id.encode())]


class DeadLetters:
    def __init__(self, producer: AIOKafkaProducer, *, group_id: str) -> None:
        self.producer = producer
        self.group_id = group_id

    async def publish(self, record: ConsumerRecord, reason: str) -> None:
        """Returns once the dead-letter topic has the record (acks=all), so the offset may then be committed."""
        delivery = await self.producer.send(
            dead_letter_of(record.topic), record.value, key=record.key,
            headers=dead_letter_headers(record, reason=reason, group_id=self.group_id),
        )
        await delivery
