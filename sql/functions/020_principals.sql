-- Principals: creation with validated attributes, and reading them back.

-- missions_private.assert_timezone: raises MS422 unless p_tz is an IANA time zone PostgreSQL knows.
CREATE OR REPLACE FUNCTION missions_private.assert_timezone(p_tz text) RETURNS void
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM pg_catalog.now() AT TIME ZONE p_tz;
EXCEPTION WHEN invalid_parameter_value THEN
  RAISE EXCEPTION 'unknown time zone "%"', p_tz
    USING ERRCODE = 'MS422', HINT = 'Use an IANA time zone name such as Europe/Paris.';
END
$fn$;
COMMENT ON FUNCTION missions_private.assert_timezone(text) IS 'Raises MS422 unless the argument is a time zone PostgreSQL knows.';

-- missions.create_principal: creates a participant, admin, mentor, agent or service and returns its id.
CREATE OR REPLACE FUNCTION missions.create_principal(p_role text, p_display_name text, p_attrs jsonb DEFAULT '{}')
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_attrs jsonb := coalesce(p_attrs, '{}');
  v_unknown text;
  v_id uuid;
BEGIN
  IF p_role IS NULL OR p_role NOT IN ('participant', 'admin', 'mentor', 'agent', 'service') THEN
    RAISE EXCEPTION 'role must be one of participant, admin, mentor, agent, service (got %)', coalesce(p_role, 'null')
      USING ERRCODE = 'MS422';
  END IF;
  IF missions_private.clean_text(p_display_name) IS NULL THEN
    RAISE EXCEPTION 'display name is required' USING ERRCODE = 'MS422';
  END IF;
  IF pg_catalog.jsonb_typeof(v_attrs) <> 'object' THEN
    RAISE EXCEPTION 'attrs must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown
  FROM pg_catalog.jsonb_object_keys(v_attrs) AS k
  WHERE k NOT IN ('level', 'tier', 'timezone', 'cohort', 'db_role', 'paused', 'extra');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown attribute(s): %', v_unknown
      USING ERRCODE = 'MS422', HINT = 'Allowed: level, tier, timezone, cohort, db_role, paused, extra.';
  END IF;
  IF v_attrs ? 'level' AND v_attrs->>'level' NOT IN
     ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED', 'L4_EARNER', 'L5_CATALYST') THEN
    RAISE EXCEPTION 'level must be one of L0_APPLICANT … L5_CATALYST (got %)', v_attrs->>'level'
      USING ERRCODE = 'MS422';
  END IF;
  IF v_attrs ? 'tier' AND v_attrs->>'tier' NOT IN ('FREE', 'STARTER', 'PREMIUM') THEN
    RAISE EXCEPTION 'tier must be one of FREE, STARTER, PREMIUM (got %)', v_attrs->>'tier'
      USING ERRCODE = 'MS422';
  END IF;
  PERFORM missions_private.assert_timezone(coalesce(v_attrs->>'timezone', 'UTC'));
  IF v_attrs ? 'db_role' AND NOT EXISTS (SELECT FROM pg_catalog.pg_roles r WHERE r.rolname = v_attrs->>'db_role') THEN
    RAISE EXCEPTION 'database role "%" does not exist', v_attrs->>'db_role' USING ERRCODE = 'MS422';
  END IF;

  INSERT INTO missions_private.principals (role, display_name, level, tier, timezone, cohort, paused, db_role, attrs)
  VALUES (p_role, missions_private.clean_text(p_display_name),
          coalesce(v_attrs->>'level', 'L0_APPLICANT'), coalesce(v_attrs->>'tier', 'FREE'),
          coalesce(v_attrs->>'timezone', 'UTC'), v_attrs->>'cohort',
          coalesce((v_attrs->>'paused')::boolean, false), v_attrs->>'db_role',
          coalesce(v_attrs->'extra', '{}'))
  RETURNING id INTO v_id;
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION missions.create_principal(text, text, jsonb) IS
  'Creates a principal; attrs: level, tier, timezone (IANA), cohort, db_role (login role for direct SQL), paused, extra (object).';

-- missions.principal: one principal as the caller may see it (participants, mentors and agents see only themselves).
CREATE OR REPLACE FUNCTION missions.principal(p_id uuid)
RETURNS missions_private.principals
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.principals;
BEGIN
  SELECT * INTO v FROM missions_private.principals p WHERE p.id = p_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'principal % not found', p_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.principal(uuid) IS 'Returns one principal; row-level security hides the ones the caller may not see (MS404).';

-- missions.whoami: the calling principal.
CREATE OR REPLACE FUNCTION missions.whoami()
RETURNS missions_private.principals
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid := missions_private.current_principal_id();
BEGIN
  IF v_id IS NULL THEN
    RAISE EXCEPTION 'no principal is bound to this session' USING ERRCODE = 'MS401';
  END IF;
  RETURN missions.principal(v_id);
