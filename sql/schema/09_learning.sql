-- Learning face: coded multi-stage missions with rubrics, hints, decisions, evidence, reviews,
-- portfolio and skill signals, monthly start quotas, and recipes (micro-learning) with usage tracking.

CREATE TABLE missions_private.learning_templates (
  template_id            uuid PRIMARY KEY REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  code                   text NOT NULL CONSTRAINT learning_templates_code_unique UNIQUE
                         CONSTRAINT learning_templates_code_format CHECK (code ~ '^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$' AND length(code) <= 32),
  story                  text NOT NULL DEFAULT '' CONSTRAINT learning_templates_story_length CHECK (length(story) <= 20000),
  objectives             text[] NOT NULL DEFAULT '{}',
  tier                   text NOT NULL
                         CONSTRAINT learning_templates_tier_valid CHECK (tier IN ('beginner', 'intermediate', 'advanced', 'mastery')),
  track                  text NOT NULL
                         CONSTRAINT learning_templates_track_valid
                         CHECK (track IN ('defender', 'offensive', 'grc', 'innovation', 'leadership')),
  success_criteria       text[] NOT NULL DEFAULT '{}',
  time_constraint_hours  integer CONSTRAINT learning_templates_time_range CHECK (time_constraint_hours BETWEEN 1 AND 8760),
  reflection_required    boolean NOT NULL DEFAULT false,
  is_capstone            boolean NOT NULL DEFAULT false,
  pass_score             integer NOT NULL DEFAULT 70 CONSTRAINT learning_templates_pass_score_range CHECK (pass_score BETWEEN 0 AND 100),
  skills                 text[] NOT NULL DEFAULT '{}',
  momentum               integer NOT NULL DEFAULT 20 CONSTRAINT learning_templates_momentum_range CHECK (momentum BETWEEN 0 AND 1000000),
  skill_xp               integer NOT NULL DEFAULT 100 CONSTRAINT learning_templates_skill_xp_range CHECK (skill_xp BETWEEN 0 AND 1000000),
  -- at the deadline a mission with work in it is submitted for review instead of expiring (missions.auto_submit_learning_missions)
  auto_submit            boolean NOT NULL DEFAULT false,
  CONSTRAINT learning_templates_auto_submit_needs_deadline CHECK (NOT auto_submit OR time_constraint_hours IS NOT NULL)
);
COMMENT ON TABLE missions_private.learning_templates IS
  'Learning attributes of a template: code, story, objectives, tier and track, time limit, reflection, capstone, pass score, skills, rewards, auto-submit at the deadline.';
-- The list order: track, tier rank (the expression missions.learning_templates uses), code.
CREATE INDEX learning_templates_track_tier_idx ON missions_private.learning_templates
  (track, (pg_catalog.array_position('{beginner,intermediate,advanced,mastery}'::text[], tier)), code);

-- Rubrics are versioned: a version that a mission has used is never changed; a change is a new version.
CREATE TABLE missions_private.rubrics (
  id           uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  template_id  uuid NOT NULL REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  version      integer NOT NULL CONSTRAINT rubrics_version_positive CHECK (version > 0),
  criteria     jsonb NOT NULL CONSTRAINT rubrics_criteria_array CHECK (jsonb_typeof(criteria) = 'array'),
  created_at   timestamptz NOT NULL DEFAULT missions.now(),
  CONSTRAINT rubrics_version_unique UNIQUE (template_id, version)
);
COMMENT ON TABLE missions_private.rubrics IS
  'Scoring rubric versions: criteria = [{subtask, criterion, weight}]; immutable once a mission uses it.';

-- One row per learning mission (progress): the rubric version it is scored with, reflection, reviews, scores.
CREATE TABLE missions_private.learning_missions (
  mission_id           uuid PRIMARY KEY REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  template_id          uuid NOT NULL REFERENCES missions_private.templates (id),
  participant_id       uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  rubric_id            uuid NOT NULL REFERENCES missions_private.rubrics (id),
  reflection           text CONSTRAINT learning_missions_reflection_length CHECK (length(reflection) <= 20000),
  tools_used           text[] NOT NULL DEFAULT '{}',
  review_stage         text NOT NULL DEFAULT 'working'
                       CONSTRAINT learning_missions_review_stage_valid
                       CHECK (review_stage IN ('working', 'ai_review', 'ai_reviewed', 'mentor_review',
                                               'changes_requested', 'approved')),
  ai_score             numeric(5, 2) CONSTRAINT learning_missions_ai_score_range CHECK (ai_score BETWEEN 0 AND 100),
  ai_review            jsonb,       -- the reviewer's result: per-subtask scores and reasoning, verdict
  ai_reviewed_at       timestamptz,
  mentor_id            uuid REFERENCES missions_private.principals (id),
  mentor_requested_at  timestamptz,
  mentor_score         numeric(5, 2) CONSTRAINT learning_missions_mentor_score_range CHECK (mentor_score BETWEEN 0 AND 100),
  mentor_review        jsonb,       -- per-subtask scores, feedback, decision
  mentor_reviewed_at   timestamptz,
  final_score          numeric(5, 2) CONSTRAINT learning_missions_final_score_range CHECK (final_score BETWEEN 0 AND 100),
  feedback             text CONSTRAINT learning_missions_feedback_length CHECK (length(feedback) <= 20000),
  review_rounds        integer NOT NULL DEFAULT 0,
  deadline_warned_at   timestamptz,
  auto_submitted_at    timestamptz  -- the deadline job submitted it (at most once per mission)
);
COMMENT ON TABLE missions_private.learning_missions IS
  'Progress of a learning mission beyond its steps: rubric version, reflection, tools used, AI and mentor reviews, final score.';
