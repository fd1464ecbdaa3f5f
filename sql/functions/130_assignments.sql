-- The assignment lifecycle of challenges: assign, start, submit (EASY auto-verifies), approve, fail, list.

-- missions_private.lock_mission: locks an engagement mission for a change by the caller; MS404 when missing (or of another face), MS403 when not theirs.
CREATE OR REPLACE FUNCTION missions_private.lock_mission(p_mission_id uuid, p_participant_id uuid DEFAULT NULL)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
BEGIN
  IF p_participant_id IS NOT NULL THEN
    PERFORM missions_private.authorize_participant(p_participant_id);
  END IF;
  -- the engagement face acts on its own missions only: a learning or agent mission is not found here
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'engagement' FOR UPDATE;
  IF NOT FOUND OR (p_participant_id IS NOT NULL AND v.participant_id IS DISTINCT FROM p_participant_id) THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  PERFORM missions_private.authorize_participant(v.participant_id);
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_mission(uuid, uuid) IS
  'Locks an engagement mission row for an update by the caller: MS404 when missing, of another face (learning, agent) or not p_participant_id''s; MS403 when the caller may not act for its participant.';

-- missions_private.assert_before_deadline: MS409 when the mission's deadline has passed (even before the expiry job ran).
CREATE OR REPLACE FUNCTION missions_private.assert_before_deadline(p_mission missions_private.missions) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_mission.expires_at IS NOT NULL AND p_mission.expires_at <= missions.now() THEN
    RAISE EXCEPTION 'the deadline of mission % passed at %', p_mission.id, p_mission.expires_at
      USING ERRCODE = 'MS409', HINT = 'Expired missions can no longer be started or submitted.';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.assert_before_deadline(missions_private.missions) IS
  'Raises MS409 when the mission''s deadline has passed.';

-- missions.assign_mission: assigns a challenge template to a participant with a deadline, as its repeat policy allows; returns the mission.
CREATE OR REPLACE FUNCTION missions.assign_mission(p_participant_id uuid, p_template_id uuid, p_deadline_days integer DEFAULT 7)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_template missions_private.challenges;
  v_level text;
  v_slot record;
  v_constraint text;
  v missions_private.missions;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  IF p_deadline_days IS NULL OR p_deadline_days < 1 OR p_deadline_days > 365 THEN
    RAISE EXCEPTION 'deadline_days must be between 1 and 365 (got %)', p_deadline_days USING ERRCODE = 'MS422';
  END IF;
  SELECT * INTO v_template FROM missions_private.challenges c WHERE c.id = p_template_id AND c.is_active;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission template % not found or inactive', p_template_id USING ERRCODE = 'MS404';
  END IF;
  SELECT p.level INTO v_level FROM missions_private.principals p WHERE p.id = p_participant_id;
  IF missions_private.level_rank(v_template.required_level) > missions_private.level_rank(v_level) THEN
    RAISE EXCEPTION 'this mission requires level % (participant is %)', v_template.required_level, v_level
      USING ERRCODE = 'MS403';
  END IF;
  IF EXISTS (SELECT FROM missions_private.missions m
             WHERE m.participant_id = p_participant_id AND m.template_id = p_template_id
               AND m.status IN ('assigned', 'in_progress', 'submitted')) THEN
    RAISE EXCEPTION 'participant already has an open assignment of template %', p_template_id
      USING ERRCODE = '23505', DETAIL = 'constraint missions_one_open_assignment';
  END IF;
  -- The repeat policy: the slot this assignment takes; the unique index missions_one_per_repeat_key
  -- is what holds under concurrency (the check here only gives the clear answer).
  v_slot := missions_private.repeat_slot(p_participant_id, p_template_id, v_now);
  IF v_slot.refusal IS NOT NULL THEN
    RAISE EXCEPTION '%', v_slot.refusal USING ERRCODE = 'MS409', HINT = v_slot.hint,
      DETAIL = 'constraint missions_one_per_repeat_key', CONSTRAINT = 'missions_one_per_repeat_key';
  END IF;
  BEGIN
    INSERT INTO missions_private.missions
      (face, template_id, participant_id, title, status, origin, expires_at, repeat_key)
    VALUES ('engagement', p_template_id, p_participant_id, v_template.title, 'assigned', 'manual',
            least(v_now + pg_catalog.make_interval(days => p_deadline_days), v_slot.period_end), v_slot.repeat_key)
    RETURNING * INTO v;
  EXCEPTION WHEN unique_violation THEN
    GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
    IF v_constraint = 'missions_one_per_repeat_key' THEN
      RAISE EXCEPTION 'a concurrent assignment took the repeat slot % of template %', v_slot.repeat_key, p_template_id
        USING ERRCODE = 'MS409', DETAIL = 'constraint missions_one_per_repeat_key',
              CONSTRAINT = 'missions_one_per_repeat_key',
              HINT = 'The template''s repeat policy allows one assignment per slot.';
    END IF;
    RAISE EXCEPTION 'participant already has an open assignment of template %', p_template_id
      USING ERRCODE = '23505', DETAIL = 'constraint missions_one_open_assignment';
  END;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.assign_mission(uuid, uuid, integer) IS
  'Assigns an active challenge template with a deadline in days (a daily/weekly one is due at the end of its local period at the latest): level gate MS403, one open assignment per template 23505, repeat policy MS409 with a HINT.';

