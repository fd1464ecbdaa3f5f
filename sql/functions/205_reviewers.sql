-- Designated reviewers: review kinds (step_kinds.review: ai_review, mentor_review) are claimed only by the
-- principals an admin designated for the kind (missions_private.step_kind_reviewers). A claim takes a share
-- lock on the claimant's designation row before it locks the step, and a revoke updates that row first, so
-- a revoke waits for claims in flight and then withdraws every lease they gave (no lease outlives it).

-- missions_private.is_reviewer: whether a principal is designated (not revoked) for a kind.
CREATE OR REPLACE FUNCTION missions_private.is_reviewer(p_kind text, p_principal_id uuid) RETURNS boolean
LANGUAGE plpgsql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  RETURN EXISTS (SELECT FROM missions_private.step_kind_reviewers r
                 WHERE r.kind = p_kind AND r.principal_id = p_principal_id AND r.revoked_at IS NULL);
END
$fn$;
COMMENT ON FUNCTION missions_private.is_reviewer(text, uuid) IS
  'True when the principal holds a live (not revoked) designation for the review kind (a primary-key lookup).';

-- missions_private.lock_reviewer: share-locks a principal's live designation for a kind; false when there is none.
CREATE OR REPLACE FUNCTION missions_private.lock_reviewer(p_kind text, p_principal_id uuid) RETURNS boolean
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM FROM missions_private.step_kind_reviewers r
  WHERE r.kind = p_kind AND r.principal_id = p_principal_id AND r.revoked_at IS NULL
  FOR SHARE;
  RETURN FOUND;
END
$fn$;
COMMENT ON FUNCTION missions_private.lock_reviewer(text, uuid) IS
  'Claims call it before locking a review step: FOR SHARE on the designation row, so a concurrent revoke waits for the claim (and then withdraws its lease), or the claim waits for the revoke and finds no designation.';

-- missions_private.denied_review_kinds: the agent-claimed review kinds (of p_kinds) the principal is not designated for; share-locks the ones it is.
CREATE OR REPLACE FUNCTION missions_private.denied_review_kinds(p_principal_id uuid, p_kinds text[]) RETURNS text[]
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_held text[];
BEGIN
  SELECT coalesce(array_agg(x.kind), '{}') INTO v_held
  FROM (SELECT r.kind FROM missions_private.step_kind_reviewers r
        WHERE r.principal_id = p_principal_id AND r.revoked_at IS NULL AND (p_kinds IS NULL OR r.kind = ANY (p_kinds))
        ORDER BY r.kind
        FOR SHARE) x;
  RETURN ARRAY(SELECT k.kind FROM missions_private.step_kinds k
               WHERE k.review AND k.claimant = 'agent' AND k.kind <> ALL (v_held)
                 AND (p_kinds IS NULL OR k.kind = ANY (p_kinds))
               ORDER BY k.kind);
END
$fn$;
COMMENT ON FUNCTION missions_private.denied_review_kinds(uuid, text[]) IS
  'claim_next_step''s filter, computed once per claim: the review kinds agents claim that this principal may not (its live designations are share-locked first, like lock_reviewer).';

-- missions.reviewers: the designated reviewers of a review kind, by principal id, a page at a time (keyset).
CREATE OR REPLACE FUNCTION missions.reviewers(p_kind text, p_limit integer DEFAULT 50, p_after jsonb DEFAULT NULL)
RETURNS TABLE (kind text, principal_id uuid, role text, display_name text, granted_by uuid, granted_at timestamptz,
               revoked_by uuid, revoked_at timestamptz)
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_limit integer := missions_private.page_size(p_limit);
  v_after uuid := coalesce((missions_private.page_after(p_after, ARRAY['principal_id'])->>'principal_id')::uuid,
                           '00000000-0000-0000-0000-000000000000');
BEGIN
  PERFORM missions_private.authorize_staff();
  IF NOT EXISTS (SELECT FROM missions_private.step_kinds k WHERE k.kind = p_kind AND k.review) THEN
    RAISE EXCEPTION 'review step kind % not found', p_kind USING ERRCODE = 'MS404';
  END IF;
  RETURN QUERY
  SELECT r.kind, r.principal_id, p.role, p.display_name, r.granted_by, r.granted_at, r.revoked_by, r.revoked_at
  FROM missions_private.step_kind_reviewers r
  JOIN missions_private.principals p ON p.id = r.principal_id
  WHERE r.kind = p_kind AND r.revoked_at IS NULL AND r.principal_id > v_after
  ORDER BY r.principal_id
  LIMIT v_limit;
END
$fn$;
COMMENT ON FUNCTION missions.reviewers(text, integer, jsonb) IS
  'Admins and services: the live designations of a review kind, ordered by principal id, paged by principal_id. MS404 for a kind that is not a review kind.';

-- missions_private.reviewer_row: one designation with its principal, as the designation functions return it.
CREATE OR REPLACE FUNCTION missions_private.reviewer_row(p_kind text, p_principal_id uuid)
RETURNS TABLE (kind text, principal_id uuid, role text, display_name text, granted_by uuid, granted_at timestamptz,
               revoked_by uuid, revoked_at timestamptz)
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT r.kind, r.principal_id, p.role, p.display_name, r.granted_by, r.granted_at, r.revoked_by, r.revoked_at
  FROM missions_private.step_kind_reviewers r
  JOIN missions_private.principals p ON p.id = r.principal_id
  WHERE r.kind = p_kind AND r.principal_id = p_principal_id
