-- Learning templates: coded missions with story, objectives, tier/track, subtasks (instructions, evidence,
-- levelled hints, decision points) and a versioned rubric.

-- missions_private.tier_rank: 1 beginner, 2 intermediate, 3 advanced, 4 mastery.
CREATE OR REPLACE FUNCTION missions_private.tier_rank(p_tier text) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT array_position(ARRAY['beginner', 'intermediate', 'advanced', 'mastery'], p_tier)
$fn$;
COMMENT ON FUNCTION missions_private.tier_rank(text) IS 'The rank of a learning tier: beginner 1, intermediate 2, advanced 3, mastery 4.';

-- missions_private.text_array: a JSON array of strings as text[] (NULL stays NULL); MS422 for anything else.
CREATE OR REPLACE FUNCTION missions_private.text_array(p_value jsonb, p_field text) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_value IS NULL OR p_value = 'null'::jsonb THEN
    RETURN NULL;
  END IF;
  IF pg_catalog.jsonb_typeof(p_value) <> 'array'
     OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(p_value) e WHERE pg_catalog.jsonb_typeof(e) <> 'string') THEN
    RAISE EXCEPTION '% must be an array of strings', p_field USING ERRCODE = 'MS422';
  END IF;
  RETURN ARRAY(SELECT e FROM pg_catalog.jsonb_array_elements_text(p_value) e);
END
$fn$;
COMMENT ON FUNCTION missions_private.text_array(jsonb, text) IS 'Converts a JSON array of strings to text[]; MS422 naming the field otherwise.';

-- missions_private.parse_subtask: validates one subtask of a learning template spec; returns its step spec.
CREATE OR REPLACE FUNCTION missions_private.parse_subtask(p_position integer, p_count integer, p_subtask jsonb)
RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_unknown text;
  v_hints jsonb := coalesce(p_subtask->'hints', '[]');
  v_decision jsonb := p_subtask->'decision';
  v_choices jsonb;
  v_rejoin integer;
  v_next integer[];
