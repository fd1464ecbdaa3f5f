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
    return sec


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
    return sec


COMPLETED = "select count(*) from missions_private.step_results where outcome = 'completed'"


def claim_batch(ctx: Ctx, url: str) -> Section:
    """Batches of 10: claim_next_steps + complete_steps against pgmq's read(q, vt, 10) + delete(q, ids[])."""
    n, per_client = 10, ctx.sizes(100, 8)
    total = ctx.clients * per_client * n
    sec = Section("claim_batch", "2c. Batched claim next",
                  f"`claim_next_steps(agent, null, {n})` + `complete_steps` of the claimed batch (two transactions "
                  f"per batch), {ctx.clients} agents (`bench/sql/claim_batch.sql`), {total} steps, vs pgmq's batched "
                  f"consumer cycle `pgmq.read(q, 600, {n})` + `pgmq.delete(q, ids[])` (`bench/sql/pgmq_batch.sql`) "
                  f"on {total} messages; figures in steps (messages) per second.")
    with connect(url) as conn:
        agent_data.add_queue_steps(conn, "batch", total)
        agent_data.fill_queue(conn, "bench_queue", total)
        conn.execute("vacuum analyze missions_private.steps")
        conn.execute("vacuum analyze pgmq.q_bench_queue")
    say(f"claim batch: baseline pgmq ({ctx.clients} clients × {per_client} batches of {n})")
    base = pgbench(url, "pgmq_batch.sql", clients=ctx.clients, transactions=per_client, defines={"n": n})
    with connect(url) as conn:
        completed_before = conn.execute(COMPLETED).fetchone()[0]
    say(f"claim batch: engine ({ctx.clients} clients × {per_client} batches of {n})")
    eng = pgbench(url, "claim_batch.sql", clients=ctx.clients, transactions=per_client, defines={"k": 0, "n": n})
    for b in (base, eng):
        if b.failed or b.transactions != ctx.clients * per_client:
            raise RuntimeError(f"claim batch: {b.transactions} batches done, {b.failed} failed:\n{b.output[-1500:]}")
    with connect(url) as conn:  # a batch may come back short or empty under contention: count what was done
        steps = conn.execute(COMPLETED).fetchone()[0] - completed_before
        messages = total - conn.execute("select count(*) from pgmq.q_bench_queue").fetchone()[0]
    # batches/s (pgbench's tps) × the steps an average batch carried
    sec.rows.append(Row(f"steps/s in batches of up to {n}", eng.tps * steps / eng.transactions,
                        base.tps * messages / base.transactions, "steps/s", "≥ 1.0"))
    sec.rows.append(Row("mean batch latency", eng.latency_ms, base.latency_ms, "ms", "", higher_is_better=False))
    sec.facts.append(f"{ctx.clients * per_client} batches per side: {steps} steps claimed and completed, {messages} "
                     "messages read and deleted.")
    return sec


def claim_shape(ctx: Ctx, url: str) -> Section:
    """Claim cost vs the queue's shape: the same kind-filtered cycle at the head of the queue, then behind a
    backlog of another kind with a higher priority (the backlog's steps are never claimed)."""
    per_client, backlog = ctx.sizes(400, 40), ctx.sizes(30_000, 2_000)
    total = ctx.clients * per_client
    sec = Section("claim_shape", "2b. Claim next behind another kind's backlog",
                  f"`claim_next_step(agent, ['task'])` + `complete_step`, {ctx.clients} agents "
                  f"(`bench/sql/claim_next_task.sql`), {total} cycles, with {backlog} ready steps of another kind "
                  "at a higher priority ahead in the queue, vs the same cycle on the same number of `task` steps "
                  "with nothing ahead (run first). Flat is the goal.")
    with connect(url) as conn:
        conn.execute("select missions.upsert_step_kind('backlog', '{\"trusted\": true}'::jsonb)")
        agent_data.add_queue_steps(conn, "shape-head", total)
        conn.execute("vacuum analyze missions_private.steps")
    say(f"claim shape: at the head ({ctx.clients} clients × {per_client})")
    head = pgbench(url, "claim_next_task.sql", clients=ctx.clients, transactions=per_client, defines={"k": 0})
    with connect(url) as conn:
        agent_data.add_queue_steps(conn, "shape-behind", total)
        agent_data.add_queue_steps(conn, "shape-backlog", backlog, kind="backlog", priority=8)
        conn.execute("vacuum analyze missions_private.steps")
    say(f"claim shape: behind {backlog} steps of another kind ({ctx.clients} clients × {per_client})")
    behind = pgbench(url, "claim_next_task.sql", clients=ctx.clients, transactions=per_client, defines={"k": 0})
    for b in (head, behind):
        if b.failed or b.transactions != total:
            raise RuntimeError(f"claim shape: {b.transactions} cycles done, {b.failed} failed:\n{b.output[-1500:]}")
    sec.rows.append(Row(f"cycles/s behind {backlog} steps of another kind", behind.tps, head.tps, "cycles/s", "≥ 0.9"))
    sec.rows.append(Row("mean cycle latency", behind.latency_ms, head.latency_ms, "ms", "", higher_is_better=False))
    return sec
