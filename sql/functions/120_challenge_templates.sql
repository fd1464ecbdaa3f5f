-- Challenge templates: create, update, activate/deactivate, list, and what a participant may take.

-- missions_private.apply_challenge_spec: validates a challenge spec and writes it onto an existing template.
CREATE OR REPLACE FUNCTION missions_private.apply_challenge_spec(p_template_id uuid, p_spec jsonb, p_creating boolean)
RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_unknown text;
  v_key text;
BEGIN
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'the template spec must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_spec) k
  WHERE k NOT IN ('title', 'description', 'skill_domain', 'difficulty', 'momentum', 'skill_xp', 'arena_points',
                  'required_level', 'is_daily', 'is_weekly', 'is_active', 'repeat', 'cooldown_seconds', 'daily_cap');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown template field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF p_creating THEN
    FOREACH v_key IN ARRAY ARRAY['title', 'skill_domain', 'difficulty'] LOOP
      IF NOT p_spec ? v_key THEN
        RAISE EXCEPTION 'template field % is required', v_key USING ERRCODE = 'MS422';
      END IF;
    END LOOP;
  END IF;
  FOREACH v_key IN ARRAY ARRAY['momentum', 'skill_xp', 'arena_points'] LOOP
    IF p_spec ? v_key AND pg_catalog.jsonb_typeof(p_spec->v_key) <> 'number' THEN
      RAISE EXCEPTION 'template field % must be a number', v_key USING ERRCODE = 'MS422';
    END IF;
  END LOOP;
  FOREACH v_key IN ARRAY ARRAY['cooldown_seconds', 'daily_cap'] LOOP  -- null removes them
    IF p_spec ? v_key AND pg_catalog.jsonb_typeof(p_spec->v_key) NOT IN ('number', 'null') THEN
      RAISE EXCEPTION 'template field % must be a whole number or null', v_key USING ERRCODE = 'MS422';
    END IF;
  END LOOP;
  IF p_spec ? 'repeat' AND (pg_catalog.jsonb_typeof(p_spec->'repeat') <> 'string'
                            OR p_spec->>'repeat' NOT IN ('once', 'cooldown', 'unlimited')) THEN
    RAISE EXCEPTION 'template field repeat must be once, cooldown or unlimited' USING ERRCODE = 'MS422',
      HINT = 'once: once per template (per local day or week for daily and weekly ones); cooldown: cooldown_seconds between payouts; unlimited: MEDIUM/HARD, or EASY with a daily_cap.';
  END IF;
  FOREACH v_key IN ARRAY ARRAY['is_daily', 'is_weekly', 'is_active'] LOOP
    IF p_spec ? v_key AND pg_catalog.jsonb_typeof(p_spec->v_key) <> 'boolean' THEN
      RAISE EXCEPTION 'template field % must be true or false', v_key USING ERRCODE = 'MS422';
    END IF;
  END LOOP;

  UPDATE missions_private.templates t SET
    title = coalesce(p_spec->>'title', t.title),
    description = coalesce(p_spec->>'description', t.description),
    is_active = coalesce((p_spec->>'is_active')::boolean, t.is_active)
  WHERE t.id = p_template_id;
  IF p_creating THEN
    INSERT INTO missions_private.challenge_templates
      (template_id, skill_domain, difficulty, momentum, skill_xp, arena_points, required_level, is_daily, is_weekly,
       repeat, cooldown_seconds, daily_cap)
    VALUES (p_template_id, p_spec->>'skill_domain', p_spec->>'difficulty',
            coalesce((p_spec->>'momentum')::integer, 10), coalesce((p_spec->>'skill_xp')::integer, 5),
            coalesce((p_spec->>'arena_points')::integer, 0), coalesce(p_spec->>'required_level', 'L0_APPLICANT'),
            coalesce((p_spec->>'is_daily')::boolean, false), coalesce((p_spec->>'is_weekly')::boolean, false),
            coalesce(p_spec->>'repeat', 'once'), (p_spec->>'cooldown_seconds')::integer,
            (p_spec->>'daily_cap')::integer);
  ELSE
    -- A policy change takes its own parameters: leaving cooldown drops cooldown_seconds, leaving unlimited
    -- drops daily_cap (unless the spec sets them, which the constraints then refuse).
    UPDATE missions_private.challenge_templates c SET
      repeat = coalesce(p_spec->>'repeat', c.repeat),
      cooldown_seconds = CASE WHEN p_spec ? 'cooldown_seconds' THEN (p_spec->>'cooldown_seconds')::integer
                              WHEN coalesce(p_spec->>'repeat', c.repeat) = 'cooldown' THEN c.cooldown_seconds END,
      daily_cap = CASE WHEN p_spec ? 'daily_cap' THEN (p_spec->>'daily_cap')::integer
                       WHEN coalesce(p_spec->>'repeat', c.repeat) = 'unlimited' THEN c.daily_cap END
    WHERE c.template_id = p_template_id;
    UPDATE missions_private.challenge_templates c SET
      skill_domain = coalesce(p_spec->>'skill_domain', c.skill_domain),
      difficulty = coalesce(p_spec->>'difficulty', c.difficulty),
      momentum = coalesce((p_spec->>'momentum')::integer, c.momentum),
      skill_xp = coalesce((p_spec->>'skill_xp')::integer, c.skill_xp),
      arena_points = coalesce((p_spec->>'arena_points')::integer, c.arena_points),
      required_level = coalesce(p_spec->>'required_level', c.required_level),
      is_daily = coalesce((p_spec->>'is_daily')::boolean, c.is_daily),
      is_weekly = coalesce((p_spec->>'is_weekly')::boolean, c.is_weekly)
    WHERE c.template_id = p_template_id;
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.apply_challenge_spec(uuid, jsonb, boolean) IS
  'Validates a challenge spec (snake_case keys, repeat policy included) and writes it onto the template; constraint violations name the bad field.';

