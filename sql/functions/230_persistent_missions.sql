-- Persistent missions over time: update, tasks added and updated, events logged, resumed from any conversation.

-- missions_private.lock_step_first: locks a step of an agent mission before its mission (the engine's lock order is step, then mission).
CREATE OR REPLACE FUNCTION missions_private.lock_step_first(p_mission_id uuid, p_step_id uuid) RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps;
  v_caller uuid := missions_private.caller_id();
BEGIN
  -- only steps of agent missions: a learner's subtask or review step is not found here (checked before its
  -- lease, so the answer never depends on who holds a step of another face); the mission row is not locked
  SELECT s.* INTO v FROM missions_private.steps s
  JOIN missions_private.missions m ON m.id = s.mission_id AND m.face = 'agent'
  WHERE s.id = p_step_id AND s.mission_id = p_mission_id
  FOR UPDATE OF s;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step % not found in agent mission %', p_step_id, p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF v.lease_token IS NOT NULL AND v.lease_expires_at > missions.now() AND v.leased_by IS DISTINCT FROM v_caller
     AND coalesce(missions_private.current_principal_role(), 'owner') NOT IN ('admin', 'service', 'owner') THEN
    RAISE EXCEPTION 'step % is claimed by another agent until %', p_step_id, v.lease_expires_at USING ERRCODE = 'MS409';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_step_first(uuid, uuid) IS
  'Locks a step of an agent mission (before its mission: lock order step, then mission); MS404 when not in the mission or the mission is of another face, MS409 when another agent holds a live lease on it.';

-- missions_private.lock_agent_mission: locks an agent mission the caller may work on (agents, owner, staff); MS404 otherwise.
CREATE OR REPLACE FUNCTION missions_private.lock_agent_mission(p_mission_id uuid) RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
BEGIN
  PERFORM missions_private.visible_mission(p_mission_id);
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'agent' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'agent mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_agent_mission(uuid) IS 'Locks an agent mission the caller can see (MS404 otherwise).';

