-- Table privileges and row-level security switches (the policies are re-applied with the functions).
ALTER TABLE missions_private.principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.events ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON missions_private.principals, missions_private.missions, missions_private.steps,
  missions_private.events, missions_private.templates, missions_private.template_steps
  TO missions_participant, missions_mentor, missions_agent;
GRANT SELECT, INSERT, UPDATE ON missions_private.principals, missions_private.templates,
  missions_private.template_steps, missions_private.missions, missions_private.steps
  TO missions_admin, missions_service;
GRANT SELECT ON missions_private.events, missions_private.transitions TO missions_admin, missions_service;

-- The worker (as the app's role) consumes the outbox queue.
GRANT USAGE ON SCHEMA pgmq TO missions_app;
GRANT SELECT, UPDATE, DELETE ON pgmq.q_mission_events TO missions_app;
GRANT SELECT, INSERT ON pgmq.a_mission_events TO missions_app;
