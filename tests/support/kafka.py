"""Reading topics back in tests."""

from __future__ import annotations

import asyncio
import time
import uuid

from aiokafka import AIOKafkaConsumer
from aiokafka.structs import ConsumerRecord

from siji_shared.kafka import KafkaConnection


async def read_topic(kafka: KafkaConnection, topic: str, *, until, timeout: float = 30.0) -> list[ConsumerRecord]:
    """Read `topic` from the start until `until(records)` is true; fail after `timeout` seconds."""
    consumer = AIOKafkaConsumer(topic, **kafka.client_kwargs(), group_id=f"test-{uuid.uuid4()}",
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    records: list[ConsumerRecord] = []
    deadline = time.monotonic() + timeout
    try:
        while not until(records):
            if time.monotonic() > deadline:
                raise AssertionError(f"{topic}: condition not met in {timeout}s; read {len(records)} records")
            batches = await consumer.getmany(timeout_ms=500)
            for batch in batches.values():
                records.extend(batch)
    finally:
        await consumer.stop()
    return records


async def eventually(check, *, timeout: float = 30.0, interval: float = 0.2):
    """Await `check()` until it returns a truthy value; fail with its last value after `timeout`."""
    deadline = time.monotonic() + timeout
    value = None
    while time.monotonic() < deadline:
        value = await check()
        if value:
            return value
        await asyncio.sleep(interval)
    raise AssertionError(f"not reached within {timeout}s; last value: {value!r}")