-- missions.update_agent_mission: changes status, priority, title, description, due date, blocker or autonomy; returns the mission JSON.
CREATE OR REPLACE FUNCTION missions.update_agent_mission(p_mission_id uuid, p_spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_agent_mission(p_mission_id);
  v_unknown text;
  v_status text := CASE p_spec->>'status' WHEN 'active' THEN 'in_progress' ELSE p_spec->>'status' END;
BEGIN
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'the update must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_spec) k
  WHERE k NOT IN ('status', 'priority', 'title', 'description', 'due_at', 'blocked_by', 'can_run_autonomously', 'reason');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown mission field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF v_status = 'completed' AND NOT EXISTS (SELECT FROM missions_private.agent_missions a
                                            WHERE a.mission_id = p_mission_id AND a.kind = 'persistent') THEN
    RAISE EXCEPTION 'an ops mission completes when its steps do' USING ERRCODE = 'MS409';
  END IF;
  IF v_status = 'assigned' OR v_status = 'proposed' THEN
    RAISE EXCEPTION 'use approve_agent_mission to approve a mission' USING ERRCODE = 'MS422';
  END IF;
  IF p_spec ? 'title' AND missions_private.clean_text(p_spec->>'title') IS NULL THEN
    RAISE EXCEPTION 'a mission needs a title' USING ERRCODE = 'MS422';
  END IF;
  UPDATE missions_private.missions m SET
    title = coalesce(missions_private.clean_text(p_spec->>'title'), m.title),
    priority = CASE WHEN p_spec ? 'priority' THEN missions_private.priority_value(p_spec->'priority') ELSE m.priority END,
    expires_at = CASE WHEN p_spec ? 'due_at' THEN (p_spec->>'due_at')::timestamptz ELSE m.expires_at END
  WHERE m.id = p_mission_id;
  IF p_spec ? 'priority' THEN
    UPDATE missions_private.steps s SET priority = missions_private.priority_value(p_spec->'priority')
    WHERE s.mission_id = p_mission_id AND s.status NOT IN ('completed', 'skipped', 'failed');
  END IF;
  UPDATE missions_private.agent_missions a SET
    description = coalesce(p_spec->>'description', a.description),
    can_run_autonomously = coalesce((p_spec->>'can_run_autonomously')::boolean, a.can_run_autonomously),
    blocked_by = CASE WHEN p_spec ? 'blocked_by' THEN missions_private.clean_text(p_spec->>'blocked_by') ELSE a.blocked_by END,
    blocked_since = CASE WHEN NOT p_spec ? 'blocked_by' THEN a.blocked_since
                         WHEN missions_private.clean_text(p_spec->>'blocked_by') IS NULL THEN NULL
                         ELSE coalesce(a.blocked_since, missions.now()) END
  WHERE a.mission_id = p_mission_id;
  IF missions_private.clean_text(p_spec->>'blocked_by') IS NOT NULL THEN
    PERFORM missions_private.log_event(p_mission_id, 'mission.blocked',
                                       pg_catalog.jsonb_build_object('blocked_by', p_spec->>'blocked_by'));
  END IF;
  IF v_status IS NOT NULL AND v_status <> v.status THEN
    PERFORM missions_private.transition_mission(p_mission_id, v_status,
              pg_catalog.jsonb_build_object('reason', p_spec->>'reason'));
  END IF;
  RETURN missions.agent_mission(p_mission_id, 5, true);
END
$fn$;
COMMENT ON FUNCTION missions.update_agent_mission(uuid, jsonb) IS
  'Updates an agent mission: status (through the state machine; ''active'' = in_progress), priority, title, description, due_at, blocked_by (logs mission.blocked), can_run_autonomously.';

-- missions.add_task: appends a task (step) to an agent mission; returns the new task.
CREATE OR REPLACE FUNCTION missions.add_task(p_mission_id uuid, p_spec jsonb) RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_agent_mission(p_mission_id);
  v_step missions_private.steps;
BEGIN
  IF v.status IN ('completed', 'failed', 'expired', 'cancelled') THEN
    RAISE EXCEPTION 'mission % is %: no tasks can be added', p_mission_id, v.status USING ERRCODE = 'MS409';
  END IF;
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'a task must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  -- approval covers the kinds a mission was approved with: an untrusted kind added later needs a person
  IF v.status <> 'proposed' AND missions_private.current_principal_role() NOT IN ('admin', 'service')
     AND NOT EXISTS (SELECT FROM missions_private.step_kinds k
                     WHERE k.kind = coalesce(p_spec->>'kind', 'task') AND k.trusted) THEN
    RAISE EXCEPTION 'step kind % is not trusted: only an admin may add it to an approved mission',
      coalesce(p_spec->>'kind', 'task') USING ERRCODE = 'MS403';
  END IF;
  PERFORM missions_private.add_steps(p_mission_id, pg_catalog.jsonb_build_array(p_spec));
  SELECT * INTO v_step FROM missions_private.steps s WHERE s.mission_id = p_mission_id ORDER BY s.position DESC LIMIT 1;
  PERFORM missions_private.log_event(p_mission_id, 'mission.task_added',
            pg_catalog.jsonb_build_object('title', v_step.title, 'kind', v_step.kind), v_step.id);
  RETURN v_step;
END
$fn$;
COMMENT ON FUNCTION missions.add_task(uuid, jsonb) IS
  'Adds a task {title, kind, optional, depends_on, …} to an agent mission (by default after the previous task); an untrusted kind on an approved mission needs an admin (MS403).';

-- missions.update_task: a persistent mission's agent updates a task (status, result, title); returns the task.
CREATE OR REPLACE FUNCTION missions.update_task(p_mission_id uuid, p_task_id uuid, p_spec jsonb) RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_step missions_private.steps := missions_private.lock_step_first(p_mission_id, p_task_id);
  v missions_private.missions := missions_private.lock_agent_mission(p_mission_id);
  v_status text := p_spec->>'status';
  v_blocks boolean := missions_private.clean_text(p_spec->>'blocked_by') IS NOT NULL
                      OR missions_private.clean_text(p_spec->>'blocked_reason') IS NOT NULL;
BEGIN
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object'
     OR EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(p_spec) k
                WHERE k NOT IN ('status', 'result', 'title', 'blocked_by', 'blocked_reason')) THEN
    RAISE EXCEPTION 'a task update has status, result, title, blocked_by and/or blocked_reason' USING ERRCODE = 'MS422';
  END IF;
  IF v_status = 'blocked' AND NOT v_blocks THEN
    RAISE EXCEPTION 'a blocked task needs blocked_by and/or blocked_reason' USING ERRCODE = 'MS422';
  ELSIF v_blocks AND v_status IS NOT NULL AND v_status <> 'blocked' THEN
    RAISE EXCEPTION 'a blocker makes the task blocked: status % contradicts it', v_status USING ERRCODE = 'MS422';
  END IF;
  IF NOT EXISTS (SELECT FROM missions_private.agent_missions a WHERE a.mission_id = p_mission_id AND a.kind = 'persistent') THEN
    RAISE EXCEPTION 'the steps of ops missions are claimed, not updated (claim_mission_step, complete_step)'
      USING ERRCODE = 'MS409';
  END IF;
  IF v.status IN ('proposed', 'completed', 'failed', 'expired', 'cancelled') THEN
    RAISE EXCEPTION 'mission % is %: its tasks cannot change', p_mission_id, v.status USING ERRCODE = 'MS409';
  END IF;
  IF v_step.lease_token IS NOT NULL AND v_step.lease_expires_at > missions.now() THEN
    RAISE EXCEPTION 'task % is claimed by an agent: use complete_step / fail_step', p_task_id USING ERRCODE = 'MS409';
  END IF;
  IF v_status IN ('waiting_human', 'waiting_external') THEN
    RAISE EXCEPTION 'use request_human_input or wait_for_external_event to make a task wait' USING ERRCODE = 'MS422';
  END IF;
  IF v_blocks THEN  -- blocked_by / blocked_reason given: the task is blocked (or its blocker replaced)
    v_step := missions_private.block_step(v, v_step, p_spec->>'blocked_by', p_spec->>'blocked_reason');
    v_status := NULL;
  ELSIF (p_spec ? 'blocked_by' OR p_spec ? 'blocked_reason') AND v_status IS NULL THEN
    v_step := missions_private.unblock_step(p_mission_id, p_task_id, 'cleared');  -- both null: unblocked
  END IF;
  UPDATE missions_private.steps s SET
    title = coalesce(missions_private.clean_text(p_spec->>'title'), s.title),
    status = coalesce(v_status, s.status)
  WHERE s.id = p_task_id
  RETURNING * INTO v_step;
  IF v_status = 'completed' THEN
    INSERT INTO missions_private.step_results (step_id, attempt, agent_id, outcome, result)
    VALUES (p_task_id, v_step.attempt, missions_private.current_principal_id(), 'completed', coalesce(p_spec->'result', '{}'));
    PERFORM missions_private.log_event(p_mission_id, 'mission.task_completed',
              pg_catalog.jsonb_build_object('title', v_step.title, 'result', p_spec->'result'), p_task_id);
  END IF;
  IF v.status = 'assigned' AND v_status IN ('in_progress', 'completed') THEN
    PERFORM missions_private.transition_mission(p_mission_id, 'in_progress');
  END IF;
  PERFORM missions_private.advance_mission(p_mission_id, missions.now());
  RETURN v_step;
