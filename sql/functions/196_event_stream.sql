-- The event log as a caller may read it, page by page, for the live stream (GET /events/stream): an invoker
-- function, so the event log's row-level security decides (participants: their own events; agents: the events
-- of the agent missions they may work on; admins and services: all; mentors: none).

-- missions.touch_event_stream_listener: an HTTP process's listener says it is connected (every 30 s); rows gone quiet for an hour are removed.
CREATE OR REPLACE FUNCTION missions.touch_event_stream_listener(p_listener_id uuid) RETURNS void
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  DELETE FROM missions_private.event_stream_listeners l WHERE l.seen_at < pg_catalog.now() - interval '1 hour';
  INSERT INTO missions_private.event_stream_listeners (listener_id, seen_at) VALUES (p_listener_id, pg_catalog.now())
  ON CONFLICT (listener_id) DO UPDATE SET seen_at = excluded.seen_at;
$fn$;
COMMENT ON FUNCTION missions.touch_event_stream_listener(uuid) IS
  'The listener of an HTTP process checks in (the app''s login role, every 30 s): while one has within 90 s, the outbox trigger sends NOTIFY missions_events.';

-- missions_private.newest_event_id: the highest event id recorded (0 when none), whoever may see it.
CREATE OR REPLACE FUNCTION missions_private.newest_event_id() RETURNS bigint
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT coalesce((SELECT e.id FROM missions_private.events e ORDER BY e.id DESC LIMIT 1), 0)
$fn$;
COMMENT ON FUNCTION missions_private.newest_event_id() IS
  'The highest event id (0 when none); the count of events is public anyway (GET /metrics, missions_events_total).';

-- missions.event_stream_page: the caller's visible events after a position, oldest first, and the position to ask from next.
CREATE OR REPLACE FUNCTION missions.event_stream_page(p_after bigint DEFAULT NULL, p_limit integer DEFAULT 100)
RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_top bigint := missions_private.newest_event_id();
  v_end bigint;
  v_events jsonb;
  v_count integer;
  v_last bigint;
BEGIN
  IF p_after IS NULL OR p_after >= v_top THEN  -- a new stream starts at the newest event
    RETURN pg_catalog.jsonb_build_object('events', '[]'::jsonb, 'next_after', greatest(coalesce(p_after, 0), v_top),
                                         'caught_up', true);
  END IF;
  IF p_after < 0 THEN
    RAISE EXCEPTION 'the position must be >= 0 (got %)', p_after USING ERRCODE = 'MS422';
  END IF;
  -- one call reads at most 10000 ids of the log, visible or not: its cost is bounded whoever calls
  v_end := least(v_top, p_after + 10000);
  SELECT pg_catalog.jsonb_agg(pg_catalog.to_jsonb(e) ORDER BY e.id), count(*), max(e.id)
  INTO v_events, v_count, v_last
  FROM (SELECT * FROM missions_private.events e WHERE e.id > p_after AND e.id <= v_end ORDER BY e.id LIMIT v_limit) e;
  RETURN pg_catalog.jsonb_build_object(
    'events', coalesce(v_events, '[]'::jsonb),
    'next_after', CASE WHEN v_count = v_limit THEN v_last ELSE v_end END,
    'caught_up', v_count < v_limit AND v_end = v_top);
END
$fn$;
COMMENT ON FUNCTION missions.event_stream_page(bigint, integer) IS
  'Up to p_limit events the caller may see (the event log''s row-level security) with p_after < id <= p_after + 10000, oldest first, next_after (the position to ask from next) and caught_up (nothing newer yet); p_after NULL: start at the newest event.';
