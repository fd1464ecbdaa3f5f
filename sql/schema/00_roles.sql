-- Database roles, one per principal kind, plus the app's login role and the clock keeper.
-- Roles are cluster-wide, so they are created only when missing.
DO $roles$
DECLARE
  r text;
BEGIN
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
