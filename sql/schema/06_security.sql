-- Table privileges and row-level security switches (the policies are re-applied with the functions).
ALTER TABLE missions_private.principals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.steps ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.events ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON missions_private.principals, missions_private.missions, missions_private.steps,
  missions_private.events
  TO missions_participant, missions_mentor, missions_agent;
-- Template content reaches participants, mentors and agents only through functions: they may read the
-- columns every catalog function publishes anyway, never a spec (a subtask's spec holds its hint texts,
-- which only missions.reveal_hint hands out, recording the reveal).
GRANT SELECT (id, face, title, description, is_active, created_at) ON missions_private.templates
  TO missions_participant, missions_mentor, missions_agent;
GRANT SELECT (id, template_id, position, title, kind) ON missions_private.template_steps
  TO missions_participant, missions_mentor, missions_agent;
GRANT SELECT, INSERT, UPDATE ON missions_private.principals, missions_private.templates,
  missions_private.template_steps, missions_private.missions, missions_private.steps
  TO missions_admin, missions_service;
GRANT SELECT ON missions_private.events, missions_private.transitions TO missions_admin, missions_service;

-- The worker (as the app's role) consumes the outbox queue.
GRANT USAGE ON SCHEMA pgmq TO missions_app;
GRANT SELECT, UPDATE, DELETE ON pgmq.q_mission_events TO missions_app;
GRANT SELECT, INSERT ON pgmq.a_mission_events TO missions_app;
