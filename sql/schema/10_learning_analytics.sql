-- Learning analytics: materialized views over the learning tables, refreshed CONCURRENTLY by
-- missions.refresh_learning_analytics() (pg_cron job refresh_learning_analytics, every 15 minutes).
-- Each has a UNIQUE index (required by REFRESH … CONCURRENTLY) and is created WITH DATA (CONCURRENTLY
-- needs a populated view). They call built-in functions only: sql/functions/000_drop_functions.sql drops
-- the engine's functions with CASCADE on every migrate, which would take a dependent view with them.
-- Nobody but the owner may SELECT them; callers read them through missions.mission_performance() & co.
-- Rates are fractions rounded to 4 decimals; scores and durations are rounded to 2.

-- Per learning template: attempts (learning missions started), completions, completion rate, mean
-- final score and mean hours from start to completion of the completed ones.
CREATE MATERIALIZED VIEW missions_private.mission_performance AS
SELECT t.id AS template_id, l.code, t.title, l.track, l.tier,
       count(m.id)::integer AS attempts,
       (count(m.id) FILTER (WHERE m.status = 'completed'))::integer AS completed,
       coalesce(round((count(m.id) FILTER (WHERE m.status = 'completed'))::numeric / nullif(count(m.id), 0), 4), 0)
         AS completion_rate,
       round(avg(lm.final_score) FILTER (WHERE m.status = 'completed'), 2) AS avg_final_score,
       round(avg(extract(epoch FROM m.completed_at - m.started_at) / 3600) FILTER (WHERE m.status = 'completed'), 2)
         AS avg_hours
FROM missions_private.learning_templates l
JOIN missions_private.templates t ON t.id = l.template_id
LEFT JOIN missions_private.learning_missions lm ON lm.template_id = l.template_id
LEFT JOIN missions_private.missions m ON m.id = lm.mission_id AND m.started_at IS NOT NULL
GROUP BY t.id, l.code, t.title, l.track, l.tier
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.mission_performance IS
  'Per learning template: attempts (missions started), completed, completion_rate, avg_final_score and avg_hours (start to completion) of completed missions.';
CREATE UNIQUE INDEX mission_performance_template_idx ON missions_private.mission_performance (template_id);
CREATE INDEX mission_performance_order_idx ON missions_private.mission_performance
  (track, (pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], tier)), code);

-- Per template and subtask: how many missions reached it (it became ready, was started, done or skipped),
-- completed it, skipped it, dropped off at it (the mission ended expired, failed or cancelled with this as
-- its first subtask neither completed nor skipped), and the median and 90th percentile minutes spent on it
-- (completed_at - started_at of completed subtasks).
CREATE MATERIALIZED VIEW missions_private.step_funnel AS
WITH sub AS (
  SELECT m.id AS mission_id, m.template_id, m.status AS mission_status, s.position, s.status, s.started_at,
         s.completed_at
  FROM missions_private.missions m
  JOIN missions_private.steps s ON s.mission_id = m.id AND s.kind = 'subtask'
  WHERE m.face = 'learning'
), drops AS (
  SELECT d.template_id, d.position, count(*)::integer AS n
  FROM (SELECT sub.template_id, sub.mission_id, min(sub.position) AS position
        FROM sub
        WHERE sub.mission_status IN ('expired', 'failed', 'cancelled') AND sub.status NOT IN ('completed', 'skipped')
        GROUP BY sub.template_id, sub.mission_id) d
  GROUP BY d.template_id, d.position
)
SELECT ts.template_id, l.code, ts.position AS subtask, ts.title,
       (count(sub.mission_id) FILTER (WHERE sub.status <> 'pending'))::integer AS reached,
       (count(sub.mission_id) FILTER (WHERE sub.status = 'completed'))::integer AS completed,
       (count(sub.mission_id) FILTER (WHERE sub.status = 'skipped'))::integer AS skipped,
       coalesce(max(drops.n), 0)::integer AS dropped_off,
       round((percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sub.completed_at - sub.started_at)::float8 / 60)
                FILTER (WHERE sub.status = 'completed' AND sub.started_at IS NOT NULL))::numeric, 2) AS p50_minutes,
       round((percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM sub.completed_at - sub.started_at)::float8 / 60)
                FILTER (WHERE sub.status = 'completed' AND sub.started_at IS NOT NULL))::numeric, 2) AS p90_minutes
