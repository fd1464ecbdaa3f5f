-- Learning-face jobs: deadline warnings for time-bound missions, and the auto-submit at the deadline of
-- templates that ask for it (expiry itself is missions.expire_missions, which runs the auto-submit first).

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
    RETURNING m.id, m.participant_id, m.expires_at, m.title
  ), notified AS (  -- notification rule: learning deadline warning -> the learner
    INSERT INTO missions_private.notifications (recipient_id, kind, moment, mission_id, title, details)
    SELECT d.participant_id, 'deadline_warning', 'mission:' || d.id, d.id,
           pg_catalog.left('Deadline approaching: ' || d.title, 600), jsonb_build_object('deadline_at', d.expires_at)
    FROM due d
    ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
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

-- missions.auto_submit_learning_missions: at the deadline, submits the in-progress missions of auto-submit templates that hold work.
CREATE OR REPLACE FUNCTION missions.auto_submit_learning_missions() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_due uuid[];
  v_ids uuid[];
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
BEGIN
  -- 1. Lock the due missions, as every learner's call does first (lock_learning): a submit or save in flight is
  --    waited for, and a mission its learner submitted meanwhile no longer qualifies (the lock re-checks the row).
  SELECT coalesce(array_agg(d.id ORDER BY d.id), '{}') INTO v_due
  FROM (SELECT m.id
        FROM missions_private.missions m
        JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
        JOIN missions_private.learning_templates l ON l.template_id = m.template_id
        WHERE m.status = 'in_progress' AND m.expires_at <= v_now AND m.face = 'learning'
          AND l.auto_submit AND lm.auto_submitted_at IS NULL
        ORDER BY m.id
        FOR UPDATE OF m) d;
  IF cardinality(v_due) = 0 THEN
    RETURN 0;
  END IF;
  -- 2. With the locks held (a new snapshot sees everything committed before): those with work to review — a
  --    subtask completed, evidence, or notes. The rest stay in progress and expire_missions expires them.
  SELECT coalesce(array_agg(d.id ORDER BY d.id), '{}') INTO v_ids
  FROM unnest(v_due) AS d(id)
  WHERE EXISTS (SELECT FROM missions_private.steps s
                WHERE s.mission_id = d.id AND s.kind = 'subtask' AND s.status = 'completed')
     OR EXISTS (SELECT FROM missions_private.evidence_files e WHERE e.mission_id = d.id)
     OR EXISTS (SELECT FROM missions_private.subtask_notes n
                WHERE n.mission_id = d.id AND missions_private.clean_text(n.notes) IS NOT NULL);
  IF cardinality(v_ids) = 0 THEN
    RETURN 0;
  END IF;
  -- 3. Submit them as submit_learning_mission does, set-based: open optional subtasks are skipped (required ones
  --    left open stay open and score as not done), the reflection requirement is waived (the review sees none),
  --    then submitted with a ready ai_review step.
  UPDATE missions_private.steps s SET status = 'skipped'
  WHERE s.mission_id = ANY (v_ids) AND s.kind = 'subtask' AND s.optional
    AND s.status IN ('pending', 'ready', 'in_progress');
  v_sealed := missions_private.set_transition_context(jsonb_build_object('auto_submitted', true));
  UPDATE missions_private.missions m SET status = 'submitted' WHERE m.id = ANY (v_ids);
  PERFORM missions_private.clear_transition_context();
  INSERT INTO missions_private.steps (mission_id, position, title, kind, status, ready_at, priority)
  SELECT m.id, (SELECT max(s.position) FROM missions_private.steps s WHERE s.mission_id = m.id) + 1,
         'AI review', 'ai_review', 'ready', v_now, m.priority
  FROM missions_private.missions m
  WHERE m.id = ANY (v_ids);
  UPDATE missions_private.learning_missions lm
  SET review_stage = 'ai_review', review_rounds = lm.review_rounds + 1, auto_submitted_at = v_now
  WHERE lm.mission_id = ANY (v_ids);
  RETURN cardinality(v_ids);
END
$fn$;
COMMENT ON FUNCTION missions.auto_submit_learning_missions() IS
  'Job (every 15 min, and first thing in expire_missions): in-progress learning missions of auto_submit templates past their deadline, not auto-submitted before, holding work (a completed subtask, evidence or notes) are submitted for review like submit_learning_mission (optional open subtasks skipped, required ones left open, reflection not required; an ai_review step; the transition event carries auto_submitted: true) instead of expiring; once per mission. Missions without work, or sent back after their auto-submit, are left to expire_missions. Returns missions submitted.';
