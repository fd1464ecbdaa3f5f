-- Who may see and work on agent missions.

-- missions_private.agent_allowed: whether an agent may work on a mission (a mission naming no agents admits any).
CREATE OR REPLACE FUNCTION missions_private.agent_allowed(p_mission_id uuid, p_agent_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN NOT EXISTS (SELECT FROM missions_private.mission_agents a WHERE a.mission_id = p_mission_id)
      OR EXISTS (SELECT FROM missions_private.mission_agents a
                 WHERE a.mission_id = p_mission_id AND a.agent_id = p_agent_id);
END
$fn$;
COMMENT ON FUNCTION missions_private.agent_allowed(uuid, uuid) IS
  'True when the mission names no agents, or names this one (lead or supporting).';

-- missions_private.can_see_mission: the visibility rule for agent missions (staff all, users their own, agents allowed ones).
CREATE OR REPLACE FUNCTION missions_private.can_see_mission(p_mission_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.current_principal_id();
  v_role text := missions_private.current_principal_role();
BEGIN
  IF v_caller IS NULL AND NOT missions_private.is_owner_session() THEN
    RETURN false;
  ELSIF v_caller IS NULL OR v_role IN ('admin', 'service') THEN
    RETURN EXISTS (SELECT FROM missions_private.missions m WHERE m.id = p_mission_id);
  ELSIF v_role = 'agent' THEN
    RETURN (EXISTS (SELECT FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'agent')
            AND missions_private.agent_allowed(p_mission_id, v_caller))
        OR missions_private.can_review_learning(p_mission_id);
  END IF;
  RETURN EXISTS (SELECT FROM missions_private.missions m WHERE m.id = p_mission_id AND m.participant_id = v_caller);
END
$fn$;
COMMENT ON FUNCTION missions_private.can_see_mission(uuid) IS
  'Staff and owner sessions see every mission, agents the agent missions they are allowed on (and learning missions they hold a review lease on), users (participants) their own.';

-- missions_private.visible_mission: MS404 unless the caller can see the mission.
CREATE OR REPLACE FUNCTION missions_private.visible_mission(p_mission_id uuid) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT missions_private.can_see_mission(p_mission_id) THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.visible_mission(uuid) IS 'Raises MS404 unless missions_private.can_see_mission allows the caller.';

-- missions_private.priority_value: 0..10 from a number or a name (low 2, normal 5, high 8, urgent 10); MS422 otherwise.
CREATE OR REPLACE FUNCTION missions_private.priority_value(p_priority jsonb) RETURNS smallint
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_priority IS NULL OR p_priority = 'null'::jsonb THEN
    RETURN 5;
  ELSIF pg_catalog.jsonb_typeof(p_priority) = 'number' AND (p_priority::text)::numeric BETWEEN 0 AND 10
        AND (p_priority::text)::numeric = trunc((p_priority::text)::numeric) THEN
    RETURN (p_priority::text)::smallint;
  ELSIF p_priority #>> '{}' IN ('low', 'normal', 'high', 'urgent') THEN
    RETURN CASE p_priority #>> '{}' WHEN 'low' THEN 2 WHEN 'normal' THEN 5 WHEN 'high' THEN 8 ELSE 10 END;
  END IF;
  RAISE EXCEPTION 'priority must be 0..10 or low, normal, high, urgent (got %)', p_priority USING ERRCODE = 'MS422';
END
$fn$;
COMMENT ON FUNCTION missions_private.priority_value(jsonb) IS 'Priority 0..10 from a number or a name: low 2, normal 5, high 8, urgent 10.';

-- missions_private.priority_name: the name of a priority value (0-3 low, 4-6 normal, 7-8 high, 9-10 urgent).
CREATE OR REPLACE FUNCTION missions_private.priority_name(p_priority smallint) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE WHEN p_priority <= 3 THEN 'low' WHEN p_priority <= 6 THEN 'normal'
              WHEN p_priority <= 8 THEN 'high' ELSE 'urgent' END
$fn$;
COMMENT ON FUNCTION missions_private.priority_name(smallint) IS 'Priority name: 0-3 low, 4-6 normal, 7-8 high, 9-10 urgent.';

-- missions_private.agent_status_filter: the stored statuses an agent mission filter names; seed 004's 'active' is every running state.
CREATE OR REPLACE FUNCTION missions_private.agent_status_filter(p_statuses text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  -- The one definition of the alias: 'active' = assigned (approved, not started: a new mission) or in_progress.
  -- proposed (awaiting a person's approval) is not running; waiting and paused are their own seed statuses.
  v_active CONSTANT text[] := ARRAY['assigned', 'in_progress'];
  v_bad text;
BEGIN
  IF p_statuses IS NULL THEN
    RETURN NULL;
  END IF;
  SELECT string_agg(DISTINCT coalesce(s, 'null'), ', ') INTO v_bad FROM unnest(p_statuses) s
  WHERE s IS NULL OR s NOT IN ('active', 'proposed', 'assigned', 'in_progress', 'waiting', 'paused',
                               'submitted', 'completed', 'failed', 'expired', 'cancelled');
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown status filter: % (use active or a mission status)',
      v_bad USING ERRCODE = 'MS422';
  END IF;
  RETURN ARRAY(SELECT DISTINCT x FROM unnest(p_statuses) s
               CROSS JOIN LATERAL unnest(CASE WHEN s = 'active' THEN v_active ELSE ARRAY[s] END) x ORDER BY x);
END
$fn$;
COMMENT ON FUNCTION missions_private.agent_status_filter(text[]) IS
  'Expands an agent mission status filter: active = assigned or in_progress (every running state, seed 004); other names as stored; an unknown name is MS422.';

-- missions_private.log_event: writes a domain event (not a status change) for a mission.
CREATE OR REPLACE FUNCTION missions_private.log_event(p_mission_id uuid, p_type text, p_payload jsonb DEFAULT '{}',
                                                     p_step_id uuid DEFAULT NULL) RETURNS bigint
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  INSERT INTO missions_private.events (type, mission_id, step_id, participant_id, actor_id, payload)
  SELECT p_type, m.id, p_step_id, m.participant_id, missions_private.current_principal_id(), coalesce(p_payload, '{}')
  FROM missions_private.missions m WHERE m.id = p_mission_id
  RETURNING id
$fn$;
COMMENT ON FUNCTION missions_private.log_event(uuid, text, jsonb, uuid) IS
  'Appends a domain event (e.g. mission.task_added, mission.user_message) to a mission''s history and the outbox.';
