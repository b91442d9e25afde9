"""The common life of a service process: migrate, create topics, open the pool, start Kafka
consumers and the outbox relay (plus any leader loops of its own), and stop it all cleanly."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import structlog
from fastapi import FastAPI
from faststream.kafka import KafkaBroker

from contracts.topics import all_topics
from siji_shared.consumer import EventConsumer, subscribe
from siji_shared.db import create_pool, migrate
from siji_shared.dead_letters import DeadLetters
from siji_shared.kafka import ensure_topics, idempotent_producer
from siji_shared.outbox import OutboxRelay
from siji_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)


@dataclass
class Runtime:
    """What handlers, routes and background jobs share; routes reach it through app.state.runtime."""

    pool: asyncpg.Pool
    dead_letters: DeadLetters


Wiring = Callable[[Runtime], list[EventConsumer]]
Background = Callable[[Runtime], list[Awaitable[None]]]


def service_lifespan(*, name: str, schema: str, settings: ServiceSettings, migrations: Path,
                     consumers: Wiring = lambda runtime: [],
                     background: Background = lambda runtime: []):
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await migrate(settings.database_url, schema, migrations)
        await ensure_topics(settings.kafka_bootstrap_servers, all_topics())
        pool = await create_pool(settings.database_url, schema, size=settings.pool_size)
        producer = idempotent_producer(settings.kafka_bootstrap_servers, client_id=f"{name}-dead-letters")
        await producer.start()
        broker = KafkaBroker(settings.kafka_bootstrap_servers, client_id=name, logger=None)
        runtime = Runtime(pool=pool, dead_letters=DeadLetters(producer, group_id=name))
        relay = OutboxRelay(pool, schema=schema, bootstrap_servers=settings.kafka_bootstrap_servers,
                            batch_size=settings.relay_batch_size, poll_seconds=settings.relay_poll_seconds,
                            retention=settings.outbox_retention)
        for consumer in consumers(runtime):
            subscribe(broker, consumer, max_records=settings.consumer_batch_size)
        app.state.runtime = runtime
        app.state.token_secret = settings.token_secret
        await broker.start()
        tasks = [asyncio.create_task(job) for job in (relay.run(), *background(runtime))]
        log.info("service started", schema=schema)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            await producer.stop()
            await pool.close()
            log.info("service stopped")

    return lifespan
