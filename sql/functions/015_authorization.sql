-- Authorization helpers the face functions call first: who may act for whom.

-- missions_private.current_principal_role: the role of the acting principal (NULL for owner sessions).
CREATE OR REPLACE FUNCTION missions_private.current_principal_role() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN (SELECT p.role FROM missions_private.principals p WHERE p.id = missions_private.current_principal_id());
END
$fn$;
COMMENT ON FUNCTION missions_private.current_principal_role() IS
  'The role of the acting principal; NULL when no principal is bound (owner and cron sessions).';

-- missions_private.is_owner_session: whether the session user is a superuser or owns the engine's schemas (migrations, cron).
CREATE OR REPLACE FUNCTION missions_private.is_owner_session() RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce((SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = session_user), false)
      OR pg_catalog.pg_has_role(session_user,
           (SELECT n.nspowner FROM pg_catalog.pg_namespace n WHERE n.nspname = 'missions'), 'MEMBER')
$fn$;
COMMENT ON FUNCTION missions_private.is_owner_session() IS
  'True for sessions of a superuser or of the schemas'' owner (migrations, pg_cron jobs, DBAs): they act without a principal.';

-- missions_private.caller_id: the acting principal; MS401 when none is bound and this is not an owner session.
CREATE OR REPLACE FUNCTION missions_private.caller_id() RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v uuid := missions_private.current_principal_id();
BEGIN
  IF v IS NULL AND NOT missions_private.is_owner_session() THEN
    RAISE EXCEPTION 'no active principal is bound to this session' USING ERRCODE = 'MS401';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.caller_id() IS
  'The acting principal, NULL only for owner sessions; MS401 for any other session without an active principal.';

-- missions_private.authorize_participant: MS403 unless the caller may act for this participant; MS404 if there is none.
CREATE OR REPLACE FUNCTION missions_private.authorize_participant(p_participant_id uuid) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
  v_role text := missions_private.current_principal_role();
BEGIN
  IF v_caller IS NOT NULL AND v_caller IS DISTINCT FROM p_participant_id
     AND v_role IS DISTINCT FROM 'admin' AND v_role IS DISTINCT FROM 'service' THEN
    RAISE EXCEPTION 'you may act only on your own data' USING ERRCODE = 'MS403';
  END IF;
  IF NOT EXISTS (SELECT FROM missions_private.principals p
                 WHERE p.id = p_participant_id AND p.role = 'participant') THEN
    RAISE EXCEPTION 'participant % not found', p_participant_id USING ERRCODE = 'MS404';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_participant(uuid) IS
  'Raises MS403 unless the caller is that participant, an admin, a service or an owner session; MS404 when no such participant exists.';

-- missions_private.authorize_actor: MS403 when an actor id argument (reviewer, admin) is not the caller.
CREATE OR REPLACE FUNCTION missions_private.authorize_actor(p_actor_id uuid) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
BEGIN
  IF p_actor_id IS NULL THEN
    RAISE EXCEPTION 'the acting principal id is required' USING ERRCODE = 'MS422';
  END IF;
  IF v_caller IS NOT NULL AND v_caller <> p_actor_id THEN
    RAISE EXCEPTION 'you may act only as yourself (got %)', p_actor_id USING ERRCODE = 'MS403';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_actor(uuid) IS
  'Raises MS403 when an actor argument (reviewer_id, admin_id) names someone other than the calling principal.';

-- missions_private.authorize_agent: MS403 unless p_agent_id is the calling principal and an agent.
CREATE OR REPLACE FUNCTION missions_private.authorize_agent(p_agent_id uuid) RETURNS void
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_actor(p_agent_id);
  IF NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id = p_agent_id AND p.role = 'agent' AND p.active) THEN
    RAISE EXCEPTION 'principal % is not an active agent', p_agent_id USING ERRCODE = 'MS403';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_agent(uuid) IS 'Raises MS403 unless the agent id is the caller''s and names an active agent.';