-- missions.create_template: creates an engagement (challenge) template from a snake_case spec; returns its id.
CREATE OR REPLACE FUNCTION missions.create_template(p_spec jsonb)
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid;
BEGIN
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' OR NOT p_spec ? 'title' THEN
    RAISE EXCEPTION 'template field title is required' USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.templates (face, title) VALUES ('engagement', p_spec->>'title') RETURNING id INTO v_id;
  PERFORM missions_private.apply_challenge_spec(v_id, p_spec, true);
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION missions.create_template(jsonb) IS
  'Creates a challenge template: title, description, skill_domain, difficulty, momentum (10), skill_xp (5), arena_points (0), required_level, is_daily, is_weekly, is_active, repeat (once | cooldown | unlimited), cooldown_seconds, daily_cap.';

-- missions.update_template: changes the given fields of a challenge template; returns it.
CREATE OR REPLACE FUNCTION missions.update_template(p_template_id uuid, p_spec jsonb)
RETURNS SETOF missions_private.challenges
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT FROM missions_private.challenge_templates c WHERE c.template_id = p_template_id) THEN
    RAISE EXCEPTION 'template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
  PERFORM missions_private.apply_challenge_spec(p_template_id, p_spec, false);
  RETURN QUERY SELECT * FROM missions_private.challenges c WHERE c.id = p_template_id;
END
$fn$;
COMMENT ON FUNCTION missions.update_template(uuid, jsonb) IS 'Updates the fields present in the spec; returns the template.';

-- missions.set_template_active: activates or deactivates a challenge template; returns it.
CREATE OR REPLACE FUNCTION missions.set_template_active(p_template_id uuid, p_active boolean)
RETURNS SETOF missions_private.challenges
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_active IS NULL THEN
    RAISE EXCEPTION 'active must be true or false' USING ERRCODE = 'MS422';
  END IF;
  RETURN QUERY SELECT * FROM missions.update_template(p_template_id, pg_catalog.jsonb_build_object('is_active', p_active));
END
$fn$;
COMMENT ON FUNCTION missions.set_template_active(uuid, boolean) IS 'Activates or deactivates a challenge template.';

