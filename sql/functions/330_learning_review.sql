-- Learning reviews: submit -> an ai_review step a designated reviewer agent claims -> (PREMIUM) mentor review ->
-- approval (completed, rewards, portfolio item, skill signals) or changes requested (back to in_progress).

-- The built-in rules reviewer: an agent principal the worker acts as, designated for ai_review once
-- (an admin's revoke leaves a revoked row, which this never overwrites).
INSERT INTO missions_private.principals (id, role, display_name)
VALUES ('00000000-0000-4000-8000-00000000a1a1', 'agent', 'Rules reviewer')
ON CONFLICT (id) DO NOTHING;
INSERT INTO missions_private.step_kind_reviewers (kind, principal_id)
VALUES ('ai_review', '00000000-0000-4000-8000-00000000a1a1')
ON CONFLICT ON CONSTRAINT step_kind_reviewers_pkey DO NOTHING;

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

-- missions_private.rules_scores: the built-in reviewer's per-subtask scores and reasoning from evidence, notes, reflection and hints.
CREATE OR REPLACE FUNCTION missions_private.rules_scores(p_mission_id uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH ctx AS (
    SELECT lm.mission_id, r.criteria, length(coalesce(missions_private.clean_text(lm.reflection), '')) AS reflection_len
    FROM missions_private.learning_missions lm JOIN missions_private.rubrics r ON r.id = lm.rubric_id
    WHERE lm.mission_id = p_mission_id
  ), parts AS (
    SELECT (c->>'subtask')::integer AS subtask, c->>'criterion' AS criterion,
           CASE WHEN s.status = 'completed' THEN 40 ELSE 0 END AS done_pts,
           CASE WHEN (ts.spec->>'required_evidence')::integer > 0
                THEN round(30.0 * least(ev.n, (ts.spec->>'required_evidence')::integer) / (ts.spec->>'required_evidence')::integer)
                WHEN ev.n > 0 THEN 30 ELSE 15 END AS evidence_pts,
           CASE WHEN nl.len >= 200 THEN 20 WHEN nl.len >= 50 THEN 12 WHEN nl.len > 0 THEN 5 ELSE 0 END AS notes_pts,
           CASE WHEN ctx.reflection_len >= 200 THEN 10 WHEN ctx.reflection_len >= 50 THEN 5 ELSE 0 END AS reflection_pts,
           least(15, 5 * hr.n) AS hint_penalty,
           ev.n AS files, (ts.spec->>'required_evidence')::integer AS required, nl.len AS notes_len, hr.n AS hints
    FROM ctx
    CROSS JOIN pg_catalog.jsonb_array_elements(ctx.criteria) c
    JOIN missions_private.missions m ON m.id = ctx.mission_id
    JOIN missions_private.steps s ON s.mission_id = m.id AND s.position = (c->>'subtask')::integer
    JOIN missions_private.template_steps ts ON ts.template_id = m.template_id AND ts.position = s.position
    CROSS JOIN LATERAL (SELECT count(*)::integer AS n FROM missions_private.evidence_files e WHERE e.step_id = s.id) ev
    CROSS JOIN LATERAL (SELECT coalesce(length(missions_private.clean_text(n.notes)), 0) AS len
                        FROM (SELECT NULL) d LEFT JOIN missions_private.subtask_notes n ON n.step_id = s.id) nl
    CROSS JOIN LATERAL (SELECT count(*)::integer AS n FROM missions_private.hint_reveals h WHERE h.step_id = s.id) hr
    WHERE s.status <> 'skipped'
  )
  SELECT jsonb_build_object('reviewer', 'rules', 'scores', coalesce(jsonb_agg(jsonb_build_object(
           'subtask', p.subtask, 'criterion', p.criterion,
           'score', greatest(0, least(100, p.done_pts + p.evidence_pts + p.notes_pts + p.reflection_pts - p.hint_penalty)),
           'reasoning', format('done %s; evidence %s/%s files: %s; notes %s chars: %s; reflection: %s; hints used %s: -%s',
                               p.done_pts, p.files, p.required, p.evidence_pts, p.notes_len, p.notes_pts,
                               p.reflection_pts, p.hints, p.hint_penalty)) ORDER BY p.subtask), '[]'))
  FROM parts p
$fn$;
COMMENT ON FUNCTION missions_private.rules_scores(uuid) IS
  'The rules reviewer: per rubric subtask on the path, 40 done + up to 30 evidence (vs required files) + up to 20 notes + up to 10 reflection - 5 per hint (max 15), with its reasoning.';

-- missions.rules_review: the built-in reviewer's result for the ai_review step the calling agent holds (to pass to complete_step).
CREATE OR REPLACE FUNCTION missions.rules_review(p_step_id uuid, p_agent_id uuid, p_lease_token uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s missions_private.steps := missions_private.lock_lease(p_step_id, p_agent_id, p_lease_token);
BEGIN
  IF s.kind <> 'ai_review' THEN
    RAISE EXCEPTION 'step % is a % step, not an ai_review', p_step_id, s.kind USING ERRCODE = 'MS409';
  END IF;
  RETURN missions_private.rules_scores(s.mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.rules_review(uuid, uuid, uuid) IS
  'Scores the submission of an ai_review step the agent holds (MS412 without the lease) with the built-in rules; complete_step records it.';

-- missions_private.record_ai_review: takes a completed ai_review step's result: scores, verdict; applies it unless the learner may ask a mentor.
CREATE OR REPLACE FUNCTION missions_private.record_ai_review(p_step missions_private.steps, p_result jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_score numeric := missions_private.weighted_score(p_step.mission_id, p_result->'scores');
  v_pass integer;
  v_verdict text;
  v_waits boolean;
BEGIN
  IF length(p_result::text) > 100000 THEN
    RAISE EXCEPTION 'a review result is limited to 100000 characters of JSON' USING ERRCODE = 'MS422';
  END IF;
  SELECT l.pass_score, p.tier = 'PREMIUM' OR l.is_capstone INTO v_pass, v_waits
  FROM missions_private.missions m
  JOIN missions_private.learning_templates l ON l.template_id = m.template_id
  JOIN missions_private.principals p ON p.id = m.participant_id
  WHERE m.id = p_step.mission_id;
  v_verdict := CASE WHEN v_score >= v_pass THEN 'approve' ELSE 'request_changes' END;
  UPDATE missions_private.learning_missions lm SET
    ai_score = v_score, ai_reviewed_at = missions.now(), review_stage = 'ai_reviewed',
    -- the step has left in_progress, which cleared its lease: the reviewing agent is on its completed result
    ai_review = p_result || jsonb_build_object('score', v_score, 'pass_score', v_pass, 'verdict', v_verdict,
                                               'agent_id', (SELECT r.agent_id FROM missions_private.step_results r
                                                            WHERE r.step_id = p_step.id AND r.outcome = 'completed'),
                                               'step_id', p_step.id)
  WHERE lm.mission_id = p_step.mission_id;
  PERFORM missions_private.log_event(p_step.mission_id, 'learning.ai_reviewed',
                                     jsonb_build_object('score', v_score, 'verdict', v_verdict), p_step.id);
  -- PREMIUM learners (and capstones) choose: accept the verdict or ask a mentor; everyone else gets it now
  IF NOT v_waits THEN
    PERFORM missions_private.apply_verdict(p_step.mission_id, v_verdict, v_score, NULL,
                                           missions_private.ai_feedback(p_result));
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.record_ai_review(missions_private.steps, jsonb) IS
  'Records an AI review {scores: [{subtask, score, reasoning}], summary?}: weighted score, verdict (score >= pass_score approves); applied at once unless the learner is PREMIUM or the mission a capstone.';

-- missions_private.ai_feedback: readable feedback from a review result (summary, else each subtask's reasoning).
CREATE OR REPLACE FUNCTION missions_private.ai_feedback(p_result jsonb) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(p_result->>'summary',
                  (SELECT string_agg(format('Subtask %s: %s (%s)', x->>'subtask', x->>'score', coalesce(x->>'reasoning', '')),
                                     E'\n' ORDER BY (x->>'subtask')::numeric)
                   FROM pg_catalog.jsonb_array_elements(p_result->'scores') x))
$fn$;
COMMENT ON FUNCTION missions_private.ai_feedback(jsonb) IS 'A review''s summary, or one line per subtask with score and reasoning.';

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

-- missions_private.reward_learning: pays an approved learning mission once and adds its portfolio item and skill signals.
CREATE OR REPLACE FUNCTION missions_private.reward_learning(p_mission_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r missions_private.mission_rewards;
BEGIN
  INSERT INTO missions_private.mission_rewards
    (mission_id, participant_id, momentum, skill_xp, arena_points, skill_domain, triad_points)
  SELECT m.id, m.participant_id, l.momentum, round(l.skill_xp * lm.final_score / 100)::integer, 0,
         'LEARNING:' || l.track, 0
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN missions_private.learning_templates l ON l.template_id = m.template_id
  WHERE m.id = p_mission_id AND m.status = 'completed'
  ON CONFLICT (mission_id) DO NOTHING
  RETURNING * INTO r;
  IF r.mission_id IS NULL THEN
    RETURN false;  -- already rewarded
  END IF;
  PERFORM missions_private.pay_reward(r);

  INSERT INTO missions_private.portfolio_items
    (participant_id, mission_id, code, title, track, tier, score, rubric, evidence, completed_at)
  SELECT m.participant_id, m.id, l.code, m.title, l.track, l.tier, lm.final_score,
         jsonb_build_object('version', rb.version, 'criteria', rb.criteria,
                            'scores', coalesce(lm.mentor_review->'scores', lm.ai_review->'scores')),
         coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'subtask', s.position, 'filename', e.filename,
                                                       'content_type', e.content_type, 'sha256', e.sha256)
                                    ORDER BY s.position, e.uploaded_at)
                   FROM missions_private.evidence_files e JOIN missions_private.steps s ON s.id = e.step_id
                   WHERE e.mission_id = m.id), '[]'),
         m.completed_at
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN missions_private.learning_templates l ON l.template_id = m.template_id
  JOIN missions_private.rubrics rb ON rb.id = lm.rubric_id
  WHERE m.id = p_mission_id;

  -- skill signals: mastery is the running mean of final scores, confidence 1 - 0.5^missions
  INSERT INTO missions_private.skill_signals AS ss (participant_id, skill, mastery, confidence, evidence_count)
  SELECT m.participant_id, sk.skill, lm.final_score, 0.5, 1
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  CROSS JOIN LATERAL (
    SELECT DISTINCT x AS skill FROM (
      SELECT unnest(l.skills) AS x FROM missions_private.learning_templates l WHERE l.template_id = m.template_id
      UNION
      SELECT pg_catalog.jsonb_array_elements_text(ts.spec->'skills') FROM missions_private.template_steps ts
      JOIN missions_private.steps s ON s.mission_id = m.id AND s.position = ts.position AND s.status = 'completed'
      WHERE ts.template_id = m.template_id) u
  ) sk
  WHERE m.id = p_mission_id
  ON CONFLICT (participant_id, skill) DO UPDATE SET
    mastery = round((ss.mastery * ss.evidence_count + excluded.mastery) / (ss.evidence_count + 1), 2),
    confidence = round(1 - power(0.5, ss.evidence_count + 1), 3),
    evidence_count = ss.evidence_count + 1,
    updated_at = missions.now();
  PERFORM missions_private.log_event(p_mission_id, 'learning.approved',
                                     jsonb_build_object('score', (SELECT lm.final_score FROM missions_private.learning_missions lm
                                                                  WHERE lm.mission_id = p_mission_id),
                                                        'momentum', r.momentum, 'skill_xp', r.skill_xp));
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION missions_private.reward_learning(uuid) IS
  'Once per approved learning mission: momentum and skill XP (scaled by the final score) through the ledger, a portfolio item, and skill signals for the template''s and done subtasks'' skills.';

-- missions.ai_review: the AI review of a learning mission (stage, score, verdict, per-subtask scores and reasoning).
CREATE OR REPLACE FUNCTION missions.ai_review(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  lm missions_private.learning_missions;
BEGIN
  PERFORM missions_private.visible_learning(p_mission_id);
  SELECT * INTO lm FROM missions_private.learning_missions x WHERE x.mission_id = p_mission_id;
  RETURN jsonb_build_object(
    'mission_id', p_mission_id, 'review_stage', lm.review_stage, 'status',
    CASE WHEN lm.ai_reviewed_at IS NOT NULL THEN 'reviewed' WHEN lm.review_stage = 'ai_review' THEN 'pending'
         ELSE 'not_submitted' END,
    'score', lm.ai_score, 'reviewed_at', lm.ai_reviewed_at, 'verdict', lm.ai_review->>'verdict',
    'pass_score', lm.ai_review->'pass_score', 'scores', coalesce(lm.ai_review->'scores', '[]'),
    'summary', lm.ai_review->>'summary', 'reviewer', lm.ai_review->>'reviewer',
    'awaiting_learner', lm.review_stage = 'ai_reviewed');
END
$fn$;
COMMENT ON FUNCTION missions.ai_review(uuid) IS
  'The AI review: pending / reviewed / not_submitted, score, verdict, per-subtask scores with reasoning; awaiting_learner when a PREMIUM learner must accept it or ask a mentor.';

-- missions_private.lock_reviewed: locks a learning mission of the caller that awaits the learner's choice after its AI review.
CREATE OR REPLACE FUNCTION missions_private.lock_reviewed(p_mission_id uuid) RETURNS missions_private.learning_missions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_learning(p_mission_id);
  lm missions_private.learning_missions;
BEGIN
  SELECT * INTO lm FROM missions_private.learning_missions x WHERE x.mission_id = p_mission_id;
  IF v.status <> 'submitted' OR lm.review_stage <> 'ai_reviewed' THEN
    RAISE EXCEPTION 'mission % is not waiting after its AI review (status %, review stage %)', p_mission_id,
      v.status, lm.review_stage USING ERRCODE = 'MS409';
  END IF;
  RETURN lm;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_reviewed(uuid) IS 'Locks a learning mission awaiting its learner after the AI review; MS409 in any other stage.';

-- missions.accept_ai_review: a PREMIUM learner takes the AI verdict (not for capstones, which need a mentor).
CREATE OR REPLACE FUNCTION missions.accept_ai_review(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  lm missions_private.learning_missions := missions_private.lock_reviewed(p_mission_id);
BEGIN
  IF (SELECT l.is_capstone FROM missions_private.learning_templates l WHERE l.template_id = lm.template_id) THEN
    RAISE EXCEPTION 'a capstone is approved by a mentor: request a mentor review' USING ERRCODE = 'MS409';
  END IF;
  PERFORM missions_private.apply_verdict(p_mission_id, lm.ai_review->>'verdict', lm.ai_score, NULL,
                                         missions_private.ai_feedback(lm.ai_review));
  RETURN missions_private.progress_doc(p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.accept_ai_review(uuid) IS
  'Applies the AI verdict of a mission waiting after its AI review (approve or request changes); MS409 for capstones or other stages.';

-- missions.request_mentor_review: a PREMIUM learner asks for a mentor review after the AI review; a mentor_review step becomes claimable.
CREATE OR REPLACE FUNCTION missions.request_mentor_review(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_learning(p_mission_id);
  lm missions_private.learning_missions;
BEGIN
  -- the tier first: a non-PREMIUM learner is refused whatever the review stage
  IF (SELECT p.tier FROM missions_private.principals p WHERE p.id = v.participant_id) <> 'PREMIUM' THEN
    RAISE EXCEPTION 'mentor reviews are for PREMIUM members' USING ERRCODE = 'MS403';
  END IF;
  lm := missions_private.lock_reviewed(p_mission_id);
  INSERT INTO missions_private.steps (mission_id, position, title, kind, status, ready_at)
  SELECT p_mission_id, max(s.position) + 1, 'Mentor review', 'mentor_review', 'ready', missions.now()
  FROM missions_private.steps s WHERE s.mission_id = p_mission_id;
  UPDATE missions_private.learning_missions x SET review_stage = 'mentor_review', mentor_requested_at = missions.now()
  WHERE x.mission_id = p_mission_id;
  PERFORM missions_private.log_event(p_mission_id, 'learning.mentor_review_requested', '{}');
  RETURN missions_private.progress_doc(p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.request_mentor_review(uuid) IS
  'PREMIUM only (MS403, checked before the stage): after the AI review (MS409 otherwise) adds a ready mentor_review step for mentors to claim.';

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

-- missions.mentor_reviews: the mentor review queue: requested reviews not held by someone else, oldest first, paged (key: requested_at, mission_id).
CREATE OR REPLACE FUNCTION missions.mentor_reviews(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['requested_at', 'mission_id']);
  v_requested timestamptz := coalesce((v_after->>'requested_at')::timestamptz, '-infinity');
  v_mission uuid := coalesce((v_after->>'mission_id')::uuid, '00000000-0000-0000-0000-000000000000');
BEGIN
  IF v_caller IS NOT NULL AND missions_private.current_principal_role() NOT IN ('mentor', 'admin', 'service') THEN
    RAISE EXCEPTION 'only mentors and admins see the mentor review queue' USING ERRCODE = 'MS403';
  END IF;
  IF missions_private.current_principal_role() = 'mentor' AND NOT missions_private.is_reviewer('mentor_review', v_caller) THEN
    RETURN;  -- a mentor nobody designated has nothing to review
  END IF;
  RETURN QUERY
  SELECT jsonb_build_object('mission_id', m.id, 'code', l.code, 'title', m.title, 'participant_id', m.participant_id,
                            'ai_score', lm.ai_score, 'requested_at', lm.mentor_requested_at, 'step_id', s.id,
                            'claimed_by', CASE WHEN s.status = 'in_progress' AND s.lease_expires_at > missions.now()
                                               THEN s.leased_by END,
                            'claim_expires_at', CASE WHEN s.status = 'in_progress' THEN s.lease_expires_at END)
  FROM missions_private.learning_missions lm
  JOIN missions_private.missions m ON m.id = lm.mission_id
  JOIN missions_private.steps s ON s.mission_id = m.id AND s.kind = 'mentor_review'
  JOIN missions_private.learning_templates l ON l.template_id = m.template_id
  WHERE lm.review_stage = 'mentor_review' AND m.status = 'submitted'  -- learning_missions_mentor_queue_idx
    AND (lm.mentor_requested_at, lm.mission_id) > (v_requested, v_mission)
    AND (s.status = 'ready' OR (s.status = 'in_progress' AND (s.lease_expires_at <= missions.now() OR s.leased_by = v_caller
                                                              OR v_caller IS NULL
                                                              OR missions_private.current_principal_role() <> 'mentor')))
  ORDER BY lm.mentor_requested_at, lm.mission_id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.mentor_reviews(integer, jsonb) IS
  'Mentor review queue (designated mentors, admins, services; an undesignated mentor gets no rows): requested reviews that are unclaimed, expired, or held by the caller, oldest request first.';

-- missions.claim_mentor_review: a mentor claims the mentor review of a mission (a lease like an agent's claim).
CREATE OR REPLACE FUNCTION missions.claim_mentor_review(p_mission_id uuid, p_mentor_id uuid) RETURNS missions.claim
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  s missions_private.steps;
  v_now timestamptz := missions.now();
BEGIN
  PERFORM missions_private.authorize_mentor(p_mentor_id);
  -- designated mentors (and admins) only; the designation is share-locked before the step, as in claim_mission_step
  IF NOT missions_private.lock_reviewer('mentor_review', p_mentor_id) THEN
    RAISE EXCEPTION 'principal % is not a designated mentor_review reviewer', p_mentor_id USING ERRCODE = 'MS403',
      HINT = 'An admin designates reviewers (designate_reviewer).';
  END IF;
  SELECT st.* INTO s FROM missions_private.steps st
  JOIN missions_private.missions m ON m.id = st.mission_id AND m.status = 'submitted' AND m.face = 'learning'
  WHERE st.mission_id = p_mission_id AND st.kind = 'mentor_review' AND st.status IN ('ready', 'in_progress')
  FOR UPDATE OF st;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission % has no mentor review to claim', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF s.status = 'in_progress' AND s.lease_expires_at > v_now THEN
    IF s.leased_by = p_mentor_id THEN
      RETURN missions_private.lease_of(s);  -- claiming again is a no-op for the holder
    END IF;
    RAISE EXCEPTION 'the mentor review of mission % is claimed until %', p_mission_id, s.lease_expires_at
      USING ERRCODE = 'MS409';
  END IF;
  IF s.status = 'in_progress' THEN  -- an expired claim goes back to the queue first
    UPDATE missions_private.steps st SET status = 'ready', ready_at = v_now WHERE st.id = s.id;
  END IF;
  UPDATE missions_private.learning_missions lm SET mentor_id = p_mentor_id WHERE lm.mission_id = p_mission_id;
  RETURN missions_private.grant_lease(s.id, p_mentor_id, v_now);
END
$fn$;
COMMENT ON FUNCTION missions.claim_mentor_review(uuid, uuid) IS
  'Claims a requested mentor review for a mentor/admin designated for mentor_review (MS403 otherwise; a lease of the kind''s TTL); MS404 none requested, MS409 held by another mentor.';

-- missions.complete_mentor_review: the claiming mentor scores each subtask, recommends recipes and approves or requests changes.
CREATE OR REPLACE FUNCTION missions.complete_mentor_review(p_mission_id uuid, p_mentor_id uuid, p_review jsonb,
                                                           p_idempotency_key text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('complete_mentor_review', p_idempotency_key,
                      pg_catalog.jsonb_build_object('mission', p_mission_id, 'mentor', p_mentor_id, 'review', p_review));
  s missions_private.steps;
  v_unknown text;
  v_decision text := p_review->>'decision';
  v_score numeric;
  v_recipes text[];
  v_bad text;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN v_answer;
  END IF;
  PERFORM missions_private.authorize_mentor(p_mentor_id);
  IF p_review IS NULL OR pg_catalog.jsonb_typeof(p_review) <> 'object' THEN
    RAISE EXCEPTION 'the review must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_review) k
  WHERE k NOT IN ('scores', 'feedback', 'decision', 'recipes');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown review field(s): %', v_unknown USING ERRCODE = 'MS422';
  ELSIF v_decision IS NULL OR v_decision NOT IN ('approve', 'request_changes') THEN
    RAISE EXCEPTION 'decision must be approve or request_changes' USING ERRCODE = 'MS422';
  ELSIF length(p_review->>'feedback') > 20000 THEN
    RAISE EXCEPTION 'feedback is limited to 20000 characters' USING ERRCODE = 'MS422';
  ELSIF v_decision = 'request_changes' AND missions_private.clean_text(p_review->>'feedback') IS NULL THEN
    RAISE EXCEPTION 'requesting changes needs feedback for the learner' USING ERRCODE = 'MS422';
  END IF;
  v_recipes := coalesce(missions_private.text_array(p_review->'recipes', 'recipes'), '{}');
  SELECT string_agg(x, ', ') INTO v_bad FROM unnest(v_recipes) x
  WHERE NOT EXISTS (SELECT FROM missions_private.recipes r WHERE r.slug = x);
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'unknown recipe(s): %', v_bad USING ERRCODE = 'MS422';
  END IF;
  SELECT st.* INTO s FROM missions_private.steps st
  WHERE st.mission_id = p_mission_id AND st.kind = 'mentor_review' AND st.status IN ('ready', 'in_progress')
  FOR UPDATE;
  IF NOT FOUND OR NOT EXISTS (SELECT FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'learning') THEN
    RAISE EXCEPTION 'mission % has no open mentor review', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF s.status <> 'in_progress' OR s.leased_by <> p_mentor_id OR s.lease_expires_at <= missions.now() THEN
    RAISE EXCEPTION 'claim the mentor review of mission % first (or again: the claim expired or is another mentor''s)', p_mission_id
      USING ERRCODE = 'MS412';
  END IF;
  PERFORM FROM missions_private.missions m WHERE m.id = p_mission_id FOR UPDATE;
  v_score := missions_private.weighted_score(p_mission_id, p_review->'scores');
  INSERT INTO missions_private.step_results (step_id, attempt, agent_id, outcome, result)
  VALUES (s.id, s.attempt, p_mentor_id, 'completed', p_review || jsonb_build_object('score', v_score));
  UPDATE missions_private.steps st SET status = 'completed' WHERE st.id = s.id;
  INSERT INTO missions_private.recipe_recommendations (mission_id, recipe_id, recommended_by)
  SELECT p_mission_id, r.id, p_mentor_id FROM missions_private.recipes r WHERE r.slug = ANY (v_recipes)
  ON CONFLICT DO NOTHING;
  UPDATE missions_private.learning_missions lm SET
    mentor_id = p_mentor_id, mentor_score = v_score, mentor_reviewed_at = missions.now(),
    mentor_review = jsonb_build_object('scores', p_review->'scores', 'feedback', p_review->>'feedback',
                                       'decision', v_decision, 'recipes', to_jsonb(v_recipes), 'score', v_score)
  WHERE lm.mission_id = p_mission_id;
  PERFORM missions_private.log_event(p_mission_id, 'learning.mentor_reviewed',
                                     jsonb_build_object('score', v_score, 'decision', v_decision, 'mentor_id', p_mentor_id), s.id);
  PERFORM missions_private.apply_verdict(p_mission_id, v_decision, v_score, p_mentor_id, p_review->>'feedback');
  v_answer := missions_private.progress_doc(p_mission_id);
  PERFORM missions_private.remember('complete_mentor_review', p_idempotency_key, v_answer);
  RETURN v_answer;
END
$fn$;
COMMENT ON FUNCTION missions.complete_mentor_review(uuid, uuid, jsonb, text) IS
  'The claiming mentor''s review {scores: [{subtask, score, comment}], feedback, decision: approve|request_changes, recipes: [slug]}: final score = rubric-weighted sum; MS412 without a live claim; the same idempotency key again returns the first answer.';

-- missions.mentor_review: a learning mission's mentor review (requested, claimed by, scores, feedback, decision, recipes).
CREATE OR REPLACE FUNCTION missions.mentor_review(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  lm missions_private.learning_missions;
BEGIN
  PERFORM missions_private.visible_learning(p_mission_id);
  SELECT * INTO lm FROM missions_private.learning_missions x WHERE x.mission_id = p_mission_id;
  RETURN jsonb_build_object(
    'mission_id', p_mission_id, 'review_stage', lm.review_stage, 'requested_at', lm.mentor_requested_at,
    'mentor_id', lm.mentor_id, 'reviewed_at', lm.mentor_reviewed_at, 'score', lm.mentor_score,
    'scores', coalesce(lm.mentor_review->'scores', '[]'), 'feedback', lm.mentor_review->>'feedback',
    'decision', lm.mentor_review->>'decision',
    'recipes', coalesce((SELECT jsonb_agg(jsonb_build_object('slug', r.slug, 'title', r.title) ORDER BY r.slug)
                         FROM missions_private.recipe_recommendations rr JOIN missions_private.recipes r ON r.id = rr.recipe_id
                         WHERE rr.mission_id = p_mission_id), '[]'),
    'final_score', lm.final_score);
END
$fn$;
COMMENT ON FUNCTION missions.mentor_review(uuid) IS 'A learning mission''s mentor review: requested, mentor, scores, feedback, decision, recommended recipes, final score.';

-- missions.portfolio: a participant's portfolio items, newest first, paged (key: completed_at, id).
CREATE OR REPLACE FUNCTION missions.portfolio(p_participant_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.portfolio_items
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['completed_at', 'id']);
  v_completed timestamptz := coalesce((v_after->>'completed_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY SELECT * FROM missions_private.portfolio_items i
               WHERE i.participant_id = p_participant_id AND (i.completed_at, i.id) < (v_completed, v_id)
               ORDER BY i.completed_at DESC, i.id DESC
               LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.portfolio(uuid, integer, jsonb) IS 'A participant''s portfolio: one item per approved learning mission (score, rubric, evidence, date), newest first; a page of p_limit (1..200) after the key {"completed_at", "id"}.';

-- missions.skill_signals: a participant's skill signals (mastery, confidence), strongest first, paged (key: mastery, skill).
CREATE OR REPLACE FUNCTION missions.skill_signals(p_participant_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.skill_signals
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['mastery', 'skill']);
  v_mastery numeric := coalesce((v_after->>'mastery')::numeric, 'infinity');
  v_skill text := v_after->>'skill';
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY SELECT * FROM missions_private.skill_signals s
               WHERE s.participant_id = p_participant_id
                 AND (v_after IS NULL OR (-s.mastery, s.skill) > (-v_mastery, v_skill))
               ORDER BY -s.mastery, s.skill
               LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.skill_signals(uuid, integer, jsonb) IS 'A participant''s skill signals: mastery (mean final score) and confidence per skill, strongest first; a page of p_limit (1..200) after the key {"mastery", "skill"}.';
