-- Atomic step claims with fenced leases: claim by id, claim the next one (SKIP LOCKED), heartbeat,
-- complete, fail (retry with backoff), release. An expired lease can be taken over without any sweeper.

-- missions_private.lease_of: the claim composite for a leased step.
CREATE OR REPLACE FUNCTION missions_private.lease_of(p_step missions_private.steps) RETURNS missions.claim
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN ROW(p_step.id, p_step.mission_id, p_step.leased_by, p_step.lease_token, p_step.lease_expires_at,
             p_step.attempt, p_step.kind, p_step.title, p_step.attrs)::missions.claim;
END
$fn$;
COMMENT ON FUNCTION missions_private.lease_of(missions_private.steps) IS 'The claim (step, mission, agent, lease token, expiry, attempt, kind, title, spec) of a leased step.';

-- missions_private.lease_expiry: when a lease of a step kind taken or renewed at p_now runs out (the kind's claim_ttl_seconds later).
CREATE OR REPLACE FUNCTION missions_private.lease_expiry(p_kind missions_private.step_kinds, p_now timestamptz)
RETURNS timestamptz
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN p_now + pg_catalog.make_interval(secs => p_kind.claim_ttl_seconds);
END
$fn$;
COMMENT ON FUNCTION missions_private.lease_expiry(missions_private.step_kinds, timestamptz) IS
  'The lease TTL rule (claims and heartbeats): a lease taken or renewed at p_now runs out claim_ttl_seconds of its step kind later (the column default, or the kind''s row in sql/functions/200_step_kinds.sql).';

-- missions_private.grant_lease: leases a locked, claimable step to an agent and starts its mission if needed.
CREATE OR REPLACE FUNCTION missions_private.grant_lease(p_step_id uuid, p_agent_id uuid, p_now timestamptz)
RETURNS missions.claim
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps;
BEGIN
  UPDATE missions_private.steps s SET
    status = 'in_progress', leased_by = p_agent_id, lease_token = gen_random_uuid(), attempt = s.attempt + 1,
    lease_expires_at = missions_private.lease_expiry(k, p_now), not_before = NULL
  FROM missions_private.step_kinds k
  WHERE s.id = p_step_id AND k.kind = s.kind
  RETURNING s.* INTO v;
  -- conditional, so concurrent first claims of one mission do not collide
  UPDATE missions_private.missions m SET status = 'in_progress' WHERE m.id = v.mission_id AND m.status = 'assigned';
  RETURN missions_private.lease_of(v);
END
$fn$;
COMMENT ON FUNCTION missions_private.grant_lease(uuid, uuid, timestamptz) IS
  'Gives a locked step a fresh lease (token, expiry = now + the kind''s TTL, attempt + 1) and moves its mission to in_progress.';

-- missions_private.claimable_status: whether steps of a mission in this face and status can be claimed (review kinds: submitted missions).
CREATE OR REPLACE FUNCTION missions_private.claimable_status(p_face text, p_status text, p_review boolean) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN CASE WHEN p_review THEN p_status = 'submitted'
              ELSE p_face = 'agent' AND p_status IN ('assigned', 'in_progress') END;
END
$fn$;
COMMENT ON FUNCTION missions_private.claimable_status(text, text, boolean) IS
  'Claimable: steps of running (assigned/in_progress) agent missions, and review steps (ai_review) of submitted missions of any face.';

-- missions.claim_mission_step: claims one step for an agent, atomically; exactly one concurrent caller wins.
CREATE OR REPLACE FUNCTION missions.claim_mission_step(p_step_id uuid, p_agent_id uuid) RETURNS missions.claim
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  s missions_private.steps;
  v_mission_status text;
  k missions_private.step_kinds;
BEGIN
  PERFORM missions_private.authorize_agent(p_agent_id);
  -- a review kind is claimed only by its designated reviewers; the designation is share-locked before the
  -- step (the order revoke_reviewer takes), so a concurrent revoke either waits for this claim or wins
  SELECT sk.* INTO k FROM missions_private.steps st JOIN missions_private.step_kinds sk ON sk.kind = st.kind
  WHERE st.id = p_step_id;
  IF k.review AND NOT missions_private.lock_reviewer(k.kind, p_agent_id) THEN
    RAISE EXCEPTION 'agent % is not a designated % reviewer', p_agent_id, k.kind USING ERRCODE = 'MS403',
      HINT = 'An admin designates reviewers (designate_reviewer).';
  END IF;
  SELECT * INTO s FROM missions_private.steps st WHERE st.id = p_step_id FOR UPDATE;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'step % not found', p_step_id USING ERRCODE = 'MS404';
  END IF;
  SELECT * INTO k FROM missions_private.step_kinds sk WHERE sk.kind = s.kind AND sk.claimant = 'agent';
  -- agents work on agent missions, and on review steps (ai_review) of the other faces
  SELECT m.status INTO v_mission_status FROM missions_private.missions m
  WHERE m.id = s.mission_id AND (m.face = 'agent' OR k.review);
  IF NOT FOUND OR k.kind IS NULL THEN
    RAISE EXCEPTION 'step % not found', p_step_id USING ERRCODE = 'MS404';
  END IF;
  IF NOT missions_private.claimable_status('agent', v_mission_status, k.review) THEN
    RAISE EXCEPTION 'mission % is %, not %', s.mission_id, v_mission_status,
      CASE WHEN k.review THEN 'submitted for review' ELSE 'approved and running' END
      USING ERRCODE = 'MS409', HINT = CASE WHEN v_mission_status = 'proposed'
                                           THEN 'A person must approve it first (approve_agent_mission).'
                                           ELSE 'Its steps cannot be claimed while it is ' || v_mission_status || '.' END;
  END IF;
  IF NOT missions_private.agent_allowed(s.mission_id, p_agent_id) THEN
    RAISE EXCEPTION 'agent % is not allowed on mission %', p_agent_id, s.mission_id USING ERRCODE = 'MS403';
  END IF;
  IF s.status = 'in_progress' AND s.lease_expires_at > v_now THEN
    RAISE EXCEPTION 'step % is claimed until %', p_step_id, s.lease_expires_at USING ERRCODE = 'MS409';
  ELSIF s.status NOT IN ('ready', 'in_progress') THEN
    RAISE EXCEPTION 'step % is %, not ready', p_step_id, s.status USING ERRCODE = 'MS409';
  ELSIF s.not_before > v_now THEN
    RAISE EXCEPTION 'step % is backing off until %', p_step_id, s.not_before USING ERRCODE = 'MS409';
  END IF;
  IF s.attempt >= k.max_attempts THEN
    RAISE EXCEPTION 'step % has used its % attempts', p_step_id, k.max_attempts USING ERRCODE = 'MS409';
  END IF;
  IF NOT missions_private.take_quota(s.kind) THEN
    RAISE EXCEPTION 'the daily quota of step kind % is used up', s.kind USING ERRCODE = 'MS429';
  END IF;
  RETURN missions_private.grant_lease(p_step_id, p_agent_id, v_now);
END
$fn$;
COMMENT ON FUNCTION missions.claim_mission_step(uuid, uuid) IS
  'Claims a ready step (or one whose lease expired) for the calling agent: MS404 unknown, MS409 not ready/claimed/mission not approved, MS403 agent not allowed (or not a designated reviewer of a review kind), MS429 quota used up. Returns the lease.';

-- missions_private.mark_agent_queue: row trigger; puts a new step in the agents' claim queue when agents claim it.
CREATE OR REPLACE FUNCTION missions_private.mark_agent_queue() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  NEW.agent_queue := EXISTS (SELECT FROM missions_private.step_kinds k
                             JOIN missions_private.missions m ON m.id = NEW.mission_id
                             WHERE k.kind = NEW.kind AND k.claimant = 'agent' AND (m.face = 'agent' OR k.review));
  RETURN NEW;
END
$fn$;
COMMENT ON FUNCTION missions_private.mark_agent_queue() IS
  'Row trigger: a new step joins the agents'' claim queue (steps_ready_queue) when its kind is claimed by agents and it belongs to an agent mission or reviews another face''s.';

SELECT missions_private.ensure_trigger('missions_private.steps', 'steps_mark_agent_queue', $ddl$
CREATE OR REPLACE TRIGGER steps_mark_agent_queue
  BEFORE INSERT ON missions_private.steps
  FOR EACH ROW EXECUTE FUNCTION missions_private.mark_agent_queue()
$ddl$);

-- missions_private.lock_claimable: locks one candidate step if an agent may claim it now (SKIP LOCKED); NULL otherwise.
CREATE OR REPLACE FUNCTION missions_private.lock_claimable(p_step_id uuid, p_agent_id uuid, p_now timestamptz,
                                                           p_expired boolean)
RETURNS text
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_kind text;
BEGIN
  SELECT s.kind INTO v_kind
  FROM missions_private.steps s
  JOIN missions_private.missions m ON m.id = s.mission_id
  JOIN missions_private.step_kinds k ON k.kind = s.kind
  WHERE s.id = p_step_id AND s.attempt < k.max_attempts
    AND CASE WHEN p_expired THEN s.status = 'in_progress' AND s.lease_expires_at <= p_now
             ELSE s.status = 'ready' AND (s.not_before IS NULL OR s.not_before <= p_now) END
    AND k.claimant = 'agent' AND missions_private.claimable_status(m.face, m.status, k.review)
    AND missions_private.agent_allowed(m.id, p_agent_id)
    AND (k.daily_quota IS NULL OR k.daily_quota > coalesce(
          (SELECT u.used FROM missions_private.quota_usage u
           WHERE u.kind = k.kind AND u.day = (p_now AT TIME ZONE 'UTC')::date), 0))
  FOR UPDATE OF s SKIP LOCKED;
  RETURN v_kind;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_claimable(uuid, uuid, timestamptz, boolean) IS
  'Locks the step (skipping it when another transaction holds it) and returns its kind when the agent may claim it now: claimable kind, mission status and agent list, attempts and quota left.';

-- missions.claim_next_step: claims the highest-priority claimable step of the given kinds, skipping rows others hold.
CREATE OR REPLACE FUNCTION missions.claim_next_step(p_agent_id uuid, p_kinds text[] DEFAULT NULL)
RETURNS SETOF missions.claim
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_batch constant integer := 32;
  v_tried uuid[] := '{}';
  v_found integer;
  v_candidate uuid;
  v_kind text;
  v_denied text[];
  v_kinds text[];
BEGIN
  PERFORM missions_private.authorize_agent(p_agent_id);
  -- Review kinds the agent is not designated for are left out of both walks (its designations are
  -- share-locked now, before any step, like claim_mission_step); asking only for those finds nothing.
  v_denied := missions_private.denied_review_kinds(p_agent_id, p_kinds);
  IF p_kinds IS NOT NULL AND p_kinds <@ v_denied THEN
    RETURN;
  END IF;
  -- The kinds the ready walk visits: agents' kinds asked for, not denied, with quota left today (a kind
  -- whose quota is spent is skipped whole instead of candidate by candidate).
  SELECT coalesce(pg_catalog.array_agg(k.kind), '{}') INTO v_kinds
  FROM missions_private.step_kinds k
  WHERE k.claimant = 'agent' AND (p_kinds IS NULL OR k.kind = ANY (p_kinds)) AND k.kind <> ALL (v_denied)
    AND (k.daily_quota IS NULL OR k.daily_quota > coalesce(
          (SELECT u.used FROM missions_private.quota_usage u
           WHERE u.kind = k.kind AND u.day = (v_now AT TIME ZONE 'UTC')::date), 0));
  -- Expired leases first (few rows: the index of agents' in-progress steps), oldest expiry first.
  FOR v_candidate IN
    SELECT s.id FROM missions_private.steps s
    WHERE s.status = 'in_progress' AND s.agent_queue AND s.lease_expires_at <= v_now
      AND (p_kinds IS NULL OR s.kind = ANY (p_kinds)) AND s.kind <> ALL (v_denied)
    ORDER BY s.priority DESC, s.lease_expires_at, s.id
  LOOP
    v_kind := missions_private.lock_claimable(v_candidate, p_agent_id, v_now, true);
    EXIT WHEN v_kind IS NOT NULL;
  END LOOP;
  -- Then the ready queue, a batch at a time: the first v_batch rows of each kind's run of the index (LIMIT
  -- keeps each an index scan), merged into one order; each candidate's rules are checked on that one row, so
  -- a claim costs O(kinds × batch + rows skipped), whatever the depth of the queue or of other kinds ahead.
  -- The next batch leaves out the rows already tried (not an OFFSET: steps that others claimed in the
  -- meantime leave the queue, and an offset would then skip rows never tried).
  WHILE v_kind IS NULL AND v_kinds <> '{}' LOOP
    v_found := 0;
    FOR v_candidate IN
      SELECT c.id FROM pg_catalog.unnest(v_kinds) AS w(kind)
      CROSS JOIN LATERAL (
        SELECT s.id, s.priority, s.ready_at FROM missions_private.steps s
        WHERE s.kind = w.kind AND s.status = 'ready' AND s.agent_queue
          AND (s.not_before IS NULL OR s.not_before <= v_now) AND s.id <> ALL (v_tried)
        ORDER BY s.priority DESC, s.ready_at, s.id
        LIMIT v_batch) c
      ORDER BY c.priority DESC, c.ready_at, c.id
      LIMIT v_batch
    LOOP
      v_found := v_found + 1;
      v_tried := v_tried || v_candidate;
      v_kind := missions_private.lock_claimable(v_candidate, p_agent_id, v_now, false);
      EXIT WHEN v_kind IS NOT NULL;
    END LOOP;
    EXIT WHEN v_found < v_batch;
  END LOOP;
  IF v_kind IS NULL OR NOT missions_private.take_quota(v_kind) THEN
    RETURN;  -- nothing claimable now (or the last unit of quota went to a concurrent claim)
  END IF;
  RETURN NEXT missions_private.grant_lease(v_candidate, p_agent_id, v_now);
