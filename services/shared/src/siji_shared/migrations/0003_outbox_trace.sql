-- The W3C trace context an event was staged in, sent as its Kafka header `traceparent`, so the
-- consumer's work joins the same trace (siji_shared.tracing).
ALTER TABLE outbox ADD COLUMN traceparent text;
