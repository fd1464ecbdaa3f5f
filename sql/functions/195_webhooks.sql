-- Webhooks: subscriptions (admins manage all, services their own), signing secrets with rotation, the
-- fan-out of events into deliveries (one per event and subscription), the worker's view of a delivery
-- and the record of each attempt (retry with backoff, failure, disabling after a run of failures), the
-- delivery log and manual redelivery. The HTTP sending and the SSRF guard are the worker's (app/webhooks/).

-- missions_private.webhook_setting: an integer webhook setting, or its default when unset.
CREATE OR REPLACE FUNCTION missions_private.webhook_setting(p_key text, p_default integer) RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce(missions_private.setting(p_key)::integer, p_default)
$fn$;
COMMENT ON FUNCTION missions_private.webhook_setting(text, integer) IS
  'An integer setting of the webhooks (webhook_timeout_ms, webhook_max_attempts, webhook_retry_base_seconds, webhook_retry_max_seconds, webhook_disable_after_failures) or its default.';

-- missions_private.new_webhook_secret: a fresh signing secret in the Standard Webhooks form (whsec_ + base64 of 32 random bytes).
CREATE OR REPLACE FUNCTION missions_private.new_webhook_secret() RETURNS text
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'whsec_' || pg_catalog.encode(pg_catalog.decode(
           pg_catalog.replace(pg_catalog.gen_random_uuid()::text || pg_catalog.gen_random_uuid()::text, '-', ''),
           'hex'), 'base64')
$fn$;
COMMENT ON FUNCTION missions_private.new_webhook_secret() IS
  'A new signing secret: whsec_ and the base64 of 32 bytes from two random UUIDs (244 random bits).';

-- missions_private.event_type_matches: whether an event type matches any pattern ('*', 'prefix.*' or an exact type).
CREATE OR REPLACE FUNCTION missions_private.event_type_matches(p_type text, p_patterns text[]) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT EXISTS (SELECT FROM pg_catalog.unnest(p_patterns) p
                 WHERE p = '*' OR p = p_type
                    OR (pg_catalog.right(p, 2) = '.*'
                        AND pg_catalog.left(p_type, pg_catalog.length(p) - 1) = pg_catalog.left(p, -1)))
$fn$;
COMMENT ON FUNCTION missions_private.event_type_matches(text, text[]) IS
  'True when the type equals a pattern, starts with a pattern''s prefix ending in .* (learning.* matches learning.approved), or a pattern is *.';

-- missions_private.webhook_subscription_json: a subscription as the API shows it (never its secrets).
CREATE OR REPLACE FUNCTION missions_private.webhook_subscription_json(s missions_private.webhook_subscriptions) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object(
    'id', s.id, 'owner_id', s.owner_id, 'url', s.url, 'event_types', pg_catalog.to_jsonb(s.event_types),
    'participant_id', s.participant_id, 'mission_id', s.mission_id, 'face', s.face,
    'description', s.description, 'enabled', s.enabled, 'disabled_reason', s.disabled_reason,
    'consecutive_failures', s.consecutive_failures, 'created_at', s.created_at, 'updated_at', s.updated_at,
    'secrets_active', (SELECT count(*) FROM missions_private.webhook_secrets k
                       WHERE k.subscription_id = s.id AND (k.expires_at IS NULL OR k.expires_at > missions.now())))
$fn$;
COMMENT ON FUNCTION missions_private.webhook_subscription_json(missions_private.webhook_subscriptions) IS
  'A subscription as JSON: target, patterns, filters, state and how many secrets sign now; secrets are shown only when made.';

-- missions_private.managed_subscription: the subscription if the caller may manage it (admins: any; services: their own), else MS404.
CREATE OR REPLACE FUNCTION missions_private.managed_subscription(p_id uuid, p_lock boolean DEFAULT false)
RETURNS missions_private.webhook_subscriptions
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
  v missions_private.webhook_subscriptions;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_lock THEN
    SELECT * INTO v FROM missions_private.webhook_subscriptions s WHERE s.id = p_id FOR UPDATE;
  ELSE
    SELECT * INTO v FROM missions_private.webhook_subscriptions s WHERE s.id = p_id;
  END IF;
  IF v.id IS NULL OR (missions_private.current_principal_role() = 'service' AND v.owner_id IS DISTINCT FROM v_caller) THEN
    RAISE EXCEPTION 'webhook subscription % not found', p_id USING ERRCODE = 'MS404';
  END IF;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions_private.managed_subscription(uuid, boolean) IS
  'The subscription (locked when asked) if the caller may manage it: admins and owner sessions any, services their own; MS403 for others, MS404 when unseen.';

