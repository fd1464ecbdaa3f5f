-- Demo learning track: defender SIEM-01..03 (beginner, intermediate, advanced capstone) with story,
-- subtasks, levelled hints, a decision point, rubrics and recipes; SIEM-01 auto-submits at its 48 h deadline.
-- Idempotent: found by code and slug.
INSERT INTO missions_private.recipes (slug, title, type, skills, minutes, content) VALUES
  ('siem-search-basics', 'SIEM search basics', 'technical', '{siem,log_analysis}', 8,
   'Filter by time first, then host, then event id. Save the query you used as evidence.'),
  ('auth-log-patterns', 'Reading authentication logs', 'analysis', '{log_analysis,triage}', 6,
   'Failed logons (4625) followed by a success (4624) from the same source are the classic brute-force shape.'),
  ('host-isolation-playbook', 'Isolating a host safely', 'tool', '{edr,incident_response}', 10,
   'Isolate from the EDR console, keep the management channel, note the ticket number.'),
  ('detection-rule-writing', 'Writing a detection rule', 'technical', '{detection,siem}', 12,
   'State the behaviour, the data source, the threshold and the false positives you expect.'),
  ('incident-report-structure', 'Structuring an incident report', 'soft_skill', '{communication,incident_response}', 7,
   'Summary, timeline, impact, root cause, actions taken, follow-ups.')
ON CONFLICT (slug) DO NOTHING;

DO $demo$
DECLARE
  spec jsonb;
BEGIN
  FOR spec IN SELECT * FROM jsonb_array_elements(jsonb_build_array(
    jsonb_build_object(
      'code', 'SIEM-01', 'title', 'First alert: brute force at 03:00', 'tier', 'beginner', 'track', 'defender',
      'story', 'The pager goes off at 03:00: 40 failed logins on the VPN gateway in five minutes. You are on call.',
      'objectives', jsonb_build_array('Find the source of the failed logins', 'Decide how to contain it', 'Report what happened'),
      'success_criteria', jsonb_build_array('Source IP and account named', 'Containment justified'),
      'reflection_required', true, 'time_constraint_hours', 48, 'auto_submit', true,
      'skills', jsonb_build_array('siem', 'triage'),
      'subtasks', jsonb_build_array(
        jsonb_build_object('title', 'Pull the authentication logs', 'required_evidence', 1,
          'instructions', 'Query the last hour of VPN authentication events and export them.',
          'skills', jsonb_build_array('log_analysis'),
          'hints', jsonb_build_array('Narrow the time range to the alert window first.',
                                     'Group failed logins by source IP.', 'Event 4625 is a failed logon.')),
        jsonb_build_object('title', 'Decide on containment',
          'instructions', 'Block the source now, or watch it to learn more?',
          'decision', jsonb_build_object('key', 'containment', 'prompt', 'Block the source IP or keep monitoring?',
            'choices', jsonb_build_array(
              jsonb_build_object('key', 'block', 'label', 'Block the source IP at the firewall', 'next', 3),
              jsonb_build_object('key', 'monitor', 'label', 'Keep monitoring with a detection rule', 'next', 4)))),
        jsonb_build_object('title', 'Block the source', 'instructions', 'Add a firewall block and verify it holds.',
          'skills', jsonb_build_array('incident_response')),
        jsonb_build_object('title', 'Write a detection rule', 'instructions', 'Alert on 10+ failures per source in 5 minutes.',
          'skills', jsonb_build_array('detection')),
        jsonb_build_object('title', 'Write the incident note', 'required_evidence', 1,
          'instructions', 'Summary, timeline, action taken.', 'skills', jsonb_build_array('communication'))),
      'rubric', jsonb_build_array(
        jsonb_build_object('subtask', 1, 'criterion', 'Relevant logs found and exported', 'weight', 3),
        jsonb_build_object('subtask', 2, 'criterion', 'Containment choice justified', 'weight', 2),
        jsonb_build_object('subtask', 3, 'criterion', 'Block verified', 'weight', 2),
        jsonb_build_object('subtask', 4, 'criterion', 'Rule is specific and testable', 'weight', 2),
        jsonb_build_object('subtask', 5, 'criterion', 'Clear, complete note', 'weight', 1)),
      'recipes', jsonb_build_array(jsonb_build_object('slug', 'siem-search-basics', 'subtask', 1),
                                   jsonb_build_object('slug', 'auth-log-patterns', 'subtask', 1),
                                   jsonb_build_object('slug', 'host-isolation-playbook', 'subtask', 3),
                                   jsonb_build_object('slug', 'detection-rule-writing', 'subtask', 4),
                                   jsonb_build_object('slug', 'incident-report-structure'))),
    jsonb_build_object(
      'code', 'SIEM-02', 'title', 'Lateral movement hunt', 'tier', 'intermediate', 'track', 'defender',
      'story', 'The brute-forced account logged in somewhere after all. Follow it across the network.',
      'objectives', jsonb_build_array('Trace the account''s sessions', 'Find every host it touched'),
      'reflection_required', true, 'skills', jsonb_build_array('siem', 'threat_hunting'),
      'subtasks', jsonb_build_array(
        jsonb_build_object('title', 'Map the account''s logons', 'required_evidence', 1, 'skills', jsonb_build_array('log_analysis'),
          'hints', jsonb_build_array('Logon type 3 is network, 10 is remote interactive.')),
        jsonb_build_object('title', 'List the touched hosts', 'required_evidence', 1, 'skills', jsonb_build_array('threat_hunting')),
        jsonb_build_object('title', 'Recommend next steps', 'skills', jsonb_build_array('communication'))),
      'recipes', jsonb_build_array(jsonb_build_object('slug', 'siem-search-basics'))),
    jsonb_build_object(
      'code', 'SIEM-03', 'title', 'Capstone: run the incident', 'tier', 'advanced', 'track', 'defender',
      'is_capstone', true, 'time_constraint_hours', 72, 'reflection_required', true, 'pass_score', 80,
      'story', 'A ransomware note appears on a file server. You lead the response end to end.',
      'objectives', jsonb_build_array('Scope', 'Contain', 'Eradicate', 'Report to leadership'),
      'skills', jsonb_build_array('incident_response', 'leadership'),
      'subtasks', jsonb_build_array(
        jsonb_build_object('title', 'Scope the incident', 'required_evidence', 1),
        jsonb_build_object('title', 'Contain and eradicate', 'required_evidence', 1, 'skills', jsonb_build_array('edr')),
        jsonb_build_object('title', 'Brief leadership', 'required_evidence', 1, 'skills', jsonb_build_array('communication'))),
      'recipes', jsonb_build_array(jsonb_build_object('slug', 'incident-report-structure', 'subtask', 3)))
  )) LOOP
    IF NOT EXISTS (SELECT FROM missions_private.learning_templates l WHERE l.code = spec->>'code') THEN
      PERFORM missions.create_learning_template(spec);
    END IF;
  END LOOP;
END
$demo$;
