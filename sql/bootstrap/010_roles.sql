-- Database roles: the engine's owner, one role per principal kind, the app's login and the clock keeper.
-- Roles are cluster-wide, so they are created only when missing. This folder is applied by the login
-- that runs `missions db migrate` (a superuser, or a CREATEROLE login that is a member of missions_owner);
-- everything else (sql/schema, migrations/, sql/functions) then runs as missions_owner.
DO $roles$
DECLARE
  r text;
BEGIN
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'missions_owner') THEN
    -- Owns the engine's schemas, tables and functions; SECURITY DEFINER functions run as it. Never a
    -- superuser and never a login: migrations reach it with SET ROLE.
    CREATE ROLE missions_owner NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;
  END IF;
  FOREACH r IN ARRAY ARRAY['missions_participant', 'missions_admin', 'missions_mentor',
                           'missions_agent', 'missions_service', 'missions_timekeeper'] LOOP
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
      EXECUTE format('CREATE ROLE %I NOLOGIN', r);
    END IF;
  END LOOP;
  IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = 'missions_app') THEN
    -- The HTTP app and the worker log in as this role and SET LOCAL ROLE per request.
    CREATE ROLE missions_app LOGIN NOINHERIT;
  END IF;
END
$roles$;

GRANT missions_participant, missions_admin, missions_mentor, missions_agent, missions_service
  TO missions_app;
-- missions.health() (a definer function) reads pg_cron's setting cron.database_name and sees its launcher.
GRANT pg_read_all_settings, pg_read_all_stats TO missions_owner;
-- The login that migrates must be able to become the owner (a superuser already can).
DO $member$
BEGIN
  IF NOT (SELECT r.rolsuper FROM pg_catalog.pg_roles r WHERE r.rolname = current_user) THEN
    EXECUTE format('GRANT missions_owner TO %I', current_user);
  END IF;
END
$member$;