-- missions.start_mission: assigned -> in_progress, before the deadline; returns the mission.
CREATE OR REPLACE FUNCTION missions.start_mission(p_mission_id uuid, p_participant_id uuid DEFAULT NULL)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions := missions_private.lock_mission(p_mission_id, p_participant_id);
BEGIN
  IF v.status <> 'assigned' THEN  -- submitted -> in_progress exists, but only for reviewers asking for changes
    PERFORM missions_private.raise_illegal_transition('mission', v.id, v.status, 'in_progress');
  END IF;
  PERFORM missions_private.assert_before_deadline(v);
  RETURN missions_private.transition_mission(p_mission_id, 'in_progress');
END
$fn$;
COMMENT ON FUNCTION missions.start_mission(uuid, uuid) IS
  'Starts an assigned mission (MS409 when not assigned or past its deadline); p_participant_id, when given, must own it (else MS404).';

-- missions_private.pay_reward: books a reward's currencies as MISSION_REWARD ledger entries (idempotency key mission:<id>:<currency>).
CREATE OR REPLACE FUNCTION missions_private.pay_reward(r missions_private.mission_rewards) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.post_entry(r.participant_id, x.currency, x.amount, 'MISSION_REWARD',
                                      'mission:' || r.mission_id, 'mission:' || r.mission_id || ':' || x.currency)
  FROM (VALUES ('MOMENTUM', r.momentum), ('SKILL_XP', r.skill_xp), ('ARENA_POINTS', r.arena_points)) AS x(currency, amount)
  WHERE x.amount > 0;
END
$fn$;
COMMENT ON FUNCTION missions_private.pay_reward(missions_private.mission_rewards) IS
  'Books the momentum, skill XP and arena points of a mission_rewards row (those above 0) as MISSION_REWARD entries, keyed mission:<id>:<currency>.';

