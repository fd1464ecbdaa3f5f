-- Agent missions: ops missions (kinds, agents, approval) and persistent missions (owner, tasks over time).

-- missions_private.parse_steps: step specs numbered after position p_base, with their dependencies as positions.
CREATE OR REPLACE FUNCTION missions_private.parse_steps(p_base integer, p_steps jsonb)
RETURNS TABLE (step_position integer, title text, kind text, optional boolean, spec jsonb, depends_on integer[])
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT p_base + x.n::integer, missions_private.clean_text(x.step->>'title'), coalesce(x.step->>'kind', 'task'),
         coalesce((x.step->>'optional')::boolean, false),
         x.step - 'title' - 'kind' - 'optional' - 'depends_on',
         CASE WHEN x.step ? 'depends_on'
              THEN ARRAY(SELECT p_base + d::integer FROM pg_catalog.jsonb_array_elements_text(x.step->'depends_on') d)
              WHEN p_base + x.n > 1 THEN ARRAY[(p_base + x.n - 1)::integer] ELSE '{}'::integer[] END
  FROM pg_catalog.jsonb_array_elements(p_steps) WITH ORDINALITY AS x(step, n)
$fn$;
COMMENT ON FUNCTION missions_private.parse_steps(integer, jsonb) IS
  'Parses step specs: position after p_base, title, kind (task), optional, the rest as spec, depends_on positions (default: the previous step).';

-- missions_private.add_steps: inserts steps from a JSON array after the mission's last one; returns how many.
CREATE OR REPLACE FUNCTION missions_private.add_steps(p_mission_id uuid, p_steps jsonb) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_base integer;
  v_priority smallint;
  v_bad text;
  v_count integer;
BEGIN
  IF p_steps IS NULL OR pg_catalog.jsonb_typeof(p_steps) <> 'array' THEN
    RAISE EXCEPTION 'steps must be a JSON array' USING ERRCODE = 'MS422';
  END IF;
  SELECT coalesce(max(s.position), 0) INTO v_base FROM missions_private.steps s WHERE s.mission_id = p_mission_id;
  SELECT m.priority INTO v_priority FROM missions_private.missions m WHERE m.id = p_mission_id;

  SELECT string_agg(pg_catalog.format('step %s: %s', n.step_position - v_base,
           CASE WHEN n.title IS NULL THEN 'a title is required'
                WHEN NOT EXISTS (SELECT FROM missions_private.step_kinds k WHERE k.kind = n.kind)
                  THEN pg_catalog.format('unknown kind "%s"', n.kind)
                ELSE 'depends_on must name earlier steps (1-based positions)' END), '; ')
  INTO v_bad
  FROM missions_private.parse_steps(v_base, p_steps) n
  WHERE n.title IS NULL
     OR NOT EXISTS (SELECT FROM missions_private.step_kinds k WHERE k.kind = n.kind)
     OR EXISTS (SELECT FROM unnest(n.depends_on) d WHERE d >= n.step_position OR d < 1);
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'invalid steps: %', v_bad USING ERRCODE = 'MS422';
  END IF;

  INSERT INTO missions_private.steps (mission_id, position, title, kind, optional, priority, attrs, status, ready_at)
  SELECT p_mission_id, n.step_position, n.title, n.kind, n.optional, v_priority, n.spec, 'pending', NULL
  FROM missions_private.parse_steps(v_base, p_steps) n ORDER BY n.step_position;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  INSERT INTO missions_private.step_dependencies (step_id, depends_on)
  SELECT s.id, d.id
  FROM missions_private.parse_steps(v_base, p_steps) n
  JOIN missions_private.steps s ON s.mission_id = p_mission_id AND s.position = n.step_position
  CROSS JOIN LATERAL unnest(n.depends_on) AS dep(position)
  JOIN missions_private.steps d ON d.mission_id = p_mission_id AND d.position = dep.position;
  PERFORM missions_private.advance_mission(p_mission_id, v_now);
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.add_steps(uuid, jsonb) IS
  'Appends steps ({title, kind (task), optional, depends_on: [positions], …spec}); by default each depends on the previous one.';

