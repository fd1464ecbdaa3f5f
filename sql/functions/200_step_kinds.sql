-- Step kinds and their daily quotas.

INSERT INTO missions_private.step_kinds (kind, trusted) VALUES
  ('task', true), ('health_check', true), ('log_analysis', true), ('documentation', false),
  ('code_generation', false), ('testing', false), ('backup', false)
ON CONFLICT (kind) DO NOTHING;

-- The review kinds: a learning mission's AI review (claimed by agents, lease 5 minutes) and mentor review
-- (claimed by mentors, lease one day); both run while their mission is submitted.
INSERT INTO missions_private.step_kinds (kind, trusted, claim_ttl_seconds, max_attempts, backoff_seconds, claimant, review)
VALUES ('ai_review', true, 300, 3, 10, 'agent', true),
       ('mentor_review', true, 86400, 100, 0, 'mentor', true)
ON CONFLICT (kind) DO UPDATE SET claimant = excluded.claimant, review = excluded.review;

-- missions.upsert_step_kind: creates or changes a step kind (trusted, daily_quota, claim_ttl_seconds, max_attempts, backoff_seconds).
CREATE OR REPLACE FUNCTION missions.upsert_step_kind(p_kind text, p_spec jsonb DEFAULT '{}')
RETURNS missions_private.step_kinds
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_spec jsonb := coalesce(p_spec, '{}');
  v_unknown text;
  v_field text;
  v missions_private.step_kinds;
BEGIN
  IF pg_catalog.jsonb_typeof(v_spec) <> 'object' THEN
    RAISE EXCEPTION 'the step kind spec must be a JSON object' USING ERRCODE = 'MS422';
  END IF;
  SELECT string_agg(k, ', ') INTO v_unknown FROM pg_catalog.jsonb_object_keys(v_spec) k
  WHERE k NOT IN ('trusted', 'daily_quota', 'claim_ttl_seconds', 'max_attempts', 'backoff_seconds');
  IF v_unknown IS NOT NULL THEN
    RAISE EXCEPTION 'unknown step kind field(s): %', v_unknown USING ERRCODE = 'MS422';
  END IF;
  -- the defaults live in the table only: a new kind starts from them, and a field given as null goes back to its default
  INSERT INTO missions_private.step_kinds (kind) VALUES (p_kind) ON CONFLICT (kind) DO NOTHING;
  FOR v_field IN SELECT e.key FROM pg_catalog.jsonb_each(v_spec) e WHERE e.value = 'null'::jsonb LOOP
    EXECUTE pg_catalog.format('UPDATE missions_private.step_kinds SET %I = DEFAULT WHERE kind = $1', v_field) USING p_kind;
  END LOOP;
  UPDATE missions_private.step_kinds s SET
    trusted = coalesce((v_spec->>'trusted')::boolean, s.trusted),
    daily_quota = coalesce((v_spec->>'daily_quota')::integer, s.daily_quota),
    claim_ttl_seconds = coalesce((v_spec->>'claim_ttl_seconds')::integer, s.claim_ttl_seconds),
    max_attempts = coalesce((v_spec->>'max_attempts')::integer, s.max_attempts),
    backoff_seconds = coalesce((v_spec->>'backoff_seconds')::integer, s.backoff_seconds)
  WHERE s.kind = p_kind
  RETURNING * INTO v;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.upsert_step_kind(text, jsonb) IS
  'Creates or updates a step kind: trusted (auto-approval), daily_quota (NULL = unlimited), claim_ttl_seconds, max_attempts, backoff_seconds; a field left out keeps its value (a new kind: the table''s defaults), a field given as null goes back to its default.';

-- missions.step_kinds: step kinds with today's remaining quota, by kind, paged (key: kind).
CREATE OR REPLACE FUNCTION missions.step_kinds(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS TABLE (kind text, trusted boolean, daily_quota integer, claim_ttl_seconds integer, max_attempts integer,
               backoff_seconds integer, remaining_today integer)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_kind text := coalesce(missions_private.page_after(p_after, ARRAY['kind'])->>'kind', '');
BEGIN
  RETURN QUERY
  SELECT s.kind, s.trusted, s.daily_quota, s.claim_ttl_seconds, s.max_attempts, s.backoff_seconds,
         s.daily_quota - coalesce(u.used, 0)
  FROM missions_private.step_kinds s
  LEFT JOIN missions_private.quota_usage u ON u.kind = s.kind AND u.day = (missions.now() AT TIME ZONE 'UTC')::date
  WHERE s.kind > v_kind
  ORDER BY s.kind
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.step_kinds(integer, jsonb) IS
  'Step kinds and the claims each has left today (NULL = unlimited), by kind; a page of p_limit (1..200) after the key {"kind"}.';

-- missions.check_quota: claims of a kind still allowed today (UTC day); NULL when the kind is unlimited.
CREATE OR REPLACE FUNCTION missions.check_quota(p_kind text) RETURNS integer
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_left integer;
BEGIN
  SELECT s.daily_quota - coalesce(u.used, 0) INTO v_left
  FROM missions_private.step_kinds s
  LEFT JOIN missions_private.quota_usage u ON u.kind = s.kind AND u.day = (missions.now() AT TIME ZONE 'UTC')::date
  WHERE s.kind = p_kind;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step kind % not found', p_kind USING ERRCODE = 'MS404';
  END IF;
  RETURN v_left;
END
$fn$;
COMMENT ON FUNCTION missions.check_quota(text) IS 'Claims of the kind still allowed today (UTC); NULL means unlimited.';

-- missions_private.take_quota: uses one claim of a kind's daily quota; false when exhausted (same transaction as the claim).
CREATE OR REPLACE FUNCTION missions_private.take_quota(p_kind text) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_quota integer;
  v_day date := (missions.now() AT TIME ZONE 'UTC')::date;
BEGIN
  SELECT s.daily_quota INTO v_quota FROM missions_private.step_kinds s WHERE s.kind = p_kind;
  IF v_quota IS NULL THEN
    RETURN true;
  END IF;
  INSERT INTO missions_private.quota_usage (kind, day) VALUES (p_kind, v_day) ON CONFLICT DO NOTHING;
  UPDATE missions_private.quota_usage u SET used = u.used + 1
  WHERE u.kind = p_kind AND u.day = v_day AND u.used < v_quota;
  RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION missions_private.take_quota(text) IS
  'Takes one unit of the kind''s quota for today with UPDATE … WHERE used < quota (so concurrent claims never exceed it).';