FROM missions_private.template_steps ts
JOIN missions_private.learning_templates l ON l.template_id = ts.template_id
LEFT JOIN sub ON sub.template_id = ts.template_id AND sub.position = ts.position
LEFT JOIN drops ON drops.template_id = ts.template_id AND drops.position = ts.position
GROUP BY ts.template_id, l.code, ts.position, ts.title
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.step_funnel IS
  'Per learning template and subtask: reached, completed, skipped, dropped_off (ended expired/failed/cancelled there), p50/p90 minutes per completed subtask.';
CREATE UNIQUE INDEX step_funnel_template_subtask_idx ON missions_private.step_funnel (template_id, subtask);

-- Completed learning missions per track, ISO day of week (1 Monday … 7 Sunday) and hour (0-23) of the
-- completion in the participant's own time zone. Only cells with completions have a row.
CREATE MATERIALIZED VIEW missions_private.completion_heatmap AS
SELECT l.track,
       extract(isodow FROM m.completed_at AT TIME ZONE p.timezone)::integer AS iso_dow,
       extract(hour FROM m.completed_at AT TIME ZONE p.timezone)::integer AS hour,
       count(*)::integer AS completions
FROM missions_private.missions m
JOIN missions_private.learning_templates l ON l.template_id = m.template_id
JOIN missions_private.principals p ON p.id = m.participant_id
WHERE m.face = 'learning' AND m.status = 'completed'
GROUP BY 1, 2, 3
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.completion_heatmap IS
  'Learning completions per track, ISO day of week (1-7) and hour (0-23) in the participant''s local time zone.';
CREATE UNIQUE INDEX completion_heatmap_cell_idx ON missions_private.completion_heatmap (track, iso_dow, hour);

-- Per participant with at least one completed learning mission: cohort ('none' without one), completed
-- missions, mean final score, and the percentile of that mean within the cohort
-- (percent_rank() * 100, one decimal: 0 for the lowest, 100 for the highest, 0 alone).
CREATE MATERIALIZED VIEW missions_private.participant_benchmarks AS
WITH per AS (
  SELECT m.participant_id, coalesce(p.cohort, 'none') AS cohort, count(*)::integer AS completed,
         round(avg(lm.final_score), 2) AS avg_score
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN missions_private.principals p ON p.id = m.participant_id
  WHERE m.face = 'learning' AND m.status = 'completed'
  GROUP BY m.participant_id, coalesce(p.cohort, 'none')
)
SELECT per.participant_id, per.cohort, per.completed, per.avg_score,
       round((percent_rank() OVER (PARTITION BY per.cohort ORDER BY per.avg_score) * 100)::numeric, 1) AS percentile,
       (count(*) OVER (PARTITION BY per.cohort))::integer AS cohort_size
FROM per
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.participant_benchmarks IS
  'Per participant with a completed learning mission: cohort, completed, avg_score, percentile of avg_score in the cohort (percent_rank x 100), cohort_size.';
CREATE UNIQUE INDEX participant_benchmarks_participant_idx ON missions_private.participant_benchmarks (participant_id);
CREATE INDEX participant_benchmarks_order_idx ON missions_private.participant_benchmarks (cohort, (-percentile), participant_id);

