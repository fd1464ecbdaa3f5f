-- Engagement face: challenge templates, the currency ledger, streaks and triad, alerts, the wall.

CREATE TABLE missions_private.challenge_templates (
  template_id     uuid PRIMARY KEY REFERENCES missions_private.templates (id) ON DELETE CASCADE,
  skill_domain    text NOT NULL
                  CONSTRAINT challenge_templates_domain_valid CHECK (skill_domain IN ('TECHNICAL', 'SOFT', 'COMMERCIAL')),
  difficulty      text NOT NULL
                  CONSTRAINT challenge_templates_difficulty_valid CHECK (difficulty IN ('EASY', 'MEDIUM', 'HARD')),
  momentum        integer NOT NULL DEFAULT 10 CONSTRAINT challenge_templates_momentum_range CHECK (momentum BETWEEN 0 AND 1000000),
  skill_xp        integer NOT NULL DEFAULT 5 CONSTRAINT challenge_templates_skill_xp_range CHECK (skill_xp BETWEEN 0 AND 1000000),
  arena_points    integer NOT NULL DEFAULT 0
                  CONSTRAINT challenge_templates_arena_points_range CHECK (arena_points BETWEEN 0 AND 1000000),
  required_level  text NOT NULL DEFAULT 'L0_APPLICANT'
                  CONSTRAINT challenge_templates_level_valid
                  CHECK (required_level IN ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED',
                                            'L4_EARNER', 'L5_CATALYST')),
  is_daily        boolean NOT NULL DEFAULT false,
  is_weekly       boolean NOT NULL DEFAULT false,
  -- The repeat policy: how often the template pays one participant (README, engagement rules).
  repeat          text NOT NULL DEFAULT 'once'
                  CONSTRAINT challenge_templates_repeat_valid CHECK (repeat IN ('once', 'cooldown', 'unlimited')),
  cooldown_seconds integer
                  CONSTRAINT challenge_templates_cooldown_range CHECK (cooldown_seconds BETWEEN 60 AND 31622400),
  daily_cap       integer CONSTRAINT challenge_templates_daily_cap_range CHECK (daily_cap BETWEEN 1 AND 100),
  CONSTRAINT challenge_templates_one_period CHECK (NOT (is_daily AND is_weekly)),
  -- a daily or weekly template pays once per local day or week, nothing else
  CONSTRAINT challenge_templates_periodic_repeat_once CHECK (NOT (is_daily OR is_weekly) OR repeat = 'once'),
  CONSTRAINT challenge_templates_cooldown_for_cooldown CHECK ((repeat = 'cooldown') = (cooldown_seconds IS NOT NULL)),
  CONSTRAINT challenge_templates_daily_cap_for_unlimited CHECK (daily_cap IS NULL OR repeat = 'unlimited'),
  -- repeating without limit only where an admin approves every payout (MEDIUM, HARD), or under a daily cap
  CONSTRAINT challenge_templates_unlimited_reviewed_or_capped
    CHECK (repeat <> 'unlimited' OR difficulty <> 'EASY' OR daily_cap IS NOT NULL)
);
COMMENT ON TABLE missions_private.challenge_templates IS
  'Engagement attributes of a template: domain, difficulty, rewards, level gate, daily/weekly flags, repeat policy.';

-- What a participant sees of a challenge template.
CREATE VIEW missions_private.challenges WITH (security_invoker = true) AS
  SELECT t.id, t.title, t.description, c.skill_domain, c.difficulty, c.momentum, c.skill_xp, c.arena_points,
         c.required_level, c.is_daily, c.is_weekly, t.is_active, t.created_at, c.repeat, c.cooldown_seconds,
         c.daily_cap
  FROM missions_private.templates t
  JOIN missions_private.challenge_templates c ON c.template_id = t.id;

-- The currencies: this domain's CHECK is the one list (missions_private.currencies() reads it, in this order,
-- for the functions that open, validate or list balances).
CREATE DOMAIN missions_private.currency AS text
  CONSTRAINT currency_valid CHECK (VALUE IN ('MOMENTUM', 'SKILL_XP', 'ARENA_POINTS', 'INCOME_PROOF'));
COMMENT ON DOMAIN missions_private.currency IS 'A currency of the ledger: MOMENTUM, SKILL_XP, ARENA_POINTS, INCOME_PROOF.';

