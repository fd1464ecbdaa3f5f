-- Migrate without stopping the world: triggers and policies are (re)created only when their definition
-- changed, because creating one locks its table against writers (a trigger: SHARE ROW EXCLUSIVE; a policy:
-- ACCESS EXCLUSIVE). Each carries the md5 of its definition in its comment; an unchanged one is left alone.
-- What this migrate declares is remembered (setting missions.migrate_declared) so that
-- 899_drop_removed_objects.sql can drop what the checkout no longer has.

-- missions_private.remember_declared: notes a trigger or policy this migrate declared (for the removal step).
CREATE OR REPLACE FUNCTION missions_private.remember_declared(p_kind text, p_table regclass, p_name name) RETURNS void
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.set_config('missions.migrate_declared',
    coalesce(pg_catalog.current_setting('missions.migrate_declared', true), '') || '|'
      || p_kind || ':' || p_table::text || ':' || p_name || '|', true)
$fn$;
COMMENT ON FUNCTION missions_private.remember_declared(text, regclass, name) IS
  'Migrate only: records that this transaction declared a trigger or policy (kind:table:name) in the transaction-local setting missions.migrate_declared.';

-- missions_private.was_declared: whether this migrate declared the trigger or policy.
CREATE OR REPLACE FUNCTION missions_private.was_declared(p_kind text, p_table regclass, p_name name) RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.strpos(coalesce(pg_catalog.current_setting('missions.migrate_declared', true), ''),
                           '|' || p_kind || ':' || p_table::text || ':' || p_name || '|') > 0
$fn$;
COMMENT ON FUNCTION missions_private.was_declared(text, regclass, name) IS
  'Migrate only: true when this transaction declared that trigger or policy (see remember_declared).';

-- missions_private.changed_declaration: notes a declared trigger or policy; its new comment mark when its definition changed, NULL when not.
CREATE OR REPLACE FUNCTION missions_private.changed_declaration(p_kind text, p_table regclass, p_name name,
                                                              p_definition text) RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_mark text := 'declared by migrate, md5 ' || pg_catalog.md5(p_definition);
  v_current text;
BEGIN
  PERFORM missions_private.remember_declared(p_kind, p_table, p_name);
  IF p_kind = 'trigger' THEN
    SELECT pg_catalog.obj_description(t.oid, 'pg_trigger') INTO v_current
    FROM pg_catalog.pg_trigger t WHERE t.tgrelid = p_table AND t.tgname = p_name;
  ELSE
    SELECT pg_catalog.obj_description(p.oid, 'pg_policy') INTO v_current
    FROM pg_catalog.pg_policy p WHERE p.polrelid = p_table AND p.polname = p_name;
  END IF;
  RETURN CASE WHEN v_current IS NOT DISTINCT FROM v_mark THEN NULL ELSE v_mark END;
END
$fn$;
COMMENT ON FUNCTION missions_private.changed_declaration(text, regclass, name, text) IS
  'Migrate only: records the trigger or policy as declared and returns the md5 mark to comment it with when its definition differs from the one it carries, NULL when unchanged.';

-- missions_private.ensure_trigger: creates or replaces a trigger only when its definition changed; true when it did.
CREATE OR REPLACE FUNCTION missions_private.ensure_trigger(p_table regclass, p_name name, p_ddl text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_mark text := missions_private.changed_declaration('trigger', p_table, p_name, p_ddl);
BEGIN
  IF v_mark IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE p_ddl;
  EXECUTE pg_catalog.format('COMMENT ON TRIGGER %I ON %s IS %L', p_name, p_table, v_mark);
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION missions_private.ensure_trigger(regclass, name, text) IS
  'Migrate only: runs a CREATE OR REPLACE TRIGGER unless the trigger already carries that definition''s md5 (so no table lock is taken for an unchanged trigger).';

-- missions_private.ensure_policy: (re)creates a row-level security policy only when its definition changed; true when it did.
CREATE OR REPLACE FUNCTION missions_private.ensure_policy(p_table regclass, p_name name, p_definition text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_mark text := missions_private.changed_declaration('policy', p_table, p_name, p_definition);
BEGIN
  IF v_mark IS NULL THEN
    RETURN false;
  END IF;
  EXECUTE pg_catalog.format('DROP POLICY IF EXISTS %I ON %s', p_name, p_table);
  EXECUTE pg_catalog.format('CREATE POLICY %I ON %s %s', p_name, p_table, p_definition);
  EXECUTE pg_catalog.format('COMMENT ON POLICY %I ON %s IS %L', p_name, p_table, v_mark);
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION missions_private.ensure_policy(regclass, name, text) IS
  'Migrate only: creates policy p_name on the table with p_definition (FOR … TO … USING …) unless it already carries that definition''s md5.';
