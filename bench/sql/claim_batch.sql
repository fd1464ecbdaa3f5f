-- Benchmark 2c: claim a batch of up to :n ready steps, then complete them all, as an agent (two transactions;
-- a batch can come back empty while other agents hold the rest: then there is nothing to complete).
-- On its first transaction each client becomes its agent.
\if :k = 0
SELECT a.id AS agent FROM bench.agents a WHERE a.n = :client_id \gset
SELECT set_config('missions.principal_id', :agent, false), set_config('role', 'missions_agent', false);
\endif
\set k :k + 1
SELECT count(*) AS got, coalesce(jsonb_agg(jsonb_build_object('step_id', c.step_id, 'lease_token', c.lease_token)),
                                 '[]')::text AS items
FROM missions.claim_next_steps(:agent::uuid, NULL, :n) c \gset
\if :got > 0
SELECT count(*) FROM missions.complete_steps(:agent::uuid, :items::jsonb) r WHERE r.status = 'completed';
\endif
