-- Bounded growth: the event log's monthly partitions (made ahead, old ones dropped or detached) and the
-- retention of the other tables that only grow. The ledger is never trimmed: it is the money. Every cutoff is
-- measured on the engine clock (missions.now()); each setting is a number of days in missions_private.settings.

-- missions_private.retention_days: a retention setting in days (at least 1), or its default.
CREATE OR REPLACE FUNCTION missions_private.retention_days(p_key text, p_default integer) RETURNS integer
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT greatest(1, coalesce(missions_private.setting(p_key)::integer, p_default))
$fn$;
COMMENT ON FUNCTION missions_private.retention_days(text, integer) IS
  'A retention setting (days, at least 1): retention_events_days 400, retention_step_results_days 180, retention_input_requests_days 90, retention_webhook_deliveries_days 30, retention_notifications_days 180, retention_queue_archive_days 30, retention_queue_days 14.';

-- missions_private.event_partition_name: the name of the event log's partition for the month of a moment (events_YYYY_MM, UTC).
CREATE OR REPLACE FUNCTION missions_private.event_partition_name(p_at timestamptz) RETURNS text
LANGUAGE sql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'events_' || pg_catalog.to_char(p_at AT TIME ZONE 'UTC', 'YYYY_MM')
$fn$;
COMMENT ON FUNCTION missions_private.event_partition_name(timestamptz) IS 'events_YYYY_MM: the monthly partition of the event log that holds a moment (months in UTC).';

-- missions.maintain_event_partitions: makes the event log's monthly partitions from this month to p_months_ahead months on; returns how many it made.
CREATE OR REPLACE FUNCTION missions.maintain_event_partitions(p_months_ahead integer DEFAULT 3) RETURNS integer
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '2s'
AS $fn$
DECLARE
  v_month timestamptz;
  v_next timestamptz;
  v_name text;
  v_made integer := 0;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_months_ahead IS NULL OR p_months_ahead NOT BETWEEN 0 AND 24 THEN
    RAISE EXCEPTION 'months ahead must be 0..24' USING ERRCODE = 'MS422';
  END IF;
  FOR i IN 0..p_months_ahead LOOP
    v_month := (pg_catalog.date_trunc('month', missions.now() AT TIME ZONE 'UTC') + pg_catalog.make_interval(months => i))
               AT TIME ZONE 'UTC';
    v_next := ((v_month AT TIME ZONE 'UTC') + interval '1 month') AT TIME ZONE 'UTC';
    v_name := missions_private.event_partition_name(v_month);
    CONTINUE WHEN pg_catalog.to_regclass('missions_private.' || v_name) IS NOT NULL
      -- rows of that month already in the default partition: leave them there (retention still trims them)
      OR EXISTS (SELECT FROM missions_private.events_default d WHERE d.occurred_at >= v_month AND d.occurred_at < v_next);
    EXECUTE pg_catalog.format('CREATE TABLE missions_private.%I PARTITION OF missions_private.events FOR VALUES FROM (%L) TO (%L)',
                              v_name, v_month, v_next);
    EXECUTE pg_catalog.format('ALTER TABLE missions_private.%I ENABLE ROW LEVEL SECURITY', v_name);
    v_made := v_made + 1;
  END LOOP;
  RETURN v_made;
END
$fn$;
COMMENT ON FUNCTION missions.maintain_event_partitions(integer) IS
  'Creates the event log''s missing monthly partitions from the current month (engine clock, UTC) to p_months_ahead (0..24, default 3) months ahead; a lock it cannot get within 2 s fails the call (the daily job tries again).';