END
$fn$;
COMMENT ON FUNCTION missions.whoami() IS 'Returns the calling principal (MS401 when the session has none).';

-- missions.enroll_principal: creates a principal and its first API key; returns {"principal": row, "api_key": key}.
CREATE OR REPLACE FUNCTION missions.enroll_principal(
  p_role text, p_display_name text, p_attrs jsonb DEFAULT '{}', p_key_label text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid := missions.create_principal(p_role, p_display_name, p_attrs);
  v_key text := missions.create_api_key(v_id, p_key_label);
BEGIN
  RETURN pg_catalog.jsonb_build_object(
    'principal', (SELECT pg_catalog.to_jsonb(p) FROM missions_private.principals p WHERE p.id = v_id),
    'api_key', v_key);
END
$fn$;
COMMENT ON FUNCTION missions.enroll_principal(text, text, jsonb, text) IS
  'Creates a principal and its first API key in one call; returns {"principal": {...}, "api_key": "mk_..."}.';

-- missions_private.principal_change_keys: the attributes missions.update_principal changes (participants: their own display_name and timezone).
CREATE OR REPLACE FUNCTION missions_private.principal_change_keys() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT ARRAY['display_name', 'level', 'tier', 'timezone', 'cohort', 'active', 'paused']
$fn$;
COMMENT ON FUNCTION missions_private.principal_change_keys() IS
  'The attributes update_principal accepts: display_name, level, tier, timezone, cohort, active, paused.';

-- missions_private.deactivate_principal: revokes a principal's API keys and releases the live leases it holds (agent steps, mentor reviews).
CREATE OR REPLACE FUNCTION missions_private.deactivate_principal(p_id uuid, OUT revoked_keys integer, OUT released_claims integer)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v_now timestamptz := missions.now();
BEGIN
  WITH revoked AS (
    UPDATE missions_private.api_keys k SET revoked_at = v_now
    WHERE k.principal_id = p_id AND k.revoked_at IS NULL
    RETURNING k.id
  )
  SELECT count(*) INTO revoked_keys FROM revoked;
  -- a live lease goes back to the queue as release_step does (the attempt is not counted, the lease is
  -- cleared by the step trigger); an expired one is already free for others and is left to expire_claims
  v_sealed := missions_private.set_transition_context(
    pg_catalog.jsonb_build_object('reason', 'principal deactivated', 'principal_id', p_id));
  WITH released AS (
    UPDATE missions_private.steps s
    SET status = 'ready', ready_at = v_now, attempt = s.attempt - 1
    WHERE s.status = 'in_progress' AND s.leased_by = p_id AND s.lease_expires_at > v_now
    RETURNING s.id
  )
  SELECT count(*) INTO released_claims FROM released;
  PERFORM missions_private.clear_transition_context();
END
$fn$;
COMMENT ON FUNCTION missions_private.deactivate_principal(uuid) IS
  'Deactivation''s effects: revokes every unrevoked API key of the principal and puts the steps it holds a live lease on (agent steps, mentor reviews) back to ready; returns the counts.';

-- missions.update_principal: changes level, tier, timezone, cohort, display name, active or paused; one event per change.
CREATE OR REPLACE FUNCTION missions.update_principal(p_id uuid, p_attrs jsonb)
RETURNS missions_private.principals
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
  v_staff boolean := v_caller IS NULL OR missions_private.current_principal_role() IN ('admin', 'service');
  v_unknown text;
  v_forbidden text;
  v_bad text;
  v_old missions_private.principals;
  v_new missions_private.principals;
  v_revoked integer;
  v_released integer;
BEGIN
  IF NOT v_staff AND (v_caller IS DISTINCT FROM p_id
                      OR missions_private.current_principal_role() IS DISTINCT FROM 'participant') THEN
    RAISE EXCEPTION 'only admins and services change principals; a participant only their own display name and time zone'
      USING ERRCODE = 'MS403';
  END IF;
  IF p_attrs IS NULL OR pg_catalog.jsonb_typeof(p_attrs) <> 'object' THEN
    RAISE EXCEPTION 'the changes must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown FROM pg_catalog.jsonb_object_keys(p_attrs) k
  WHERE k <> ALL (missions_private.principal_change_keys());
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown attribute(s): %', v_unknown USING ERRCODE = 'MS422',
      HINT = 'Allowed: display_name, level, tier, timezone, cohort, active, paused.';
  END IF;
  IF NOT v_staff THEN
    SELECT string_agg(k, ', ' ORDER BY k) INTO v_forbidden FROM pg_catalog.jsonb_object_keys(p_attrs) k
    WHERE k NOT IN ('display_name', 'timezone');
    IF v_forbidden IS NOT NULL THEN
      RAISE EXCEPTION 'a participant changes only their own display name and time zone (not %)', v_forbidden
        USING ERRCODE = 'MS403';
    END IF;
  END IF;
  -- the values: each present key must have its type and domain (cohort null or blank clears it)
  SELECT string_agg(k, ', ' ORDER BY k) INTO v_bad FROM pg_catalog.jsonb_each(p_attrs) e(k, v)
  WHERE CASE k WHEN 'active' THEN pg_catalog.jsonb_typeof(v) <> 'boolean'
               WHEN 'paused' THEN pg_catalog.jsonb_typeof(v) <> 'boolean'
               WHEN 'cohort' THEN pg_catalog.jsonb_typeof(v) NOT IN ('string', 'null')
               ELSE pg_catalog.jsonb_typeof(v) <> 'string' END;
  IF v_bad IS NOT NULL THEN
    RAISE EXCEPTION 'wrong type for: % (active and paused are booleans, cohort a string or null, the rest strings)', v_bad
      USING ERRCODE = 'MS422';
  END IF;
  IF p_attrs ? 'display_name' AND (missions_private.clean_text(p_attrs->>'display_name') IS NULL
                                   OR length(missions_private.clean_text(p_attrs->>'display_name')) > 200) THEN
    RAISE EXCEPTION 'display name must be 1..200 characters' USING ERRCODE = 'MS422';
  END IF;
  IF p_attrs ? 'level' AND p_attrs->>'level' NOT IN
     ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED', 'L4_EARNER', 'L5_CATALYST') THEN
    RAISE EXCEPTION 'level must be one of L0_APPLICANT … L5_CATALYST (got %)', p_attrs->>'level' USING ERRCODE = 'MS422';
  END IF;
  IF p_attrs ? 'tier' AND p_attrs->>'tier' NOT IN ('FREE', 'STARTER', 'PREMIUM') THEN
    RAISE EXCEPTION 'tier must be one of FREE, STARTER, PREMIUM (got %)', p_attrs->>'tier' USING ERRCODE = 'MS422';
  END IF;
  IF p_attrs ? 'timezone' THEN
    IF length(p_attrs->>'timezone') > 64 THEN
      RAISE EXCEPTION 'time zone names are at most 64 characters' USING ERRCODE = 'MS422';
    END IF;
    PERFORM missions_private.assert_timezone(p_attrs->>'timezone');
  END IF;
  IF length(missions_private.clean_text(p_attrs->>'cohort')) > 100 THEN
    RAISE EXCEPTION 'cohort is at most 100 characters' USING ERRCODE = 'MS422';
  END IF;

  -- the row lock serializes concurrent changes of one principal: each reads the other's result as its old value
  -- (NO KEY UPDATE: a concurrent step completion's foreign-key check on the principal does not wait for it)
  SELECT * INTO v_old FROM missions_private.principals p WHERE p.id = p_id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'principal % not found', p_id USING ERRCODE = 'MS404';
  END IF;
  v_new := v_old;
  IF p_attrs ? 'display_name' THEN v_new.display_name := missions_private.clean_text(p_attrs->>'display_name'); END IF;
  IF p_attrs ? 'level' THEN v_new.level := p_attrs->>'level'; END IF;
  IF p_attrs ? 'tier' THEN v_new.tier := p_attrs->>'tier'; END IF;
  IF p_attrs ? 'timezone' THEN v_new.timezone := p_attrs->>'timezone'; END IF;
  IF p_attrs ? 'cohort' THEN v_new.cohort := missions_private.clean_text(p_attrs->>'cohort'); END IF;
  IF p_attrs ? 'active' THEN v_new.active := (p_attrs->>'active')::boolean; END IF;
  IF p_attrs ? 'paused' THEN v_new.paused := (p_attrs->>'paused')::boolean; END IF;
  IF v_new IS NOT DISTINCT FROM v_old THEN
    RETURN v_old;  -- nothing changes: no write, no event
  END IF;

  UPDATE missions_private.principals p
  SET display_name = v_new.display_name, level = v_new.level, tier = v_new.tier, timezone = v_new.timezone,
      cohort = v_new.cohort, active = v_new.active, paused = v_new.paused
  WHERE p.id = p_id;
  IF v_old.active AND NOT v_new.active THEN
    SELECT d.revoked_keys, d.released_claims INTO v_revoked, v_released
    FROM missions_private.deactivate_principal(p_id) d;
  END IF;
  IF v_new.level IS DISTINCT FROM v_old.level THEN
    PERFORM missions_private.post_level_up(p_id, v_old.level, v_new.level);  -- a participant's rise is a wall post, once per level
  END IF;

  INSERT INTO missions_private.events (type, participant_id, actor_id, payload)
  SELECT c.type, CASE WHEN v_old.role = 'participant' THEN p_id END, v_caller,
         pg_catalog.jsonb_build_object('principal_id', p_id, 'role', v_old.role, 'old', c.old, 'new', c.new,
                                       'changed_by', v_caller) || c.extra
  FROM (VALUES
    (1, 'principal.renamed', to_jsonb(v_old.display_name), to_jsonb(v_new.display_name), '{}'::jsonb),
    (2, 'principal.level_changed', to_jsonb(v_old.level), to_jsonb(v_new.level), '{}'),
    (3, 'principal.tier_changed', to_jsonb(v_old.tier), to_jsonb(v_new.tier), '{}'),
    (4, 'principal.timezone_changed', to_jsonb(v_old.timezone), to_jsonb(v_new.timezone), '{}'),
    (5, 'principal.cohort_changed', to_jsonb(v_old.cohort), to_jsonb(v_new.cohort), '{}'),
    (6, CASE WHEN v_new.paused THEN 'principal.paused' ELSE 'principal.unpaused' END,
        to_jsonb(v_old.paused), to_jsonb(v_new.paused), '{}'),
    (7, CASE WHEN v_new.active THEN 'principal.reactivated' ELSE 'principal.deactivated' END,
        to_jsonb(v_old.active), to_jsonb(v_new.active),
        CASE WHEN v_new.active THEN '{}'::jsonb
             ELSE pg_catalog.jsonb_build_object('revoked_keys', v_revoked, 'released_claims', v_released) END)
  ) AS c(ord, type, old, new, extra)
  WHERE c.old IS DISTINCT FROM c.new
  ORDER BY c.ord;

  SELECT * INTO v_new FROM missions_private.principals p WHERE p.id = p_id;
  RETURN v_new;
END
$fn$;
COMMENT ON FUNCTION missions.update_principal(uuid, jsonb) IS
  'Changes a principal (admins, services; a participant only their own display_name and timezone, MS403 otherwise): attrs display_name, level, tier, timezone, cohort (null clears), active, paused; MS422 unknown key or bad value, MS404 unknown principal. One principal.* event per changed attribute; a participant''s level increase is a wall achievement post; deactivation revokes the API keys and releases live leases. Returns the row.';

-- missions.search_principals: principals by role, cohort, level, active and display-name text, by name, a page at a time (key: display_name, id).
CREATE OR REPLACE FUNCTION missions.search_principals(
  p_role text DEFAULT NULL, p_cohort text DEFAULT NULL, p_level text DEFAULT NULL, p_active boolean DEFAULT NULL,
  p_q text DEFAULT NULL, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.principals
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['display_name', 'id']);
  v_name text := coalesce(v_after->>'display_name', '');  -- '' sorts before every name (names are never empty)
  v_id uuid := coalesce((v_after->>'id')::uuid, '00000000-0000-0000-0000-000000000000');
  v_q text := missions_private.clean_text(p_q);
  v_pattern text;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_role IS NOT NULL AND p_role NOT IN ('participant', 'admin', 'mentor', 'agent', 'service') THEN
    RAISE EXCEPTION 'role must be one of participant, admin, mentor, agent, service (got %)', p_role USING ERRCODE = 'MS422';
  END IF;
  IF p_level IS NOT NULL AND p_level NOT IN
     ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED', 'L4_EARNER', 'L5_CATALYST') THEN
    RAISE EXCEPTION 'level must be one of L0_APPLICANT … L5_CATALYST (got %)', p_level USING ERRCODE = 'MS422';
  END IF;
  IF length(v_q) > 200 OR length(p_cohort) > 100 THEN
    RAISE EXCEPTION 'the search text is at most 200 characters, the cohort 100' USING ERRCODE = 'MS422';
  END IF;
  -- a case-insensitive substring: LIKE's wildcards in the text match themselves
  v_pattern := '%' || pg_catalog.replace(pg_catalog.replace(pg_catalog.replace(v_q, '\', '\\'), '%', '\%'), '_', '\_') || '%';
  RETURN QUERY
  SELECT p.* FROM missions_private.principals p
  WHERE (p.display_name, p.id) > (v_name, v_id)
    AND (p_role IS NULL OR p.role = p_role)
    AND (p_cohort IS NULL OR p.cohort = p_cohort)
    AND (p_level IS NULL OR p.level = p_level)
    AND (p_active IS NULL OR p.active = p_active)
    AND (v_q IS NULL OR p.display_name ILIKE v_pattern)
  ORDER BY p.display_name, p.id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.search_principals(text, text, text, boolean, text, integer, jsonb) IS
  'Staff only: principals filtered by role, cohort, level, active and a case-insensitive substring of the display name (q), ordered by (display_name, id), paged.';
