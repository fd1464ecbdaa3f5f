-- Every participant has a progress row and a zero balance per currency from the moment it exists,
-- so that set-based jobs can join instead of special-casing newcomers.

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
  CROSS JOIN (VALUES ('MOMENTUM'), ('SKILL_XP'), ('ARENA_POINTS'), ('INCOME_PROOF')) AS c(currency)
  WHERE n.role = 'participant'
  ON CONFLICT DO NOTHING;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION missions_private.open_participant_accounts() IS
  'Statement trigger on principals: opens the progress row and the four zero balances of every new participant.';

CREATE OR REPLACE TRIGGER principals_open_accounts
  AFTER INSERT ON missions_private.principals REFERENCING NEW TABLE AS new_principals
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.open_participant_accounts();
