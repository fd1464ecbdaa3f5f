-- Check-ins: the first check-in of a local day extends or restarts the streak, pays streak bonuses, un-pauses.

-- missions_private.streak_bonus: the momentum bonus for reaching a streak length (7: 50, 14: 100, 30: 200).
CREATE OR REPLACE FUNCTION missions_private.streak_bonus(p_streak integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE p_streak WHEN 7 THEN 50 WHEN 14 THEN 100 WHEN 30 THEN 200 ELSE 0 END
$fn$;
COMMENT ON FUNCTION missions_private.streak_bonus(integer) IS 'Momentum bonus on reaching a streak of 7 (50), 14 (100) or 30 (200) days.';

-- missions_private.written_by_this_transaction: whether a row's xmin is this (top-level) transaction's id.
CREATE OR REPLACE FUNCTION missions_private.written_by_this_transaction(p_xmin xid) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  -- xmin is the 32-bit id; pg_current_xact_id_if_assigned() the 64-bit one (epoch and id), NULL before a write
  RETURN p_xmin::text::bigint = pg_catalog.pg_current_xact_id_if_assigned()::text::bigint % 4294967296;
END
$fn$;
COMMENT ON FUNCTION missions_private.written_by_this_transaction(xid) IS
  'True when a row version with this xmin was written by the current top-level transaction (not by an earlier one).';

-- missions_private.record_check_in: the check-in rule (no authorization); p_on_request: the automatic check-in
-- of a request, which skips anyone but an active, unpaused participant (no row then) and never un-pauses.
CREATE OR REPLACE FUNCTION missions_private.record_check_in(p_participant_id uuid, p_on_request boolean)
RETURNS TABLE (participant_id uuid, checked_in boolean, local_day date, current_streak integer,
               longest_streak integer, bonus integer, unpaused boolean)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_principal missions_private.principals;
  v_progress missions_private.participant_progress;
  v_today date;
  v_streak integer;
  v_bonus integer;
  v_mine boolean;
BEGIN
  IF p_on_request THEN
    -- a request never waits to check in: when another transaction holds the participant's rows (another
    -- request checking in, a staff change, a reward, a job), this request skips it and a later one checks in
    SELECT * INTO v_principal FROM missions_private.principals p WHERE p.id = p_participant_id
    FOR NO KEY UPDATE SKIP LOCKED;
    IF NOT FOUND OR v_principal.role IS DISTINCT FROM 'participant' OR NOT v_principal.active OR v_principal.paused THEN
      RETURN;
    END IF;
    SELECT * INTO v_progress FROM missions_private.participant_progress pp
    WHERE pp.participant_id = p_participant_id FOR UPDATE SKIP LOCKED;
    IF NOT FOUND THEN
      RETURN;
    END IF;
  ELSE
    SELECT * INTO v_principal FROM missions_private.principals p WHERE p.id = p_participant_id FOR NO KEY UPDATE;
    SELECT * INTO v_progress FROM missions_private.participant_progress pp
    WHERE pp.participant_id = p_participant_id FOR UPDATE;
  END IF;
  v_today := missions_private.local_day(v_principal.timezone, missions.now());

  INSERT INTO missions_private.check_ins (participant_id, local_day) VALUES (p_participant_id, v_today)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN
    -- already checked in today: earlier in this transaction (the request's own check-in on authentication,
    -- reported as this call's) or before it (nothing happens)
    SELECT missions_private.written_by_this_transaction(c.xmin) INTO v_mine FROM missions_private.check_ins c
    WHERE c.participant_id = p_participant_id AND c.local_day = v_today;
    RETURN QUERY SELECT p_participant_id, v_mine, v_today, v_progress.current_streak, v_progress.longest_streak,
                        CASE WHEN v_mine THEN missions_private.streak_bonus(v_progress.current_streak) ELSE 0 END, false;
    RETURN;
  END IF;

  v_streak := CASE WHEN v_progress.last_check_in = v_today - 1 THEN v_progress.current_streak + 1 ELSE 1 END;
  v_bonus := missions_private.streak_bonus(v_streak);
  UPDATE missions_private.participant_progress pp
  SET current_streak = v_streak, longest_streak = greatest(pp.longest_streak, v_streak), last_check_in = v_today
  WHERE pp.participant_id = p_participant_id
  RETURNING * INTO v_progress;
  IF v_bonus > 0 THEN
    PERFORM missions_private.post_entry(p_participant_id, 'MOMENTUM', v_bonus, 'STREAK_BONUS_' || v_streak,
                                        'check_in:' || v_today, 'streak_bonus:' || v_today);
    -- a milestone (a streak with a bonus) is also an achievement on the wall
    PERFORM missions_private.post_achievement(p_participant_id, 'streak_milestone', v_streak || ':' || v_today,
                                              'Reached a ' || v_streak || '-day check-in streak.');
  END IF;
  IF v_principal.paused AND NOT p_on_request THEN
    UPDATE missions_private.principals p SET paused = false WHERE p.id = p_participant_id;
    INSERT INTO missions_private.events (type, participant_id, actor_id, payload)
    VALUES ('principal.unpaused', p_participant_id, missions_private.caller_id(),
            pg_catalog.jsonb_build_object('principal_id', p_participant_id, 'role', 'participant', 'old', true,
                                          'new', false, 'changed_by', missions_private.caller_id(), 'reason', 'check-in'));
  END IF;
  RETURN QUERY SELECT p_participant_id, true, v_today, v_progress.current_streak, v_progress.longest_streak,
                      v_bonus, v_principal.paused;
END
$fn$;
COMMENT ON FUNCTION missions_private.record_check_in(uuid, boolean) IS
  'The first check-in of a local day: streak +1 after yesterday, else 1; bonuses and wall posts at 7/14/30; un-pauses. p_on_request: only for an active, unpaused participant whose rows no other transaction holds (else no row, nothing waited for).';

-- missions.check_in: records today's check-in in the participant's time zone; a second one the same day changes nothing.
CREATE OR REPLACE FUNCTION missions.check_in(p_participant_id uuid)
RETURNS TABLE (participant_id uuid, checked_in boolean, local_day date, current_streak integer,
               longest_streak integer, bonus integer, unpaused boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  RETURN QUERY SELECT * FROM missions_private.record_check_in(p_participant_id, false);
END
$fn$;
COMMENT ON FUNCTION missions.check_in(uuid) IS
  'First check-in of the participant''s local day: streak +1 if yesterday was checked in, else 1; bonuses at 7/14/30; un-pauses. A check-in made earlier in the same transaction (a request''s own, on authentication) is reported as this one.';

-- missions.set_check_in_on_request: turns the automatic check-in of a participant's first request of the day on or off (staff).
CREATE OR REPLACE FUNCTION missions.set_check_in_on_request(p_enabled boolean) RETURNS boolean
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_enabled IS NULL THEN
    RAISE EXCEPTION 'enabled must be true or false' USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.settings AS s (key, value)
  VALUES ('check_in_on_request', CASE WHEN p_enabled THEN 'on' ELSE 'off' END)
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
  RETURN p_enabled;
END
$fn$;
COMMENT ON FUNCTION missions.set_check_in_on_request(boolean) IS
  'Sets the setting check_in_on_request (default on): whether missions.authenticate checks a participant in on their first request of a local day.';
