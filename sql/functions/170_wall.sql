-- The public wall: posts ranked by rank_score = triad_balance + momentum + streak_bonus + arena_bonus
-- + hashtag_bonus + recency_bonus, recomputed hourly.

-- missions_private.rank_score: the wall formula on its inputs (rounded to 2 decimals).
CREATE OR REPLACE FUNCTION missions_private.rank_score(
  p_technical integer, p_soft integer, p_commercial integer, p_momentum bigint, p_streak integer,
  p_arena_points bigint, p_uses_hashtag boolean, p_days_since_post integer)
RETURNS numeric
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE  -- PL/pgSQL: a simple expression, cheaper per row than a non-inlined SQL body
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN round((p_technical + p_soft + p_commercial)::numeric / 3   -- triad balance
               + p_momentum                                         -- momentum
               + least(p_streak * 2, 30)                            -- streak bonus
               + p_arena_points::numeric / 10                       -- arena bonus
               + CASE WHEN p_uses_hashtag THEN 10 ELSE 0 END         -- hashtag bonus
               + greatest(0, 30 - p_days_since_post * 2), 2);       -- recency bonus
END
$fn$;
COMMENT ON FUNCTION missions_private.rank_score(integer, integer, integer, bigint, integer, bigint, boolean, integer) IS
  'rank_score = (technical+soft+commercial)/3 + momentum + min(streak*2, 30) + arena_points/10 + 10 if hashtag + max(0, 30 - days_since_post*2).';

-- missions_private.uses_hashtag: whether a post body contains the hashtag as a whole word (case-insensitive).
CREATE OR REPLACE FUNCTION missions_private.uses_hashtag(p_body text, p_hashtag text) RETURNS boolean
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN p_body ~* ('(^|[^[:alnum:]_])' || p_hashtag || '([^[:alnum:]_]|$)');
END
$fn$;
COMMENT ON FUNCTION missions_private.uses_hashtag(text, text) IS 'True when the body contains the hashtag as a whole word, ignoring case.';

