"""What every service serves besides its own API (/metrics, /asyncapi.json, /asyncapi) and what the shared
runtime counts, on a minimal app with the shared router: the lifespan needs Kafka and PostgreSQL, so the
state it would set is set here by hand."""

import math
from functools import partial
from types import SimpleNamespace

import httpx
import pytest
from fastapi import FastAPI, HTTPException
from faststream.kafka import KafkaBroker, TestKafkaBroker
from prometheus_client import REGISTRY

from contracts.eligibility import WorkerRegisteredV1
from contracts.topics import Topic
from siji_shared import metrics
from siji_shared.asyncapi import consumers_of, document
from siji_shared.consumer import EventConsumer, subscribe
from siji_shared.service_app import health_router


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def app() -> FastAPI:
    app = FastAPI()
    app.include_router(health_router)

    @app.get("/v1/things/{thing_id}")
    async def thing(thing_id: str) -> dict:
        if thing_id == "missing":
            raise HTTPException(404, "no such thing")
        return {"thing_id": thing_id}

    app.state.container = SimpleNamespace(consumers=[])
    app.state.asyncapi = document("cooling", consumers_of("cooling"))
    metrics.instrument_http(app)
    return app


@pytest.fixture
async def http(app):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://service") as client:
        yield client


async def test_metrics_has_more_than_ten_samples_from_the_start(http):
    response = await http.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    samples = [line for line in response.text.splitlines() if line and not line.startswith("#")]
    assert len(samples) > 10, response.text


async def test_requests_are_counted_by_route_template_never_by_path(http):
    route = "/v1/things/{thing_id}"
    before = {status: sample("siji_http_requests_total", method="GET", route=route, status=status)
              for status in ("200", "404")}
    unmatched = sample("siji_http_requests_total", method="GET", route="unmatched", status="404")
    assert (await http.get("/v1/things/王小明-110101199003074514")).status_code == 200
    assert (await http.get("/v1/things/missing")).status_code == 404
    assert (await http.get("/nowhere/110101199003074514")).status_code == 404
    assert sample("siji_http_requests_total", method="GET", route=route, status="200") == before["200"] + 1
    assert sample("siji_http_requests_total", method="GET", route=route, status="404") == before["404"] + 1
    assert sample("siji_http_requests_total", method="GET", route="unmatched", status="404") == unmatched + 1
    exposition = (await http.get("/metrics")).text
    assert "110101199003074514" not in exposition and "王小明" not in exposition
    assert 'siji_http_request_duration_seconds_count{method="GET",route="/v1/things/{thing_id}"}' in exposition


def test_the_middleware_wraps_once(app):
    metrics.instrument_http(app)
    assert isinstance(app.middleware_stack, metrics.HttpMetrics)
    assert not isinstance(app.middleware_stack.app, metrics.HttpMetrics)


async def test_the_asyncapi_document_and_its_page_are_served(http):
    doc = (await http.get("/asyncapi.json")).json()
    assert doc["asyncapi"] == "3.0.0" and doc["info"]["title"] == "Siji cooling"
    assert doc["operations"]["receive_eligibility_cases"]["messages"] == [
        {"$ref": "#/channels/eligibility_cases/messages/WorkerRegisteredV1"}]
    page = await http.get("/asyncapi")
    assert page.headers["content-type"].startswith("text/html")
    assert "cooling.handouts" in page.text and "WorkerRegisteredV1" in page.text
    assert "<script" not in page.text and "http://" not in page.text and "https://" not in page.text


class FakePool:
    def __init__(self, answer):
        self.answer = answer

    async def fetchrow(self, sql: str):
        assert "FROM outbox" in sql
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


async def test_the_outbox_backlog_is_sampled_at_each_scrape(app, http):
    app.state.outbox_backlog = metrics.OutboxBacklog(FakePool((3, 12.5)), service="test-outbox")
    text = (await http.get("/metrics")).text
    assert 'siji_outbox_backlog{service="test-outbox"} 3.0' in text
    assert 'siji_outbox_oldest_unpublished_age_seconds{service="test-outbox"} 12.5' in text


async def test_a_database_that_does_not_answer_gives_no_figure_rather_than_a_stale_one():
    await metrics.OutboxBacklog(FakePool(OSError("connection refused")), service="test-down").sample()
    assert math.isnan(REGISTRY.get_sample_value("siji_outbox_backlog", {"service": "test-down"}))


class RecordedDeadLetters:
    def __init__(self):
        self.reasons: list[str] = []

    async def publish(self, record, reason: str) -> None:
        self.reasons.append(reason)


async def test_a_batch_through_faststreams_middleware_is_counted_and_its_dead_letter_by_cause():
    metrics.kafka_middleware("test-other")  # a second broker in the process reuses FastStream's metrics
    broker = KafkaBroker("unused:9092", middlewares=[metrics.kafka_middleware("test-broker")])
    dead_letters = RecordedDeadLetters()
    subscribe(broker, EventConsumer(topic=Topic.ELIGIBILITY_CASES, group_id="test-dead", pool=None,
                                    dead_letters=dead_letters, handlers={WorkerRegisteredV1: None}))
    async with TestKafkaBroker(broker) as test_broker:
        await test_broker.publish(b"not json at all", topic=Topic.ELIGIBILITY_CASES.value)
    assert len(dead_letters.reasons) == 1
    assert sample("faststream_received_messages_total", app_name="test-broker", broker="kafka",
                  handler="eligibility.cases") == 1
    assert sample("siji_dead_letters_total", consumer_group="test-dead", topic="eligibility.cases",
                  cause="UndecodableEvent") == 1


def test_published_events_are_counted_by_topic_and_type():
    rows = [{"topic": "cooling.stock", "event_type": "test.counted"}] * 3
    metrics.count_published(rows)
    assert sample("siji_events_published_total", topic="cooling.stock", event_type="test.counted") == 3


def test_handlers_are_named_by_module_and_function_through_partials_and_closures():
    def make():
        async def handle(conn, envelopes):
            return []
        return handle

    assert metrics.handler_name(partial(sample, "x")) == f"{__name__}.sample"
    assert metrics.handler_name(make()) == f"{__name__}.test_handlers_are_named_by_module_and_function_through_" \
                                           f"partials_and_closures.make.handle"


def test_consumed_events_are_counted_by_type_and_version():
    envelopes = [SimpleNamespace(event_type="test.consumed", schema_version=v) for v in (1, 1, 2)]
    metrics.count_consumed("test-group", "eligibility.cases", envelopes)
    labels = {"consumer_group": "test-group", "topic": "eligibility.cases", "event_type": "test.consumed"}
    assert sample("siji_events_consumed_total", **labels, schema_version="1") == 2
    assert sample("siji_events_consumed_total", **labels, schema_version="2") == 1
