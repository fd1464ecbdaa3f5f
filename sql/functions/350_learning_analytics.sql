-- Learning analytics: the refresh job of the materialized views of sql/schema/10_learning_analytics.sql
-- and their readers. Only the owner may SELECT the views; these SECURITY DEFINER functions are the way in.

-- missions.refresh_learning_analytics: refreshes the nine learning analytics views concurrently (readers are never blocked).
CREATE OR REPLACE FUNCTION missions.refresh_learning_analytics() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_staff();
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.mission_performance;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.step_funnel;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.completion_heatmap;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.participant_benchmarks;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.recipe_effectiveness;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.cohort_dashboard;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.recipe_usage_stats;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.decision_paths;
  REFRESH MATERIALIZED VIEW CONCURRENTLY missions_private.tool_usage;
  RETURN 9;
END
$fn$;
COMMENT ON FUNCTION missions.refresh_learning_analytics() IS
  'Job (every 15 minutes; admins, services): refreshes CONCURRENTLY mission_performance, step_funnel, completion_heatmap, participant_benchmarks, recipe_effectiveness, cohort_dashboard, recipe_usage_stats, decision_paths and tool_usage. Returns 9, the views refreshed.';

-- missions.mission_performance: per learning template attempts, completions, completion rate, mean score and hours, paged (key: track, tier, code).
CREATE OR REPLACE FUNCTION missions.mission_performance(p_track text DEFAULT NULL, p_limit integer DEFAULT 50,
                                                        p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.mission_performance
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
  PERFORM missions_private.authorize_analytics();
  RETURN QUERY
  SELECT * FROM missions_private.mission_performance x
  WHERE (p_track IS NULL OR x.track = p_track) AND (x.track, pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], x.tier), x.code) > (v_track, v_rank, v_code)
  ORDER BY x.track, pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], x.tier), x.code
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.mission_performance(text, integer, jsonb) IS
  'Mission performance (admins, services, mentors) per learning template, optionally of one track: attempts, completed, completion_rate, avg_final_score, avg_hours; as of the last refresh; a page of p_limit (1..200) after the key {"track", "tier", "code"}.';

