-- One mechanism for every status change: a statement trigger per table checks each change against
-- missions_private.transitions (MS409 on an illegal one) and writes one event row per change.

-- missions_private.transition_context: the payload the current transition attaches to its events.
CREATE OR REPLACE FUNCTION missions_private.transition_context() RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN coalesce(nullif(pg_catalog.current_setting('missions.transition_context', true), '')::jsonb, '{}');
END
$fn$;
COMMENT ON FUNCTION missions_private.transition_context() IS
  'The JSON payload that the current transition attaches to its events (setting missions.transition_context).';

-- missions_private.raise_illegal_transition: raises MS409 for the first change not allowed by the state machine.
CREATE OR REPLACE FUNCTION missions_private.raise_illegal_transition(
  p_entity text, p_id uuid, p_from text, p_to text) RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION 'illegal % transition: % -> %', p_entity, coalesce(p_from, '(new)'), p_to
    USING ERRCODE = 'MS409', DETAIL = pg_catalog.format('%s %s', p_entity, p_id),
          HINT = 'Allowed transitions are listed in missions_private.transitions.';
END
$fn$;
COMMENT ON FUNCTION missions_private.raise_illegal_transition(text, uuid, text, text) IS
  'Raises MS409 (illegal transition) naming the entity, its id and the refused change.';

-- missions_private.stamp_mission_status: sets status_changed_at and the lifecycle timestamp of the new status.
CREATE OR REPLACE FUNCTION missions_private.stamp_mission_status() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  NEW.status_changed_at := v_now;
  CASE NEW.status
    WHEN 'assigned' THEN NEW.assigned_at := coalesce(NEW.assigned_at, v_now);
    WHEN 'in_progress' THEN NEW.started_at := coalesce(NEW.started_at, v_now);
    WHEN 'submitted' THEN NEW.submitted_at := v_now;
    WHEN 'completed' THEN NEW.completed_at := v_now;
    ELSE NULL;
  END CASE;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION missions_private.stamp_mission_status() IS
  'Row trigger: stamps status_changed_at and assigned_at/started_at/submitted_at/completed_at on mission status changes.';

-- missions_private.stamp_step_status: sets status_changed_at, started_at and completed_at of steps.
CREATE OR REPLACE FUNCTION missions_private.stamp_step_status() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
BEGIN
  IF TG_OP = 'UPDATE' AND NEW.status IS NOT DISTINCT FROM OLD.status THEN
    RETURN NEW;
  END IF;
  NEW.status_changed_at := v_now;
  IF NEW.status <> 'in_progress' THEN  -- leaving in_progress ends the lease, whoever moves the step
    NEW.leased_by := NULL;
    NEW.lease_token := NULL;
    NEW.lease_expires_at := NULL;
  END IF;
  IF NEW.status = 'in_progress' THEN
    NEW.started_at := coalesce(NEW.started_at, v_now);
  ELSIF NEW.status IN ('completed', 'skipped', 'failed') THEN
    NEW.completed_at := v_now;
  END IF;
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION missions_private.stamp_step_status() IS
  'Row trigger: stamps status_changed_at, started_at and completed_at on step status changes, and clears the lease when a step leaves in_progress.';

-- missions_private.track_mission_status: statement trigger; checks mission status changes and logs them as events.
CREATE OR REPLACE FUNCTION missions_private.track_mission_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_bad record;
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN  -- a statement that touched no row (e.g. a readying no-op)
    RETURN NULL;
  END IF;
  -- One pass: the changes are materialized (a hash join of the transition tables, never a nested loop),
  -- logged, and checked against the state machine; an illegal one raises and rolls all of it back.
  IF TG_OP = 'INSERT' THEN
    WITH changed AS MATERIALIZED (
      SELECT n.id, n.participant_id, NULL::text AS from_status, n.status AS to_status FROM new_rows n
    ), logged AS (
      INSERT INTO missions_private.events (type, mission_id, participant_id, actor_id, to_status, payload)
      SELECT 'mission.created', c.id, c.participant_id, missions_private.current_principal_id(), c.to_status,
             missions_private.transition_context()
      FROM changed c
    )
    SELECT c.id, c.from_status, c.to_status INTO v_bad
    FROM (SELECT DISTINCT ON (c.to_status) c.* FROM changed c) c
    WHERE NOT EXISTS (SELECT FROM missions_private.transitions t
                      WHERE t.entity = 'mission' AND t.from_status IS NULL AND t.to_status = c.to_status)
    LIMIT 1;
  ELSE
    WITH changed AS MATERIALIZED (
      SELECT n.id, n.participant_id, o.status AS from_status, n.status AS to_status
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE o.status <> n.status
    ), logged AS (
      INSERT INTO missions_private.events (type, mission_id, participant_id, actor_id, from_status, to_status, payload)
      SELECT 'mission.status_changed', c.id, c.participant_id, missions_private.current_principal_id(),
             c.from_status, c.to_status, missions_private.transition_context()
      FROM changed c
    )
    SELECT c.id, c.from_status, c.to_status INTO v_bad
    FROM (SELECT DISTINCT ON (c.from_status, c.to_status) c.* FROM changed c) c
    WHERE NOT EXISTS (SELECT FROM missions_private.transitions t
                      WHERE t.entity = 'mission' AND t.from_status = c.from_status AND t.to_status = c.to_status)
    LIMIT 1;
  END IF;
  IF v_bad.id IS NOT NULL THEN
    PERFORM missions_private.raise_illegal_transition('mission', v_bad.id, v_bad.from_status, v_bad.to_status);
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION missions_private.track_mission_status() IS
  'Statement trigger on missions: writes one event per status change and refuses illegal ones (MS409), in one pass over the changes.';

