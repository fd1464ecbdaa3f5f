-- Scheduled job bodies (pg_cron calls them; tests, DBAs and admins may too). Each is set-based, idempotent,
-- reads the engine clock once, and returns the number of rows it changed. They are SECURITY DEFINER
-- because they act on every participant by design; EXECUTE is granted to admins and services only.

-- missions_private.decay_amount: the momentum a participant loses for a local day without a check-in.
CREATE OR REPLACE FUNCTION missions_private.decay_amount() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 5
$fn$;
COMMENT ON FUNCTION missions_private.decay_amount() IS
  'Momentum decay per local day without a check-in: 5 (booked as -5 DECAY_INACTIVE, floored at a zero balance).';

-- missions_private.low_momentum_threshold: momentum under this is low (LOW_MOMENTUM alert, pause when inactive).
CREATE OR REPLACE FUNCTION missions_private.low_momentum_threshold() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 30
$fn$;
COMMENT ON FUNCTION missions_private.low_momentum_threshold() IS
  'Momentum under 30 is low: the decay job raises LOW_MOMENTUM, and an inactive participant under it is paused.';

-- missions_private.inactivity_days: local days without a check-in after which a low-momentum participant is paused.
CREATE OR REPLACE FUNCTION missions_private.inactivity_days() RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 7
$fn$;
COMMENT ON FUNCTION missions_private.inactivity_days() IS
  'The inactivity window: 7 local days without a check-in (with low momentum) pause a participant.';

-- missions_private.assign_periodic_missions: gives each due participant one random eligible daily or weekly template.
CREATE OR REPLACE FUNCTION missions_private.assign_periodic_missions(p_origin text) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_count integer;
BEGIN
  -- An overdue mission is expired even if the 6-hourly sweep has not run yet, so that yesterday's
  -- ignored daily never blocks today's (one open assignment per template).
  PERFORM missions.expire_missions();
  WITH offered AS MATERIALIZED (  -- the few active templates of this period, each level rank computed once
    SELECT c.id, c.title, missions_private.level_rank(c.required_level) AS required_rank
    FROM missions_private.challenges c
    WHERE c.is_active AND CASE p_origin WHEN 'daily' THEN c.is_daily ELSE c.is_weekly END
  ), assigned AS (
    INSERT INTO missions_private.missions
      (face, template_id, participant_id, title, status, origin, period, expires_at, repeat_key)
    SELECT 'engagement', pick.id, due.participant_id, pick.title, 'assigned', p_origin, due.period,
           -- due when the next one is: 06:00 local the next day (daily) or the next Monday (weekly)
           ((due.period + CASE p_origin WHEN 'daily' THEN 1 ELSE 7 END) + time '06:00') AT TIME ZONE due.timezone,
           due.repeat_key
    FROM (
      SELECT p.id AS participant_id, missions_private.level_rank(p.level) AS level_rank, p.timezone, l.period,
             -- the repeat key of the period (repeat policy 'once' per local day or week; missions_private.repeat_slot)
             CASE p_origin WHEN 'daily' THEN 'day:' ELSE 'week:' END || l.period AS repeat_key
      FROM missions_private.principals p
      CROSS JOIN LATERAL (SELECT v_now AT TIME ZONE p.timezone AS local_now) t
      CROSS JOIN LATERAL (SELECT CASE p_origin WHEN 'daily' THEN t.local_now::date
                                      ELSE pg_catalog.date_trunc('week', t.local_now)::date END AS period) l
      WHERE p.role = 'participant' AND p.active AND NOT p.paused
        AND t.local_now::time >= time '06:00'
      OFFSET 0  -- keeps level_rank one call per participant (pulled up, it runs once per template tried)
    ) due
    CROSS JOIN LATERAL (
      SELECT c.id, c.title
      FROM offered c
      WHERE c.required_rank <= due.level_rank
        -- no open assignment of it, and its slot of this period not taken (e.g. by a manual assignment)
        AND NOT EXISTS (SELECT FROM missions_private.missions o
                        WHERE o.participant_id = due.participant_id AND o.template_id = c.id
                          AND (o.status IN ('assigned', 'in_progress', 'submitted')
                               OR (o.repeat_key = due.repeat_key AND o.status NOT IN ('failed', 'expired', 'cancelled'))))
      ORDER BY pg_catalog.random()
      LIMIT 1
    ) pick
    WHERE NOT EXISTS (SELECT FROM missions_private.missions m
                      WHERE m.participant_id = due.participant_id AND m.origin = p_origin AND m.period = due.period)
    ON CONFLICT DO NOTHING
    RETURNING id, participant_id, title, expires_at
  ), notified AS (  -- notification rule: daily (weekly) mission assigned -> the participant
    INSERT INTO missions_private.notifications (recipient_id, kind, moment, mission_id, title, details)
    SELECT a.participant_id, 'mission_assigned', 'mission:' || a.id, a.id,
           pg_catalog.left('New ' || p_origin || ' mission: ' || a.title, 600),
           pg_catalog.jsonb_build_object('origin', p_origin, 'due_at', a.expires_at)
    FROM assigned a
    ON CONFLICT ON CONSTRAINT notifications_once DO NOTHING
  )
  SELECT count(*) INTO v_count FROM assigned;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.assign_periodic_missions(text) IS
  'Expires overdue missions, then assigns one random eligible daily or weekly template (not yet taken this period: repeat key day:/week:<period>) to every active, unpaused participant whose local time is past 06:00 and who has none for this local day/week; it is due at 06:00 local when the next one is (1 day, or the next Monday).';

