-- One mechanism for every status change: a statement trigger per table checks each change against
-- missions_private.transitions (MS409 on an illegal one) and writes one event row per change.

-- missions_private.context_seal: the seal that proves the engine set this transition context in this transaction.
CREATE OR REPLACE FUNCTION missions_private.context_seal(p_context text) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN pg_catalog.encode(pg_catalog.sha256(pg_catalog.convert_to(
    (SELECT k.secret FROM missions_private.engine_keys k WHERE k.name = 'transition_context')
      || ':' || pg_catalog.pg_current_xact_id()::text || ':' || p_context, 'UTF8')), 'hex');
END
$fn$;
COMMENT ON FUNCTION missions_private.context_seal(text) IS
  'sha256 of the owner-only secret, the transaction id and the context text: only the owner can compute it (no grants).';

-- missions_private.set_transition_context: attaches a payload to the events of the transitions that follow (engine functions only).
-- Call it as an assignment (`v_sealed := missions_private.set_transition_context(…)`): plpgsql evaluates a
-- simple expression without SPI, so the line after this function's own in the call stack is the calling
-- function's frame, which PostgreSQL writes from the function's signature. Only the owner creates
-- functions in missions and missions_private; a caller's statement (top level, DO block, query_to_xml…)
-- shows up as no line, an inline_code_block frame or an 'SQL statement' line, and is refused.
CREATE OR REPLACE FUNCTION missions_private.set_transition_context(p_context jsonb) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_stack text;
  v_text text := coalesce(p_context, '{}')::text;
BEGIN
  GET DIAGNOSTICS v_stack = PG_CONTEXT;
  IF pg_catalog.split_part(v_stack, E'\n', 2) !~ '^PL/pgSQL function missions(_private)?\.[a-z_0-9]+\(' THEN
    RAISE EXCEPTION 'only the engine sets the transition context' USING ERRCODE = 'MS403';
  END IF;
  PERFORM pg_catalog.set_config('missions.transition_context', v_text, true),
          pg_catalog.set_config('missions.transition_context_seal', missions_private.context_seal(v_text), true);
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION missions_private.set_transition_context(jsonb) IS
  'Attaches p_context to the events of the transitions that follow in this transaction, sealed; only the engine''s own PL/pgSQL functions may call it (MS403 otherwise).';

-- missions_private.clear_transition_context: ends the payload set by set_transition_context.
CREATE OR REPLACE FUNCTION missions_private.clear_transition_context() RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pg_catalog.set_config('missions.transition_context', '', true),
          pg_catalog.set_config('missions.transition_context_seal', '', true);
END
$fn$;
COMMENT ON FUNCTION missions_private.clear_transition_context() IS
  'Clears the transition context, so later transitions of the transaction carry no payload.';

-- missions_private.transition_context: the payload the current transition attaches to its events ('{}' unless the engine set it).
CREATE OR REPLACE FUNCTION missions_private.transition_context() RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_text text := nullif(pg_catalog.current_setting('missions.transition_context', true), '');
BEGIN
  IF v_text IS NULL
     OR pg_catalog.current_setting('missions.transition_context_seal', true)
        IS DISTINCT FROM missions_private.context_seal(v_text) THEN
    RETURN '{}';  -- unset, or set by a caller with SET: ignored
  END IF;
  RETURN v_text::jsonb;
END
$fn$;
COMMENT ON FUNCTION missions_private.transition_context() IS
  'The payload the current transition attaches to its events: what set_transition_context sealed in this transaction, else {} (a caller''s own SET is ignored).';

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
  IF NEW.status = 'blocked' THEN  -- entering blocked starts the blocker's clock
    NEW.blocked_since := v_now;
  ELSE  -- leaving blocked (unblocked, skipped, failed …) drops the blocker, whoever moves the step
    NEW.blocked_by := NULL;
    NEW.blocked_by_step := NULL;
    NEW.blocked_reason := NULL;
    NEW.blocked_since := NULL;
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
  'Row trigger: stamps status_changed_at, started_at and completed_at on step status changes, clears the lease when a step leaves in_progress, stamps blocked_since on entering blocked and drops the blocker on leaving it.';