END
$fn$;
COMMENT ON FUNCTION missions.update_task(uuid, uuid, jsonb) IS
  'Updates an unclaimed task of an approved persistent mission (status through the state machine, result, title, blocked_by / blocked_reason: set = blocked (see block_task), both null = unblocked); completing it records the result and advances the mission. Ops steps are claimed instead (MS409).';

-- missions.log_mission_event: records a conversation or outside event in a mission's history; returns the event id.
CREATE OR REPLACE FUNCTION missions.log_mission_event(p_mission_id uuid, p_type text, p_payload jsonb DEFAULT '{}')
RETURNS bigint
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.lock_agent_mission(p_mission_id);
  IF p_type IS NULL OR p_type NOT IN ('user_message', 'agent_message', 'external_event', 'note') THEN
    RAISE EXCEPTION 'event type must be user_message, agent_message, external_event or note (got %)',
      coalesce(p_type, 'null') USING ERRCODE = 'MS422';
  END IF;
  IF p_payload IS NULL OR pg_catalog.jsonb_typeof(p_payload) <> 'object' THEN
    RAISE EXCEPTION 'the event payload must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  RETURN missions_private.log_event(p_mission_id, 'mission.' || p_type, p_payload);
END
$fn$;
COMMENT ON FUNCTION missions.log_mission_event(uuid, text, jsonb) IS
  'Logs user_message, agent_message, external_event or note (payload: title, content, conversation_id, metadata …).';