-- missions_private.authorize_agent_delivery: MS403 unless some step waits on the key and the agent works on every mission waiting on it.
CREATE OR REPLACE FUNCTION missions_private.authorize_agent_delivery(p_key text, p_agent_id uuid) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- an agent works on a waiting step's mission when the mission names it, or when it made that step
  -- wait and is still allowed on the mission; an event nobody waits for yet is not an agent's to send
  IF NOT EXISTS (SELECT FROM missions_private.steps s WHERE s.status = 'waiting_external' AND s.wait_key = p_key)
     OR EXISTS (SELECT FROM missions_private.steps s
                WHERE s.status = 'waiting_external' AND s.wait_key = p_key
                  AND NOT EXISTS (SELECT FROM missions_private.mission_agents a
                                  WHERE a.mission_id = s.mission_id AND a.agent_id = p_agent_id)
                  AND NOT (s.waited_by IS NOT DISTINCT FROM p_agent_id
                           AND missions_private.agent_allowed(s.mission_id, p_agent_id))) THEN
    RAISE EXCEPTION 'an agent delivers only events that steps of its own missions wait for (key %)', p_key
      USING ERRCODE = 'MS403';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_agent_delivery(text, uuid) IS
  'Raises MS403 unless a step waits on the key and, for every step waiting on it, the agent is named on its mission or made it wait (and is still allowed on the mission).';

-- missions_private.authorize_staff: MS403 unless the caller is an admin, a service or an owner session.
CREATE OR REPLACE FUNCTION missions_private.authorize_staff() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF missions_private.caller_id() IS NOT NULL
     AND missions_private.current_principal_role() NOT IN ('admin', 'service') THEN
    RAISE EXCEPTION 'only admins and services may do this' USING ERRCODE = 'MS403';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_staff() IS 'Raises MS403 unless the caller is an admin, a service or an owner session.';

-- missions_private.authorize_mentor: MS403 unless p_mentor_id is the caller and a mentor or admin.
CREATE OR REPLACE FUNCTION missions_private.authorize_mentor(p_mentor_id uuid) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_actor(p_mentor_id);
  IF NOT EXISTS (SELECT FROM missions_private.principals p
                 WHERE p.id = p_mentor_id AND p.role IN ('mentor', 'admin') AND p.active) THEN
    RAISE EXCEPTION 'only mentors and admins review missions' USING ERRCODE = 'MS403';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_mentor(uuid) IS 'Raises MS403 unless the mentor id is the caller''s and names an active mentor or admin.';

-- missions_private.authorize_analytics: MS403 unless the caller is an admin, a service, a mentor or an owner session.
CREATE OR REPLACE FUNCTION missions_private.authorize_analytics() RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF missions_private.caller_id() IS NOT NULL
     AND missions_private.current_principal_role() NOT IN ('admin', 'service', 'mentor') THEN
    RAISE EXCEPTION 'only admins, services and mentors read the learning analytics' USING ERRCODE = 'MS403';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.authorize_analytics() IS
  'Raises MS403 unless the caller is an admin, a service, a mentor or an owner session (the learning analytics readers).';

-- missions_private.level_rank: 0 for L0_APPLICANT … 5 for L5_CATALYST.
CREATE OR REPLACE FUNCTION missions_private.level_rank(p_level text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.substr(p_level, 2, 1)::integer
$fn$;
COMMENT ON FUNCTION missions_private.level_rank(text) IS 'The rank of an identity level: L0_APPLICANT = 0 … L5_CATALYST = 5.';

-- missions_private.local_day: the calendar day in a time zone at an instant.
CREATE OR REPLACE FUNCTION missions_private.local_day(p_timezone text, p_at timestamptz) RETURNS date
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT (p_at AT TIME ZONE p_timezone)::date
$fn$;
COMMENT ON FUNCTION missions_private.local_day(text, timestamptz) IS 'The calendar day in time zone p_timezone at instant p_at.';

-- missions_private.clean_text: the text without surrounding whitespace (spaces, tabs, newlines), NULL when nothing is left.
CREATE OR REPLACE FUNCTION missions_private.clean_text(p_text text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT nullif(pg_catalog.btrim(p_text, E' \t\r\n\f\x0B'), '')  -- \x0B: vertical tab (E'' knows no \v)
$fn$;
COMMENT ON FUNCTION missions_private.clean_text(text) IS
  'Trims spaces, tabs and line breaks; NULL for NULL or whitespace-only text (so blank input counts as missing).';
