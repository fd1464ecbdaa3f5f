-- Benchmark 1, baseline: the same two single-row updates (lease, then complete) on a plain copy of
-- the steps table (same rows, primary key only, no triggers), two transactions per cycle.
\set k :k + 1
UPDATE bench.plain_steps SET status = 'in_progress', leased_by = md5(:client_id::text)::uuid,
       lease_token = gen_random_uuid(), attempt = attempt + 1, lease_expires_at = now() + interval '600 seconds'
WHERE id = md5(:tag::text || :client_id::text || '-' || :k::text)::uuid AND status = 'ready'
RETURNING lease_token AS token \gset
UPDATE bench.plain_steps SET status = 'completed', completed_at = now(), lease_token = NULL
WHERE id = md5(:tag::text || :client_id::text || '-' || :k::text)::uuid AND lease_token = :token::uuid;
