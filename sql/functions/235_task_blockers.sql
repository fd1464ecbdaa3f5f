-- Blocked tasks (seed 004's blocked_by / blocked_reason): a blocked task is out of the claim queue until
-- its blocker is cleared, by a person or an agent, when the task it names is done, or when an external
-- event with the key it names arrives. Blocking never changes the mission's status.

-- missions_private.block_step: blocks a locked step of a locked agent mission (MS409 wrong state, MS422 bad blocker); returns the step.
CREATE OR REPLACE FUNCTION missions_private.block_step(p_mission missions_private.missions, p_step missions_private.steps,
                                                       p_blocked_by text, p_blocked_reason text)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_by text := missions_private.clean_text(p_blocked_by);
  v_reason text := missions_private.clean_text(p_blocked_reason);
  v_task uuid;
  v_blocker missions_private.steps;
  v missions_private.steps;
BEGIN
  IF p_mission.status NOT IN ('proposed', 'assigned', 'in_progress', 'waiting', 'paused') THEN
    RAISE EXCEPTION 'mission % is %: its tasks cannot be blocked', p_mission.id, p_mission.status USING ERRCODE = 'MS409';
  END IF;
  IF p_step.status NOT IN ('pending', 'ready', 'in_progress', 'blocked') THEN
    RAISE EXCEPTION 'task % is %: only a pending, ready, in-progress or blocked task can be blocked',
      p_step.id, p_step.status USING ERRCODE = 'MS409';
  END IF;
  IF v_by IS NULL AND v_reason IS NULL THEN
    RAISE EXCEPTION 'a blocker needs blocked_by and/or blocked_reason' USING ERRCODE = 'MS422';
  END IF;
  IF length(v_by) > 255 OR length(v_reason) > 2000 THEN
    RAISE EXCEPTION 'blocked_by is at most 255 characters, blocked_reason at most 2000' USING ERRCODE = 'MS422';
  END IF;
  IF v_by ~* '^task:' THEN  -- another task of the same mission: cleared when it is completed or skipped
    IF substr(v_by, 6) !~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
      RAISE EXCEPTION 'blocked_by task:<id> needs a task id (got %)', v_by USING ERRCODE = 'MS422';
    END IF;
    v_task := substr(v_by, 6)::uuid;
    v_by := 'task:' || v_task::text;
    SELECT * INTO v_blocker FROM missions_private.steps s WHERE s.id = v_task AND s.mission_id = p_mission.id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'task % is not a task of mission %', v_task, p_mission.id USING ERRCODE = 'MS422';
    ELSIF v_task = p_step.id THEN
      RAISE EXCEPTION 'a task cannot block itself' USING ERRCODE = 'MS422';
    ELSIF v_blocker.status IN ('completed', 'skipped') THEN
      RAISE EXCEPTION 'task % is already %: it blocks nothing', v_task, v_blocker.status USING ERRCODE = 'MS422';
    END IF;
    -- no cycle: the chain of task blockers starting at the blocker must not come back to this task
    IF EXISTS (WITH RECURSIVE chain(id, depth) AS (
                 SELECT v_task, 1
                 UNION ALL
                 SELECT s.blocked_by_step, c.depth + 1 FROM chain c
                 JOIN missions_private.steps s ON s.id = c.id
                 WHERE s.blocked_by_step IS NOT NULL AND c.depth < 10000)
               SELECT FROM chain WHERE chain.id = p_step.id) THEN
      RAISE EXCEPTION 'task % is (transitively) blocked by task %: that would be a cycle', v_task, p_step.id
        USING ERRCODE = 'MS422';
    END IF;
  ELSIF v_by IS NOT NULL THEN
    -- the per-key lock of deliver_external_event: a delivery either sees this blocker or comes before it
    -- (then the task stays blocked until the next event with the key, or unblock_task)
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('missions.external_event:' || v_by));
  END IF;
  UPDATE missions_private.steps s
  SET status = 'blocked', blocked_by = v_by, blocked_by_step = v_task, blocked_reason = v_reason
  WHERE s.id = p_step.id
  RETURNING * INTO v;
  PERFORM missions_private.log_event(p_mission.id, 'mission.task_blocked',
            pg_catalog.jsonb_build_object('blocked_by', v_by, 'blocked_reason', v_reason), p_step.id);
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.block_step(missions_private.missions, missions_private.steps, text, text) IS
  'Blocks a pending, ready, in-progress (its lease dropped) or blocked (blocker replaced) step of a live agent mission: blocked_by (task:<id> of another task of the mission, no cycle; or any reference) and/or blocked_reason; logs mission.task_blocked.';

