-- In-app notifications: the inbox of each principal (list, unread count, mark read), the helper every rule
-- notifies through, and the streak-at-risk job. The other rules sit where their moment happens, set-based
-- in the same statement: request_mentor_review (332), request_human_input (250), raise_alerts (150),
-- warn_learning_deadlines (360), assign_periodic_missions (160).

-- missions_private.streak_warning_hour: the local hour from which a participant who has not checked in hears that their streak is at risk.
CREATE OR REPLACE FUNCTION missions_private.streak_warning_hour() RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(missions_private.setting('streak_warning_hour')::integer, 18)
$fn$;
COMMENT ON FUNCTION missions_private.streak_warning_hour() IS
  'Setting streak_warning_hour (default 18): from this local hour, a participant with a streak and no check-in today is notified (once per local day).';

-- missions_private.notify: one notification per active recipient for a moment (a repeat of the moment notifies nobody again); returns how many were written.
CREATE OR REPLACE FUNCTION missions_private.notify(p_recipients uuid[], p_kind text, p_moment text, p_mission_id uuid,
                                                   p_title text, p_details jsonb DEFAULT '{}') RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_count integer;
BEGIN
  INSERT INTO missions_private.notifications (recipient_id, kind, moment, mission_id, title, details)
  SELECT DISTINCT p.id, p_kind, p_moment, p_mission_id, pg_catalog.left(p_title, 600), coalesce(p_details, '{}')
  FROM missions_private.principals p
  WHERE p.id = ANY (p_recipients) AND p.active
  ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.notify(uuid[], text, text, uuid, text, jsonb) IS
  'Writes one notification of a kind for a moment to each active recipient; the unique (recipient, kind, moment) keeps a moment from notifying anyone twice.';

-- missions.notifications: the caller's inbox, newest first (optionally unread only), one page.
CREATE OR REPLACE FUNCTION missions.notifications(p_unread_only boolean DEFAULT false, p_limit integer DEFAULT 50,
                                                  p_after jsonb DEFAULT NULL)
RETURNS TABLE (id bigint, kind text, title text, mission_id uuid, details jsonb, created_at timestamptz,
               read_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_me uuid := missions_private.caller_id();
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['id']);
  v_id bigint := coalesce((v_after->>'id')::bigint, 9223372036854775807);
BEGIN
  RETURN QUERY
  SELECT n.id, n.kind, n.title, n.mission_id, n.details, n.created_at, n.read_at
  FROM missions_private.notifications n
  WHERE n.recipient_id = v_me AND n.id < v_id AND (NOT coalesce(p_unread_only, false) OR n.read_at IS NULL)
  ORDER BY n.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.notifications(boolean, integer, jsonb) IS
  'The calling principal''s notifications, newest first (p_unread_only: unread ones); a page of p_limit (1..200) after the key {"id"}. Nobody reads another''s inbox.';

-- missions.unread_notification_count: how many of the caller's notifications are unread (counted up to 1000).
CREATE OR REPLACE FUNCTION missions.unread_notification_count() RETURNS integer
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT count(*)::integer FROM (
    SELECT FROM missions_private.notifications n
    WHERE n.recipient_id = missions_private.caller_id() AND n.read_at IS NULL
    LIMIT 1000
  ) unread
$fn$;
COMMENT ON FUNCTION missions.unread_notification_count() IS
  'The caller''s unread notifications, counted up to 1000 (1000 means 1000 or more), from the partial index of unread rows.';

-- missions.mark_notifications_read: marks the caller's notifications read (the given ids, or every unread one); returns how many changed.
CREATE OR REPLACE FUNCTION missions.mark_notifications_read(p_ids bigint[] DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_me uuid := missions_private.caller_id();
  v_count integer;
BEGIN
  IF pg_catalog.cardinality(p_ids) > 200 THEN
    RAISE EXCEPTION 'at most 200 ids at a time (or none: every unread notification)' USING ERRCODE = 'MS422';
  END IF;
  UPDATE missions_private.notifications n SET read_at = missions.now()
  WHERE n.recipient_id = v_me AND n.read_at IS NULL AND (p_ids IS NULL OR n.id = ANY (p_ids));
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.mark_notifications_read(bigint[]) IS
  'Marks the caller''s unread notifications read: the given ids (at most 200; others'' ids and read ones are ignored) or, with NULL, all of them; returns how many changed.';

-- missions.notify_streaks_at_risk: the hourly job: participants with a streak and no check-in today hear it is at risk, once per local day, from the warning hour.
CREATE OR REPLACE FUNCTION missions.notify_streaks_at_risk() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_hour integer := missions_private.streak_warning_hour();
  v_count integer;
BEGIN
  INSERT INTO missions_private.notifications (recipient_id, kind, moment, title, details)
  SELECT p.id, 'streak_at_risk', 'streak:' || l.today,
         'Your ' || pp.current_streak || '-day streak ends at midnight: check in today',
         pg_catalog.jsonb_build_object('streak', pp.current_streak, 'local_day', l.today,
                                       'decays_at', ((l.today + 1)::timestamp AT TIME ZONE p.timezone))
  FROM missions_private.participant_progress pp
  JOIN missions_private.principals p ON p.id = pp.participant_id
  CROSS JOIN LATERAL (SELECT (v_now AT TIME ZONE p.timezone) AS local_now) t
  CROSS JOIN LATERAL (SELECT t.local_now::date AS today) l
  WHERE pp.current_streak > 0 AND p.role = 'participant' AND p.active AND NOT p.paused
    AND pg_catalog.date_part('hour', t.local_now) >= v_hour
    AND pp.last_check_in < l.today
  ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.notify_streaks_at_risk() IS
  'Job (hourly): every active, unpaused participant with a streak, no check-in on their local day and a local time past streak_warning_hour (18) gets one streak_at_risk notification for that local day (the decay at local midnight would break the streak). Returns notifications written.';
