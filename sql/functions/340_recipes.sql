-- Recipes: micro-learning items (slug, title, type, skills, minutes, content), their links to learning
-- templates and subtasks (stages), usage tracking (viewed, time, completed, marked used) and the
-- recommendations for a mission stage, which learn from the recipe_effectiveness analytics.

-- missions_private.recipe_by_slug: the recipe with that slug; MS404 when there is none.
CREATE OR REPLACE FUNCTION missions_private.recipe_by_slug(p_slug text) RETURNS missions_private.recipes
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.recipes;
BEGIN
  SELECT * INTO v FROM missions_private.recipes r WHERE r.slug = p_slug;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'recipe % not found', p_slug USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.recipe_by_slug(text) IS 'The recipe with that slug; MS404 when unknown.';

-- missions_private.recipe_doc: a recipe as JSON with its links (template id and code, subtask; NULL subtask = the whole mission).
CREATE OR REPLACE FUNCTION missions_private.recipe_doc(p_recipe_id uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT jsonb_build_object(
    'id', r.id, 'slug', r.slug, 'title', r.title, 'type', r.type, 'skills', to_jsonb(r.skills),
    'minutes', r.minutes, 'content', r.content, 'created_at', r.created_at, 'updated_at', r.updated_at,
    'links', coalesce((SELECT jsonb_agg(jsonb_build_object('template_id', rl.template_id, 'code', l.code,
                                                           'subtask', rl.subtask)
                                        ORDER BY l.code, rl.subtask NULLS FIRST)
                       FROM missions_private.recipe_links rl
                       JOIN missions_private.learning_templates l ON l.template_id = rl.template_id
                       WHERE rl.recipe_id = r.id), '[]'))
  FROM missions_private.recipes r
  WHERE r.id = p_recipe_id
$fn$;
COMMENT ON FUNCTION missions_private.recipe_doc(uuid) IS
  'A recipe as JSON: slug, title, type, skills, minutes, content, timestamps and links [{template_id, code, subtask}] (subtask NULL = whole mission).';

-- missions.upsert_recipe: creates a recipe or updates the given fields of the recipe with that slug; `created`
-- says which (the HTTP API answers 201 or 200 from it). The output columns are named like the table's, so column
-- names win over them inside the body.
CREATE OR REPLACE FUNCTION missions.upsert_recipe(p_spec jsonb,
  OUT id uuid, OUT slug text, OUT title text, OUT type text, OUT skills text[], OUT minutes integer, OUT content text,
  OUT created_at timestamptz, OUT updated_at timestamptz, OUT created boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  v missions_private.recipes;
  v_inserted record;
  v_created boolean := false;
  v_unknown text;
  v_slug text := p_spec->>'slug';
  v_skills text[];
  v_minutes integer;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_spec IS NULL OR pg_catalog.jsonb_typeof(p_spec) <> 'object' THEN
    RAISE EXCEPTION 'the recipe spec must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_spec) k
  WHERE k NOT IN ('slug', 'title', 'type', 'skills', 'minutes', 'content');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown recipe field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  IF pg_catalog.jsonb_typeof(p_spec->'slug') IS DISTINCT FROM 'string' THEN
    RAISE EXCEPTION 'a recipe needs a slug (lower-case words joined by hyphens, like read-auth-logs)' USING ERRCODE = 'MS422';
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.jsonb_each(p_spec) e
             WHERE e.key IN ('title', 'type', 'content') AND pg_catalog.jsonb_typeof(e.value) <> 'string') THEN
    RAISE EXCEPTION 'title, type and content must be strings' USING ERRCODE = 'MS422';
  END IF;
  IF p_spec ? 'minutes' AND (pg_catalog.jsonb_typeof(p_spec->'minutes') <> 'number'
                             OR (p_spec->>'minutes')::numeric <> trunc((p_spec->>'minutes')::numeric)) THEN
    RAISE EXCEPTION 'minutes must be a whole number from 1 to 600' USING ERRCODE = 'MS422';
  END IF;
  IF p_spec ? 'skills' THEN
    v_skills := coalesce(missions_private.text_array(p_spec->'skills', 'skills'), '{}');
    IF cardinality(v_skills) > 50
       OR EXISTS (SELECT FROM unnest(v_skills) s WHERE missions_private.clean_text(s) IS NULL OR length(s) > 100) THEN
      RAISE EXCEPTION 'skills holds at most 50 names of 1 to 100 characters' USING ERRCODE = 'MS422';
    END IF;
    v_skills := ARRAY(SELECT DISTINCT missions_private.clean_text(s) FROM unnest(v_skills) s ORDER BY 1);
  END IF;
  BEGIN
    v_minutes := (p_spec->>'minutes')::numeric::integer;
    UPDATE missions_private.recipes r SET
      title = CASE WHEN p_spec ? 'title' THEN missions_private.clean_text(p_spec->>'title') ELSE r.title END,
      type = coalesce(p_spec->>'type', r.type),
      skills = coalesce(v_skills, r.skills),
      minutes = coalesce(v_minutes, r.minutes),
      content = coalesce(p_spec->>'content', r.content),
      updated_at = missions.now()
    WHERE r.slug = v_slug
    RETURNING r.* INTO v;
    IF NOT FOUND THEN
      IF missions_private.clean_text(p_spec->>'title') IS NULL OR p_spec->>'type' IS NULL THEN
        RAISE EXCEPTION 'a new recipe needs a title and a type' USING ERRCODE = 'MS422',
          HINT = 'type: technical, analysis, tool, concept or soft_skill';
      END IF;
      INSERT INTO missions_private.recipes AS r (slug, title, type, skills, minutes, content)
      VALUES (v_slug, missions_private.clean_text(p_spec->>'title'), p_spec->>'type', coalesce(v_skills, '{}'),
              coalesce(v_minutes, 5), coalesce(p_spec->>'content', ''))
      ON CONFLICT (slug) DO UPDATE SET  -- created meanwhile by a concurrent call: update it like above
        title = excluded.title, type = excluded.type,
        skills = CASE WHEN p_spec ? 'skills' THEN excluded.skills ELSE r.skills END,
        minutes = CASE WHEN p_spec ? 'minutes' THEN excluded.minutes ELSE r.minutes END,
        content = CASE WHEN p_spec ? 'content' THEN excluded.content ELSE r.content END,
        updated_at = missions.now()
      RETURNING r AS recipe, r.xmax = 0 AS created INTO v_inserted;  -- xmax 0: inserted, not updated on conflict
      v := v_inserted.recipe;
      v_created := v_inserted.created;
    END IF;
  EXCEPTION
    WHEN check_violation OR not_null_violation OR invalid_text_representation OR numeric_value_out_of_range THEN
      RAISE EXCEPTION 'invalid recipe: %', SQLERRM USING ERRCODE = 'MS422',
        HINT = 'slug like read-auth-logs (at most 100 characters); title 1-200 characters; '
               'type technical|analysis|tool|concept|soft_skill; minutes 1-600; content at most 100000 characters';
  END;
  SELECT (v).*, v_created INTO id, slug, title, type, skills, minutes, content, created_at, updated_at, created;
END
$fn$;
COMMENT ON FUNCTION missions.upsert_recipe(jsonb) IS
  'Creates or updates (by slug) a recipe (admins/services): slug, title, type (technical, analysis, tool, concept, soft_skill), skills, minutes (1-600, default 5), content; an update changes only the given fields. Returns the recipe and created (true when this call inserted it). MS422 on bad input.';

-- missions.recipe: one recipe with its links as JSON; MS404 when unknown.
CREATE OR REPLACE FUNCTION missions.recipe(p_slug text) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.caller_id();
  RETURN missions_private.recipe_doc((missions_private.recipe_by_slug(p_slug)).id);
END
$fn$;
COMMENT ON FUNCTION missions.recipe(text) IS
  'A recipe (slug, title, type, skills, minutes, content) with its links [{template_id, code, subtask}]; MS404 when unknown.';

-- missions.recipes: the recipe library, filtered by a search text, a skill and a type, by slug, paged (key: slug).
CREATE OR REPLACE FUNCTION missions.recipes(p_search text DEFAULT NULL, p_skill text DEFAULT NULL, p_type text DEFAULT NULL,
                                            p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.recipes
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_pattern text := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(
                      missions_private.clean_text(p_search), '\', '\\'), '%', '\%'), '_', '\_') || '%';
  v_limit integer := missions_private.page_size(p_limit);
  v_slug text := coalesce(missions_private.page_after(p_after, ARRAY['slug'])->>'slug', '');
BEGIN
  PERFORM missions_private.caller_id();
  RETURN QUERY
  SELECT r.* FROM missions_private.recipes r
  WHERE r.slug > v_slug
    AND (v_pattern IS NULL OR r.title ILIKE v_pattern OR r.slug ILIKE v_pattern OR r.content ILIKE v_pattern
         OR EXISTS (SELECT FROM unnest(r.skills) s WHERE s ILIKE v_pattern))
    AND (p_skill IS NULL OR r.skills @> ARRAY[p_skill])
    AND (p_type IS NULL OR r.type = p_type)
  ORDER BY r.slug
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.recipes(text, text, text, integer, jsonb) IS
  'The recipe library by slug: search (case-insensitive, in title, slug, content and skills), skill, type; a page of p_limit (1..200) after the key {"slug"}.';

-- missions.delete_recipe: deletes a recipe with its links and usage (admins/services); returns it; MS404 when unknown.
CREATE OR REPLACE FUNCTION missions.delete_recipe(p_slug text) RETURNS missions_private.recipes
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.recipes;
BEGIN
  PERFORM missions_private.authorize_staff();
  DELETE FROM missions_private.recipes r WHERE r.slug = p_slug RETURNING r.* INTO v;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'recipe % not found', p_slug USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.delete_recipe(text) IS
  'Deletes a recipe (admins/services) with its links, usage and mentor recommendations; returns the deleted row; MS404 when unknown.';

-- missions_private.recipe_link_target: the recipe and learning template of a link; MS404 unknown, MS422 for a subtask the template lacks.
CREATE OR REPLACE FUNCTION missions_private.recipe_link_target(p_slug text, p_template_id uuid, p_subtask integer)
RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_recipe_id uuid := (missions_private.recipe_by_slug(p_slug)).id;
BEGIN
  IF NOT EXISTS (SELECT FROM missions_private.learning_templates l WHERE l.template_id = p_template_id) THEN
    RAISE EXCEPTION 'learning template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
  IF p_subtask IS NOT NULL AND NOT EXISTS (SELECT FROM missions_private.template_steps ts
                                           WHERE ts.template_id = p_template_id AND ts.position = p_subtask) THEN
    RAISE EXCEPTION 'learning template % has no subtask %', p_template_id, p_subtask USING ERRCODE = 'MS422';
  END IF;
  RETURN v_recipe_id;
END
$fn$;
COMMENT ON FUNCTION missions_private.recipe_link_target(text, uuid, integer) IS
  'The id of the recipe to (un)link: MS404 unknown recipe or learning template, MS422 when the template has no such subtask.';

-- missions.link_recipe: links a recipe to a learning template (subtask NULL) or to one of its subtasks; idempotent.
CREATE OR REPLACE FUNCTION missions.link_recipe(p_slug text, p_template_id uuid, p_subtask integer DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_recipe_id uuid;
BEGIN
  PERFORM missions_private.authorize_staff();
  v_recipe_id := missions_private.recipe_link_target(p_slug, p_template_id, p_subtask);
  INSERT INTO missions_private.recipe_links (recipe_id, template_id, subtask)
  VALUES (v_recipe_id, p_template_id, p_subtask)
  ON CONFLICT DO NOTHING;
  RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION missions.link_recipe(text, uuid, integer) IS
  'Links a recipe to a learning template (subtask NULL: the whole mission) or to one subtask (admins/services); true when added, false when it was linked; MS404 unknown, MS422 no such subtask.';

-- missions.unlink_recipe: removes a recipe link; true when one was removed.
CREATE OR REPLACE FUNCTION missions.unlink_recipe(p_slug text, p_template_id uuid, p_subtask integer DEFAULT NULL)
RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_recipe_id uuid;
BEGIN
  PERFORM missions_private.authorize_staff();
  v_recipe_id := missions_private.recipe_link_target(p_slug, p_template_id, p_subtask);
  DELETE FROM missions_private.recipe_links rl
  WHERE rl.recipe_id = v_recipe_id AND rl.template_id = p_template_id AND rl.subtask IS NOT DISTINCT FROM p_subtask;
  RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION missions.unlink_recipe(text, uuid, integer) IS
  'Removes the link of a recipe to a learning template or subtask (admins/services); true when removed, false when there was none; MS404 unknown, MS422 no such subtask.';

-- missions.track_recipe_usage: records a participant's use of a recipe: viewed, time, completed or used ("mark as used").
CREATE OR REPLACE FUNCTION missions.track_recipe_usage(p_participant_id uuid, p_slug text, p_event text,
                                                       p_seconds integer DEFAULT 0, p_mission_id uuid DEFAULT NULL)
RETURNS missions_private.recipe_usage
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.recipe_usage;
  r missions_private.recipes;
  v_now timestamptz := missions.now();
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  IF p_event IS NULL OR p_event NOT IN ('viewed', 'time', 'completed', 'used') THEN
    RAISE EXCEPTION 'event must be viewed, time, completed or used (got %)', p_event USING ERRCODE = 'MS422';
  END IF;
  IF p_seconds IS NULL OR p_seconds NOT BETWEEN 0 AND 86400 THEN
    RAISE EXCEPTION 'seconds must be 0..86400 (got %)', p_seconds USING ERRCODE = 'MS422';
  END IF;
  IF p_event = 'time' AND p_seconds = 0 THEN
    RAISE EXCEPTION 'a time event needs the seconds spent (1..86400)' USING ERRCODE = 'MS422';
  END IF;
  r := missions_private.recipe_by_slug(p_slug);
  IF p_mission_id IS NOT NULL AND NOT EXISTS (SELECT FROM missions_private.missions m
                                              WHERE m.id = p_mission_id AND m.participant_id = p_participant_id
                                                AND m.face = 'learning') THEN
    RAISE EXCEPTION 'learning mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  BEGIN
    INSERT INTO missions_private.recipe_usage AS u
      (participant_id, recipe_id, mission_id, views, seconds_spent, first_viewed_at, completed_at, marked_used_at, updated_at)
    VALUES (p_participant_id, r.id, p_mission_id, CASE WHEN p_event = 'viewed' THEN 1 ELSE 0 END, p_seconds,
            CASE WHEN p_event = 'viewed' THEN v_now END, CASE WHEN p_event = 'completed' THEN v_now END,
            CASE WHEN p_event = 'used' THEN v_now END, v_now)
    ON CONFLICT (participant_id, recipe_id) DO UPDATE SET
      mission_id = coalesce(excluded.mission_id, u.mission_id),
      views = u.views + excluded.views,
      seconds_spent = u.seconds_spent + excluded.seconds_spent,
      first_viewed_at = coalesce(u.first_viewed_at, excluded.first_viewed_at),
      completed_at = coalesce(u.completed_at, excluded.completed_at),
      marked_used_at = coalesce(u.marked_used_at, excluded.marked_used_at),
      updated_at = v_now
    RETURNING u.* INTO v;
  EXCEPTION WHEN numeric_value_out_of_range THEN
    RAISE EXCEPTION 'recipe usage counters are full' USING ERRCODE = 'MS422';
  END;
  IF p_mission_id IS NOT NULL THEN
    PERFORM missions_private.log_event(p_mission_id, 'learning.recipe_' || p_event,
                                       jsonb_build_object('slug', r.slug, 'seconds', p_seconds));
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.track_recipe_usage(uuid, text, text, integer, uuid) IS
  'Records recipe usage for a participant (themselves, admins, services): viewed (views + 1, first_viewed_at), time (seconds 1..86400 added; any event may add 0..86400), completed (completed_at, set once), used ("mark as used": marked_used_at, set once); with a learning mission of theirs, also a learning.recipe_<event> event on it (another face''s mission: MS404).';

-- missions.recommend_recipes: the recipes to suggest for a learning mission's stage, best first.
CREATE OR REPLACE FUNCTION missions.recommend_recipes(p_participant_id uuid, p_mission_id uuid, p_subtask integer DEFAULT NULL,
                                                      p_limit integer DEFAULT 5)
RETURNS TABLE (slug text, title text, type text, minutes integer, skills text[], reason text, score numeric,
               subtask integer)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_template_id uuid;
  v_skills text[];
  v_subtask integer := p_subtask;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 50 THEN
    RAISE EXCEPTION 'limit must be 1..50 (got %)', p_limit USING ERRCODE = 'MS422';
  END IF;
  SELECT m.template_id INTO v_template_id
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  WHERE m.id = p_mission_id AND m.participant_id = p_participant_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'learning mission % of participant % not found', p_mission_id, p_participant_id USING ERRCODE = 'MS404';
  END IF;
  IF p_subtask IS NOT NULL AND NOT EXISTS (SELECT FROM missions_private.template_steps ts
                                           WHERE ts.template_id = v_template_id AND ts.position = p_subtask) THEN
    RAISE EXCEPTION 'mission % has no subtask %', p_mission_id, p_subtask USING ERRCODE = 'MS404';
  END IF;
  IF p_subtask IS NULL THEN
    -- the learner's current stage: the first subtask neither completed nor skipped (none left: the whole mission)
    SELECT min(s.position) INTO v_subtask
    FROM missions_private.steps s
    WHERE s.mission_id = p_mission_id AND s.kind = 'subtask' AND s.status NOT IN ('completed', 'skipped');
  END IF;
  -- the skills of the stage: the template's, and the subtask's (every subtask's for the whole mission)
  SELECT ARRAY(SELECT DISTINCT x FROM (
           SELECT unnest(l.skills) AS x FROM missions_private.learning_templates l WHERE l.template_id = v_template_id
           UNION ALL
           SELECT pg_catalog.jsonb_array_elements_text(ts.spec->'skills') FROM missions_private.template_steps ts
           WHERE ts.template_id = v_template_id AND (v_subtask IS NULL OR ts.position = v_subtask)) u)
  INTO v_skills;
  RETURN QUERY
  WITH candidates AS (
    SELECT r.id, r.slug, r.title, r.type, r.minutes, r.skills,
           v_subtask IS NOT NULL AND EXISTS (SELECT FROM missions_private.recipe_links rl
                                              WHERE rl.recipe_id = r.id AND rl.template_id = v_template_id
                                                AND rl.subtask = v_subtask) AS stage,
           EXISTS (SELECT FROM missions_private.recipe_links rl
                   WHERE rl.recipe_id = r.id AND rl.template_id = v_template_id
                     AND (rl.subtask IS NULL OR v_subtask IS NULL)) AS mission,
           (SELECT count(*) FROM unnest(r.skills) s WHERE s = ANY (v_skills))::integer AS overlap,
           coalesce((e.successes_with + 1)::numeric / (e.attempts_with + 2) * 2, 1.0) AS weight
    FROM missions_private.recipes r
    LEFT JOIN missions_private.recipe_effectiveness e ON e.recipe_id = r.id
    WHERE NOT EXISTS (SELECT FROM missions_private.recipe_usage u
                      WHERE u.participant_id = p_participant_id AND u.recipe_id = r.id AND u.completed_at IS NOT NULL)
  )
  SELECT c.slug, c.title, c.type, c.minutes, c.skills,
         CASE WHEN c.stage THEN 'stage' WHEN c.mission THEN 'mission' ELSE 'skills' END,
         round((c.mission::integer + c.overlap) * c.weight, 4), v_subtask
  FROM candidates c
  WHERE c.stage OR c.mission OR c.overlap > 0
  ORDER BY c.stage DESC, (c.mission::integer + c.overlap) * c.weight DESC, c.slug
  LIMIT p_limit;
END
$fn$;
COMMENT ON FUNCTION missions.recommend_recipes(uuid, uuid, integer, integer) IS
  'Recipes for a learning mission of the participant (themselves, admins, services; MS404 not theirs), at subtask p_subtask (NULL: the learner''s current subtask, the first neither completed nor skipped; the whole mission when none is left); column subtask says which stage was used (NULL: the whole mission). '
  'Candidates: linked to that subtask (reason stage), linked to the whole template - or, with no subtask, to any of its subtasks - (mission), or sharing a skill with the template''s skills and the subtask''s (every subtask''s with no subtask) (skills); recipes the participant completed are skipped. '
  'Order: stage-linked first, then score = (1 if mission-linked + number of overlapping skills) x effectiveness weight, then slug. '
  'Weight = (successes_with + 1) / (attempts_with + 2) x 2 from the recipe_effectiveness analytics (1.0 without data; it changes after missions.refresh_learning_analytics()).';

-- missions_private.skill_gap_recipes: the participant's weakest skill signals (gap analysis) and recipes that teach them.
CREATE OR REPLACE FUNCTION missions_private.skill_gap_recipes(p_participant_id uuid) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH gaps AS (  -- the three weakest signals with room to grow (mastery < 100)
    SELECT s.skill, s.mastery, s.confidence
    FROM missions_private.skill_signals s
    WHERE s.participant_id = p_participant_id AND s.mastery < 100
    ORDER BY s.mastery, s.confidence, s.skill
    LIMIT 3
  ), ranked AS (  -- recipes teaching a gap skill, not yet completed: sum of the gaps' (100 - mastery) / 100 x weight
    SELECT r.slug, r.title, r.type, r.minutes, r.skills,
           array_agg(g.skill ORDER BY g.mastery, g.skill) AS gap_skills,
           round(sum((100 - g.mastery) / 100)
                 * coalesce((e.successes_with + 1)::numeric / (e.attempts_with + 2) * 2, 1.0), 4) AS score
    FROM gaps g
    JOIN missions_private.recipes r ON r.skills @> ARRAY[g.skill]
    LEFT JOIN missions_private.recipe_effectiveness e ON e.recipe_id = r.id
    WHERE NOT EXISTS (SELECT FROM missions_private.recipe_usage u
                      WHERE u.participant_id = p_participant_id AND u.recipe_id = r.id AND u.completed_at IS NOT NULL)
    GROUP BY r.id, r.slug, r.title, r.type, r.minutes, r.skills, e.successes_with, e.attempts_with
    ORDER BY score DESC, r.slug
    LIMIT 5
  )
  SELECT jsonb_build_object(
    'skill_gaps', coalesce((SELECT jsonb_agg(jsonb_build_object('skill', g.skill, 'mastery', g.mastery,
                                                                'confidence', g.confidence)
                                             ORDER BY g.mastery, g.confidence, g.skill) FROM gaps g), '[]'),
    'recommended_recipes', coalesce((SELECT jsonb_agg(jsonb_build_object(
                                               'slug', x.slug, 'title', x.title, 'type', x.type, 'minutes', x.minutes,
                                               'skills', to_jsonb(x.skills), 'gap_skills', to_jsonb(x.gap_skills),
                                               'score', x.score) ORDER BY x.score DESC, x.slug)
                                     FROM ranked x), '[]'))
$fn$;
COMMENT ON FUNCTION missions_private.skill_gap_recipes(uuid) IS
  'Gap analysis for the learning dashboard: skill_gaps = the participant''s 3 weakest skill signals below mastery 100 (lowest mastery, then confidence, then name); recommended_recipes = up to 5 recipes teaching one of them that the participant has not completed, by score = sum over the gap skills taught of (100 - mastery) / 100, times the effectiveness weight of recommend_recipes, then slug.';