-- missions_private.unblock_step: clears a blocked step's blocker (back to pending, then ready when its dependencies are done); others unchanged.
CREATE OR REPLACE FUNCTION missions_private.unblock_step(p_mission_id uuid, p_step_id uuid, p_reason text)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps;
  v_by text;
BEGIN
  SELECT s.blocked_by INTO v_by FROM missions_private.steps s WHERE s.id = p_step_id;
  UPDATE missions_private.steps s SET status = 'pending'
  WHERE s.id = p_step_id AND s.mission_id = p_mission_id AND s.status = 'blocked';
  IF FOUND THEN
    PERFORM missions_private.log_event(p_mission_id, 'mission.task_unblocked',
              pg_catalog.jsonb_build_object('blocked_by', v_by, 'reason', p_reason), p_step_id);
    PERFORM missions_private.advance_mission(p_mission_id, missions.now());
  END IF;
  SELECT * INTO v FROM missions_private.steps s WHERE s.id = p_step_id;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.unblock_step(uuid, uuid, text) IS
  'Unblocks a blocked step (pending, then ready when its dependencies are done; logs mission.task_unblocked); a step that is not blocked is returned unchanged.';

-- missions.block_task: blocks a task of an agent mission (ops or persistent) until its blocker is cleared; returns the task.
CREATE OR REPLACE FUNCTION missions.block_task(p_mission_id uuid, p_task_id uuid, p_blocked_by text,
                                               p_blocked_reason text DEFAULT NULL)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_step missions_private.steps := missions_private.lock_step_first(p_mission_id, p_task_id);
  v missions_private.missions := missions_private.lock_agent_mission(p_mission_id);
BEGIN
  RETURN missions_private.block_step(v, v_step, p_blocked_by, p_blocked_reason);
END
$fn$;
COMMENT ON FUNCTION missions.block_task(uuid, uuid, text, text) IS
  'Blocks a task: blocked_by (task:<id> of another task of the mission: cleared when it completes or is skipped; any other reference, e.g. email_reply:<id>: cleared when an external event with that key arrives, or by unblock_task) and/or blocked_reason. A blocked task is never claimed; a live lease of another agent is MS409 (staff excepted), the holder''s own lease is dropped.';

-- missions.unblock_task: clears a task's blocker; returns the task.
CREATE OR REPLACE FUNCTION missions.unblock_task(p_mission_id uuid, p_task_id uuid, p_reason text DEFAULT NULL)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_step missions_private.steps := missions_private.lock_step_first(p_mission_id, p_task_id);
  v missions_private.missions := missions_private.lock_agent_mission(p_mission_id);
BEGIN
  IF v_step.status <> 'blocked' THEN
    RAISE EXCEPTION 'task % is %, not blocked', p_task_id, v_step.status USING ERRCODE = 'MS409';
  END IF;
  IF v.status NOT IN ('proposed', 'assigned', 'in_progress', 'waiting', 'paused') THEN
    RAISE EXCEPTION 'mission % is %: its tasks cannot change', p_mission_id, v.status USING ERRCODE = 'MS409';
  END IF;
  RETURN missions_private.unblock_step(p_mission_id, p_task_id, p_reason);
END
$fn$;
COMMENT ON FUNCTION missions.unblock_task(uuid, uuid, text) IS
  'Clears a blocked task''s blocker: pending again, ready (claimable) as soon as its dependencies are done; MS409 when it is not blocked.';

-- missions_private.unblock_by_key: unblocks every blocked task whose blocked_by is this key (an external event arrived); returns how many.
CREATE OR REPLACE FUNCTION missions_private.unblock_by_key(p_key text) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_missions uuid[];
  v_count integer;
BEGIN
  WITH unblocked AS (
    UPDATE missions_private.steps s SET status = 'pending'
    WHERE s.status = 'blocked' AND s.blocked_by = p_key
    RETURNING s.id, s.mission_id
  ), logged AS (
    INSERT INTO missions_private.events (type, mission_id, step_id, participant_id, payload)
    SELECT 'mission.task_unblocked', u.mission_id, u.id, m.participant_id,
           pg_catalog.jsonb_build_object('blocked_by', p_key, 'reason', 'external event')
    FROM unblocked u JOIN missions_private.missions m ON m.id = u.mission_id
    RETURNING mission_id
  )
  SELECT count(*), array_agg(DISTINCT l.mission_id ORDER BY l.mission_id) INTO v_count, v_missions FROM logged l;
  PERFORM missions_private.advance_mission(x.id, v_now) FROM unnest(v_missions) AS x(id);
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.unblock_by_key(text) IS
  'Set-based: the tasks blocked by this key (blocked_by, e.g. email_reply:<tracking_id>) go back to pending and their missions advance (seed 004: an email reply unblocks waiting tasks).';
