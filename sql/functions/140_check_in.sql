-- Check-ins: the first check-in of a local day extends or restarts the streak, pays streak bonuses, un-pauses.

-- missions_private.streak_bonus: the momentum bonus for reaching a streak length (7: 50, 14: 100, 30: 200).
CREATE OR REPLACE FUNCTION missions_private.streak_bonus(p_streak integer) RETURNS integer
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT CASE p_streak WHEN 7 THEN 50 WHEN 14 THEN 100 WHEN 30 THEN 200 ELSE 0 END
$fn$;
COMMENT ON FUNCTION missions_private.streak_bonus(integer) IS 'Momentum bonus on reaching a streak of 7 (50), 14 (100) or 30 (200) days.';

-- missions.check_in: records today's check-in in the participant's time zone; a second one the same day changes nothing.
CREATE OR REPLACE FUNCTION missions.check_in(p_participant_id uuid)
RETURNS TABLE (participant_id uuid, checked_in boolean, local_day date, current_streak integer,
               longest_streak integer, bonus integer, unpaused boolean)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_principal missions_private.principals;
  v_progress missions_private.participant_progress;
  v_today date;
  v_streak integer;
  v_bonus integer;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  SELECT * INTO v_principal FROM missions_private.principals p WHERE p.id = p_participant_id FOR UPDATE;
  SELECT * INTO v_progress FROM missions_private.participant_progress pp
  WHERE pp.participant_id = p_participant_id FOR UPDATE;
  v_today := missions_private.local_day(v_principal.timezone, missions.now());

  INSERT INTO missions_private.check_ins (participant_id, local_day) VALUES (p_participant_id, v_today)
  ON CONFLICT DO NOTHING;
  IF NOT FOUND THEN  -- already checked in today
    RETURN QUERY SELECT p_participant_id, false, v_today, v_progress.current_streak, v_progress.longest_streak, 0, false;
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
  END IF;
  IF v_principal.paused THEN
    UPDATE missions_private.principals p SET paused = false WHERE p.id = p_participant_id;
  END IF;
  RETURN QUERY SELECT p_participant_id, true, v_today, v_progress.current_streak, v_progress.longest_streak,
                      v_bonus, v_principal.paused;
END
$fn$;
COMMENT ON FUNCTION missions.check_in(uuid) IS
  'First check-in of the participant''s local day: streak +1 if yesterday was checked in, else 1; bonuses at 7/14/30; un-pauses.';
