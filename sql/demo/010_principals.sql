-- Demo principals with well-known API keys (printed by `make run`). Never load demo data in production.
-- Idempotent: fixed ids and key prefixes, inserted only when missing; a demo key revoked stays revoked.
-- The keys are public: `missions serve` recognises them by these strings (app/demo.py reads them from here)
-- and refuses a non-embedded database where one is still active. Their label is 'demo'.
CREATE TEMP TABLE IF NOT EXISTS demo_keys (role text, display_name text, api_key text, revoked boolean);
TRUNCATE demo_keys;

WITH people (id, role, display_name, level, tier, timezone, api_key) AS (
  VALUES
    ('00000000-0000-4000-a000-000000000001'::uuid, 'admin', 'Ada Admin', 'L0_APPLICANT', 'FREE', 'UTC',
     'mk_demoadmin_insecure-demo-key-ada'),
    ('00000000-0000-4000-a000-000000000002'::uuid, 'participant', 'Pat Participant', 'L2_SKILLED', 'PREMIUM',
     'Europe/Paris', 'mk_demopat_insecure-demo-key-pat'),
    ('00000000-0000-4000-a000-000000000003'::uuid, 'mentor', 'Mia Mentor', 'L0_APPLICANT', 'FREE', 'UTC',
     'mk_demomia_insecure-demo-key-mia'),
    ('00000000-0000-4000-a000-000000000004'::uuid, 'agent', 'Atlas', 'L0_APPLICANT', 'FREE', 'UTC',
     'mk_demoatlas_insecure-demo-key-atlas'),
    ('00000000-0000-4000-a000-000000000008'::uuid, 'agent', 'Scout', 'L0_APPLICANT', 'FREE', 'UTC',
     'mk_demoscout_insecure-demo-key-scout'),
    ('00000000-0000-4000-a000-000000000009'::uuid, 'agent', 'MilkBot', 'L0_APPLICANT', 'FREE', 'UTC',
     'mk_demomilkbot_insecure-demo-key-milkbot'),
    ('00000000-0000-4000-a000-000000000005'::uuid, 'service', 'Demo Service', 'L0_APPLICANT', 'FREE', 'UTC',
     'mk_demosvc_insecure-demo-key-svc'),
    ('00000000-0000-4000-a000-000000000006'::uuid, 'participant', 'Lee Participant', 'L1_ACTIVATED', 'FREE',
     'Asia/Tokyo', 'mk_demolee_insecure-demo-key-lee'),
    ('00000000-0000-4000-a000-000000000007'::uuid, 'participant', 'Sam Participant', 'L4_EARNER', 'STARTER',
     'America/New_York', 'mk_demosam_insecure-demo-key-sam')
),
principals AS (
  INSERT INTO missions_private.principals (id, role, display_name, level, tier, timezone)
  SELECT id, role, display_name, level, tier, timezone FROM people
  ON CONFLICT (id) DO NOTHING
),
keys AS (
  INSERT INTO missions_private.api_keys (principal_id, prefix, secret_hash, label)
  SELECT id, split_part(api_key, '_', 2), sha256(convert_to(api_key, 'UTF8')), 'demo'
  FROM people
  -- a revoked demo key stays revoked: loading the demo again never brings a public key back to life
  ON CONFLICT ON CONSTRAINT api_keys_prefix_unique DO NOTHING
)
INSERT INTO demo_keys
SELECT people.role, people.display_name, people.api_key,
       EXISTS (SELECT FROM missions_private.api_keys k
               WHERE k.prefix = split_part(people.api_key, '_', 2) AND k.revoked_at IS NOT NULL)
FROM people;
