-- Submitting a learning mission for review, and what every review shares: the review packet, the weighted
-- score against the mission's rubric, the verdict (approve: completed, rewards, portfolio item, skill signals;
-- request changes: back to in_progress) and the return of a mission whose review step failed for good.
-- The flow: submit -> an ai_review step a designated reviewer agent claims (331) -> (PREMIUM) mentor review (332)
-- -> approval, which pays and records the portfolio item and skill signals (333).

-- missions_private.weighted_score: validates per-subtask scores against the mission's rubric (on-path subtasks) and returns their weighted mean.
CREATE OR REPLACE FUNCTION missions_private.weighted_score(p_mission_id uuid, p_scores jsonb) RETURNS numeric
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_expected integer[];
  v_given integer[];
BEGIN
  IF pg_catalog.jsonb_typeof(p_scores) IS DISTINCT FROM 'array'
     OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(p_scores) x
                WHERE pg_catalog.jsonb_typeof(x) <> 'object'
                   OR pg_catalog.jsonb_typeof(x->'subtask') IS DISTINCT FROM 'number'
                   OR (x->>'subtask')::numeric % 1 <> 0
                   OR pg_catalog.jsonb_typeof(x->'score') IS DISTINCT FROM 'number'
                   OR (x->>'score')::numeric NOT BETWEEN 0 AND 100) THEN
    RAISE EXCEPTION 'scores must be an array of {subtask, score 0..100}' USING ERRCODE = 'MS422';
  END IF;
  -- the rubric's subtasks still on the mission's path (a decision may have skipped some)
  SELECT array_agg((c->>'subtask')::integer ORDER BY (c->>'subtask')::integer) INTO v_expected
  FROM missions_private.learning_missions lm
  JOIN missions_private.rubrics r ON r.id = lm.rubric_id
  CROSS JOIN pg_catalog.jsonb_array_elements(r.criteria) c
  JOIN missions_private.steps s ON s.mission_id = lm.mission_id AND s.position = (c->>'subtask')::integer
  WHERE lm.mission_id = p_mission_id AND s.status <> 'skipped';
  SELECT array_agg((x->>'subtask')::numeric::integer ORDER BY (x->>'subtask')::numeric) INTO v_given
  FROM pg_catalog.jsonb_array_elements(p_scores) x;
  IF v_given IS DISTINCT FROM v_expected THEN
    RAISE EXCEPTION 'score each rubric subtask on the path exactly once: expected %, got %',
      coalesce(v_expected::text, '{}'), coalesce(v_given::text, '{}') USING ERRCODE = 'MS422';
  END IF;
  RETURN (SELECT round(sum((c->>'weight')::numeric * (x->>'score')::numeric) / sum((c->>'weight')::numeric), 2)
          FROM missions_private.learning_missions lm
          JOIN missions_private.rubrics r ON r.id = lm.rubric_id
          CROSS JOIN pg_catalog.jsonb_array_elements(r.criteria) c
          JOIN pg_catalog.jsonb_array_elements(p_scores) x ON (x->>'subtask')::numeric::integer = (c->>'subtask')::integer
          WHERE lm.mission_id = p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions_private.weighted_score(uuid, jsonb) IS
  'Checks that scores [{subtask, score 0..100}] cover exactly the rubric subtasks on the path (MS422 otherwise) and returns sum(weight * score) / sum(weight).';

-- missions.submit_learning_mission: submits a learning mission (required subtasks done, reflection when required) and queues its AI review.
CREATE OR REPLACE FUNCTION missions.submit_learning_mission(p_mission_id uuid, p_reflection text DEFAULT NULL,
                                                            p_idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('submit_learning_mission', p_idempotency_key,
                      pg_catalog.jsonb_build_object('mission', p_mission_id, 'reflection', p_reflection));
  v missions_private.missions;
  lm missions_private.learning_missions;
  v_open text;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN v_answer;
  END IF;
  v := missions_private.lock_learning(p_mission_id);
  PERFORM missions_private.assert_working(v);
  IF length(p_reflection) > 20000 THEN
    RAISE EXCEPTION 'the reflection is limited to 20000 characters' USING ERRCODE = 'MS422';
  END IF;
  UPDATE missions_private.learning_missions x SET reflection = coalesce(p_reflection, x.reflection)
  WHERE x.mission_id = p_mission_id RETURNING * INTO lm;
  SELECT string_agg(s.position::text, ', ' ORDER BY s.position) INTO v_open
  FROM missions_private.steps s
  WHERE s.mission_id = p_mission_id AND s.kind = 'subtask' AND NOT s.optional AND s.status NOT IN ('completed', 'skipped');
  IF v_open IS NOT NULL THEN
    RAISE EXCEPTION 'required subtask(s) % are not done', v_open USING ERRCODE = 'MS409';
  END IF;
  IF (SELECT l.reflection_required FROM missions_private.learning_templates l WHERE l.template_id = v.template_id)
     AND missions_private.clean_text(lm.reflection) IS NULL THEN
    RAISE EXCEPTION 'this mission requires a reflection before submitting' USING ERRCODE = 'MS422';
  END IF;
  -- optional subtasks not done are skipped, so they are neither scored nor left open
  UPDATE missions_private.steps s SET status = 'skipped'
  WHERE s.mission_id = p_mission_id AND s.kind = 'subtask' AND s.status IN ('pending', 'ready', 'in_progress');
  PERFORM missions_private.transition_mission(p_mission_id, 'submitted',
            jsonb_build_object('review_round', lm.review_rounds + 1));
  INSERT INTO missions_private.steps (mission_id, position, title, kind, status, ready_at, priority)
  SELECT p_mission_id, max(s.position) + 1, 'AI review', 'ai_review', 'ready', missions.now(), v.priority
  FROM missions_private.steps s WHERE s.mission_id = p_mission_id;
  UPDATE missions_private.learning_missions x
  SET review_stage = 'ai_review', review_rounds = x.review_rounds + 1
  WHERE x.mission_id = p_mission_id;
  v_answer := missions_private.progress_doc(p_mission_id);
  PERFORM missions_private.remember('submit_learning_mission', p_idempotency_key, v_answer);
  RETURN v_answer;
END
$fn$;
COMMENT ON FUNCTION missions.submit_learning_mission(uuid, text, text) IS
  'Submits an in-progress learning mission: MS409 while a required subtask is open, MS422 without a required reflection; adds a ready ai_review step for reviewer agents; the same idempotency key again returns the first answer.';

-- missions.review_packet: what a reviewer (agent with the review lease, mentor, staff) needs: progress, rubric, notes, evidence.
CREATE OR REPLACE FUNCTION missions.review_packet(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.visible_learning(p_mission_id);
BEGIN
  RETURN missions_private.progress_doc(p_mission_id) || jsonb_build_object(
    'pass_score', (SELECT l.pass_score FROM missions_private.learning_templates l WHERE l.template_id = v.template_id),
    'hints_used', (SELECT count(*) FROM missions_private.hint_reveals h WHERE h.mission_id = p_mission_id));
END
$fn$;
COMMENT ON FUNCTION missions.review_packet(uuid) IS
  'The submission a reviewer scores: the progress document plus the pass score and hints used (agents need a live lease on the review step).';

-- missions_private.apply_verdict: approves (completed + rewards, portfolio, skill signals) or requests changes (back to in_progress).
CREATE OR REPLACE FUNCTION missions_private.apply_verdict(p_mission_id uuid, p_verdict text, p_score numeric,
                                                          p_reviewer_id uuid, p_feedback text) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
BEGIN
  IF p_verdict = 'approve' THEN
    UPDATE missions_private.learning_missions lm
    SET final_score = p_score, review_stage = 'approved', feedback = p_feedback
    WHERE lm.mission_id = p_mission_id;
    v := missions_private.transition_mission(p_mission_id, 'completed',
           jsonb_build_object('verdict', p_verdict, 'score', p_score, 'reviewer_id', p_reviewer_id));
    UPDATE missions_private.missions m SET reviewed_by = p_reviewer_id WHERE m.id = p_mission_id;
    PERFORM missions_private.reward_learning(p_mission_id);
  ELSE
    UPDATE missions_private.learning_missions lm
    SET review_stage = 'changes_requested', feedback = p_feedback, deadline_warned_at = NULL
    WHERE lm.mission_id = p_mission_id;
    v := missions_private.transition_mission(p_mission_id, 'in_progress',
           jsonb_build_object('verdict', p_verdict, 'score', p_score, 'reviewer_id', p_reviewer_id));
    -- time under review does not count against a time-bound mission
    UPDATE missions_private.missions m SET expires_at = m.expires_at + (missions.now() - m.submitted_at)
    WHERE m.id = p_mission_id AND m.expires_at IS NOT NULL;
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.apply_verdict(uuid, text, numeric, uuid, text) IS
  'approve: submitted -> completed with the final score, then rewards, portfolio and skill signals; request_changes: submitted -> in_progress with feedback, deadline moved by the review time (and warned again).';

-- missions_private.return_unreviewed: learning missions whose review step failed for good go back to their learner to resubmit.
CREATE OR REPLACE FUNCTION missions_private.return_unreviewed(p_mission_ids uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid;
  v_count integer := 0;
BEGIN
  FOR v_id IN
    SELECT m.id FROM missions_private.missions m
    JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
    WHERE m.id = ANY (p_mission_ids) AND m.face = 'learning' AND m.status = 'submitted'
      AND lm.review_stage IN ('ai_review', 'mentor_review')
      AND NOT EXISTS (SELECT FROM missions_private.steps s
                      JOIN missions_private.step_kinds k ON k.kind = s.kind AND k.review
                      WHERE s.mission_id = m.id AND s.status IN ('ready', 'in_progress'))
    ORDER BY m.id
    FOR UPDATE OF m
  LOOP
    PERFORM missions_private.apply_verdict(v_id, 'request_changes', NULL, NULL,
              'The review could not be completed (the reviewer failed). Nothing is wrong with your work: submit again.');
    v_count := v_count + 1;
  END LOOP;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.return_unreviewed(uuid[]) IS
  'For submitted learning missions left with no open review step (the reviewer failed out of attempts): back to in_progress with feedback, so the learner can resubmit.';