-- missions.assign_daily_missions: the hourly daily-assignment job; returns the missions assigned.
CREATE OR REPLACE FUNCTION missions.assign_daily_missions() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.assign_periodic_missions('daily')
$fn$;
COMMENT ON FUNCTION missions.assign_daily_missions() IS
  'Job (hourly): one daily mission per participant per local day, from 06:00 local time, due at 06:00 the next day.';

-- missions.assign_weekly_missions: the hourly weekly-assignment job; returns the missions assigned.
CREATE OR REPLACE FUNCTION missions.assign_weekly_missions() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.assign_periodic_missions('weekly')
$fn$;
COMMENT ON FUNCTION missions.assign_weekly_missions() IS
  'Job (hourly): one weekly mission per participant per local week (Monday-based), from 06:00 local time, due at 06:00 the next Monday.';

-- missions.apply_momentum_decay: at each participant's local midnight, -decay_amount momentum and streak 0 if the day had no check-in.
CREATE OR REPLACE FUNCTION missions.apply_momentum_decay() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_count integer;
  v_low uuid[];
BEGIN
  WITH due AS (
    SELECT pp.participant_id, l.today - 1 AS ended_day, pp.last_check_in,
           NOT EXISTS (SELECT FROM missions_private.check_ins ci
                       WHERE ci.participant_id = pp.participant_id AND ci.local_day = l.today - 1) AS missed
    FROM missions_private.participant_progress pp
    JOIN missions_private.principals p ON p.id = pp.participant_id
    CROSS JOIN LATERAL (SELECT (v_now AT TIME ZONE p.timezone)::date AS today,
                               (p.created_at AT TIME ZONE p.timezone)::date AS joined) l
    WHERE p.role = 'participant' AND p.active AND NOT p.paused
      AND (pp.last_decay_day IS NULL OR pp.last_decay_day < l.today - 1)
      AND l.joined <= l.today - 1
    FOR UPDATE OF pp
  ),
  marked AS (
    UPDATE missions_private.participant_progress pp
    SET last_decay_day = due.ended_day,
        current_streak = CASE WHEN due.missed AND coalesce(due.last_check_in < due.ended_day, true)
                              THEN 0 ELSE pp.current_streak END
    FROM due
    WHERE pp.participant_id = due.participant_id
    RETURNING pp.participant_id, due.ended_day, due.missed
  ),
  momentum AS (
    SELECT b.participant_id, b.amount
    FROM missions_private.balances b
    JOIN marked ON marked.participant_id = b.participant_id AND marked.missed
    WHERE b.currency = 'MOMENTUM'
    FOR UPDATE OF b
  ),
  debited AS (
    UPDATE missions_private.balances b
    SET amount = b.amount - least(momentum.amount, missions_private.decay_amount())
    FROM momentum
    WHERE b.participant_id = momentum.participant_id AND b.currency = 'MOMENTUM'
    RETURNING b.participant_id, least(momentum.amount, missions_private.decay_amount()) AS taken, b.amount AS left_over
  ),
  booked AS (
    INSERT INTO missions_private.ledger_entries
      (participant_id, currency, amount, requested, reason, reference, idempotency_key)
    SELECT debited.participant_id, 'MOMENTUM', -debited.taken, -missions_private.decay_amount(), 'DECAY_INACTIVE',
           'decay:' || marked.ended_day, 'decay:' || marked.ended_day
    FROM debited JOIN marked ON marked.participant_id = debited.participant_id
    RETURNING participant_id
  )
  SELECT count(*), array_agg(debited.participant_id) FILTER (WHERE debited.left_over < missions_private.low_momentum_threshold())
  INTO v_count, v_low
  FROM debited;
  PERFORM missions_private.raise_alerts(coalesce(v_low, '{}'), 'LOW_MOMENTUM', 'HIGH');
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.apply_momentum_decay() IS
  'Job (hourly): for each active participant whose local day ended without a check-in, once per day: -5 momentum (DECAY_INACTIVE, floored at 0), streak 0, LOW_MOMENTUM alert under 30. Returns participants decayed.';

