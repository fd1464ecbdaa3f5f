-- Demo recipe usage and skill signals, so the recipe usage analytics and the dashboard's gap analysis have
-- something to show. The skill signals are written directly, as if from missions Pat completed before the demo
-- (there are no such missions or portfolio items). Inserted once: rows that exist are left as they are.
INSERT INTO missions_private.recipe_usage AS u
  (participant_id, recipe_id, views, seconds_spent, first_viewed_at, completed_at, marked_used_at)
SELECT x.participant_id, r.id, x.views, x.seconds, missions.now(),
       CASE WHEN x.completed THEN missions.now() END, CASE WHEN x.used THEN missions.now() END
FROM (VALUES
  ('00000000-0000-4000-a000-000000000002'::uuid, 'siem-search-basics', 3, 540, true, true),
  ('00000000-0000-4000-a000-000000000002'::uuid, 'auth-log-patterns', 1, 120, false, false),
  ('00000000-0000-4000-a000-000000000006'::uuid, 'siem-search-basics', 1, 300, false, true),
  ('00000000-0000-4000-a000-000000000007'::uuid, 'incident-report-structure', 2, 420, true, false)
) AS x(participant_id, slug, views, seconds, completed, used)
JOIN missions_private.recipes r ON r.slug = x.slug
ON CONFLICT (participant_id, recipe_id) DO NOTHING;

INSERT INTO missions_private.skill_signals (participant_id, skill, mastery, confidence, evidence_count)
VALUES ('00000000-0000-4000-a000-000000000002', 'siem', 78, 0.75, 2),
       ('00000000-0000-4000-a000-000000000002', 'log_analysis', 58, 0.5, 1),
       ('00000000-0000-4000-a000-000000000002', 'triage', 64, 0.5, 1),
       ('00000000-0000-4000-a000-000000000002', 'communication', 90, 0.5, 1)
ON CONFLICT (participant_id, skill) DO NOTHING;

SELECT missions.refresh_learning_analytics();