-- missions_private.check_webhook_target: MS422 unless the URL is http(s) with a host, no credentials, at most 2048 characters.
CREATE OR REPLACE FUNCTION missions_private.check_webhook_target(p_url text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_url IS NULL OR pg_catalog.length(p_url) > 2048 OR p_url !~ '^https?://[^/?#@\s]+([/?#][^\s]*)?$' THEN
    RAISE EXCEPTION 'a webhook url must be http:// or https:// with a host, no credentials and no spaces, up to 2048 characters'
      USING ERRCODE = 'MS422';
  END IF;
  RETURN p_url;
END
$fn$;
COMMENT ON FUNCTION missions_private.check_webhook_target(text) IS
  'Validates a webhook target''s shape (http/https, a host, no user:password@, no spaces, <= 2048); private addresses are refused by the worker''s guard when it sends.';

-- missions_private.check_event_patterns: MS422 unless 1..50 patterns, each '*', 'a.b' or 'a.*' in lower case.
CREATE OR REPLACE FUNCTION missions_private.check_event_patterns(p_patterns text[]) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_patterns IS NULL OR pg_catalog.cardinality(p_patterns) NOT BETWEEN 1 AND 50
     OR pg_catalog.array_ndims(p_patterns) <> 1
     OR EXISTS (SELECT FROM pg_catalog.unnest(p_patterns) p
                WHERE p IS NULL OR pg_catalog.length(p) > 100
                   OR p !~ '^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$') THEN
    RAISE EXCEPTION 'event_types must be 1..50 patterns: an event type (step.status_changed), a prefix (learning.*) or *'
      USING ERRCODE = 'MS422';
  END IF;
  RETURN (SELECT pg_catalog.array_agg(DISTINCT p ORDER BY p) FROM pg_catalog.unnest(p_patterns) p);
END
$fn$;
COMMENT ON FUNCTION missions_private.check_event_patterns(text[]) IS
  'Validates and de-duplicates event type patterns (1..50, each *, a type or prefix.*); MS422 otherwise.';

-- missions.create_webhook_subscription: subscribes a URL to event type patterns (optionally one participant, mission or face); returns it with its signing secret, shown this once.
CREATE OR REPLACE FUNCTION missions.create_webhook_subscription(
  p_url text, p_event_types text[], p_participant_id uuid DEFAULT NULL, p_mission_id uuid DEFAULT NULL,
  p_face text DEFAULT NULL, p_description text DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.webhook_subscriptions;
  v_secret text := missions_private.new_webhook_secret();
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_participant_id IS NOT NULL
     AND NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id = p_participant_id) THEN
    RAISE EXCEPTION 'principal % not found', p_participant_id USING ERRCODE = 'MS404';
  END IF;
  IF p_mission_id IS NOT NULL AND NOT EXISTS (SELECT FROM missions_private.missions m WHERE m.id = p_mission_id) THEN
    RAISE EXCEPTION 'mission % not found', p_mission_id USING ERRCODE = 'MS404';
  END IF;
  IF p_face IS NOT NULL AND p_face NOT IN ('engagement', 'learning', 'agent') THEN
    RAISE EXCEPTION 'face must be engagement, learning or agent (got %)', p_face USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.webhook_subscriptions
    (owner_id, url, event_types, participant_id, mission_id, face, description, after_event_id)
  VALUES (missions_private.caller_id(), missions_private.check_webhook_target(p_url),
          missions_private.check_event_patterns(p_event_types), p_participant_id, p_mission_id, p_face,
          coalesce(missions_private.clean_text(p_description), ''),
          coalesce((SELECT max(e.id) FROM missions_private.events e), 0))
  RETURNING * INTO v;
  INSERT INTO missions_private.webhook_secrets (subscription_id, secret) VALUES (v.id, v_secret);
  RETURN missions_private.webhook_subscription_json(v) || pg_catalog.jsonb_build_object('secret', v_secret);
END
$fn$;
COMMENT ON FUNCTION missions.create_webhook_subscription(text, text[], uuid, uuid, text, text) IS
  'Admins and services: subscribe an http(s) URL to event type patterns, optionally filtered to a participant, a mission or a face; events recorded from now on are delivered. Returns the subscription and its secret (shown only here).';

-- missions.webhook_subscriptions: the subscriptions the caller manages, oldest first, one page.
CREATE OR REPLACE FUNCTION missions.webhook_subscriptions(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_caller uuid := missions_private.caller_id();
  v_service boolean := missions_private.current_principal_role() = 'service';
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
BEGIN
  PERFORM missions_private.authorize_staff();
  RETURN QUERY
  SELECT missions_private.webhook_subscription_json(s)
  FROM missions_private.webhook_subscriptions s
  WHERE (NOT v_service OR s.owner_id = v_caller)
    AND (v_after IS NULL OR (s.created_at, s.id) > ((v_after->>'created_at')::timestamptz, (v_after->>'id')::uuid))
  ORDER BY s.created_at, s.id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.webhook_subscriptions(integer, jsonb) IS
  'Admins: every webhook subscription; services: their own; oldest first, a page of p_limit after the key {"created_at","id"}.';

-- missions.webhook_subscription: one subscription the caller manages.
CREATE OR REPLACE FUNCTION missions.webhook_subscription(p_id uuid) RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.webhook_subscription_json(missions_private.managed_subscription(p_id))
$fn$;
COMMENT ON FUNCTION missions.webhook_subscription(uuid) IS 'One webhook subscription the caller manages (MS404 otherwise), without its secrets.';

-- missions.update_webhook_subscription: changes a subscription's URL, patterns, description or enabled flag (NULL keeps); enabling clears its failure run.
CREATE OR REPLACE FUNCTION missions.update_webhook_subscription(
  p_id uuid, p_url text DEFAULT NULL, p_event_types text[] DEFAULT NULL, p_description text DEFAULT NULL,
  p_enabled boolean DEFAULT NULL) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.webhook_subscriptions := missions_private.managed_subscription(p_id, true);
BEGIN
  UPDATE missions_private.webhook_subscriptions s SET
    url = CASE WHEN p_url IS NULL THEN s.url ELSE missions_private.check_webhook_target(p_url) END,
    event_types = CASE WHEN p_event_types IS NULL THEN s.event_types
                       ELSE missions_private.check_event_patterns(p_event_types) END,
    description = CASE WHEN p_description IS NULL THEN s.description
                       ELSE coalesce(missions_private.clean_text(p_description), '') END,
    enabled = coalesce(p_enabled, s.enabled),
    disabled_reason = CASE WHEN p_enabled THEN NULL WHEN p_enabled = false THEN 'disabled by a caller'
                           ELSE s.disabled_reason END,
    consecutive_failures = CASE WHEN p_enabled AND NOT s.enabled THEN 0 ELSE s.consecutive_failures END,
    updated_at = missions.now()
  WHERE s.id = v.id
  RETURNING * INTO v;
  RETURN missions_private.webhook_subscription_json(v);
END
$fn$;
COMMENT ON FUNCTION missions.update_webhook_subscription(uuid, text, text[], text, boolean) IS
  'Changes a subscription the caller manages (NULL keeps a field); p_enabled true re-enables it and clears its failure run, false pauses it.';

-- missions.delete_webhook_subscription: removes a subscription with its secrets and delivery log.
CREATE OR REPLACE FUNCTION missions.delete_webhook_subscription(p_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.webhook_subscriptions := missions_private.managed_subscription(p_id, true);
BEGIN
  DELETE FROM missions_private.webhook_subscriptions s WHERE s.id = v.id;
  RETURN true;
END
$fn$;
COMMENT ON FUNCTION missions.delete_webhook_subscription(uuid) IS
  'Deletes a subscription the caller manages, its secrets and its deliveries (queued messages for them are dropped by the worker).';

-- missions.rotate_webhook_secret: a new signing secret (returned once); the previous ones keep signing for the overlap.
CREATE OR REPLACE FUNCTION missions.rotate_webhook_secret(p_id uuid, p_overlap_seconds integer DEFAULT 86400) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.webhook_subscriptions := missions_private.managed_subscription(p_id, true);
  v_secret text := missions_private.new_webhook_secret();
  v_until timestamptz;
BEGIN
  IF p_overlap_seconds IS NULL OR p_overlap_seconds NOT BETWEEN 0 AND 604800 THEN
    RAISE EXCEPTION 'the overlap must be 0..604800 seconds (7 days)' USING ERRCODE = 'MS422';
  END IF;
  v_until := missions.now() + pg_catalog.make_interval(secs => p_overlap_seconds);
  DELETE FROM missions_private.webhook_secrets k WHERE k.subscription_id = v.id AND k.expires_at <= missions.now();
  UPDATE missions_private.webhook_secrets k SET expires_at = least(coalesce(k.expires_at, v_until), v_until)
  WHERE k.subscription_id = v.id;
  INSERT INTO missions_private.webhook_secrets (subscription_id, secret) VALUES (v.id, v_secret);
  UPDATE missions_private.webhook_subscriptions s SET updated_at = missions.now() WHERE s.id = v.id;
  RETURN pg_catalog.jsonb_build_object('subscription_id', v.id, 'secret', v_secret, 'previous_valid_until', v_until);
END
$fn$;
COMMENT ON FUNCTION missions.rotate_webhook_secret(uuid, integer) IS
  'Makes a new signing secret (returned only here); the previous secrets keep signing every delivery for p_overlap_seconds (0..7 days, default 1 day), then stop.';

-- missions_private.webhook_delivery_json: a delivery of the log as JSON (with its attempts when asked).
CREATE OR REPLACE FUNCTION missions_private.webhook_delivery_json(d missions_private.webhook_deliveries,
                                                                   p_attempts boolean DEFAULT false) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object(
    'id', d.id, 'webhook_id', 'msg_' || pg_catalog.replace(d.id::text, '-', ''), 'subscription_id', d.subscription_id,
    'event_id', d.event_id, 'event_type', (SELECT e.type FROM missions_private.events e WHERE e.id = d.event_id),
    'status', d.status, 'attempts', d.attempts,
    'last_status_code', d.last_status_code, 'last_latency_ms', d.last_latency_ms, 'last_error', d.last_error,
    'created_at', d.created_at, 'finished_at', d.finished_at)
  || CASE WHEN p_attempts THEN pg_catalog.jsonb_build_object('attempt_log', coalesce((
       SELECT pg_catalog.jsonb_agg(pg_catalog.jsonb_build_object(
         'attempted_at', a.attempted_at, 'status_code', a.status_code, 'latency_ms', a.latency_ms, 'error', a.error)
         ORDER BY a.id)
       FROM (SELECT * FROM missions_private.webhook_attempts a WHERE a.delivery_id = d.id ORDER BY a.id DESC LIMIT 100) a),
       '[]')) ELSE '{}' END
$fn$;
COMMENT ON FUNCTION missions_private.webhook_delivery_json(missions_private.webhook_deliveries, boolean) IS
  'A delivery as JSON: its webhook-id, event, status, attempts and last outcome; with p_attempts, its last 100 attempts oldest first.';

-- missions.webhook_deliveries: a subscription's delivery log, newest first (optionally one status), one page.
CREATE OR REPLACE FUNCTION missions.webhook_deliveries(p_subscription_id uuid, p_status text DEFAULT NULL,
                                                       p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS SETOF jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['created_at', 'id']);
  v missions_private.webhook_subscriptions := missions_private.managed_subscription(p_subscription_id);
BEGIN
  IF p_status IS NOT NULL AND p_status NOT IN ('pending', 'delivered', 'failed') THEN
    RAISE EXCEPTION 'status must be pending, delivered or failed (got %)', p_status USING ERRCODE = 'MS422';
  END IF;
  RETURN QUERY
  SELECT missions_private.webhook_delivery_json(d)
  FROM missions_private.webhook_deliveries d
  WHERE d.subscription_id = v.id AND (p_status IS NULL OR d.status = p_status)
    AND (v_after IS NULL OR (d.created_at, d.id) < ((v_after->>'created_at')::timestamptz, (v_after->>'id')::uuid))
  ORDER BY d.created_at DESC, d.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.webhook_deliveries(uuid, text, integer, jsonb) IS
  'The delivery log of a subscription the caller manages, newest first, optionally only pending, delivered or failed ones; a page after the key {"created_at","id"}.';

-- missions_private.managed_delivery: a delivery of a subscription the caller manages (locked when asked), else MS404.
CREATE OR REPLACE FUNCTION missions_private.managed_delivery(p_delivery_id uuid, p_lock boolean DEFAULT false)
RETURNS missions_private.webhook_deliveries
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  d missions_private.webhook_deliveries;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_lock THEN
    SELECT * INTO d FROM missions_private.webhook_deliveries x WHERE x.id = p_delivery_id FOR UPDATE;
  ELSE
    SELECT * INTO d FROM missions_private.webhook_deliveries x WHERE x.id = p_delivery_id;
  END IF;
  IF d.id IS NULL THEN
    RAISE EXCEPTION 'webhook delivery % not found', p_delivery_id USING ERRCODE = 'MS404';
  END IF;
  PERFORM missions_private.managed_subscription(d.subscription_id);
  RETURN d;
END
$fn$;
COMMENT ON FUNCTION missions_private.managed_delivery(uuid, boolean) IS
  'A delivery whose subscription the caller manages; MS404 otherwise.';

-- missions.webhook_delivery: one delivery with its attempts.
CREATE OR REPLACE FUNCTION missions.webhook_delivery(p_delivery_id uuid) RETURNS jsonb
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.webhook_delivery_json(missions_private.managed_delivery(p_delivery_id), true)
$fn$;
COMMENT ON FUNCTION missions.webhook_delivery(uuid) IS 'One delivery of a subscription the caller manages, with its last 100 attempts.';

-- missions_private.queue_webhook_deliveries: puts deliveries on the webhook_deliveries queue (visible now).
CREATE OR REPLACE FUNCTION missions_private.queue_webhook_deliveries(p_ids uuid[]) RETURNS integer
LANGUAGE sql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
  -- The row pgmq.send_batch would write, as the outbox trigger does (050).
  WITH sent AS (
    INSERT INTO pgmq.q_webhook_deliveries (vt, message)
    SELECT pg_catalog.clock_timestamp(), pg_catalog.jsonb_build_object('delivery_id', i) FROM pg_catalog.unnest(p_ids) i
    RETURNING 1)
  SELECT count(*)::integer FROM sent
$fn$;
COMMENT ON FUNCTION missions_private.queue_webhook_deliveries(uuid[]) IS
  'Sends one message {"delivery_id"} per delivery to the pgmq queue webhook_deliveries, visible at once.';

-- missions.redeliver_webhook: sends a finished delivery again (same webhook-id); MS409 while it is pending or its subscription is disabled.
CREATE OR REPLACE FUNCTION missions.redeliver_webhook(p_delivery_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  d missions_private.webhook_deliveries := missions_private.managed_delivery(p_delivery_id, true);
BEGIN
  IF d.status = 'pending' THEN
    RAISE EXCEPTION 'delivery % is still pending' , d.id USING ERRCODE = 'MS409';
  END IF;
  IF NOT (SELECT s.enabled FROM missions_private.webhook_subscriptions s WHERE s.id = d.subscription_id) THEN
    RAISE EXCEPTION 'the subscription is disabled: enable it first' USING ERRCODE = 'MS409';
  END IF;
  UPDATE missions_private.webhook_deliveries x SET status = 'pending', finished_at = NULL
  WHERE x.id = d.id RETURNING * INTO d;
  PERFORM missions_private.queue_webhook_deliveries(ARRAY[d.id]);
  RETURN missions_private.webhook_delivery_json(d);
END
$fn$;
COMMENT ON FUNCTION missions.redeliver_webhook(uuid) IS
  'Queues a delivered or failed delivery again with the same webhook-id (receivers deduplicate on it); MS409 while pending or when the subscription is disabled.';

-- missions.enqueue_webhook_deliveries: the worker's fan-out: one delivery per (event, matching enabled subscription), queued; returns how many are new.
CREATE OR REPLACE FUNCTION missions.enqueue_webhook_deliveries(p_event_ids bigint[]) RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  WITH made AS (
    INSERT INTO missions_private.webhook_deliveries (subscription_id, event_id)
    SELECT s.id, e.id
    FROM missions_private.events e
    LEFT JOIN missions_private.missions m ON m.id = e.mission_id
    JOIN missions_private.webhook_subscriptions s
      ON s.enabled AND e.id > s.after_event_id
     AND (s.participant_id IS NULL OR s.participant_id = e.participant_id)
     AND (s.mission_id IS NULL OR s.mission_id = e.mission_id)
     AND (s.face IS NULL OR s.face = m.face)
     AND missions_private.event_type_matches(e.type, s.event_types)
    WHERE e.id = ANY (p_event_ids)
    ORDER BY e.id, s.id
    ON CONFLICT ON CONSTRAINT webhook_deliveries_once DO NOTHING
    RETURNING id)
  SELECT missions_private.queue_webhook_deliveries(coalesce((SELECT pg_catalog.array_agg(id) FROM made), '{}'))
$fn$;
COMMENT ON FUNCTION missions.enqueue_webhook_deliveries(bigint[]) IS
  'The worker''s fan-out of a batch of outbox events: one delivery per (event, enabled subscription whose patterns and filters match), never twice (unique), each queued on webhook_deliveries.';

-- missions.webhook_delivery_to_send: what the worker needs to send a pending delivery (NULL when there is nothing to send).
CREATE OR REPLACE FUNCTION missions.webhook_delivery_to_send(p_delivery_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  d missions_private.webhook_deliveries;
  s missions_private.webhook_subscriptions;
  e missions_private.events;
BEGIN
  SELECT * INTO d FROM missions_private.webhook_deliveries x WHERE x.id = p_delivery_id;
  IF d.id IS NULL OR d.status <> 'pending' THEN
    RETURN NULL;  -- deleted with its subscription, or already finished
  END IF;
  SELECT * INTO s FROM missions_private.webhook_subscriptions x WHERE x.id = d.subscription_id;
  IF NOT s.enabled THEN
    UPDATE missions_private.webhook_deliveries x
    SET status = 'failed', finished_at = missions.now(), last_error = 'not sent: the subscription is disabled'
    WHERE x.id = d.id AND x.status = 'pending';
    RETURN NULL;
  END IF;
  SELECT * INTO e FROM missions_private.events x WHERE x.id = d.event_id;
  RETURN pg_catalog.jsonb_build_object(
    'delivery_id', d.id, 'webhook_id', 'msg_' || pg_catalog.replace(d.id::text, '-', ''), 'url', s.url,
    'attempt', d.attempts + 1,
    'timeout_ms', least(missions_private.webhook_setting('webhook_timeout_ms', 10000), 30000),
    'allowed_networks', coalesce(missions_private.setting('webhook_allowed_networks'), ''),
    'secrets', (SELECT pg_catalog.jsonb_agg(k.secret ORDER BY k.id DESC) FROM missions_private.webhook_secrets k
                WHERE k.subscription_id = s.id AND (k.expires_at IS NULL OR k.expires_at > missions.now())),
    -- the payload as text, so the worker signs exactly the bytes it sends
    'body', pg_catalog.jsonb_build_object(
      'type', e.type, 'timestamp', e.occurred_at,
      'data', pg_catalog.jsonb_build_object(
        'event_id', e.id, 'mission_id', e.mission_id, 'step_id', e.step_id, 'participant_id', e.participant_id,
        'actor_id', e.actor_id, 'from_status', e.from_status, 'to_status', e.to_status, 'payload', e.payload))::text);
END
$fn$;
COMMENT ON FUNCTION missions.webhook_delivery_to_send(uuid) IS
  'The worker''s view of a pending delivery: target URL, webhook-id, unexpired secrets, timeout, the SSRF guard''s allowed networks and the Standard Webhooks payload {type, timestamp, data} as text; NULL when there is nothing to send (a disabled subscription fails it).';

-- missions.record_webhook_attempt: records one attempt and decides: delivered, retry (in how many seconds), failed, or gone; disables the subscription after a run of failures.
CREATE OR REPLACE FUNCTION missions.record_webhook_attempt(p_delivery_id uuid, p_status_code integer,
                                                           p_latency_ms integer, p_error text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  d missions_private.webhook_deliveries;
  s missions_private.webhook_subscriptions;
  v_ok boolean := p_status_code BETWEEN 200 AND 299;
  v_error text := pg_catalog.left(CASE WHEN v_ok THEN NULL
                                       ELSE coalesce(p_error, 'HTTP ' || p_status_code) END, 1000);
  v_max integer := missions_private.webhook_setting('webhook_max_attempts', 8);
  v_retry integer;
BEGIN
  SELECT * INTO d FROM missions_private.webhook_deliveries x WHERE x.id = p_delivery_id FOR UPDATE;
  IF d.id IS NULL THEN
    RETURN '{"outcome": "gone"}';
  END IF;
  INSERT INTO missions_private.webhook_attempts (delivery_id, status_code, latency_ms, error)
  VALUES (d.id, p_status_code, p_latency_ms, v_error);
  UPDATE missions_private.webhook_subscriptions x
  SET consecutive_failures = CASE WHEN v_ok THEN 0 ELSE x.consecutive_failures + 1 END
  WHERE x.id = d.subscription_id
  RETURNING * INTO s;
  IF NOT v_ok AND s.enabled
     AND s.consecutive_failures >= missions_private.webhook_setting('webhook_disable_after_failures', 20) THEN
    UPDATE missions_private.webhook_subscriptions x
    SET enabled = false, updated_at = missions.now(),
        disabled_reason = pg_catalog.format('disabled after %s failed attempts in a row; last: %s',
                                            s.consecutive_failures, v_error)
    WHERE x.id = s.id RETURNING * INTO s;
    PERFORM missions_private.notify(
      ARRAY(SELECT p.id FROM missions_private.principals p WHERE p.role = 'admin') || s.owner_id,
      'webhook_disabled', 'webhook:' || s.id || ':' || pg_catalog.date_part('epoch', s.updated_at), NULL,
      pg_catalog.left('Webhook disabled after ' || s.consecutive_failures || ' failures: ' || s.url, 600),
      pg_catalog.jsonb_build_object('subscription_id', s.id, 'url', s.url, 'last_error', v_error));
  END IF;
  v_retry := CASE WHEN v_ok OR d.status <> 'pending' OR NOT s.enabled OR d.attempts + 1 >= v_max THEN NULL
                  ELSE least(missions_private.webhook_setting('webhook_retry_max_seconds', 3600)::bigint,
                             missions_private.webhook_setting('webhook_retry_base_seconds', 10)::bigint
                               * (2 ^ least(d.attempts, 20))::bigint)::integer END;
  UPDATE missions_private.webhook_deliveries x SET
    attempts = x.attempts + 1, last_status_code = p_status_code, last_latency_ms = p_latency_ms, last_error = v_error,
    status = CASE WHEN x.status <> 'pending' THEN x.status WHEN v_ok THEN 'delivered'
                  WHEN v_retry IS NULL THEN 'failed' ELSE 'pending' END,
    finished_at = CASE WHEN x.status = 'pending' AND (v_ok OR v_retry IS NULL) THEN missions.now() ELSE x.finished_at END
  WHERE x.id = d.id
  RETURNING * INTO d;
  RETURN pg_catalog.jsonb_build_object('outcome', CASE d.status WHEN 'pending' THEN 'retry' ELSE d.status END,
                                       'retry_in_seconds', v_retry);
END
$fn$;
COMMENT ON FUNCTION missions.record_webhook_attempt(uuid, integer, integer, text) IS
  'The worker records an attempt (2xx: delivered); a failure retries after webhook_retry_base_seconds * 2^(attempt-1) (capped by webhook_retry_max_seconds) up to webhook_max_attempts, then fails; webhook_disable_after_failures failures in a row disable the subscription and notify admins and its owner.';