-- missions_private.advance_mission: readies steps whose dependencies are done; completes the mission when every step is.
CREATE OR REPLACE FUNCTION missions_private.advance_mission(p_mission_id uuid, p_now timestamptz) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_status text;
  v_face text;
BEGIN
  -- The mission row lock serializes sibling completions, so the last one sees all the others.
  SELECT m.status, m.face INTO v_status, v_face FROM missions_private.missions m WHERE m.id = p_mission_id FOR UPDATE;
  -- a task blocked by a task of the mission that is now done is unblocked (pending, then ready below)
  UPDATE missions_private.steps s SET status = 'pending'
  WHERE s.mission_id = p_mission_id AND s.status = 'blocked' AND s.blocked_by_step IS NOT NULL
    AND EXISTS (SELECT FROM missions_private.steps b
                WHERE b.id = s.blocked_by_step AND b.status IN ('completed', 'skipped'));
  UPDATE missions_private.steps s SET status = 'ready', ready_at = p_now
  WHERE s.mission_id = p_mission_id AND s.status = 'pending'
    AND NOT EXISTS (SELECT FROM missions_private.step_dependencies d
                    JOIN missions_private.steps dep ON dep.id = d.depends_on
                    WHERE d.step_id = s.id AND dep.status NOT IN ('completed', 'skipped'));
  IF v_face = 'agent' AND v_status IN ('in_progress', 'waiting')  -- learning missions complete on approval
     AND EXISTS (SELECT FROM missions_private.steps s WHERE s.mission_id = p_mission_id)
     AND NOT EXISTS (SELECT FROM missions_private.steps s
                     WHERE s.mission_id = p_mission_id AND s.status NOT IN ('completed', 'skipped')) THEN
    UPDATE missions_private.missions m SET status = 'completed' WHERE m.id = p_mission_id;
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.advance_mission(uuid, timestamptz) IS
  'Unblocks steps blocked by a step of the mission that is completed/skipped; makes pending steps whose dependencies are completed/skipped ready; completes an agent mission when all its steps are completed or skipped.';

-- missions.create_agent_mission: creates an ops or persistent mission with its steps; auto-approved when all kinds are trusted.
CREATE OR REPLACE FUNCTION missions.create_agent_mission(p_spec jsonb)
RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v_owner uuid := (p_spec->>'owner_id')::uuid;
  v_caller uuid := missions_private.caller_id();
  v_role text := missions_private.current_principal_role();
  -- no type: a mission for a user (owner_id given, or a user creating one) is persistent, as every mission of
  -- seed 004 is; otherwise an ops mission
  v_type text := coalesce(p_spec->>'type',
                          CASE WHEN v_owner IS NOT NULL OR v_role = 'participant' THEN 'persistent' ELSE 'ops' END);
  v_steps jsonb := coalesce(p_spec->'steps', p_spec->'tasks', '[]');
  v_unknown text;
  v_untrusted text;
  v_id uuid;
  v_agents jsonb;
