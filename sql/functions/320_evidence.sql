-- Evidence files: the storage backend keeps the bytes; the database keeps metadata, sha256 and who may read them.

-- missions.evidence_limits: the upload limits (max bytes, max files per subtask, allowed content types).
CREATE OR REPLACE FUNCTION missions.evidence_limits()
RETURNS TABLE (max_bytes bigint, max_files_per_subtask integer, content_types text[])
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT missions_private.setting('evidence_max_bytes')::bigint,
         missions_private.setting('evidence_max_files_per_subtask')::integer,
         pg_catalog.string_to_array(missions_private.setting('evidence_content_types'), ',')
$fn$;
COMMENT ON FUNCTION missions.evidence_limits() IS
  'Evidence upload limits from settings: evidence_max_bytes, evidence_max_files_per_subtask, evidence_content_types (comma-separated).';

-- missions_private.evidence_doc: one evidence file as JSON.
CREATE OR REPLACE FUNCTION missions_private.evidence_doc(p_file missions_private.evidence_files) RETURNS jsonb
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
  SELECT jsonb_build_object('id', p_file.id, 'mission_id', p_file.mission_id,
                            'subtask', (SELECT s.position FROM missions_private.steps s WHERE s.id = p_file.step_id),
                            'filename', p_file.filename, 'content_type', p_file.content_type,
                            'size_bytes', p_file.size_bytes, 'sha256', p_file.sha256, 'storage_key', p_file.storage_key,
                            'uploaded_at', p_file.uploaded_at)
$fn$;
COMMENT ON FUNCTION missions_private.evidence_doc(missions_private.evidence_files) IS 'An evidence file''s metadata as JSON (with its subtask number and storage key).';

-- missions.add_evidence: records an evidence file the app stored for a subtask (key derived from sha256); enforces the limits.
CREATE OR REPLACE FUNCTION missions.add_evidence(
  p_mission_id uuid, p_subtask integer, p_filename text, p_content_type text, p_size_bytes bigint,
  p_sha256 text) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  v missions_private.missions;
  s missions_private.steps;
  lim record;
  f missions_private.evidence_files;
  v_type text := lower(split_part(p_content_type, ';', 1));
BEGIN
  -- Only the app, which hashed the bytes it stored itself, or a service vouches for stored bytes: a direct
  -- SQL login could otherwise name the digest of another learner's file and read it back as its own.
  IF NOT (pg_catalog.pg_has_role(session_user, 'missions_app', 'MEMBER')
          OR missions_private.current_principal_role() = 'service') THEN
    RAISE EXCEPTION 'evidence is recorded by the app when a file is uploaded, or by a service'
      USING ERRCODE = 'MS403', HINT = 'Upload the file over HTTP: POST /api/v1/mission-progress/{missionId}/files';
  END IF;
  v := missions_private.lock_learning(p_mission_id);
  SELECT * INTO lim FROM missions.evidence_limits();
  IF p_size_bytes IS NULL OR p_size_bytes <= 0 THEN
    RAISE EXCEPTION 'an evidence file cannot be empty' USING ERRCODE = 'MS422';
  ELSIF p_size_bytes > lim.max_bytes THEN
    RAISE EXCEPTION 'evidence files are limited to % bytes (got %)', lim.max_bytes, p_size_bytes USING ERRCODE = 'MS413';
  ELSIF v_type IS NULL OR NOT (v_type = ANY (lim.content_types)) THEN
    RAISE EXCEPTION 'content type % is not accepted', coalesce(p_content_type, 'null')
      USING ERRCODE = 'MS415', HINT = 'Accepted: ' || array_to_string(lim.content_types, ', ');
  ELSIF missions_private.clean_text(p_filename) IS NULL OR length(p_filename) > 255 OR p_filename ~ '[/\\[:cntrl:]]' THEN
    RAISE EXCEPTION 'a file name of 1 to 255 characters without slashes or control characters is required' USING ERRCODE = 'MS422';
  ELSIF p_sha256 IS NULL OR p_sha256 !~ '^[0-9a-f]{64}$' THEN
    RAISE EXCEPTION 'sha256 must be 64 lowercase hex digits' USING ERRCODE = 'MS422';
  END IF;
  PERFORM missions_private.assert_working(v);
  s := missions_private.begin_subtask(missions_private.subtask_step(p_mission_id, p_subtask));
  IF (SELECT count(*) FROM missions_private.evidence_files e WHERE e.step_id = s.id) >= lim.max_files_per_subtask THEN
    RAISE EXCEPTION 'subtask % already has % evidence files (the limit)', p_subtask, lim.max_files_per_subtask
      USING ERRCODE = 'MS413';
  END IF;
  -- storage_key is a generated column: the content-addressed key of p_sha256
  INSERT INTO missions_private.evidence_files
    (mission_id, step_id, participant_id, filename, content_type, size_bytes, sha256, uploaded_by)
  VALUES (p_mission_id, s.id, v.participant_id, p_filename, v_type, p_size_bytes, p_sha256,
          missions_private.current_principal_id())
  RETURNING * INTO f;
  PERFORM missions_private.log_event(p_mission_id, 'learning.evidence_added',
    jsonb_build_object('subtask', p_subtask, 'evidence_id', f.id, 'sha256', p_sha256, 'size_bytes', p_size_bytes), s.id);
  RETURN missions_private.evidence_doc(f);
