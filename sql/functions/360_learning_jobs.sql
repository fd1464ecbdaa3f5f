-- Learning-face jobs: deadline warnings for time-bound missions (expiry itself is missions.expire_missions).

-- missions.warn_learning_deadlines: one learning.deadline_warning event per time-bound mission when a quarter of its time is left.
CREATE OR REPLACE FUNCTION missions.warn_learning_deadlines() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_count integer;
BEGIN
  WITH due AS (
    UPDATE missions_private.learning_missions lm SET deadline_warned_at = v_now
    FROM missions_private.missions m
    JOIN missions_private.learning_templates l ON l.template_id = m.template_id
    WHERE m.id = lm.mission_id AND m.status = 'in_progress' AND lm.deadline_warned_at IS NULL
      AND m.expires_at > v_now
      AND m.expires_at - v_now <= pg_catalog.make_interval(hours => l.time_constraint_hours) / 4
    RETURNING m.id, m.participant_id, m.expires_at
  ), logged AS (
    INSERT INTO missions_private.events (type, mission_id, participant_id, payload)
    SELECT 'learning.deadline_warning', d.id, d.participant_id,
           jsonb_build_object('deadline_at', d.expires_at,
                              'minutes_left', floor(extract(epoch FROM d.expires_at - v_now) / 60))
    FROM due d
    RETURNING 1
  )
  SELECT count(*) INTO v_count FROM logged;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.warn_learning_deadlines() IS
  'Job (every 15 min): in-progress time-bound learning missions with a quarter of their time left get one learning.deadline_warning event (outbox). Returns missions warned.';