BEGIN
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'the mission spec must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_spec) k
  WHERE k NOT IN ('type', 'title', 'description', 'priority', 'owner_id', 'lead_agent_id', 'supporting_agent_ids',
                  'conversation_id', 'due_at', 'report_location', 'can_run_autonomously', 'steps', 'tasks');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown mission field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF v_type NOT IN ('ops', 'persistent') THEN
    RAISE EXCEPTION 'type must be ops or persistent (got %)', v_type USING ERRCODE = 'MS422';
  END IF;
  IF missions_private.clean_text(p_spec->>'title') IS NULL THEN
    RAISE EXCEPTION 'a mission needs a title' USING ERRCODE = 'MS422';
  END IF;
  IF v_role = 'participant' AND v_type <> 'persistent' THEN
    RAISE EXCEPTION 'participants create persistent missions of their own only' USING ERRCODE = 'MS403';
  END IF;
  IF v_type = 'persistent' AND v_owner IS NULL THEN
    IF v_role = 'participant' THEN
      v_owner := v_caller;
    ELSE
      RAISE EXCEPTION 'a persistent mission needs owner_id (the user it belongs to)' USING ERRCODE = 'MS422';
    END IF;
  END IF;
  IF v_owner IS NOT NULL AND v_role = 'agent' THEN  -- agents create missions on behalf of their users
    IF NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id = v_owner AND p.role = 'participant') THEN
      RAISE EXCEPTION 'owner % is not a user (participant)', v_owner USING ERRCODE = 'MS422';
    END IF;
  ELSIF v_owner IS NOT NULL THEN
    PERFORM missions_private.authorize_participant(v_owner);
  ELSIF v_role = 'participant' THEN
    RAISE EXCEPTION 'participants create persistent missions of their own only' USING ERRCODE = 'MS403';
  END IF;
  v_agents := CASE WHEN p_spec->'lead_agent_id' IS NOT NULL AND p_spec->'lead_agent_id' <> 'null'
                   THEN pg_catalog.jsonb_build_array(p_spec->'lead_agent_id') ELSE '[]' END
              || coalesce(p_spec->'supporting_agent_ids', '[]');
  IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements_text(v_agents) a
             WHERE NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id::text = a AND p.role = 'agent')) THEN
    RAISE EXCEPTION 'lead_agent_id and supporting_agent_ids must name agents' USING ERRCODE = 'MS422';
  END IF;

  SELECT string_agg(DISTINCT coalesce(s->>'kind', 'task'), ', ') INTO v_untrusted
  FROM pg_catalog.jsonb_array_elements(CASE WHEN pg_catalog.jsonb_typeof(v_steps) = 'array' THEN v_steps ELSE '[]' END) s
  WHERE NOT EXISTS (SELECT FROM missions_private.step_kinds k WHERE k.kind = coalesce(s->>'kind', 'task') AND k.trusted);

  v_sealed := missions_private.set_transition_context(pg_catalog.jsonb_build_object(
    'type', v_type,
    'approval', CASE WHEN v_untrusted IS NULL THEN 'auto' ELSE 'required' END,
    'reason', CASE WHEN v_untrusted IS NULL THEN 'every step kind is trusted'
                   ELSE 'untrusted step kinds: ' || v_untrusted END));
  INSERT INTO missions_private.missions (face, participant_id, title, status, priority, origin, expires_at)
  VALUES ('agent', v_owner, missions_private.clean_text(p_spec->>'title'),
          CASE WHEN v_untrusted IS NULL THEN 'assigned' ELSE 'proposed' END,
          missions_private.priority_value(p_spec->'priority'), 'agent', (p_spec->>'due_at')::timestamptz)
  RETURNING id INTO v_id;
  PERFORM missions_private.clear_transition_context();
  INSERT INTO missions_private.agent_missions
    (mission_id, kind, description, created_by, conversation_id, report_location, can_run_autonomously)
  VALUES (v_id, v_type, coalesce(p_spec->>'description', ''), v_caller, p_spec->>'conversation_id',
          p_spec->>'report_location', coalesce((p_spec->>'can_run_autonomously')::boolean, false));
  INSERT INTO missions_private.mission_agents (mission_id, agent_id, role)
  SELECT v_id, a.value::uuid, CASE WHEN a.ordinality = 1 AND p_spec ? 'lead_agent_id' THEN 'lead' ELSE 'supporting' END
  FROM pg_catalog.jsonb_array_elements_text(v_agents) WITH ORDINALITY a
  ON CONFLICT DO NOTHING;
  IF v_role = 'agent' AND pg_catalog.jsonb_array_length(v_agents) > 0 THEN  -- its creator keeps seeing it
    INSERT INTO missions_private.mission_agents (mission_id, agent_id, role) VALUES (v_id, v_caller, 'supporting')
    ON CONFLICT DO NOTHING;
  END IF;
  PERFORM missions_private.add_steps(v_id, v_steps);
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION missions.create_agent_mission(jsonb) IS
  'Creates an agent mission: type (ops|persistent; without it persistent when owner_id is given or a user creates it, else ops), title, description, priority (0..10 or low/normal/high/urgent), owner_id, lead_agent_id, supporting_agent_ids, conversation_id, due_at, report_location, can_run_autonomously, steps/tasks. Status assigned (auto-approved) when every step kind is trusted, else proposed.';

