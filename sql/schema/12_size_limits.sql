-- Size limits on every column a caller can fill (the tables above declare most of theirs inline;
-- these bound the rest). Oversize input fails its statement with 23514 and the constraint's name
-- (HTTP 422), so nothing of the call is stored. tests/test_input_limits.py walks the catalog and
-- fails for any text, text[] or jsonb column that is neither bounded here or inline, nor written
-- only by the engine.
ALTER TABLE missions_private.principals
  ADD CONSTRAINT principals_attrs_size CHECK (pg_column_size(attrs) <= 65536),
  ADD CONSTRAINT principals_timezone_length CHECK (length(timezone) <= 100),
  ADD CONSTRAINT principals_db_role_length CHECK (length(db_role) <= 63);

ALTER TABLE missions_private.templates
  ADD CONSTRAINT templates_description_length CHECK (length(description) <= 20000),
  ADD CONSTRAINT templates_spec_size CHECK (pg_column_size(spec) <= 65536);

ALTER TABLE missions_private.template_steps
  ADD CONSTRAINT template_steps_title_length CHECK (length(title) BETWEEN 1 AND 200),
  ADD CONSTRAINT template_steps_kind_length CHECK (length(kind) <= 63),
  ADD CONSTRAINT template_steps_spec_size CHECK (pg_column_size(spec) <= 65536);

ALTER TABLE missions_private.missions
  -- agent missions take seed 004's 500 characters; the other faces copy a template's title (at most 200)
  ADD CONSTRAINT missions_title_length CHECK (length(title) BETWEEN 1 AND CASE WHEN face = 'agent' THEN 500 ELSE 200 END),
  ADD CONSTRAINT missions_attrs_size CHECK (pg_column_size(attrs) <= 262144);

ALTER TABLE missions_private.steps
  ADD CONSTRAINT steps_title_length CHECK (length(title) BETWEEN 1 AND 500),  -- seed 004's tasks; template steps: 200
  ADD CONSTRAINT steps_kind_length CHECK (length(kind) <= 63),
  ADD CONSTRAINT steps_attrs_size CHECK (pg_column_size(attrs) <= 1048576);  -- holds a delivered event's payload

ALTER TABLE missions_private.events
  ADD CONSTRAINT events_payload_size CHECK (pg_column_size(payload) <= 1048576);

ALTER TABLE missions_private.settings
  ADD CONSTRAINT settings_value_length CHECK (length(value) <= 10000);

ALTER TABLE missions_private.step_results
  ADD CONSTRAINT step_results_result_size CHECK (pg_column_size(result) <= 1048576);

ALTER TABLE missions_private.input_requests
  ADD CONSTRAINT input_requests_options_size CHECK (pg_column_size(options) <= 65536),
  ADD CONSTRAINT input_requests_context_size CHECK (pg_column_size(context) <= 65536),
  ADD CONSTRAINT input_requests_response_size CHECK (pg_column_size(response) <= 65536);

ALTER TABLE missions_private.external_events
  ADD CONSTRAINT external_events_event_id_length CHECK (length(event_id) BETWEEN 1 AND 200),
  ADD CONSTRAINT external_events_payload_size CHECK (pg_column_size(payload) <= 262144);

ALTER TABLE missions_private.learning_templates
  ADD CONSTRAINT learning_templates_objectives_size CHECK (cardinality(objectives) <= 100
                                                          AND length(array_to_string(objectives, '')) <= 20000),
  ADD CONSTRAINT learning_templates_success_criteria_size CHECK (cardinality(success_criteria) <= 100
                                                                AND length(array_to_string(success_criteria, '')) <= 20000),
  ADD CONSTRAINT learning_templates_skills_size CHECK (cardinality(skills) <= 100
                                                      AND length(array_to_string(skills, '')) <= 10000);

ALTER TABLE missions_private.learning_missions
  ADD CONSTRAINT learning_missions_tools_used_size CHECK (cardinality(tools_used) <= 100
                                                         AND length(array_to_string(tools_used, '')) <= 10000);

ALTER TABLE missions_private.decisions
  ADD CONSTRAINT decisions_keys_length CHECK (length(decision_key) <= 100 AND length(choice_key) <= 100);

ALTER TABLE missions_private.rubrics
  ADD CONSTRAINT rubrics_criteria_size CHECK (pg_column_size(criteria) <= 262144);

ALTER TABLE missions_private.recipes
  ADD CONSTRAINT recipes_skills_size CHECK (cardinality(skills) <= 100 AND length(array_to_string(skills, '')) <= 10000);

ALTER TABLE missions_private.skill_signals
  ADD CONSTRAINT skill_signals_skill_length CHECK (length(skill) <= 100);
