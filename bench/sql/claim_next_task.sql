-- Benchmark 2b: claim the next ready step of kind 'task' only (the kind filter of an agent's worker loop),
-- then complete it, as an agent (two transactions). On its first transaction each client becomes its agent.
\if :k = 0
SELECT a.id AS agent FROM bench.agents a WHERE a.n = :client_id \gset
SELECT set_config('missions.principal_id', :agent, false), set_config('role', 'missions_agent', false);
\endif
\set k :k + 1
SELECT c.step_id AS sid, c.lease_token AS token FROM missions.claim_next_step(:agent::uuid, ARRAY['task']) c \gset
SELECT s.status FROM missions.complete_step(:sid::uuid, :agent::uuid, :token::uuid, '{}'::jsonb) s;
