"""The raw baseline on the same broker and database: the best aiokafka and asyncpg do with no Siji code.

PostgreSQL does a consumer's per-event work (inbox claim, a state row, an outbox row) set-based, 1,000
events per transaction, once with unnest arrays and once with COPY; the best is the baseline. The old
one-event-per-transaction figure is kept for reference. Kafka produces idempotently (acks=all, as the
relay must) with a few batching settings, the best is the baseline, and consumes with large fetches."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import asyncpg
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer

from contracts import encode, new_envelope
from contracts.eligibility import CaseApprovedV1
from siji_shared.kafka import KafkaConnection, ensure_topics

PRODUCE_SETTINGS = [  # (linger_ms, max_batch_size)
    (5, 256 * 1024),
    (20, 1024 * 1024),
    (50, 1024 * 1024),
]
TABLES = """
CREATE TABLE inbox (consumer_group text NOT NULL, event_id uuid NOT NULL, event_type text NOT NULL,
                    received_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (consumer_group, event_id));
CREATE TABLE state (id uuid PRIMARY KEY, amount_fen bigint NOT NULL, status text NOT NULL);
CREATE TABLE outbox (id bigserial PRIMARY KEY, event_id uuid NOT NULL UNIQUE, event_type text NOT NULL,
                     topic text NOT NULL, key text NOT NULL, body bytea NOT NULL,
                     created_at timestamptz NOT NULL DEFAULT now(), published_at timestamptz);
