"""One trace across Kafka: an event staged inside a span is published with that span's `traceparent`
header, and the batch that consumes it is a child of it, so what the consumer stages continues the trace."""

import asyncio
import uuid

from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts.topics import Topic
from siji_shared import outbox, tracing
from siji_shared.kafka import CAMPAIGN
from siji_shared.outbox import OutboxRelay
from support.events import case_approved, case_assessed, envelope_of
from support.kafka import read_topic

EXPORTED = InMemorySpanExporter()


def setup_module():
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(EXPORTED))
    trace.set_tracer_provider(provider)


async def test_the_consumer_continues_the_trace_the_event_was_staged_in(infra, pool, schema):
    campaign = f"trace-{uuid.uuid4().hex[:8]}"
    approval = case_approved(campaign)
    with tracing.tracer.start_as_current_span("approve a case") as approving:
        async with pool.acquire() as conn, conn.transaction():
            await outbox.stage(conn, [envelope_of(case_assessed(approval)), envelope_of(approval)])
    relay = asyncio.create_task(OutboxRelay(pool, schema=schema, kafka=infra.kafka, poll_seconds=0.2).run())
    try:
        [record] = [r for r in await read_topic(infra.kafka, Topic.ELIGIBILITY_CASES,
                                                until=lambda rs: any(campaign.encode() in r.value for r in rs))
                    if campaign.encode() in r.value]
    finally:
        relay.cancel()
    headers = dict(record.headers)
    assert headers[CAMPAIGN] == campaign.encode()  # the relay tells the campaign, for readers that follow only some
    trace_id = f"{approving.get_span_context().trace_id:032x}"
    assert headers[tracing.TRACEPARENT].decode().split("-")[1] == trace_id

    with tracing.consuming(Topic.ELIGIBILITY_CASES.value, "disbursement", [record]):
        with tracing.tracer.start_as_current_span("pay the case") as paying:
            assert f"{paying.get_span_context().trace_id:032x}" == trace_id
    consumed = next(s for s in EXPORTED.get_finished_spans() if s.name == f"consume {Topic.ELIGIBILITY_CASES.value}")
    assert consumed.parent.span_id == approving.get_span_context().span_id
    assert consumed.attributes["messaging.consumer.group.name"] == "disbursement"