CREATE INDEX learning_missions_participant_idx ON missions_private.learning_missions (participant_id);
CREATE INDEX learning_missions_template_idx ON missions_private.learning_missions (template_id);
CREATE INDEX learning_missions_rubric_idx ON missions_private.learning_missions (rubric_id);
-- The mentor review queue in its order: only missions in mentor review (request_mentor_review sets the stage and
-- the time together; a verdict or a resubmission moves the stage on), so the index is as small as the queue.
CREATE INDEX learning_missions_mentor_queue_idx ON missions_private.learning_missions (mentor_requested_at, mission_id)
  WHERE review_stage = 'mentor_review';

-- Subtask notes (the step row keeps status and timestamps).
CREATE TABLE missions_private.subtask_notes (
  step_id     uuid PRIMARY KEY REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  mission_id  uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  notes       text NOT NULL CONSTRAINT subtask_notes_length CHECK (length(notes) <= 20000),
  updated_at  timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.subtask_notes IS 'The learner''s notes on a subtask.';
CREATE INDEX subtask_notes_mission_idx ON missions_private.subtask_notes (mission_id);

CREATE TABLE missions_private.hint_reveals (
  step_id      uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  level        integer NOT NULL CONSTRAINT hint_reveals_level_positive CHECK (level > 0),
  mission_id   uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  revealed_at  timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (step_id, level)
);
COMMENT ON TABLE missions_private.hint_reveals IS 'Hints revealed, one level at a time per subtask (the usage record).';
CREATE INDEX hint_reveals_mission_idx ON missions_private.hint_reveals (mission_id);

CREATE TABLE missions_private.decisions (
  step_id       uuid PRIMARY KEY REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  mission_id    uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  decision_key  text NOT NULL,
  choice_key    text NOT NULL,
  skipped       integer[] NOT NULL DEFAULT '{}',   -- subtask positions the choice took off the path
  chosen_at     timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.decisions IS 'The choice made at a decision point (one per decision) and the subtasks it skipped.';
CREATE INDEX decisions_mission_idx ON missions_private.decisions (mission_id);

CREATE TABLE missions_private.evidence_files (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  mission_id      uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  step_id         uuid NOT NULL REFERENCES missions_private.steps (id) ON DELETE CASCADE,
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  filename        text NOT NULL CONSTRAINT evidence_files_filename_length CHECK (length(filename) BETWEEN 1 AND 255),
  content_type    text NOT NULL CONSTRAINT evidence_files_content_type_length CHECK (length(content_type) BETWEEN 3 AND 255),
  size_bytes      bigint NOT NULL CONSTRAINT evidence_files_size_positive CHECK (size_bytes > 0),
  sha256          text NOT NULL CONSTRAINT evidence_files_sha256_format CHECK (sha256 ~ '^[0-9a-f]{64}$'),
  -- content addressed, as the evidence store lays it out (app/storage.py key_for): no caller names a key
  storage_key     text NOT NULL GENERATED ALWAYS AS (substr(sha256, 1, 2) || '/' || sha256) STORED,
  uploaded_by     uuid,
  uploaded_at     timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.evidence_files IS
  'Evidence attached to a subtask: metadata and sha256 here, the bytes in the storage backend under storage_key (derived from sha256).';
CREATE INDEX evidence_files_mission_idx ON missions_private.evidence_files (mission_id, step_id);

CREATE TABLE missions_private.monthly_starts (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  month           date NOT NULL,  -- first day of the participant's local calendar month
  used            integer NOT NULL DEFAULT 0 CONSTRAINT monthly_starts_used_positive CHECK (used >= 0),
  PRIMARY KEY (participant_id, month)
);
COMMENT ON TABLE missions_private.monthly_starts IS
  'Learning missions started per participant and local month; incremented WHERE used < the tier''s quota.';

CREATE TABLE missions_private.portfolio_items (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  mission_id      uuid NOT NULL CONSTRAINT portfolio_items_mission_unique UNIQUE
                  REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  code            text NOT NULL,
  title           text NOT NULL,
  track           text NOT NULL,
  tier            text NOT NULL,
  score           numeric(5, 2) NOT NULL,
  rubric          jsonb NOT NULL,    -- the rubric version with the scores given per subtask
  evidence        jsonb NOT NULL,    -- [{id, subtask, filename, content_type, sha256}]
  completed_at    timestamptz NOT NULL
);
COMMENT ON TABLE missions_private.portfolio_items IS 'One portfolio item per approved learning mission: score, rubric, date and evidence links.';
CREATE INDEX portfolio_items_participant_idx ON missions_private.portfolio_items (participant_id, completed_at, id);

CREATE TABLE missions_private.skill_signals (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  skill           text NOT NULL,
  mastery         numeric(5, 2) NOT NULL CONSTRAINT skill_signals_mastery_range CHECK (mastery BETWEEN 0 AND 100),
  confidence      numeric(4, 3) NOT NULL CONSTRAINT skill_signals_confidence_range CHECK (confidence BETWEEN 0 AND 1),
  evidence_count  integer NOT NULL CONSTRAINT skill_signals_evidence_positive CHECK (evidence_count > 0),
  updated_at      timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (participant_id, skill)
);
COMMENT ON TABLE missions_private.skill_signals IS
  'Per skill: mastery = mean final score of approved missions exercising it, confidence = 1 - 0.5^missions.';
CREATE INDEX skill_signals_strongest_idx ON missions_private.skill_signals (participant_id, (-mastery), skill);

CREATE TABLE missions_private.recipes (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  slug        text NOT NULL CONSTRAINT recipes_slug_unique UNIQUE
              CONSTRAINT recipes_slug_format CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
  title       text NOT NULL CONSTRAINT recipes_title_length CHECK (length(title) BETWEEN 1 AND 200),
  type        text NOT NULL
              CONSTRAINT recipes_type_valid CHECK (type IN ('technical', 'analysis', 'tool', 'concept', 'soft_skill')),
  skills      text[] NOT NULL DEFAULT '{}',
  minutes     integer NOT NULL DEFAULT 5 CONSTRAINT recipes_minutes_range CHECK (minutes BETWEEN 1 AND 600),
  content     text NOT NULL DEFAULT '' CONSTRAINT recipes_content_length CHECK (length(content) <= 100000),
  created_at  timestamptz NOT NULL DEFAULT missions.now(),
  updated_at  timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.recipes IS 'Micro-learning items: slug, title, type, skills, minutes, content.';
CREATE INDEX recipes_skills_idx ON missions_private.recipes USING gin (skills);

CREATE TABLE missions_private.recipe_links (
  recipe_id    uuid NOT NULL REFERENCES missions_private.recipes (id) ON DELETE CASCADE,
  template_id  uuid NOT NULL REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  subtask      integer CONSTRAINT recipe_links_subtask_positive CHECK (subtask > 0),  -- NULL: the whole mission
  CONSTRAINT recipe_links_unique UNIQUE NULLS NOT DISTINCT (recipe_id, template_id, subtask)
);
COMMENT ON TABLE missions_private.recipe_links IS 'Recipes recommended for a mission template, or for one of its subtasks (stage).';
CREATE INDEX recipe_links_template_idx ON missions_private.recipe_links (template_id, subtask);

CREATE TABLE missions_private.recipe_usage (
  participant_id   uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  recipe_id        uuid NOT NULL REFERENCES missions_private.recipes (id) ON DELETE CASCADE,
  mission_id       uuid REFERENCES missions_private.missions (id) ON DELETE SET NULL,  -- where it was last used
  views            integer NOT NULL DEFAULT 0 CONSTRAINT recipe_usage_views_positive CHECK (views >= 0),
  seconds_spent    integer NOT NULL DEFAULT 0 CONSTRAINT recipe_usage_seconds_positive CHECK (seconds_spent >= 0),
  first_viewed_at  timestamptz,
  completed_at     timestamptz,
  marked_used_at   timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (participant_id, recipe_id)
);
COMMENT ON TABLE missions_private.recipe_usage IS 'Per participant and recipe: views, time spent, completed, marked used.';
CREATE INDEX recipe_usage_recipe_idx ON missions_private.recipe_usage (recipe_id);

CREATE TABLE missions_private.recipe_recommendations (
  mission_id      uuid NOT NULL REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  recipe_id       uuid NOT NULL REFERENCES missions_private.recipes (id) ON DELETE CASCADE,
  recommended_by  uuid NOT NULL REFERENCES missions_private.principals (id),
  created_at      timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (mission_id, recipe_id)
);
COMMENT ON TABLE missions_private.recipe_recommendations IS 'Recipes a mentor recommended in a review.';

ALTER TABLE missions_private.learning_missions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.subtask_notes ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.hint_reveals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.decisions ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.evidence_files ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.monthly_starts ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.portfolio_items ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.skill_signals ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.recipe_usage ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.recipe_recommendations ENABLE ROW LEVEL SECURITY;

-- Writes go through SECURITY DEFINER functions; plain SELECTs are filtered by the policies.
GRANT SELECT ON missions_private.learning_templates, missions_private.rubrics, missions_private.recipes,
  missions_private.recipe_links
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT SELECT ON missions_private.learning_missions, missions_private.subtask_notes, missions_private.hint_reveals,
  missions_private.decisions, missions_private.evidence_files, missions_private.monthly_starts,
  missions_private.portfolio_items, missions_private.skill_signals, missions_private.recipe_usage,
  missions_private.recipe_recommendations
  TO missions_participant, missions_admin, missions_service;
