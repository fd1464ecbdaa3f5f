-- Baseline: the schema of release 0.1 (sql/schema/* as of that release).
-- Later changes are new migration files; tests/test_migrations.py proves the chain equals sql/schema.

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
-- PL/pgSQL rather than SQL: called on every write (defaults, triggers), and a PL/pgSQL body is planned
-- once per session while a non-inlinable SQL body is planned again on every call.
CREATE FUNCTION missions.now() RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN CASE
    WHEN pg_catalog.pg_has_role(session_user, 'missions_timekeeper', 'MEMBER')
      THEN coalesce(nullif(pg_catalog.current_setting('missions.now', true), '')::timestamptz,
                    pg_catalog.now())
    ELSE pg_catalog.now()
  END;
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

-- The staff's principal search (missions.search_principals) walks this order, filtering as it goes.
CREATE INDEX principals_display_name_idx ON missions_private.principals (display_name, id);

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
CREATE INDEX api_keys_principal_idx ON missions_private.api_keys (principal_id, created_at, id);

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
CREATE INDEX templates_created_idx ON missions_private.templates (created_at, id);

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
  origin             text NOT NULL DEFAULT 'manual'
                     CONSTRAINT missions_origin_valid CHECK (origin IN ('manual', 'daily', 'weekly', 'agent')),
  period             date,  -- daily/weekly: the participant's local day or week (Monday) it was assigned for
  -- engagement: the repeat-policy slot this assignment takes (missions_private.repeat_slot); NULL = unlimited
  repeat_key         text CONSTRAINT missions_repeat_key_length CHECK (length(repeat_key) <= 100),
  proof_url          text CONSTRAINT missions_proof_url_length CHECK (length(proof_url) <= 2000),
  proof_text         text CONSTRAINT missions_proof_text_length CHECK (length(proof_text) <= 10000),
  reviewed_by        uuid REFERENCES missions_private.principals (id),
  review_note        text CONSTRAINT missions_review_note_length CHECK (length(review_note) <= 2000),
  attrs              jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT missions_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
  created_at         timestamptz NOT NULL DEFAULT missions.now(),
  -- the W3C traceparent of the traced request that created the mission (app/tracing.py), NULL untraced
  trace_context      text DEFAULT (CASE WHEN current_setting('missions.traceparent', true)
                                             ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'
                                        THEN current_setting('missions.traceparent', true) END)
                     CONSTRAINT missions_trace_context_shape
                     CHECK (trace_context ~ '^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'),
  CONSTRAINT missions_period_for_periodic CHECK ((origin IN ('daily', 'weekly')) = (period IS NOT NULL))
);
COMMENT ON TABLE missions_private.missions IS
  'Mission instances: a template assigned to a participant, or an ad-hoc agent mission.';
CREATE INDEX missions_participant_status_idx ON missions_private.missions (participant_id, status);
CREATE INDEX missions_template_idx ON missions_private.missions (template_id);
-- Keyset paging orders (see missions_private.page_size): a participant's engagement history (participant_missions
-- lists challenges only), agent missions by priority.
CREATE INDEX missions_participant_created_idx ON missions_private.missions (participant_id, created_at, id)
  WHERE face = 'engagement';
CREATE INDEX missions_agent_list_idx ON missions_private.missions (priority, created_at, id) WHERE face = 'agent';
-- One open assignment (assigned, in progress or submitted) per participant and template.
CREATE UNIQUE INDEX missions_one_open_assignment ON missions_private.missions (participant_id, template_id)
  WHERE status IN ('assigned', 'in_progress', 'submitted');
-- One daily mission per local day and one weekly mission per local week.
CREATE UNIQUE INDEX missions_one_per_period ON missions_private.missions (participant_id, origin, period)
  WHERE origin IN ('daily', 'weekly');
-- The repeat policy: one live (open or completed) mission per participant, template and repeat key
-- ('once', 'day:<local date>', 'week:<local Monday>', 'after:<last paid mission>', 'cap:<local date>#<n>').
CREATE UNIQUE INDEX missions_one_per_repeat_key ON missions_private.missions (participant_id, template_id, repeat_key)
  WHERE repeat_key IS NOT NULL AND status NOT IN ('failed', 'expired', 'cancelled');
-- expire_missions: running missions with a deadline (agent missions also while proposed, waiting or paused).
CREATE INDEX missions_expiry_idx ON missions_private.missions (expires_at)
  WHERE status IN ('proposed', 'assigned', 'in_progress', 'waiting', 'paused');
-- The engagement review queue (pending_reviews); submitted learning missions are reviewed by their own steps.
CREATE INDEX missions_review_queue_idx ON missions_private.missions (submitted_at, id)
  WHERE status = 'submitted' AND face = 'engagement';
-- recently finished agent missions, newest first (missions.recent_agent_missions, seed 003's ops view)
CREATE INDEX missions_agent_finished_idx ON missions_private.missions (status_changed_at, id)
  WHERE face = 'agent' AND status IN ('completed', 'failed', 'expired', 'cancelled');

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
  priority           smallint NOT NULL DEFAULT 5,  -- the mission's, copied for the ready-queue index
  optional           boolean NOT NULL DEFAULT false,
  ready_at           timestamptz,                  -- when it last became ready (queue order)
  not_before         timestamptz,                  -- retry backoff: not claimable before this
  attempt            integer NOT NULL DEFAULT 0 CONSTRAINT steps_attempt_positive CHECK (attempt >= 0),
  -- the lease; deliberately not indexed, so heartbeats stay HOT updates
  leased_by          uuid,
  lease_token        uuid,
  lease_expires_at   timestamptz,
  agent_queue        boolean NOT NULL DEFAULT false,  -- agents claim it (set on insert from its kind and mission)
  wait_key           text CONSTRAINT steps_wait_key_length CHECK (length(wait_key) <= 500),
  waited_by          uuid,                         -- who made it wait on wait_key: an agent it names may deliver
  -- a blocked task (seed 004): what blocks it (an opaque reference such as email_reply:<id>, or task:<id> of
  -- another task of the same mission, then also in blocked_by_step and cleared when that task is done) and why
  blocked_by         text CONSTRAINT steps_blocked_by_length CHECK (length(blocked_by) BETWEEN 1 AND 255),
  blocked_by_step    uuid,
  blocked_reason     text CONSTRAINT steps_blocked_reason_length CHECK (length(blocked_reason) BETWEEN 1 AND 2000),
  blocked_since      timestamptz,
  attrs              jsonb NOT NULL DEFAULT '{}'
                     CONSTRAINT steps_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
  CONSTRAINT steps_position_unique UNIQUE (mission_id, position),
  CONSTRAINT steps_mission_id_unique UNIQUE (mission_id, id),  -- the target of steps_blocked_by_same_mission
  CONSTRAINT steps_lease_only_in_progress CHECK ((status = 'in_progress') OR lease_token IS NULL),
  -- a task blocked by a task is blocked by another task of its own mission
  CONSTRAINT steps_blocked_by_same_mission FOREIGN KEY (mission_id, blocked_by_step)
    REFERENCES missions_private.steps (mission_id, id),
  CONSTRAINT steps_not_blocked_by_itself CHECK (blocked_by_step <> id),
  CONSTRAINT steps_blocked_by_step_named CHECK (blocked_by_step IS NULL OR blocked_by = 'task:' || blocked_by_step::text),
  -- blocked exactly while the status is blocked, always with a reference or a reason; no blocker otherwise
  CONSTRAINT steps_blocker_while_blocked CHECK (
    CASE WHEN status = 'blocked' THEN blocked_since IS NOT NULL AND (blocked_by IS NOT NULL OR blocked_reason IS NOT NULL)
         ELSE blocked_since IS NULL AND blocked_by IS NULL AND blocked_by_step IS NULL AND blocked_reason IS NULL END)
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02,
        autovacuum_vacuum_cost_delay = 0);
COMMENT ON TABLE missions_private.steps IS
  'The units of a mission that are started, claimed, completed, skipped or failed. Hot table: fillfactor and autovacuum tuned for lease updates.';
-- The agents' claim queue, one ordered run per kind: only ready steps that agents claim are indexed, so
-- finished history and the ready subtasks of learners never slow a claim, and a claim walks only the kinds
-- it asks for (a backlog of another kind ahead in priority costs it nothing).
CREATE INDEX steps_ready_queue ON missions_private.steps (kind, priority DESC, ready_at, id)
  WHERE status = 'ready' AND agent_queue;
-- Agents' in-progress steps (as many as live leases): where expired leases are found without a sweeper.
CREATE INDEX steps_in_progress ON missions_private.steps (mission_id) WHERE status = 'in_progress' AND agent_queue;
-- Who holds a lease (agents' steps and mentors' reviews): deactivating a principal releases them. Heartbeats
-- change neither column, so they stay HOT updates.
CREATE INDEX steps_leased_by ON missions_private.steps (leased_by) WHERE status = 'in_progress';
CREATE INDEX steps_waiting_external ON missions_private.steps (wait_key) WHERE status = 'waiting_external';
-- blocked tasks by reference: deliver_external_event unblocks the tasks blocked by its key
CREATE INDEX steps_blocked_by ON missions_private.steps (blocked_by) WHERE status = 'blocked';

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

-- ==== 06_security.sql ====
-- Table privileges and row-level security switches (the policies are re-applied with the functions).
ALTER TABLE missions_private.principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.events ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON missions_private.principals, missions_private.missions, missions_private.steps,
  missions_private.events
  TO missions_participant, missions_mentor, missions_agent;
-- Template content reaches participants, mentors and agents only through functions: they may read the
-- columns every catalog function publishes anyway, never a spec (a subtask's spec holds its hint texts,
-- which only missions.reveal_hint hands out, recording the reveal).
GRANT SELECT (id, face, title, description, is_active, created_at) ON missions_private.templates
  TO missions_participant, missions_mentor, missions_agent;
GRANT SELECT (id, template_id, position, title, kind) ON missions_private.template_steps
  TO missions_participant, missions_mentor, missions_agent;
GRANT SELECT, INSERT, UPDATE ON missions_private.principals, missions_private.templates,
  missions_private.template_steps, missions_private.missions, missions_private.steps
  TO missions_admin, missions_service;
GRANT SELECT ON missions_private.events, missions_private.transitions TO missions_admin, missions_service;

-- The worker (as the app's role) consumes the outbox queue.
GRANT USAGE ON SCHEMA pgmq TO missions_app;
GRANT SELECT, UPDATE, DELETE ON pgmq.q_mission_events TO missions_app;
GRANT SELECT, INSERT ON pgmq.a_mission_events TO missions_app;

-- ==== 07_engagement.sql ====
-- Engagement face: challenge templates, the currency ledger, streaks and triad, alerts, the wall.

CREATE TABLE missions_private.challenge_templates (
  template_id     uuid PRIMARY KEY REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  skill_domain    text NOT NULL
                  CONSTRAINT challenge_templates_domain_valid CHECK (skill_domain IN ('TECHNICAL', 'SOFT', 'COMMERCIAL')),
  difficulty      text NOT NULL
                  CONSTRAINT challenge_templates_difficulty_valid CHECK (difficulty IN ('EASY', 'MEDIUM', 'HARD')),
  momentum        integer NOT NULL DEFAULT 10 CONSTRAINT challenge_templates_momentum_range CHECK (momentum BETWEEN 0 AND 1000000),
  skill_xp        integer NOT NULL DEFAULT 5 CONSTRAINT challenge_templates_skill_xp_range CHECK (skill_xp BETWEEN 0 AND 1000000),
  arena_points    integer NOT NULL DEFAULT 0
                  CONSTRAINT challenge_templates_arena_points_range CHECK (arena_points BETWEEN 0 AND 1000000),
  required_level  text NOT NULL DEFAULT 'L0_APPLICANT'
                  CONSTRAINT challenge_templates_level_valid
                  CHECK (required_level IN ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED',
                                            'L4_EARNER', 'L5_CATALYST')),
  is_daily        boolean NOT NULL DEFAULT false,
  is_weekly       boolean NOT NULL DEFAULT false,
  -- The repeat policy: how often the template pays one participant (README, engagement rules).
  repeat          text NOT NULL DEFAULT 'once'
                  CONSTRAINT challenge_templates_repeat_valid CHECK (repeat IN ('once', 'cooldown', 'unlimited')),
  cooldown_seconds integer
                  CONSTRAINT challenge_templates_cooldown_range CHECK (cooldown_seconds BETWEEN 60 AND 31622400),
  daily_cap       integer CONSTRAINT challenge_templates_daily_cap_range CHECK (daily_cap BETWEEN 1 AND 100),
  CONSTRAINT challenge_templates_one_period CHECK (NOT (is_daily AND is_weekly)),
  -- a daily or weekly template pays once per local day or week, nothing else
  CONSTRAINT challenge_templates_periodic_repeat_once CHECK (NOT (is_daily OR is_weekly) OR repeat = 'once'),
  CONSTRAINT challenge_templates_cooldown_for_cooldown CHECK ((repeat = 'cooldown') = (cooldown_seconds IS NOT NULL)),
  CONSTRAINT challenge_templates_daily_cap_for_unlimited CHECK (daily_cap IS NULL OR repeat = 'unlimited'),
  -- repeating without limit only where an admin approves every payout (MEDIUM, HARD), or under a daily cap
  CONSTRAINT challenge_templates_unlimited_reviewed_or_capped
    CHECK (repeat <> 'unlimited' OR difficulty <> 'EASY' OR daily_cap IS NOT NULL)
);
COMMENT ON TABLE missions_private.challenge_templates IS
  'Engagement attributes of a template: domain, difficulty, rewards, level gate, daily/weekly flags, repeat policy.';

-- What a participant sees of a challenge template.
CREATE VIEW missions_private.challenges WITH (security_invoker = true) AS
  SELECT t.id, t.title, t.description, c.skill_domain, c.difficulty, c.momentum, c.skill_xp, c.arena_points,
         c.required_level, c.is_daily, c.is_weekly, t.is_active, t.created_at, c.repeat, c.cooldown_seconds,
         c.daily_cap
  FROM missions_private.templates t
  JOIN missions_private.challenge_templates c ON c.template_id = t.id;

-- The currencies: this domain's CHECK is the one list (missions_private.currencies() reads it, in this order,
-- for the functions that open, validate or list balances).
CREATE DOMAIN missions_private.currency AS text
  CONSTRAINT currency_valid CHECK (VALUE IN ('MOMENTUM', 'SKILL_XP', 'ARENA_POINTS', 'INCOME_PROOF'));
COMMENT ON DOMAIN missions_private.currency IS 'A currency of the ledger: MOMENTUM, SKILL_XP, ARENA_POINTS, INCOME_PROOF.';

CREATE TABLE missions_private.ledger_entries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  participant_id   uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  currency         missions_private.currency NOT NULL,
  amount           bigint NOT NULL,     -- signed: what was actually credited (> 0) or debited (<= 0)
  requested        bigint NOT NULL,     -- what the caller asked for (a debit may be floored at zero)
  reason           text NOT NULL CONSTRAINT ledger_entries_reason_length CHECK (length(reason) BETWEEN 1 AND 200),
  reference        text CONSTRAINT ledger_entries_reference_length CHECK (length(reference) <= 200),
  idempotency_key  text CONSTRAINT ledger_entries_idempotency_key_length CHECK (length(idempotency_key) <= 200),
  actor_id         uuid,
  created_at       timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.ledger_entries IS
  'Append-only currency ledger; balances always equal the sum of these amounts.';
CREATE UNIQUE INDEX ledger_entries_idempotency ON missions_private.ledger_entries (participant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX ledger_entries_participant_idx ON missions_private.ledger_entries (participant_id, id);

CREATE TABLE missions_private.balances (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  currency        missions_private.currency NOT NULL,
  amount          bigint NOT NULL DEFAULT 0 CONSTRAINT balances_never_negative CHECK (amount >= 0),
  PRIMARY KEY (participant_id, currency)
);
COMMENT ON TABLE missions_private.balances IS 'Current balance per participant and currency (the sum of ledger entries).';

CREATE TABLE missions_private.mission_rewards (
  mission_id      uuid PRIMARY KEY REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  momentum        integer NOT NULL,
  skill_xp        integer NOT NULL,
  arena_points    integer NOT NULL,
  skill_domain    text NOT NULL,
  triad_points    integer NOT NULL,
  rewarded_at     timestamptz NOT NULL DEFAULT missions.now(),
  template_id     uuid REFERENCES missions_private.templates (id),
  repeat_key      text CONSTRAINT mission_rewards_repeat_key_length CHECK (length(repeat_key) <= 100)
);
COMMENT ON TABLE missions_private.mission_rewards IS
  'One row per rewarded mission: the primary key makes every reward happen once; the repeat key (copied from the mission) at most once per participant and template.';
-- The payout side of the repeat policy: one reward per participant, template and repeat key.
CREATE UNIQUE INDEX mission_rewards_one_per_repeat_key
  ON missions_private.mission_rewards (participant_id, template_id, repeat_key) WHERE repeat_key IS NOT NULL;

CREATE TABLE missions_private.participant_progress (
  participant_id    uuid PRIMARY KEY REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  current_streak    integer NOT NULL DEFAULT 0 CONSTRAINT participant_progress_streak_positive CHECK (current_streak >= 0),
  longest_streak    integer NOT NULL DEFAULT 0,
  last_check_in     date,   -- the participant's local day of the latest check-in
  last_decay_day    date,   -- the latest local day the decay job has evaluated
  triad_technical   integer NOT NULL DEFAULT 0,
  triad_soft        integer NOT NULL DEFAULT 0,
  triad_commercial  integer NOT NULL DEFAULT 0,
  CONSTRAINT participant_progress_longest_covers_current CHECK (longest_streak >= current_streak)
);
COMMENT ON TABLE missions_private.participant_progress IS 'Streaks, decay bookkeeping and the skill triad of each participant.';

CREATE TABLE missions_private.check_ins (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  local_day       date NOT NULL,
  checked_in_at   timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (participant_id, local_day)
);
COMMENT ON TABLE missions_private.check_ins IS 'One row per participant and local day with a check-in.';

CREATE TABLE missions_private.alerts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  type            text NOT NULL
                  CONSTRAINT alerts_type_valid CHECK (type IN ('LOW_MOMENTUM', 'MISSED_MISSIONS', 'TRIAD_IMBALANCE')),
  severity        text NOT NULL CONSTRAINT alerts_severity_valid CHECK (severity IN ('HIGH', 'MEDIUM', 'LOW')),
  status          text NOT NULL DEFAULT 'triggered'
                  CONSTRAINT alerts_status_valid CHECK (status IN ('triggered', 'resolved')),
  details         jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT missions.now(),
  resolved_at     timestamptz,
  resolved_by     uuid REFERENCES missions_private.principals (id),
  notes           text CONSTRAINT alerts_notes_length CHECK (length(notes) <= 2000),
  CONSTRAINT alerts_resolution_consistent CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
COMMENT ON TABLE missions_private.alerts IS 'Intervention alerts for admins: triggered, then resolved with notes.';
CREATE UNIQUE INDEX alerts_one_open_per_type ON missions_private.alerts (participant_id, type)
  WHERE status = 'triggered';
CREATE INDEX alerts_status_idx ON missions_private.alerts (status, created_at, id);
CREATE INDEX alerts_created_idx ON missions_private.alerts (created_at, id);

CREATE TABLE missions_private.wall_posts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  body            text NOT NULL CONSTRAINT wall_posts_body_length CHECK (length(body) BETWEEN 1 AND 5000),
  published_at    timestamptz NOT NULL DEFAULT missions.now(),
  rank_score      numeric(12, 2) NOT NULL DEFAULT 0,
  ranked_at       timestamptz,
  -- 'post': written by the participant; otherwise a system post of an achievement of the participant
  kind            text NOT NULL DEFAULT 'post'
                  CONSTRAINT wall_posts_kind_valid CHECK (kind IN ('post', 'hard_completion', 'streak_milestone', 'level_up')),
  -- what the achievement was (a mission id, '<streak>:<local day>', a level): unique per participant and kind
  achievement_ref text CONSTRAINT wall_posts_achievement_ref_length CHECK (length(achievement_ref) <= 100),
  CONSTRAINT wall_posts_achievement_has_ref CHECK ((kind = 'post') = (achievement_ref IS NULL))
);
COMMENT ON TABLE missions_private.wall_posts IS
  'The public wall: participants'' posts and system posts of achievements (kind); rank_score is recomputed hourly.';
-- Each achievement is posted once, whoever races to post it.
CREATE UNIQUE INDEX wall_posts_one_per_achievement
  ON missions_private.wall_posts (participant_id, kind, achievement_ref) WHERE achievement_ref IS NOT NULL;
CREATE INDEX wall_posts_feed_idx ON missions_private.wall_posts (rank_score DESC, published_at DESC, id DESC);
CREATE INDEX wall_posts_participant_idx ON missions_private.wall_posts (participant_id);

CREATE TABLE missions_private.settings (
  key    text PRIMARY KEY,
  value  text NOT NULL
);
COMMENT ON TABLE missions_private.settings IS 'Engine settings an admin may change (e.g. campaign_hashtag).';

-- Stipend tiers: a ladder of balance thresholds staff manage (missions.set_stipend_tier). A participant
-- qualifies for a tier when they meet its threshold and those of every lower rank.
CREATE TABLE missions_private.stipend_tiers (
  code         text PRIMARY KEY CONSTRAINT stipend_tiers_code_valid CHECK (code ~ '^[A-Z][A-Z0-9_]{0,39}$'),
  rank         integer NOT NULL CONSTRAINT stipend_tiers_rank_range CHECK (rank BETWEEN 1 AND 20),
  currency     missions_private.currency NOT NULL,
  min_balance  bigint NOT NULL CONSTRAINT stipend_tiers_min_balance_range CHECK (min_balance BETWEEN 0 AND 1000000000),
  description  text CONSTRAINT stipend_tiers_description_length CHECK (length(description) <= 500),
  CONSTRAINT stipend_tiers_rank_unique UNIQUE (rank)
);
COMMENT ON TABLE missions_private.stipend_tiers IS
  'Support eligibility and stipend tiers: a ladder (rank 1..20) of minimum balances of a currency.';
-- The tiers shipped (staff change them; a migrate never re-adds a deleted one).
INSERT INTO missions_private.stipend_tiers (code, rank, currency, min_balance, description) VALUES
  ('SUPPORT', 1, 'MOMENTUM', 30, 'Eligible for support: momentum at or above the low-momentum line'),
  ('STIPEND_BASIC', 2, 'MOMENTUM', 100, 'Basic stipend'),
  ('STIPEND_PLUS', 3, 'MOMENTUM', 250, 'Higher stipend for sustained momentum');

ALTER TABLE missions_private.ledger_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.balances ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.mission_rewards ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.participant_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.check_ins ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.alerts ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON missions_private.challenge_templates, missions_private.challenges, missions_private.ledger_entries,
  missions_private.balances, missions_private.mission_rewards, missions_private.participant_progress,
  missions_private.check_ins, missions_private.alerts, missions_private.wall_posts, missions_private.settings,
  missions_private.stipend_tiers
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT UPDATE ON missions_private.alerts TO missions_admin, missions_service;
GRANT INSERT, UPDATE ON missions_private.challenge_templates TO missions_admin, missions_service;

-- ==== 08_agents.sql ====
-- Agent face: step kinds with quotas, agent missions (ops and persistent), dependencies, results,
-- human input requests and external events.

CREATE TABLE missions_private.step_kinds (
  kind               text PRIMARY KEY CONSTRAINT step_kinds_kind_format CHECK (kind ~ '^[a-z][a-z0-9_]{0,62}$'),
  trusted            boolean NOT NULL DEFAULT false,
  daily_quota        integer CONSTRAINT step_kinds_daily_quota_positive CHECK (daily_quota >= 0),  -- NULL: unlimited
  claim_ttl_seconds  integer NOT NULL DEFAULT 600
                     CONSTRAINT step_kinds_claim_ttl_range CHECK (claim_ttl_seconds BETWEEN 5 AND 86400),
  max_attempts       integer NOT NULL DEFAULT 3 CONSTRAINT step_kinds_max_attempts_range CHECK (max_attempts BETWEEN 1 AND 100),
  backoff_seconds    integer NOT NULL DEFAULT 30 CONSTRAINT step_kinds_backoff_range CHECK (backoff_seconds BETWEEN 0 AND 86400),
  claimant           text NOT NULL DEFAULT 'agent' CONSTRAINT step_kinds_claimant_valid CHECK (claimant IN ('agent', 'mentor')),
  review             boolean NOT NULL DEFAULT false  -- review steps run while their mission is submitted
);
COMMENT ON TABLE missions_private.step_kinds IS
  'What can be claimed: trust (auto-approval), daily quota, lease TTL, retries; who claims it (agents or mentors) and whether it reviews a submitted mission.';

CREATE TABLE missions_private.quota_usage (
  kind  text NOT NULL REFERENCES missions_private.step_kinds (kind) ON DELETE CASCADE,
  day   date NOT NULL,   -- UTC day
  used  integer NOT NULL DEFAULT 0 CONSTRAINT quota_usage_used_positive CHECK (used >= 0),
  PRIMARY KEY (kind, day)
);
COMMENT ON TABLE missions_private.quota_usage IS 'Claims per kind and UTC day; incremented WHERE used < quota in the claim''s transaction.';

-- Who may claim a review kind (step_kinds.review: ai_review, mentor_review): an allow-list per kind that an
-- admin keeps. A revoked designation stays as a row (revoked_at), so re-applying the migration's designation
-- of the built-in reviewer never undoes an admin's revoke, and the history of who graded when is kept.
CREATE TABLE missions_private.step_kind_reviewers (
  kind          text NOT NULL REFERENCES missions_private.step_kinds (kind) ON DELETE CASCADE,
  principal_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  granted_by    uuid REFERENCES missions_private.principals (id),  -- NULL: the migration or an owner session
  granted_at    timestamptz NOT NULL DEFAULT missions.now(),
  revoked_by    uuid REFERENCES missions_private.principals (id),
  revoked_at    timestamptz,
  PRIMARY KEY (kind, principal_id),
  CONSTRAINT step_kind_reviewers_revoked_consistent CHECK (revoked_at IS NOT NULL OR revoked_by IS NULL)
);
COMMENT ON TABLE missions_private.step_kind_reviewers IS
  'Designated reviewers per review kind (revoked_at NULL: designated); only they claim steps of the kind.';
CREATE INDEX step_kind_reviewers_principal_idx ON missions_private.step_kind_reviewers (principal_id, kind)
  WHERE revoked_at IS NULL;

CREATE TABLE missions_private.agent_missions (
  mission_id             uuid PRIMARY KEY REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  kind                   text NOT NULL CONSTRAINT agent_missions_kind_valid CHECK (kind IN ('ops', 'persistent')),
  description            text NOT NULL DEFAULT '' CONSTRAINT agent_missions_description_length CHECK (length(description) <= 20000),
  created_by             uuid REFERENCES missions_private.principals (id),
  conversation_id        text CONSTRAINT agent_missions_conversation_length CHECK (length(conversation_id) <= 255),
  report_location        text CONSTRAINT agent_missions_report_length CHECK (length(report_location) <= 1000),
  blocked_by             text CONSTRAINT agent_missions_blocked_by_length CHECK (length(blocked_by) <= 500),
  blocked_since          timestamptz,
  can_run_autonomously   boolean NOT NULL DEFAULT false,
  last_autonomous_check  timestamptz,
  approved_by            uuid REFERENCES missions_private.principals (id)
);
COMMENT ON TABLE missions_private.agent_missions IS 'Agent attributes of a mission: ops or persistent, origin, blocking, autonomy, approval.';
CREATE INDEX agent_missions_autonomous_idx ON missions_private.agent_missions (last_autonomous_check)
  WHERE can_run_autonomously;

CREATE TABLE missions_private.mission_agents (
  mission_id  uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  agent_id    uuid NOT NULL REFERENCES missions_private.principals (id),
  role        text NOT NULL CONSTRAINT mission_agents_role_valid CHECK (role IN ('lead', 'supporting')),
  PRIMARY KEY (mission_id, agent_id)
);
COMMENT ON TABLE missions_private.mission_agents IS 'Agents allowed on a mission (none listed: any agent).';
CREATE INDEX mission_agents_agent_idx ON missions_private.mission_agents (agent_id);

CREATE TABLE missions_private.step_dependencies (
  step_id     uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  depends_on  uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  PRIMARY KEY (step_id, depends_on),
  CONSTRAINT step_dependencies_not_self CHECK (step_id <> depends_on)
);
COMMENT ON TABLE missions_private.step_dependencies IS 'A step is ready when every step it depends on is completed or skipped.';
CREATE INDEX step_dependencies_depends_on_idx ON missions_private.step_dependencies (depends_on);

CREATE TABLE missions_private.step_results (
  step_id      uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  attempt      integer NOT NULL,
  agent_id     uuid,
  outcome      text NOT NULL CONSTRAINT step_results_outcome_valid CHECK (outcome IN ('completed', 'failed')),
  result       jsonb,
  error        text CONSTRAINT step_results_error_length CHECK (length(error) <= 10000),
  recorded_at  timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (step_id, attempt)
);
COMMENT ON TABLE missions_private.step_results IS
  'Results and errors per attempt, kept out of the hot step table; the primary key records at most one outcome per attempt.';
-- No step is completed twice.
CREATE UNIQUE INDEX step_results_one_completion ON missions_private.step_results (step_id) WHERE outcome = 'completed';

CREATE TABLE missions_private.input_requests (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mission_id       uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  step_id          uuid REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  conversation_id  text CONSTRAINT input_requests_conversation_length CHECK (length(conversation_id) <= 255),
  prompt           text NOT NULL CONSTRAINT input_requests_prompt_length CHECK (length(prompt) BETWEEN 1 AND 10000),
  options          jsonb NOT NULL DEFAULT '[]' CONSTRAINT input_requests_options_array CHECK (jsonb_typeof(options) = 'array'),
  allow_freeform   boolean NOT NULL DEFAULT true,
  context          jsonb,
  urgency          text NOT NULL DEFAULT 'normal' CONSTRAINT input_requests_urgency_valid CHECK (urgency IN ('low', 'normal', 'high')),
  status           text NOT NULL DEFAULT 'pending'
                   CONSTRAINT input_requests_status_valid CHECK (status IN ('pending', 'responded', 'expired', 'cancelled')),
  response         jsonb,
  responded_by     uuid REFERENCES missions_private.principals (id),
  responded_at     timestamptz,
  requested_by     uuid,
  created_at       timestamptz NOT NULL DEFAULT missions.now(),
  expires_at       timestamptz NOT NULL,
  cancelled_by     uuid REFERENCES missions_private.principals (id),  -- NULL: the engine (a re-plan by an owner session)
  cancelled_at     timestamptz,
  cancel_reason    text CONSTRAINT input_requests_cancel_reason_length CHECK (length(cancel_reason) <= 2000),
  CONSTRAINT input_requests_response_consistent CHECK ((status = 'responded') = (responded_at IS NOT NULL)),
  CONSTRAINT input_requests_cancel_consistent CHECK ((status = 'cancelled') = (cancelled_at IS NOT NULL)
                                                     AND (status = 'cancelled' OR cancelled_by IS NULL))
);
COMMENT ON TABLE missions_private.input_requests IS 'A question to a person; the step waits (waiting_human) until it is answered or expires.';
CREATE INDEX input_requests_pending_idx ON missions_private.input_requests (expires_at) WHERE status = 'pending';
CREATE INDEX input_requests_mission_idx ON missions_private.input_requests (mission_id);
CREATE INDEX input_requests_created_idx ON missions_private.input_requests (created_at, id);

CREATE TABLE missions_private.external_events (
  id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  key          text NOT NULL CONSTRAINT external_events_key_length CHECK (length(key) BETWEEN 1 AND 500),
  -- who delivered it; NULL is the engine's own scope (owner and cron sessions, the worker: the app unbound)
  sender_id    uuid REFERENCES missions_private.principals (id),
  event_id     text NOT NULL,  -- the sender's id (random when it gave none): the same id twice is a no-op
  payload      jsonb NOT NULL DEFAULT '{}',
  received_at  timestamptz NOT NULL DEFAULT missions.now(),
  consumed_at  timestamptz,
  -- event ids are scoped by their sender, so nobody can reserve (squat) the ids of another sender
  CONSTRAINT external_events_sender_event_unique UNIQUE NULLS NOT DISTINCT (sender_id, event_id)
);
COMMENT ON TABLE missions_private.external_events IS
  'Events from outside (email replies, webhooks) by key; kept until a step waiting on the key consumes them. Unique per (sender, event id).';
CREATE INDEX external_events_unconsumed_idx ON missions_private.external_events (key) WHERE consumed_at IS NULL;

CREATE TYPE missions.claim AS (
  step_id      uuid,
  mission_id   uuid,
  agent_id     uuid,
  lease_token  uuid,
  expires_at   timestamptz,
  attempt      integer,
  kind         text,
  title        text,
  spec         jsonb
);
COMMENT ON TYPE missions.claim IS 'A step lease: present lease_token on heartbeat, complete, fail and release.';

DO $queues$ BEGIN PERFORM pgmq.create('external_events'); PERFORM pgmq.create('agent_work'); END $queues$;

-- Agents and users read these through SECURITY DEFINER functions that apply
-- missions_private.can_see_mission; only staff read the tables directly.
GRANT SELECT ON missions_private.step_kinds, missions_private.quota_usage
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT SELECT ON missions_private.agent_missions, missions_private.mission_agents, missions_private.step_dependencies,
  missions_private.step_results, missions_private.input_requests, missions_private.external_events,
  missions_private.step_kind_reviewers
  TO missions_admin, missions_service;
GRANT INSERT, UPDATE ON missions_private.step_kinds TO missions_admin, missions_service;
GRANT USAGE ON TYPE missions.claim TO missions_participant, missions_admin, missions_mentor, missions_agent,
  missions_service;
GRANT SELECT, UPDATE, DELETE ON pgmq.q_external_events TO missions_app;
GRANT SELECT, INSERT ON pgmq.a_external_events TO missions_app;

-- ==== 09_learning.sql ====
-- Learning face: coded multi-stage missions with rubrics, hints, decisions, evidence, reviews,
-- portfolio and skill signals, monthly start quotas, and recipes (micro-learning) with usage tracking.

CREATE TABLE missions_private.learning_templates (
  template_id            uuid PRIMARY KEY REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  code                   text NOT NULL CONSTRAINT learning_templates_code_unique UNIQUE
                         CONSTRAINT learning_templates_code_format CHECK (code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$' AND length(code) <= 32),
  story                  text NOT NULL DEFAULT '' CONSTRAINT learning_templates_story_length CHECK (length(story) <= 20000),
  objectives             text[] NOT NULL DEFAULT '{}',
  tier                   text NOT NULL
                         CONSTRAINT learning_templates_tier_valid CHECK (tier IN ('beginner', 'intermediate', 'advanced', 'mastery')),
  track                  text NOT NULL
                         CONSTRAINT learning_templates_track_valid
                         CHECK (track IN ('defender', 'offensive', 'grc', 'innovation', 'leadership')),
  success_criteria       text[] NOT NULL DEFAULT '{}',
  time_constraint_hours  integer CONSTRAINT learning_templates_time_range CHECK (time_constraint_hours BETWEEN 1 AND 8760),
  reflection_required    boolean NOT NULL DEFAULT false,
  is_capstone            boolean NOT NULL DEFAULT false,
  pass_score             integer NOT NULL DEFAULT 70 CONSTRAINT learning_templates_pass_score_range CHECK (pass_score BETWEEN 0 AND 100),
  skills                 text[] NOT NULL DEFAULT '{}',
  momentum               integer NOT NULL DEFAULT 20 CONSTRAINT learning_templates_momentum_range CHECK (momentum BETWEEN 0 AND 1000000),
  skill_xp               integer NOT NULL DEFAULT 100 CONSTRAINT learning_templates_skill_xp_range CHECK (skill_xp BETWEEN 0 AND 1000000),
  -- at the deadline a mission with work in it is submitted for review instead of expiring (missions.auto_submit_learning_missions)
  auto_submit            boolean NOT NULL DEFAULT false,
  CONSTRAINT learning_templates_auto_submit_needs_deadline CHECK (NOT auto_submit OR time_constraint_hours IS NOT NULL)
);
COMMENT ON TABLE missions_private.learning_templates IS
  'Learning attributes of a template: code, story, objectives, tier and track, time limit, reflection, capstone, pass score, skills, rewards, auto-submit at the deadline.';
-- The list order: track, tier rank (the expression missions.learning_templates uses), code.
CREATE INDEX learning_templates_track_tier_idx ON missions_private.learning_templates
  (track, (pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], tier)), code);

-- Rubrics are versioned: a version that a mission has used is never changed; a change is a new version.
CREATE TABLE missions_private.rubrics (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id  uuid NOT NULL REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  version      integer NOT NULL CONSTRAINT rubrics_version_positive CHECK (version > 0),
  criteria     jsonb NOT NULL CONSTRAINT rubrics_criteria_array CHECK (jsonb_typeof(criteria) = 'array'),
  created_at   timestamptz NOT NULL DEFAULT missions.now(),
  CONSTRAINT rubrics_version_unique UNIQUE (template_id, version)
);
COMMENT ON TABLE missions_private.rubrics IS
  'Scoring rubric versions: criteria = [{subtask, criterion, weight}]; immutable once a mission uses it.';

-- One row per learning mission (progress): the rubric version it is scored with, reflection, reviews, scores.
CREATE TABLE missions_private.learning_missions (
  mission_id           uuid PRIMARY KEY REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  template_id          uuid NOT NULL REFERENCES missions_private.templates (id),
  participant_id       uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  rubric_id            uuid NOT NULL REFERENCES missions_private.rubrics (id),
  reflection           text CONSTRAINT learning_missions_reflection_length CHECK (length(reflection) <= 20000),
  tools_used           text[] NOT NULL DEFAULT '{}',
  review_stage         text NOT NULL DEFAULT 'working'
                       CONSTRAINT learning_missions_review_stage_valid
                       CHECK (review_stage IN ('working', 'ai_review', 'ai_reviewed', 'mentor_review',
                                               'changes_requested', 'approved')),
  ai_score             numeric(5, 2) CONSTRAINT learning_missions_ai_score_range CHECK (ai_score BETWEEN 0 AND 100),
  ai_review            jsonb,       -- the reviewer's result: per-subtask scores and reasoning, verdict
  ai_reviewed_at       timestamptz,
  mentor_id            uuid REFERENCES missions_private.principals (id),
  mentor_requested_at  timestamptz,
  mentor_score         numeric(5, 2) CONSTRAINT learning_missions_mentor_score_range CHECK (mentor_score BETWEEN 0 AND 100),
  mentor_review        jsonb,       -- per-subtask scores, feedback, decision
  mentor_reviewed_at   timestamptz,
  final_score          numeric(5, 2) CONSTRAINT learning_missions_final_score_range CHECK (final_score BETWEEN 0 AND 100),
  feedback             text CONSTRAINT learning_missions_feedback_length CHECK (length(feedback) <= 20000),
  review_rounds        integer NOT NULL DEFAULT 0,
  deadline_warned_at   timestamptz,
  auto_submitted_at    timestamptz  -- the deadline job submitted it (at most once per mission)
);
COMMENT ON TABLE missions_private.learning_missions IS
  'Progress of a learning mission beyond its steps: rubric version, reflection, tools used, AI and mentor reviews, final score.';
CREATE INDEX learning_missions_participant_idx ON missions_private.learning_missions (participant_id);
CREATE INDEX learning_missions_template_idx ON missions_private.learning_missions (template_id);
CREATE INDEX learning_missions_rubric_idx ON missions_private.learning_missions (rubric_id);
-- The mentor review queue in its order: only missions in mentor review (request_mentor_review sets the stage and
-- the time together; a verdict or a resubmission moves the stage on), so the index is as small as the queue.
CREATE INDEX learning_missions_mentor_queue_idx ON missions_private.learning_missions (mentor_requested_at, mission_id)
  WHERE review_stage = 'mentor_review';

-- Subtask notes (the step row keeps status and timestamps).
CREATE TABLE missions_private.subtask_notes (
  step_id     uuid PRIMARY KEY REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  mission_id  uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  notes       text NOT NULL CONSTRAINT subtask_notes_length CHECK (length(notes) <= 20000),
  updated_at  timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.subtask_notes IS 'The learner''s notes on a subtask.';
CREATE INDEX subtask_notes_mission_idx ON missions_private.subtask_notes (mission_id);

CREATE TABLE missions_private.hint_reveals (
  step_id      uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  level        integer NOT NULL CONSTRAINT hint_reveals_level_positive CHECK (level > 0),
  mission_id   uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  revealed_at  timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (step_id, level)
);
COMMENT ON TABLE missions_private.hint_reveals IS 'Hints revealed, one level at a time per subtask (the usage record).';
CREATE INDEX hint_reveals_mission_idx ON missions_private.hint_reveals (mission_id);

CREATE TABLE missions_private.decisions (
  step_id       uuid PRIMARY KEY REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  mission_id    uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  decision_key  text NOT NULL,
  choice_key    text NOT NULL,
  skipped       integer[] NOT NULL DEFAULT '{}',   -- subtask positions the choice took off the path
  chosen_at     timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.decisions IS 'The choice made at a decision point (one per decision) and the subtasks it skipped.';
CREATE INDEX decisions_mission_idx ON missions_private.decisions (mission_id);

CREATE TABLE missions_private.evidence_files (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mission_id      uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  step_id         uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  filename        text NOT NULL CONSTRAINT evidence_files_filename_length CHECK (length(filename) BETWEEN 1 AND 255),
  content_type    text NOT NULL CONSTRAINT evidence_files_content_type_length CHECK (length(content_type) BETWEEN 3 AND 255),
  size_bytes      bigint NOT NULL CONSTRAINT evidence_files_size_positive CHECK (size_bytes > 0),
  sha256          text NOT NULL CONSTRAINT evidence_files_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- content addressed, as the evidence store lays it out (app/storage.py key_for): no caller names a key
  storage_key     text NOT NULL GENERATED ALWAYS AS (substr(sha256, 1, 2) || '/' || sha256) STORED,
  uploaded_by     uuid,
  uploaded_at     timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.evidence_files IS
  'Evidence attached to a subtask: metadata and sha256 here, the bytes in the storage backend under storage_key (derived from sha256).';
CREATE INDEX evidence_files_mission_idx ON missions_private.evidence_files (mission_id, step_id);

CREATE TABLE missions_private.monthly_starts (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  month           date NOT NULL,  -- first day of the participant's local calendar month
  used            integer NOT NULL DEFAULT 0 CONSTRAINT monthly_starts_used_positive CHECK (used >= 0),
  PRIMARY KEY (participant_id, month)
);
COMMENT ON TABLE missions_private.monthly_starts IS
  'Learning missions started per participant and local month; incremented WHERE used < the tier''s quota.';

CREATE TABLE missions_private.portfolio_items (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  mission_id      uuid NOT NULL CONSTRAINT portfolio_items_mission_unique UNIQUE
                  REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  code            text NOT NULL,
  title           text NOT NULL,
  track           text NOT NULL,
  tier            text NOT NULL,
  score           numeric(5, 2) NOT NULL,
  rubric          jsonb NOT NULL,    -- the rubric version with the scores given per subtask
  evidence        jsonb NOT NULL,    -- [{id, subtask, filename, content_type, sha256}]
  completed_at    timestamptz NOT NULL
);
COMMENT ON TABLE missions_private.portfolio_items IS 'One portfolio item per approved learning mission: score, rubric, date and evidence links.';
CREATE INDEX portfolio_items_participant_idx ON missions_private.portfolio_items (participant_id, completed_at, id);

CREATE TABLE missions_private.skill_signals (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  skill           text NOT NULL,
  mastery         numeric(5, 2) NOT NULL CONSTRAINT skill_signals_mastery_range CHECK (mastery BETWEEN 0 AND 100),
  confidence      numeric(4, 3) NOT NULL CONSTRAINT skill_signals_confidence_range CHECK (confidence BETWEEN 0 AND 1),
  evidence_count  integer NOT NULL CONSTRAINT skill_signals_evidence_positive CHECK (evidence_count > 0),
  updated_at      timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (participant_id, skill)
);
COMMENT ON TABLE missions_private.skill_signals IS
  'Per skill: mastery = mean final score of approved missions exercising it, confidence = 1 - 0.5^missions.';
CREATE INDEX skill_signals_strongest_idx ON missions_private.skill_signals (participant_id, (-mastery), skill);

CREATE TABLE missions_private.recipes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL CONSTRAINT recipes_slug_unique UNIQUE
              CONSTRAINT recipes_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
  title       text NOT NULL CONSTRAINT recipes_title_length CHECK (length(title) BETWEEN 1 AND 200),
  type        text NOT NULL
              CONSTRAINT recipes_type_valid CHECK (type IN ('technical', 'analysis', 'tool', 'concept', 'soft_skill')),
  skills      text[] NOT NULL DEFAULT '{}',
  minutes     integer NOT NULL DEFAULT 5 CONSTRAINT recipes_minutes_range CHECK (minutes BETWEEN 1 AND 600),
  content     text NOT NULL DEFAULT '' CONSTRAINT recipes_content_length CHECK (length(content) <= 100000),
  created_at  timestamptz NOT NULL DEFAULT missions.now(),
  updated_at  timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.recipes IS 'Micro-learning items: slug, title, type, skills, minutes, content.';
CREATE INDEX recipes_skills_idx ON missions_private.recipes USING gin (skills);

CREATE TABLE missions_private.recipe_links (
  recipe_id    uuid NOT NULL REFERENCES missions_private.recipes (id) ON DELETE CASCADE,
  template_id  uuid NOT NULL REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  subtask      integer CONSTRAINT recipe_links_subtask_positive CHECK (subtask > 0),  -- NULL: the whole mission
  CONSTRAINT recipe_links_unique UNIQUE NULLS NOT DISTINCT (recipe_id, template_id, subtask)
);
COMMENT ON TABLE missions_private.recipe_links IS 'Recipes recommended for a mission template, or for one of its subtasks (stage).';
CREATE INDEX recipe_links_template_idx ON missions_private.recipe_links (template_id, subtask);

CREATE TABLE missions_private.recipe_usage (
  participant_id   uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  recipe_id        uuid NOT NULL REFERENCES missions_private.recipes (id) ON DELETE CASCADE,
  mission_id       uuid REFERENCES missions_private.missions (id) ON DELETE SET NULL,  -- where it was last used
  views            integer NOT NULL DEFAULT 0 CONSTRAINT recipe_usage_views_positive CHECK (views >= 0),
  seconds_spent    integer NOT NULL DEFAULT 0 CONSTRAINT recipe_usage_seconds_positive CHECK (seconds_spent >= 0),
  first_viewed_at  timestamptz,
  completed_at     timestamptz,
  marked_used_at   timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (participant_id, recipe_id)
);
COMMENT ON TABLE missions_private.recipe_usage IS 'Per participant and recipe: views, time spent, completed, marked used.';
CREATE INDEX recipe_usage_recipe_idx ON missions_private.recipe_usage (recipe_id);

CREATE TABLE missions_private.recipe_recommendations (
  mission_id      uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  recipe_id       uuid NOT NULL REFERENCES missions_private.recipes (id) ON DELETE CASCADE,
  recommended_by  uuid NOT NULL REFERENCES missions_private.principals (id),
  created_at      timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (mission_id, recipe_id)
);
COMMENT ON TABLE missions_private.recipe_recommendations IS 'Recipes a mentor recommended in a review.';

ALTER TABLE missions_private.learning_missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.subtask_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.hint_reveals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.evidence_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.monthly_starts ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.portfolio_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.skill_signals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.recipe_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.recipe_recommendations ENABLE ROW LEVEL SECURITY;

-- Writes go through SECURITY DEFINER functions; plain SELECTs are filtered by the policies.
GRANT SELECT ON missions_private.learning_templates, missions_private.rubrics, missions_private.recipes,
  missions_private.recipe_links
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT SELECT ON missions_private.learning_missions, missions_private.subtask_notes, missions_private.hint_reveals,
  missions_private.decisions, missions_private.evidence_files, missions_private.monthly_starts,
  missions_private.portfolio_items, missions_private.skill_signals, missions_private.recipe_usage,
  missions_private.recipe_recommendations
  TO missions_participant, missions_admin, missions_service;

-- ==== 10_learning_analytics.sql ====
-- Learning analytics: materialized views over the learning tables, refreshed CONCURRENTLY by
-- missions.refresh_learning_analytics() (pg_cron job refresh_learning_analytics, every 15 minutes).
-- Each has a UNIQUE index (required by REFRESH … CONCURRENTLY) and is created WITH DATA (CONCURRENTLY
-- needs a populated view). They call built-in functions only: sql/functions/000_drop_functions.sql drops
-- the engine's functions with CASCADE on every migrate, which would take a dependent view with them.
-- Nobody but the owner may SELECT them; callers read them through missions.mission_performance() & co.
-- Rates are fractions rounded to 4 decimals; scores and durations are rounded to 2.

-- Per learning template: attempts (learning missions started), completions, completion rate, mean
-- final score and mean hours from start to completion of the completed ones.
CREATE MATERIALIZED VIEW missions_private.mission_performance AS
SELECT t.id AS template_id, l.code, t.title, l.track, l.tier,
       count(m.id)::integer AS attempts,
       (count(m.id) FILTER (WHERE m.status = 'completed'))::integer AS completed,
       coalesce(round((count(m.id) FILTER (WHERE m.status = 'completed'))::numeric / nullif(count(m.id), 0), 4), 0)
         AS completion_rate,
       round(avg(lm.final_score) FILTER (WHERE m.status = 'completed'), 2) AS avg_final_score,
       round(avg(extract(epoch FROM m.completed_at - m.started_at) / 3600) FILTER (WHERE m.status = 'completed'), 2)
         AS avg_hours
FROM missions_private.learning_templates l
JOIN missions_private.templates t ON t.id = l.template_id
LEFT JOIN missions_private.learning_missions lm ON lm.template_id = l.template_id
LEFT JOIN missions_private.missions m ON m.id = lm.mission_id AND m.started_at IS NOT NULL
GROUP BY t.id, l.code, t.title, l.track, l.tier
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.mission_performance IS
  'Per learning template: attempts (missions started), completed, completion_rate, avg_final_score and avg_hours (start to completion) of completed missions.';
CREATE UNIQUE INDEX mission_performance_template_idx ON missions_private.mission_performance (template_id);
CREATE INDEX mission_performance_order_idx ON missions_private.mission_performance
  (track, (pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], tier)), code);

-- Per template and subtask: how many missions reached it (it became ready, was started, done or skipped),
-- completed it, skipped it, dropped off at it (the mission ended expired, failed or cancelled with this as
-- its first subtask neither completed nor skipped), and the median and 90th percentile minutes spent on it
-- (completed_at - started_at of completed subtasks).
CREATE MATERIALIZED VIEW missions_private.step_funnel AS
WITH sub AS (
  SELECT m.id AS mission_id, m.template_id, m.status AS mission_status, s.position, s.status, s.started_at,
         s.completed_at
  FROM missions_private.missions m
  JOIN missions_private.steps s ON s.mission_id = m.id AND s.kind = 'subtask'
  WHERE m.face = 'learning'
), drops AS (
  SELECT d.template_id, d.position, count(*)::integer AS n
  FROM (SELECT sub.template_id, sub.mission_id, min(sub.position) AS position
        FROM sub
        WHERE sub.mission_status IN ('expired', 'failed', 'cancelled') AND sub.status NOT IN ('completed', 'skipped')
        GROUP BY sub.template_id, sub.mission_id) d
  GROUP BY d.template_id, d.position
)
SELECT ts.template_id, l.code, ts.position AS subtask, ts.title,
       (count(sub.mission_id) FILTER (WHERE sub.status <> 'pending'))::integer AS reached,
       (count(sub.mission_id) FILTER (WHERE sub.status = 'completed'))::integer AS completed,
       (count(sub.mission_id) FILTER (WHERE sub.status = 'skipped'))::integer AS skipped,
       coalesce(max(drops.n), 0)::integer AS dropped_off,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sub.completed_at - sub.started_at)::float8 / 60)
                FILTER (WHERE sub.status = 'completed' AND sub.started_at IS NOT NULL))::numeric, 2) AS p50_minutes,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM sub.completed_at - sub.started_at)::float8 / 60)
                FILTER (WHERE sub.status = 'completed' AND sub.started_at IS NOT NULL))::numeric, 2) AS p90_minutes
FROM missions_private.template_steps ts
JOIN missions_private.learning_templates l ON l.template_id = ts.template_id
LEFT JOIN sub ON sub.template_id = ts.template_id AND sub.position = ts.position
LEFT JOIN drops ON drops.template_id = ts.template_id AND drops.position = ts.position
GROUP BY ts.template_id, l.code, ts.position, ts.title
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.step_funnel IS
  'Per learning template and subtask: reached, completed, skipped, dropped_off (ended expired/failed/cancelled there), p50/p90 minutes per completed subtask.';
CREATE UNIQUE INDEX step_funnel_template_subtask_idx ON missions_private.step_funnel (template_id, subtask);

-- Completed learning missions per track, ISO day of week (1 Monday … 7 Sunday) and hour (0-23) of the
-- completion in the participant's own time zone. Only cells with completions have a row.
CREATE MATERIALIZED VIEW missions_private.completion_heatmap AS
SELECT l.track,
       extract(isodow FROM m.completed_at AT TIME ZONE p.timezone)::integer AS iso_dow,
       extract(hour FROM m.completed_at AT TIME ZONE p.timezone)::integer AS hour,
       count(*)::integer AS completions
FROM missions_private.missions m
JOIN missions_private.learning_templates l ON l.template_id = m.template_id
JOIN missions_private.principals p ON p.id = m.participant_id
WHERE m.face = 'learning' AND m.status = 'completed'
GROUP BY 1, 2, 3
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.completion_heatmap IS
  'Learning completions per track, ISO day of week (1-7) and hour (0-23) in the participant''s local time zone.';
CREATE UNIQUE INDEX completion_heatmap_cell_idx ON missions_private.completion_heatmap (track, iso_dow, hour);

-- Per participant with at least one completed learning mission: cohort ('none' without one), completed
-- missions, mean final score, and the percentile of that mean within the cohort
-- (percent_rank() * 100, one decimal: 0 for the lowest, 100 for the highest, 0 alone).
CREATE MATERIALIZED VIEW missions_private.participant_benchmarks AS
WITH per AS (
  SELECT m.participant_id, coalesce(p.cohort, 'none') AS cohort, count(*)::integer AS completed,
         round(avg(lm.final_score), 2) AS avg_score
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN missions_private.principals p ON p.id = m.participant_id
  WHERE m.face = 'learning' AND m.status = 'completed'
  GROUP BY m.participant_id, coalesce(p.cohort, 'none')
)
SELECT per.participant_id, per.cohort, per.completed, per.avg_score,
       round((percent_rank() OVER (PARTITION BY per.cohort ORDER BY per.avg_score) * 100)::numeric, 1) AS percentile,
       (count(*) OVER (PARTITION BY per.cohort))::integer AS cohort_size
FROM per
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.participant_benchmarks IS
  'Per participant with a completed learning mission: cohort, completed, avg_score, percentile of avg_score in the cohort (percent_rank x 100), cohort_size.';
CREATE UNIQUE INDEX participant_benchmarks_participant_idx ON missions_private.participant_benchmarks (participant_id);
CREATE INDEX participant_benchmarks_order_idx ON missions_private.participant_benchmarks (cohort, (-percentile), participant_id);

-- Per recipe: the ended (completed, failed, expired, cancelled) learning missions of the templates it is
-- linked to, split by whether their participant completed or marked the recipe used ("with") or not
-- ("without"); success = completed. lift = success_rate_with - success_rate_without.
CREATE MATERIALIZED VIEW missions_private.recipe_effectiveness AS
WITH ended AS (
  SELECT DISTINCT rl.recipe_id, m.id AS mission_id, m.status = 'completed' AS success,
         EXISTS (SELECT FROM missions_private.recipe_usage u
                 WHERE u.recipe_id = rl.recipe_id AND u.participant_id = m.participant_id
                   AND (u.completed_at IS NOT NULL OR u.marked_used_at IS NOT NULL)) AS used
  FROM missions_private.recipe_links rl
  JOIN missions_private.missions m ON m.template_id = rl.template_id
  WHERE m.face = 'learning' AND m.status IN ('completed', 'failed', 'expired', 'cancelled')
), counts AS (
  SELECT r.id AS recipe_id, r.slug, r.title,
         (count(e.mission_id) FILTER (WHERE e.used))::integer AS attempts_with,
         (count(e.mission_id) FILTER (WHERE e.used AND e.success))::integer AS successes_with,
         (count(e.mission_id) FILTER (WHERE NOT e.used))::integer AS attempts_without,
         (count(e.mission_id) FILTER (WHERE NOT e.used AND e.success))::integer AS successes_without
  FROM missions_private.recipes r
  LEFT JOIN ended e ON e.recipe_id = r.id
  GROUP BY r.id, r.slug, r.title
)
SELECT c.recipe_id, c.slug, c.title,
       coalesce((SELECT array_agg(DISTINCT l.code ORDER BY l.code)
                 FROM missions_private.recipe_links rl
                 JOIN missions_private.learning_templates l ON l.template_id = rl.template_id
                 WHERE rl.recipe_id = c.recipe_id), '{}') AS templates,
       c.attempts_with, c.successes_with, c.attempts_without, c.successes_without,
       round(c.successes_with::numeric / nullif(c.attempts_with, 0), 4) AS success_rate_with,
       round(c.successes_without::numeric / nullif(c.attempts_without, 0), 4) AS success_rate_without,
       round(c.successes_with::numeric / nullif(c.attempts_with, 0)
             - c.successes_without::numeric / nullif(c.attempts_without, 0), 4) AS lift
FROM counts c
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.recipe_effectiveness IS
  'Per recipe and its linked templates (codes): ended missions with / without the recipe completed or marked used, successes, success rates and lift.';
CREATE UNIQUE INDEX recipe_effectiveness_recipe_idx ON missions_private.recipe_effectiveness (recipe_id);
CREATE INDEX recipe_effectiveness_order_idx ON missions_private.recipe_effectiveness ((lift IS NULL), (-coalesce(lift, 0)), slug);

-- Per cohort ('none' for participants without one): participants, learners (started a learning mission),
-- learning missions started and completed, completion rate, mean final score of the completed ones, and the
-- cohort's three strongest skills by mean mastery (skill_signals; ties by name).
CREATE MATERIALIZED VIEW missions_private.cohort_dashboard AS
WITH people AS (
  SELECT p.id, coalesce(p.cohort, 'none') AS cohort
  FROM missions_private.principals p
  WHERE p.role = 'participant'
), headcount AS (
  SELECT people.cohort, count(*)::integer AS participants FROM people GROUP BY people.cohort
), work AS (
  SELECT people.cohort,
         count(DISTINCT m.participant_id)::integer AS learners,
         count(*)::integer AS started,
         (count(*) FILTER (WHERE m.status = 'completed'))::integer AS completed,
         round(avg(lm.final_score) FILTER (WHERE m.status = 'completed'), 2) AS avg_final_score
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN people ON people.id = m.participant_id
  WHERE m.started_at IS NOT NULL
  GROUP BY people.cohort
), skills AS (
  SELECT x.cohort, (array_agg(x.skill ORDER BY x.mastery DESC, x.skill))[1:3] AS top_skills
  FROM (SELECT people.cohort, s.skill, avg(s.mastery) AS mastery
        FROM missions_private.skill_signals s
        JOIN people ON people.id = s.participant_id
        GROUP BY people.cohort, s.skill) x
  GROUP BY x.cohort
)
SELECT h.cohort, h.participants, coalesce(w.learners, 0) AS learners, coalesce(w.started, 0) AS started,
       coalesce(w.completed, 0) AS completed,
       coalesce(round(w.completed::numeric / nullif(w.started, 0), 4), 0) AS completion_rate,
       w.avg_final_score, coalesce(k.top_skills, '{}') AS top_skills
FROM headcount h
LEFT JOIN work w ON w.cohort = h.cohort
LEFT JOIN skills k ON k.cohort = h.cohort
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.cohort_dashboard IS
  'Per cohort: participants, learners, learning missions started and completed, completion_rate, avg_final_score, top_skills (top 3 by mean mastery).';
CREATE UNIQUE INDEX cohort_dashboard_cohort_idx ON missions_private.cohort_dashboard (cohort);

-- Per recipe: its usage as recorded by missions.track_recipe_usage (one recipe_usage row per participant):
-- learners (participants with a row), viewers (views > 0), views, seconds spent (total, and mean minutes per
-- learner), completed (participants who completed it), completion_rate (completed / learners), marked_used
-- ("mark as used") and the last usage. Recipes nobody used have a row of zeros.
CREATE MATERIALIZED VIEW missions_private.recipe_usage_stats AS
SELECT r.id AS recipe_id, r.slug, r.title, r.type,
       count(u.participant_id)::integer AS learners,
       (count(u.participant_id) FILTER (WHERE u.views > 0))::integer AS viewers,
       coalesce(sum(u.views), 0)::bigint AS views,
       coalesce(sum(u.seconds_spent), 0)::bigint AS seconds_spent,
       round(avg(u.seconds_spent) / 60, 2) AS avg_minutes,
       (count(u.participant_id) FILTER (WHERE u.completed_at IS NOT NULL))::integer AS completed,
       coalesce(round((count(u.participant_id) FILTER (WHERE u.completed_at IS NOT NULL))::numeric
                      / nullif(count(u.participant_id), 0), 4), 0) AS completion_rate,
       (count(u.participant_id) FILTER (WHERE u.marked_used_at IS NOT NULL))::integer AS marked_used,
       max(u.updated_at) AS last_used_at
FROM missions_private.recipes r
LEFT JOIN missions_private.recipe_usage u ON u.recipe_id = r.id
GROUP BY r.id, r.slug, r.title, r.type
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.recipe_usage_stats IS
  'Per recipe: learners, viewers, views, seconds_spent, avg_minutes per learner, completed, completion_rate (completed / learners), marked_used, last_used_at.';
CREATE UNIQUE INDEX recipe_usage_stats_recipe_idx ON missions_private.recipe_usage_stats (recipe_id);
CREATE INDEX recipe_usage_stats_order_idx ON missions_private.recipe_usage_stats ((-views), slug);

-- Per learning template, decision point and choice (from the template's subtasks, so a choice nobody took has a
-- row of zeros): how often it was chosen, its share of the choices made at that decision, and the outcome of the
-- missions that took it: still open, ended (completed, failed, expired, cancelled), completed, success rate
-- (completed / ended) and mean final score of the completed ones.
CREATE MATERIALIZED VIEW missions_private.decision_paths AS
WITH choices AS (
  SELECT ts.template_id, ts.position AS subtask, ts.spec->'decision'->>'key' AS decision_key,
         c->>'key' AS choice_key, c->>'label' AS label, (c->>'next')::integer AS next_subtask
  FROM missions_private.template_steps ts
  CROSS JOIN jsonb_array_elements(ts.spec->'decision'->'choices') c
  WHERE ts.spec ? 'decision'
), made AS (
  SELECT m.template_id, d.decision_key, d.choice_key, m.status, lm.final_score
  FROM missions_private.decisions d
  JOIN missions_private.missions m ON m.id = d.mission_id
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
), counted AS (
  SELECT ch.template_id, ch.subtask, ch.decision_key, ch.choice_key, ch.label, ch.next_subtask,
         count(made.template_id)::integer AS chosen,
         (count(made.template_id) FILTER (WHERE made.status IN ('completed', 'failed', 'expired', 'cancelled')))::integer
           AS ended,
         (count(made.template_id) FILTER (WHERE made.status = 'completed'))::integer AS completed,
         round(avg(made.final_score) FILTER (WHERE made.status = 'completed'), 2) AS avg_final_score
  FROM choices ch
  LEFT JOIN made ON made.template_id = ch.template_id AND made.decision_key = ch.decision_key
                AND made.choice_key = ch.choice_key
  GROUP BY ch.template_id, ch.subtask, ch.decision_key, ch.choice_key, ch.label, ch.next_subtask
)
SELECT c.template_id, l.code, c.subtask, c.decision_key, c.choice_key, c.label, c.next_subtask, c.chosen,
       coalesce(round(c.chosen::numeric / nullif(sum(c.chosen) OVER (PARTITION BY c.template_id, c.subtask), 0), 4), 0)
         AS share,
       c.chosen - c.ended AS open, c.ended, c.completed,
       round(c.completed::numeric / nullif(c.ended, 0), 4) AS success_rate, c.avg_final_score
FROM counted c
JOIN missions_private.learning_templates l ON l.template_id = c.template_id
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.decision_paths IS
  'Per learning template, decision point and choice: chosen, share of the choices made there, open, ended, completed, success_rate (completed / ended), avg_final_score.';
CREATE UNIQUE INDEX decision_paths_choice_idx ON missions_private.decision_paths (template_id, subtask, choice_key);

-- Per learning template and tool (learning_missions.tools_used, as learners report them): missions that used it,
-- their share of the template's started missions, and their outcome as in decision_paths.
CREATE MATERIALIZED VIEW missions_private.tool_usage AS
WITH started AS (
  SELECT lm.template_id, m.status, lm.final_score, lm.tools_used
  FROM missions_private.learning_missions lm
  JOIN missions_private.missions m ON m.id = lm.mission_id
  WHERE m.started_at IS NOT NULL
), attempts AS (
  SELECT s.template_id, count(*) AS n FROM started s GROUP BY s.template_id
)
SELECT s.template_id, l.code, t.tool,
       count(*)::integer AS missions,
       round(count(*)::numeric / max(a.n), 4) AS share,
       (count(*) FILTER (WHERE s.status IN ('completed', 'failed', 'expired', 'cancelled')))::integer AS ended,
       (count(*) FILTER (WHERE s.status = 'completed'))::integer AS completed,
       round((count(*) FILTER (WHERE s.status = 'completed'))::numeric
             / nullif(count(*) FILTER (WHERE s.status IN ('completed', 'failed', 'expired', 'cancelled')), 0), 4)
         AS success_rate,
       round(avg(s.final_score) FILTER (WHERE s.status = 'completed'), 2) AS avg_final_score
FROM started s
CROSS JOIN unnest(s.tools_used) AS t(tool)
JOIN attempts a ON a.template_id = s.template_id
JOIN missions_private.learning_templates l ON l.template_id = s.template_id
GROUP BY s.template_id, l.code, t.tool
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.tool_usage IS
  'Per learning template and tool reported used: missions, share of the template''s started missions, ended, completed, success_rate (completed / ended), avg_final_score.';
CREATE UNIQUE INDEX tool_usage_tool_idx ON missions_private.tool_usage (template_id, tool);
CREATE INDEX tool_usage_order_idx ON missions_private.tool_usage (template_id, (-missions), tool);

-- ==== 11_idempotency.sql ====
-- Idempotency keys: a write retried with the same key gets the first call's answer back, and the
-- work is done once. Only the engine's functions read or write this table (no grants, RLS on).
CREATE TABLE missions_private.idempotency_keys (
  caller      text NOT NULL,  -- the bound principal's id, or the session user when none is bound
  operation   text NOT NULL,  -- the SQL function's name
  key         text NOT NULL CONSTRAINT idempotency_keys_key_length CHECK (length(key) BETWEEN 1 AND 200),
  request     jsonb NOT NULL, -- the call's arguments: the same key with other arguments is refused
  response    jsonb,          -- the first call's answer, as JSON
  created_at  timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (caller, operation, key)
);
COMMENT ON TABLE missions_private.idempotency_keys IS
  'Answers of writes called with an idempotency key, replayed for retries; purged after idempotency_key_ttl_hours.';
CREATE INDEX idempotency_keys_created_idx ON missions_private.idempotency_keys (created_at);
ALTER TABLE missions_private.idempotency_keys ENABLE ROW LEVEL SECURITY;

-- ==== 12_size_limits.sql ====
-- Size limits on every column a caller can fill (the tables above declare most of theirs inline;
-- these bound the rest). Oversize input fails its statement with 23514 and the constraint's name
-- (HTTP 422), so nothing of the call is stored. tests/test_input_limits.py walks the catalog and
-- fails for any text, text[] or jsonb column that is neither bounded here or inline, nor written
-- only by the engine.
ALTER TABLE missions_private.principals
  ADD CONSTRAINT principals_attrs_size CHECK (pg_column_size(attrs) <= 65536),
  ADD CONSTRAINT principals_timezone_length CHECK (length(timezone) <= 100),
  ADD CONSTRAINT principals_db_role_length CHECK (length(db_role) <= 63);

ALTER TABLE missions_private.templates
  ADD CONSTRAINT templates_description_length CHECK (length(description) <= 20000),
  ADD CONSTRAINT templates_spec_size CHECK (pg_column_size(spec) <= 65536);

ALTER TABLE missions_private.template_steps
  ADD CONSTRAINT template_steps_title_length CHECK (length(title) BETWEEN 1 AND 200),
  ADD CONSTRAINT template_steps_kind_length CHECK (length(kind) <= 63),
  ADD CONSTRAINT template_steps_spec_size CHECK (pg_column_size(spec) <= 65536);

ALTER TABLE missions_private.missions
  -- agent missions take seed 004's 500 characters; the other faces copy a template's title (at most 200)
  ADD CONSTRAINT missions_title_length CHECK (length(title) BETWEEN 1 AND CASE WHEN face = 'agent' THEN 500 ELSE 200 END),
  ADD CONSTRAINT missions_attrs_size CHECK (pg_column_size(attrs) <= 262144);

ALTER TABLE missions_private.steps
  ADD CONSTRAINT steps_title_length CHECK (length(title) BETWEEN 1 AND 500),  -- seed 004's tasks; template steps: 200
  ADD CONSTRAINT steps_kind_length CHECK (length(kind) <= 63),
  ADD CONSTRAINT steps_attrs_size CHECK (pg_column_size(attrs) <= 1048576);  -- holds a delivered event's payload

ALTER TABLE missions_private.events
  ADD CONSTRAINT events_payload_size CHECK (pg_column_size(payload) <= 1048576);

ALTER TABLE missions_private.settings
  ADD CONSTRAINT settings_value_length CHECK (length(value) <= 10000);

ALTER TABLE missions_private.step_results
  ADD CONSTRAINT step_results_result_size CHECK (pg_column_size(result) <= 1048576);

ALTER TABLE missions_private.input_requests
  ADD CONSTRAINT input_requests_options_size CHECK (pg_column_size(options) <= 65536),
  ADD CONSTRAINT input_requests_context_size CHECK (pg_column_size(context) <= 65536),
  ADD CONSTRAINT input_requests_response_size CHECK (pg_column_size(response) <= 65536);

ALTER TABLE missions_private.external_events
  ADD CONSTRAINT external_events_event_id_length CHECK (length(event_id) BETWEEN 1 AND 200),
  ADD CONSTRAINT external_events_payload_size CHECK (pg_column_size(payload) <= 262144);

ALTER TABLE missions_private.learning_templates
  ADD CONSTRAINT learning_templates_objectives_size CHECK (cardinality(objectives) <= 100
                                                          AND length(array_to_string(objectives, '')) <= 20000),
  ADD CONSTRAINT learning_templates_success_criteria_size CHECK (cardinality(success_criteria) <= 100
                                                                AND length(array_to_string(success_criteria, '')) <= 20000),
  ADD CONSTRAINT learning_templates_skills_size CHECK (cardinality(skills) <= 100
                                                      AND length(array_to_string(skills, '')) <= 10000);

ALTER TABLE missions_private.learning_missions
  ADD CONSTRAINT learning_missions_tools_used_size CHECK (cardinality(tools_used) <= 100
                                                         AND length(array_to_string(tools_used, '')) <= 10000);

ALTER TABLE missions_private.decisions
  ADD CONSTRAINT decisions_keys_length CHECK (length(decision_key) <= 100 AND length(choice_key) <= 100);

ALTER TABLE missions_private.rubrics
  ADD CONSTRAINT rubrics_criteria_size CHECK (pg_column_size(criteria) <= 262144);

ALTER TABLE missions_private.recipes
  ADD CONSTRAINT recipes_skills_size CHECK (cardinality(skills) <= 100 AND length(array_to_string(skills, '')) <= 10000);

ALTER TABLE missions_private.skill_signals
  ADD CONSTRAINT skill_signals_skill_length CHECK (length(skill) <= 100);

-- ==== 13_notifications.sql ====
-- In-app notifications: one inbox per principal, filled by the rules of sql/functions/190_notifications.sql
-- at the seeds' moments (a mentor review requested, a question for a mission's owner, an alert, a learning
-- deadline, a daily or weekly mission assigned, a streak at risk). Read through functions only.
CREATE TABLE missions_private.notifications (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  recipient_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  kind          text NOT NULL CONSTRAINT notifications_kind_valid CHECK (kind IN (
                  'mentor_review_requested', 'input_requested', 'alert_triggered', 'deadline_warning',
                  'mission_assigned', 'streak_at_risk', 'webhook_disabled')),
  -- what happened, once: 'event:<id>', 'alert:<id>', 'mission:<id>', 'streak:<local day>', 'webhook:<subscription id>:<disabled at>'
  moment        text NOT NULL CONSTRAINT notifications_moment_length CHECK (length(moment) BETWEEN 1 AND 200),
  mission_id    uuid,
  title         text NOT NULL CONSTRAINT notifications_title_length CHECK (length(title) BETWEEN 1 AND 600),
  details       jsonb NOT NULL DEFAULT '{}' CONSTRAINT notifications_details_size CHECK (pg_column_size(details) <= 16384),
  created_at    timestamptz NOT NULL DEFAULT missions.now(),
  read_at       timestamptz,
  CONSTRAINT notifications_once UNIQUE (recipient_id, kind, moment)
);
COMMENT ON TABLE missions_private.notifications IS
  'Each principal''s inbox; the unique (recipient, kind, moment) makes every moment notify a recipient once.';
CREATE INDEX notifications_inbox_idx ON missions_private.notifications (recipient_id, id);
CREATE INDEX notifications_unread_idx ON missions_private.notifications (recipient_id, id) WHERE read_at IS NULL;
ALTER TABLE missions_private.notifications ENABLE ROW LEVEL SECURITY;

-- ==== 14_webhooks.sql ====
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
