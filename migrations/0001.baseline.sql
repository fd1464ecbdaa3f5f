-- Baseline: the schema of release 0.1 (sql/schema/00..06 as of that release).
-- Later changes are new migration files; tests/test_migrations.py proves the chain equals sql/schema.

-- ==== 00_roles.sql ====
-- Database roles, one per principal kind, plus the app's login role and the clock keeper.
-- Roles are cluster-wide, so they are created only when missing.
DO $roles$
DECLARE
  r text;
BEGIN
  FOREACH r IN ARRAY ARRAY['missions_participant', 'missions_admin', 'missions_mentor',
                           'missions_agent', 'missions_service', 'missions_timekeeper'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'missions_app') THEN
    -- The HTTP app and the worker log in as this role and SET LOCAL ROLE per request.
    CREATE ROLE missions_app LOGIN NOINHERIT;
  END IF;
END
$roles$;

GRANT missions_participant, missions_admin, missions_mentor, missions_agent, missions_service
  TO missions_app;

-- ==== 01_schemas.sql ====
-- Schemas as modules: `missions` holds the public SQL API (functions callers use);
-- `missions_private` holds tables and helpers, reached only through the API.
CREATE SCHEMA missions;
COMMENT ON SCHEMA missions IS 'Mission engine: the public SQL API. Callers use only these functions.';
CREATE SCHEMA missions_private;
COMMENT ON SCHEMA missions_private IS 'Mission engine: tables and helpers behind the API.';

GRANT USAGE ON SCHEMA missions TO missions_participant, missions_admin, missions_mentor,
  missions_agent, missions_service, missions_app;
-- Invoker functions read tables under the caller's role; row-level security decides which rows.
GRANT USAGE ON SCHEMA missions_private TO missions_participant, missions_admin, missions_mentor,
  missions_agent, missions_service;

-- New functions are not executable by PUBLIC; grants are given per function.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- ==== 02_clock.sql ====
-- The engine's clock lives with the schema because column defaults read it.

-- missions.now: the engine's clock; honours the setting missions.now for timekeepers (tests, simulations).
CREATE FUNCTION missions.now() RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = ''
AS $fn$
  SELECT CASE
    WHEN pg_catalog.pg_has_role(session_user, 'missions_timekeeper', 'MEMBER')
      THEN coalesce(nullif(pg_catalog.current_setting('missions.now', true), '')::timestamptz,
                    pg_catalog.now())
    ELSE pg_catalog.now()
  END
$fn$;
COMMENT ON FUNCTION missions.now() IS
  'The engine clock: now(), or the setting missions.now when the session user is a timekeeper (superusers are).';

-- ==== 03_principals.sql ====
-- Principals (participants, admins, mentors, agents, services) and their hashed API keys.
CREATE TABLE missions_private.principals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  role          text NOT NULL
                CONSTRAINT principals_role_valid
                CHECK (role IN ('participant', 'admin', 'mentor', 'agent', 'service')),
  display_name  text NOT NULL
                CONSTRAINT principals_display_name_length CHECK (length(display_name) BETWEEN 1 AND 200),
  level         text NOT NULL DEFAULT 'L0_APPLICANT'
                CONSTRAINT principals_level_valid
                CHECK (level IN ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED',
                                 'L4_EARNER', 'L5_CATALYST')),
  tier          text NOT NULL DEFAULT 'FREE'
                CONSTRAINT principals_tier_valid CHECK (tier IN ('FREE', 'STARTER', 'PREMIUM')),
  timezone      text NOT NULL DEFAULT 'UTC',
  cohort        text CONSTRAINT principals_cohort_length CHECK (length(cohort) <= 100),
  active        boolean NOT NULL DEFAULT true,
  paused        boolean NOT NULL DEFAULT false,
  db_role       text CONSTRAINT principals_db_role_unique UNIQUE,
  attrs         jsonb NOT NULL DEFAULT '{}'
                CONSTRAINT principals_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
  created_at    timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.principals IS
  'Everyone who acts: participants, admins, mentors, agents, services. db_role binds a database login role for direct SQL callers.';

CREATE TABLE missions_private.api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  principal_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  prefix        text NOT NULL CONSTRAINT api_keys_prefix_unique UNIQUE,
  secret_hash   bytea NOT NULL,
  label         text CONSTRAINT api_keys_label_length CHECK (length(label) <= 200),
  created_at    timestamptz NOT NULL DEFAULT missions.now(),
  revoked_at    timestamptz
);
COMMENT ON TABLE missions_private.api_keys IS
  'Bearer API keys: mk_<prefix>_<secret>; only sha256 of the whole key is stored.';
CREATE INDEX api_keys_principal_idx ON missions_private.api_keys (principal_id);