CREATE TABLE missions_private.ledger_entries (
  id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  participant_id   uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  currency         missions_private.currency NOT NULL,
  amount           bigint NOT NULL,     -- signed: what was actually credited (> 0) or debited (<= 0)
  requested        bigint NOT NULL,     -- what the caller asked for (a debit may be floored at zero)
  reason           text NOT NULL CONSTRAINT ledger_entries_reason_length CHECK (length(reason) BETWEEN 1 AND 200),
  reference        text CONSTRAINT ledger_entries_reference_length CHECK (length(reference) <= 200),
  idempotency_key  text CONSTRAINT ledger_entries_idempotency_key_length CHECK (length(idempotency_key) <= 200),
  actor_id         uuid,
  created_at       timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.ledger_entries IS
  'Append-only currency ledger; balances always equal the sum of these amounts.';
CREATE UNIQUE INDEX ledger_entries_idempotency ON missions_private.ledger_entries (participant_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;
CREATE INDEX ledger_entries_participant_idx ON missions_private.ledger_entries (participant_id, id);

CREATE TABLE missions_private.balances (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  currency        missions_private.currency NOT NULL,
  amount          bigint NOT NULL DEFAULT 0 CONSTRAINT balances_never_negative CHECK (amount >= 0),
  PRIMARY KEY (participant_id, currency)
);
COMMENT ON TABLE missions_private.balances IS 'Current balance per participant and currency (the sum of ledger entries).';

CREATE TABLE missions_private.mission_rewards (
  mission_id      uuid PRIMARY KEY REFERENCES missions_private.missions (id) ON DELETE CASCADE,
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  momentum        integer NOT NULL,
  skill_xp        integer NOT NULL,
  arena_points    integer NOT NULL,
  skill_domain    text NOT NULL,
  triad_points    integer NOT NULL,
  rewarded_at     timestamptz NOT NULL DEFAULT missions.now(),
  template_id     uuid REFERENCES missions_private.templates (id),
  repeat_key      text CONSTRAINT mission_rewards_repeat_key_length CHECK (length(repeat_key) <= 100)
);
COMMENT ON TABLE missions_private.mission_rewards IS
  'One row per rewarded mission: the primary key makes every reward happen once; the repeat key (copied from the mission) at most once per participant and template.';
-- The payout side of the repeat policy: one reward per participant, template and repeat key.
CREATE UNIQUE INDEX mission_rewards_one_per_repeat_key
  ON missions_private.mission_rewards (participant_id, template_id, repeat_key) WHERE repeat_key IS NOT NULL;

CREATE TABLE missions_private.participant_progress (
  participant_id    uuid PRIMARY KEY REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  current_streak    integer NOT NULL DEFAULT 0 CONSTRAINT participant_progress_streak_positive CHECK (current_streak >= 0),
  longest_streak    integer NOT NULL DEFAULT 0,
  last_check_in     date,   -- the participant's local day of the latest check-in
  last_decay_day    date,   -- the latest local day the decay job has evaluated
  triad_technical   integer NOT NULL DEFAULT 0,
  triad_soft        integer NOT NULL DEFAULT 0,
  triad_commercial  integer NOT NULL DEFAULT 0,
  CONSTRAINT participant_progress_longest_covers_current CHECK (longest_streak >= current_streak)
);
COMMENT ON TABLE missions_private.participant_progress IS 'Streaks, decay bookkeeping and the skill triad of each participant.';

CREATE TABLE missions_private.check_ins (
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  local_day       date NOT NULL,
  checked_in_at   timestamptz NOT NULL DEFAULT missions.now(),
  PRIMARY KEY (participant_id, local_day)
);
COMMENT ON TABLE missions_private.check_ins IS 'One row per participant and local day with a check-in.';

CREATE TABLE missions_private.alerts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  type            text NOT NULL
                  CONSTRAINT alerts_type_valid CHECK (type IN ('LOW_MOMENTUM', 'MISSED_MISSIONS', 'TRIAD_IMBALANCE')),
  severity        text NOT NULL CONSTRAINT alerts_severity_valid CHECK (severity IN ('HIGH', 'MEDIUM', 'LOW')),
  status          text NOT NULL DEFAULT 'triggered'
                  CONSTRAINT alerts_status_valid CHECK (status IN ('triggered', 'resolved')),
  details         jsonb NOT NULL DEFAULT '{}',
  created_at      timestamptz NOT NULL DEFAULT missions.now(),
  resolved_at     timestamptz,
  resolved_by     uuid REFERENCES missions_private.principals (id),
  notes           text CONSTRAINT alerts_notes_length CHECK (length(notes) <= 2000),
  CONSTRAINT alerts_resolution_consistent CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
COMMENT ON TABLE missions_private.alerts IS 'Intervention alerts for admins: triggered, then resolved with notes.';
CREATE UNIQUE INDEX alerts_one_open_per_type ON missions_private.alerts (participant_id, type)
  WHERE status = 'triggered';
CREATE INDEX alerts_status_idx ON missions_private.alerts (status, created_at, id);
CREATE INDEX alerts_created_idx ON missions_private.alerts (created_at, id);

CREATE TABLE missions_private.wall_posts (
  id              uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  participant_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  body            text NOT NULL CONSTRAINT wall_posts_body_length CHECK (length(body) BETWEEN 1 AND 5000),
  published_at    timestamptz NOT NULL DEFAULT missions.now(),
  rank_score      numeric(12, 2) NOT NULL DEFAULT 0,
  ranked_at       timestamptz,
  -- 'post': written by the participant; otherwise a system post of an achievement of the participant
  kind            text NOT NULL DEFAULT 'post'
                  CONSTRAINT wall_posts_kind_valid CHECK (kind IN ('post', 'hard_completion', 'streak_milestone', 'level_up')),
  -- what the achievement was (a mission id, '<streak>:<local day>', a level): unique per participant and kind
  achievement_ref text CONSTRAINT wall_posts_achievement_ref_length CHECK (length(achievement_ref) <= 100),
  CONSTRAINT wall_posts_achievement_has_ref CHECK ((kind = 'post') = (achievement_ref IS NULL))
);
COMMENT ON TABLE missions_private.wall_posts IS
  'The public wall: participants'' posts and system posts of achievements (kind); rank_score is recomputed hourly.';
-- Each achievement is posted once, whoever races to post it.
CREATE UNIQUE INDEX wall_posts_one_per_achievement
  ON missions_private.wall_posts (participant_id, kind, achievement_ref) WHERE achievement_ref IS NOT NULL;
CREATE INDEX wall_posts_feed_idx ON missions_private.wall_posts (rank_score DESC, published_at DESC, id DESC);
CREATE INDEX wall_posts_participant_idx ON missions_private.wall_posts (participant_id);

CREATE TABLE missions_private.settings (
  key    text PRIMARY KEY,
  value  text NOT NULL
);
COMMENT ON TABLE missions_private.settings IS 'Engine settings an admin may change (e.g. campaign_hashtag).';

-- Stipend tiers: a ladder of balance thresholds staff manage (missions.set_stipend_tier). A participant
-- qualifies for a tier when they meet its threshold and those of every lower rank.
CREATE TABLE missions_private.stipend_tiers (
  code         text PRIMARY KEY CONSTRAINT stipend_tiers_code_valid CHECK (code ~ '^[A-Z][A-Z0-9_]{0,39}$'),
  rank         integer NOT NULL CONSTRAINT stipend_tiers_rank_range CHECK (rank BETWEEN 1 AND 20),
  currency     missions_private.currency NOT NULL,
  min_balance  bigint NOT NULL CONSTRAINT stipend_tiers_min_balance_range CHECK (min_balance BETWEEN 0 AND 1000000000),
  description  text CONSTRAINT stipend_tiers_description_length CHECK (length(description) <= 500),
  CONSTRAINT stipend_tiers_rank_unique UNIQUE (rank)
);
COMMENT ON TABLE missions_private.stipend_tiers IS
  'Support eligibility and stipend tiers: a ladder (rank 1..20) of minimum balances of a currency.';
-- The tiers shipped (staff change them; a migrate never re-adds a deleted one).
INSERT INTO missions_private.stipend_tiers (code, rank, currency, min_balance, description) VALUES
  ('SUPPORT', 1, 'MOMENTUM', 30, 'Eligible for support: momentum at or above the low-momentum line'),
  ('STIPEND_BASIC', 2, 'MOMENTUM', 100, 'Basic stipend'),
  ('STIPEND_PLUS', 3, 'MOMENTUM', 250, 'Higher stipend for sustained momentum');

ALTER TABLE missions_private.ledger_entries ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.balances ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.mission_rewards ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.participant_progress ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.check_ins ENABLE ROW LEVEL SECURITY;
ALTER TABLE missions_private.alerts ENABLE ROW LEVEL SECURITY;

GRANT SELECT ON missions_private.challenge_templates, missions_private.challenges, missions_private.ledger_entries,
  missions_private.balances, missions_private.mission_rewards, missions_private.participant_progress,
  missions_private.check_ins, missions_private.alerts, missions_private.wall_posts, missions_private.settings,
  missions_private.stipend_tiers
  TO missions_participant, missions_admin, missions_mentor, missions_agent, missions_service;
GRANT UPDATE ON missions_private.alerts TO missions_admin, missions_service;
GRANT INSERT, UPDATE ON missions_private.challenge_templates TO missions_admin, missions_service;
