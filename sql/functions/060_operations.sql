-- Operations: health and metrics, read by the HTTP app's /health and /metrics and by DBAs.

-- missions.health: database, pg_cron and pgmq status as JSON ("ok" or what is wrong).
CREATE OR REPLACE FUNCTION missions.health() RETURNS jsonb
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object(
    'database', 'ok',
    'pg_cron', CASE
      WHEN pg_catalog.current_setting('cron.database_name', true) IS NULL THEN 'not preloaded'
      WHEN NOT EXISTS (SELECT FROM pg_catalog.pg_stat_activity a WHERE a.backend_type = 'pg_cron launcher')
        THEN 'launcher not running'
      ELSE 'ok' END,
    'pgmq', CASE
      WHEN pg_catalog.to_regclass('pgmq.q_mission_events') IS NULL THEN 'queue mission_events missing'
      WHEN pg_catalog.to_regclass('pgmq.q_webhook_deliveries') IS NULL THEN 'queue webhook_deliveries missing'
      ELSE 'ok' END)
$fn$;
COMMENT ON FUNCTION missions.health() IS 'Reports database, pg_cron and pgmq status; each value is "ok" or what is wrong.';

-- missions.metrics: Prometheus samples (name, help, type, labels, value) for queues, events, principals and missions.
CREATE OR REPLACE FUNCTION missions.metrics()
RETURNS TABLE (name text, help text, type text, labels jsonb, value double precision)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT 'missions_queue_depth', 'Messages waiting in a pgmq queue.', 'gauge',
         pg_catalog.jsonb_build_object('queue', q.queue_name), q.queue_length::double precision
  FROM pgmq.metrics_all() q
  UNION ALL
  SELECT 'missions_events_total', 'Events recorded (high-water mark of the event id).', 'counter',
         '{}', coalesce((SELECT max(e.id) FROM missions_private.events e), 0)::double precision
  UNION ALL
  SELECT 'missions_principals', 'Principals by role.', 'gauge',
         pg_catalog.jsonb_build_object('role', r.role),
         (SELECT count(*) FROM missions_private.principals p WHERE p.role = r.role)::double precision
  FROM (VALUES ('participant'), ('admin'), ('mentor'), ('agent'), ('service')) AS r(role)
  UNION ALL
  SELECT 'missions_missions', 'Missions by status.', 'gauge',
         pg_catalog.jsonb_build_object('status', m.status), count(*)::double precision
  FROM missions_private.missions m GROUP BY m.status
  UNION ALL
  SELECT 'missions_claims_active', 'Steps held under a live lease.', 'gauge', '{}',
         (SELECT count(*) FROM missions_private.steps s
          WHERE s.status = 'in_progress' AND s.lease_expires_at > missions.now())::double precision
  UNION ALL
  SELECT 'missions_steps_ready', 'Steps waiting to be claimed.', 'gauge', '{}',
         (SELECT count(*) FROM missions_private.steps s WHERE s.status = 'ready')::double precision
  UNION ALL
  SELECT 'missions_alerts_open', 'Triggered alerts by type.', 'gauge', pg_catalog.jsonb_build_object('type', a.type),
         (SELECT count(*) FROM missions_private.alerts x WHERE x.type = a.type AND x.status = 'triggered')::double precision
  FROM (VALUES ('LOW_MOMENTUM'), ('MISSED_MISSIONS'), ('TRIAD_IMBALANCE')) AS a(type)
  UNION ALL
  SELECT 'missions_webhook_subscriptions', 'Webhook subscriptions by state.', 'gauge',
         pg_catalog.jsonb_build_object('enabled', w.enabled),
         (SELECT count(*) FROM missions_private.webhook_subscriptions s WHERE s.enabled = w.enabled)::double precision
  FROM (VALUES (true), (false)) AS w(enabled)
  UNION ALL
  SELECT 'missions_webhook_deliveries_pending', 'Webhook deliveries waiting to be sent or retried.', 'gauge', '{}',
         (SELECT count(*) FROM missions_private.webhook_deliveries d WHERE d.status = 'pending')::double precision
$fn$;
COMMENT ON FUNCTION missions.metrics() IS
  'Prometheus samples: queue depths, events recorded, principals by role, missions by status, active claims, ready steps, open alerts by type, webhook subscriptions by state and pending deliveries.';