-- ==== 04_missions.sql ====
-- The mission core shared by every face: templates -> missions -> steps.
CREATE TABLE missions_private.templates (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  face         text NOT NULL
               CONSTRAINT templates_face_valid CHECK (face IN ('engagement', 'learning', 'agent')),
  title        text NOT NULL CONSTRAINT templates_title_length CHECK (length(title) BETWEEN 1 AND 200),
  description  text NOT NULL DEFAULT '',
  is_active    boolean NOT NULL DEFAULT true,
  spec         jsonb NOT NULL DEFAULT '{}'
               CONSTRAINT templates_spec_object CHECK (jsonb_typeof(spec) = 'object'),
  created_at   timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.templates IS 'Reusable mission definitions; spec holds face-specific attributes.';

CREATE TABLE missions_private.template_steps (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id  uuid NOT NULL REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  position     integer NOT NULL CONSTRAINT template_steps_position_positive CHECK (position > 0),
  title        text NOT NULL,
  kind         text NOT NULL DEFAULT 'task',
  spec         jsonb NOT NULL DEFAULT '{}',
  CONSTRAINT template_steps_position_unique UNIQUE (template_id, position)
);
COMMENT ON TABLE missions_private.template_steps IS 'The ordered steps a template instantiates.';

CREATE TABLE missions_private.missions (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  face               text NOT NULL
                     CONSTRAINT missions_face_valid CHECK (face IN ('engagement', 'learning', 'agent')),
  template_id        uuid REFERENCES missions_private.templates (id),
  participant_id     uuid REFERENCES missions_private.principals (id),
  title              text NOT NULL,
  status             text NOT NULL DEFAULT 'proposed'
                     CONSTRAINT missions_status_valid
                     CHECK (status IN ('proposed', 'assigned', 'in_progress', 'waiting', 'paused',
                                       'submitted', 'completed', 'failed', 'expired', 'cancelled')),
  priority           smallint NOT NULL DEFAULT 5
                     CONSTRAINT missions_priority_range CHECK (priority BETWEEN 0 AND 10),
  assigned_at        timestamptz,
  started_at         timestamptz,
  submitted_at       timestamptz,
  completed_at       timestamptz,
  expires_at         timestamptz,
  status_changed_at  timestamptz NOT NULL DEFAULT missions.now(),
  attrs              jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT missions_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
  created_at         timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.missions IS
  'Mission instances: a template assigned to a participant, or an ad-hoc agent mission.';
CREATE INDEX missions_participant_status_idx ON missions_private.missions (participant_id, status);
CREATE INDEX missions_template_idx ON missions_private.missions (template_id);

CREATE TABLE missions_private.steps (
  id                 uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mission_id         uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  position           integer NOT NULL CONSTRAINT steps_position_positive CHECK (position > 0),
  title              text NOT NULL,
  kind               text NOT NULL DEFAULT 'task',
  status             text NOT NULL DEFAULT 'pending'
                     CONSTRAINT steps_status_valid
                     CHECK (status IN ('pending', 'ready', 'in_progress', 'completed', 'waiting_human',
                                       'waiting_external', 'blocked', 'skipped', 'failed')),
  started_at         timestamptz,
  completed_at       timestamptz,
  status_changed_at  timestamptz NOT NULL DEFAULT missions.now(),
  attrs              jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT steps_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
  CONSTRAINT steps_position_unique UNIQUE (mission_id, position)
);
COMMENT ON TABLE missions_private.steps IS 'The units of a mission that are started, claimed, completed, skipped or failed.';

-- Allowed status transitions are data; triggers on missions and steps check every change against it.
CREATE TABLE missions_private.transitions (
  entity       text NOT NULL CONSTRAINT transitions_entity_valid CHECK (entity IN ('mission', 'step')),
  from_status  text,  -- NULL: a status a new row may start in
  to_status    text NOT NULL,
  CONSTRAINT transitions_unique UNIQUE NULLS NOT DISTINCT (entity, from_status, to_status)
);
COMMENT ON TABLE missions_private.transitions IS
  'The state machines: each row allows one status change (from_status NULL = initial status).';

-- ==== 05_events.sql ====
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

-- ==== 06_security.sql ====
-- Table privileges and row-level security switches (the policies are re-applied with the functions).
ALTER TABLE missions_private.principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.events ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON missions_private.principals, missions_private.missions, missions_private.steps,
  missions_private.events, missions_private.templates, missions_private.template_steps
  TO missions_participant, missions_mentor, missions_agent;
GRANT SELECT, INSERT, UPDATE ON missions_private.principals, missions_private.templates,
  missions_private.template_steps, missions_private.missions, missions_private.steps
  TO missions_admin, missions_service;
GRANT SELECT ON missions_private.events, missions_private.transitions TO missions_admin, missions_service;

-- The worker (as the app's role) consumes the outbox queue.
GRANT USAGE ON SCHEMA pgmq TO missions_app;
GRANT SELECT, UPDATE, DELETE ON pgmq.q_mission_events TO missions_app;
GRANT SELECT, INSERT ON pgmq.a_mission_events TO missions_app;
