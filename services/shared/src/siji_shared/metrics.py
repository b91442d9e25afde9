"""Prometheus metrics, in prometheus_client's process-wide registry, which each service's /metrics exposes.

FastStream's own middleware counts what the broker sees per subscriber (batches received, their sizes,
durations and exceptions); these add what only our runtime knows: HTTP requests by route, events by type
as the batch consumer takes effect of them, each handler's latency, dead letters by cause, the events the
outbox relay publishes, and the outbox's backlog.

Labels are route templates, topics, consumer groups, event types, handler and exception class names:
never a requested path, a key or a reason's text, which may carry personal data (and are unbounded).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections import Counter as Tally
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import partial
from typing import Any

import asyncpg
import structlog
from fastapi import FastAPI
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from contracts.envelope import Envelope

log = structlog.get_logger(__name__)

HTTP_REQUESTS = Counter("siji_http_requests_total", "HTTP requests answered, by method, route template and status",
                        ["method", "route", "status"])
HTTP_DURATION = Histogram("siji_http_request_duration_seconds", "Time to answer an HTTP request, by route template",
                          ["method", "route"])
EVENTS_CONSUMED = Counter("siji_events_consumed_total",
                          "Events a consumer group took effect of (or dead-lettered for breaking a rule), by type",
                          ["consumer_group", "topic", "event_type", "schema_version"])
EVENTS_SKIPPED = Counter("siji_events_skipped_total",
                         "Events of a type the group handles, in a version it has no handler for",
                         ["consumer_group", "topic", "event_type", "schema_version"])
HANDLER_DURATION = Histogram("siji_handler_duration_seconds",
                             "Time in one handler call (a run of consecutive events), inside the batch's transaction",
                             ["consumer_group", "handler"])
DEAD_LETTERS = Counter("siji_dead_letters_total", "Records sent to a dead-letter topic, by source topic and cause",
                       ["consumer_group", "topic", "cause"])
EVENTS_PUBLISHED = Counter("siji_events_published_total", "Events the outbox relay published, by topic and type",
                           ["topic", "event_type"])
PRODUCERS_RENEWED = Counter("siji_kafka_producers_renewed_total",
                            "Idempotent producers replaced after the broker answered them out of sequence",
                            ["client_id"])
OUTBOX_BACKLOG = Gauge("siji_outbox_backlog", "Outbox rows not yet published (sampled at each scrape)", ["service"])
OUTBOX_OLDEST = Gauge("siji_outbox_oldest_unpublished_age_seconds",
                      "Age of the oldest unpublished outbox row, 0 when there is none (sampled at each scrape)",
                      ["service"])

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"


def kafka_middleware(service: str) -> KafkaPrometheusMiddleware:
    """FastStream's broker metrics, in the same registry (it reuses metrics already registered there)."""
    return KafkaPrometheusMiddleware(registry=REGISTRY, app_name=service)


class HttpMetrics:
    """ASGI middleware: a count and a duration per HTTP request, labelled by the matched route's template
    (`/v1/cases/{case_id}`), so ids in paths never become labels; requests no route matched share one."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 500  # unless a response starts: an exception escaped every handler

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        start = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            route = getattr(scope.get("route"), "path", UNMATCHED)
            method = scope["method"] if scope["method"] in METHODS else "other"
            HTTP_REQUESTS.labels(method, route, str(status)).inc()
            HTTP_DURATION.labels(method, route).observe(time.perf_counter() - start)


def instrument_http(app: FastAPI) -> None:
    """Count the app's requests. The shared lifespan calls this because each service's create_app() is its
    own; by then Starlette has built the middleware stack (add_middleware() refuses), so it is wrapped."""
    stack = app.middleware_stack or app.build_middleware_stack()
    if not isinstance(stack, HttpMetrics):
        app.middleware_stack = HttpMetrics(stack)


def handler_name(handler: Callable[..., Any]) -> str:
    """`module.function` of a handler, through functools.partial and closures: a bounded label."""
    while isinstance(handler, partial):
        handler = handler.func
    name = f"{getattr(handler, '__module__', '?')}.{getattr(handler, '__qualname__', type(handler).__name__)}"
    return name.replace(".<locals>", "")


def count_consumed(group: str, topic: str, envelopes: Iterable[Envelope]) -> None:
    for (event_type, version), n in Tally((e.event_type, e.schema_version) for e in envelopes).items():
        EVENTS_CONSUMED.labels(group, topic, event_type, str(version)).inc(n)


def count_published(rows: Iterable[Mapping[str, Any]]) -> None:
    for (topic, event_type), n in Tally((row["topic"], row["event_type"]) for row in rows).items():
        EVENTS_PUBLISHED.labels(topic, event_type).inc(n)


BACKLOG_SQL = ("SELECT count(*), coalesce(extract(epoch FROM now() - min(created_at)), 0)::float8 "
               "FROM outbox")


@dataclass(frozen=True)
class OutboxBacklog:
    """The service's outbox backlog, sampled when Prometheus scrapes: a prometheus_client collector is
    synchronous and the pool is not. One query over the partial index of unpublished rows; a database
    that does not answer in time gives NaN, so a scrape neither hangs nor shows a stale figure."""

    pool: asyncpg.Pool
    service: str
    timeout_seconds: float = 2.0

    async def sample(self) -> None:
        try:
            async with asyncio.timeout(self.timeout_seconds):
                count, age = await self.pool.fetchrow(BACKLOG_SQL)
        except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("outbox backlog not sampled", error=repr(exc))
            count = age = math.nan
        OUTBOX_BACKLOG.labels(self.service).set(count)
        OUTBOX_OLDEST.labels(self.service).set(age)