-- missions_private.track_step_status: statement trigger; checks step status changes and logs them as events.
CREATE OR REPLACE FUNCTION missions_private.track_step_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_bad record;
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN  -- a statement that touched no row (e.g. a readying no-op)
    RETURN NULL;
  END IF;
  IF TG_OP = 'INSERT' THEN  -- new steps are part of their mission's creation event: only checked
    SELECT n.id, NULL::text AS from_status, n.status AS to_status INTO v_bad
    FROM (SELECT DISTINCT ON (n.status) n.* FROM new_rows n) n
    WHERE NOT EXISTS (SELECT FROM missions_private.transitions t
                      WHERE t.entity = 'step' AND t.from_status IS NULL AND t.to_status = n.status)
    LIMIT 1;
  ELSE
    WITH changed AS MATERIALIZED (
      SELECT n.id, n.mission_id, o.status AS from_status, n.status AS to_status
      FROM new_rows n JOIN old_rows o ON o.id = n.id
      WHERE o.status <> n.status
    ), logged AS (
      INSERT INTO missions_private.events (type, mission_id, step_id, participant_id, actor_id,
                                           from_status, to_status, payload)
      SELECT 'step.status_changed', c.mission_id, c.id, m.participant_id,
             missions_private.current_principal_id(), c.from_status, c.to_status, missions_private.transition_context()
      FROM changed c JOIN missions_private.missions m ON m.id = c.mission_id
    )
    SELECT c.id, c.from_status, c.to_status INTO v_bad
    FROM (SELECT DISTINCT ON (c.from_status, c.to_status) c.* FROM changed c) c
    WHERE NOT EXISTS (SELECT FROM missions_private.transitions t
                      WHERE t.entity = 'step' AND t.from_status = c.from_status AND t.to_status = c.to_status)
    LIMIT 1;
  END IF;
  IF v_bad.id IS NOT NULL THEN
    PERFORM missions_private.raise_illegal_transition('step', v_bad.id, v_bad.from_status, v_bad.to_status);
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION missions_private.track_step_status() IS
  'Statement trigger on steps: writes one event per status change and refuses illegal ones (MS409), in one pass over the changes.';

-- missions_private.transition_mission: moves one mission to p_to (the trigger checks it) and returns the row.
CREATE OR REPLACE FUNCTION missions_private.transition_mission(
  p_mission_id uuid, p_to text, p_context jsonb DEFAULT '{}')
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
BEGIN
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF v.status = p_to THEN  -- not a change, so the trigger would not see it
    PERFORM missions_private.raise_illegal_transition('mission', p_mission_id, v.status, p_to);
  END IF;
  PERFORM pg_catalog.set_config('missions.transition_context', coalesce(p_context, '{}')::text, true);
  UPDATE missions_private.missions m SET status = p_to WHERE m.id = p_mission_id RETURNING m.* INTO v;
  PERFORM pg_catalog.set_config('missions.transition_context', '', true);
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.transition_mission(uuid, text, jsonb) IS
  'Moves one mission to a new status with an event payload; MS404 when missing, MS409 when the state machine forbids it (staying put included).';

CREATE OR REPLACE TRIGGER missions_stamp_status
  BEFORE INSERT OR UPDATE OF status ON missions_private.missions
  FOR EACH ROW EXECUTE FUNCTION missions_private.stamp_mission_status();
CREATE OR REPLACE TRIGGER missions_track_inserts
  AFTER INSERT ON missions_private.missions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_mission_status();
CREATE OR REPLACE TRIGGER missions_track_updates
  AFTER UPDATE ON missions_private.missions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_mission_status();
CREATE OR REPLACE TRIGGER steps_stamp_status
  BEFORE INSERT OR UPDATE OF status ON missions_private.steps
  FOR EACH ROW EXECUTE FUNCTION missions_private.stamp_step_status();
CREATE OR REPLACE TRIGGER steps_track_inserts
  AFTER INSERT ON missions_private.steps REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_step_status();
CREATE OR REPLACE TRIGGER steps_track_updates
  AFTER UPDATE ON missions_private.steps REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_step_status();
