-- Stipend tiers: support eligibility and stipend tiers from balance checks (seed 000 §13). The tiers are a ladder
-- (missions_private.stipend_tiers, rank 1..20): a participant qualifies for a tier when their balance of its
-- currency reaches its min_balance and they qualify for every lower rank; balances are the ledger's sums.

-- missions_private.stipend_tier_doc: a tier as JSON.
CREATE OR REPLACE FUNCTION missions_private.stipend_tier_doc(t missions_private.stipend_tiers) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN jsonb_build_object('code', t.code, 'rank', t.rank, 'currency', t.currency, 'min_balance', t.min_balance,
                            'description', t.description);
END
$fn$;
COMMENT ON FUNCTION missions_private.stipend_tier_doc(missions_private.stipend_tiers) IS
  'A stipend tier as JSON: code, rank, currency, min_balance, description.';

-- missions.stipend_tiers: the tier ladder, lowest rank first (at most 20 rows: ranks 1..20 are unique).
CREATE OR REPLACE FUNCTION missions.stipend_tiers()
RETURNS TABLE (code text, rank integer, currency text, min_balance bigint, description text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.caller_id();  -- MS401 for a session without a principal
  RETURN QUERY
  SELECT t.code, t.rank, t.currency::text, t.min_balance, t.description
  FROM missions_private.stipend_tiers t
  ORDER BY t.rank;
END
$fn$;
COMMENT ON FUNCTION missions.stipend_tiers() IS
  'The stipend tier ladder (code, rank, currency, min_balance, description), rank 1 first; at most 20 tiers.';

-- missions.set_stipend_tier: creates or changes a tier by code (admins, services); returns it.
CREATE OR REPLACE FUNCTION missions.set_stipend_tier(p_code text, p_rank integer, p_currency text, p_min_balance bigint,
                                                     p_description text DEFAULT NULL)
RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tier missions_private.stipend_tiers;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_code IS NULL OR p_code !~ '^[A-Z][A-Z0-9_]{0,39}$' THEN
    RAISE EXCEPTION 'a tier code is 1 to 40 capital letters, digits or underscores, starting with a letter'
      USING ERRCODE = 'MS422';
  END IF;
  IF p_rank IS NULL OR p_rank NOT BETWEEN 1 AND 20 THEN
    RAISE EXCEPTION 'a tier rank is 1 to 20 (got %)', p_rank USING ERRCODE = 'MS422';
  END IF;
  IF p_currency IS NULL OR NOT p_currency = ANY (missions_private.currencies()) THEN
    RAISE EXCEPTION 'currency must be one of % (got %)', pg_catalog.array_to_string(missions_private.currencies(), ', '),
      coalesce(p_currency, 'null') USING ERRCODE = 'MS422';
  END IF;
  IF p_min_balance IS NULL OR p_min_balance NOT BETWEEN 0 AND 1000000000 THEN
    RAISE EXCEPTION 'min_balance is 0 to 1000000000 (got %)', p_min_balance USING ERRCODE = 'MS422';
  END IF;
  IF length(p_description) > 500 THEN
    RAISE EXCEPTION 'a description has at most 500 characters' USING ERRCODE = 'MS422';
  END IF;
  -- another tier at this rank: 23505 stipend_tiers_rank_unique
  INSERT INTO missions_private.stipend_tiers AS t (code, rank, currency, min_balance, description)
  VALUES (p_code, p_rank, p_currency, p_min_balance, p_description)
  ON CONFLICT (code) DO UPDATE
    SET rank = excluded.rank, currency = excluded.currency, min_balance = excluded.min_balance,
        description = excluded.description
  RETURNING * INTO v_tier;
  RETURN missions_private.stipend_tier_doc(v_tier);
END
$fn$;
COMMENT ON FUNCTION missions.set_stipend_tier(text, integer, text, bigint, text) IS
  'Creates or replaces the stipend tier p_code (admins, services): rank 1..20 (unique: 23505), a currency, a minimum balance 0..1e9, a description.';

-- missions.delete_stipend_tier: removes a tier by code (admins, services); returns it.
CREATE OR REPLACE FUNCTION missions.delete_stipend_tier(p_code text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_tier missions_private.stipend_tiers;
BEGIN
  PERFORM missions_private.authorize_staff();
  DELETE FROM missions_private.stipend_tiers t WHERE t.code = p_code RETURNING * INTO v_tier;
  IF v_tier.code IS NULL THEN
    RAISE EXCEPTION 'stipend tier % not found', p_code USING ERRCODE = 'MS404';
  END IF;
  RETURN missions_private.stipend_tier_doc(v_tier);
END
$fn$;
COMMENT ON FUNCTION missions.delete_stipend_tier(text) IS 'Deletes the stipend tier p_code (admins, services); MS404 when there is none.';

-- missions.stipend_tier: which tier a participant qualifies for now, from their balances (own data; staff: anyone).
CREATE OR REPLACE FUNCTION missions.stipend_tier(p_participant_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_ladder jsonb;
  v_first_unmet integer;
  v_tier jsonb;
  v_next jsonb;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  SELECT coalesce(jsonb_agg(jsonb_build_object('code', t.code, 'rank', t.rank, 'currency', t.currency,
                                               'min_balance', t.min_balance, 'balance', t.balance,
                                               'met', t.balance >= t.min_balance) ORDER BY t.rank), '[]'),
         min(t.rank) FILTER (WHERE t.balance < t.min_balance)
  INTO v_ladder, v_first_unmet
  FROM (SELECT s.code, s.rank, s.currency, s.min_balance, coalesce(b.amount, 0) AS balance
        FROM missions_private.stipend_tiers s
        LEFT JOIN missions_private.balances b ON b.participant_id = p_participant_id AND b.currency = s.currency) t;
  -- the tier: the highest rank below the first unmet one; next: that first unmet one and what it lacks
  SELECT l INTO v_tier FROM jsonb_array_elements(v_ladder) l
  WHERE v_first_unmet IS NULL OR (l->>'rank')::integer < v_first_unmet
  ORDER BY (l->>'rank')::integer DESC LIMIT 1;
  SELECT l || jsonb_build_object('shortfall', (l->>'min_balance')::bigint - (l->>'balance')::bigint) INTO v_next
  FROM jsonb_array_elements(v_ladder) l WHERE (l->>'rank')::integer = v_first_unmet;
  RETURN jsonb_build_object('participant_id', p_participant_id, 'eligible', v_tier IS NOT NULL,
                            'tier', v_tier->>'code', 'rank', (v_tier->>'rank')::integer,
                            'next', v_next, 'tiers', v_ladder);
END
$fn$;
COMMENT ON FUNCTION missions.stipend_tier(uuid) IS
  'The stipend tier a participant qualifies for from their balances: the highest rank whose threshold and every lower one is met (eligible: any tier); next: the first unmet tier and its shortfall; tiers: the ladder with balance and met.';
