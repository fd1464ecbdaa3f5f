"""What profiling found for each benchmark, what was changed because of it, and what is left.

Written by hand (the figures quoted here are from the profiling runs named in each item); `bench.run`
puts them under each section of docs/benchmarks.md, after the figures of the run itself.
"""

from __future__ import annotations

FINDINGS: dict[str, list[str]] = {
    "claim_by_id": [
        "First run (before the changes below): 448 cycles/s against 6,472 (0.07). Profile: `track_functions = "
        "'all'` and `pg_stat_user_functions` over 1,000 cycles of one agent (`/tmp`-free recipe: `ALTER DATABASE … "
        "SET track_functions = 'all'`, run `bench/sql/claim_next.sql` with `pgbench -c 1`, read the view).",
        "Fixed: the hot helpers were SQL functions with `SET search_path` (`missions.now`, "
        "`current_principal_id`, `agent_allowed`, `lease_of`, `claimable_status`, `transition_context`). Such a "
        "function cannot be inlined, and a non-inlined SQL body is planned again on every call: `missions.now()` "
        "cost 17 µs × 9 calls per cycle, `current_principal_id()` 38 µs × 7. Rewritten as PL/pgSQL (plans cached per "
        "session): 0.16 → 0.015 ms and 0.28 → 0.011 ms per cycle. `lock_lease` (fencing) checked the mission's "
        "visibility on every call; it now does so only when the lease check fails, to answer 404 rather than 412. "
        "The status triggers return at once for statements that touched no row (`advance_mission`'s readying "
        "UPDATE usually does not). The outbox called `pgmq.send_batch`, which builds its INSERT with dynamic SQL, "
        "planned on every call (~0.2 ms per cycle); `publish_events` now inserts the same row into the queue table "
        "(`tests/test_worker.py` reads it back with `pgmq.read`).",
        "Left, by design: a cycle still writes two step versions (not HOT: `status` is in the queue index's "
        "predicate), two event rows and two pgmq messages (the audit log and the outbox of every transition), one "
        "`step_results` row and the quota counter, and runs the agent, fencing and quota checks. The bare script "
        "writes two rows with no index but the key. Reaching 0.5 would mean dropping the per-transition event and "
        "outbox message, which other features (the worker, the webhook relay, the history) are built on; we keep "
        "them and report the ratio.",
    ],
    "claim_next": [
        "First run: 90 cycles/s against pgmq's 2,288 (0.04), and slower the longer the queue. `auto_explain` showed "
        "why: inside PL/pgSQL the planner could not estimate the opaque per-row checks (`claimable_status`, "
        "`agent_allowed`), so it sorted every ready step (Seq Scan + Sort, 275 ms per claim at 20,000 ready steps).",
        "Fixed (`sql/functions/240_claims.sql`): `claim_next_step` walks the partial index `steps_ready_queue` in "
        "its order, 32 candidates at a time (the `LIMIT` keeps the plan an index scan), and checks and locks one "
        "candidate at a time with `FOR UPDATE SKIP LOCKED` (`lock_claimable`); a claim costs O(rows skipped). The "
        "index now only holds steps agents claim (`steps.agent_queue`, set on insert), so the ready subtasks of "
        "learners and mentor reviews never sit in an agent's way. `tests/test_agents.py` checks the plan (index, "
        "no sort) and a 40-step unclaimable head of the queue.",
        "Left: pgmq's cycle is two statements on one table. The engine's cycle does what benchmark 1 lists, "
        "including sending two messages of its own to pgmq (the outbox), so it does pgmq's send work twice over on "
        "top of the claim; a ratio of 1.0 is out of reach while every transition is logged and published in the "
        "same transaction, and we keep that guarantee.",
    ],
    "claim_shape": [
        "Before the change (the same section on the previous walk, this machine, 2026-12-03, two runs): 127 and 126 "
        "cycles/s behind the backlog against 589 and 603 at the head (0.21): every claim read the 30,000 "
        "higher-priority steps of the other kind through the one global index before reaching a `task` step.",
        "Fixed (`sql/functions/240_claims.sql`, `steps_ready_queue` now `(kind, priority desc, ready_at, id)`): a "
        "claim computes the kinds it may take once (asked for, not denied, daily quota left) and reads the first "
        "32 entries of each kind's run, merged in priority order; `tests/test_agents.py` counts the index entries "
        "one claim reads (3, against 4,002 before, with 2,000 urgent steps of another kind and 2,000 of a "
        "quota-spent kind ahead). A kind whose quota is spent is no longer tried candidate by candidate.",
        "Left: the cost grows with the number of agent kinds a claim may take (one short index read each), and "
        "the cycle itself is still the one benchmark 2 measures against pgmq.",
    ],
    "claim_batch": [
        "Deadlocks found by the first runs and fixed: two `complete_steps` batches locked the same missions in "
        "different orders (now each batch completes in mission, then step order), and two `claim_next_steps` "
        "batches flipped two `assigned` missions to `in_progress` in opposite orders (now a claim that waits over "
        "100 ms for a lock is undone alone and the batch returns what it holds).",
        "Not met, by far: the batch API is a loop of the single claim and completion in one transaction, so it "
        "saves round trips and commits, not per-step work, and runs at about the rate of benchmark 2's single "
        "cycle. So the cost per step is the SQL work each claim and completion does (the walk, the row lock, the "
        "quota, the lease, the state-machine triggers with their event and outbox rows, `advance_mission`), not "
        "the round trip. A set-based batch (one walk, one `UPDATE … RETURNING` for n leases, one insert of their "
        "events) is the next step; not built.",
    ],
    "sustained": [
        "The first run (before the claim fix) drained only ~1,700 steps in 2 minutes, so it said little. Now the "
        "queue drains at 740–1,010 cycles/s for 5 minutes on a 724,000-step queue (slower than benchmark 2's 4,000 "
        "steps: the table and its indexes no longer fit in 128 MB of shared_buffers). The rate swings ±15 % from "
        "window to window with no trend (the second window is the highest, the last the lowest), and the sizes "
        "above show `steps` and its indexes not growing, so the miss is not bloat of the queue. Not isolated yet; "
        "the likely causes are checkpoints (at this write rate `max_wal_size` = 1 GB fills in a minute or two, and "
        "the first change to each page after a checkpoint writes a full-page image) and autovacuum passes on "
        "`steps`, `events` and the pgmq queue table. A 10-minute run with `log_checkpoints` would tell.",
    ],
    "http": [
        "Per request the API checks out a pooled connection, authenticates the key and becomes its role "
        "(one statement), makes the call, commits, and encodes JSON; with one uvicorn worker on a 2-core machine "
        "shared with Postgres and the load process, the Python server is the bottleneck (the SQL side of the same "
        "cycle needs ~1 ms of server CPU). The load driver first used httpx, which itself cost ~1 ms of CPU per "
        "request on the same cores: 198 cycles/s; with the minimal keep-alive client 245–290 cycles/s (0.31–0.32).",
        "Tried and dropped: two uvicorn worker processes (one per core) made it slower here, 79 cycles/s with a "
        "flat ~50 ms per request, which looks like a delayed-ACK interaction not yet understood; one worker is what "
        "`missions serve` runs. Next steps, not done: pipelining the authentication and the call in one round trip "
        "(psycopg pipeline mode), and measuring on a machine where the load driver has its own cores.",
    ],
    "daily_jobs": [
        "First run: `expire_missions` did not finish at 1 M. The state-machine statement trigger checked "
        "illegal transitions with `new_rows JOIN old_rows … LIMIT 1`; with `LIMIT 1` the planner chose a nested loop "
        "over the two transition tables, O(rows²): 5.2 s for 10,000 rows, 139 s for 40,000. Fixed "
        "(`sql/functions/040_state_history.sql`): one pass per statement, the changes materialized (a hash join), "
        "logged and checked per distinct (from, to) pair: 0.34 s for 10,000 rows; `tests/test_agents.py` covers "
        "a 3,000-row change.",
        "`recalculate_wall_ranks` was 2.26× bare at 1 M: the score was computed twice per post (the inlined CTE put "
        "the expression in both the SET and the WHERE) by non-inlined SQL functions. Now `OFFSET 0` keeps the score "
        "a subquery computed once, and `rank_score`/`uses_hashtag` are PL/pgSQL expressions: 0.23 → 0.13 s at "
        "10,000.",
        "`assign_daily_missions` called `level_rank` for every (participant, template) pair twice (100,000 calls "
        "for 10,000 participants); ranks are now computed once per participant and per template: 0.72 → 0.44 s "
        "at 10,000.",
        "`pause_inactive_participants` is a join of 1 M principals, 1 M progress rows and 4 M balances to find the "
        "150,000 to pause, against a bare update of those 150,000 by key: 2.01× in this run, 1.77× in the first "
        "one, so at the edge of the target. An index that finds the candidates would have to include the momentum "
        "balance, which changes on every credit (balance updates would stop being HOT); not worth it for a daily "
        "job of 3 s.",
    ],
    "seed_loop": [
        "The loop is the cheapest honest version of the seed's approach (psycopg over the Unix socket, one "
        "transaction per participant, ~1 ms each). The set-based jobs spend 13–45 µs per participant, and that is "
        "the write itself: the same rows, index entries, foreign-key checks, events and outbox messages the loop's "
        "writes produce (each job is within 2× of a bare statement at 1 M, section 4). So the speed-up is bounded "
        "by (round trip + commit) / (cost of the row's writes): where a job writes an event and an outbox message "
        "per row (assign, expire) it is ~25×, where it writes little (pause) it is over 100×. Over a network or "
        "through an ORM (the seed's Django loop), each loop iteration costs several times more.",
    ],
}