END
$fn$;
COMMENT ON FUNCTION missions.claim_next_step(uuid, text[]) IS
  'Worker-loop claim: the highest-priority claimable step (expired leases first, then ready steps oldest-ready first, so missions interleave) of the kinds, with FOR UPDATE SKIP LOCKED; review kinds only for their designated reviewers; no row when there is none.';

-- missions_private.lock_lease: locks a step held by an agent with this token and a live lease; MS412 otherwise (fencing).
CREATE OR REPLACE FUNCTION missions_private.lock_lease(p_step_id uuid, p_agent_id uuid, p_lease_token uuid)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps;
BEGIN
  PERFORM missions_private.authorize_agent(p_agent_id);
  SELECT * INTO v FROM missions_private.steps s WHERE s.id = p_step_id FOR UPDATE;
  IF FOUND AND v.status = 'in_progress' AND v.leased_by = p_agent_id AND v.lease_token = p_lease_token
     AND v.lease_expires_at > missions.now() THEN
    RETURN v;  -- the caller is this agent and holds a live lease, so it may see the step
  END IF;
  IF NOT FOUND OR NOT missions_private.can_see_mission(v.mission_id) THEN
    RAISE EXCEPTION 'step % not found', p_step_id USING ERRCODE = 'MS404';
  END IF;
  RAISE EXCEPTION 'the lease on step % is not held by this token (expired or taken over)', p_step_id
    USING ERRCODE = 'MS412', HINT = 'Claim the step again; the work done under the old lease must not be reported.';
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_lease(uuid, uuid, uuid) IS
  'Fencing: locks the step only for the agent holding this lease token before it expires; MS412 (lease lost) otherwise.';

