-- Statistics: one participant's progress, and the programme's aggregates for admins.

-- missions.participant_stats: level, tier, streaks, triad, balances, engagement missions per status and completion rate.
CREATE OR REPLACE FUNCTION missions.participant_stats(p_participant_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v jsonb;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  SELECT pg_catalog.jsonb_build_object(
    'level', p.level, 'tier', p.tier, 'paused', p.paused,
    'current_streak', pp.current_streak, 'longest_streak', pp.longest_streak, 'last_check_in', pp.last_check_in,
    'triad', pg_catalog.jsonb_build_object('technical', pp.triad_technical, 'soft', pp.triad_soft,
                                           'commercial', pp.triad_commercial),
    'balances', (SELECT pg_catalog.jsonb_object_agg(b.currency, b.amount) FROM missions.balances(p.id) b),
    'missions', coalesce((SELECT pg_catalog.jsonb_object_agg(s.status, s.n)
                          FROM (SELECT m.status, count(*) AS n FROM missions_private.missions m
                                WHERE m.participant_id = p.id AND m.face = 'engagement' GROUP BY m.status) s), '{}'),
    'completion_rate', (SELECT coalesce(round(count(*) FILTER (WHERE m.status = 'completed')::numeric
                                               / nullif(count(*), 0), 2), 0)
                        FROM missions_private.missions m WHERE m.participant_id = p.id AND m.face = 'engagement'))
  INTO v
  FROM missions_private.principals p
  JOIN missions_private.participant_progress pp ON pp.participant_id = p.id
  WHERE p.id = p_participant_id;
  RETURN v;
END
$fn$;
COMMENT ON FUNCTION missions.participant_stats(uuid) IS
  'One participant''s stats: level, tier, paused, streaks, last_check_in (local date), triad, balances, engagement missions per status, completion_rate (completed / all assigned engagement missions).';

-- missions.admin_stats: programme aggregates: participants, missions per status, reviews, alerts, currency totals.
CREATE OR REPLACE FUNCTION missions.admin_stats() RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT pg_catalog.jsonb_build_object(
    'participants', (SELECT pg_catalog.jsonb_build_object(
                       'total', count(*), 'active', count(*) FILTER (WHERE p.active AND NOT p.paused),
                       'paused', count(*) FILTER (WHERE p.paused))
                     FROM missions_private.principals p WHERE p.role = 'participant'),
    'missions', coalesce((SELECT pg_catalog.jsonb_object_agg(s.status, s.n)
                          FROM (SELECT m.status, count(*) AS n FROM missions_private.missions m
                                WHERE m.face = 'engagement' GROUP BY m.status) s), '{}'),
    'completion_rate', (SELECT coalesce(round(count(*) FILTER (WHERE m.status = 'completed')::numeric
                                               / nullif(count(*), 0), 2), 0)
                        FROM missions_private.missions m WHERE m.face = 'engagement'),
    'pending_reviews', (SELECT count(*) FROM missions_private.missions m
                        WHERE m.status = 'submitted' AND m.face = 'engagement'),
    'open_alerts', coalesce((SELECT pg_catalog.jsonb_object_agg(a.type, a.n)
                             FROM (SELECT a.type, count(*) AS n FROM missions_private.alerts a
                                   WHERE a.status = 'triggered' GROUP BY a.type) a), '{}'),
    'currency_totals', coalesce((SELECT pg_catalog.jsonb_object_agg(b.currency, b.total)
                                 FROM (SELECT b.currency, sum(b.amount) AS total FROM missions_private.balances b
                                       GROUP BY b.currency) b), '{}'),
    'templates', (SELECT pg_catalog.jsonb_build_object(
                    'active', count(*) FILTER (WHERE c.is_active), 'daily', count(*) FILTER (WHERE c.is_daily),
                    'weekly', count(*) FILTER (WHERE c.is_weekly))
                  FROM missions_private.challenges c))
$fn$;
COMMENT ON FUNCTION missions.admin_stats() IS
  'Aggregates for admins: participants (total/active/paused), engagement missions per status, completion rate, pending reviews (engagement submissions), open alerts per type, currency totals, templates.';
