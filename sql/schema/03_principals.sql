-- Principals (participants, admins, mentors, agents, services) and their hashed API keys.
CREATE TABLE missions_private.principals (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  role          text NOT NULL
                CONSTRAINT principals_role_valid
                CHECK (role IN ('participant', 'admin', 'mentor', 'agent', 'service')),
  display_name  text NOT NULL
                CONSTRAINT principals_display_name_length CHECK (length(display_name) BETWEEN 1 AND 200),
  level         text NOT NULL DEFAULT 'L0_APPLICANT'
                CONSTRAINT principals_level_valid
                CHECK (level IN ('L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED',
                                 'L4_EARNER', 'L5_CATALYST')),
  tier          text NOT NULL DEFAULT 'FREE'
                CONSTRAINT principals_tier_valid CHECK (tier IN ('FREE', 'STARTER', 'PREMIUM')),
  timezone      text NOT NULL DEFAULT 'UTC',
  cohort        text CONSTRAINT principals_cohort_length CHECK (length(cohort) <= 100),
  active        boolean NOT NULL DEFAULT true,
  paused        boolean NOT NULL DEFAULT false,
  db_role       text CONSTRAINT principals_db_role_unique UNIQUE,
  attrs         jsonb NOT NULL DEFAULT '{}'
                CONSTRAINT principals_attrs_object CHECK (jsonb_typeof(attrs) = 'object'),
  created_at    timestamptz NOT NULL DEFAULT missions.now()
);
COMMENT ON TABLE missions_private.principals IS
  'Everyone who acts: participants, admins, mentors, agents, services. db_role binds a database login role for direct SQL callers.';

-- The staff's principal search (missions.search_principals) walks this order, filtering as it goes.
CREATE INDEX principals_display_name_idx ON missions_private.principals (display_name, id);

CREATE TABLE missions_private.api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  principal_id  uuid NOT NULL REFERENCES missions_private.principals (id) ON DELETE CASCADE,
  prefix        text NOT NULL CONSTRAINT api_keys_prefix_unique UNIQUE,
  secret_hash   bytea NOT NULL,
  label         text CONSTRAINT api_keys_label_length CHECK (length(label) <= 200),
  created_at    timestamptz NOT NULL DEFAULT missions.now(),
  revoked_at    timestamptz
);
COMMENT ON TABLE missions_private.api_keys IS
  'Bearer API keys: mk_<prefix>_<secret>; only sha256 of the whole key is stored.';
CREATE INDEX api_keys_principal_idx ON missions_private.api_keys (principal_id, created_at, id);