CREATE INDEX outbox_unpublished ON outbox (id) WHERE published_at IS NULL;
"""


def sample_event() -> bytes:
    return encode(new_envelope(CaseApprovedV1(
        case_id=uuid.uuid4(), campaign="bench", programme="winter-warmth", region="taicang", amount_fen=50000,
        approved_by=("ap-1",), rule_set_id="winter-warmth/taicang/2026", rule_set_version=1,
        payee_name="张三", payee_account="6222020200112233445"), producer="bench"))


async def kafka_produce_consume(bootstrap: str, count: int) -> dict[str, float | str]:
    """Idempotent produce of `count` envelope-sized messages under each batching setting (the best is
    the baseline), then one consume of them all."""
    kafka = KafkaConnection(bootstrap)
    body = sample_event()
    best, best_setting, topic = 0.0, "", ""
    for linger_ms, batch_size in PRODUCE_SETTINGS:
        topic = f"bench-raw-{uuid.uuid4().hex[:8]}"
        await ensure_topics(kafka, [topic])
        producer = AIOKafkaProducer(**kafka.client_kwargs(), enable_idempotence=True, acks="all",
                                    linger_ms=linger_ms, max_batch_size=batch_size)
        await producer.start()
        started = time.perf_counter()
        await asyncio.gather(*[await producer.send(topic, body, key=str(i).encode()) for i in range(count)])
        rate = count / (time.perf_counter() - started)
        await producer.stop()
        if rate > best:
            best, best_setting = rate, f"linger_ms={linger_ms}, max_batch_size={batch_size}"

    consumer = AIOKafkaConsumer(topic, **kafka.client_kwargs(), group_id=f"{topic}-g", auto_offset_reset="earliest",
                                enable_auto_commit=False, max_partition_fetch_bytes=8 * 1024 * 1024,
                                fetch_max_bytes=64 * 1024 * 1024)
    await consumer.start()
    seen, started = 0, time.perf_counter()
    while seen < count:
        for records in (await consumer.getmany(timeout_ms=1000, max_records=5000)).values():
            seen += len(records)
        await consumer.commit()
    consumed = time.perf_counter() - started
    await consumer.stop()
    return {"kafka_produce_per_s": best, "kafka_produce_setting": best_setting,
            "kafka_consume_per_s": count / consumed, "event_bytes": len(body)}


async def postgres_handler_work(database_url: str, count: int, *, batch: int = 1000) -> dict[str, float]:
    """A consumer's per-event work (inbox claim + state row + outbox row): set-based with unnest and
    with COPY, `batch` events per transaction; and one event per transaction, for reference."""
    conn = await asyncpg.connect(database_url)
    schema = f"bench_raw_{uuid.uuid4().hex[:8]}"
    body = sample_event()
    try:
        await conn.execute(f"CREATE SCHEMA {schema}; SET search_path TO {schema}; {TABLES}")
        unnest = await _timed(conn, count, batch, lambda rows: _unnest(conn, rows, body))
        copy = await _timed(conn, count, batch, lambda rows: _copy(conn, rows, body))
        per_event = await _timed(conn, min(count, 5000), 1, lambda rows: _one(conn, rows[0], body))
        await conn.execute(f"DROP SCHEMA {schema} CASCADE")
    finally:
        await conn.close()
    return {"pg_set_based_per_s": max(unnest, copy), "pg_unnest_per_s": unnest, "pg_copy_per_s": copy,
            "pg_per_event_tx_per_s": per_event}


async def _timed(conn: asyncpg.Connection, count: int, batch: int, work) -> float:
    started = time.perf_counter()
    for _ in range(count // batch):
        ids = [(uuid.uuid4(), uuid.uuid4(), uuid.uuid4()) for _ in range(batch)]
        async with conn.transaction():
            await work(ids)
    return count // batch * batch / (time.perf_counter() - started)


async def _unnest(conn: asyncpg.Connection, rows: list[tuple[uuid.UUID, ...]], body: bytes) -> None:
    events, states, outs = zip(*rows, strict=True)
    await conn.execute("INSERT INTO inbox (consumer_group, event_id, event_type) SELECT 'g', e, 'case.approved' "
                       "FROM unnest($1::uuid[]) e ON CONFLICT DO NOTHING", list(events))
    await conn.execute("INSERT INTO state (id, amount_fen, status) SELECT s, 50000, 'instructed' "
                       "FROM unnest($1::uuid[]) s", list(states))
    await conn.execute("INSERT INTO outbox (event_id, event_type, topic, key, body) "
                       "SELECT o, 'payment.instructed', 'disbursement.payments', o::text, $2 FROM unnest($1::uuid[]) o",
                       list(outs), body)


async def _copy(conn: asyncpg.Connection, rows: list[tuple[uuid.UUID, ...]], body: bytes) -> None:
    await conn.copy_records_to_table("inbox", records=[("g", e, "case.approved") for e, _, _ in rows],
                                     columns=["consumer_group", "event_id", "event_type"])
    await conn.copy_records_to_table("state", records=[(s, 50000, "instructed") for _, s, _ in rows],
                                     columns=["id", "amount_fen", "status"])
    await conn.copy_records_to_table("outbox", records=[(o, "payment.instructed", "disbursement.payments", str(o),
                                                         body) for _, _, o in rows],
                                     columns=["event_id", "event_type", "topic", "key", "body"])


async def _one(conn: asyncpg.Connection, row: tuple[uuid.UUID, ...], body: bytes) -> None:
    event, state, out = row
    await conn.execute("INSERT INTO inbox VALUES ('g', $1, 'case.approved') ON CONFLICT DO NOTHING", event)
    await conn.execute("INSERT INTO state VALUES ($1, 50000, 'instructed')", state)
    await conn.execute("INSERT INTO outbox (event_id, event_type, topic, key, body) "
                       "VALUES ($1, 'payment.instructed', 'disbursement.payments', $2, $3)", out, str(out), body)


async def outbox_relay_drain(database_url: str, bootstrap: str, count: int) -> float:
    """Siji's relay draining a backlog of `count` staged events: events/s from first to last published."""
    from contracts.eligibility import CaseRegisteredV1
    from siji_shared import outbox
    from siji_shared.db import create_pool, migrate
    from siji_shared.outbox import OutboxRelay

    schema = f"bench_relay_{uuid.uuid4().hex[:8]}"
    await migrate(database_url, schema, Path(tempfile.mkdtemp()))
    pool = await create_pool(database_url, schema, size=4)
    try:
        events = [new_envelope(CaseRegisteredV1(
            case_id=uuid.uuid4(), campaign="bench-relay", programme="winter-warmth", region="taicang", year=2026,
            member_ref="f" * 64, registered_by="bench"), producer="bench") for _ in range(count)]
        async with pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, events)
        relay = OutboxRelay(pool, schema=schema, kafka=KafkaConnection(bootstrap), batch_size=2000,
                            poll_seconds=0.05)
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
