-- Agent face job bodies. Correctness never depends on them (expired leases are taken over at claim
-- time); they keep statuses and metrics honest and publish work for autonomous missions.

-- missions.expire_claims: in-progress steps whose lease expired go back to ready (or fail when out of attempts).
CREATE OR REPLACE FUNCTION missions.expire_claims() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v_now timestamptz := missions.now();
  v_count integer;
  v_failed uuid[];
  v_skipped uuid[];
BEGIN
  v_sealed := missions_private.set_transition_context('{"reason": "lease expired"}');
  WITH expired AS (
    UPDATE missions_private.steps s
    SET status = missions_private.failed_attempt_status(s.attempt, k.max_attempts, s.optional),
        ready_at = v_now
    FROM missions_private.step_kinds k
    WHERE k.kind = s.kind AND s.status = 'in_progress' AND s.lease_expires_at <= v_now
    RETURNING s.mission_id, s.status
  )
  SELECT count(*), array_agg(DISTINCT e.mission_id) FILTER (WHERE e.status = 'failed'),
         array_agg(DISTINCT e.mission_id) FILTER (WHERE e.status = 'skipped')
  INTO v_count, v_failed, v_skipped
  FROM expired e;
  PERFORM missions_private.settle_failed_steps(v_failed);
  PERFORM missions_private.clear_transition_context();
  -- a skipped optional step counts as done: its dependents become ready, and its mission may be complete
  PERFORM missions_private.advance_mission(x.id, v_now)
  FROM (SELECT DISTINCT u.id FROM unnest(v_skipped) AS u(id) ORDER BY u.id) x;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.expire_claims() IS
  'Job (every minute): steps whose lease expired -> ready (out of attempts: failed and the mission fails, or skipped if optional and the mission advances). Returns steps changed.';

-- missions.expire_input_requests: unanswered requests past their expiry -> expired; their steps become ready again.
CREATE OR REPLACE FUNCTION missions.expire_input_requests() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_count integer;
  v_missions uuid[];
BEGIN
  WITH expired AS (
    UPDATE missions_private.input_requests r SET status = 'expired'
    WHERE r.status = 'pending' AND r.expires_at <= v_now
    RETURNING r.mission_id, r.step_id
  ), readied AS (
    UPDATE missions_private.steps s SET status = 'ready', ready_at = v_now
    FROM expired e
    WHERE s.id = e.step_id AND s.status = 'waiting_human'
    RETURNING s.id
  )
  SELECT count(*), array_agg(DISTINCT e.mission_id) INTO v_count, v_missions FROM expired e;
  PERFORM missions_private.resume_unblocked(coalesce(v_missions, '{}'));
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.expire_input_requests() IS
  'Job (every minute): pending input requests past expires_at -> expired; their steps -> ready (the agent sees the request expired); missions resume when unblocked. Returns requests expired.';

-- missions.check_autonomous_missions: every 5 minutes, publishes the ready steps of autonomous missions to the pgmq queue agent_work.
CREATE OR REPLACE FUNCTION missions.check_autonomous_missions() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_checked uuid[];
BEGIN
  PERFORM missions.expire_claims();
  PERFORM missions.expire_input_requests();
  WITH due AS (
    UPDATE missions_private.agent_missions a SET last_autonomous_check = v_now
    FROM missions_private.missions m
    WHERE m.id = a.mission_id AND a.can_run_autonomously AND m.status IN ('in_progress', 'waiting', 'assigned')
      AND (a.last_autonomous_check IS NULL OR a.last_autonomous_check <= v_now - interval '5 minutes')
    RETURNING a.mission_id
  )
  SELECT array_agg(d.mission_id) INTO v_checked FROM due d;
  PERFORM pgmq.send_batch('agent_work', ARRAY(
    SELECT pg_catalog.jsonb_build_object('step_id', s.id, 'mission_id', s.mission_id, 'kind', s.kind,
                                         'title', s.title, 'priority', s.priority)
    FROM missions_private.steps s
    WHERE s.mission_id = ANY (v_checked) AND s.status = 'ready'
    ORDER BY s.priority DESC, s.ready_at, s.id))
  WHERE v_checked IS NOT NULL;
  RETURN coalesce(pg_catalog.array_length(v_checked, 1), 0);
END
$fn$;
COMMENT ON FUNCTION missions.check_autonomous_missions() IS
  'Job (every 5 minutes): sweeps expired claims and requests, then for autonomous missions not checked for 5 minutes publishes their ready steps to pgmq queue agent_work. Returns missions checked.';
