-- The pg_cron jobs this engine wants. `missions db migrate` makes cron.job match this list
-- (missions_cron.sync_jobs), so editing this file and migrating is how schedules change.
-- target 'engine': the command runs in the engine database; 'cron': in pg_cron's own database.

-- missions.cron_jobs: the desired pg_cron jobs (job name, cron schedule in UTC, command, target database).
CREATE OR REPLACE FUNCTION missions.cron_jobs()
RETURNS TABLE (job text, schedule text, command text, target text)
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  VALUES
    ('assign_daily_missions', '0 * * * *', 'SELECT missions.assign_daily_missions()', 'engine'),
    ('assign_weekly_missions', '2 * * * *', 'SELECT missions.assign_weekly_missions()', 'engine'),
    ('notify_streaks_at_risk', '6 * * * *', 'SELECT missions.notify_streaks_at_risk()', 'engine'),
    ('apply_momentum_decay', '4 * * * *', 'SELECT missions.apply_momentum_decay()', 'engine'),
    ('expire_missions', '10 */6 * * *', 'SELECT missions.expire_missions()', 'engine'),
    ('recalculate_wall_ranks', '20 * * * *', 'SELECT missions.recalculate_wall_ranks()', 'engine'),
    ('pause_inactive_participants', '30 4 * * *', 'SELECT missions.pause_inactive_participants()', 'engine'),
    ('expire_claims', '* * * * *', 'SELECT missions.expire_claims()', 'engine'),
    ('expire_input_requests', '* * * * *', 'SELECT missions.expire_input_requests()', 'engine'),
    ('check_autonomous_missions', '*/5 * * * *', 'SELECT missions.check_autonomous_missions()', 'engine'),
    ('refresh_learning_analytics', '*/15 * * * *', 'SELECT missions.refresh_learning_analytics()', 'engine'),
    ('warn_learning_deadlines', '*/15 * * * *', 'SELECT missions.warn_learning_deadlines()', 'engine'),
    ('auto_submit_learning_missions', '*/15 * * * *', 'SELECT missions.auto_submit_learning_missions()', 'engine'),
    ('purge_idempotency_keys', '40 * * * *', 'SELECT missions.purge_idempotency_keys()', 'engine'),
    ('maintain_event_partitions', '25 3 * * *', 'SELECT missions.maintain_event_partitions()', 'engine'),
    ('apply_retention', '50 * * * *', 'SELECT missions.apply_retention()', 'engine'),
    ('trim_cron_history', '17 3 * * *', 'SELECT missions_cron.trim_job_run_details()', 'cron')
$fn$;
COMMENT ON FUNCTION missions.cron_jobs() IS
  'The pg_cron jobs the engine schedules: name, cron schedule (UTC), SQL command, and target (engine or cron database).';

REVOKE ALL ON FUNCTION missions.cron_jobs() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION missions.cron_jobs() TO missions_admin, missions_service;
