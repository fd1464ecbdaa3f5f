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
