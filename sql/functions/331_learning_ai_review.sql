-- The AI review: the ai_review step a designated reviewer agent claims, the built-in rules reviewer, the
-- recorded result, and the learner's choice afterwards (PREMIUM: take the verdict or ask a mentor).

-- The built-in rules reviewer: an agent principal the worker acts as, designated for ai_review once
-- (an admin's revoke leaves a revoked row, which this never overwrites).
INSERT INTO missions_private.principals (id, role, display_name)
VALUES ('00000000-0000-4000-8000-00000000a1a1', 'agent', 'Rules reviewer')
ON CONFLICT (id) DO NOTHING;
INSERT INTO missions_private.step_kind_reviewers (kind, principal_id)
VALUES ('ai_review', '00000000-0000-4000-8000-00000000a1a1')
ON CONFLICT ON CONSTRAINT step_kind_reviewers_pkey DO NOTHING;

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
  IF s.kind <> 'ai_review' THEN  -- e.g. an ops step of an agent mission: not a step of this face
    RAISE EXCEPTION 'ai_review step % not found (it is a % step)', p_step_id, s.kind USING ERRCODE = 'MS404';
  END IF;
  RETURN missions_private.rules_scores(s.mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.rules_review(uuid, uuid, uuid) IS
  'Scores the submission of an ai_review step the agent holds (MS412 without the lease) with the built-in rules; complete_step records it. Any other step (an ops step the agent holds) is MS404.';

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