-- missions.step_funnel: the drop-off funnel and time per stage of one learning template, paged (key: subtask).
CREATE OR REPLACE FUNCTION missions.step_funnel(p_template_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.step_funnel
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_subtask integer := coalesce((missions_private.page_after(p_after, ARRAY['subtask'])->>'subtask')::integer, -2147483648);
BEGIN
  PERFORM missions_private.authorize_analytics();
  IF NOT EXISTS (SELECT FROM missions_private.learning_templates l WHERE l.template_id = p_template_id) THEN
    RAISE EXCEPTION 'learning template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
  RETURN QUERY
  SELECT * FROM missions_private.step_funnel x WHERE x.template_id = p_template_id AND x.subtask > v_subtask
  ORDER BY x.subtask LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.step_funnel(uuid, integer, jsonb) IS
  'Per subtask of a learning template (admins, services, mentors): reached, completed, skipped, dropped_off, p50/p90 minutes; MS404 unknown template; as of the last refresh; a page of p_limit (1..200) after the key {"subtask"}.';

-- missions.completion_heatmap: learning completions per track, local ISO day of week and hour, paged (key: track, iso_dow, hour).
CREATE OR REPLACE FUNCTION missions.completion_heatmap(p_track text DEFAULT NULL, p_limit integer DEFAULT 50,
                                                       p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.completion_heatmap
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['track', 'iso_dow', 'hour']);
  v_track text := coalesce(v_after->>'track', '');
  v_dow integer := coalesce((v_after->>'iso_dow')::integer, -1);
  v_hour integer := coalesce((v_after->>'hour')::integer, -1);
BEGIN
  PERFORM missions_private.authorize_analytics();
  RETURN QUERY
  SELECT * FROM missions_private.completion_heatmap x
  WHERE (p_track IS NULL OR x.track = p_track) AND (x.track, x.iso_dow, x.hour) > (v_track, v_dow, v_hour)
  ORDER BY x.track, x.iso_dow, x.hour
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.completion_heatmap(text, integer, jsonb) IS
  'Completion heatmap (admins, services, mentors): completions per track, ISO day of week 1-7 and hour 0-23 in each participant''s time zone; cells without completions have no row; a page of p_limit (1..200) after the key {"track", "iso_dow", "hour"}.';

-- missions.participant_benchmarks: participants' completed count, mean score and percentile in their cohort, paged (key: cohort, percentile, participant_id).
CREATE OR REPLACE FUNCTION missions.participant_benchmarks(p_cohort text DEFAULT NULL, p_limit integer DEFAULT 50,
                                                           p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.participant_benchmarks
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
  v_role text := missions_private.current_principal_role();
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['cohort', 'percentile', 'participant_id']);
  v_cohort text := v_after->>'cohort';
  v_percentile numeric := (v_after->>'percentile')::numeric;
  v_participant uuid := (v_after->>'participant_id')::uuid;
BEGIN
  IF v_caller IS NOT NULL AND v_role NOT IN ('admin', 'service', 'mentor', 'participant') THEN
    RAISE EXCEPTION 'only participants, mentors, admins and services read benchmarks' USING ERRCODE = 'MS403';
  END IF;
  RETURN QUERY
  SELECT * FROM missions_private.participant_benchmarks x
  WHERE (p_cohort IS NULL OR x.cohort = p_cohort)
    AND (v_role IS DISTINCT FROM 'participant' OR x.participant_id = v_caller)
    AND (v_after IS NULL OR (x.cohort, -x.percentile, x.participant_id) > (v_cohort, -v_percentile, v_participant))
  ORDER BY x.cohort, -x.percentile, x.participant_id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.participant_benchmarks(text, integer, jsonb) IS
  'Benchmarks (optionally of one cohort; ''none'' = no cohort): completed, avg_score, percentile within the cohort. Admins, services and mentors see everyone; a participant only their own row; a page of p_limit (1..200) after the key {"cohort", "percentile", "participant_id"}.';

-- missions.recipe_effectiveness: per recipe, success with versus without it on the missions it is linked to, paged (key: lift, slug).
CREATE OR REPLACE FUNCTION missions.recipe_effectiveness(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.recipe_effectiveness
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['lift', 'slug']);
  -- the key holds the string 'none' for a recipe without a lift
  v_lift numeric := CASE WHEN v_after->>'lift' <> 'none' THEN (v_after->>'lift')::numeric END;
  v_slug text := v_after->>'slug';
BEGIN
  PERFORM missions_private.authorize_analytics();
  RETURN QUERY
  SELECT * FROM missions_private.recipe_effectiveness x
  WHERE v_after IS NULL
     OR (x.lift IS NULL, -coalesce(x.lift, 0), x.slug) > (v_lift IS NULL, -coalesce(v_lift, 0), v_slug)
  ORDER BY x.lift IS NULL, -coalesce(x.lift, 0), x.slug
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.recipe_effectiveness(integer, jsonb) IS
  'Recipe effectiveness (admins, services, mentors): ended missions of linked templates with / without the recipe completed or marked used, successes, rates, lift; best lift first (none last); a page of p_limit (1..200) after the key {"lift", "slug"} (lift: a number, or the string none).';

-- missions.cohort_dashboard: per cohort headcount, learners, missions started and completed, scores, top skills, paged (key: cohort).
CREATE OR REPLACE FUNCTION missions.cohort_dashboard(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.cohort_dashboard
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['cohort']);
BEGIN
  PERFORM missions_private.authorize_analytics();
  RETURN QUERY SELECT * FROM missions_private.cohort_dashboard x
               WHERE v_after IS NULL OR x.cohort > v_after->>'cohort'
               ORDER BY x.cohort LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.cohort_dashboard(integer, jsonb) IS
  'Cohort (enterprise) dashboard (admins, services, mentors): participants, learners, learning missions started and completed, completion_rate, avg_final_score, top_skills per cohort; a page of p_limit (1..200) after the key {"cohort"}.';

-- missions.recipe_usage_stats: per recipe views, time spent, completion rate and marked used, most viewed first, paged (key: views, slug).
CREATE OR REPLACE FUNCTION missions.recipe_usage_stats(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.recipe_usage_stats
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['views', 'slug']);
  v_views bigint := (v_after->>'views')::bigint;
  v_slug text := v_after->>'slug';
BEGIN
  PERFORM missions_private.authorize_analytics();
  RETURN QUERY
  SELECT * FROM missions_private.recipe_usage_stats x
  WHERE v_after IS NULL OR (-x.views, x.slug) > (-v_views, v_slug)
  ORDER BY -x.views, x.slug
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.recipe_usage_stats(integer, jsonb) IS
  'Recipe usage analytics (admins, services, mentors): per recipe learners, viewers, views, seconds_spent, avg_minutes, completed, completion_rate, marked_used, last_used_at; most viewed first; as of the last refresh; a page of p_limit (1..200) after the key {"views", "slug"}.';

-- missions_private.analytics_template: MS404 unless p_template_id is a learning template.
CREATE OR REPLACE FUNCTION missions_private.analytics_template(p_template_id uuid) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF NOT EXISTS (SELECT FROM missions_private.learning_templates l WHERE l.template_id = p_template_id) THEN
    RAISE EXCEPTION 'learning template % not found', p_template_id USING ERRCODE = 'MS404';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.analytics_template(uuid) IS 'Raises MS404 unless the id is a learning template.';

-- missions.decision_paths: per decision point and choice of a learning template, how often chosen and the outcome, paged (key: subtask, choice_key).
CREATE OR REPLACE FUNCTION missions.decision_paths(p_template_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.decision_paths
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['subtask', 'choice_key']);
  v_subtask integer := coalesce((v_after->>'subtask')::integer, -2147483648);
  v_choice text := coalesce(v_after->>'choice_key', '');
BEGIN
  PERFORM missions_private.authorize_analytics();
  PERFORM missions_private.analytics_template(p_template_id);
  RETURN QUERY
  SELECT * FROM missions_private.decision_paths x
  WHERE x.template_id = p_template_id AND (x.subtask, x.choice_key) > (v_subtask, v_choice)
  ORDER BY x.subtask, x.choice_key
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.decision_paths(uuid, integer, jsonb) IS
  'Decision paths of a learning template (admins, services, mentors): per decision point (subtask) and choice: chosen, share, open, ended, completed, success_rate, avg_final_score; choices nobody took included; MS404 unknown template; as of the last refresh; a page of p_limit (1..200) after the key {"subtask", "choice_key"}.';

-- missions.tool_usage: the tools learners reported on a learning template's missions, most used first, with outcomes, paged (key: missions, tool).
CREATE OR REPLACE FUNCTION missions.tool_usage(p_template_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.tool_usage
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['missions', 'tool']);
  v_missions integer := (v_after->>'missions')::integer;
  v_tool text := v_after->>'tool';
BEGIN
  PERFORM missions_private.authorize_analytics();
  PERFORM missions_private.analytics_template(p_template_id);
  RETURN QUERY
  SELECT * FROM missions_private.tool_usage x
  WHERE x.template_id = p_template_id AND (v_after IS NULL OR (-x.missions, x.tool) > (-v_missions, v_tool))
  ORDER BY -x.missions, x.tool
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.tool_usage(uuid, integer, jsonb) IS
  'Tools used on a learning template''s missions (admins, services, mentors): per tool missions, share of started missions, ended, completed, success_rate, avg_final_score; most used first; MS404 unknown template; as of the last refresh; a page of p_limit (1..200) after the key {"missions", "tool"}.';
