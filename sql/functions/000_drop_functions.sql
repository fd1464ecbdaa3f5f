-- Every migrate re-creates the engine's functions from this folder, so the database carries exactly
-- the functions of the checkout (changed signatures and removed functions included). Dropping
-- CASCADE also drops the triggers and policies built on them; the files after this one re-create them.
-- Functions that column defaults use (the clock) belong to the schema and are kept.
DO $drop$
DECLARE
  f regprocedure;
BEGIN
  FOR f IN
    SELECT p.oid::regprocedure
    FROM pg_catalog.pg_proc p
    JOIN pg_catalog.pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname IN ('missions', 'missions_private')
      AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d
                      WHERE d.refobjid = p.oid AND d.classid = 'pg_catalog.pg_attrdef'::regclass)
  LOOP
    EXECUTE format('DROP FUNCTION %s CASCADE', f);
  END LOOP;
END
$drop$;
