-- Engine settings: the rows of missions_private.settings an admin may change, their defaults (written here
-- once) and the one accessor every rule reads them with.

INSERT INTO missions_private.settings (key, value) VALUES
  ('campaign_hashtag', '#Cycle28'),
  ('check_in_on_request', 'on'),
  ('idempotency_key_ttl_hours', '24'),
  ('evidence_max_bytes', '10485760'),
  ('evidence_max_files_per_subtask', '10'),
  ('evidence_content_types', 'application/json,application/pdf,application/zip,image/jpeg,image/png,text/csv,text/markdown,text/plain')
ON CONFLICT (key) DO NOTHING;

-- missions_private.setting: the value of an engine setting as text (NULL when the key is not set).
CREATE OR REPLACE FUNCTION missions_private.setting(p_key text) RETURNS text
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT s.value FROM missions_private.settings s WHERE s.key = p_key
$fn$;
COMMENT ON FUNCTION missions_private.setting(text) IS
  'The value of a missions_private.settings row as text, NULL when the key is not set; callers cast it (e.g. ::integer).';
