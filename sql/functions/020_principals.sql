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
