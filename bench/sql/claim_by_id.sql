-- Benchmark 1, engine: claim a step by id, then complete it (two transactions), as an agent.
-- Client c works through its own steps md5(tag || c || '-' || k)::uuid, k = 1, 2, ... (pgbench
-- variables persist per client); on its first transaction it becomes its agent, as the HTTP app does.
\if :k = 0
SELECT a.id AS agent FROM bench.agents a WHERE a.n = :client_id \gset
SELECT set_config('missions.principal_id', :agent, false), set_config('role', 'missions_agent', false);
\endif
\set k :k + 1
SELECT c.lease_token AS token
FROM missions.claim_mission_step(md5(:tag::text || :client_id::text || '-' || :k::text)::uuid, :agent::uuid) c \gset
SELECT s.status FROM missions.complete_step(md5(:tag::text || :client_id::text || '-' || :k::text)::uuid, :agent::uuid, :token::uuid, '{}'::jsonb) s;
