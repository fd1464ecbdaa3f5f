-- Batches: agents that run many small steps claim and complete them n at a time, in one call and one
-- transaction each, with exactly the rules of one claim and one completion (fencing, quotas, events).

-- missions.claim_next_steps: up to p_limit (1..100) claims of the given kinds, each as claim_next_step makes it; fewer when fewer are claimable.
CREATE OR REPLACE FUNCTION missions.claim_next_steps(p_agent_id uuid, p_kinds text[] DEFAULT NULL,
                                                     p_limit integer DEFAULT 10)
RETURNS SETOF missions.claim
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '100ms'
AS $fn$
DECLARE
  v missions.claim;
BEGIN
  IF p_limit IS NULL OR p_limit NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'limit must be 1..100 (got %)', coalesce(p_limit::text, 'null') USING ERRCODE = 'MS422';
  END IF;
  FOR i IN 1..p_limit LOOP
    -- A claim's first lease flips its mission to in_progress; two batches flipping two missions in opposite
    -- orders would deadlock. A claim that cannot get its locks within 100 ms is undone alone and the batch
    -- ends with what it holds (fewer claims, never an error).
    BEGIN
      SELECT * INTO v FROM missions.claim_next_step(p_agent_id, p_kinds);
    EXCEPTION WHEN lock_not_available OR deadlock_detected THEN
      EXIT;
    END;
    EXIT WHEN NOT FOUND;
    RETURN NEXT v;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION missions.claim_next_steps(uuid, text[], integer) IS
  'Batch claim: up to p_limit (1..100) steps, each claimed exactly as claim_next_step does (priority order, SKIP LOCKED, quotas, review designations), in one transaction; a claim that waits over 100 ms for a lock ends the batch early (no deadlock between batches); no rows when nothing is claimable.';

-- missions.complete_steps: completes a batch of leased steps ([{step_id, lease_token, result}], 1..100); each answers its status, or the error that refused it (ordered by mission, then step).
CREATE OR REPLACE FUNCTION missions.complete_steps(p_agent_id uuid, p_completions jsonb)
RETURNS TABLE (step_id uuid, status text, error_code text, error text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
#variable_conflict use_column
DECLARE
  c record;
BEGIN
  IF pg_catalog.jsonb_typeof(p_completions) IS DISTINCT FROM 'array'
     OR pg_catalog.jsonb_array_length(p_completions) NOT BETWEEN 1 AND 100 THEN
    RAISE EXCEPTION 'completions must be an array of 1..100 {step_id, lease_token, result}' USING ERRCODE = 'MS422';
  END IF;
  -- In one stable order (by mission, then step): each completion locks its mission, so two batches that
  -- share missions take those locks in the same order and cannot deadlock.
  FOR c IN SELECT x.step_id AS id, x.lease_token AS token, x.result AS result
           FROM pg_catalog.jsonb_to_recordset(p_completions) AS x(step_id uuid, lease_token uuid, result jsonb)
           LEFT JOIN missions_private.steps s ON s.id = x.step_id
           ORDER BY s.mission_id, x.step_id LOOP
    IF c.id IS NULL OR c.token IS NULL THEN
      RAISE EXCEPTION 'each completion needs step_id and lease_token' USING ERRCODE = 'MS422';
    END IF;
    BEGIN  -- one step's refusal (its lease lost, say) leaves the others completed
      step_id := c.id;
      SELECT s.status INTO status
      FROM missions.complete_step(c.id, p_agent_id, c.token, coalesce(c.result, '{}')) s;
      error_code := NULL;
      error := NULL;
    EXCEPTION WHEN SQLSTATE 'MS404' OR SQLSTATE 'MS409' OR SQLSTATE 'MS412' OR SQLSTATE 'MS422' THEN
      status := NULL;
      error_code := SQLSTATE;
      error := SQLERRM;
    END;
    RETURN NEXT;
  END LOOP;
END
$fn$;
COMMENT ON FUNCTION missions.complete_steps(uuid, jsonb) IS
  'Batch completion of 1..100 leased steps, each exactly as complete_step (fenced by its lease token), in mission then step order (no deadlock between batches); a step refused (MS404, MS409, MS412, MS422) answers its error and the others still complete; other errors (MS403) refuse the whole batch.';
