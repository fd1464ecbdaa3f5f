-- Every participant has a progress row and a zero balance per currency from the moment it exists,
-- so that set-based jobs can join instead of special-casing newcomers.

-- missions_private.currencies: the currencies in the order the domain missions_private.currency lists them.
CREATE OR REPLACE FUNCTION missions_private.currencies() RETURNS text[]
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  -- read from the domain's CHECK, so that the list is written once (sql/schema/07_engagement.sql)
  SELECT pg_catalog.array_agg(x.m[1] ORDER BY x.n)
  FROM pg_catalog.pg_constraint c
  CROSS JOIN LATERAL pg_catalog.regexp_matches(pg_catalog.pg_get_constraintdef(c.oid), '''([A-Z_]+)''', 'g')
    WITH ORDINALITY AS x(m, n)
  WHERE c.contypid = 'missions_private.currency'::pg_catalog.regtype AND c.conname = 'currency_valid'
$fn$;
COMMENT ON FUNCTION missions_private.currencies() IS
  'The currencies (MOMENTUM, SKILL_XP, ARENA_POINTS, INCOME_PROOF), read from the CHECK of the domain missions_private.currency in its order.';

-- missions_private.open_participant_accounts: statement trigger; creates progress and balance rows for new participants.
CREATE OR REPLACE FUNCTION missions_private.open_participant_accounts() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  INSERT INTO missions_private.participant_progress (participant_id)
  SELECT n.id FROM new_principals n WHERE n.role = 'participant'
  ON CONFLICT DO NOTHING;
  INSERT INTO missions_private.balances (participant_id, currency)
  SELECT n.id, c.currency
  FROM new_principals n
  CROSS JOIN unnest(missions_private.currencies()) AS c(currency)
  WHERE n.role = 'participant'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION missions_private.open_participant_accounts() IS
  'Statement trigger on principals: opens the progress row and the four zero balances of every new participant.';

SELECT missions_private.ensure_trigger('missions_private.principals', 'principals_open_accounts', $ddl$
CREATE OR REPLACE TRIGGER principals_open_accounts
  AFTER INSERT ON missions_private.principals REFERENCING NEW TABLE AS new_principals
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.open_participant_accounts()
$ddl$);
