-- What the checkout no longer declares goes; nothing else is dropped. Every function file above ran
-- CREATE OR REPLACE in this transaction, which rewrote each declared function's catalog row (its xmin is
-- this transaction): a function of the engine's schemas with an older row is one the checkout removed or
-- whose signature changed. Functions that column defaults use (the clock) belong to the schema and stay.
-- Triggers and policies on the engine's tables that this migrate did not declare go too. The grants that
-- follow (990) rewrite every function's row, so this step runs before them.
DO $drop$
DECLARE
  v_xid bigint := pg_catalog.pg_current_xact_id()::text::bigint % 4294967296;
  o record;
BEGIN
  FOR o IN
    SELECT pg_catalog.format('DROP FUNCTION %s CASCADE', p.oid::regprocedure) AS ddl
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('missions', 'missions_private')
      AND p.xmin::text::bigint <> v_xid
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.refobjid = p.oid AND d.classid = 'pg_catalog.pg_attrdef'::regclass)
    UNION ALL
    SELECT pg_catalog.format('DROP TRIGGER %I ON %s', t.tgname, t.tgrelid::regclass)
    FROM pg_catalog.pg_trigger t
    JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'missions_private' AND NOT t.tgisinternal
      AND NOT missions_private.was_declared('trigger', t.tgrelid::regclass, t.tgname)
    UNION ALL
    SELECT pg_catalog.format('DROP POLICY %I ON %s', p.polname, p.polrelid::regclass)
    FROM pg_catalog.pg_policy p
    JOIN pg_catalog.pg_class c ON c.oid = p.polrelid
    JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE n.nspname = 'missions_private'
      AND NOT missions_private.was_declared('policy', p.polrelid::regclass, p.polname)
  LOOP
    RAISE NOTICE 'migrate: %', o.ddl;
    EXECUTE o.ddl;
  END LOOP;
END
$drop$;
