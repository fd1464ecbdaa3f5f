-- Demo challenges: the seed's example missions (idempotent by fixed ids), and a first wall post.
WITH challenge (id, title, description, skill_domain, difficulty, arena_points, required_level, is_daily, is_weekly) AS (
  VALUES
    ('00000000-0000-4000-b000-000000000001'::uuid, 'Record a 30-second intro video',
     'Introduce yourself on camera in 30 seconds and share the link.', 'SOFT', 'EASY', 0, 'L0_APPLICANT', true, false),
    ('00000000-0000-4000-b000-000000000002'::uuid, 'Send 2 cold outreach messages',
     'Write to two potential clients; attach a screenshot as proof.', 'COMMERCIAL', 'MEDIUM', 5, 'L0_APPLICANT', true, false),
    ('00000000-0000-4000-b000-000000000003'::uuid, 'Deploy a Vercel project',
     'Put a project online and share its URL.', 'TECHNICAL', 'HARD', 10, 'L1_ACTIVATED', false, false),
    ('00000000-0000-4000-b000-000000000004'::uuid, 'Build a simple API',
     'Two endpoints, one test, a README.', 'TECHNICAL', 'MEDIUM', 0, 'L2_SKILLED', false, true),
    ('00000000-0000-4000-b000-000000000005'::uuid, 'Record a 1-min pitch',
     'Pitch your offer in one minute.', 'SOFT', 'MEDIUM', 0, 'L0_APPLICANT', false, true),
    ('00000000-0000-4000-b000-000000000006'::uuid, 'Write a client proposal',
     'A one-page proposal for a real or imagined client.', 'SOFT', 'HARD', 5, 'L2_SKILLED', false, false),
    ('00000000-0000-4000-b000-000000000007'::uuid, 'Book a discovery call',
     'Get a prospect on a call; proof is the calendar invite.', 'COMMERCIAL', 'HARD', 20, 'L3_EXPOSED', false, false),
    ('00000000-0000-4000-b000-000000000008'::uuid, 'Build a Landing Page',
     'A landing page for your offer, live.', 'TECHNICAL', 'MEDIUM', 0, 'L1_ACTIVATED', false, false)
),
templates AS (
  INSERT INTO missions_private.templates (id, face, title, description)
  SELECT id, 'engagement', title, description FROM challenge
  ON CONFLICT (id) DO NOTHING
)
INSERT INTO missions_private.challenge_templates
  (template_id, skill_domain, difficulty, arena_points, required_level, is_daily, is_weekly)
SELECT id, skill_domain, difficulty, arena_points, required_level, is_daily, is_weekly FROM challenge
ON CONFLICT (template_id) DO NOTHING;

INSERT INTO missions_private.wall_posts (id, participant_id, body)
VALUES ('00000000-0000-4000-c000-000000000001', '00000000-0000-4000-a000-000000000002',
        'Day one: recorded my intro video. #Cycle28')
ON CONFLICT (id) DO NOTHING;
SELECT missions.recalculate_wall_ranks();

-- Seed 000's moments: Sam completes a HARD challenge (an achievement post on the wall) and holds enough
-- momentum for a stipend tier (STIPEND_BASIC: 10 of the reward + 110 credited = 120). Once: the mission is
-- made only when Sam has none of that template, the credit has an idempotency key.
DO $demo$
DECLARE
  v_sam constant uuid := '00000000-0000-4000-a000-000000000007';
  v_ada constant uuid := '00000000-0000-4000-a000-000000000001';
  v_template constant uuid := '00000000-0000-4000-b000-000000000007';  -- Book a discovery call (HARD)
  v_mission uuid;
BEGIN
  IF NOT EXISTS (SELECT FROM missions_private.missions m WHERE m.participant_id = v_sam AND m.template_id = v_template) THEN
    SELECT m.id INTO v_mission FROM missions.assign_mission(v_sam, v_template, 7) m;
    PERFORM missions.start_mission(v_mission, v_sam);
    PERFORM missions.submit_mission(v_mission, 'https://calendar.example/invite/42', 'Discovery call booked for Friday.', v_sam);
    PERFORM missions.approve_mission(v_mission, v_ada);
  END IF;
  PERFORM missions.credit(v_sam, 'MOMENTUM', 110, 'DEMO_MOMENTUM', 'demo:momentum');
END
$demo$;

-- A level-up: staff raise Lee from L1_ACTIVATED to L2_SKILLED (a principal.level_changed event and a level_up
-- post on the wall). Loading the demo again changes nothing: Lee is already L2, and a level is posted once.
SELECT missions.update_principal('00000000-0000-4000-a000-000000000006', '{"level": "L2_SKILLED"}');
