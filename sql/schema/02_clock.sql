-- The engine's clock lives with the schema because column defaults read it.

-- missions.now: the engine's clock; honours the setting missions.now for timekeepers (tests, simulations).
-- PL/pgSQL rather than SQL: called on every write (defaults, triggers), and a PL/pgSQL body is planned
-- once per session while a non-inlinable SQL body is planned again on every call.
CREATE FUNCTION missions.now() RETURNS timestamptz
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN CASE
    WHEN pg_catalog.pg_has_role(session_user, 'missions_timekeeper', 'MEMBER')
      THEN coalesce(nullif(pg_catalog.current_setting('missions.now', true), '')::timestamptz,
                    pg_catalog.now())
    ELSE pg_catalog.now()
  END;
END
$fn$;
COMMENT ON FUNCTION missions.now() IS
  'The engine clock: now(), or the setting missions.now when the session user is a timekeeper (superusers are).';