-- missions_private.score_posts: sets rank_score of one post (or all) where it changed; returns rows changed.
CREATE OR REPLACE FUNCTION missions_private.score_posts(p_post_id uuid DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
  v_tag text := missions_private.setting('campaign_hashtag');
  v_count integer;
BEGIN
  -- OFFSET 0 keeps `scored` a subquery, so each score is computed once (pulled up into the UPDATE, it
  -- would be computed again for the WHERE).
  WITH scored AS (
    SELECT w.id, missions_private.rank_score(
             pp.triad_technical, pp.triad_soft, pp.triad_commercial, coalesce(mo.amount, 0), pp.current_streak,
             coalesce(ar.amount, 0), missions_private.uses_hashtag(w.body, v_tag),
             floor(extract(epoch FROM v_now - w.published_at) / 86400)::integer) AS score
    FROM missions_private.wall_posts w
    JOIN missions_private.participant_progress pp ON pp.participant_id = w.participant_id
    LEFT JOIN missions_private.balances mo ON mo.participant_id = w.participant_id AND mo.currency = 'MOMENTUM'
    LEFT JOIN missions_private.balances ar ON ar.participant_id = w.participant_id AND ar.currency = 'ARENA_POINTS'
    WHERE p_post_id IS NULL OR w.id = p_post_id
    OFFSET 0
  )
  UPDATE missions_private.wall_posts w SET rank_score = scored.score, ranked_at = v_now
  FROM scored
  WHERE w.id = scored.id AND w.rank_score IS DISTINCT FROM scored.score;
  GET DIAGNOSTICS v_count = ROW_COUNT;
  RETURN v_count;
END
$fn$;
COMMENT ON FUNCTION missions_private.score_posts(uuid) IS
  'Recomputes rank_score of one post (or every post) at the engine clock; writes only scores that changed.';

-- missions.recalculate_wall_ranks: the hourly wall job; returns the posts whose score changed.
CREATE OR REPLACE FUNCTION missions.recalculate_wall_ranks() RETURNS integer
LANGUAGE sql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.score_posts(NULL)
$fn$;
COMMENT ON FUNCTION missions.recalculate_wall_ranks() IS 'Job (hourly): recomputes every wall post''s rank_score; returns posts changed.';

-- missions.post_to_wall: publishes a post for a participant, ranked at once; returns it.
CREATE OR REPLACE FUNCTION missions.post_to_wall(p_participant_id uuid, p_body text)
RETURNS SETOF missions_private.wall_posts
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid;
BEGIN
  PERFORM missions_private.authorize_participant(p_participant_id);
  IF missions_private.clean_text(p_body) IS NULL OR length(p_body) > 5000 THEN
    RAISE EXCEPTION 'a post needs a body of 1 to 5000 characters' USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.wall_posts (participant_id, body) VALUES (p_participant_id, p_body) RETURNING id INTO v_id;
  PERFORM missions_private.score_posts(v_id);
  RETURN QUERY SELECT * FROM missions_private.wall_posts w WHERE w.id = v_id;
END
$fn$;
COMMENT ON FUNCTION missions.post_to_wall(uuid, text) IS 'Publishes a wall post (1–5000 characters), scored at once.';

-- missions.wall_feed: the public wall, highest rank_score first (ties: newest), paged (key: rank_score, published_at, id).
CREATE OR REPLACE FUNCTION missions.wall_feed(p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS TABLE (id uuid, participant_id uuid, author text, body text, published_at timestamptz, rank_score numeric,
               kind text)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after jsonb := missions_private.page_after(p_after, ARRAY['rank_score', 'published_at', 'id']);
  v_score numeric := coalesce((v_after->>'rank_score')::numeric, 'infinity');
  v_published timestamptz := coalesce((v_after->>'published_at')::timestamptz, 'infinity');
  v_id uuid := coalesce((v_after->>'id')::uuid, 'ffffffff-ffff-ffff-ffff-ffffffffffff');
BEGIN
  RETURN QUERY
  SELECT w.id, w.participant_id, p.display_name, w.body, w.published_at, w.rank_score, w.kind
  FROM missions_private.wall_posts w
  JOIN missions_private.principals p ON p.id = w.participant_id
  WHERE (w.rank_score, w.published_at, w.id) < (v_score, v_published, v_id)
  ORDER BY w.rank_score DESC, w.published_at DESC, w.id DESC
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.wall_feed(integer, jsonb) IS
  'The public wall ordered by rank_score (ties: newest first), participants'' posts and achievement posts (kind); a page of p_limit (1..200) after the key {"rank_score", "published_at", "id"}.';

-- missions_private.post_achievement: a system post of a participant's achievement, once per (participant, kind,
-- ref), ranked at once like any post; returns its id, NULL when that achievement was posted already.
CREATE OR REPLACE FUNCTION missions_private.post_achievement(p_participant_id uuid, p_kind text, p_ref text, p_body text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_id uuid;
BEGIN
  IF p_kind IS NULL OR p_kind = 'post' OR p_ref IS NULL THEN
    RAISE EXCEPTION 'an achievement post needs an achievement kind and a reference' USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.wall_posts (participant_id, body, kind, achievement_ref)
  VALUES (p_participant_id, p_body, p_kind, p_ref)
  ON CONFLICT (participant_id, kind, achievement_ref) WHERE achievement_ref IS NOT NULL DO NOTHING
  RETURNING id INTO v_id;
  IF v_id IS NOT NULL THEN
    PERFORM missions_private.score_posts(v_id);
  END IF;
  RETURN v_id;
END
$fn$;
COMMENT ON FUNCTION missions_private.post_achievement(uuid, text, text, text) IS
  'Posts an achievement (kind hard_completion, streak_milestone, level_up) on the wall once per participant, kind and reference (unique index wall_posts_one_per_achievement), scored at once; NULL when already posted.';

-- missions_private.post_level_up: the wall post of a participant's level increase (for missions.update_principal);
-- nothing for a decrease, an unchanged level or a non-participant; each level is posted once per participant.
CREATE OR REPLACE FUNCTION missions_private.post_level_up(p_principal_id uuid, p_old_level text, p_new_level text)
RETURNS uuid
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_levels constant text[] := ARRAY['L0_APPLICANT', 'L1_ACTIVATED', 'L2_SKILLED', 'L3_EXPOSED', 'L4_EARNER', 'L5_CATALYST'];
BEGIN
  IF NOT (p_old_level = ANY (v_levels) AND p_new_level = ANY (v_levels)) THEN
    RAISE EXCEPTION 'levels must be L0_APPLICANT … L5_CATALYST (got % → %)', p_old_level, p_new_level
      USING ERRCODE = 'MS422';
  END IF;
  IF missions_private.level_rank(p_new_level) <= missions_private.level_rank(p_old_level)
     OR NOT EXISTS (SELECT FROM missions_private.principals p WHERE p.id = p_principal_id AND p.role = 'participant') THEN
    RETURN NULL;
  END IF;
  RETURN missions_private.post_achievement(p_principal_id, 'level_up', p_new_level,
                                           'Levelled up: ' || p_old_level || ' → ' || p_new_level || '.');
END
$fn$;
COMMENT ON FUNCTION missions_private.post_level_up(uuid, text, text) IS
  'Posts a participant''s level increase on the wall (once per level reached); NULL for a decrease, no change or a non-participant; MS422 for an unknown level.';

-- missions.set_campaign_hashtag: changes the hashtag that earns +10 on the wall (admins).
CREATE OR REPLACE FUNCTION missions.set_campaign_hashtag(p_hashtag text) RETURNS text
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_hashtag IS NULL OR p_hashtag !~ '^#[[:alnum:]_]{1,50}$' THEN
    RAISE EXCEPTION 'a hashtag is # followed by 1 to 50 letters, digits or underscores' USING ERRCODE = 'MS422';
  END IF;
  UPDATE missions_private.settings s SET value = p_hashtag WHERE s.key = 'campaign_hashtag';
  RETURN p_hashtag;
END
$fn$;
COMMENT ON FUNCTION missions.set_campaign_hashtag(text) IS 'Sets the campaign hashtag (default #Cycle28) used by the wall''s hashtag bonus.';
