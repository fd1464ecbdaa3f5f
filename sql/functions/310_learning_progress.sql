-- Learning progress: start (tier quota per local month, capstones, unlocking), subtask progress, hints,
-- decisions, tools, reflection, and the progress document every reader gets.

-- missions_private.monthly_quota: learning missions a tier may start per local calendar month (NULL: unlimited).
CREATE OR REPLACE FUNCTION missions_private.monthly_quota(p_tier text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE p_tier WHEN 'FREE' THEN 1 WHEN 'STARTER' THEN 3 END
$fn$;
COMMENT ON FUNCTION missions_private.monthly_quota(text) IS 'Learning missions startable per local month: FREE 1, STARTER 3, PREMIUM unlimited (NULL).';

-- missions_private.local_month: the first day of the participant's local calendar month now.
CREATE OR REPLACE FUNCTION missions_private.local_month(p_participant_id uuid) RETURNS date
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.date_trunc('month', missions.now() AT TIME ZONE p.timezone)::date
  FROM missions_private.principals p WHERE p.id = p_participant_id
$fn$;
COMMENT ON FUNCTION missions_private.local_month(uuid) IS 'First day of the participant''s current calendar month in their time zone.';

-- missions_private.start_block: why a participant cannot start a learning template now (NULL: they can).
CREATE OR REPLACE FUNCTION missions_private.start_block(p_participant_id uuid, p_template_id uuid) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE
    WHEN NOT t.is_active THEN 'inactive'
    WHEN l.is_capstone AND p.tier <> 'PREMIUM' THEN 'capstone_premium_only'
    -- unlocking: a tier above beginner needs a completed mission of the tier below in the same track
    WHEN l.tier <> 'beginner' AND NOT EXISTS (
           SELECT FROM missions_private.learning_missions lm
           JOIN missions_private.missions m ON m.id = lm.mission_id
           JOIN missions_private.learning_templates b ON b.template_id = lm.template_id
           WHERE lm.participant_id = p.id AND m.status = 'completed' AND b.track = l.track
             AND missions_private.tier_rank(b.tier) = missions_private.tier_rank(l.tier) - 1) THEN 'locked'
    WHEN EXISTS (SELECT FROM missions_private.missions m
                 WHERE m.participant_id = p.id AND m.template_id = t.id
                   AND m.status IN ('assigned', 'in_progress', 'submitted')) THEN 'already_open'
    WHEN missions_private.monthly_quota(p.tier) <= coalesce(
           (SELECT s.used FROM missions_private.monthly_starts s
            WHERE s.participant_id = p.id AND s.month = missions_private.local_month(p.id)), 0) THEN 'monthly_quota_used'
  END
  FROM missions_private.principals p
  CROSS JOIN missions_private.templates t
  JOIN missions_private.learning_templates l ON l.template_id = t.id
  WHERE p.id = p_participant_id AND t.id = p_template_id
$fn$;
COMMENT ON FUNCTION missions_private.start_block(uuid, uuid) IS
  'NULL when the participant may start the template now, else the reason: inactive, capstone_premium_only, locked (tier below not completed in the track), already_open, monthly_quota_used.';

-- missions_private.can_review_learning: whether the caller reviews this learning mission (mentor on a requested review, agent holding a review lease).
CREATE OR REPLACE FUNCTION missions_private.can_review_learning(p_mission_id uuid) RETURNS boolean
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE missions_private.current_principal_role()
    WHEN 'mentor' THEN EXISTS (SELECT FROM missions_private.learning_missions lm
                               WHERE lm.mission_id = p_mission_id
                                 AND ((lm.review_stage = 'mentor_review'
                                       AND missions_private.is_reviewer('mentor_review',
                                                                        missions_private.current_principal_id()))
                                      OR lm.mentor_id = missions_private.current_principal_id()))
    WHEN 'agent' THEN EXISTS (SELECT FROM missions_private.steps s
                              JOIN missions_private.step_kinds k ON k.kind = s.kind AND k.review
                              WHERE s.mission_id = p_mission_id AND s.status = 'in_progress'
                                AND s.leased_by = missions_private.current_principal_id()
                                AND s.lease_expires_at > missions.now())
    ELSE false END
$fn$;
COMMENT ON FUNCTION missions_private.can_review_learning(uuid) IS
  'True for a mentor designated for mentor_review while a mission''s mentor review is open and for the mentor who claimed or reviewed it, or an agent holding a live lease on one of its review steps (only designated reviewers get one).';

-- missions_private.visible_learning: MS404 unless the mission is a learning mission the caller may read.
CREATE OR REPLACE FUNCTION missions_private.visible_learning(p_mission_id uuid) RETURNS missions_private.missions
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
  v_caller uuid := missions_private.caller_id();
BEGIN
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'learning';
  IF NOT FOUND OR NOT (v_caller IS NULL OR v.participant_id = v_caller
                       OR missions_private.current_principal_role() IN ('admin', 'service')
                       OR missions_private.can_review_learning(p_mission_id)) THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.visible_learning(uuid) IS
  'Raises MS404 unless the mission is a learning mission of the caller, or the caller is staff or reviews it.';

-- missions_private.lock_learning: locks a learning mission for a change by its participant (or staff); MS404/MS403 otherwise.
CREATE OR REPLACE FUNCTION missions_private.lock_learning(p_mission_id uuid) RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
  v_caller uuid := missions_private.caller_id();
BEGIN
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'learning' FOR UPDATE;
  IF NOT FOUND OR (v_caller IS NOT NULL AND v.participant_id <> v_caller
                   AND missions_private.current_principal_role() NOT IN ('admin', 'service')) THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_learning(uuid) IS
  'Locks a learning mission for its participant (or an admin/service); MS404 for anyone else or an unknown id.';

-- missions_private.assert_working: MS409 unless the learning mission is in progress and before its deadline.
CREATE OR REPLACE FUNCTION missions_private.assert_working(p_mission missions_private.missions) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_mission.status <> 'in_progress' THEN
    RAISE EXCEPTION 'mission % is %, not in progress', p_mission.id, p_mission.status USING ERRCODE = 'MS409';
  END IF;
  PERFORM missions_private.assert_before_deadline(p_mission);
END
$fn$;
COMMENT ON FUNCTION missions_private.assert_working(missions_private.missions) IS
  'Raises MS409 unless the mission is in_progress and its deadline (if any) has not passed.';

-- missions_private.subtask_step: the step of a subtask (by position) of a learning mission, locked; MS404 when there is none.
CREATE OR REPLACE FUNCTION missions_private.subtask_step(p_mission_id uuid, p_subtask integer) RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps;
BEGIN
  SELECT * INTO v FROM missions_private.steps s
  WHERE s.mission_id = p_mission_id AND s.position = p_subtask AND s.kind = 'subtask' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission % has no subtask %', p_mission_id, p_subtask USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.subtask_step(uuid, integer) IS 'Locks and returns the step of subtask p_subtask; MS404 when the mission has no such subtask.';

-- missions_private.begin_subtask: moves a reached subtask to in_progress (its stage clock starts); MS409 when not reached yet.
CREATE OR REPLACE FUNCTION missions_private.begin_subtask(p_step missions_private.steps) RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps := p_step;
BEGIN
  IF v.status = 'ready' THEN
    UPDATE missions_private.steps s SET status = 'in_progress' WHERE s.id = v.id RETURNING s.* INTO v;
  ELSIF v.status = 'pending' THEN
    RAISE EXCEPTION 'subtask % is not reached yet: finish the subtasks before it', v.position USING ERRCODE = 'MS409';
  ELSIF v.status = 'skipped' THEN
    RAISE EXCEPTION 'subtask % is off the chosen path (skipped)', v.position USING ERRCODE = 'MS409';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.begin_subtask(missions_private.steps) IS
  'Starts a ready subtask (ready -> in_progress, stamping started_at); MS409 for pending (not reached) or skipped subtasks.';

-- missions_private.progress_doc: the full progress document of a learning mission.
CREATE OR REPLACE FUNCTION missions_private.progress_doc(p_mission_id uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT jsonb_build_object(
    'id', m.id, 'participant_id', m.participant_id, 'template_id', m.template_id, 'code', l.code, 'title', m.title,
    'story', l.story, 'objectives', to_jsonb(l.objectives), 'tier', l.tier, 'track', l.track,
    'success_criteria', to_jsonb(l.success_criteria), 'is_capstone', l.is_capstone,
    'reflection_required', l.reflection_required, 'status', m.status, 'review_stage', lm.review_stage,
    'started_at', m.started_at, 'deadline_at', m.expires_at, 'submitted_at', m.submitted_at,
    'completed_at', m.completed_at, 'reflection', lm.reflection, 'tools_used', to_jsonb(lm.tools_used),
    'rubric', jsonb_build_object('id', r.id, 'version', r.version, 'criteria', r.criteria),
    'ai_score', lm.ai_score, 'mentor_score', lm.mentor_score, 'final_score', lm.final_score, 'feedback', lm.feedback,
    'review_rounds', lm.review_rounds, 'auto_submit', l.auto_submit, 'auto_submitted_at', lm.auto_submitted_at,
    'drop_off_stage', CASE WHEN m.status <> 'completed' THEN
                        (SELECT min(s.position) FROM missions_private.steps s
                         WHERE s.mission_id = m.id AND s.kind = 'subtask' AND s.status NOT IN ('completed', 'skipped')) END,
    'subtasks', (SELECT jsonb_agg(jsonb_build_object(
        'position', s.position, 'title', s.title, 'status', s.status, 'instructions', ts.spec->>'instructions',
        'required_evidence', (ts.spec->>'required_evidence')::integer, 'optional', (ts.spec->>'optional')::boolean,
        'notes', n.notes, 'started_at', s.started_at, 'completed_at', s.completed_at,
        'seconds_spent', CASE WHEN s.started_at IS NOT NULL THEN
                           floor(extract(epoch FROM coalesce(s.completed_at, missions.now()) - s.started_at))::bigint END,
        'hint_levels', jsonb_array_length(ts.spec->'hints'),
        'hints_used', (SELECT count(*) FROM missions_private.hint_reveals h WHERE h.step_id = s.id),
        'decision', CASE WHEN ts.spec ? 'decision' THEN (ts.spec->'decision') || jsonb_build_object('chosen', d.choice_key) END,
        'evidence', coalesce((SELECT jsonb_agg(jsonb_build_object('id', e.id, 'filename', e.filename,
                                'content_type', e.content_type, 'size_bytes', e.size_bytes, 'sha256', e.sha256,
                                'uploaded_at', e.uploaded_at) ORDER BY e.uploaded_at, e.id)
                              FROM missions_private.evidence_files e WHERE e.step_id = s.id), '[]'))
        ORDER BY s.position)
      FROM missions_private.steps s
      JOIN missions_private.template_steps ts ON ts.template_id = m.template_id AND ts.position = s.position
      LEFT JOIN missions_private.subtask_notes n ON n.step_id = s.id
      LEFT JOIN missions_private.decisions d ON d.step_id = s.id
      WHERE s.mission_id = m.id AND s.kind = 'subtask'))
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN missions_private.learning_templates l ON l.template_id = m.template_id
  JOIN missions_private.rubrics r ON r.id = lm.rubric_id
  WHERE m.id = p_mission_id
$fn$;
COMMENT ON FUNCTION missions_private.progress_doc(uuid) IS
  'A learning mission''s progress as JSON: content, status and review stage, deadline, reflection, tools, rubric version, scores, drop-off stage, and per subtask status, notes, time spent, hints used, decision, evidence.';

-- missions.start_learning_mission: starts a learning template for a participant (quota, capstone and unlock rules); returns the progress.
CREATE OR REPLACE FUNCTION missions.start_learning_mission(p_participant_id uuid, p_template_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  p missions_private.principals;
  l missions_private.learning_templates;
  v_title text;
  v_block text;
  v_month date;
  v_quota integer;
  v missions_private.missions;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  -- one start at a time per participant: the quota check and the open-mission check see each other
  SELECT * INTO p FROM missions_private.principals x WHERE x.id = p_participant_id FOR UPDATE;
  SELECT lt.* INTO l FROM missions_private.learning_templates lt WHERE lt.template_id = p_template_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'learning template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
  v_block := missions_private.start_block(p_participant_id, p_template_id);
  CASE v_block
    WHEN 'inactive' THEN
      RAISE EXCEPTION 'learning template % is inactive', p_template_id USING ERRCODE = 'MS404';
    WHEN 'capstone_premium_only' THEN
      RAISE EXCEPTION 'capstone missions are for PREMIUM members (tier is %)', p.tier USING ERRCODE = 'MS403';
    WHEN 'locked' THEN
      RAISE EXCEPTION '% missions of the % track unlock after completing a mission of the tier below', l.tier, l.track
        USING ERRCODE = 'MS403';
    WHEN 'already_open' THEN
      RAISE EXCEPTION 'participant already has an open mission of template %', p_template_id
        USING ERRCODE = '23505', DETAIL = 'constraint missions_one_open_assignment';
    ELSE NULL;
  END CASE;
  v_month := missions_private.local_month(p_participant_id);
  v_quota := missions_private.monthly_quota(p.tier);
  INSERT INTO missions_private.monthly_starts AS s (participant_id, month, used) VALUES (p_participant_id, v_month, 1)
  ON CONFLICT (participant_id, month) DO UPDATE SET used = s.used + 1
  WHERE v_quota IS NULL OR s.used < v_quota;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'the % tier starts % learning mission(s) per month; this month''s are used', p.tier, v_quota
      USING ERRCODE = 'MS429', HINT = 'Upgrade the tier, or wait for the next calendar month in your time zone.';
  END IF;
  SELECT t.title INTO v_title FROM missions_private.templates t WHERE t.id = p_template_id;
  INSERT INTO missions_private.missions (face, template_id, participant_id, title, status, origin)
  VALUES ('learning', p_template_id, p_participant_id, v_title, 'assigned', 'manual')
  RETURNING * INTO v;
  INSERT INTO missions_private.learning_missions (mission_id, template_id, participant_id, rubric_id)
  SELECT v.id, p_template_id, p_participant_id, r.id
  FROM missions_private.rubrics r WHERE r.template_id = p_template_id ORDER BY r.version DESC LIMIT 1;
  INSERT INTO missions_private.steps (mission_id, position, title, kind, status, ready_at, optional)
  SELECT v.id, ts.position, ts.title, 'subtask', CASE WHEN ts.position = 1 THEN 'ready' ELSE 'pending' END,
         CASE WHEN ts.position = 1 THEN missions.now() END, (ts.spec->>'optional')::boolean
  FROM missions_private.template_steps ts WHERE ts.template_id = p_template_id;
  -- dependencies (a skipped subtask counts as done): by default the previous subtask; the first subtask of a
  -- choice's path follows the subtask before the first path (the decision point), and the rejoin subtask follows
  -- the last subtask of every path, so it waits for the chosen path even when the path just before it is skipped
  WITH decision AS (
    SELECT ts.spec->'decision' AS d FROM missions_private.template_steps ts
    WHERE ts.template_id = p_template_id AND ts.spec ? 'decision'
  ), branch AS (
    SELECT (c->>'next')::integer AS position,
           (SELECT min((x->>'next')::integer) FROM pg_catalog.jsonb_array_elements(decision.d->'choices') x) - 1 AS after
    FROM decision CROSS JOIN pg_catalog.jsonb_array_elements(decision.d->'choices') c
    UNION
    SELECT (decision.d->>'rejoin')::integer, (c->'path'->>-1)::integer
    FROM decision CROSS JOIN pg_catalog.jsonb_array_elements(decision.d->'choices') c
  ), dependency AS (
    SELECT b.position, b.after FROM branch b
    UNION
    SELECT ts.position, ts.position - 1 FROM missions_private.template_steps ts
    WHERE ts.template_id = p_template_id AND ts.position > 1
      AND ts.position NOT IN (SELECT b.position FROM branch b)
  )
  INSERT INTO missions_private.step_dependencies (step_id, depends_on)
  SELECT s.id, prev.id FROM dependency d
  JOIN missions_private.steps s ON s.mission_id = v.id AND s.position = d.position
  JOIN missions_private.steps prev ON prev.mission_id = v.id AND prev.position = d.after
  WHERE d.after <> d.position;
  UPDATE missions_private.missions m
  SET status = 'in_progress',
      expires_at = missions.now() + pg_catalog.make_interval(hours => l.time_constraint_hours)
  WHERE m.id = v.id;
  RETURN missions_private.progress_doc(v.id);
END
$fn$;
COMMENT ON FUNCTION missions.start_learning_mission(uuid, uuid) IS
  'Starts a learning mission: MS404 unknown/inactive, MS403 capstone without PREMIUM or tier locked, 409 already open, MS429 monthly quota (FREE 1, STARTER 3) used; deadline = now + time_constraint_hours; subtasks follow each other, a decision''s rejoin subtask waits for the chosen path. Returns the progress.';

-- missions.learning_progress: the progress document of a learning mission (owner, staff, its reviewers).
CREATE OR REPLACE FUNCTION missions.learning_progress(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.visible_learning(p_mission_id);
  RETURN missions_private.progress_doc(p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.learning_progress(uuid) IS 'A learning mission''s progress document; MS404 unless the caller owns it, is staff, or reviews it.';

-- missions.save_mission_progress: saves a subtask's notes and completion, tools used and the reflection; returns the progress.
CREATE OR REPLACE FUNCTION missions.save_mission_progress(p_mission_id uuid, p_spec jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_learning(p_mission_id);
  s missions_private.steps;
  v_unknown text;
  v_subtask integer;
  v_tools text[];
  v_spec jsonb;
  v_evidence integer;
BEGIN
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'the progress must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_spec) k
  WHERE k NOT IN ('subtask', 'notes', 'done', 'skip', 'tools_used', 'reflection');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown progress field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF (p_spec ? 'notes' OR p_spec ? 'done' OR p_spec ? 'skip') AND NOT p_spec ? 'subtask' THEN
    RAISE EXCEPTION 'notes, done and skip belong to a subtask: give its number' USING ERRCODE = 'MS422';
  END IF;
  IF (p_spec ? 'done' AND pg_catalog.jsonb_typeof(p_spec->'done') <> 'boolean')
     OR (p_spec ? 'skip' AND pg_catalog.jsonb_typeof(p_spec->'skip') <> 'boolean') THEN
    RAISE EXCEPTION 'done and skip must be true or false' USING ERRCODE = 'MS422';
  END IF;
  IF p_spec ? 'subtask' AND (pg_catalog.jsonb_typeof(p_spec->'subtask') <> 'number'
                             OR (p_spec->>'subtask')::numeric % 1 <> 0 OR abs((p_spec->>'subtask')::numeric) > 1000) THEN
    RAISE EXCEPTION 'subtask must be a subtask number' USING ERRCODE = 'MS422';
  END IF;
  IF length(p_spec->>'notes') > 20000 OR length(p_spec->>'reflection') > 20000 THEN
    RAISE EXCEPTION 'notes and reflection are limited to 20000 characters' USING ERRCODE = 'MS422';
  END IF;
  v_tools := missions_private.text_array(p_spec->'tools_used', 'tools_used');
  IF cardinality(v_tools) > 50 OR EXISTS (SELECT FROM unnest(v_tools) t WHERE length(t) NOT BETWEEN 1 AND 100) THEN
    RAISE EXCEPTION 'tools_used holds at most 50 names of 1 to 100 characters' USING ERRCODE = 'MS422';
  END IF;
  PERFORM missions_private.assert_working(v);

  IF p_spec ? 'subtask' THEN
    v_subtask := (p_spec->>'subtask')::numeric::integer;
    s := missions_private.begin_subtask(missions_private.subtask_step(p_mission_id, v_subtask));
    IF p_spec ? 'notes' THEN
      INSERT INTO missions_private.subtask_notes AS n (step_id, mission_id, notes)
      VALUES (s.id, p_mission_id, coalesce(p_spec->>'notes', ''))
      ON CONFLICT (step_id) DO UPDATE SET notes = excluded.notes, updated_at = missions.now();
    END IF;
    IF (p_spec->>'done')::boolean AND s.status <> 'completed' THEN
      SELECT ts.spec INTO v_spec FROM missions_private.template_steps ts
      WHERE ts.template_id = v.template_id AND ts.position = v_subtask;
      IF v_spec ? 'decision' AND NOT EXISTS (SELECT FROM missions_private.decisions d WHERE d.step_id = s.id) THEN
        RAISE EXCEPTION 'subtask % is a decision point: choose first', v_subtask USING ERRCODE = 'MS409';
      END IF;
      SELECT count(*) INTO v_evidence FROM missions_private.evidence_files e WHERE e.step_id = s.id;
      IF v_evidence < (v_spec->>'required_evidence')::integer THEN
        RAISE EXCEPTION 'subtask % needs % evidence file(s); % uploaded', v_subtask, v_spec->>'required_evidence', v_evidence
          USING ERRCODE = 'MS409';
      END IF;
      UPDATE missions_private.steps st SET status = 'completed' WHERE st.id = s.id;
      PERFORM missions_private.advance_mission(p_mission_id, missions.now());
    ELSIF p_spec->>'done' = 'false' AND s.status = 'completed' THEN
      RAISE EXCEPTION 'subtask % is done; its notes and evidence can still change', v_subtask USING ERRCODE = 'MS409';
    ELSIF (p_spec->>'skip')::boolean AND s.status <> 'completed' THEN
      IF NOT s.optional THEN
        RAISE EXCEPTION 'subtask % is required; only optional subtasks can be skipped', v_subtask USING ERRCODE = 'MS409';
      END IF;
      UPDATE missions_private.steps st SET status = 'skipped' WHERE st.id = s.id;
      PERFORM missions_private.advance_mission(p_mission_id, missions.now());
    END IF;
  END IF;
  UPDATE missions_private.learning_missions lm SET
    tools_used = CASE WHEN v_tools IS NULL THEN lm.tools_used
                      ELSE ARRAY(SELECT DISTINCT t FROM unnest(lm.tools_used || v_tools) t ORDER BY t) END,
    reflection = CASE WHEN p_spec ? 'reflection' THEN p_spec->>'reflection' ELSE lm.reflection END
  WHERE lm.mission_id = p_mission_id;
  RETURN missions_private.progress_doc(p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.save_mission_progress(uuid, jsonb) IS
  'Saves progress {subtask, notes, done, skip, tools_used, reflection}: notes start the subtask''s clock, done completes it (decision chosen and required evidence uploaded first) and readies the next, skip passes an optional one; tools accumulate.';

-- missions.mission_hints: the hints revealed so far for a subtask and how many remain.
CREATE OR REPLACE FUNCTION missions.mission_hints(p_mission_id uuid, p_subtask integer) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.visible_learning(p_mission_id);
  v_hints jsonb;
BEGIN
  SELECT ts.spec->'hints' INTO v_hints FROM missions_private.template_steps ts
  WHERE ts.template_id = v.template_id AND ts.position = p_subtask;
  IF v_hints IS NULL THEN
    RAISE EXCEPTION 'mission % has no subtask %', p_mission_id, p_subtask USING ERRCODE = 'MS404';
  END IF;
  RETURN jsonb_build_object(
    'subtask', p_subtask, 'levels', jsonb_array_length(v_hints),
    'revealed', coalesce((SELECT jsonb_agg(jsonb_build_object('level', h.level, 'text', v_hints->(h.level - 1)->>'text',
                                                             'revealed_at', h.revealed_at) ORDER BY h.level)
                          FROM missions_private.hint_reveals h
                          JOIN missions_private.steps s ON s.id = h.step_id
                          WHERE s.mission_id = p_mission_id AND s.position = p_subtask), '[]'));
END
$fn$;
COMMENT ON FUNCTION missions.mission_hints(uuid, integer) IS 'The hints of a subtask revealed so far (level, text, when) and the number of levels.';

-- missions.reveal_hint: reveals the next hint level of a subtask (recorded); MS409 when all are revealed.
CREATE OR REPLACE FUNCTION missions.reveal_hint(p_mission_id uuid, p_subtask integer) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_learning(p_mission_id);
  s missions_private.steps;
  v_hints jsonb;
  v_level integer;
BEGIN
  PERFORM missions_private.assert_working(v);
  s := missions_private.begin_subtask(missions_private.subtask_step(p_mission_id, p_subtask));
  SELECT ts.spec->'hints' INTO v_hints FROM missions_private.template_steps ts
  WHERE ts.template_id = v.template_id AND ts.position = p_subtask;
  SELECT coalesce(max(h.level), 0) + 1 INTO v_level FROM missions_private.hint_reveals h WHERE h.step_id = s.id;
  IF v_level > jsonb_array_length(v_hints) THEN
    RAISE EXCEPTION 'subtask % has no more hints (% level(s))', p_subtask, jsonb_array_length(v_hints) USING ERRCODE = 'MS409';
  END IF;
  INSERT INTO missions_private.hint_reveals (step_id, level, mission_id) VALUES (s.id, v_level, p_mission_id);
  PERFORM missions_private.log_event(p_mission_id, 'learning.hint_revealed',
                                     jsonb_build_object('subtask', p_subtask, 'level', v_level), s.id);
  RETURN jsonb_build_object('subtask', p_subtask, 'level', v_level, 'text', v_hints->(v_level - 1)->>'text',
                            'remaining', jsonb_array_length(v_hints) - v_level);
END
$fn$;
COMMENT ON FUNCTION missions.reveal_hint(uuid, integer) IS
  'Reveals the next hint level of a subtask and records it (one level at a time); MS409 when none are left or the mission is not in progress.';

-- missions.mission_decisions: the decision points of a learning mission, with their choices and what was chosen.
CREATE OR REPLACE FUNCTION missions.mission_decisions(p_mission_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.visible_learning(p_mission_id);
BEGIN
  RETURN coalesce((
    SELECT jsonb_agg(jsonb_build_object(
             'decision_id', ts.spec->'decision'->>'key', 'subtask', s.position, 'prompt', ts.spec->'decision'->>'prompt',
             'choices', ts.spec->'decision'->'choices', 'available', d.step_id IS NULL AND s.status IN ('ready', 'in_progress'),
             'chosen', d.choice_key, 'chosen_at', d.chosen_at, 'skipped', to_jsonb(d.skipped)) ORDER BY s.position)
    FROM missions_private.steps s
    JOIN missions_private.template_steps ts ON ts.template_id = v.template_id AND ts.position = s.position
    LEFT JOIN missions_private.decisions d ON d.step_id = s.id
    WHERE s.mission_id = p_mission_id AND s.kind = 'subtask' AND ts.spec ? 'decision'), '[]');
END
$fn$;
COMMENT ON FUNCTION missions.mission_decisions(uuid) IS
  'Decision points of a learning mission: key, subtask, prompt, choices (next subtask and path), whether it can be chosen now, and the choice made.';

-- missions.choose_decision: records a choice at a decision point and skips the subtasks off the chosen path; returns the progress.
CREATE OR REPLACE FUNCTION missions.choose_decision(p_mission_id uuid, p_decision_key text, p_choice_key text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v missions_private.missions := missions_private.lock_learning(p_mission_id);
  s missions_private.steps;
  v_decision jsonb;
  v_choice jsonb;
  v_skip integer[];
BEGIN
  SELECT st.* INTO s
  FROM missions_private.steps st
  JOIN missions_private.template_steps ts ON ts.template_id = v.template_id AND ts.position = st.position
  WHERE st.mission_id = p_mission_id AND ts.spec->'decision'->>'key' = p_decision_key;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission % has no decision %', p_mission_id, p_decision_key USING ERRCODE = 'MS404';
  END IF;
  SELECT ts.spec->'decision' INTO v_decision FROM missions_private.template_steps ts
  WHERE ts.template_id = v.template_id AND ts.position = s.position;
  SELECT c INTO v_choice FROM pg_catalog.jsonb_array_elements(v_decision->'choices') c WHERE c->>'key' = p_choice_key;
  IF v_choice IS NULL THEN
    RAISE EXCEPTION 'decision % has no choice % (choices: %)', p_decision_key, p_choice_key,
      (SELECT string_agg(c->>'key', ', ') FROM pg_catalog.jsonb_array_elements(v_decision->'choices') c)
      USING ERRCODE = 'MS422';
  END IF;
  PERFORM missions_private.assert_working(v);
  s := missions_private.begin_subtask(missions_private.subtask_step(p_mission_id, s.position));
  IF EXISTS (SELECT FROM missions_private.decisions d WHERE d.step_id = s.id) THEN
    RAISE EXCEPTION 'decision % was already made', p_decision_key USING ERRCODE = 'MS409';
  END IF;
  -- off the path: the subtasks of every other choice's path
  SELECT coalesce(array_agg(DISTINCT p::integer ORDER BY p::integer), '{}') INTO v_skip
  FROM pg_catalog.jsonb_array_elements(v_decision->'choices') c
  CROSS JOIN pg_catalog.jsonb_array_elements_text(c->'path') p
  WHERE c->>'key' <> p_choice_key
    AND p::integer NOT IN (SELECT q::integer FROM pg_catalog.jsonb_array_elements_text(v_choice->'path') q);
  INSERT INTO missions_private.decisions (step_id, mission_id, decision_key, choice_key, skipped)
  VALUES (s.id, p_mission_id, p_decision_key, p_choice_key, v_skip);
  v_sealed := missions_private.set_transition_context(
            jsonb_build_object('decision', p_decision_key, 'choice', p_choice_key));
  UPDATE missions_private.steps st SET status = 'skipped'
  WHERE st.mission_id = p_mission_id AND st.kind = 'subtask' AND st.position = ANY (v_skip)
    AND st.status IN ('pending', 'ready', 'in_progress');
  PERFORM missions_private.clear_transition_context();
  PERFORM missions_private.log_event(p_mission_id, 'learning.decision_made',
    jsonb_build_object('decision', p_decision_key, 'choice', p_choice_key, 'subtask', s.position,
                       'skipped', to_jsonb(v_skip)), s.id);
  RETURN missions_private.progress_doc(p_mission_id);
END
$fn$;
COMMENT ON FUNCTION missions.choose_decision(uuid, text, text) IS
  'Records the choice at a decision point (once; MS409 again) and skips the subtasks on the other choices'' paths; MS404 unknown decision, MS422 unknown choice.';

-- missions.learning_dashboard: a participant's learning missions: available (with why not startable), in progress, completed, quota.
CREATE OR REPLACE FUNCTION missions.learning_dashboard(p_participant_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  p missions_private.principals;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  SELECT * INTO p FROM missions_private.principals x WHERE x.id = p_participant_id;
  RETURN jsonb_build_object(
    'participant_id', p.id, 'tier', p.tier,
    'quota', jsonb_build_object(
      'month', missions_private.local_month(p.id), 'limit', missions_private.monthly_quota(p.tier),
      'used', coalesce((SELECT s.used FROM missions_private.monthly_starts s
                        WHERE s.participant_id = p.id AND s.month = missions_private.local_month(p.id)), 0)),
    'available', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'template_id', t.id, 'code', l.code, 'title', t.title, 'tier', l.tier, 'track', l.track,
               'is_capstone', l.is_capstone, 'time_constraint_hours', l.time_constraint_hours,
               'can_start', b.reason IS NULL, 'blocked_by', b.reason,
               'view_only', coalesce(b.reason IN ('monthly_quota_used', 'capstone_premium_only'), false))
             ORDER BY l.track, missions_private.tier_rank(l.tier), l.code)
      FROM missions_private.templates t
      JOIN missions_private.learning_templates l ON l.template_id = t.id
      CROSS JOIN LATERAL (SELECT missions_private.start_block(p.id, t.id) AS reason) b
      WHERE t.is_active AND coalesce(b.reason, '') <> 'already_open'), '[]'),
    'in_progress', coalesce((
      SELECT jsonb_agg(jsonb_build_object(
               'id', m.id, 'code', l.code, 'title', m.title, 'status', m.status, 'review_stage', lm.review_stage,
               'deadline_at', m.expires_at,
               'subtasks_done', (SELECT count(*) FROM missions_private.steps s
                                 WHERE s.mission_id = m.id AND s.kind = 'subtask' AND s.status IN ('completed', 'skipped')),
               'subtasks', (SELECT count(*) FROM missions_private.steps s WHERE s.mission_id = m.id AND s.kind = 'subtask'))
             ORDER BY m.started_at)
      FROM missions_private.missions m
      JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
      JOIN missions_private.learning_templates l ON l.template_id = m.template_id
      WHERE m.participant_id = p.id AND m.status IN ('in_progress', 'submitted')), '[]'),
    'completed', coalesce((
      SELECT jsonb_agg(jsonb_build_object('id', m.id, 'code', l.code, 'title', m.title, 'final_score', lm.final_score,
                                          'completed_at', m.completed_at) ORDER BY m.completed_at DESC)
      FROM missions_private.missions m
      JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
      JOIN missions_private.learning_templates l ON l.template_id = m.template_id
      WHERE m.participant_id = p.id AND m.status = 'completed'), '[]'))
    || missions_private.skill_gap_recipes(p.id);
END
$fn$;
COMMENT ON FUNCTION missions.learning_dashboard(uuid) IS
  'The participant''s learning dashboard: this local month''s quota, available templates (can_start, blocked_by, view_only), missions in progress or under review, completed missions, skill_gaps (the 3 weakest skill signals) and recommended_recipes for them (at most 5; missions_private.skill_gap_recipes).';