BEGIN
  IF pg_catalog.jsonb_typeof(p_subtask) <> 'object' THEN
    RAISE EXCEPTION 'subtask % must be an object', p_position USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_subtask) k
  WHERE k NOT IN ('title', 'instructions', 'required_evidence', 'optional', 'skills', 'hints', 'decision');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown field(s) in subtask %: %', p_position, v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF missions_private.clean_text(p_subtask->>'title') IS NULL OR length(p_subtask->>'title') > 200 THEN
    RAISE EXCEPTION 'subtask % needs a title of at most 200 characters', p_position USING ERRCODE = 'MS422';
  END IF;
  IF pg_catalog.jsonb_typeof(coalesce(p_subtask->'required_evidence', '0')) <> 'number'
     OR (coalesce(p_subtask->>'required_evidence', '0'))::numeric NOT BETWEEN 0 AND 10
     OR (coalesce(p_subtask->>'required_evidence', '0'))::numeric % 1 <> 0 THEN
    RAISE EXCEPTION 'required_evidence of subtask % must be a number of files from 0 to 10', p_position USING ERRCODE = 'MS422';
  END IF;
  -- hints: strings (levels 1, 2, …) or {level, text} objects with consecutive levels
  IF pg_catalog.jsonb_typeof(v_hints) <> 'array' THEN
    RAISE EXCEPTION 'hints of subtask % must be an array', p_position USING ERRCODE = 'MS422';
  END IF;
  SELECT coalesce(jsonb_agg(jsonb_build_object('level', h.ord, 'text', coalesce(h.e->>'text', h.e #>> '{}')) ORDER BY h.ord), '[]')
  INTO v_hints
  FROM (SELECT e, row_number() OVER (ORDER BY coalesce((e->>'level')::integer, o::integer), o) AS ord
        FROM pg_catalog.jsonb_array_elements(v_hints) WITH ORDINALITY AS x(e, o)) h;
  IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(v_hints) h
             WHERE missions_private.clean_text(h->>'text') IS NULL OR length(h->>'text') > 5000) THEN
    RAISE EXCEPTION 'every hint of subtask % needs text (at most 5000 characters)', p_position USING ERRCODE = 'MS422';
  END IF;
  IF v_decision IS NOT NULL THEN
    v_choices := v_decision->'choices';
    IF pg_catalog.jsonb_typeof(v_decision) <> 'object' OR missions_private.clean_text(v_decision->>'key') IS NULL
       OR pg_catalog.jsonb_typeof(v_choices) IS DISTINCT FROM 'array' OR pg_catalog.jsonb_array_length(v_choices) < 2 THEN
      RAISE EXCEPTION 'the decision of subtask % needs a key and at least two choices', p_position USING ERRCODE = 'MS422';
    END IF;
    -- subtask numbers are whole numbers (checked before anything casts them)
    IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(v_choices) c
               WHERE pg_catalog.jsonb_typeof(c) <> 'object' OR pg_catalog.jsonb_typeof(c->'next') IS DISTINCT FROM 'number'
                  OR (c->>'next')::numeric % 1 <> 0 OR abs((c->>'next')::numeric) > 1000)
       OR (v_decision ? 'rejoin' AND (pg_catalog.jsonb_typeof(v_decision->'rejoin') <> 'number'
                                      OR (v_decision->>'rejoin')::numeric % 1 <> 0
                                      OR abs((v_decision->>'rejoin')::numeric) > 1000)) THEN
      RAISE EXCEPTION 'the choices of the decision of subtask % need next (and rejoin) subtask numbers', p_position
        USING ERRCODE = 'MS422';
    END IF;
    SELECT array_agg((c->>'next')::numeric::integer ORDER BY (c->>'next')::numeric::integer) INTO v_next
    FROM pg_catalog.jsonb_array_elements(v_choices) c;
    v_rejoin := coalesce((v_decision->>'rejoin')::numeric::integer, v_next[array_upper(v_next, 1)] + 1);
    IF EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(v_choices) c
               WHERE missions_private.clean_text(c->>'key') IS NULL OR missions_private.clean_text(c->>'label') IS NULL
                  OR pg_catalog.jsonb_typeof(c->'next') IS DISTINCT FROM 'number')
       OR (SELECT count(DISTINCT c->>'key') FROM pg_catalog.jsonb_array_elements(v_choices) c) <> pg_catalog.jsonb_array_length(v_choices)
       OR (SELECT count(DISTINCT n) FROM unnest(v_next) n) <> array_length(v_next, 1)
       OR v_next[1] <= p_position OR v_rejoin <= v_next[array_upper(v_next, 1)] OR v_rejoin > p_count + 1 THEN
      RAISE EXCEPTION 'the decision of subtask % needs choices with distinct keys, labels and distinct next subtasks after it and before rejoin (<= %)',
        p_position, p_count + 1 USING ERRCODE = 'MS422';
    END IF;
    -- each choice's path runs from its next subtask to the following choice's next (or rejoin)
    v_decision := jsonb_build_object(
      'key', v_decision->>'key', 'prompt', coalesce(v_decision->>'prompt', ''), 'rejoin', v_rejoin,
      'choices', (SELECT jsonb_agg(jsonb_build_object('key', c->>'key', 'label', c->>'label', 'next', (c->>'next')::numeric::integer,
                                   'path', (SELECT jsonb_agg(g) FROM generate_series((c->>'next')::numeric::integer,
                                             coalesce((SELECT min(n) FROM unnest(v_next) n WHERE n > (c->>'next')::numeric::integer), v_rejoin) - 1) g))
                                   ORDER BY (c->>'next')::numeric::integer)
                  FROM pg_catalog.jsonb_array_elements(v_choices) c));
  END IF;
  RETURN jsonb_strip_nulls(jsonb_build_object(
    'instructions', coalesce(p_subtask->>'instructions', ''),
    'required_evidence', coalesce((p_subtask->>'required_evidence')::numeric::integer, 0),
    'optional', coalesce((p_subtask->>'optional')::boolean, false),
    'skills', to_jsonb(coalesce(missions_private.text_array(p_subtask->'skills', 'skills'), '{}')),
    'hints', v_hints,
    'decision', v_decision));
END
$fn$;
COMMENT ON FUNCTION missions_private.parse_subtask(integer, integer, jsonb) IS
  'Validates a subtask (title, instructions, required_evidence, optional, skills, hints, decision) and returns the normalised step spec (MS422 on bad input).';

-- missions_private.parse_rubric: validates rubric criteria against a template's subtasks; returns them normalised.
CREATE OR REPLACE FUNCTION missions_private.parse_rubric(p_template_id uuid, p_criteria jsonb) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_count integer;
BEGIN
  SELECT count(*) INTO v_count FROM missions_private.template_steps ts WHERE ts.template_id = p_template_id;
  IF p_criteria IS NULL OR p_criteria = 'null'::jsonb THEN  -- default: each subtask weighs the same
    RETURN (SELECT jsonb_agg(jsonb_build_object('subtask', ts.position, 'criterion', ts.title, 'weight', 1) ORDER BY ts.position)
            FROM missions_private.template_steps ts WHERE ts.template_id = p_template_id);
  END IF;
  IF pg_catalog.jsonb_typeof(p_criteria) <> 'array' OR pg_catalog.jsonb_array_length(p_criteria) = 0
     OR EXISTS (SELECT FROM pg_catalog.jsonb_array_elements(p_criteria) c
                WHERE pg_catalog.jsonb_typeof(c) <> 'object'
                   OR pg_catalog.jsonb_typeof(c->'subtask') IS DISTINCT FROM 'number'
                   OR (c->>'subtask')::numeric NOT BETWEEN 1 AND v_count
                   OR (c->>'subtask')::numeric <> trunc((c->>'subtask')::numeric)
                   OR pg_catalog.jsonb_typeof(c->'weight') IS DISTINCT FROM 'number'
                   OR (c->>'weight')::numeric NOT BETWEEN 0.001 AND 1000
                   OR missions_private.clean_text(c->>'criterion') IS NULL) THEN
    RAISE EXCEPTION 'a rubric is a non-empty array of {subtask (1..%), criterion, weight > 0}', v_count USING ERRCODE = 'MS422';
  END IF;
  IF (SELECT count(DISTINCT (c->>'subtask')::numeric) FROM pg_catalog.jsonb_array_elements(p_criteria) c)
     <> pg_catalog.jsonb_array_length(p_criteria) THEN
    RAISE EXCEPTION 'a rubric has one criterion per subtask' USING ERRCODE = 'MS422';
  END IF;
  RETURN (SELECT jsonb_agg(jsonb_build_object('subtask', (c->>'subtask')::numeric::integer, 'criterion', c->>'criterion',
                                              'weight', (c->>'weight')::numeric) ORDER BY (c->>'subtask')::numeric::integer)
          FROM pg_catalog.jsonb_array_elements(p_criteria) c);
END
$fn$;
COMMENT ON FUNCTION missions_private.parse_rubric(uuid, jsonb) IS
  'Validates rubric criteria [{subtask, criterion, weight}] (one per subtask, weight > 0); NULL gives every subtask weight 1.';

-- missions.create_learning_template: creates a learning mission template with subtasks, rubric v1 and recipe links.
CREATE OR REPLACE FUNCTION missions.create_learning_template(p_spec jsonb) RETURNS uuid
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_unknown text;
  v_subtasks jsonb := p_spec->'subtasks';
  v_count integer;
  v_id uuid;
  v_bad text;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'the template spec must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_spec) k
  WHERE k NOT IN ('code', 'title', 'description', 'story', 'objectives', 'tier', 'track', 'success_criteria',
                  'time_constraint_hours', 'reflection_required', 'is_capstone', 'pass_score', 'skills', 'momentum',
                  'skill_xp', 'subtasks', 'rubric', 'recipes', 'face', 'auto_submit');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown template field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF missions_private.clean_text(p_spec->>'title') IS NULL OR missions_private.clean_text(p_spec->>'code') IS NULL THEN
    RAISE EXCEPTION 'a learning template needs a code and a title' USING ERRCODE = 'MS422';
  END IF;
  IF pg_catalog.jsonb_typeof(v_subtasks) IS DISTINCT FROM 'array' OR pg_catalog.jsonb_array_length(v_subtasks) NOT BETWEEN 1 AND 50 THEN
    RAISE EXCEPTION 'a learning template needs 1 to 50 subtasks' USING ERRCODE = 'MS422';
  END IF;
  v_count := pg_catalog.jsonb_array_length(v_subtasks);
  BEGIN
    INSERT INTO missions_private.templates (face, title, description)
    VALUES ('learning', p_spec->>'title', coalesce(p_spec->>'description', ''))
    RETURNING id INTO v_id;
    INSERT INTO missions_private.learning_templates
      (template_id, code, story, objectives, tier, track, success_criteria, time_constraint_hours, reflection_required,
       is_capstone, pass_score, skills, momentum, skill_xp, auto_submit)
    VALUES (v_id, p_spec->>'code', coalesce(p_spec->>'story', ''),
            coalesce(missions_private.text_array(p_spec->'objectives', 'objectives'), '{}'),
            coalesce(p_spec->>'tier', 'beginner'), p_spec->>'track',
            coalesce(missions_private.text_array(p_spec->'success_criteria', 'success_criteria'), '{}'),
            (p_spec->>'time_constraint_hours')::integer, coalesce((p_spec->>'reflection_required')::boolean, false),
            coalesce((p_spec->>'is_capstone')::boolean, false), coalesce((p_spec->>'pass_score')::integer, 70),
            coalesce(missions_private.text_array(p_spec->'skills', 'skills'), '{}'),
            coalesce((p_spec->>'momentum')::integer, 20), coalesce((p_spec->>'skill_xp')::integer, 100),
            coalesce((p_spec->>'auto_submit')::boolean, false));
  EXCEPTION
    WHEN unique_violation THEN
      RAISE EXCEPTION 'a learning template with code % exists', p_spec->>'code'
        USING ERRCODE = '23505', DETAIL = 'constraint learning_templates_code_unique';
    WHEN check_violation OR not_null_violation OR invalid_text_representation OR numeric_value_out_of_range THEN
      RAISE EXCEPTION 'invalid learning template: %', SQLERRM USING ERRCODE = 'MS422',
        HINT = 'code like SIEM-03; tier beginner|intermediate|advanced|mastery; track defender|offensive|grc|innovation|leadership';
  END;
  BEGIN
    INSERT INTO missions_private.template_steps (template_id, position, title, kind, spec)
    SELECT v_id, s.ord::integer, btrim(s.e->>'title'), 'subtask', missions_private.parse_subtask(s.ord::integer, v_count, s.e)
    FROM pg_catalog.jsonb_array_elements(v_subtasks) WITH ORDINALITY AS s(e, ord);
  EXCEPTION
    WHEN data_exception OR check_violation OR not_null_violation THEN  -- e.g. a hint level or flag of the wrong type
      RAISE EXCEPTION 'invalid subtasks: %', SQLERRM USING ERRCODE = 'MS422';
  END;
  INSERT INTO missions_private.rubrics (template_id, version, criteria)
  VALUES (v_id, 1, missions_private.parse_rubric(v_id, p_spec->'rubric'));
  IF p_spec ? 'recipes' THEN
    IF pg_catalog.jsonb_typeof(p_spec->'recipes') <> 'array' THEN
      RAISE EXCEPTION 'recipes must be an array of {slug, subtask}' USING ERRCODE = 'MS422';
    END IF;
    SELECT string_agg(coalesce(r->>'slug', r #>> '{}'), ', ') INTO v_bad
    FROM pg_catalog.jsonb_array_elements(p_spec->'recipes') r
    WHERE NOT EXISTS (SELECT FROM missions_private.recipes x WHERE x.slug = coalesce(r->>'slug', r #>> '{}'));
    IF v_bad IS NOT NULL THEN
      RAISE EXCEPTION 'unknown recipe(s): %', v_bad USING ERRCODE = 'MS422';
    END IF;
    INSERT INTO missions_private.recipe_links (recipe_id, template_id, subtask)
    SELECT x.id, v_id, (r->>'subtask')::integer
    FROM pg_catalog.jsonb_array_elements(p_spec->'recipes') r
    JOIN missions_private.recipes x ON x.slug = coalesce(r->>'slug', r #>> '{}')
    WHERE (r->>'subtask') IS NULL OR (r->>'subtask')::integer BETWEEN 1 AND v_count
    ON CONFLICT DO NOTHING;
  END IF;
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION missions.create_learning_template(jsonb) IS
  'Creates a learning template (admins/services): code, title, story, objectives, tier, track, success_criteria, time_constraint_hours, auto_submit (at the deadline: submit for review instead of expiring), reflection_required, is_capstone, pass_score, skills, momentum, skill_xp, subtasks, rubric, recipes.';

-- missions.set_template_rubric: replaces an unused rubric version in place, or adds a new version when the current one is used.
CREATE OR REPLACE FUNCTION missions.set_template_rubric(p_template_id uuid, p_criteria jsonb)
RETURNS missions_private.rubrics
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.rubrics;
  v_criteria jsonb;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF NOT EXISTS (SELECT FROM missions_private.learning_templates t WHERE t.template_id = p_template_id) THEN
    RAISE EXCEPTION 'learning template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
  IF p_criteria IS NULL OR p_criteria = 'null'::jsonb THEN
    RAISE EXCEPTION 'rubric criteria are required' USING ERRCODE = 'MS422';
  END IF;
  v_criteria := missions_private.parse_rubric(p_template_id, p_criteria);
  -- serialise rubric changes of one template
  PERFORM FROM missions_private.templates t WHERE t.id = p_template_id FOR UPDATE;
  SELECT * INTO v FROM missions_private.rubrics r WHERE r.template_id = p_template_id ORDER BY r.version DESC LIMIT 1;
  IF v.criteria = v_criteria THEN
    RETURN v;
  ELSIF EXISTS (SELECT FROM missions_private.learning_missions lm WHERE lm.rubric_id = v.id) THEN
    INSERT INTO missions_private.rubrics (template_id, version, criteria)
    VALUES (p_template_id, v.version + 1, v_criteria) RETURNING * INTO v;
  ELSE
    UPDATE missions_private.rubrics r SET criteria = v_criteria WHERE r.id = v.id RETURNING * INTO v;
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.set_template_rubric(uuid, jsonb) IS
  'Sets a template''s rubric: edits the latest version while no mission uses it, otherwise adds version + 1 (used versions never change).';

-- missions_private.refuse_used_rubric_change: trigger; a rubric version a mission uses is immutable.
CREATE OR REPLACE FUNCTION missions_private.refuse_used_rubric_change() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF EXISTS (SELECT FROM missions_private.learning_missions lm WHERE lm.rubric_id = OLD.id) THEN
    RAISE EXCEPTION 'rubric % version % is used by a mission and cannot change', OLD.template_id, OLD.version
      USING ERRCODE = 'MS409', HINT = 'Set a new rubric: it becomes the next version.';
  END IF;
  RETURN CASE TG_OP WHEN 'DELETE' THEN OLD ELSE NEW END;
END
$fn$;
COMMENT ON FUNCTION missions_private.refuse_used_rubric_change() IS
  'Row trigger on rubrics: refuses UPDATE or DELETE of a version that a learning mission uses (MS409).';
SELECT missions_private.ensure_trigger('missions_private.rubrics', 'rubrics_immutable_once_used', $ddl$
CREATE OR REPLACE TRIGGER rubrics_immutable_once_used
  BEFORE UPDATE OR DELETE ON missions_private.rubrics
  FOR EACH ROW EXECUTE FUNCTION missions_private.refuse_used_rubric_change()
$ddl$);

-- missions_private.template_doc: a learning template as a JSON document (content, subtasks without hint texts, rubric, recipes).
CREATE OR REPLACE FUNCTION missions_private.template_doc(p_template_id uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT jsonb_build_object(
    'id', t.id, 'code', l.code, 'title', t.title, 'description', t.description, 'story', l.story,
    'objectives', to_jsonb(l.objectives), 'tier', l.tier, 'track', l.track,
    'success_criteria', to_jsonb(l.success_criteria), 'time_constraint_hours', l.time_constraint_hours,
    'auto_submit', l.auto_submit, 'reflection_required', l.reflection_required, 'is_capstone', l.is_capstone, 'pass_score', l.pass_score,
    'skills', to_jsonb(l.skills), 'momentum', l.momentum, 'skill_xp', l.skill_xp, 'is_active', t.is_active,
    'subtasks', (SELECT jsonb_agg(jsonb_build_object(
                   'position', ts.position, 'title', ts.title, 'instructions', ts.spec->>'instructions',
                   'required_evidence', (ts.spec->>'required_evidence')::integer, 'optional', (ts.spec->>'optional')::boolean,
                   'skills', ts.spec->'skills', 'hint_levels', jsonb_array_length(ts.spec->'hints'),
                   'decision', ts.spec->'decision') ORDER BY ts.position)
                 FROM missions_private.template_steps ts WHERE ts.template_id = t.id),
    'rubric', (SELECT jsonb_build_object('id', r.id, 'version', r.version, 'criteria', r.criteria)
               FROM missions_private.rubrics r WHERE r.template_id = t.id ORDER BY r.version DESC LIMIT 1),
    'recipes', coalesce((SELECT jsonb_agg(jsonb_build_object('slug', x.slug, 'title', x.title, 'subtask', rl.subtask)
                                          ORDER BY rl.subtask NULLS FIRST, x.slug)
                         FROM missions_private.recipe_links rl JOIN missions_private.recipes x ON x.id = rl.recipe_id
                         WHERE rl.template_id = t.id), '[]'))
  FROM missions_private.templates t
  JOIN missions_private.learning_templates l ON l.template_id = t.id
  WHERE t.id = p_template_id
$fn$;
COMMENT ON FUNCTION missions_private.template_doc(uuid) IS
  'A learning template as JSON: content, subtasks (hint texts withheld; hint_levels counts them), latest rubric, recipe links.';

-- missions.learning_template: one learning template as a JSON document; MS404 when unknown.
CREATE OR REPLACE FUNCTION missions.learning_template(p_template_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v jsonb;
BEGIN
  PERFORM missions_private.caller_id();
  v := missions_private.template_doc(p_template_id);
  IF v IS NULL THEN
    RAISE EXCEPTION 'learning template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.learning_template(uuid) IS 'A learning template (story, objectives, subtasks, rubric, recipes) as JSON; MS404 when unknown.';

-- missions.learning_templates: learning templates as JSON, by track, tier and code, paged (key: track, tier, code).
CREATE OR REPLACE FUNCTION missions.learning_templates(p_track text DEFAULT NULL, p_limit integer DEFAULT 50,
                                                      p_after jsonb DEFAULT NULL) RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['track', 'tier', 'code']);
  v_track text := coalesce(v_after->>'track', '');
  v_rank integer := coalesce(pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], v_after->>'tier'), 0);
  v_code text := coalesce(v_after->>'code', '');
BEGIN
  PERFORM missions_private.caller_id();
  RETURN QUERY
  SELECT missions_private.template_doc(l.template_id)
  FROM missions_private.learning_templates l
  WHERE (p_track IS NULL OR l.track = p_track)
    AND (l.track, pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], l.tier), l.code) > (v_track, v_rank, v_code)
  ORDER BY l.track, pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], l.tier), l.code
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.learning_templates(text, integer, jsonb) IS
  'Learning templates (optionally of one track) as JSON, ordered by track, tier and code; a page of p_limit (1..200) after the key {"track", "tier", "code"}.';
