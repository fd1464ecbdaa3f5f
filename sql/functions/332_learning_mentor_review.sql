-- The mentor review (PREMIUM learners): requested after the AI review, claimed by a designated mentor
-- as a lease on the mentor_review step, completed with per-subtask scores, feedback and a decision.

-- missions.request_mentor_review: a PREMIUM learner asks for a mentor review after the AI review; a mentor_review step becomes claimable.
CREATE OR REPLACE FUNCTION missions.request_mentor_review(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_learning(p_mission_id);
  lm missions_private.learning_missions;
  v_event bigint;
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
  v_event := missions_private.log_event(p_mission_id, 'learning.mentor_review_requested', '{}');
  -- the mentors who may claim it hear of it (notification rule: mentor review requested -> mentors)
  PERFORM missions_private.notify(ARRAY(SELECT r.principal_id FROM missions_private.step_kind_reviewers r
                                        WHERE r.kind = 'mentor_review' AND r.revoked_at IS NULL),
                                  'mentor_review_requested', 'event:' || v_event, p_mission_id,
                                  'Mentor review requested: ' || v.title);
  RETURN missions_private.progress_doc(p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.request_mentor_review(uuid) IS
  'PREMIUM only (MS403, checked before the stage): after the AI review (MS409 otherwise) adds a ready mentor_review step for mentors to claim.';

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
