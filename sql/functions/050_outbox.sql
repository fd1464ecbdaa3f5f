-- The outbox: every event row is sent to the pgmq queue mission_events in the same transaction,
-- and the event log refuses updates and deletes.

-- missions_private.publish_events: statement trigger; sends the inserted events to pgmq in one batch.
CREATE OR REPLACE FUNCTION missions_private.publish_events() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- The row pgmq.send_batch('mission_events', …) would write, inserted directly: send_batch builds its
  -- INSERT with dynamic SQL, planned again on every call, and this runs on every status change.
  -- tests/test_worker.py reads these messages back with pgmq.read, so a change of pgmq's layout fails there.
  INSERT INTO pgmq.q_mission_events (vt, message)
  SELECT pg_catalog.clock_timestamp(), pg_catalog.to_jsonb(e) FROM new_events e ORDER BY e.id;
  -- Wake the live event streams, only while an HTTP process's listener checked in within 90 s: NOTIFY
  -- serializes committing transactions on a global lock. Inline, not a function call: measured once here (a
  -- PL/pgSQL loop, 41 backends), calling a function with its own search_path cost ~30 us, this lookup ~2 us.
  -- The payload stays under 8000 bytes: past 100 participants "p" is null and every stream looks.
  IF EXISTS (SELECT FROM missions_private.event_stream_listeners l
             WHERE l.seen_at > pg_catalog.now() - interval '90 seconds') THEN
    PERFORM pg_catalog.pg_notify('missions_events', pg_catalog.jsonb_build_object(
      'id', (SELECT max(e.id) FROM new_events e),
      'p', (SELECT CASE WHEN count(DISTINCT e.participant_id) <= 100
                        THEN pg_catalog.to_jsonb(pg_catalog.array_agg(DISTINCT e.participant_id)) END
            FROM new_events e))::text);
  END IF;
  RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION missions_private.publish_events() IS
  'Statement trigger on events: sends every new event to the pgmq queue mission_events (its queue table, as pgmq.send_batch does), in the same transaction, and notifies missions_events ({id, p: participants}) while an event-stream listener is checked in.';

-- missions_private.refuse_event_changes: keeps the event log append-only.
CREATE OR REPLACE FUNCTION missions_private.refuse_event_changes() RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RAISE EXCEPTION 'the event log is append-only (% refused)', TG_OP USING ERRCODE = 'MS403';
END
$fn$;
COMMENT ON FUNCTION missions_private.refuse_event_changes() IS 'Trigger: refuses UPDATE and DELETE on the append-only event log (MS403).';

SELECT missions_private.ensure_trigger('missions_private.events', 'events_publish', $ddl$
CREATE OR REPLACE TRIGGER events_publish
  AFTER INSERT ON missions_private.events REFERENCING NEW TABLE AS new_events
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.publish_events()
$ddl$);
SELECT missions_private.ensure_trigger('missions_private.events', 'events_append_only', $ddl$
CREATE OR REPLACE TRIGGER events_append_only
  BEFORE UPDATE OR DELETE ON missions_private.events
  FOR EACH STATEMENT EXECUTE FUNCTION missions_private.refuse_event_changes()
$ddl$);
