-- Applied in pg_cron's own database (cron.database_name), which may differ from the engine database:
-- the idempotent job setup and the trim of cron.job_run_details live next to pg_cron's tables.
CREATE SCHEMA IF NOT EXISTS missions_cron;
COMMENT ON SCHEMA missions_cron IS 'Mission engine: pg_cron job setup and housekeeping (in the cron database).';

-- missions_cron.trim_job_run_details: deletes pg_cron run history older than p_keep; returns the rows deleted.
CREATE OR REPLACE FUNCTION missions_cron.trim_job_run_details(p_keep interval DEFAULT '7 days')
RETURNS bigint
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH gone AS (
    DELETE FROM cron.job_run_details d WHERE d.end_time < pg_catalog.now() - p_keep RETURNING 1
  )
  SELECT count(*) FROM gone
$fn$;
COMMENT ON FUNCTION missions_cron.trim_job_run_details(interval) IS
  'Deletes pg_cron run history older than p_keep (default 7 days); returns the number of rows deleted.';

-- missions_cron.sync_jobs: makes the jobs named '<database>.*' match p_jobs: schedules each by name, unschedules the rest.
CREATE OR REPLACE FUNCTION missions_cron.sync_jobs(p_database text, p_jobs jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM cron.unschedule(j.jobid)
  FROM cron.job j
  WHERE pg_catalog.starts_with(j.jobname, p_database || '.')
    AND j.username = current_user
    AND j.jobname NOT IN (SELECT p_database || '.' || (x->>'job') FROM pg_catalog.jsonb_array_elements(p_jobs) x);
  PERFORM cron.schedule_in_database(
            p_database || '.' || (x->>'job'), x->>'schedule', x->>'command',
            CASE x->>'target' WHEN 'cron' THEN pg_catalog.current_database() ELSE p_database END)
  FROM pg_catalog.jsonb_array_elements(p_jobs) x;
  RETURN pg_catalog.jsonb_array_length(p_jobs);
END
$fn$;
COMMENT ON FUNCTION missions_cron.sync_jobs(text, jsonb) IS
  'Idempotent job setup: schedules every job of p_jobs as <database>.<job> and unschedules that database''s other jobs.';

-- missions_cron.unschedule_all: removes every job of an engine database (used when a database is dropped).
CREATE OR REPLACE FUNCTION missions_cron.unschedule_all(p_database text)
RETURNS integer
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT count(cron.unschedule(j.jobid))::integer
  FROM cron.job j
  WHERE pg_catalog.starts_with(j.jobname, p_database || '.') AND j.username = current_user
$fn$;
COMMENT ON FUNCTION missions_cron.unschedule_all(text) IS 'Unschedules every job named <database>.* owned by the caller.';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA missions_cron FROM PUBLIC;