-- missions.approve_agent_mission: a person approves a proposed mission (proposed -> assigned); returns the mission.
CREATE OR REPLACE FUNCTION missions.approve_agent_mission(p_mission_id uuid, p_approver_id uuid, p_reason text DEFAULT NULL,
                                                          p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('approve_agent_mission', p_idempotency_key,
                      pg_catalog.jsonb_build_object('mission', p_mission_id, 'approver', p_approver_id, 'reason', p_reason));
  v missions_private.missions;
  v_role text;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN pg_catalog.jsonb_populate_record(NULL::missions_private.missions, v_answer);
  END IF;
  PERFORM missions_private.authorize_actor(p_approver_id);
  PERFORM missions_private.visible_mission(p_mission_id);
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'agent' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'agent mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  SELECT p.role INTO v_role FROM missions_private.principals p WHERE p.id = p_approver_id;
  IF NOT (v_role IN ('admin', 'service')
          OR (v_role = 'participant' AND v.participant_id = p_approver_id
              AND EXISTS (SELECT FROM missions_private.agent_missions a
                          WHERE a.mission_id = p_mission_id AND a.kind = 'persistent'))) THEN
    RAISE EXCEPTION 'missions are approved by a person: an admin or the mission''s owner' USING ERRCODE = 'MS403';
  END IF;
  UPDATE missions_private.agent_missions a SET approved_by = p_approver_id WHERE a.mission_id = p_mission_id;
  v := missions_private.transition_mission(p_mission_id, 'assigned', pg_catalog.jsonb_build_object(
    'approval', 'approved', 'approved_by', p_approver_id, 'reason', coalesce(p_reason, 'approved by a person')));
  PERFORM missions_private.remember('approve_agent_mission', p_idempotency_key, pg_catalog.to_jsonb(v));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.approve_agent_mission(uuid, uuid, text, text) IS
  'A person (admin, service or the owner) approves a proposed agent mission; the decision and reason are in the status event; the same idempotency key again returns the first answer.';

-- missions_private.agent_mission_document: an agent mission as JSON without its task counts (agent_mission and list_agent_missions add them).
CREATE OR REPLACE FUNCTION missions_private.agent_mission_document(p_mission_id uuid, p_recent_events integer,
                                                                   p_include_tasks boolean) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v jsonb;
BEGIN
  PERFORM missions_private.visible_mission(p_mission_id);
  IF p_recent_events IS NULL OR p_recent_events < 0 OR p_recent_events > 500 THEN
    RAISE EXCEPTION 'recent events must be 0..500' USING ERRCODE = 'MS422';
  END IF;
  SELECT pg_catalog.jsonb_build_object(
    'id', m.id, 'type', a.kind, 'title', m.title, 'description', a.description, 'status', m.status,
    'priority', m.priority, 'priority_name', missions_private.priority_name(m.priority),
    'owner_id', m.participant_id, 'created_by', a.created_by, 'conversation_id', a.conversation_id,
    'due_at', m.expires_at, 'report_location', a.report_location, 'blocked_by', a.blocked_by,
    'blocked_since', a.blocked_since, 'can_run_autonomously', a.can_run_autonomously,
    'last_autonomous_check', a.last_autonomous_check, 'approved_by', a.approved_by,
    'created_at', m.created_at, 'started_at', m.started_at, 'completed_at', m.completed_at,
    'agents', coalesce((SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object('agent_id', ma.agent_id, 'role', ma.role)
                                                    ORDER BY ma.role, ma.agent_id)
                        FROM missions_private.mission_agents ma WHERE ma.mission_id = m.id), '[]'),
    'tasks', CASE WHEN p_include_tasks THEN coalesce((
      SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'id', s.id, 'position', s.position, 'title', s.title, 'kind', s.kind, 'status', s.status,
        'optional', s.optional, 'attempt', s.attempt, 'spec', s.attrs, 'wait_key', s.wait_key,
        'blocked_by', s.blocked_by, 'blocked_reason', s.blocked_reason, 'blocked_since', s.blocked_since,
        'leased_by', s.leased_by, 'lease_expires_at', s.lease_expires_at, 'completed_at', s.completed_at,
        'depends_on', coalesce((SELECT pg_catalog.jsonb_agg(d.depends_on) FROM missions_private.step_dependencies d
                                WHERE d.step_id = s.id), '[]'),
        'result', (SELECT r.result FROM missions_private.step_results r
                   WHERE r.step_id = s.id AND r.outcome = 'completed'))
        ORDER BY s.position)
      FROM missions_private.steps s WHERE s.mission_id = m.id), '[]') END,
    'recent_events', coalesce((
      SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
        'id', e.id, 'type', e.type, 'occurred_at', e.occurred_at, 'actor_id', e.actor_id, 'step_id', e.step_id,
        'from_status', e.from_status, 'to_status', e.to_status, 'payload', e.payload) ORDER BY e.id DESC)
      FROM (SELECT * FROM missions_private.events e WHERE e.mission_id = m.id
            ORDER BY e.id DESC LIMIT p_recent_events) e), '[]'))
  INTO v
  FROM missions_private.missions m
  JOIN missions_private.agent_missions a ON a.mission_id = m.id
  WHERE m.id = p_mission_id;
  IF v IS NULL THEN
    RAISE EXCEPTION 'agent mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.agent_mission_document(uuid, integer, boolean) IS
  'An agent mission the caller can see as JSON (MS404 otherwise): attributes, agents, tasks (with dependencies, blockers and results) and the N most recent events, newest first; no task counts.';

