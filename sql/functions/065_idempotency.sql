-- Idempotency keys for the writes a client may retry (submit, approve, fail, complete, respond,
-- deliver). Each such function takes an optional key, asks `replay` first and, when it did the work,
-- hands its answer to `remember`, in the same transaction:
--   * the same key again (after the first call committed) returns the first answer, no second effect;
--   * two calls racing with one key: the second blocks on the key's primary key until the first
--     commits, then replays its answer (or, if the first rolled back, does the work itself);
--   * a call that fails stores nothing (the key row rolls back with it), so a retry runs again;
--   * the same key with other arguments is refused with MS422.
-- Keys belong to the caller (principal, else session user) and the operation.

-- missions_private.idempotency_caller: whom an idempotency key belongs to: the bound principal, else the session user.
CREATE OR REPLACE FUNCTION missions_private.idempotency_caller() RETURNS text
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN coalesce(missions_private.current_principal_id()::text, session_user::text);
END
$fn$;
COMMENT ON FUNCTION missions_private.idempotency_caller() IS
  'The owner of an idempotency key: the acting principal''s id, or the session user when no principal is bound.';

-- missions_private.replay: the stored answer of an earlier call with this key, or NULL after reserving the key for this call.
CREATE OR REPLACE FUNCTION missions_private.replay(p_operation text, p_key text, p_request jsonb) RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller text := missions_private.idempotency_caller();
  v missions_private.idempotency_keys;
BEGIN
  IF p_key IS NULL THEN
    RETURN NULL;
  END IF;
  IF length(p_key) NOT BETWEEN 1 AND 200 THEN
    RAISE EXCEPTION 'an idempotency key is 1 to 200 characters' USING ERRCODE = 'MS422';
  END IF;
  -- a racing call with the same key holds this row's index entry: wait for it, then read its answer
  INSERT INTO missions_private.idempotency_keys (caller, operation, key, request)
  VALUES (v_caller, p_operation, p_key, p_request)
  ON CONFLICT DO NOTHING;
  IF FOUND THEN
    RETURN NULL;
  END IF;
  SELECT * INTO v FROM missions_private.idempotency_keys k
  WHERE k.caller = v_caller AND k.operation = p_operation AND k.key = p_key;
  IF v.request IS DISTINCT FROM p_request THEN
    RAISE EXCEPTION 'idempotency key "%" was used for a different % request', p_key, p_operation
      USING ERRCODE = 'MS422', HINT = 'use a new key for a new request';
  END IF;
  RETURN v.response;
END
$fn$;
COMMENT ON FUNCTION missions_private.replay(text, text, jsonb) IS
  'Idempotency: returns the first answer given for (caller, operation, key), or NULL after reserving the key (waits for a racing call); MS422 when the key was used with other arguments.';

-- missions_private.remember: stores the answer of the call that reserved the key, for its replays.
CREATE OR REPLACE FUNCTION missions_private.remember(p_operation text, p_key text, p_response jsonb) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_key IS NOT NULL THEN
    UPDATE missions_private.idempotency_keys k SET response = coalesce(p_response, 'null'::jsonb)
    WHERE k.caller = missions_private.idempotency_caller() AND k.operation = p_operation AND k.key = p_key;
  END IF;
END
$fn$;
COMMENT ON FUNCTION missions_private.remember(text, text, jsonb) IS
  'Idempotency: records the answer of the call that reserved (caller, operation, key); a no-op without a key.';

-- missions.purge_idempotency_keys: deletes idempotency keys older than the setting idempotency_key_ttl_hours (24); returns the count.
CREATE OR REPLACE FUNCTION missions.purge_idempotency_keys() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH gone AS (
    DELETE FROM missions_private.idempotency_keys k
    WHERE k.created_at < missions.now() - pg_catalog.make_interval(
      hours => missions_private.setting('idempotency_key_ttl_hours')::integer)
    RETURNING 1)
  SELECT count(*)::integer FROM gone
$fn$;
COMMENT ON FUNCTION missions.purge_idempotency_keys() IS
  'Job body: forgets idempotency keys older than idempotency_key_ttl_hours (default 24), so a retry after that runs again; returns the keys deleted.';
