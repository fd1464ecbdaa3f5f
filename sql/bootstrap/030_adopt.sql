-- Databases built before missions_owner existed: hand every engine object (schemas, tables, sequences,
-- types, functions, queues) and yoyo's bookkeeping to the owner. A no-op once the owner has them.
DO $adopt$
DECLARE
  o record;
BEGIN
  FOR o IN
    SELECT format('ALTER SCHEMA %I OWNER TO missions_owner', n.nspname) AS ddl
    FROM pg_catalog.pg_namespace n
    WHERE n.nspname IN ('missions', 'missions_private') AND n.nspowner <> 'missions_owner'::regrole
    UNION ALL
    SELECT format('ALTER TABLE %s OWNER TO missions_owner', c.oid::regclass)
    FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND c.relowner <> 'missions_owner'::regrole
      AND (n.nspname IN ('missions', 'missions_private')
           OR (n.nspname = 'pgmq' AND c.relname ~ '^[qa]_(mission_events|external_events|agent_work|webhook_deliveries)$')
           OR (n.nspname = 'public' AND (c.relname LIKE '\_yoyo%' OR c.relname = 'yoyo_lock')))
    UNION ALL
    SELECT format('ALTER FUNCTION %s OWNER TO missions_owner', p.oid::regprocedure)
    FROM pg_catalog.pg_proc p JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('missions', 'missions_private') AND p.proowner <> 'missions_owner'::regrole
    UNION ALL
    SELECT format('ALTER TYPE %s OWNER TO missions_owner', t.oid::regtype)
    FROM pg_catalog.pg_type t JOIN pg_catalog.pg_namespace n ON n.oid = t.typnamespace
    WHERE n.nspname IN ('missions', 'missions_private') AND t.typowner <> 'missions_owner'::regrole
      AND t.typtype IN ('c', 'd', 'e')
      AND (t.typrelid = 0 OR (SELECT c.relkind FROM pg_catalog.pg_class c WHERE c.oid = t.typrelid) = 'c')
  LOOP
    EXECUTE o.ddl;
  END LOOP;
END
$adopt$;