-- Per recipe: the ended (completed, failed, expired, cancelled) learning missions of the templates it is
-- linked to, split by whether their participant completed or marked the recipe used ("with") or not
-- ("without"); success = completed. lift = success_rate_with - success_rate_without.
CREATE MATERIALIZED VIEW missions_private.recipe_effectiveness AS
WITH ended AS (
  SELECT DISTINCT rl.recipe_id, m.id AS mission_id, m.status = 'completed' AS success,
         EXISTS (SELECT FROM missions_private.recipe_usage u
                 WHERE u.recipe_id = rl.recipe_id AND u.participant_id = m.participant_id
                   AND (u.completed_at IS NOT NULL OR u.marked_used_at IS NOT NULL)) AS used
  FROM missions_private.recipe_links rl
  JOIN missions_private.missions m ON m.template_id = rl.template_id
  WHERE m.face = 'learning' AND m.status IN ('completed', 'failed', 'expired', 'cancelled')
), counts AS (
  SELECT r.id AS recipe_id, r.slug, r.title,
         (count(e.mission_id) FILTER (WHERE e.used))::integer AS attempts_with,
         (count(e.mission_id) FILTER (WHERE e.used AND e.success))::integer AS successes_with,
         (count(e.mission_id) FILTER (WHERE NOT e.used))::integer AS attempts_without,
         (count(e.mission_id) FILTER (WHERE NOT e.used AND e.success))::integer AS successes_without
  FROM missions_private.recipes r
  LEFT JOIN ended e ON e.recipe_id = r.id
  GROUP BY r.id, r.slug, r.title
)
SELECT c.recipe_id, c.slug, c.title,
       coalesce((SELECT array_agg(DISTINCT l.code ORDER BY l.code)
                 FROM missions_private.recipe_links rl
                 JOIN missions_private.learning_templates l ON l.template_id = rl.template_id
                 WHERE rl.recipe_id = c.recipe_id), '{}') AS templates,
       c.attempts_with, c.successes_with, c.attempts_without, c.successes_without,
       round(c.successes_with::numeric / nullif(c.attempts_with, 0), 4) AS success_rate_with,
       round(c.successes_without::numeric / nullif(c.attempts_without, 0), 4) AS success_rate_without,
       round(c.successes_with::numeric / nullif(c.attempts_with, 0)
             - c.successes_without::numeric / nullif(c.attempts_without, 0), 4) AS lift
FROM counts c
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.recipe_effectiveness IS
  'Per recipe and its linked templates (codes): ended missions with / without the recipe completed or marked used, successes, success rates and lift.';
CREATE UNIQUE INDEX recipe_effectiveness_recipe_idx ON missions_private.recipe_effectiveness (recipe_id);
CREATE INDEX recipe_effectiveness_order_idx ON missions_private.recipe_effectiveness ((lift IS NULL), (-coalesce(lift, 0)), slug);

-- Per cohort ('none' for participants without one): participants, learners (started a learning mission),
-- learning missions started and completed, completion rate, mean final score of the completed ones, and the
-- cohort's three strongest skills by mean mastery (skill_signals; ties by name).
CREATE MATERIALIZED VIEW missions_private.cohort_dashboard AS
WITH people AS (
  SELECT p.id, coalesce(p.cohort, 'none') AS cohort
  FROM missions_private.principals p
  WHERE p.role = 'participant'
), headcount AS (
  SELECT people.cohort, count(*)::integer AS participants FROM people GROUP BY people.cohort
), work AS (
  SELECT people.cohort,
         count(DISTINCT m.participant_id)::integer AS learners,
         count(*)::integer AS started,
         (count(*) FILTER (WHERE m.status = 'completed'))::integer AS completed,
         round(avg(lm.final_score) FILTER (WHERE m.status = 'completed'), 2) AS avg_final_score
  FROM missions_private.missions m
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
  JOIN people ON people.id = m.participant_id
  WHERE m.started_at IS NOT NULL
  GROUP BY people.cohort
), skills AS (
  SELECT x.cohort, (array_agg(x.skill ORDER BY x.mastery DESC, x.skill))[1:3] AS top_skills
  FROM (SELECT people.cohort, s.skill, avg(s.mastery) AS mastery
        FROM missions_private.skill_signals s
        JOIN people ON people.id = s.participant_id
        GROUP BY people.cohort, s.skill) x
  GROUP BY x.cohort
)
SELECT h.cohort, h.participants, coalesce(w.learners, 0) AS learners, coalesce(w.started, 0) AS started,
       coalesce(w.completed, 0) AS completed,
       coalesce(round(w.completed::numeric / nullif(w.started, 0), 4), 0) AS completion_rate,
       w.avg_final_score, coalesce(k.top_skills, '{}') AS top_skills
