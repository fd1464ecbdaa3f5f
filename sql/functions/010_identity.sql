-- Who is calling: the principal behind this transaction, and the role checks built on it.

-- missions_private.current_principal_id: the acting principal (set by the app for its login role, else bound by db_role).
-- (PL/pgSQL so that its plan is cached per session: it runs several times in every call of the API.)
CREATE OR REPLACE FUNCTION missions_private.current_principal_id() RETURNS uuid
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF pg_catalog.pg_has_role(session_user, 'missions_app', 'MEMBER') THEN
    RETURN nullif(pg_catalog.current_setting('missions.principal_id', true), '')::uuid;
  END IF;
  RETURN (SELECT p.id FROM missions_private.principals p WHERE p.db_role = session_user::text AND p.active);
END
$fn$;
COMMENT ON FUNCTION missions_private.current_principal_id() IS
  'The acting principal: the app''s setting missions.principal_id when the session user is the app (or a superuser), otherwise the principal bound to the login role.';

-- missions.authenticate: resolves a bearer API key to its active principal and database role (no row when invalid);
-- a participant's first request of their local day also checks them in (setting check_in_on_request).
CREATE OR REPLACE FUNCTION missions.authenticate(p_key text)
RETURNS TABLE (principal_id uuid, role text, db_role text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid;
  v_role text;
  v_due boolean;
BEGIN
  -- one row by the key's prefix; the check-in test is one comparison with the progress row (its primary key)
  SELECT p.id, p.role,
         p.role = 'participant' AND NOT p.paused
         AND (pp.last_check_in IS NULL OR pp.last_check_in < missions_private.local_day(p.timezone, missions.now()))
  INTO v_id, v_role, v_due
  FROM missions_private.api_keys k
  JOIN missions_private.principals p ON p.id = k.principal_id
  LEFT JOIN missions_private.participant_progress pp ON pp.participant_id = p.id
  WHERE p_key LIKE 'mk\_%\_%'
    AND k.prefix = pg_catalog.split_part(p_key, '_', 2)
    AND k.secret_hash = pg_catalog.sha256(pg_catalog.convert_to(p_key, 'UTF8'))
    AND k.revoked_at IS NULL
    AND p.active;
  IF v_id IS NULL THEN
    RETURN;
  END IF;
  IF v_due AND missions_private.setting('check_in_on_request') = 'on' THEN
    PERFORM missions_private.record_check_in(v_id, true);
  END IF;
  RETURN QUERY SELECT v_id, v_role, 'missions_' || v_role;
END
$fn$;
COMMENT ON FUNCTION missions.authenticate(text) IS
  'Resolves a bearer API key to (principal_id, role, db_role); no row for an unknown, revoked or inactive key. A participant''s first call of their local day checks them in (setting check_in_on_request, default on; not paused ones).';

-- missions.create_api_key: creates an API key for a principal and returns it once (only its hash is kept).
CREATE OR REPLACE FUNCTION missions.create_api_key(p_principal_id uuid, p_label text DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_prefix text := pg_catalog.substr(pg_catalog.replace(gen_random_uuid()::text, '-', ''), 1, 12);
  v_key text;
BEGIN
  IF NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id = p_principal_id) THEN
    RAISE EXCEPTION 'principal % not found', p_principal_id
      USING ERRCODE = 'MS404', HINT = 'Create the principal first with missions.create_principal.';
  END IF;
  v_key := 'mk_' || v_prefix || '_'
        || pg_catalog.replace(gen_random_uuid()::text, '-', '')
        || pg_catalog.replace(gen_random_uuid()::text, '-', '');
  INSERT INTO missions_private.api_keys (principal_id, prefix, secret_hash, label)
  VALUES (p_principal_id, v_prefix, pg_catalog.sha256(pg_catalog.convert_to(v_key, 'UTF8')), p_label);
  RETURN v_key;
END
$fn$;
COMMENT ON FUNCTION missions.create_api_key(uuid, text) IS
  'Creates a bearer API key (mk_<prefix>_<secret>) for the principal and returns it once; only sha256 of it is stored.';

-- missions.revoke_api_key: revokes a key by id (idempotent) and returns the key's public record.
CREATE OR REPLACE FUNCTION missions.revoke_api_key(p_key_id uuid)
RETURNS TABLE (id uuid, principal_id uuid, prefix text, label text, created_at timestamptz, revoked_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  UPDATE missions_private.api_keys k
  SET revoked_at = coalesce(k.revoked_at, missions.now())
  WHERE k.id = p_key_id
  RETURNING k.id, k.principal_id, k.prefix, k.label, k.created_at, k.revoked_at;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'API key % not found', p_key_id USING ERRCODE = 'MS404';
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions.revoke_api_key(uuid) IS
  'Revokes an API key by id; revoking twice keeps the first revocation time.';

-- missions.api_keys: the keys of a principal, without secrets, oldest first, a page at a time (key: created_at, id).
CREATE OR REPLACE FUNCTION missions.api_keys(p_principal_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS TABLE (id uuid, principal_id uuid, prefix text, label text, created_at timestamptz, revoked_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, '-infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, '00000000-0000-0000-0000-000000000000');
BEGIN
  IF NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id = p_principal_id) THEN
    RAISE EXCEPTION 'principal % not found', p_principal_id USING ERRCODE = 'MS404';
  END IF;
  RETURN QUERY
  SELECT k.id, k.principal_id, k.prefix, k.label, k.created_at, k.revoked_at
  FROM missions_private.api_keys k
  WHERE k.principal_id = p_principal_id AND (k.created_at, k.id) > (v_created, v_id)
  ORDER BY k.created_at, k.id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.api_keys(uuid, integer, jsonb) IS
  'Lists a principal''s API keys (id, prefix, label, created, revoked), never their secrets; paged by (created_at, id).';
