-- The append-only event log: every status change (and other domain events), with actor and payload.
-- Each row is also sent to the pgmq queue mission_events in the same transaction (the outbox).
CREATE TABLE missions_private.events (
  id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  occurred_at     timestamptz NOT NULL DEFAULT missions.now(),
  type            text NOT NULL,
  mission_id      uuid,
  step_id         uuid,
  participant_id  uuid,
  actor_id        uuid,
  from_status     text,
  to_status       text,
  payload         jsonb NOT NULL DEFAULT '{}'
);
COMMENT ON TABLE missions_private.events IS
  'Append-only history of every transition and domain event; also the telemetry source.';
CREATE INDEX events_mission_idx ON missions_private.events (mission_id, id);
CREATE INDEX events_participant_idx ON missions_private.events (participant_id, id);

DO $queues$ BEGIN PERFORM pgmq.create('mission_events'); END $queues$;