-- missions.agent_mission: an agent mission as JSON with its agents, task counts, optionally its tasks and its N most recent events.
CREATE OR REPLACE FUNCTION missions.agent_mission(p_mission_id uuid, p_recent_events integer DEFAULT 5,
                                                  p_include_tasks boolean DEFAULT true) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN missions_private.agent_mission_document(p_mission_id, p_recent_events, p_include_tasks)
         || (SELECT pg_catalog.jsonb_build_object('tasks_done', count(*) FILTER (WHERE s.status IN ('completed', 'skipped')),
                                                  'tasks_total', count(*))
             FROM missions_private.steps s WHERE s.mission_id = p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.agent_mission(uuid, integer, boolean) IS
  'An agent mission as JSON: attributes, agents, tasks_done (completed or skipped) / tasks_total, tasks (with dependencies, blockers and results) and the N most recent events, newest first.';

-- missions.list_agent_missions: the agent missions the caller may see, filtered by statuses and priority names, paged (key: priority, created_at, id).
CREATE OR REPLACE FUNCTION missions.list_agent_missions(
  p_statuses text[] DEFAULT NULL, p_priorities text[] DEFAULT NULL, p_include_tasks boolean DEFAULT false,
  p_recent_events integer DEFAULT 0, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_statuses text[] := missions_private.agent_status_filter(p_statuses);
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['priority', 'created_at', 'id']);
  v_priority smallint := coalesce((v_after->>'priority')::smallint, 32767);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  IF p_priorities IS NOT NULL AND EXISTS (SELECT FROM unnest(p_priorities) x WHERE x NOT IN ('low', 'normal', 'high', 'urgent')) THEN
    RAISE EXCEPTION 'priority filter must use low, normal, high, urgent' USING ERRCODE = 'MS422';
  END IF;
  RETURN QUERY
  -- walks missions_agent_list_idx in order and stops after v_limit visible rows: the documents and the task
  -- counts (one aggregate per page row over steps_mission_id_unique, in this one query) are for the page only
  SELECT missions_private.agent_mission_document(m.id, p_recent_events, p_include_tasks)
         || pg_catalog.jsonb_build_object('tasks_done', c.done, 'tasks_total', c.total)
  FROM (SELECT m.id, m.priority, m.created_at
        FROM missions_private.missions m
        WHERE m.face = 'agent'
          AND (m.priority, m.created_at, m.id) < (v_priority, v_created, v_id)
          AND (v_statuses IS NULL OR m.status = ANY (v_statuses))
          AND (p_priorities IS NULL OR missions_private.priority_name(m.priority) = ANY (p_priorities))
          AND missions_private.can_see_mission(m.id)
        ORDER BY m.priority DESC, m.created_at DESC, m.id DESC
        LIMIT v_limit) m
  CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE s.status IN ('completed', 'skipped')) AS done, count(*) AS total
                      FROM missions_private.steps s WHERE s.mission_id = m.id) c
  ORDER BY m.priority DESC, m.created_at DESC, m.id DESC;
