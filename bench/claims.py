"""Benchmarks 1 and 2: claim by id and claim next (+ complete), 8 agents, against their baselines."""

from __future__ import annotations

from bench import agent_data
from bench.common import Ctx, Row, Section, connect, pgbench, say


def claim_by_id(ctx: Ctx, url: str) -> Section:
    per_client = ctx.sizes(2000, 40)
    sec = Section("claim_by_id", "1. Claim by id",
                  f"`claim_mission_step` + `complete_step` (two transactions per cycle), {ctx.clients} pgbench clients, "
                  f"each an agent working through its own {per_client} ready steps (`bench/sql/claim_by_id.sql`), vs "
                  "`bench/sql/bare_by_id.sql`: the same two single-row updates by primary key on `bench.plain_steps`, "
                  "a plain copy of `missions_private.steps` (same rows, primary key only, no triggers).")
    with connect(url) as conn:
        agent_data.add_steps_by_client(conn, "byid", ctx.clients, per_client)
        conn.execute("drop table if exists bench.plain_steps")
        conn.execute("create table bench.plain_steps as select * from missions_private.steps")
        conn.execute("alter table bench.plain_steps add primary key (id)")
        conn.execute("vacuum analyze bench.plain_steps")
        conn.execute("vacuum analyze missions_private.steps")
        rows = conn.execute("select count(*) from missions_private.steps").fetchone()[0]
    defines = {"k": 0, "tag": "byid"}
    say(f"claim by id: baseline ({ctx.clients} clients × {per_client})")
    base = pgbench(url, "bare_by_id.sql", clients=ctx.clients, transactions=per_client, defines=defines)
    say(f"claim by id: engine ({ctx.clients} clients × {per_client})")
    eng = pgbench(url, "claim_by_id.sql", clients=ctx.clients, transactions=per_client, defines=defines)
    for b in (base, eng):
        if b.failed or b.transactions != ctx.clients * per_client:
            raise RuntimeError(f"claim by id: {b.transactions} cycles done, {b.failed} failed:\n{b.output[-1500:]}")
    sec.rows.append(Row("claim + complete cycles/s", eng.tps, base.tps, "cycles/s", "≥ 0.5"))
    sec.rows.append(Row("mean cycle latency", eng.latency_ms, base.latency_ms, "ms", "", higher_is_better=False))
    sec.facts.append(f"{rows} rows in `missions_private.steps` and in `bench.plain_steps`; "
                     f"{ctx.clients * per_client} cycles per side (`-t {per_client}`).")
    sec.findings += CLAIM_BY_ID_FINDINGS
    return sec


CLAIM_BY_ID_FINDINGS = [
    "Profiled with `track_functions = 'all'` (`pg_stat_user_functions`) over 300 claim + complete cycles of one "
    "agent: ~2.6 ms of server time per cycle against ~0.15 ms for the two bare updates. Where it goes, per cycle: "
    "the status-change machinery ~1.3 ms — `track_step_status` fires 3× (claim, complete, and the no-op `UPDATE … "
    "WHERE status = 'pending'` in `advance_mission`, which fires the statement trigger on zero rows), each inserting "
    "events whose statement trigger calls `pgmq.send_batch` (2.2 sends per cycle); identity checks ~0.4 ms — "
    "`current_principal_id()` runs 7× per cycle (`pg_has_role` each time) through `authorize_agent`, `lock_lease`, "
    "`can_see_mission` and the event rows; the clock ~0.2 ms — `missions.now()` 9× per cycle. The two row updates "
    "themselves are a small part: the engine's cost is the event log + outbox per transition, by design.",
    "Local, safe improvements for the lead (all in `sql/functions/0*`/`2*`, not edited here): return early from "
    "`track_step_status`/`track_mission_status` when the transition table is empty (or skip `advance_mission`'s "
    "readying UPDATE when the mission has no pending step — one EXISTS on `steps_position_unique`); resolve "
    "`current_principal_id()` once per call and pass it down (or cache it in a transaction-local setting); read "
    "`missions.now()` once per call (already done in `claim_next_step`, not in `complete_step`/`lock_lease`). "
    "By the profile's numbers they would save about 0.7 of the 2.6 ms (an estimate, not measured); reaching 0.5 of "
    "two bare updates would also need a cheaper outbox (one `send_batch` per transaction instead of per statement).",
]