-- missions_private.expire_agent_missions: agent missions whose due_at passed -> expired, with their open work closed.
CREATE OR REPLACE FUNCTION missions_private.expire_agent_missions(p_now timestamptz) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v_due uuid[];
  v_busy uuid[];
  v_expired uuid[];
BEGIN
  SELECT array_agg(m.id) INTO v_due FROM missions_private.missions m  -- missions_expiry_idx
  WHERE m.status IN ('proposed', 'assigned', 'in_progress', 'waiting', 'paused') AND m.expires_at <= p_now
    AND m.face = 'agent';
  IF v_due IS NULL THEN
    RETURN 0;
  END IF;
  -- The engine's lock order is step, then mission: lock every unfinished step of the due missions first,
  -- then the missions, both without waiting (SKIP LOCKED), so the job never deadlocks with an agent
  -- completing a step. A mission with a step or its row held by someone else right now (an agent in the
  -- middle of a call) is left for the next run; every later claim or completion finds it expired.
  WITH unfinished AS (
    SELECT s.id, s.mission_id FROM missions_private.steps s
    WHERE s.mission_id = ANY (v_due) AND s.status NOT IN ('completed', 'skipped', 'failed')
  ), locked AS MATERIALIZED (
    SELECT s.id FROM missions_private.steps s WHERE s.id IN (SELECT u.id FROM unfinished u)
    FOR UPDATE OF s SKIP LOCKED
  )
  SELECT array_agg(DISTINCT u.mission_id) INTO v_busy
  FROM unfinished u WHERE NOT EXISTS (SELECT FROM locked l WHERE l.id = u.id);
  SELECT array_agg(m.id ORDER BY m.id) INTO v_expired FROM (
    SELECT m.id FROM missions_private.missions m
    WHERE m.id = ANY (v_due) AND m.id <> ALL (coalesce(v_busy, '{}'))
      AND m.status IN ('proposed', 'assigned', 'in_progress', 'waiting', 'paused') AND m.expires_at <= p_now
    FOR UPDATE SKIP LOCKED) m;
  IF v_expired IS NULL THEN
    RETURN 0;
  END IF;
  v_sealed := missions_private.set_transition_context('{"reason": "due_at passed"}');
  UPDATE missions_private.missions m SET status = 'expired' WHERE m.id = ANY (v_expired);
  -- nobody answers for an expired mission: its pending questions are cancelled
  UPDATE missions_private.input_requests r
  SET status = 'cancelled', cancelled_at = p_now, cancel_reason = 'mission expired: its due_at passed'
  WHERE r.mission_id = ANY (v_expired) AND r.status = 'pending';
  -- the attempt a live (or lapsed) lease was running ends with an error, so the agent's history says why
  INSERT INTO missions_private.step_results (step_id, attempt, agent_id, outcome, error)
  SELECT s.id, s.attempt, s.leased_by, 'failed', 'mission expired: its due_at passed'
  FROM missions_private.steps s
  WHERE s.mission_id = ANY (v_expired) AND s.status = 'in_progress' AND s.leased_by IS NOT NULL
  ON CONFLICT (step_id, attempt) DO NOTHING;
  -- its open work closes: leases end (the status change clears them: a holder's next call is MS412), waits
  -- stop (a later event on their key no longer matches them) and nothing is left in the agents' claim queue
  v_sealed := missions_private.set_transition_context('{"reason": "mission expired"}');
  UPDATE missions_private.steps s SET status = 'failed'
  WHERE s.mission_id = ANY (v_expired) AND s.status NOT IN ('completed', 'skipped', 'failed');
  PERFORM missions_private.clear_transition_context();
  RETURN pg_catalog.array_length(v_expired, 1);
END
$fn$;
COMMENT ON FUNCTION missions_private.expire_agent_missions(timestamptz) IS
  'Agent missions not finished (proposed, assigned, in progress, waiting, paused) whose due_at passed -> expired; their pending input requests -> cancelled; their unfinished steps -> failed (leases end, waits stop, a held attempt gets a failed result). Locks steps, then missions, with SKIP LOCKED: a mission busy right now is left for the next run. Returns missions expired.';

-- missions.expire_missions: challenges and learning missions past their deadline -> expired (then the missed-missions rule), agent missions past due_at -> expired.
CREATE OR REPLACE FUNCTION missions.expire_missions() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v_now timestamptz := missions.now();
  v_count integer;
  v_participants uuid[];
BEGIN
  -- learning missions of auto-submit templates holding work are submitted for review instead (360_learning_jobs.sql)
  PERFORM missions.auto_submit_learning_missions();
  v_sealed := missions_private.set_transition_context('{"reason": "deadline passed"}');
  WITH expired AS (
    UPDATE missions_private.missions m SET status = 'expired'
    WHERE m.status IN ('assigned', 'in_progress') AND m.expires_at <= v_now AND m.face <> 'agent'
    RETURNING m.participant_id, m.face
  )
  SELECT count(*), array_agg(DISTINCT expired.participant_id) FILTER (WHERE expired.face = 'engagement')
  INTO v_count, v_participants FROM expired;
  PERFORM missions_private.clear_transition_context();
  PERFORM missions_private.raise_missed_missions_alerts(coalesce(v_participants, '{}'));
  RETURN v_count + missions_private.expire_agent_missions(v_now);
END
$fn$;
COMMENT ON FUNCTION missions.expire_missions() IS
  'Job (every 6 hours): first auto-submits the due learning missions of auto_submit templates (missions.auto_submit_learning_missions), then expires assigned and in-progress challenges and learning missions past their deadline (then MISSED_MISSIONS alerts), and agent missions past their due_at in any unfinished status, waiting and paused included (missions_private.expire_agent_missions). Missions without a deadline never expire. Returns missions expired.';

-- missions.pause_inactive_participants: pauses participants with inactivity_days+ local days without check-in and momentum under low_momentum_threshold.
CREATE OR REPLACE FUNCTION missions.pause_inactive_participants() RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_count integer;
BEGIN
  WITH paused AS (
    UPDATE missions_private.principals p SET paused = true
    FROM missions_private.participant_progress pp, missions_private.balances b
    WHERE pp.participant_id = p.id AND b.participant_id = p.id AND b.currency = 'MOMENTUM'
      AND p.role = 'participant' AND p.active AND NOT p.paused AND b.amount < missions_private.low_momentum_threshold()
      AND coalesce(pp.last_check_in, (p.created_at AT TIME ZONE p.timezone)::date)
          <= (v_now AT TIME ZONE p.timezone)::date - missions_private.inactivity_days()
    RETURNING p.id
  ), logged AS (
    -- the same event update_principal writes, with the job as the reason and no person as the actor
    INSERT INTO missions_private.events (type, participant_id, payload)
    SELECT 'principal.paused', paused.id,
           pg_catalog.jsonb_build_object('principal_id', paused.id, 'role', 'participant', 'old', false, 'new', true,
                                         'changed_by', NULL, 'reason', 'inactive')
    FROM paused
    RETURNING 1
  )
  SELECT count(*) INTO v_count FROM logged;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions.pause_inactive_participants() IS
  'Job (daily): pauses active participants with no check-in for 7+ local days and momentum under 30 (a check-in un-pauses), one principal.paused event each. Returns participants paused.';
