-- Intervention alerts: raised set-based by the rules, at most one open per participant and type; resolved by admins.

-- missions_private.raise_alerts: opens an alert of a type for each participant that has none open; returns how many.
CREATE OR REPLACE FUNCTION missions_private.raise_alerts(p_participants uuid[], p_type text, p_severity text)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_count integer;
BEGIN
  WITH raised AS (
    INSERT INTO missions_private.alerts (participant_id, type, severity)
    SELECT DISTINCT x.id, p_type, p_severity FROM unnest(p_participants) AS x(id)
    ON CONFLICT (participant_id, type) WHERE status = 'triggered' DO NOTHING
    RETURNING id, participant_id
  ), notified AS (  -- notification rule: alert triggered -> every active admin
    INSERT INTO missions_private.notifications (recipient_id, kind, moment, title, details)
    SELECT ad.id, 'alert_triggered', 'alert:' || r.id, 'Alert ' || p_type || ' (' || p_severity || ')',
           pg_catalog.jsonb_build_object('alert_id', r.id, 'participant_id', r.participant_id, 'type', p_type,
                                         'severity', p_severity)
    FROM raised r CROSS JOIN missions_private.principals ad
    WHERE ad.role = 'admin' AND ad.active
    ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
  )
  SELECT count(*) INTO v_count FROM raised;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.raise_alerts(uuid[], text, text) IS
  'Opens one alert of the type per listed participant unless one is already open (de-duplicated by a unique index).';

-- missions_private.raise_missed_missions_alerts: MISSED_MISSIONS for those with 3+ expired/failed engagement missions in 7 days.
CREATE OR REPLACE FUNCTION missions_private.raise_missed_missions_alerts(p_participants uuid[]) RETURNS integer
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.raise_alerts(ARRAY(
    SELECT m.participant_id FROM missions_private.missions m
    WHERE m.participant_id = ANY (p_participants) AND m.status IN ('expired', 'failed') AND m.face = 'engagement'
      AND m.status_changed_at > missions.now() - interval '7 days'
    GROUP BY m.participant_id HAVING count(*) >= 3), 'MISSED_MISSIONS', 'HIGH')
$fn$;
COMMENT ON FUNCTION missions_private.raise_missed_missions_alerts(uuid[]) IS
  'MISSED_MISSIONS (HIGH) for listed participants with 3 or more engagement missions (challenges) expired or failed in the last 7 days.';

-- missions_private.raise_triad_imbalance_alerts: TRIAD_IMBALANCE when one domain < 20 while another > 50.
CREATE OR REPLACE FUNCTION missions_private.raise_triad_imbalance_alerts(p_participants uuid[]) RETURNS integer
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.raise_alerts(ARRAY(
    SELECT pp.participant_id FROM missions_private.participant_progress pp
    WHERE pp.participant_id = ANY (p_participants)
      AND least(pp.triad_technical, pp.triad_soft, pp.triad_commercial) < 20
      AND greatest(pp.triad_technical, pp.triad_soft, pp.triad_commercial) > 50), 'TRIAD_IMBALANCE', 'MEDIUM')
$fn$;
COMMENT ON FUNCTION missions_private.raise_triad_imbalance_alerts(uuid[]) IS
  'TRIAD_IMBALANCE (MEDIUM) for listed participants with one triad domain under 20 while another is over 50.';

-- missions.alerts: alerts by status (triggered, resolved or all), newest first, paged (key: created_at, id); participants see only their own.
CREATE OR REPLACE FUNCTION missions.alerts(p_status text DEFAULT 'triggered', p_limit integer DEFAULT 50,
                                          p_after jsonb DEFAULT NULL)
RETURNS TABLE (id uuid, participant_id uuid, type text, severity text, status text, created_at timestamptz,
               details jsonb, resolved_at timestamptz, resolved_by uuid, notes text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  IF p_status IS NULL OR p_status NOT IN ('triggered', 'resolved', 'all') THEN
    RAISE EXCEPTION 'status must be triggered, resolved or all (got %)', coalesce(p_status, 'null')
      USING ERRCODE = 'MS422';
  END IF;
  IF p_status = 'all' THEN
    RETURN QUERY
    SELECT a.id, a.participant_id, a.type, a.severity, a.status, a.created_at, a.details, a.resolved_at,
           a.resolved_by, a.notes
    FROM missions_private.alerts a
    WHERE (a.created_at, a.id) < (v_created, v_id)
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT v_limit;
  ELSE
    RETURN QUERY
    SELECT a.id, a.participant_id, a.type, a.severity, a.status, a.created_at, a.details, a.resolved_at,
           a.resolved_by, a.notes
    FROM missions_private.alerts a
    WHERE a.status = p_status AND (a.created_at, a.id) < (v_created, v_id)
    ORDER BY a.created_at DESC, a.id DESC
    LIMIT v_limit;
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions.alerts(text, integer, jsonb) IS
  'Alerts with the given status (default triggered; resolved; all), newest first; a page of p_limit (1..200) after the key {"created_at", "id"}.';

-- missions.resolve_alert: triggered -> resolved by an admin with optional notes; returns the alert.
CREATE OR REPLACE FUNCTION missions.resolve_alert(p_alert_id uuid, p_admin_id uuid, p_notes text DEFAULT NULL)
RETURNS SETOF missions_private.alerts
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.alerts;
BEGIN
  PERFORM missions_private.authorize_actor(p_admin_id);
  SELECT * INTO v FROM missions_private.alerts a WHERE a.id = p_alert_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'alert % not found', p_alert_id USING ERRCODE = 'MS404';
  END IF;
  IF v.status = 'resolved' THEN
    RAISE EXCEPTION 'alert % is already resolved', p_alert_id USING ERRCODE = 'MS409';
  END IF;
  RETURN QUERY
  UPDATE missions_private.alerts a
  SET status = 'resolved', resolved_at = missions.now(), resolved_by = p_admin_id, notes = p_notes
  WHERE a.id = p_alert_id
  RETURNING a.*;
END
$fn$;
COMMENT ON FUNCTION missions.resolve_alert(uuid, uuid, text) IS 'Resolves a triggered alert with notes (MS409 if already resolved).';
