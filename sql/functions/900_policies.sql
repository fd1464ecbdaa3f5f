-- Row-level security: participants (and mentors, agents) see only their own rows; admins and services see all.
-- Re-applied on every migrate, so the database always carries exactly these policies.
DROP POLICY IF EXISTS principals_self ON missions_private.principals;
CREATE POLICY principals_self ON missions_private.principals FOR SELECT
  TO missions_participant, missions_mentor, missions_agent
  USING (id = (SELECT missions_private.current_principal_id()));
DROP POLICY IF EXISTS principals_staff ON missions_private.principals;
CREATE POLICY principals_staff ON missions_private.principals FOR ALL
  TO missions_admin, missions_service USING (true) WITH CHECK (true);

DROP POLICY IF EXISTS missions_owner ON missions_private.missions;
CREATE POLICY missions_owner ON missions_private.missions FOR SELECT
  TO missions_participant
  USING (participant_id = (SELECT missions_private.current_principal_id()));
DROP POLICY IF EXISTS missions_staff ON missions_private.missions;
CREATE POLICY missions_staff ON missions_private.missions FOR ALL
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

DROP POLICY IF EXISTS events_owner ON missions_private.events;
CREATE POLICY events_owner ON missions_private.events FOR SELECT
  TO missions_participant
  USING (participant_id = (SELECT missions_private.current_principal_id()));
DROP POLICY IF EXISTS events_staff ON missions_private.events;
CREATE POLICY events_staff ON missions_private.events FOR SELECT
  TO missions_admin, missions_service USING (true);
