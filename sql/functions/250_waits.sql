-- Waiting on people and on the outside world: human input requests and external events by key.
-- A waiting step releases its lease; the mission waits until nothing blocks it any more.

-- missions_private.make_step_wait: moves a step of a mission to a waiting status (lease cleared) and the mission to waiting.
CREATE OR REPLACE FUNCTION missions_private.make_step_wait(p_mission_id uuid, p_step_id uuid, p_status text,
                                                          p_wait_key text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_step_id IS NOT NULL THEN
    UPDATE missions_private.steps s
    SET status = p_status, wait_key = p_wait_key,
        waited_by = CASE WHEN p_wait_key IS NOT NULL THEN missions_private.current_principal_id() END
    WHERE s.id = p_step_id AND s.mission_id = p_mission_id;
    IF NOT FOUND THEN
      RAISE EXCEPTION 'step % not found in mission %', p_step_id, p_mission_id USING ERRCODE = 'MS404';
    END IF;
  END IF;
  UPDATE missions_private.missions m SET status = 'waiting'
  WHERE m.id = p_mission_id AND m.status IN ('assigned', 'in_progress');
END
$fn$;
COMMENT ON FUNCTION missions_private.make_step_wait(uuid, uuid, text, text) IS
  'Puts a step in waiting_human/waiting_external (lease cleared; a wait on a key records the caller in waited_by) and its running mission in waiting.';

-- missions_private.resume_unblocked: moves waiting missions with nothing left to wait for back to in_progress; returns how many.
CREATE OR REPLACE FUNCTION missions_private.resume_unblocked(p_missions uuid[]) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sealed boolean;  -- set_transition_context is called as an assignment (see its comment)
  v_count integer;
BEGIN
  v_sealed := missions_private.set_transition_context('{"reason": "unblocked"}');
  UPDATE missions_private.missions m SET status = 'in_progress'
  WHERE m.id = ANY (p_missions) AND m.status = 'waiting'
    AND NOT EXISTS (SELECT FROM missions_private.steps s
                    WHERE s.mission_id = m.id AND s.status IN ('waiting_human', 'waiting_external'))
    AND NOT EXISTS (SELECT FROM missions_private.input_requests r WHERE r.mission_id = m.id AND r.status = 'pending');
  GET DIAGNOSTICS v_count = ROW_COUNT;
  PERFORM missions_private.clear_transition_context();
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.resume_unblocked(uuid[]) IS
  'Set-based: waiting missions among these with no waiting step and no pending input request go back to in_progress.';

-- missions.request_human_input: asks a person; the step waits (waiting_human) and the mission waits until an answer or expiry.
CREATE OR REPLACE FUNCTION missions.request_human_input(p_mission_id uuid, p_step_id uuid, p_prompt text,
                                                        p_spec jsonb DEFAULT '{}')
RETURNS missions_private.input_requests
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_spec jsonb := coalesce(p_spec, '{}');
  v missions_private.input_requests;
  v_seconds integer := coalesce((v_spec->>'expires_in_seconds')::integer, 86400);
BEGIN
  IF p_step_id IS NOT NULL THEN
    PERFORM missions_private.lock_step_first(p_mission_id, p_step_id);
  END IF;
  PERFORM missions_private.lock_agent_mission(p_mission_id);
  IF missions_private.clean_text(p_prompt) IS NULL THEN
    RAISE EXCEPTION 'a request needs a prompt' USING ERRCODE = 'MS422';
  END IF;
  IF EXISTS (SELECT FROM pg_catalog.jsonb_object_keys(v_spec) k
             WHERE k NOT IN ('options', 'allow_freeform', 'context', 'urgency', 'expires_in_seconds', 'conversation_id')) THEN
    RAISE EXCEPTION 'request fields are options, allow_freeform, context, urgency, expires_in_seconds, conversation_id'
      USING ERRCODE = 'MS422';
  END IF;
  IF v_seconds < 60 OR v_seconds > 30 * 86400 THEN
    RAISE EXCEPTION 'expires_in_seconds must be 60 .. 2592000' USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.input_requests
    (mission_id, step_id, conversation_id, prompt, options, allow_freeform, context, urgency, requested_by, expires_at)
  VALUES (p_mission_id, p_step_id, v_spec->>'conversation_id', p_prompt, coalesce(v_spec->'options', '[]'),
          coalesce((v_spec->>'allow_freeform')::boolean, true), v_spec->'context', coalesce(v_spec->>'urgency', 'normal'),
          missions_private.current_principal_id(), missions.now() + pg_catalog.make_interval(secs => v_seconds))
  RETURNING * INTO v;
  PERFORM missions_private.make_step_wait(p_mission_id, p_step_id, 'waiting_human');
  PERFORM missions_private.log_event(p_mission_id, 'mission.input_requested',
            pg_catalog.jsonb_build_object('request_id', v.id, 'prompt', v.prompt, 'urgency', v.urgency), p_step_id);
  -- notification rule: human input requested -> the mission's owner (an ops mission: the person who created it)
  PERFORM missions_private.notify(ARRAY(
            SELECT coalesce(m.participant_id, c.id) FROM missions_private.missions m
            JOIN missions_private.agent_missions a ON a.mission_id = m.id
            LEFT JOIN missions_private.principals c ON c.id = a.created_by AND c.role IN ('participant', 'admin', 'mentor')
            WHERE m.id = p_mission_id),
          'input_requested', 'input:' || v.id, p_mission_id, pg_catalog.left('Input requested: ' || v.prompt, 600),
          pg_catalog.jsonb_build_object('request_id', v.id, 'urgency', v.urgency, 'expires_at', v.expires_at));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.request_human_input(uuid, uuid, text, jsonb) IS
  'Asks a person (spec: options, allow_freeform, context, urgency low|normal|high, expires_in_seconds (1 day), conversation_id); the step waits (waiting_human) and the mission waits.';

-- missions.respond_to_input_request: a person answers; idempotent for the same answer; the step becomes ready and the mission resumes when unblocked.
CREATE OR REPLACE FUNCTION missions.respond_to_input_request(p_request_id uuid, p_responder_id uuid, p_response jsonb,
                                                             p_idempotency_key text DEFAULT NULL)
RETURNS missions_private.input_requests
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_answer jsonb := missions_private.replay('respond_to_input_request', p_idempotency_key, pg_catalog.jsonb_build_object(
                      'request', p_request_id, 'responder', p_responder_id, 'response', p_response));
  v missions_private.input_requests;
  v_owner uuid;
  v_role text;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN pg_catalog.jsonb_populate_record(NULL::missions_private.input_requests, v_answer);
  END IF;
  PERFORM missions_private.authorize_actor(p_responder_id);
  SELECT * INTO v FROM missions_private.input_requests r WHERE r.id = p_request_id FOR UPDATE;
  IF NOT FOUND OR NOT missions_private.can_see_mission(v.mission_id) THEN
    RAISE EXCEPTION 'input request % not found', p_request_id USING ERRCODE = 'MS404';
  END IF;
  SELECT m.participant_id INTO v_owner FROM missions_private.missions m WHERE m.id = v.mission_id;
  SELECT p.role INTO v_role FROM missions_private.principals p WHERE p.id = p_responder_id;
  IF NOT (v_role IN ('admin', 'service') OR (v_role = 'participant' AND v_owner = p_responder_id)) THEN
    RAISE EXCEPTION 'input requests are answered by a person: the mission''s owner or an admin' USING ERRCODE = 'MS403';
  END IF;
  IF v.status = 'responded' THEN
    IF v.response = p_response THEN
      PERFORM missions_private.remember('respond_to_input_request', p_idempotency_key, pg_catalog.to_jsonb(v));
      RETURN v;  -- the same answer again: same result, one effect
    END IF;
    RAISE EXCEPTION 'input request % was already answered differently', p_request_id USING ERRCODE = 'MS409';
  ELSIF v.status <> 'pending' THEN
    RAISE EXCEPTION 'input request % is %', p_request_id, v.status USING ERRCODE = 'MS409';
  END IF;
  IF p_response IS NULL OR pg_catalog.jsonb_typeof(p_response) <> 'object'
     OR NOT (p_response ? 'choice' OR p_response ? 'text') THEN
    RAISE EXCEPTION 'a response is {"choice": …} and/or {"text": …}' USING ERRCODE = 'MS422';
  END IF;
  IF p_response ? 'choice' AND NOT v.options @> pg_catalog.jsonb_build_array(p_response->'choice') THEN
    RAISE EXCEPTION 'choice must be one of %', v.options USING ERRCODE = 'MS422';
  END IF;
  IF p_response ? 'text' AND NOT v.allow_freeform THEN
    RAISE EXCEPTION 'this request allows only a choice among its options' USING ERRCODE = 'MS422';
  END IF;
  UPDATE missions_private.input_requests r
  SET status = 'responded', response = p_response, responded_by = p_responder_id, responded_at = missions.now()
  WHERE r.id = p_request_id RETURNING * INTO v;
  PERFORM missions_private.log_event(v.mission_id, 'mission.user_message',
            pg_catalog.jsonb_build_object('request_id', v.id, 'response', p_response), v.step_id);
  UPDATE missions_private.steps s SET status = 'ready', ready_at = missions.now()
  WHERE s.id = v.step_id AND s.status = 'waiting_human'
    AND NOT EXISTS (SELECT FROM missions_private.input_requests o WHERE o.step_id = s.id AND o.status = 'pending');
  PERFORM missions_private.resume_unblocked(ARRAY[v.mission_id]);
  PERFORM missions_private.remember('respond_to_input_request', p_idempotency_key, pg_catalog.to_jsonb(v));
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.respond_to_input_request(uuid, uuid, jsonb, text) IS
  'Answers an input request ({"choice"} among the options and/or {"text"} when freeform); the same answer twice is a no-op, a different one MS409; the same idempotency key again returns the first answer.';

-- missions.input_requests: input requests of the missions the caller can see, by status (pending by default), newest first, paged (key: created_at, id).
CREATE OR REPLACE FUNCTION missions.input_requests(p_status text DEFAULT 'pending', p_limit integer DEFAULT 50,
                                                   p_after jsonb DEFAULT NULL)
RETURNS SETOF missions_private.input_requests
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v_created timestamptz := coalesce((v_after->>'created_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  RETURN QUERY
  SELECT r.* FROM missions_private.input_requests r
  WHERE (p_status = 'all' OR r.status = p_status) AND (r.created_at, r.id) < (v_created, v_id)
    AND missions_private.can_see_mission(r.mission_id)
  ORDER BY r.created_at DESC, r.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.input_requests(text, integer, jsonb) IS
  'Input requests of visible missions with a status (pending, responded, expired, cancelled or all), newest first; a page of p_limit (1..200) after the key {"created_at", "id"}.';

-- missions.wait_for_external_event: the step waits on a key; an event already delivered with that key satisfies it at once.
CREATE OR REPLACE FUNCTION missions.wait_for_external_event(p_mission_id uuid, p_step_id uuid, p_key text)
RETURNS missions_private.steps
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.steps;
BEGIN
  IF missions_private.clean_text(p_key) IS NULL OR length(p_key) > 500 THEN
    RAISE EXCEPTION 'a wait key is 1 to 500 characters, e.g. email_reply:<tracking id>' USING ERRCODE = 'MS422';
  END IF;
  IF p_step_id IS NULL THEN
    RAISE EXCEPTION 'a step is required' USING ERRCODE = 'MS422';
  END IF;
  PERFORM missions_private.lock_step_first(p_mission_id, p_step_id);
  PERFORM missions_private.lock_agent_mission(p_mission_id);
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('missions.external_event:' || p_key));
  PERFORM missions_private.make_step_wait(p_mission_id, p_step_id, 'waiting_external', p_key);
  PERFORM missions_private.match_external_events(p_key);
  SELECT * INTO v FROM missions_private.steps s WHERE s.id = p_step_id;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.wait_for_external_event(uuid, uuid, text) IS
  'Makes a step wait (waiting_external) for an event with this key; an event delivered earlier is matched immediately.';

-- missions_private.match_external_events: unblocks every step waiting on a key that has an unconsumed event; returns steps unblocked.
CREATE OR REPLACE FUNCTION missions_private.match_external_events(p_key text) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_event missions_private.external_events;
  v_missions uuid[];
BEGIN
  SELECT * INTO v_event FROM missions_private.external_events e
  WHERE e.key = p_key AND e.consumed_at IS NULL ORDER BY e.id LIMIT 1 FOR UPDATE;
  IF NOT FOUND THEN
    RETURN 0;
  END IF;
  WITH unblocked AS (
    UPDATE missions_private.steps s
    SET status = 'ready', ready_at = missions.now(), wait_key = NULL, waited_by = NULL,
        attrs = s.attrs || pg_catalog.jsonb_build_object('external_event', v_event.payload)
    WHERE s.status = 'waiting_external' AND s.wait_key = p_key
    RETURNING s.id, s.mission_id
  ), logged AS (
    INSERT INTO missions_private.events (type, mission_id, step_id, participant_id, payload)
    SELECT 'mission.external_event', u.mission_id, u.id, m.participant_id,
           pg_catalog.jsonb_build_object('key', p_key, 'payload', v_event.payload)
    FROM unblocked u JOIN missions_private.missions m ON m.id = u.mission_id
    RETURNING mission_id
  )
  SELECT array_agg(DISTINCT l.mission_id) INTO v_missions FROM logged l;
  IF v_missions IS NULL THEN
    RETURN 0;  -- nobody waits yet: the event is kept for a later wait
  END IF;
  UPDATE missions_private.external_events e SET consumed_at = missions.now() WHERE e.id = v_event.id;
  PERFORM missions_private.resume_unblocked(v_missions);
  RETURN coalesce(pg_catalog.array_length(v_missions, 1), 0);
END
$fn$;
COMMENT ON FUNCTION missions_private.match_external_events(text) IS
  'Consumes the oldest unconsumed event of a key for all steps waiting on it (ready again, payload in attrs.external_event); kept when no one waits. Returns the missions unblocked.';

-- missions_private.event_sender: the scope of the caller's event ids: its principal, NULL for the engine itself; MS401/MS403 for non-deliverers.
CREATE OR REPLACE FUNCTION missions_private.event_sender() RETURNS uuid
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.current_principal_id();
BEGIN
  IF v_caller IS NULL THEN
    -- owner and cron sessions, and the app's login acting for nobody (the worker): the engine's scope
    IF missions_private.is_owner_session() OR pg_catalog.pg_has_role(session_user, 'missions_app', 'MEMBER') THEN
      RETURN NULL;
    END IF;
    RAISE EXCEPTION 'no active principal is bound to this session' USING ERRCODE = 'MS401';
  END IF;
  IF missions_private.current_principal_role() NOT IN ('admin', 'service', 'agent') THEN
    RAISE EXCEPTION 'external events are delivered by services, admins, the worker and the agents of a waiting mission'
      USING ERRCODE = 'MS403';
  END IF;
  RETURN v_caller;
END
$fn$;
COMMENT ON FUNCTION missions_private.event_sender() IS
  'Whose scope an external event id belongs to: the calling admin, service or agent; NULL (the engine) for owner/cron sessions and the app''s unbound session (the worker); MS401 unbound, MS403 any other role.';

-- missions.deliver_external_event: an event from outside (email reply, webhook); unblocks waits on its key or is kept for later.
CREATE OR REPLACE FUNCTION missions.deliver_external_event(p_key text, p_payload jsonb DEFAULT '{}', p_event_id text DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_sender uuid := missions_private.event_sender();  -- MS401/MS403 before anything else
  -- the event id is the delivery's idempotency key: a redelivery (whatever its payload) gets the first answer back
  v_answer jsonb := missions_private.replay('deliver_external_event', p_event_id, pg_catalog.jsonb_build_object('key', p_key));
  v_event_id text := coalesce(p_event_id, gen_random_uuid()::text);  -- no id: a random one, so never a duplicate
  v_unblocked integer := 0;
BEGIN
  IF v_answer IS NOT NULL THEN
    RETURN v_answer::integer;
  END IF;
  IF missions_private.clean_text(p_key) IS NULL OR length(p_key) > 500 THEN
    RAISE EXCEPTION 'an event key is 1 to 500 characters' USING ERRCODE = 'MS422';
  END IF;
  -- the same per-key lock as wait_for_external_event: one of the two always sees the other
  PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('missions.external_event:' || p_key));
  -- ids are the sender's own: another sender's event with this id neither blocks nor replaces this one
  IF NOT EXISTS (SELECT FROM missions_private.external_events e
                 WHERE e.sender_id IS NOT DISTINCT FROM v_sender AND e.event_id = v_event_id) THEN
    IF missions_private.current_principal_role() = 'agent' THEN
      PERFORM missions_private.authorize_agent_delivery(p_key, v_sender);
    END IF;
    INSERT INTO missions_private.external_events (key, payload, sender_id, event_id)
    VALUES (p_key, coalesce(p_payload, '{}'), v_sender, v_event_id)
    ON CONFLICT ON CONSTRAINT external_events_sender_event_unique DO NOTHING;
    IF FOUND THEN  -- else delivered by another session of the same sender that just committed: one effect
      v_unblocked := missions_private.match_external_events(p_key);
      PERFORM missions_private.unblock_by_key(p_key);  -- tasks blocked by the key (they do not consume it)
    END IF;
  END IF;
  PERFORM missions_private.remember('deliver_external_event', p_event_id, pg_catalog.to_jsonb(v_unblocked));
  RETURN v_unblocked;
END
$fn$;
COMMENT ON FUNCTION missions.deliver_external_event(text, jsonb, text) IS
  'Delivers an event by key (e.g. email_reply:<tracking_id>); unblocks waiting steps and resumes their missions, and clears the blocker of tasks blocked by the key; returns the missions unblocked (from waits). Services, admins and the worker deliver any key; an agent only keys that steps of its own missions wait on (else MS403). p_event_id is the idempotency key within the sender''s scope (the caller; the engine for the worker): the same id twice has one effect and the same answer; no id, a random one.';

-- missions.cancel_input_request: the requester or staff withdraws a pending question; its step goes back to ready and the mission resumes when unblocked.
CREATE OR REPLACE FUNCTION missions.cancel_input_request(p_request_id uuid, p_reason text DEFAULT NULL)
RETURNS missions_private.input_requests
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.input_requests;
  v_caller uuid := missions_private.caller_id();
  v_role text := missions_private.current_principal_role();
BEGIN
  -- the row lock respond_to_input_request takes first too: of a response and a cancel, exactly one wins
  SELECT * INTO v FROM missions_private.input_requests r WHERE r.id = p_request_id FOR UPDATE;
  IF NOT FOUND OR NOT missions_private.can_see_mission(v.mission_id) THEN
    RAISE EXCEPTION 'input request % not found', p_request_id USING ERRCODE = 'MS404';
  END IF;
  IF NOT (v_caller IS NULL OR v_role IN ('admin', 'service') OR v.requested_by = v_caller) THEN
    RAISE EXCEPTION 'an input request is cancelled by whoever asked it or by staff' USING ERRCODE = 'MS403';
  END IF;
  IF length(p_reason) > 2000 THEN
    RAISE EXCEPTION 'a reason is at most 2000 characters' USING ERRCODE = 'MS422';
  END IF;
  IF v.status = 'cancelled' THEN
    RETURN v;  -- cancelled already: the same row, no second effect
  ELSIF v.status <> 'pending' THEN
    RAISE EXCEPTION 'input request % is %: only a pending request can be cancelled', p_request_id, v.status
      USING ERRCODE = 'MS409';
  END IF;
  UPDATE missions_private.input_requests r
  SET status = 'cancelled', cancelled_by = v_caller, cancelled_at = missions.now(),
      cancel_reason = missions_private.clean_text(p_reason)
  WHERE r.id = p_request_id RETURNING * INTO v;
  PERFORM missions_private.log_event(v.mission_id, 'mission.input_cancelled',
            pg_catalog.jsonb_build_object('request_id', v.id, 'reason', v.cancel_reason), v.step_id);
  -- as on expiry: the step carries on without an answer once no other question of it is pending
  UPDATE missions_private.steps s SET status = 'ready', ready_at = missions.now()
  WHERE s.id = v.step_id AND s.status = 'waiting_human'
    AND NOT EXISTS (SELECT FROM missions_private.input_requests o WHERE o.step_id = s.id AND o.status = 'pending');
  PERFORM missions_private.resume_unblocked(ARRAY[v.mission_id]);
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.cancel_input_request(uuid, text) IS
  'Cancels a pending input request (the agent that asked it, admins, services; MS403 others, MS404 not visible): cancelled, never answerable again (respond: MS409); its waiting_human step becomes ready (no other question pending) and the waiting mission resumes when nothing else blocks it; logs mission.input_cancelled. Cancelling again returns the row; a responded or expired request is MS409.';