END
$fn$;
COMMENT ON FUNCTION missions.add_evidence(uuid, integer, text, text, bigint, text) IS
  'Records an evidence file the app stored (storage key derived from sha256) on a reached subtask of an in-progress mission; only the app acting for a principal, or a service, may (MS403 for a direct SQL login); MS413 too large or too many, MS415 content type refused, MS422 bad name/sha256.';

-- missions.evidence_file: an evidence file's metadata for download (owner, staff, the mission's reviewers); MS404 otherwise.
CREATE OR REPLACE FUNCTION missions.evidence_file(p_evidence_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  f missions_private.evidence_files;
BEGIN
  SELECT * INTO f FROM missions_private.evidence_files e WHERE e.id = p_evidence_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'evidence % not found', p_evidence_id USING ERRCODE = 'MS404';
  END IF;
  PERFORM missions_private.visible_learning(f.mission_id);
  RETURN missions_private.evidence_doc(f);
END
$fn$;
COMMENT ON FUNCTION missions.evidence_file(uuid) IS
  'Metadata and storage key of an evidence file, for its owner, admins/services and the mission''s reviewers; MS404 for anyone else.';

-- missions.delete_evidence: removes an evidence file while its mission is in progress; returns it (the caller deletes the bytes).
CREATE OR REPLACE FUNCTION missions.delete_evidence(p_evidence_id uuid) RETURNS jsonb
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
  f missions_private.evidence_files;
  v missions_private.missions;
BEGIN
  SELECT * INTO f FROM missions_private.evidence_files e WHERE e.id = p_evidence_id;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'evidence % not found', p_evidence_id USING ERRCODE = 'MS404';
  END IF;
  v := missions_private.lock_learning(f.mission_id);
  PERFORM missions_private.assert_working(v);
  IF (SELECT s.status FROM missions_private.steps s WHERE s.id = f.step_id) = 'completed' THEN
    RAISE EXCEPTION 'the subtask of evidence % is done; its evidence is kept', p_evidence_id USING ERRCODE = 'MS409';
  END IF;
  DELETE FROM missions_private.evidence_files e WHERE e.id = p_evidence_id;
  RETURN missions_private.evidence_doc(f) || jsonb_build_object(
    'still_referenced', EXISTS (SELECT FROM missions_private.evidence_files e WHERE e.storage_key = f.storage_key));
END
$fn$;
COMMENT ON FUNCTION missions.delete_evidence(uuid) IS
  'Deletes an evidence file of a subtask not yet done (mission in progress); still_referenced tells the caller whether the stored bytes are shared.';

-- missions.set_evidence_limits: changes the evidence upload limits (admins, services); NULL keeps a limit as it is.
CREATE OR REPLACE FUNCTION missions.set_evidence_limits(p_max_bytes bigint DEFAULT NULL, p_max_files_per_subtask integer DEFAULT NULL,
                                                        p_content_types text[] DEFAULT NULL)
RETURNS TABLE (max_bytes bigint, max_files_per_subtask integer, content_types text[])
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
  PERFORM missions_private.authorize_staff();
  IF p_max_bytes NOT BETWEEN 1 AND 1073741824 OR p_max_files_per_subtask NOT BETWEEN 1 AND 100
     OR cardinality(p_content_types) = 0
     OR EXISTS (SELECT FROM unnest(p_content_types) t WHERE t !~ '^[a-z0-9.+-]+/[a-z0-9.+-]+$') THEN
    RAISE EXCEPTION 'limits: max_bytes 1..1073741824, max_files_per_subtask 1..100, content types like text/plain'
      USING ERRCODE = 'MS422';
  END IF;
  INSERT INTO missions_private.settings AS s (key, value)
  SELECT x.key, x.value FROM (VALUES ('evidence_max_bytes', p_max_bytes::text),
                                     ('evidence_max_files_per_subtask', p_max_files_per_subtask::text),
                                     ('evidence_content_types', array_to_string(p_content_types, ','))) AS x(key, value)
  WHERE x.value IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET value = excluded.value;
  RETURN QUERY SELECT * FROM missions.evidence_limits();
END
$fn$;
COMMENT ON FUNCTION missions.set_evidence_limits(bigint, integer, text[]) IS
  'Sets the evidence limits (admins, services): max bytes per file, files per subtask, accepted content types; NULL keeps one.';
