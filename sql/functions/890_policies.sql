-- Row-level security: participants see only their own rows; admins and services see all.
-- Declared on every migrate through missions_private.ensure_policy: a policy is re-created only when its
-- definition here changed (creating one locks its table), and 899 (next) drops the ones no longer declared.

-- Tables keyed by participant_id: an owner policy for participants and a staff policy.
SELECT missions_private.ensure_policy(('missions_private.' || t)::regclass, t || '_owner',
         'FOR SELECT TO missions_participant USING (participant_id = (SELECT missions_private.current_principal_id()))'),
       missions_private.ensure_policy(('missions_private.' || t)::regclass, t || '_staff',
         'FOR ALL TO missions_admin, missions_service USING (true) WITH CHECK (true)')
FROM pg_catalog.unnest(ARRAY['missions', 'events', 'ledger_entries', 'balances', 'mission_rewards',
                             'participant_progress', 'check_ins', 'alerts', 'learning_missions', 'evidence_files',
                             'monthly_starts', 'portfolio_items', 'skill_signals', 'recipe_usage']) t;

SELECT missions_private.ensure_policy('missions_private.principals', 'principals_self', $p$
  FOR SELECT TO missions_participant, missions_mentor, missions_agent
  USING (id = (SELECT missions_private.current_principal_id()))$p$);
SELECT missions_private.ensure_policy('missions_private.principals', 'principals_staff',
  'FOR ALL TO missions_admin, missions_service USING (true) WITH CHECK (true)');

SELECT missions_private.ensure_policy('missions_private.steps', 'steps_owner', $p$
  FOR SELECT TO missions_participant
  USING (EXISTS (SELECT FROM missions_private.missions m
                 WHERE m.id = mission_id
                   AND m.participant_id = (SELECT missions_private.current_principal_id())))$p$);
SELECT missions_private.ensure_policy('missions_private.steps', 'steps_staff',
  'FOR ALL TO missions_admin, missions_service USING (true) WITH CHECK (true)');

-- Agents see the agent missions they may work on (a mission naming no agents admits any).
SELECT missions_private.ensure_policy('missions_private.missions', 'missions_agent', $p$
  FOR SELECT TO missions_agent
  USING (face = 'agent' AND missions_private.agent_allowed(id, (SELECT missions_private.current_principal_id())))$p$);

-- Agents read the events of the agent missions they may see (the same missions as missions_agent above).
SELECT missions_private.ensure_policy('missions_private.events', 'events_agent', $p$
  FOR SELECT TO missions_agent
  USING (mission_id IS NOT NULL AND EXISTS (SELECT FROM missions_private.missions m WHERE m.id = mission_id))$p$);

-- Tables keyed by mission_id (learning progress details): participants see the rows of their own missions.
SELECT missions_private.ensure_policy(('missions_private.' || t)::regclass, t || '_owner', $p$
         FOR SELECT TO missions_participant
         USING (EXISTS (SELECT FROM missions_private.missions m WHERE m.id = mission_id
                        AND m.participant_id = (SELECT missions_private.current_principal_id())))$p$),
       missions_private.ensure_policy(('missions_private.' || t)::regclass, t || '_staff',
         'FOR ALL TO missions_admin, missions_service USING (true) WITH CHECK (true)')
FROM pg_catalog.unnest(ARRAY['subtask_notes', 'hint_reveals', 'decisions', 'recipe_recommendations']) t;
