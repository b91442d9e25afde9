"""The raw baseline on the same broker and database: what aiokafka and asyncpg do with no Siji code."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer

from contracts import encode, new_envelope
from contracts.eligibility import CaseApprovedV1
from siji_shared.kafka import ensure_topics, idempotent_producer


def sample_event() -> bytes:
    return encode(new_envelope(CaseApprovedV1(
        case_id=uuid.uuid4(), campaign="bench", programme="winter-warmth", region="taicang", amount_fen=50000,
        approved_by=("ap-1",), rule_set_id="winter-warmth/taicang/2026", rule_set_version=1,
        payee_name="张三", payee_account="6222020200112233445"), producer="bench"))


async def kafka_produce_consume(bootstrap: str, count: int) -> dict[str, float]:
    """Produce `count` envelope-sized messages (idempotent, acks=all, as the relay does), then consume them."""
    topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
    await ensure_topics(bootstrap, [topic])
    body = sample_event()
    producer = idempotent_producer(bootstrap, client_id="bench-raw")
    await producer.start()
    started = time.perf_counter()
    futures = [await producer.send(topic, body, key=str(i).encode()) for i in range(count)]
    await asyncio.gather(*futures)
    produced = time.perf_counter() - started
    await producer.stop()

    consumer = AIOKafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=f"{topic}-g",
                                auto_offset_reset="earliest", enable_auto_commit=False, max_poll_records=500)
    await consumer.start()
    seen, started = 0, time.perf_counter()
    while seen < count:
        for records in (await consumer.getmany(timeout_ms=1000, max_records=500)).values():
            seen += len(records)
        await consumer.commit()
    consumed = time.perf_counter() - started
    await consumer.stop()
    return {"kafka_produce_per_s": count / produced, "kafka_consume_per_s": count / consumed,
            "event_bytes": len(body)}


async def postgres_handler_work(database_url: str, count: int, *, batch: int) -> float:
    """A handler's per-event work, `batch` events per transaction: inbox insert + state write + outbox insert."""
    conn = await asyncpg.connect(database_url)
    schema = f"bench_raw_{uuid.uuid4().hex[:8]}"
    body = sample_event()
    try:
        await conn.execute(f"CREATE SCHEMA {schema}; SET search_path TO {schema};"
                           "CREATE TABLE inbox (event_id uuid PRIMARY KEY);"
                           "CREATE TABLE state (id uuid PRIMARY KEY, amount_fen bigint NOT NULL);"
                           "CREATE TABLE outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, body bytea);")
        started = time.perf_counter()
        for _ in range(count // batch):
            async with conn.transaction():
                for _ in range(batch):
                    event_id = uuid.uuid4()
                    await conn.execute("INSERT INTO inbox VALUES ($1) ON CONFLICT DO NOTHING", event_id)
                    await conn.execute("INSERT INTO state VALUES ($1, 50000)", uuid.uuid4())
                    await conn.execute("INSERT INTO outbox (event_id, body) VALUES ($1, $2)", uuid.uuid4(), body)
        elapsed = time.perf_counter() - started
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()
    return (count // batch * batch) / elapsed


async def outbox_relay_drain(database_url: str, bootstrap: str, count: int) -> float:
    """Siji's relay draining a backlog of `count` staged events: events/s from first to last published."""
    from contracts.eligibility import CaseRegisteredV1
    from siji_shared import outbox
    from siji_shared.db import create_pool, migrate
    from siji_shared.outbox import OutboxRelay

    schema = f"bench_relay_{uuid.uuid4().hex[:8]}"
    empty = Path(tempfile.mkdtemp())
    await migrate(database_url, schema, empty)
    pool = await create_pool(database_url, schema, size=4)
    try:
        events = [new_envelope(CaseRegisteredV1(
            case_id=uuid.uuid4(), campaign="bench-relay", programme="winter-warmth", region="taicang", year=2026,
            member_ref="f" * 64, registered_by="bench"), producer="bench") for _ in range(count)]
        async with pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, events)
        relay = OutboxRelay(pool, schema=schema, bootstrap_servers=bootstrap, poll_seconds=0.05)
        started = time.perf_counter()
        task = asyncio.create_task(relay.run())
        while relay.published < count:
            await asyncio.sleep(0.01)
        elapsed = time.perf_counter() - started
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        async with pool.acquire() as conn:
            await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await pool.close()
    return count / elapsed
