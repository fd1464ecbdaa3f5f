-- Row-level security: participants see only their own rows; admins and services see all.
-- Re-applied on every migrate, so the database always carries exactly these policies.

-- Tables keyed by participant_id: an owner policy for participants and a staff policy.
DO $policies$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['missions', 'events', 'ledger_entries', 'balances', 'mission_rewards',
                           'participant_progress', 'check_ins', 'alerts', 'learning_missions', 'evidence_files',
                           'monthly_starts', 'portfolio_items', 'skill_signals', 'recipe_usage'] LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON missions_private.%I', t || '_owner', t);
    EXECUTE format('CREATE POLICY %I ON missions_private.%I FOR SELECT TO missions_participant '
                   'USING (participant_id = (SELECT missions_private.current_principal_id()))', t || '_owner', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON missions_private.%I', t || '_staff', t);
    EXECUTE format('CREATE POLICY %I ON missions_private.%I FOR ALL TO missions_admin, missions_service '
                   'USING (true) WITH CHECK (true)', t || '_staff', t);
  END LOOP;
END
$policies$;

DROP POLICY IF EXISTS principals_self ON missions_private.principals;
CREATE POLICY principals_self ON missions_private.principals FOR SELECT
  TO missions_participant, missions_mentor, missions_agent
  USING (id = (SELECT missions_private.current_principal_id()));
DROP POLICY IF EXISTS principals_staff ON missions_private.principals;
CREATE POLICY principals_staff ON missions_private.principals FOR ALL
  TO missions_admin, missions_service USING (true) WITH CHECK (true);

DROP POLICY IF EXISTS steps_owner ON missions_private.steps;
CREATE POLICY steps_owner ON missions_private.steps FOR SELECT
  TO missions_participant
  USING (EXISTS (SELECT FROM missions_private.missions m
                 WHERE m.id = mission_id
                   AND m.participant_id = (SELECT missions_private.current_principal_id())));
DROP POLICY IF EXISTS steps_staff ON missions_private.steps;
CREATE POLICY steps_staff ON missions_private.steps FOR ALL
  TO missions_admin, missions_service USING (true) WITH CHECK (true);

-- Agents see the agent missions they may work on (a mission naming no agents admits any).
DROP POLICY IF EXISTS missions_agent ON missions_private.missions;
CREATE POLICY missions_agent ON missions_private.missions FOR SELECT
  TO missions_agent
  USING (face = 'agent' AND missions_private.agent_allowed(id, (SELECT missions_private.current_principal_id())));

-- Agents read the events of the agent missions they may see (the same missions as missions_agent above).
DROP POLICY IF EXISTS events_agent ON missions_private.events;
CREATE POLICY events_agent ON missions_private.events FOR SELECT
  TO missions_agent
  USING (mission_id IS NOT NULL AND EXISTS (SELECT FROM missions_private.missions m WHERE m.id = mission_id));

-- Tables keyed by mission_id (learning progress details): participants see the rows of their own missions.
DO $policies$
DECLARE
  t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['subtask_notes', 'hint_reveals', 'decisions', 'recipe_recommendations'] LOOP
    EXECUTE format('DROP POLICY IF EXISTS %I ON missions_private.%I', t || '_owner', t);
    EXECUTE format('CREATE POLICY %I ON missions_private.%I FOR SELECT TO missions_participant '
                   'USING (EXISTS (SELECT FROM missions_private.missions m WHERE m.id = mission_id '
                   'AND m.participant_id = (SELECT missions_private.current_principal_id())))', t || '_owner', t);
    EXECUTE format('DROP POLICY IF EXISTS %I ON missions_private.%I', t || '_staff', t);
    EXECUTE format('CREATE POLICY %I ON missions_private.%I FOR ALL TO missions_admin, missions_service '
                   'USING (true) WITH CHECK (true)', t || '_staff', t);
  END LOOP;
END
$policies$;