-- missions.apply_retention: trims every table that only grows to its retention window; returns what it removed, by table.
CREATE OR REPLACE FUNCTION missions.apply_retention(p_batch integer DEFAULT 50000) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
SET lock_timeout = '2s'
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_cut timestamptz;
  v_done jsonb := '{}';
  v_count bigint;
  v_detach boolean := missions_private.setting('retention_events_action') = 'detach';
  p record;
  q record;
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_batch IS NULL OR p_batch NOT BETWEEN 1 AND 1000000 THEN
    RAISE EXCEPTION 'batch must be 1..1000000' USING ERRCODE = 'MS422';
  END IF;

  -- the event log: whole months past the window (dropped, or detached for an export when the setting says so)
  v_cut := v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_events_days', 400));
  v_count := 0;
  FOR p IN
    SELECT c.relname, pg_catalog.pg_get_expr(c.relpartbound, c.oid) AS bound
    FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'missions_private.events'::regclass AND c.relname ~ '^events_[0-9]{4}_[0-9]{2}$'
    ORDER BY c.relname
  LOOP
    -- a month ends before the cutoff: its partition goes
    CONTINUE WHEN ((pg_catalog.to_date(pg_catalog.substr(p.relname, 8), 'YYYY_MM') + interval '1 month')::timestamp
                   AT TIME ZONE 'UTC') > v_cut;
    IF v_detach THEN
      EXECUTE pg_catalog.format('ALTER TABLE missions_private.events DETACH PARTITION missions_private.%I', p.relname);
    ELSE
      EXECUTE pg_catalog.format('DROP TABLE missions_private.%I', p.relname);
    END IF;
    v_count := v_count + 1;
  END LOOP;
  v_done := v_done || pg_catalog.jsonb_build_object(CASE WHEN v_detach THEN 'event_partitions_detached'
                                                         ELSE 'event_partitions_dropped' END, v_count);
  -- rows that landed in the default partition (a month without a partition) are trimmed row by row
  DELETE FROM missions_private.events_default d
  WHERE (d.id, d.occurred_at) IN (SELECT x.id, x.occurred_at FROM missions_private.events_default x
                                  WHERE x.occurred_at < v_cut LIMIT p_batch);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  v_done := v_done || pg_catalog.jsonb_build_object('events_default', v_count);

  -- results of the steps of missions finished before the window (the steps and the missions stay)
  v_cut := v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_step_results_days', 180));
  DELETE FROM missions_private.step_results r
  WHERE (r.step_id, r.attempt) IN (
    SELECT x.step_id, x.attempt FROM missions_private.step_results x
    JOIN missions_private.steps s ON s.id = x.step_id
    JOIN missions_private.missions m ON m.id = s.mission_id
    WHERE m.status IN ('completed', 'failed', 'cancelled', 'expired') AND m.status_changed_at < v_cut
    LIMIT p_batch);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  v_done := v_done || pg_catalog.jsonb_build_object('step_results', v_count);

  -- answered, expired or cancelled input requests
  v_cut := v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_input_requests_days', 90));
  DELETE FROM missions_private.input_requests r
  WHERE r.id IN (SELECT x.id FROM missions_private.input_requests x
                 WHERE x.status <> 'pending' AND coalesce(x.responded_at, x.created_at) < v_cut LIMIT p_batch);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  v_done := v_done || pg_catalog.jsonb_build_object('input_requests', v_count);

  -- finished webhook deliveries (their attempts go with them)
  v_cut := v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_webhook_deliveries_days', 30));
  DELETE FROM missions_private.webhook_deliveries d
  WHERE d.id IN (SELECT x.id FROM missions_private.webhook_deliveries x
                 WHERE x.status <> 'pending' AND x.finished_at < v_cut LIMIT p_batch);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  v_done := v_done || pg_catalog.jsonb_build_object('webhook_deliveries', v_count);

  -- read notifications
  v_cut := v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_notifications_days', 180));
  DELETE FROM missions_private.notifications n
  WHERE n.id IN (SELECT x.id FROM missions_private.notifications x WHERE x.read_at < v_cut LIMIT p_batch);
  GET DIAGNOSTICS v_count = ROW_COUNT;
  v_done := v_done || pg_catalog.jsonb_build_object('notifications', v_count);

  -- pgmq: every queue's archive; the outbox and the agents' queue when nothing consumed them in time
  FOR q IN SELECT l.queue_name FROM pgmq.list_queues() l ORDER BY l.queue_name LOOP
    EXECUTE pg_catalog.format('DELETE FROM pgmq.%I a WHERE a.msg_id IN (SELECT x.msg_id FROM pgmq.%I x '
                              'WHERE x.archived_at < $1 LIMIT $2)', 'a_' || q.queue_name, 'a_' || q.queue_name)
      USING v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_queue_archive_days', 30)),
            p_batch;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_done := v_done || pg_catalog.jsonb_build_object('pgmq.a_' || q.queue_name, v_count);
    CONTINUE WHEN q.queue_name NOT IN ('mission_events', 'agent_work');
    EXECUTE pg_catalog.format('DELETE FROM pgmq.%I m WHERE m.msg_id IN (SELECT x.msg_id FROM pgmq.%I x '
                              'WHERE x.enqueued_at < $1 LIMIT $2)', 'q_' || q.queue_name, 'q_' || q.queue_name)
      USING v_now - pg_catalog.make_interval(days => missions_private.retention_days('retention_queue_days', 14)),
            p_batch;
    GET DIAGNOSTICS v_count = ROW_COUNT;
    v_done := v_done || pg_catalog.jsonb_build_object('pgmq.q_' || q.queue_name, v_count);
  END LOOP;
  RETURN v_done;
END
$fn$;
COMMENT ON FUNCTION missions.apply_retention(integer) IS
  'Trims what only grows, at most p_batch rows per table per call (the job runs hourly): event-log months past retention_events_days (dropped, or detached when retention_events_action = detach), step results of missions finished long ago, settled input requests, finished webhook deliveries, read notifications, pgmq archives, and outbox / agent-queue messages nobody consumed. Never the ledger. Returns counts by table.';

SELECT missions.maintain_event_partitions();
