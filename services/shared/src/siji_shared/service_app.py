"""The common life of a service process: migrate, create topics, open the pool, build the service's
container of collaborators, start its Kafka consumers and the outbox relay (plus any leader loops of
its own), and stop it all cleanly; and what every service serves besides its own API: /health, /metrics,
its AsyncAPI document and page."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, Protocol, TypeVar

import asyncpg
import structlog
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from faststream.kafka import KafkaBroker
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from contracts.topics import all_topics
from siji_shared import asyncapi
from siji_shared.consumer import EventConsumer, subscribe
from siji_shared.db import create_pool, migrate
from siji_shared.dead_letters import DeadLetters
from siji_shared.kafka import RenewingProducer, ensure_topics
from siji_shared.metrics import OutboxBacklog, instrument_http, kafka_middleware
from siji_shared.outbox import OutboxRelay
from siji_shared.settings import ServiceSettings

log = structlog.get_logger(__name__)


@dataclass(kw_only=True)
class Runtime:
    """What every service's handlers, routes and jobs share. Each service's container extends it with
    its own collaborators (vault, bank client, ...) and its bootstrap() builds it; tests call the same
    bootstrap with a real pool and fakes."""

    settings: ServiceSettings
    pool: asyncpg.Pool
    dead_letters: DeadLetters
    consumers: list[EventConsumer] = field(default_factory=list)

    async def aclose(self) -> None:
        """Release what the service's own collaborators hold (clients, files); the pool is closed apart."""


C = TypeVar("C", bound=Runtime)
C_co = TypeVar("C_co", bound=Runtime, covariant=True)


class Bootstrap(Protocol[C_co]):
    def __call__(self, settings: Any, *, pool: asyncpg.Pool, dead_letters: DeadLetters) -> C_co: ...


@dataclass(frozen=True)
class ServiceWiring(Generic[C]):
    """How one service is put together: its schema, migrations, container and what runs inside it."""

    name: str
    schema: str
    settings: ServiceSettings
    migrations: Path
    bootstrap: Bootstrap[C]
    consumers: Callable[[C], list[EventConsumer]] = lambda container: []
    background: Callable[[C], list[Coroutine[Any, Any, None]]] = lambda container: []
    on_start: Callable[[C], Coroutine[Any, Any, None]] | None = None  # before the first request (reference data)


def container_of(request: Request) -> Any:
    """The running service's container."""
    return request.app.state.container


async def current_container(request: Request) -> Any:
    """`container_of` for FastAPI's Depends (each service annotates it with its own type); a coroutine, so
    FastAPI calls it on the event loop instead of handing it to a worker thread on every request."""
    return container_of(request)


def service_lifespan(wiring: ServiceWiring[C]):
    settings = wiring.settings

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        instrument_http(app)
        await migrate(settings.database_url, wiring.schema, wiring.migrations)
        if settings.kafka.security_protocol == "PLAINTEXT":  # an open development broker; else provisioned
            await ensure_topics(settings.kafka, all_topics())
        pool = await create_pool(settings.database_url, wiring.schema, size=settings.pool_size)
        producer = RenewingProducer(settings.kafka, client_id=f"{wiring.name}-dead-letters")
        await producer.start()
        broker = KafkaBroker(settings.kafka.servers, security=settings.kafka.security(),
                             client_id=wiring.name, logger=None, middlewares=[kafka_middleware(wiring.name)])
        container = wiring.bootstrap(settings, pool=pool, dead_letters=DeadLetters(producer, group_id=wiring.name))
        container.consumers = wiring.consumers(container)
        if wiring.on_start:
            await wiring.on_start(container)
        for consumer in container.consumers:
            subscribe(broker, consumer, max_records=settings.consumer_batch_size)
        relay = OutboxRelay(pool, schema=wiring.schema, kafka=settings.kafka, batch_size=settings.relay_batch_size,
                            poll_seconds=settings.relay_poll_seconds, inbox_retention=settings.inbox_retention)
        app.state.container = container
        app.state.asyncapi = asyncapi.document(wiring.name, container.consumers)
        app.state.outbox_backlog = OutboxBacklog(pool, service=wiring.name)
        await broker.start()
        tasks: list[asyncio.Task[None]] = [asyncio.create_task(job) for job in (relay.run(), *wiring.background(container))]
        log.info("service started", schema=wiring.schema)
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await broker.stop()
            await container.aclose()
            await producer.stop()
            await pool.close()
            log.info("service stopped")

    return lifespan


health_router = APIRouter()  # every service includes it: /health, /metrics, /asyncapi.json, /asyncapi


@health_router.get("/health")
async def health(request: Request) -> JSONResponse:
    """503 while a consumer is stopped by a bug (its offsets wait uncommitted for a fix and a restart)."""
    stopped = {f"{c.group_id}:{c.topic}": c.stopped_by for c in container_of(request).consumers if c.stopped_by}
    if stopped:
        return JSONResponse({"status": "failing", "stopped_consumers": stopped}, status_code=503)
    return JSONResponse({"status": "ok"})


@health_router.get("/metrics", include_in_schema=False)
async def prometheus_metrics(request: Request) -> Response:
    """Prometheus's scrape: the outbox backlog is sampled now (once the service has started); everything
    else is counted as it happens."""
    backlog: OutboxBacklog | None = getattr(request.app.state, "outbox_backlog", None)
    if backlog:
        await backlog.sample()
    return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)


@health_router.get("/asyncapi.json", include_in_schema=False)
async def asyncapi_document(request: Request) -> JSONResponse:
    """The events this service sends and receives, from its running consumers (docs/asyncapi/ holds the same)."""
    return JSONResponse(request.app.state.asyncapi)


@health_router.get("/asyncapi", include_in_schema=False)
async def asyncapi_page(request: Request) -> HTMLResponse:
    return HTMLResponse(asyncapi.page(request.app.state.asyncapi))
