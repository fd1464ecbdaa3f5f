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