-- missions.resume_mission: returns the mission with its tasks and N most recent events, logging the resume (a paused mission continues).
CREATE OR REPLACE FUNCTION missions.resume_mission(p_mission_id uuid, p_recent_events integer DEFAULT 5,
                                                   p_conversation_id text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_agent_mission(p_mission_id);
BEGIN
  IF v.status = 'paused' THEN
    PERFORM missions_private.transition_mission(p_mission_id, 'in_progress',
              pg_catalog.jsonb_build_object('reason', 'resumed', 'conversation_id', p_conversation_id));
  END IF;
  PERFORM missions_private.log_event(p_mission_id, 'mission.resumed',
            pg_catalog.jsonb_build_object('conversation_id', p_conversation_id));
  RETURN missions.agent_mission(p_mission_id, p_recent_events, true);
END
$fn$;
COMMENT ON FUNCTION missions.resume_mission(uuid, integer, text) IS
  'Loads a mission for an agent in any conversation: mission, tasks and the N most recent events; logs mission.resumed and un-pauses it.';

-- missions.replan_mission: seed 004's re-plan (executing -> planning): the unfinished tasks are skipped, pending questions cancelled, the new tasks added; returns the mission JSON.
CREATE OR REPLACE FUNCTION missions.replan_mission(p_mission_id uuid, p_spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v missions_private.missions;
  v_caller uuid := missions_private.caller_id();
  v_tasks jsonb := coalesce(p_spec->'tasks', p_spec->'steps');
  v_reason text := missions_private.clean_text(p_spec->>'reason');
  v_untrusted text;
  v_skipped integer;
  v_cancelled integer;
  v_added integer;
BEGIN
  PERFORM missions_private.visible_mission(p_mission_id);
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object'
     OR EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(p_spec) k WHERE k NOT IN ('tasks', 'steps', 'reason'))
     OR (p_spec ? 'tasks' AND p_spec ? 'steps') THEN
    RAISE EXCEPTION 'a re-plan is {"tasks": [...], "reason"?}' USING ERRCODE = 'MS422';
  END IF;
  IF v_tasks IS NULL OR pg_catalog.jsonb_typeof(v_tasks) <> 'array' OR pg_catalog.jsonb_array_length(v_tasks) = 0 THEN
    RAISE EXCEPTION 'a re-plan needs at least one task (to drop the rest of a mission, cancel it)' USING ERRCODE = 'MS422';
  END IF;
  IF length(v_reason) > 2000 THEN
    RAISE EXCEPTION 'a reason is at most 2000 characters' USING ERRCODE = 'MS422';
  END IF;
  -- lock order step, then mission: the unfinished steps first (a concurrent claim holds its step and then waits
  -- for the mission; claim_next_step skips locked steps)
  PERFORM FROM missions_private.steps s
  WHERE s.mission_id = p_mission_id AND s.status NOT IN ('completed', 'skipped', 'failed')
  ORDER BY s.id FOR UPDATE;
  v := missions_private.lock_agent_mission(p_mission_id);
  IF v.status NOT IN ('assigned', 'in_progress', 'waiting', 'paused') THEN
    RAISE EXCEPTION 'mission % is %: only an approved, unfinished mission is re-planned%', p_mission_id, v.status,
      CASE WHEN v.status = 'proposed' THEN ' (a proposed one is still being planned: add_task)' ELSE '' END
      USING ERRCODE = 'MS409';
  END IF;
  SELECT string_agg(DISTINCT coalesce(t->>'kind', 'task'), ', ') INTO v_untrusted
  FROM pg_catalog.jsonb_array_elements(v_tasks) t
  WHERE NOT EXISTS (SELECT FROM missions_private.step_kinds k WHERE k.kind = coalesce(t->>'kind', 'task') AND k.trusted);

  PERFORM missions_private.transition_mission(p_mission_id, 'proposed',
            pg_catalog.jsonb_build_object('reason', 'replan', 'note', v_reason));
  v_sealed := missions_private.set_transition_context(pg_catalog.jsonb_build_object('reason', 'replan', 'note', v_reason));
  -- the old plan's unfinished tasks are skipped (leases withdrawn, waits and blockers dropped: the triggers and
  -- wait_key below); completed tasks and their results stay
  UPDATE missions_private.steps s SET status = 'skipped', wait_key = NULL, waited_by = NULL
  WHERE s.mission_id = p_mission_id
    AND s.status IN ('pending', 'ready', 'in_progress', 'blocked', 'waiting_human', 'waiting_external');
  GET DIAGNOSTICS v_skipped = ROW_COUNT;
  UPDATE missions_private.input_requests r
  SET status = 'cancelled', cancelled_by = v_caller, cancelled_at = missions.now(), cancel_reason = 're-planned'
  WHERE r.mission_id = p_mission_id AND r.status = 'pending';
  GET DIAGNOSTICS v_cancelled = ROW_COUNT;
  PERFORM missions_private.clear_transition_context();
  v_added := missions_private.add_steps(p_mission_id, v_tasks);
  PERFORM missions_private.log_event(p_mission_id, 'mission.replanned', pg_catalog.jsonb_build_object(
            'reason', v_reason, 'tasks_skipped', v_skipped, 'tasks_added', v_added,
            'input_requests_cancelled', v_cancelled));
  IF v_untrusted IS NULL THEN  -- as at creation: a plan of trusted kinds only is approved at once
    PERFORM missions_private.transition_mission(p_mission_id, 'assigned', pg_catalog.jsonb_build_object(
              'approval', 'auto', 'reason', 'every step kind of the new plan is trusted'));
  ELSE
    UPDATE missions_private.agent_missions a SET approved_by = NULL WHERE a.mission_id = p_mission_id;
  END IF;
  RETURN missions.agent_mission(p_mission_id, 5, true);
END
$fn$;
COMMENT ON FUNCTION missions.replan_mission(uuid, jsonb) IS
  'Re-plans an approved, unfinished agent mission (assigned, in_progress, waiting or paused; else MS409): it goes back to proposed (planning), its unfinished tasks are skipped (leases withdrawn: the holder gets MS412; waits and blockers dropped), its pending input requests cancelled, the new tasks {"tasks": [...], "reason"?} appended (at least one; depends_on counts within the new plan); then assigned at once when every new kind is trusted, else it waits for a person''s approval. Completed tasks and their results stay. Logs mission.replanned.';
