-- The inbox is keyed by (consumer group, event id): two consumers in one schema (say, a projection
-- and a handler of the same topic) never skip each other's events. Rows written before this
-- migration belong to the schema's one consumer group, named like the schema.
ALTER TABLE inbox ADD COLUMN consumer_group text NOT NULL DEFAULT current_schema();
ALTER TABLE inbox ALTER COLUMN consumer_group DROP DEFAULT;
ALTER TABLE inbox DROP CONSTRAINT inbox_pkey;
ALTER TABLE inbox ADD PRIMARY KEY (consumer_group, event_id);
-- Retention: rows older than the consumers' inbox retention are purged by the outbox relay while idle.
CREATE INDEX inbox_received ON inbox (received_at);
