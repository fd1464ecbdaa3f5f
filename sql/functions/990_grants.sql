-- EXECUTE is revoked from PUBLIC and granted per function signature, here and only here.
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA missions FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA missions_private FROM PUBLIC;

-- everyone who acts
GRANT EXECUTE ON FUNCTION missions.now() TO missions_participant, missions_admin, missions_mentor,
  missions_agent, missions_service, missions_app;
GRANT EXECUTE ON FUNCTION missions.whoami(), missions.principal(uuid)
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT EXECUTE ON FUNCTION missions_private.current_principal_id()
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;

-- the app's login role: key lookup, health and metrics (before any principal is known)
GRANT EXECUTE ON FUNCTION missions.authenticate(text), missions.health(), missions.metrics() TO missions_app;

-- staff: principals and keys
GRANT EXECUTE ON FUNCTION missions.create_principal(text, text, jsonb),
  missions_private.assert_timezone(text),
  missions.enroll_principal(text, text, jsonb, text),
  missions.create_api_key(uuid, text), missions.revoke_api_key(uuid), missions.api_keys(uuid),
  missions.health(), missions.metrics()
  TO missions_admin, missions_service;

-- the transition helper, for staff and for the face functions built on it
GRANT EXECUTE ON FUNCTION missions_private.transition_mission(uuid, text, jsonb) TO missions_admin, missions_service;