END
$fn$;
COMMENT ON FUNCTION missions.list_agent_missions(text[], text[], boolean, integer, integer, jsonb) IS
  'Agent missions visible to the caller (users: their own; agents: the ones they may work on), by priority then newest, each with tasks_done / tasks_total; status ''active'' means every running state (assigned, in_progress: missions_private.agent_status_filter); a page of p_limit (1..200) after the key {"priority", "created_at", "id"}.';

-- missions.recent_agent_missions: the last N finished agent missions the caller can see, with duration, outcome and task counts (seed 003's "Recently Completed").
CREATE OR REPLACE FUNCTION missions.recent_agent_missions(p_limit integer DEFAULT 10)
RETURNS TABLE (id uuid, title text, type text, outcome text, priority smallint, started_at timestamptz,
               finished_at timestamptz, duration_seconds bigint, tasks_done bigint, tasks_total bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 100 THEN
    RAISE EXCEPTION 'limit must be 1..100' USING ERRCODE = 'MS422';
  END IF;
  RETURN QUERY
  -- walks missions_agent_finished_idx backwards (newest first) and stops after p_limit visible rows
  SELECT m.id, m.title, a.kind, m.status, m.priority, coalesce(m.started_at, m.assigned_at, m.created_at),
         m.status_changed_at,
         pg_catalog.floor(EXTRACT(EPOCH FROM m.status_changed_at - coalesce(m.started_at, m.assigned_at, m.created_at)))::bigint,
         c.done, c.total
  FROM (SELECT f.* FROM missions_private.missions f
        WHERE f.face = 'agent' AND f.status IN ('completed', 'failed', 'expired', 'cancelled')
          AND missions_private.can_see_mission(f.id)
        ORDER BY f.status_changed_at DESC, f.id DESC
        LIMIT p_limit) m
  JOIN missions_private.agent_missions a ON a.mission_id = m.id
  CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE s.status IN ('completed', 'skipped')) AS done, count(*) AS total
                      FROM missions_private.steps s WHERE s.mission_id = m.id) c
  ORDER BY m.status_changed_at DESC, m.id DESC;
END
$fn$;
COMMENT ON FUNCTION missions.recent_agent_missions(integer) IS
  'The last p_limit (1..100, default 10) agent missions that finished (outcome completed, failed, expired or cancelled) that the caller can see, newest first: title, type, priority, started_at (or assigned/created), finished_at, duration_seconds, tasks_done / tasks_total.';
