-- The engine's invariants as one query set: the reliability suite runs it after every scenario, and
-- operators run it with `missions check`. Constraints and unique indexes enforce most of these on every
-- write; this re-derives them from the data, so a bug in a trigger or a function cannot hide.

-- missions.check_invariants: every invariant with its number of violations and up to five examples (all 0 when healthy).
CREATE OR REPLACE FUNCTION missions.check_invariants()
RETURNS TABLE (invariant text, violations bigint, examples jsonb)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN QUERY
  WITH found (invariant, example) AS (
    -- every balance equals the sum of its ledger entries (and no ledger sum lacks its balance row)
    SELECT 'balance equals the sum of its ledger entries',
           pg_catalog.jsonb_build_object('participant_id', coalesce(b.participant_id, l.participant_id),
                                         'currency', coalesce(b.currency, l.currency),
                                         'balance', b.amount, 'ledger_sum', l.total)
    FROM missions_private.balances b
    FULL JOIN (SELECT e.participant_id, e.currency, sum(e.amount) AS total
               FROM missions_private.ledger_entries e GROUP BY e.participant_id, e.currency) l
      ON l.participant_id = b.participant_id AND l.currency = b.currency
    WHERE coalesce(b.amount, 0) <> coalesce(l.total, 0)
    UNION ALL
    -- at most one open assignment per participant and template
    SELECT 'at most one open assignment per participant and template',
           pg_catalog.jsonb_build_object('participant_id', m.participant_id, 'template_id', m.template_id,
                                         'open', count(*))
    FROM missions_private.missions m
    WHERE m.status IN ('assigned', 'in_progress', 'submitted') AND m.template_id IS NOT NULL
    GROUP BY m.participant_id, m.template_id HAVING count(*) > 1
    UNION ALL
    -- a claim (lease) exists only on an in-progress step, whole: holder, token and expiry
    SELECT 'at most one live claim per step, only on in-progress steps',
           pg_catalog.jsonb_build_object('step_id', s.id, 'status', s.status, 'leased_by', s.leased_by)
    FROM missions_private.steps s
    WHERE (s.lease_token IS NOT NULL OR s.leased_by IS NOT NULL OR s.lease_expires_at IS NOT NULL)
      AND (s.status <> 'in_progress' OR s.lease_token IS NULL OR s.leased_by IS NULL OR s.lease_expires_at IS NULL)
    UNION ALL
    -- a completed challenge or learning mission has exactly one reward, and only completed missions have one
    SELECT 'one reward per completed mission',
           pg_catalog.jsonb_build_object('mission_id', m.id, 'status', m.status, 'rewarded', r.mission_id IS NOT NULL)
    FROM missions_private.missions m
    LEFT JOIN missions_private.mission_rewards r ON r.mission_id = m.id
    WHERE (r.mission_id IS NOT NULL AND m.status <> 'completed')
       OR (r.mission_id IS NULL AND m.status = 'completed'
           AND (m.face = 'learning'
                OR EXISTS (SELECT FROM missions_private.challenge_templates c WHERE c.template_id = m.template_id)))
    UNION ALL
    -- every reward's currency credits are in the ledger exactly once
    SELECT 'one reward per completed mission',
           pg_catalog.jsonb_build_object('mission_id', r.mission_id, 'currency', x.currency, 'entries', count(e.id))
    FROM missions_private.mission_rewards r
    CROSS JOIN LATERAL (VALUES ('MOMENTUM', r.momentum), ('SKILL_XP', r.skill_xp),
                               ('ARENA_POINTS', r.arena_points)) AS x(currency, amount)
    LEFT JOIN missions_private.ledger_entries e
      ON e.participant_id = r.participant_id AND e.currency = x.currency
     AND e.idempotency_key = 'mission:' || r.mission_id || ':' || x.currency
    WHERE x.amount > 0
    GROUP BY r.mission_id, x.currency HAVING count(e.id) <> 1
    UNION ALL
    -- daily claim quotas of step kinds
    SELECT 'quotas never exceeded',
           pg_catalog.jsonb_build_object('kind', u.kind, 'day', u.day, 'used', u.used, 'quota', k.daily_quota)
    FROM missions_private.quota_usage u
    JOIN missions_private.step_kinds k ON k.kind = u.kind
    WHERE u.used > k.daily_quota
    UNION ALL
    -- monthly learning starts: the counter covers the missions started, within the tier's quota
    SELECT 'quotas never exceeded',
           pg_catalog.jsonb_build_object('participant_id', ms.participant_id, 'month', ms.month, 'used', ms.used,
                                         'quota', missions_private.monthly_quota(p.tier))
    FROM missions_private.monthly_starts ms
    JOIN missions_private.principals p ON p.id = ms.participant_id
    WHERE ms.used > missions_private.monthly_quota(p.tier)
    UNION ALL
    -- no step completed twice: one completed result at most, and a completed result only on a completed step
    SELECT 'no step completed twice',
           pg_catalog.jsonb_build_object('step_id', r.step_id, 'completed_results', count(*), 'status', min(s.status))
    FROM missions_private.step_results r
    JOIN missions_private.steps s ON s.id = r.step_id
    WHERE r.outcome = 'completed'
    GROUP BY r.step_id HAVING count(*) > 1 OR min(s.status) <> 'completed'
    UNION ALL
    -- a task blocked by a task of its mission waits only while that task is unfinished
    SELECT 'no task blocked by a finished task',
           pg_catalog.jsonb_build_object('step_id', s.id, 'blocked_by_step', s.blocked_by_step, 'blocker_status', b.status)
    FROM missions_private.steps s
    JOIN missions_private.steps b ON b.id = s.blocked_by_step
    WHERE s.status = 'blocked' AND b.status IN ('completed', 'skipped')
  )
  SELECT i.name, count(f.example),
         coalesce((SELECT pg_catalog.jsonb_agg(x.example)
                   FROM (SELECT f5.example FROM found f5 WHERE f5.invariant = i.name LIMIT 5) x), '[]')
  FROM (VALUES (1, 'balance equals the sum of its ledger entries'),
               (2, 'at most one open assignment per participant and template'),
               (3, 'at most one live claim per step, only on in-progress steps'),
               (4, 'one reward per completed mission'),
               (5, 'quotas never exceeded'),
               (6, 'no step completed twice'),
               (7, 'no task blocked by a finished task')) AS i(position, name)
  LEFT JOIN found f ON f.invariant = i.name
  GROUP BY i.position, i.name
  ORDER BY i.position;
END
$fn$;
COMMENT ON FUNCTION missions.check_invariants() IS
  'The engine''s invariants (ledger = balances, one open assignment, claims only on in-progress steps, one reward per completed mission, quotas, no double completion, no task blocked by a finished task): violations and up to 5 examples each.';