-- missions_private.track_mission_status: statement trigger; checks mission status changes and logs them as events.
CREATE OR REPLACE FUNCTION missions_private.track_mission_status() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_bad record;
  v_context jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN  -- a statement that touched no row (e.g. a readying no-op)
    RETURN NULL;
  END IF;
  v_context := missions_private.transition_context();  -- once per statement, not per row
  -- One pass: the changes are materialized (a hash join of the transition tables, never a nested loop),
  -- logged, and checked against the state machine; an illegal one raises and rolls all of it back.
  IF TG_OP = 'INSERT' THEN
    WITH changed AS MATERIALIZED (
      SELECT n.id, n.participant_id, NULL::text AS from_status, n.status AS to_status FROM new_rows n
    ), logged AS (
      INSERT INTO missions_private.events (type, mission_id, participant_id, actor_id, to_status, payload)
      SELECT 'mission.created', c.id, c.participant_id, missions_private.current_principal_id(), c.to_status,
             v_context
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
             c.from_status, c.to_status, v_context
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
  v_context jsonb;
BEGIN
  IF NOT EXISTS (SELECT FROM new_rows) THEN  -- a statement that touched no row (e.g. a readying no-op)
    RETURN NULL;
  END IF;
  v_context := missions_private.transition_context();  -- once per statement, not per row
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
             missions_private.current_principal_id(), c.from_status, c.to_status, v_context
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
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v missions_private.missions;
BEGIN
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF v.status = p_to THEN  -- not a change, so the trigger would not see it
    PERFORM missions_private.raise_illegal_transition('mission', p_mission_id, v.status, p_to);
  END IF;
  v_sealed := missions_private.set_transition_context(p_context);
  UPDATE missions_private.missions m SET status = p_to WHERE m.id = p_mission_id RETURNING m.* INTO v;
  PERFORM missions_private.clear_transition_context();
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.transition_mission(uuid, text, jsonb) IS
  'Moves one mission to a new status with an event payload; MS404 when missing, MS409 when the state machine forbids it (staying put included).';

SELECT missions_private.ensure_trigger('missions_private.missions', 'missions_stamp_status', $ddl$
CREATE OR REPLACE TRIGGER missions_stamp_status
  BEFORE INSERT OR UPDATE OF status ON missions_private.missions
  FOR EACH ROW EXECUTE FUNCTION missions_private.stamp_mission_status()
$ddl$);
SELECT missions_private.ensure_trigger('missions_private.missions', 'missions_track_inserts', $ddl$
CREATE OR REPLACE TRIGGER missions_track_inserts
  AFTER INSERT ON missions_private.missions REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_mission_status()
$ddl$);
SELECT missions_private.ensure_trigger('missions_private.missions', 'missions_track_updates', $ddl$
CREATE OR REPLACE TRIGGER missions_track_updates
  AFTER UPDATE ON missions_private.missions REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_mission_status()
$ddl$);
SELECT missions_private.ensure_trigger('missions_private.steps', 'steps_stamp_status', $ddl$
CREATE OR REPLACE TRIGGER steps_stamp_status
  BEFORE INSERT OR UPDATE OF status ON missions_private.steps
  FOR EACH ROW EXECUTE FUNCTION missions_private.stamp_step_status()
$ddl$);
SELECT missions_private.ensure_trigger('missions_private.steps', 'steps_track_inserts', $ddl$
CREATE OR REPLACE TRIGGER steps_track_inserts
  AFTER INSERT ON missions_private.steps REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_step_status()
$ddl$);
SELECT missions_private.ensure_trigger('missions_private.steps', 'steps_track_updates', $ddl$
CREATE OR REPLACE TRIGGER steps_track_updates
  AFTER UPDATE ON missions_private.steps REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.track_step_status()
$ddl$);
