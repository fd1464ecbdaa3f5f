-- The currency ledger: append-only entries, balances that always equal their sum, debits floored at zero.

-- missions_private.post_entry: books one signed amount (debits floored at the balance) idempotently; returns the entry.
CREATE OR REPLACE FUNCTION missions_private.post_entry(
  p_participant_id uuid, p_currency text, p_amount bigint, p_reason text,
  p_reference text DEFAULT NULL, p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.ledger_entries
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_balance bigint;
  v_actual bigint;
  v_entry missions_private.ledger_entries;
BEGIN
  IF p_currency IS NULL OR NOT p_currency = ANY (missions_private.currencies()) THEN
    RAISE EXCEPTION 'currency must be one of % (got %)', pg_catalog.array_to_string(missions_private.currencies(), ', '),
      coalesce(p_currency, 'null') USING ERRCODE = 'MS422';
  END IF;
  IF missions_private.clean_text(p_reason) IS NULL THEN
    RAISE EXCEPTION 'a reason is required' USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.balances (participant_id, currency) VALUES (p_participant_id, p_currency)
  ON CONFLICT DO NOTHING;
  -- Lock the balance first: a concurrent call with the same key then finds the committed entry.
  SELECT b.amount INTO v_balance FROM missions_private.balances b
  WHERE b.participant_id = p_participant_id AND b.currency = p_currency FOR UPDATE;

  IF p_idempotency_key IS NOT NULL THEN
    SELECT * INTO v_entry FROM missions_private.ledger_entries e
    WHERE e.participant_id = p_participant_id AND e.idempotency_key = p_idempotency_key;
    IF FOUND THEN
      IF v_entry.currency <> p_currency OR v_entry.requested <> p_amount THEN
        RAISE EXCEPTION 'idempotency key "%" was already used for a different entry', p_idempotency_key
          USING ERRCODE = '23505', DETAIL = 'constraint ledger_entries_idempotency';
      END IF;
      RETURN v_entry;
    END IF;
  END IF;

  v_actual := CASE WHEN p_amount < 0 THEN -least(-p_amount, v_balance) ELSE p_amount END;
  UPDATE missions_private.balances b SET amount = b.amount + v_actual
  WHERE b.participant_id = p_participant_id AND b.currency = p_currency;
  INSERT INTO missions_private.ledger_entries
    (participant_id, currency, amount, requested, reason, reference, idempotency_key, actor_id)
  VALUES (p_participant_id, p_currency, v_actual, p_amount, p_reason, p_reference, p_idempotency_key,
          missions_private.current_principal_id())
  RETURNING * INTO v_entry;
  RETURN v_entry;
END
$fn$;
COMMENT ON FUNCTION missions_private.post_entry(uuid, text, bigint, text, text, text) IS
  'Books a signed amount for a participant (a debit takes at most the balance), idempotent per idempotency key; returns the entry.';

-- missions_private.book: checks a credit/debit request and books it through post_entry.
CREATE OR REPLACE FUNCTION missions_private.book(
  p_participant_id uuid, p_currency text, p_amount bigint, p_sign integer, p_reason text, p_idempotency_key text)
RETURNS missions_private.ledger_entries
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_amount IS NULL OR p_amount <= 0 THEN
    RAISE EXCEPTION 'amount must be a positive integer (got %)', coalesce(p_amount::text, 'null')
      USING ERRCODE = 'MS422';
  END IF;
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN missions_private.post_entry(p_participant_id, p_currency, p_sign * p_amount, p_reason, NULL, p_idempotency_key);
END
$fn$;
COMMENT ON FUNCTION missions_private.book(uuid, text, bigint, integer, text, text) IS
  'Validates a credit (+1) or debit (-1) request and books it through post_entry.';

-- missions.credit: adds a positive amount of a currency to a participant (admins and services).
CREATE OR REPLACE FUNCTION missions.credit(
  p_participant_id uuid, p_currency text, p_amount bigint, p_reason text, p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.ledger_entries
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.book(p_participant_id, p_currency, p_amount, 1, p_reason, p_idempotency_key)
$fn$;
COMMENT ON FUNCTION missions.credit(uuid, text, bigint, text, text) IS
  'Credits a participant; the same idempotency key twice books once and returns the first entry.';

-- missions.debit: takes an amount of a currency from a participant, never below zero (admins and services).
CREATE OR REPLACE FUNCTION missions.debit(
  p_participant_id uuid, p_currency text, p_amount bigint, p_reason text, p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.ledger_entries
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.book(p_participant_id, p_currency, p_amount, -1, p_reason, p_idempotency_key)
$fn$;
COMMENT ON FUNCTION missions.debit(uuid, text, bigint, text, text) IS
  'Debits a participant; the entry records what was actually taken (the balance never goes below zero).';

-- missions.balances: one row per currency with the participant's balance.
CREATE OR REPLACE FUNCTION missions.balances(p_participant_id uuid)
RETURNS TABLE (currency text, amount bigint)
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY
  SELECT c.currency, coalesce(b.amount, 0)
  FROM unnest(missions_private.currencies()) WITH ORDINALITY AS c(currency, n)
  LEFT JOIN missions_private.balances b ON b.participant_id = p_participant_id AND b.currency = c.currency
  ORDER BY c.n;
END
$fn$;
COMMENT ON FUNCTION missions.balances(uuid) IS 'The participant''s balance in each currency (0 when never credited).';

-- missions.ledger: the participant's ledger entries, newest first, a page at a time (key: id).
CREATE OR REPLACE FUNCTION missions.ledger(p_participant_id uuid, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.ledger_entries
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['id']);
  v_id bigint := coalesce((v_after->>'id')::bigint, 9223372036854775807);
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY
  SELECT * FROM missions_private.ledger_entries e
  WHERE e.participant_id = p_participant_id AND e.id < v_id
  ORDER BY e.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.ledger(uuid, integer, jsonb) IS
  'The participant''s ledger entries, newest first; a page of p_limit (1..200) after the key {"id"} of the last entry seen.';
