-- The state machines as data: every allowed (from -> to) status change of missions and steps.
-- Re-applied on every migrate, so this file is the single source of the rules.
CREATE TEMP TABLE wanted_transitions (entity text, from_status text, to_status text) ON COMMIT DROP;
INSERT INTO wanted_transitions (entity, from_status, to_status) VALUES
  -- missions: proposed -> assigned -> in_progress <-> waiting / paused -> submitted -> completed; re-plan -> proposed
  ('mission', NULL, 'proposed'), ('mission', NULL, 'assigned'),
  ('mission', 'proposed', 'assigned'), ('mission', 'proposed', 'cancelled'),
  ('mission', 'proposed', 'expired'),  -- an agent mission whose due_at passed before anyone approved it
  ('mission', 'assigned', 'in_progress'), ('mission', 'assigned', 'expired'),
  ('mission', 'assigned', 'cancelled'), ('mission', 'assigned', 'failed'),
  ('mission', 'in_progress', 'waiting'), ('mission', 'in_progress', 'paused'),
  ('mission', 'in_progress', 'submitted'), ('mission', 'in_progress', 'completed'),
  ('mission', 'in_progress', 'failed'), ('mission', 'in_progress', 'expired'),
  ('mission', 'in_progress', 'cancelled'),
  ('mission', 'assigned', 'waiting'), ('mission', 'assigned', 'paused'),
  ('mission', 'waiting', 'in_progress'), ('mission', 'waiting', 'paused'), ('mission', 'waiting', 'completed'),
  ('mission', 'waiting', 'failed'), ('mission', 'waiting', 'expired'), ('mission', 'waiting', 'cancelled'),
  ('mission', 'paused', 'in_progress'), ('mission', 'paused', 'waiting'),
  ('mission', 'paused', 'failed'), ('mission', 'paused', 'expired'), ('mission', 'paused', 'cancelled'),
  ('mission', 'submitted', 'completed'), ('mission', 'submitted', 'failed'),
  ('mission', 'submitted', 'in_progress'),  -- changes requested by a reviewer
  -- re-plan (seed 004: executing -> replan -> planning): a running agent mission goes back to proposed with
  -- its new plan, and on to assigned at once when every kind of the new plan is trusted (replan_mission)
  ('mission', 'assigned', 'proposed'), ('mission', 'in_progress', 'proposed'), ('mission', 'waiting', 'proposed'),
  ('mission', 'paused', 'proposed'),
  -- steps: pending -> ready -> in_progress -> completed, with waits, blocks, skips and failures
  ('step', NULL, 'pending'), ('step', NULL, 'ready'),
  ('step', 'pending', 'ready'), ('step', 'pending', 'blocked'), ('step', 'pending', 'skipped'),
  ('step', 'pending', 'failed'),
  ('step', 'pending', 'in_progress'), ('step', 'pending', 'completed'),  -- persistent tasks updated by their agent
  ('step', 'pending', 'waiting_human'), ('step', 'pending', 'waiting_external'),
  ('step', 'ready', 'waiting_human'), ('step', 'ready', 'waiting_external'), ('step', 'ready', 'completed'),
  ('step', 'ready', 'in_progress'), ('step', 'ready', 'pending'), ('step', 'ready', 'blocked'),
  ('step', 'ready', 'skipped'), ('step', 'ready', 'failed'),
  ('step', 'in_progress', 'completed'), ('step', 'in_progress', 'failed'),
  ('step', 'in_progress', 'ready'),  -- released, lease expired, or retried
  ('step', 'in_progress', 'waiting_human'), ('step', 'in_progress', 'waiting_external'),
  ('step', 'in_progress', 'blocked'), ('step', 'in_progress', 'skipped'),
  ('step', 'waiting_human', 'in_progress'), ('step', 'waiting_human', 'ready'),
  ('step', 'waiting_human', 'failed'), ('step', 'waiting_human', 'skipped'),
  ('step', 'waiting_external', 'in_progress'), ('step', 'waiting_external', 'ready'),
  ('step', 'waiting_external', 'failed'), ('step', 'waiting_external', 'skipped'),
  ('step', 'blocked', 'ready'), ('step', 'blocked', 'pending'), ('step', 'blocked', 'skipped'),
  ('step', 'blocked', 'failed'),
  ('step', 'failed', 'ready');  -- retried by an operator

DELETE FROM missions_private.transitions t
WHERE NOT EXISTS (SELECT FROM wanted_transitions w
                  WHERE w.entity = t.entity AND w.from_status IS NOT DISTINCT FROM t.from_status
                    AND w.to_status = t.to_status);
INSERT INTO missions_private.transitions (entity, from_status, to_status)
SELECT entity, from_status, to_status FROM wanted_transitions
ON CONFLICT ON CONSTRAINT transitions_unique DO NOTHING;
