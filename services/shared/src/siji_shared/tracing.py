"""OpenTelemetry traces across HTTP and Kafka: FastAPI's requests by OpenTelemetry's own instrumentation,
and the trace context carried from the span an event is staged in (the outbox keeps its `traceparent`, the
relay sends it as a Kafka header) to the span its consumer handles it in, so one trace follows a case from
the request that registered it through every service its events reach. Exported with OTLP (HTTP) when
`<NAME>_OTLP_ENDPOINT` is set; otherwise the spans are no-ops and nothing is exported."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from aiokafka.structs import ConsumerRecord
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

TRACEPARENT = "traceparent"
_PROPAGATOR = TraceContextTextMapPropagator()
tracer = trace.get_tracer("siji")


def configure(service: str, app: FastAPI, *, otlp_endpoint: str | None) -> None:
    """Export to `otlp_endpoint` (e.g. http://collector:4318) when set, and only then instrument the app's
    requests: with nothing exported, the instrumentation's middleware cost a request CPU and recorded nothing."""
    if not otlp_endpoint:
        return
    provider = TracerProvider(resource=Resource.create({"service.name": f"siji-{service}"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{otlp_endpoint}/v1/traces")))
    trace.set_tracer_provider(provider)
    FastAPIInstrumentor.instrument_app(app, excluded_urls="health,metrics")


def current_traceparent() -> str | None:
    """The active span's context as a W3C traceparent, to stage with an event (None outside a span)."""
    carrier: dict[str, str] = {}
    _PROPAGATOR.inject(carrier)
    return carrier.get(TRACEPARENT)


def _context_of(record: ConsumerRecord) -> Context | None:
    for name, value in record.headers or ():
        if name == TRACEPARENT:
            return _PROPAGATOR.extract({TRACEPARENT: value.decode(errors="replace")})
    return None


@contextmanager
def consuming(topic: str, group: str, records: Iterable[ConsumerRecord]) -> Iterator[None]:
    """A span for one batch: a child of the first record's trace, linked to every other record's, so the
    events it stages continue that trace."""
    contexts = [c for c in map(_context_of, records) if c is not None]
    links = [trace.Link(trace.get_current_span(c).get_span_context()) for c in contexts[1:]]
    with tracer.start_as_current_span(f"consume {topic}", context=contexts[0] if contexts else None, links=links,
                                      kind=trace.SpanKind.CONSUMER,
                                      attributes={"messaging.system": "kafka", "messaging.destination.name": topic,
                                                  "messaging.consumer.group.name": group}):
        yield