-- missions.heartbeat_step: extends a live lease by the kind's TTL; returns the lease.
CREATE OR REPLACE FUNCTION missions.heartbeat_step(p_step_id uuid, p_agent_id uuid, p_lease_token uuid)
RETURNS missions.claim
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps := missions_private.lock_lease(p_step_id, p_agent_id, p_lease_token);
BEGIN
  UPDATE missions_private.steps s
  SET lease_expires_at = missions_private.lease_expiry(k, missions.now())
  FROM missions_private.step_kinds k
  WHERE s.id = p_step_id AND k.kind = s.kind
  RETURNING s.* INTO v;
  RETURN missions_private.lease_of(v);
END
$fn$;
COMMENT ON FUNCTION missions.heartbeat_step(uuid, uuid, uuid) IS 'Extends a live lease by the kind''s claim TTL (MS412 when the lease was lost).';

-- missions.complete_step: records the result, completes the step and advances its mission; fenced by the lease token.
CREATE OR REPLACE FUNCTION missions.complete_step(p_step_id uuid, p_agent_id uuid, p_lease_token uuid,
                                                  p_result jsonb DEFAULT '{}', p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('complete_step', p_idempotency_key, pg_catalog.jsonb_build_object(
                      'step', p_step_id, 'agent', p_agent_id, 'lease_token', p_lease_token, 'result', p_result));
  v missions_private.steps;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN pg_catalog.jsonb_populate_record(NULL::missions_private.steps, v_answer);
  END IF;
  v := missions_private.lock_lease(p_step_id, p_agent_id, p_lease_token);
  INSERT INTO missions_private.step_results (step_id, attempt, agent_id, outcome, result)
  VALUES (p_step_id, v.attempt, p_agent_id, 'completed', coalesce(p_result, '{}'));
  UPDATE missions_private.steps s
  SET status = 'completed'
  WHERE s.id = p_step_id RETURNING s.* INTO v;
  IF v.kind = 'ai_review' THEN  -- the learning face takes the review's scores and verdict
    PERFORM missions_private.record_ai_review(v, coalesce(p_result, '{}'));
  END IF;
  PERFORM missions_private.advance_mission(v.mission_id, missions.now());
  PERFORM missions_private.remember('complete_step', p_idempotency_key, pg_catalog.to_jsonb(v));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.complete_step(uuid, uuid, uuid, jsonb, text) IS
  'Completes a leased step with its result (fenced: MS412 with a stale token); readies dependents; completes the mission when all steps are done; the same idempotency key again returns the first answer.';

-- missions_private.failed_attempt_status: where a failed or expired attempt leaves its step: ready (a retry is left), skipped (optional) or failed.
CREATE OR REPLACE FUNCTION missions_private.failed_attempt_status(p_attempt integer, p_max_attempts integer,
                                                                  p_optional boolean, p_retry boolean DEFAULT true)
RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN CASE WHEN p_retry AND p_attempt < p_max_attempts THEN 'ready' WHEN p_optional THEN 'skipped' ELSE 'failed' END;
END
$fn$;
COMMENT ON FUNCTION missions_private.failed_attempt_status(integer, integer, boolean, boolean) IS
  'The failure cascade''s first rule (fail_step, expire_claims): ready while a retry is allowed and attempts remain, else skipped for an optional step, else failed.';

-- missions_private.settle_failed_steps: the missions of steps that failed for good fail; a learning mission whose review failed goes back to its learner.
CREATE OR REPLACE FUNCTION missions_private.settle_failed_steps(p_mission_ids uuid[]) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  UPDATE missions_private.missions m SET status = 'failed'
  WHERE m.id = ANY (p_mission_ids) AND m.status IN ('in_progress', 'waiting', 'paused');
  PERFORM missions_private.return_unreviewed(p_mission_ids);  -- a failed review fails no learner
END
$fn$;
COMMENT ON FUNCTION missions_private.settle_failed_steps(uuid[]) IS
  'The failure cascade''s second rule (fail_step, expire_claims): missions with a step failed for good fail (when running, waiting or paused); a submitted learning mission left without a review step returns to in_progress.';

-- missions.fail_step: records an error; retries with exponential backoff until max_attempts, then fails the step (and the mission unless optional).
CREATE OR REPLACE FUNCTION missions.fail_step(p_step_id uuid, p_agent_id uuid, p_lease_token uuid, p_error text,
                                              p_retryable boolean DEFAULT true) RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v missions_private.steps := missions_private.lock_lease(p_step_id, p_agent_id, p_lease_token);
  k missions_private.step_kinds;
  v_now timestamptz := missions.now();
  v_status text;
BEGIN
  SELECT * INTO k FROM missions_private.step_kinds sk WHERE sk.kind = v.kind;
  INSERT INTO missions_private.step_results (step_id, attempt, agent_id, outcome, error)
  VALUES (p_step_id, v.attempt, p_agent_id, 'failed', coalesce(p_error, 'unknown error'));
  v_sealed := missions_private.set_transition_context(
            pg_catalog.jsonb_build_object('error', p_error, 'attempt', v.attempt));
  v_status := missions_private.failed_attempt_status(v.attempt, k.max_attempts, v.optional, coalesce(p_retryable, true));
  IF v_status = 'ready' THEN
    UPDATE missions_private.steps s
    SET status = 'ready', ready_at = v_now,
        not_before = v_now + pg_catalog.make_interval(secs => k.backoff_seconds * power(2, v.attempt - 1))
    WHERE s.id = p_step_id RETURNING s.* INTO v;
  ELSE
    UPDATE missions_private.steps s SET status = v_status WHERE s.id = p_step_id RETURNING s.* INTO v;
    IF v.status = 'failed' THEN
      PERFORM missions_private.settle_failed_steps(ARRAY[v.mission_id]);
    ELSE
      PERFORM missions_private.advance_mission(v.mission_id, v_now);
    END IF;
  END IF;
  PERFORM missions_private.clear_transition_context();
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.fail_step(uuid, uuid, uuid, text, boolean) IS
  'Fails a leased step: retryable and attempts left -> ready after backoff_seconds * 2^(attempt-1); otherwise failed (mission failed) or, for an optional step, skipped.';

-- missions.release_step: gives a leased step back without using up an attempt.
CREATE OR REPLACE FUNCTION missions.release_step(p_step_id uuid, p_agent_id uuid, p_lease_token uuid)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps := missions_private.lock_lease(p_step_id, p_agent_id, p_lease_token);
BEGIN
  UPDATE missions_private.steps s
  SET status = 'ready', ready_at = missions.now(), attempt = s.attempt - 1
  WHERE s.id = p_step_id RETURNING s.* INTO v;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.release_step(uuid, uuid, uuid) IS 'Releases a leased step back to ready; the attempt is not counted.';
