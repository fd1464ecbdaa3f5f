-- What an approved learning mission leaves: its rewards (paid once), a portfolio item and skill signals.

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
