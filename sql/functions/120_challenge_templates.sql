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
                  'required_level', 'is_daily', 'is_weekly', 'is_active');
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
      (template_id, skill_domain, difficulty, momentum, skill_xp, arena_points, required_level, is_daily, is_weekly)
    VALUES (p_template_id, p_spec->>'skill_domain', p_spec->>'difficulty',
            coalesce((p_spec->>'momentum')::integer, 10), coalesce((p_spec->>'skill_xp')::integer, 5),
            coalesce((p_spec->>'arena_points')::integer, 0), coalesce(p_spec->>'required_level', 'L0_APPLICANT'),
            coalesce((p_spec->>'is_daily')::boolean, false), coalesce((p_spec->>'is_weekly')::boolean, false));
  ELSE
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
  'Validates a challenge spec (snake_case keys) and writes it onto the template; constraint violations name the bad field.';

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
  'Creates a challenge template: title, description, skill_domain, difficulty, momentum (10), skill_xp (5), arena_points (0), required_level, is_daily, is_weekly, is_active.';

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

-- missions.available_missions: active templates the participant may take now (level gate, no open assignment), newest first, paged.
CREATE OR REPLACE FUNCTION missions.available_missions(p_participant_id uuid, p_limit integer DEFAULT 50,
                                                       p_after jsonb DEFAULT NULL)
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
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY
  SELECT c.* FROM missions_private.challenges c, missions_private.principals p
  WHERE p.id = p_participant_id AND c.is_active
    AND (c.created_at, c.id) < (v_created, v_id)
    AND missions_private.level_rank(c.required_level) <= missions_private.level_rank(p.level)
    AND NOT EXISTS (SELECT FROM missions_private.missions m
                    WHERE m.participant_id = p_participant_id AND m.template_id = c.id
                      AND m.status IN ('assigned', 'in_progress', 'submitted'))
  ORDER BY c.created_at DESC, c.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.available_missions(uuid, integer, jsonb) IS
  'Active challenge templates at or below the participant''s level that they have no open assignment of; newest first, paged by {"created_at", "id"}.';
