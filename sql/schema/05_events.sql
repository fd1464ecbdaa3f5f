-- The append-only event log: every status change (and other domain events), with actor and payload.
-- Each row is also sent to the pgmq queue mission_events in the same transaction (the outbox).
-- Partitioned by month of occurred_at (events_YYYY_MM, made ahead by missions.maintain_event_partitions; rows
-- of a month without a partition land in events_default), so retention drops whole months.
CREATE TABLE missions_private.events (
  id              bigint GENERATED ALWAYS AS IDENTITY,
  occurred_at     timestamptz NOT NULL DEFAULT missions.now(),
  type            text NOT NULL,
  mission_id      uuid,
  step_id         uuid,
  participant_id  uuid,
  actor_id        uuid,
  from_status     text,
  to_status       text,
  payload         jsonb NOT NULL DEFAULT '{}',
  PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);
COMMENT ON TABLE missions_private.events IS
  'Append-only history of every transition and domain event; also the telemetry source. Monthly partitions.';
CREATE TABLE missions_private.events_default PARTITION OF missions_private.events DEFAULT;
ALTER TABLE missions_private.events_default ENABLE ROW LEVEL SECURITY;
CREATE INDEX events_mission_idx ON missions_private.events (mission_id, id);
CREATE INDEX events_participant_idx ON missions_private.events (participant_id, id);

DO $queues$ BEGIN PERFORM pgmq.create('mission_events'); END $queues$;

-- Secrets only the owner reads (no grants): the seal of the transition context, so a caller's own
-- `SET missions.transition_context` never reaches the event log or the outbox.
CREATE TABLE missions_private.engine_keys (
  name    text PRIMARY KEY CONSTRAINT engine_keys_name_size CHECK (length(name) BETWEEN 1 AND 64),
  secret  text NOT NULL CONSTRAINT engine_keys_secret_size CHECK (length(secret) BETWEEN 32 AND 256)
);
COMMENT ON TABLE missions_private.engine_keys IS
  'Engine secrets, readable by the owner only (definer functions): the transition-context seal key.';
INSERT INTO missions_private.engine_keys (name, secret)
VALUES ('transition_context', replace(gen_random_uuid()::text || gen_random_uuid()::text, '-', ''));
