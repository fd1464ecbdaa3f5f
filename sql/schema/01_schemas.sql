-- Schemas as modules: `missions` holds the public SQL API (functions callers use);
-- `missions_private` holds tables and helpers, reached only through the API.
CREATE SCHEMA missions;
COMMENT ON SCHEMA missions IS 'Mission engine: the public SQL API. Callers use only these functions.';
CREATE SCHEMA missions_private;
COMMENT ON SCHEMA missions_private IS 'Mission engine: tables and helpers behind the API.';

GRANT USAGE ON SCHEMA missions TO missions_participant, missions_admin, missions_mentor,
  missions_agent, missions_service, missions_app;
-- Invoker functions read tables under the caller's role; row-level security decides which rows.
GRANT USAGE ON SCHEMA missions_private TO missions_participant, missions_admin, missions_mentor,
  missions_agent, missions_service;

-- New functions are not executable by PUBLIC; grants are given per function.
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
