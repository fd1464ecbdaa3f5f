"""Benchmark 3: claim next + complete sustained for a while; last-minute vs first-minute throughput."""

from __future__ import annotations

import math
from collections import defaultdict

from bench import agent_data
from bench.common import Ctx, Row, Section, connect, pgbench, say


def _mib(n: int) -> str:
    return f"{n / 1048576:.1f} MiB"


def sustained(ctx: Ctx, url: str) -> Section:
    seconds = ctx.sustain_seconds
    window = 60 if seconds >= 180 else max(1, seconds // 3)  # smoke: thirds of the run
    rate = ctx.claim_next_rate or 500.0
    steps = int(rate * seconds * 1.6) + 2000
    sec = Section("sustained", "3. Sustained claim next",
                  f"Benchmark 2's engine script for {seconds} s (`pgbench -T {seconds}`, {ctx.clients} agents) on a fresh "
                  f"queue of {steps} ready steps (1.6 × benchmark 2's rate × duration, so it never runs dry); per-window "
                  f"rates from pgbench's aggregate log (`-l --aggregate-interval={window}`). Figure: the last full "
                  f"{window}-s window; baseline: the first {window}-s window of the same run that completed a cycle "
                  f"(on a loaded machine pgbench can spend its first window connecting).")
    with connect(url) as conn:
        agent_data.add_queue_steps(conn, f"sustain{seconds}", steps)
        conn.execute("vacuum analyze missions_private.steps")
        before = agent_data.steps_sizes(conn)
        dead_before = conn.execute("select n_dead_tup from pg_stat_user_tables "
                                   "where relid = 'missions_private.steps'::regclass").fetchone()[0]
    logdir = ctx.workdir / "sustained"
    logdir.mkdir(parents=True, exist_ok=True)
    for f in logdir.glob("*"):
        f.unlink()
    say(f"sustained: {seconds} s of claim next + complete on {steps} ready steps")
    run = pgbench(url, "claim_next.sql", clients=ctx.clients, seconds=seconds, defines={"k": 0},
                  log_prefix=logdir / "claim_next", aggregate_interval=window)
    per_window: dict[int, int] = defaultdict(int)
    for f in logdir.glob("claim_next*"):
        for line in f.read_text().splitlines():
            parts = line.split()
            if len(parts) >= 2:
                per_window[int(parts[0])] += int(parts[1])
    starts = sorted(per_window)
    # pgbench's last aggregate line covers a partial window: use the full windows only
    full = [s for s in starts if s + window <= starts[0] + seconds] or starts
    rates = [per_window[s] / window for s in full]
    first, last = next((r for r in rates if r > 0), rates[0]), rates[-1]
    with connect(url) as conn:
        after = agent_data.steps_sizes(conn)
        left = conn.execute("select count(*) from missions_private.steps where status = 'ready'").fetchone()[0]
        dead_after, autovac = conn.execute(
            "select n_dead_tup, autovacuum_count from pg_stat_user_tables "
            "where relid = 'missions_private.steps'::regclass").fetchone()
    sec.rows.append(Row(f"cycles/s, last {window}-s window vs first", last, first, "cycles/s", "≥ 90%"))
    sec.rows.append(Row("cycles/s over the whole run", run.tps, first, "cycles/s", ""))
    sec.facts.append("cycles/s per window: " + ", ".join(f"{r:.0f}" for r in rates))
    sec.facts.append(f"{run.transactions} cycles, {run.failed} failed; {left} steps still ready at the end; "
                     f"dead tuples in steps {dead_before} → {dead_after}, autovacuum runs on steps during the bench: "
                     f"{autovac}")
    keys = [k for k in after if k not in ("rows",)]
    sec.facts.append("`missions_private.steps` before → after: rows " f"{before['rows']} → {after['rows']}; "
                     + "; ".join(f"{k} {_mib(before.get(k, 0))} → {_mib(after[k])}" for k in keys))
    if math.isfinite(first) and first > 0 and last / first < 0.9:
        sec.findings.append("Throughput fell by more than 10 % over the run: see the sizes above (dead index entries "
                            "in the ready-queue index are the usual cause).")
    return sec