-- missions.templates: every challenge template (active and inactive), newest first, a page at a time (key: created_at, id).
CREATE OR REPLACE FUNCTION missions.templates(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.challenges
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  RETURN QUERY
  SELECT * FROM missions_private.challenges c
  WHERE (c.created_at, c.id) < (v_created, v_id)
  ORDER BY c.created_at DESC, c.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.templates(integer, jsonb) IS
  'All challenge templates, newest first; a page of p_limit (1..200) after the key {"created_at", "id"} of the last one seen.';

-- missions_private.repeat_slot: the repeat-policy slot a new assignment of a template to a participant takes now, or why not.
CREATE OR REPLACE FUNCTION missions_private.repeat_slot(
  p_participant_id uuid, p_template_id uuid, p_now timestamptz,
  OUT repeat_key text, OUT period_end timestamptz, OUT refusal text, OUT hint text)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  c missions_private.challenge_templates;
  v_tz text;
  v_local timestamp;
  v_start date;
  v_last record;
  v_n integer;
BEGIN
  SELECT * INTO c FROM missions_private.challenge_templates t WHERE t.template_id = p_template_id;
  SELECT p.timezone INTO v_tz FROM missions_private.principals p WHERE p.id = p_participant_id;
  IF c.template_id IS NULL OR v_tz IS NULL THEN
    refusal := 'not a challenge template or not a participant';
    RETURN;
  END IF;
  v_local := p_now AT TIME ZONE v_tz;
  IF c.repeat = 'once' THEN
    -- once per template, or per local day / local week (Monday) for daily and weekly templates; the
    -- period's mission is due when the next period's is (06:00 local the next day or the next Monday)
    IF c.is_daily THEN
      v_start := v_local::date;
      repeat_key := 'day:' || v_start;
      period_end := ((v_start + 1) + time '06:00') AT TIME ZONE v_tz;
    ELSIF c.is_weekly THEN
      v_start := pg_catalog.date_trunc('week', v_local)::date;
      repeat_key := 'week:' || v_start;
      period_end := ((v_start + 7) + time '06:00') AT TIME ZONE v_tz;
    ELSE
      repeat_key := 'once';
    END IF;
  ELSIF c.repeat = 'cooldown' THEN
    -- a chain: each assignment names the last paid mission, so two assignments after one payout collide
    SELECT m.id, m.completed_at INTO v_last FROM missions_private.missions m
    WHERE m.participant_id = p_participant_id AND m.template_id = p_template_id AND m.status = 'completed'
    ORDER BY m.completed_at DESC, m.id DESC LIMIT 1;
    repeat_key := 'after:' || coalesce(v_last.id::text, 'none');
    IF v_last.completed_at + pg_catalog.make_interval(secs => c.cooldown_seconds) > p_now THEN
      refusal := pg_catalog.format('template %s is cooling down for this participant', p_template_id);
      hint := pg_catalog.format('Repeat policy cooldown: %s seconds between payouts; assignable again from %s.',
                                c.cooldown_seconds,
                                v_last.completed_at + pg_catalog.make_interval(secs => c.cooldown_seconds));
      RETURN;
    END IF;
  ELSIF c.daily_cap IS NOT NULL THEN
    -- unlimited under a cap: the first free of daily_cap slots of the participant's local day
    SELECT min(n) INTO v_n FROM pg_catalog.generate_series(1, c.daily_cap) n
    WHERE NOT EXISTS (SELECT FROM missions_private.missions m
                      WHERE m.participant_id = p_participant_id AND m.template_id = p_template_id
                        AND m.repeat_key = 'cap:' || v_local::date || '#' || n
                        AND m.status NOT IN ('failed', 'expired', 'cancelled'));
    IF v_n IS NULL THEN
      refusal := pg_catalog.format('template %s reached its daily cap of %s for this participant', p_template_id,
                                   c.daily_cap);
      hint := pg_catalog.format('Repeat policy unlimited with daily_cap %s: assignable again from local midnight (%s).',
                                c.daily_cap, (v_local::date + 1)::timestamp AT TIME ZONE v_tz);
      RETURN;
    END IF;
    repeat_key := 'cap:' || v_local::date || '#' || v_n;
    RETURN;
  ELSE
    RETURN;  -- unlimited, reviewed (MEDIUM, HARD): every payout needs an admin's approval
  END IF;
  IF EXISTS (SELECT FROM missions_private.missions m
             WHERE m.participant_id = p_participant_id AND m.template_id = p_template_id
               AND m.repeat_key = repeat_slot.repeat_key AND m.status NOT IN ('failed', 'expired', 'cancelled')) THEN
    refusal := CASE WHEN c.is_daily OR c.is_weekly
                    THEN pg_catalog.format('template %s was already taken this local %s (%s)', p_template_id,
                                           CASE WHEN c.is_daily THEN 'day' ELSE 'week' END, v_start)
                    ELSE pg_catalog.format('template %s pays a participant once and was already taken', p_template_id) END;
    hint := CASE WHEN c.is_daily OR c.is_weekly
                 THEN pg_catalog.format('Repeat policy once per local %s: assignable again from %s.',
                                        CASE WHEN c.is_daily THEN 'day' ELSE 'week' END,
                                        (CASE WHEN c.is_daily THEN v_start + 1 ELSE v_start + 7 END)::timestamp AT TIME ZONE v_tz)
                 ELSE 'Repeat policy once: a template pays a participant once (a failed or expired attempt frees it).' END;
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.repeat_slot(uuid, uuid, timestamptz) IS
  'The repeat key a new assignment of the challenge template to the participant takes at p_now (NULL: unlimited, reviewed), the end of its period (daily/weekly), or the refusal and hint when the repeat policy allows none now.';

-- missions.available_missions: active templates the participant may take now (level gate, no open assignment, repeat policy), newest first, paged.
CREATE OR REPLACE FUNCTION missions.available_missions(p_participant_id uuid, p_limit integer DEFAULT 50,
                                                       p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.challenges
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY
  SELECT c.* FROM missions_private.challenges c, missions_private.principals p
  WHERE p.id = p_participant_id AND c.is_active
    AND (c.created_at, c.id) < (v_created, v_id)
    AND missions_private.level_rank(c.required_level) <= missions_private.level_rank(p.level)
    AND NOT EXISTS (SELECT FROM missions_private.missions m
                    WHERE m.participant_id = p_participant_id AND m.template_id = c.id
                      AND m.status IN ('assigned', 'in_progress', 'submitted'))
    AND (SELECT s.refusal FROM missions_private.repeat_slot(p_participant_id, c.id, v_now) s) IS NULL
  ORDER BY c.created_at DESC, c.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.available_missions(uuid, integer, jsonb) IS
  'Active challenge templates at or below the participant''s level that they have no open assignment of and that their repeat policy lets them take now; newest first, paged by {"created_at", "id"}.';