def claim_next(ctx: Ctx, url: str) -> Section:
    per_client = ctx.sizes(500, 40)
    total = ctx.clients * per_client
    sec = Section("claim_next", "2. Claim next",
                  f"`claim_next_step` + `complete_step` (two transactions per cycle), {ctx.clients} agents "
                  f"(`bench/sql/claim_next.sql`) on a queue of {total} ready steps, vs pgmq's own consumer cycle "
                  f"`pgmq.read(q, 600, 1)` + `pgmq.delete(q, id)` (`bench/sql/pgmq_cycle.sql`) on a queue holding "
                  f"the same {total} messages, same cluster, same clients.")
    with connect(url) as conn:
        agent_data.add_queue_steps(conn, "next", total)
        agent_data.fill_queue(conn, "bench_queue", total)
        conn.execute("vacuum analyze missions_private.steps")
        conn.execute("vacuum analyze pgmq.q_bench_queue")
    say(f"claim next: baseline pgmq ({ctx.clients} clients × {per_client})")
    base = pgbench(url, "pgmq_cycle.sql", clients=ctx.clients, transactions=per_client)
    say(f"claim next: engine ({ctx.clients} clients × {per_client})")
    eng = pgbench(url, "claim_next.sql", clients=ctx.clients, transactions=per_client, defines={"k": 0})
    for b in (base, eng):
        if b.failed or b.transactions != total:
            raise RuntimeError(f"claim next: {b.transactions} cycles done, {b.failed} failed:\n{b.output[-1500:]}")
    sec.rows.append(Row("claim + complete cycles/s", eng.tps, base.tps, "cycles/s", "≥ 1.0"))
    sec.rows.append(Row("mean cycle latency", eng.latency_ms, base.latency_ms, "ms", "", higher_is_better=False))
    sec.facts.append(f"{total} cycles per side (`-t {per_client}` × {ctx.clients} clients); every step and message "
                     "is consumed exactly once (pgbench reports no failed transaction).")
    ctx.claim_next_rate = eng.tps  # sizes the sustained run's queue
    sec.findings += CLAIM_NEXT_FINDINGS
    return sec


CLAIM_NEXT_FINDINGS = [
    "Profiled with `auto_explain` (nested statements, analyze) on the bench database: the ready-queue query of "
    "`missions.claim_next_step` (`sql/functions/240_claims.sql`) is **not** planned as a walk of the partial index "
    "`steps_ready_queue`. Inside PL/pgSQL (custom and generic plans alike) the planner estimates that ~1 row survives "
    "the filters — `s.attempt < k.max_attempts`, `(p_kinds IS NULL OR …)`, and the opaque function calls "
    "`claimable_status(…)` and `agent_allowed(…)` (not inlinable: they carry `SET search_path`, and `agent_allowed` "
    "is SECURITY DEFINER) each get a default selectivity — so it prefers Seq Scan on steps + Sort of *every* ready "
    "step, calling `agent_allowed` once per ready step, to find the first one. Measured: 275 ms per claim with 20 000 "
    "ready steps (~12 µs per ready step), i.e. a claim costs O(queue length). That is why the engine falls further "
    "behind pgmq the longer the queue (pgmq's `read` walks its index) and why the sustained and HTTP runs, which use "
    "longer queues, show lower SQL rates than benchmark 2.",
    "Not fixed here (it is in `sql/functions/2*`; described for the lead). Tried on the bench database only: "
    "`ALTER FUNCTION … SET plan_cache_mode = force_custom_plan` does not help (the custom plan makes the same choice); "
    "`SET enable_sort = off` forces the index walk but pushes every plan cost over `jit_above_cost`, so JIT compiles "
    "each statement (~250 ms) — worse. Proposed fix: select the candidate from the index first and check the "
    "per-mission rules on that one row, e.g. `FROM (SELECT … FROM missions_private.steps s WHERE s.status = 'ready' "
    "AND … ORDER BY s.priority DESC, s.ready_at, s.id) s` is pulled up, so instead loop: "
    "`FOR v_step IN SELECT s.id FROM missions_private.steps s WHERE s.status = 'ready' AND (s.not_before IS NULL OR "
    "s.not_before <= v_now) ORDER BY s.priority DESC, s.ready_at, s.id LIMIT 50` then `SELECT … FOR UPDATE SKIP "
    "LOCKED` the first one passing the kind/mission/agent/quota checks; or inline `claimable_status` and "
    "`agent_allowed` as plain SQL conditions (EXISTS on mission_agents) so the planner sees ordinary joins; either "
    "way the index order must come first and `LIMIT 1` stop the scan.",
]