FROM headcount h
LEFT JOIN work w ON w.cohort = h.cohort
LEFT JOIN skills k ON k.cohort = h.cohort
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.cohort_dashboard IS
  'Per cohort: participants, learners, learning missions started and completed, completion_rate, avg_final_score, top_skills (top 3 by mean mastery).';
CREATE UNIQUE INDEX cohort_dashboard_cohort_idx ON missions_private.cohort_dashboard (cohort);

-- Per recipe: its usage as recorded by missions.track_recipe_usage (one recipe_usage row per participant):
-- learners (participants with a row), viewers (views > 0), views, seconds spent (total, and mean minutes per
-- learner), completed (participants who completed it), completion_rate (completed / learners), marked_used
-- ("mark as used") and the last usage. Recipes nobody used have a row of zeros.
CREATE MATERIALIZED VIEW missions_private.recipe_usage_stats AS
SELECT r.id AS recipe_id, r.slug, r.title, r.type,
       count(u.participant_id)::integer AS learners,
       (count(u.participant_id) FILTER (WHERE u.views > 0))::integer AS viewers,
       coalesce(sum(u.views), 0)::bigint AS views,
       coalesce(sum(u.seconds_spent), 0)::bigint AS seconds_spent,
       round(avg(u.seconds_spent) / 60, 2) AS avg_minutes,
       (count(u.participant_id) FILTER (WHERE u.completed_at IS NOT NULL))::integer AS completed,
       coalesce(round((count(u.participant_id) FILTER (WHERE u.completed_at IS NOT NULL))::numeric
                      / nullif(count(u.participant_id), 0), 4), 0) AS completion_rate,
       (count(u.participant_id) FILTER (WHERE u.marked_used_at IS NOT NULL))::integer AS marked_used,
       max(u.updated_at) AS last_used_at
FROM missions_private.recipes r
LEFT JOIN missions_private.recipe_usage u ON u.recipe_id = r.id
GROUP BY r.id, r.slug, r.title, r.type
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.recipe_usage_stats IS
  'Per recipe: learners, viewers, views, seconds_spent, avg_minutes per learner, completed, completion_rate (completed / learners), marked_used, last_used_at.';
CREATE UNIQUE INDEX recipe_usage_stats_recipe_idx ON missions_private.recipe_usage_stats (recipe_id);
CREATE INDEX recipe_usage_stats_order_idx ON missions_private.recipe_usage_stats ((-views), slug);