$fn$;
COMMENT ON FUNCTION missions_private.reviewer_row(text, uuid) IS 'A designation (live or revoked) with the principal''s role and name.';

-- missions.designate_reviewer: an admin (or service) lets a principal claim a review kind; designating again is a no-op.
CREATE OR REPLACE FUNCTION missions.designate_reviewer(p_kind text, p_principal_id uuid)
RETURNS TABLE (kind text, principal_id uuid, role text, display_name text, granted_by uuid, granted_at timestamptz,
               revoked_by uuid, revoked_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  k missions_private.step_kinds;
  v_role text;
BEGIN
  PERFORM missions_private.authorize_staff();
  SELECT * INTO k FROM missions_private.step_kinds sk WHERE sk.kind = p_kind AND sk.review;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'review step kind % not found', p_kind USING ERRCODE = 'MS404',
      HINT = 'Only review kinds (ai_review, mentor_review) have designated reviewers.';
  END IF;
  SELECT p.role INTO v_role FROM missions_private.principals p WHERE p.id = p_principal_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'principal % not found', p_principal_id USING ERRCODE = 'MS404';
  ELSIF NOT ((v_role = 'agent' AND k.claimant = 'agent') OR (v_role IN ('mentor', 'admin') AND k.claimant = 'mentor')) THEN
    RAISE EXCEPTION 'a % cannot review % steps (claimed by: %)', v_role, p_kind, k.claimant USING ERRCODE = 'MS422',
      HINT = 'ai_review is claimed by agents, mentor_review by mentors and admins.';
  END IF;
  INSERT INTO missions_private.step_kind_reviewers AS r (kind, principal_id, granted_by, granted_at)
  VALUES (p_kind, p_principal_id, missions_private.current_principal_id(), missions.now())
  ON CONFLICT ON CONSTRAINT step_kind_reviewers_pkey DO UPDATE
    SET granted_by = excluded.granted_by, granted_at = excluded.granted_at, revoked_by = NULL, revoked_at = NULL
    WHERE r.revoked_at IS NOT NULL;
  RETURN QUERY SELECT * FROM missions_private.reviewer_row(p_kind, p_principal_id);
END
$fn$;
COMMENT ON FUNCTION missions.designate_reviewer(text, uuid) IS
  'Admins and services: the principal may claim steps of the review kind from now on (ai_review: agents; mentor_review: mentors and admins; MS422 otherwise, MS404 unknown kind or principal). Designating a live reviewer again changes nothing; a revoked one is designated anew.';

-- missions.revoke_reviewer: ends a designation: no new claims, and the reviewer's leases on steps of the kind are withdrawn.
CREATE OR REPLACE FUNCTION missions.revoke_reviewer(p_kind text, p_principal_id uuid)
RETURNS TABLE (kind text, principal_id uuid, role text, display_name text, granted_by uuid, granted_at timestamptz,
               revoked_by uuid, revoked_at timestamptz)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v_now timestamptz := missions.now();
BEGIN
  PERFORM missions_private.authorize_staff();
  -- first the designation row: this waits for claims holding it (lock_reviewer), so the statements below
  -- (each with a fresh snapshot) see every lease those claims gave
  UPDATE missions_private.step_kind_reviewers r SET revoked_at = v_now, revoked_by = missions_private.current_principal_id()
  WHERE r.kind = p_kind AND r.principal_id = p_principal_id AND r.revoked_at IS NULL;
  IF NOT FOUND AND NOT EXISTS (SELECT FROM missions_private.step_kind_reviewers r
                               WHERE r.kind = p_kind AND r.principal_id = p_principal_id) THEN
    RAISE EXCEPTION 'principal % is not a designated % reviewer', p_principal_id, p_kind USING ERRCODE = 'MS404';
  END IF;
  -- the reviewer's leases go back to the queue (the attempt does not count); a mentor's claim is forgotten
  WITH released AS (
    UPDATE missions_private.steps s SET status = 'ready', ready_at = v_now, attempt = s.attempt - 1
    WHERE s.kind = p_kind AND s.leased_by = p_principal_id AND s.status = 'in_progress'
    RETURNING s.mission_id
  )
  UPDATE missions_private.learning_missions lm SET mentor_id = NULL
  WHERE lm.mission_id IN (SELECT x.mission_id FROM released x) AND lm.mentor_id = p_principal_id
    AND lm.mentor_reviewed_at IS NULL;
  RETURN QUERY SELECT * FROM missions_private.reviewer_row(p_kind, p_principal_id);
END
$fn$;
COMMENT ON FUNCTION missions.revoke_reviewer(text, uuid) IS
  'Admins and services: the principal may no longer claim steps of the review kind; its leases on such steps are withdrawn at once (back to ready, attempt not counted), so it can neither finish nor keep reading those reviews. Revoking again changes nothing; MS404 when it was never designated.';
