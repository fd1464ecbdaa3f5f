-- Paging: every list function takes p_limit (default 50, 1..200) and p_after, the key of the last row
-- of the previous page as a JSON object (keyset paging: the next page is the rows after that key in the
-- list's stable, unique, index-backed order). These two helpers are the one rule for both.

-- missions_private.page_size: the page size a list function uses; MS422 unless 1 <= p_limit <= 200.
CREATE OR REPLACE FUNCTION missions_private.page_size(p_limit integer) RETURNS integer
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_limit IS NULL OR p_limit < 1 OR p_limit > 200 THEN
    RAISE EXCEPTION 'limit must be 1..200 (got %)', coalesce(p_limit::text, 'null') USING ERRCODE = 'MS422',
      HINT = 'page through longer lists with the key of the last row (p_after; over HTTP the cursor)';
  END IF;
  RETURN p_limit;
END
$fn$;
COMMENT ON FUNCTION missions_private.page_size(integer) IS
  'The page size of every list function: returns p_limit, MS422 unless 1 <= p_limit <= 200.';

-- missions_private.page_after: validates a page key: NULL (the first page) or an object with exactly the given keys, none null.
CREATE OR REPLACE FUNCTION missions_private.page_after(p_after jsonb, p_keys text[]) RETURNS jsonb
LANGUAGE plpgsql IMMUTABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  IF p_after IS NULL THEN
    RETURN NULL;
  END IF;
  IF pg_catalog.jsonb_typeof(p_after) <> 'object'
     OR (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.jsonb_object_keys(p_after) k)
        IS DISTINCT FROM (SELECT pg_catalog.array_agg(k ORDER BY k) FROM pg_catalog.unnest(p_keys) k)
     OR EXISTS (SELECT FROM pg_catalog.jsonb_each(p_after) e
                WHERE pg_catalog.jsonb_typeof(e.value) NOT IN ('string', 'number')) THEN
    RAISE EXCEPTION 'invalid page key: expected an object with the keys % of the last row', p_keys
      USING ERRCODE = 'MS422';
  END IF;
  RETURN p_after;
END
$fn$;
COMMENT ON FUNCTION missions_private.page_after(jsonb, text[]) IS
  'Validates a keyset page key (NULL: first page): an object whose keys are exactly p_keys with string or number values, else MS422.';