-- Per learning template, decision point and choice (from the template's subtasks, so a choice nobody took has a
-- row of zeros): how often it was chosen, its share of the choices made at that decision, and the outcome of the
-- missions that took it: still open, ended (completed, failed, expired, cancelled), completed, success rate
-- (completed / ended) and mean final score of the completed ones.
CREATE MATERIALIZED VIEW missions_private.decision_paths AS
WITH choices AS (
  SELECT ts.template_id, ts.position AS subtask, ts.spec->'decision'->>'key' AS decision_key,
         c->>'key' AS choice_key, c->>'label' AS label, (c->>'next')::integer AS next_subtask
  FROM missions_private.template_steps ts
  CROSS JOIN jsonb_array_elements(ts.spec->'decision'->'choices') c
  WHERE ts.spec ? 'decision'
), made AS (
  SELECT m.template_id, d.decision_key, d.choice_key, m.status, lm.final_score
  FROM missions_private.decisions d
  JOIN missions_private.missions m ON m.id = d.mission_id
  JOIN missions_private.learning_missions lm ON lm.mission_id = m.id
), counted AS (
  SELECT ch.template_id, ch.subtask, ch.decision_key, ch.choice_key, ch.label, ch.next_subtask,
         count(made.template_id)::integer AS chosen,
         (count(made.template_id) FILTER (WHERE made.status IN ('completed', 'failed', 'expired', 'cancelled')))::integer
           AS ended,
         (count(made.template_id) FILTER (WHERE made.status = 'completed'))::integer AS completed,
         round(avg(made.final_score) FILTER (WHERE made.status = 'completed'), 2) AS avg_final_score
  FROM choices ch
  LEFT JOIN made ON made.template_id = ch.template_id AND made.decision_key = ch.decision_key
                AND made.choice_key = ch.choice_key
  GROUP BY ch.template_id, ch.subtask, ch.decision_key, ch.choice_key, ch.label, ch.next_subtask
)
SELECT c.template_id, l.code, c.subtask, c.decision_key, c.choice_key, c.label, c.next_subtask, c.chosen,
       coalesce(round(c.chosen::numeric / nullif(sum(c.chosen) OVER (PARTITION BY c.template_id, c.subtask), 0), 4), 0)
         AS share,
       c.chosen - c.ended AS open, c.ended, c.completed,
       round(c.completed::numeric / nullif(c.ended, 0), 4) AS success_rate, c.avg_final_score
FROM counted c
JOIN missions_private.learning_templates l ON l.template_id = c.template_id
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.decision_paths IS
  'Per learning template, decision point and choice: chosen, share of the choices made there, open, ended, completed, success_rate (completed / ended), avg_final_score.';
CREATE UNIQUE INDEX decision_paths_choice_idx ON missions_private.decision_paths (template_id, subtask, choice_key);

-- Per learning template and tool (learning_missions.tools_used, as learners report them): missions that used it,
-- their share of the template's started missions, and their outcome as in decision_paths.
CREATE MATERIALIZED VIEW missions_private.tool_usage AS
WITH started AS (
  SELECT lm.template_id, m.status, lm.final_score, lm.tools_used
  FROM missions_private.learning_missions lm
  JOIN missions_private.missions m ON m.id = lm.mission_id
  WHERE m.started_at IS NOT NULL
), attempts AS (
  SELECT s.template_id, count(*) AS n FROM started s GROUP BY s.template_id
)
SELECT s.template_id, l.code, t.tool,
       count(*)::integer AS missions,
       round(count(*)::numeric / max(a.n), 4) AS share,
       (count(*) FILTER (WHERE s.status IN ('completed', 'failed', 'expired', 'cancelled')))::integer AS ended,
       (count(*) FILTER (WHERE s.status = 'completed'))::integer AS completed,
       round((count(*) FILTER (WHERE s.status = 'completed'))::numeric
             / nullif(count(*) FILTER (WHERE s.status IN ('completed', 'failed', 'expired', 'cancelled')), 0), 4)
         AS success_rate,
       round(avg(s.final_score) FILTER (WHERE s.status = 'completed'), 2) AS avg_final_score
FROM started s
CROSS JOIN unnest(s.tools_used) AS t(tool)
JOIN attempts a ON a.template_id = s.template_id
JOIN missions_private.learning_templates l ON l.template_id = s.template_id
GROUP BY s.template_id, l.code, t.tool
WITH DATA;
COMMENT ON MATERIALIZED VIEW missions_private.tool_usage IS
  'Per learning template and tool reported used: missions, share of the template''s started missions, ended, completed, success_rate (completed / ended), avg_final_score.';
CREATE UNIQUE INDEX tool_usage_tool_idx ON missions_private.tool_usage (template_id, tool);
CREATE INDEX tool_usage_order_idx ON missions_private.tool_usage (template_id, (-missions), tool);
