-- Webhooks: subscriptions to event types (admins and services manage them), their signing secrets, and
-- one delivery per (event, subscription) with its attempts. Deliveries wait in the pgmq queue
-- webhook_deliveries; the worker sends them (Standard Webhooks signatures) and records each attempt.
-- Read and written through functions only (sql/functions/195_webhooks.sql).
CREATE TABLE missions_private.webhook_subscriptions (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  owner_id              uuid REFERENCES missions_private.principals (id),  -- NULL: made by an owner session (a DBA)
  url                   text NOT NULL CONSTRAINT webhook_subscriptions_url_shape
                          CHECK (length(url) <= 2048 AND url ~ '^https?://[^/?#@\s]+([/?#][^\s]*)?$'),
  -- patterns: an exact type ('step.status_changed'), a prefix ('learning.*') or everything ('*')
  event_types           text[] NOT NULL CONSTRAINT webhook_subscriptions_event_types_valid
                          CHECK (cardinality(event_types) BETWEEN 1 AND 50 AND array_ndims(event_types) = 1
                                 AND length(array_to_string(event_types, ',')) <= 5000
                                 AND array_to_string(event_types, ',', '') ~
                                     '^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)(,(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?))*$'),
  participant_id        uuid REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  mission_id            uuid REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  face                  text CONSTRAINT webhook_subscriptions_face_valid CHECK (face IN ('engagement', 'learning', 'agent')),
  description           text NOT NULL DEFAULT '' CONSTRAINT webhook_subscriptions_description_length
                          CHECK (length(description) <= 500),
  after_event_id        bigint NOT NULL DEFAULT 0,  -- events recorded after the subscription: ids above this
  enabled               boolean NOT NULL DEFAULT true,
  disabled_reason       text CONSTRAINT webhook_subscriptions_disabled_reason_length CHECK (length(disabled_reason) <= 1000),
  consecutive_failures  integer NOT NULL DEFAULT 0 CONSTRAINT webhook_subscriptions_failures_valid CHECK (consecutive_failures >= 0),
  created_at            timestamptz NOT NULL DEFAULT missions.now(),
  updated_at            timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.webhook_subscriptions IS
  'Who hears which events over HTTP: a target URL, event type patterns and optional participant, mission and face filters.';
CREATE INDEX webhook_subscriptions_enabled_idx ON missions_private.webhook_subscriptions (id) WHERE enabled;
CREATE INDEX webhook_subscriptions_owner_idx ON missions_private.webhook_subscriptions (owner_id, created_at, id);

-- Signing secrets: the current one (expires_at NULL) and, after a rotation, the previous ones until their
-- overlap ends; every unexpired secret signs each delivery, so receivers may switch at their pace.
CREATE TABLE missions_private.webhook_secrets (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  subscription_id  uuid NOT NULL REFERENCES missions_private.webhook_subscriptions (id) ON DELETE CASCADE,
  secret           text NOT NULL CONSTRAINT webhook_secrets_secret_shape CHECK (secret ~ '^whsec_[A-Za-z0-9+/=]{24,100}$'),
  created_at       timestamptz NOT NULL DEFAULT missions.now(),
  expires_at       timestamptz
);
COMMENT ON TABLE missions_private.webhook_secrets IS
  'Signing secrets of a subscription (Standard Webhooks whsec_ form): the current one and rotated ones until their overlap ends.';
CREATE UNIQUE INDEX webhook_secrets_one_current ON missions_private.webhook_secrets (subscription_id) WHERE expires_at IS NULL;

CREATE TABLE missions_private.webhook_deliveries (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  subscription_id  uuid NOT NULL REFERENCES missions_private.webhook_subscriptions (id) ON DELETE CASCADE,
  event_id         bigint NOT NULL,
  status           text NOT NULL DEFAULT 'pending'
                     CONSTRAINT webhook_deliveries_status_valid CHECK (status IN ('pending', 'delivered', 'failed')),
  attempts         integer NOT NULL DEFAULT 0,
  last_status_code integer,
  last_latency_ms  integer,
  last_error       text CONSTRAINT webhook_deliveries_last_error_length CHECK (length(last_error) <= 1000),
  created_at       timestamptz NOT NULL DEFAULT missions.now(),
  finished_at      timestamptz,
  -- at least once per (event, subscription), never fanned out twice
  CONSTRAINT webhook_deliveries_once UNIQUE (subscription_id, event_id)
);
COMMENT ON TABLE missions_private.webhook_deliveries IS
  'One delivery of one event to one subscription (its webhook-id), pending until delivered or failed; the delivery log.';
CREATE INDEX webhook_deliveries_log_idx ON missions_private.webhook_deliveries (subscription_id, created_at, id);
CREATE INDEX webhook_deliveries_pending_idx ON missions_private.webhook_deliveries (id) WHERE status = 'pending';

CREATE TABLE missions_private.webhook_attempts (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  delivery_id   uuid NOT NULL REFERENCES missions_private.webhook_deliveries (id) ON DELETE CASCADE,
  attempted_at  timestamptz NOT NULL DEFAULT missions.now(),
  status_code   integer,
  latency_ms    integer,
  error         text CONSTRAINT webhook_attempts_error_length CHECK (length(error) <= 1000)
);
COMMENT ON TABLE missions_private.webhook_attempts IS 'Every attempt of a delivery: HTTP status (NULL when none came back), latency, error.';
CREATE INDEX webhook_attempts_delivery_idx ON missions_private.webhook_attempts (delivery_id, id);

ALTER TABLE missions_private.webhook_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.webhook_secrets ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.webhook_deliveries ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.webhook_attempts ENABLE ROW LEVEL SECURITY;

DO $queues$ BEGIN PERFORM pgmq.create('webhook_deliveries'); END $queues$;

-- The live event stream's listeners (one per HTTP process), so the outbox trigger sends NOTIFY only while
-- someone listens: each checks in every 30 seconds (missions.touch_event_stream_listener).
CREATE TABLE missions_private.event_stream_listeners (
  listener_id  uuid PRIMARY KEY,
  seen_at      timestamptz NOT NULL
);
COMMENT ON TABLE missions_private.event_stream_listeners IS
  'HTTP processes listening on missions_events, by a random id per process, with when each last checked in.';
ALTER TABLE missions_private.event_stream_listeners ENABLE ROW LEVEL SECURITY;
GRANT SELECT, UPDATE, DELETE ON pgmq.q_webhook_deliveries TO missions_app;
GRANT SELECT, INSERT ON pgmq.a_webhook_deliveries TO missions_app;