-- missions_private.reward_mission: pays a completed challenge's rewards and triad points exactly once.
CREATE OR REPLACE FUNCTION missions_private.reward_mission(p_mission_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  r missions_private.mission_rewards;
BEGIN
  INSERT INTO missions_private.mission_rewards
    (mission_id, participant_id, momentum, skill_xp, arena_points, skill_domain, triad_points, template_id, repeat_key)
  SELECT m.id, m.participant_id, c.momentum, c.skill_xp, c.arena_points, c.skill_domain,
         CASE c.difficulty WHEN 'EASY' THEN 5 WHEN 'MEDIUM' THEN 10 ELSE 20 END, m.template_id, m.repeat_key
  FROM missions_private.missions m
  JOIN missions_private.challenge_templates c ON c.template_id = m.template_id
  WHERE m.id = p_mission_id AND m.status = 'completed'
  ON CONFLICT (mission_id) DO NOTHING
  RETURNING * INTO r;
  IF r.mission_id IS NULL THEN
    RETURN false;  -- already rewarded, or not a completed challenge
  END IF;
  -- lock order progress, then balances, as check-in and the decay job take them (no deadlock with a check-in)
  UPDATE missions_private.participant_progress pp SET
    triad_technical = pp.triad_technical + CASE r.skill_domain WHEN 'TECHNICAL' THEN r.triad_points ELSE 0 END,
    triad_soft = pp.triad_soft + CASE r.skill_domain WHEN 'SOFT' THEN r.triad_points ELSE 0 END,
    triad_commercial = pp.triad_commercial + CASE r.skill_domain WHEN 'COMMERCIAL' THEN r.triad_points ELSE 0 END
  WHERE pp.participant_id = r.participant_id;
  PERFORM missions_private.pay_reward(r);
  PERFORM missions_private.raise_triad_imbalance_alerts(ARRAY[r.participant_id]);
  -- a HARD completion is an achievement on the wall (after the reward, so its rank counts it)
  PERFORM missions_private.post_achievement(r.participant_id, 'hard_completion', r.mission_id::text,
                                            'Completed the HARD challenge "' || t.title || '".')
  FROM missions_private.templates t
  JOIN missions_private.challenge_templates c ON c.template_id = t.id
  WHERE t.id = r.template_id AND c.difficulty = 'HARD';
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION missions_private.reward_mission(uuid) IS
  'Pays momentum, skill XP and arena points and adds the difficulty weight (5/10/20) to the triad, once per mission and once per repeat key (unique index mission_rewards_one_per_repeat_key); posts a HARD completion on the wall.';

-- missions.submit_mission: submits proof; EASY completes and pays at once, MEDIUM/HARD (proof required) await review.
CREATE OR REPLACE FUNCTION missions.submit_mission(
  p_mission_id uuid, p_proof_url text DEFAULT NULL, p_proof_text text DEFAULT NULL, p_participant_id uuid DEFAULT NULL,
  p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('submit_mission', p_idempotency_key, pg_catalog.jsonb_build_object(
    'mission', p_mission_id, 'proof_url', p_proof_url, 'proof_text', p_proof_text, 'participant', p_participant_id));
  v missions_private.missions;
  v_difficulty text;
  v_url text := missions_private.clean_text(p_proof_url);
  v_text text := missions_private.clean_text(p_proof_text);
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN pg_catalog.jsonb_populate_record(NULL::missions_private.missions, v_answer);
  END IF;
  v := missions_private.lock_mission(p_mission_id, p_participant_id);
  SELECT c.difficulty INTO v_difficulty FROM missions_private.challenge_templates c WHERE c.template_id = v.template_id;
  IF v_difficulty IS NULL THEN
    RAISE EXCEPTION 'mission % is not a challenge', p_mission_id USING ERRCODE = 'MS409';
  END IF;
  IF v.status <> 'in_progress' THEN
    PERFORM missions_private.raise_illegal_transition('mission', v.id, v.status, 'submitted');
  END IF;
  PERFORM missions_private.assert_before_deadline(v);
  IF v_url IS NOT NULL AND v_url !~* '^https?://[^[:space:]]+$' THEN
    RAISE EXCEPTION 'proof_url must be an http(s) URL' USING ERRCODE = 'MS422';
  END IF;
  IF v_difficulty <> 'EASY' AND v_url IS NULL AND v_text IS NULL THEN
    RAISE EXCEPTION '% missions need proof: a proof_url or a proof_text', v_difficulty USING ERRCODE = 'MS422';
  END IF;
  UPDATE missions_private.missions m SET proof_url = v_url, proof_text = v_text WHERE m.id = p_mission_id;
  IF v_difficulty = 'EASY' THEN
    v := missions_private.transition_mission(p_mission_id, 'completed', '{"verified": "auto"}');
    PERFORM missions_private.reward_mission(p_mission_id);
  ELSE
    v := missions_private.transition_mission(p_mission_id, 'submitted');
  END IF;
  PERFORM missions_private.remember('submit_mission', p_idempotency_key, pg_catalog.to_jsonb(v));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.submit_mission(uuid, text, text, uuid, text) IS
  'Submits an in-progress mission before its deadline: EASY -> completed with rewards; MEDIUM/HARD need proof -> submitted. p_participant_id, when given, must own it; the same p_idempotency_key again returns the first answer.';

-- missions_private.lock_submission: locks a submitted engagement mission for review by p_reviewer_id (not its own participant).
CREATE OR REPLACE FUNCTION missions_private.lock_submission(p_mission_id uuid, p_reviewer_id uuid)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
BEGIN
  PERFORM missions_private.authorize_actor(p_reviewer_id);
  -- a submitted learning mission is reviewed by its AI and mentor reviews, never here: not found
  SELECT * INTO v FROM missions_private.missions m WHERE m.id = p_mission_id AND m.face = 'engagement' FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF v.participant_id = p_reviewer_id THEN
    RAISE EXCEPTION 'a submission cannot be reviewed by its own participant' USING ERRCODE = 'MS403';
  END IF;
  IF v.status <> 'submitted' THEN
    PERFORM missions_private.raise_illegal_transition('mission', v.id, v.status, 'reviewed');
  END IF;
  UPDATE missions_private.missions m SET reviewed_by = p_reviewer_id WHERE m.id = p_mission_id;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_submission(uuid, uuid) IS
  'Locks a submitted engagement mission for review: MS404 missing or of another face, MS403 self-review or reviewer not the caller, MS409 not submitted.';

-- missions.approve_mission: submitted -> completed with rewards (admins); returns the mission.
CREATE OR REPLACE FUNCTION missions.approve_mission(p_mission_id uuid, p_reviewer_id uuid, p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('approve_mission', p_idempotency_key,
                      pg_catalog.jsonb_build_object('mission', p_mission_id, 'reviewer', p_reviewer_id));
  v missions_private.missions;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN pg_catalog.jsonb_populate_record(NULL::missions_private.missions, v_answer);
  END IF;
  PERFORM missions_private.lock_submission(p_mission_id, p_reviewer_id);
  v := missions_private.transition_mission(p_mission_id, 'completed',
         pg_catalog.jsonb_build_object('reviewer_id', p_reviewer_id));
  PERFORM missions_private.reward_mission(p_mission_id);
  PERFORM missions_private.remember('approve_mission', p_idempotency_key, pg_catalog.to_jsonb(v));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.approve_mission(uuid, uuid, text) IS
  'Approves a submitted mission: completed, rewards paid once; MS409 when it is not submitted (e.g. already approved), unless the same idempotency key replays the first answer.';

-- missions.fail_mission: submitted -> failed with a reason (admins); returns the mission.
CREATE OR REPLACE FUNCTION missions.fail_mission(p_mission_id uuid, p_reviewer_id uuid, p_reason text DEFAULT NULL,
                                                 p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.missions
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('fail_mission', p_idempotency_key,
                      pg_catalog.jsonb_build_object('mission', p_mission_id, 'reviewer', p_reviewer_id, 'reason', p_reason));
  v missions_private.missions;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN pg_catalog.jsonb_populate_record(NULL::missions_private.missions, v_answer);
  END IF;
  v := missions_private.lock_submission(p_mission_id, p_reviewer_id);
  UPDATE missions_private.missions m SET review_note = p_reason WHERE m.id = p_mission_id;
  v := missions_private.transition_mission(p_mission_id, 'failed',
         pg_catalog.jsonb_build_object('reviewer_id', p_reviewer_id, 'reason', p_reason));
  PERFORM missions_private.raise_missed_missions_alerts(ARRAY[v.participant_id]);
  PERFORM missions_private.remember('fail_mission', p_idempotency_key, pg_catalog.to_jsonb(v));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.fail_mission(uuid, uuid, text, text) IS
  'Rejects a submitted mission with a reason: failed; the same idempotency key again returns the first answer.';

-- missions.participant_missions: a participant's engagement missions, newest first, optionally only some statuses, paged (key: created_at, id).
CREATE OR REPLACE FUNCTION missions.participant_missions(p_participant_id uuid, p_statuses text[] DEFAULT NULL,
                                                         p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.missions
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY
  SELECT * FROM missions_private.missions m
  WHERE m.participant_id = p_participant_id AND m.face = 'engagement'
    AND (p_statuses IS NULL OR m.status = ANY (p_statuses))
    AND (m.created_at, m.id) < (v_created, v_id)
  ORDER BY m.created_at DESC, m.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.participant_missions(uuid, text[], integer, jsonb) IS
  'A participant''s engagement missions (history; learning and agent missions are not listed), newest first; filter by statuses; a page of p_limit (1..200) after the key {"created_at", "id"}.';

-- missions.pending_reviews: submitted engagement missions awaiting review, oldest first (admins), paged (key: submitted_at, id).
CREATE OR REPLACE FUNCTION missions.pending_reviews(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.missions
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['submitted_at', 'id']);
  v_submitted timestamptz := coalesce((v_after->>'submitted_at')::timestamptz, '-infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, '00000000-0000-0000-0000-000000000000');
BEGIN
  RETURN QUERY
  SELECT * FROM missions_private.missions m
  WHERE m.status = 'submitted' AND m.face = 'engagement' AND (m.submitted_at, m.id) > (v_submitted, v_id)
  ORDER BY m.submitted_at, m.id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.pending_reviews(integer, jsonb) IS
  'The engagement review queue: submitted engagement missions (learning missions have their own reviews), oldest submission first; a page of p_limit (1..200) after the key {"submitted_at", "id"}.';
