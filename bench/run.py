"""`make bench`: set up the bench databases, run every benchmark next to its baseline, write the report.

    python -m bench.run [--smoke] [--out docs/benchmarks.md] [--scale N] [--seed-scale N]
                        [--sustain-seconds S] [--only name,name] [--server-url URL]

The server is MISSIONS_DATABASE_URL's (or --server-url), else the embedded cluster, started with the
code of `missions db start`. Each run drops and re-creates its databases (`<prefix>` for the agent
benchmarks, `<prefix>_jobs` for the daily jobs) and migrates them with `app.db.migrate.migrate`.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from app.config import PROJECT_ROOT, Settings
from app.db.migrate import migrate
from bench.common import (
    PGBENCH,
    Ctx,
    Section,
    connect,
    drop_database,
    recreate_database,
    say,
)
from bench.findings import FINDINGS

PG_SETTINGS = ["shared_buffers", "effective_cache_size", "work_mem", "maintenance_work_mem", "max_connections",
               "fsync", "synchronous_commit", "full_page_writes", "wal_level", "max_wal_size", "checkpoint_timeout",
               "autovacuum", "jit", "random_page_cost", "shared_preload_libraries"]


def server_url_from_env(settings: Settings) -> str:
    """MISSIONS_DATABASE_URL, else the embedded cluster (started as `missions db start` does)."""
    if settings.database_url:
        return settings.database_url
    from app.cli import db_start
    from app.cluster import CRON_DATABASE
    from app.db.urls import embedded_cluster

    db_start(settings)
    return embedded_cluster(settings).url(CRON_DATABASE)


def machine_facts(url: str) -> list[tuple[str, str]]:
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), "0")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "?")
    facts = [("CPU cores", str(os.cpu_count())), ("CPU", cpu), ("memory", f"{int(mem) / 1048576:.1f} GiB"),
             ("kernel", platform.release()), ("Python", platform.python_version()),
             ("pgbench", subprocess.run([PGBENCH, "--version"], capture_output=True, text=True).stdout.strip())]
    with connect(url) as conn:
        facts.append(("PostgreSQL", conn.execute("select version()").fetchone()[0]))
        for name in PG_SETTINGS:
            row = conn.execute("select setting, unit from pg_settings where name = %s", (name,)).fetchone()
            if row:
                facts.append((name, conn.execute(f"show {name}").fetchone()[0]))
        pgmq = conn.execute("select extversion from pg_extension where extname = 'pgmq'").fetchone()
        facts.append(("pgmq", pgmq[0] if pgmq else "SQL install (pgmq Python package)"))
    return facts


def _fmt(v: float | None, unit: str) -> str:
    if v is None:
        return "—"
    if unit == "s":
        return f"{v:.3f} s" if v < 10 else f"{v:.1f} s"
    if unit == "ms":
        return f"{v:.2f} ms"
    return f"{v:,.0f} {unit}"


def render(ctx: Ctx, sections: list[Section], facts: list[tuple[str, str]], started: datetime, total: float,
           notes: list[str]) -> str:
    mode = ("smoke" if ctx.smoke else "full") if ctx.only is None else f"`--only {','.join(ctx.only)}`"
    out = ["# Benchmarks", "",
           f"Written by `python -m bench.run` ({mode} run, {started:%Y-%m-%d %H:%M} UTC, {total / 60:.1f} min). "
           "Every figure is measured next to its baseline **in the same run, on the same cluster**; "
           "`ratio` = figure / baseline. Regenerate with `make bench` (`make bench-smoke` is the tiny version the "
           "test suite runs; its numbers mean nothing).", "",
           f"Parameters: {ctx.clients} concurrent agents/clients, daily jobs at {ctx.scale:,} participants, "
           f"seed-loop comparison at {ctx.seed_scale:,}, sustained run {ctx.sustain_seconds} s.", ""]
    out += [f"> {n}" for n in notes] + ([""] if notes else [])
    out += ["## Summary", "", "| benchmark | metric | figure | baseline | ratio | target | met |", "|---|---|---|---|---|---|---|"]
    for s in sections:
        for r in s.rows:
            if r.target:
                met = {True: "yes", False: "**no**", None: "—"}[r.met]
                out.append(f"| {s.title} | {r.metric} | {_fmt(r.figure, r.unit)} | {_fmt(r.baseline, r.unit)} | "
                           f"{'—' if r.ratio is None else f'{r.ratio:.2f}'} | {r.target} | {met} |")
        if not s.rows:
            out.append(f"| {s.title} | failed | — | — | — | — | **no** |")
    out += ["", "## Machine and server", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in facts]
    for s in sections:
        out += ["", f"## {s.title}", "", s.what, "",
                "| metric | figure | baseline | ratio | target | met | notes |", "|---|---|---|---|---|---|---|"]
        for r in s.rows:
            met = {True: "yes", False: "**no**", None: ""}[r.met]
            out.append(f"| {r.metric} | {_fmt(r.figure, r.unit)} | {_fmt(r.baseline, r.unit)} | "
                       f"{'—' if r.ratio is None else f'{r.ratio:.2f}'} | {r.target} | {met} | {r.note} |")
        out.append("")
        out += [f"- {f}" for f in s.facts]
        out.append(f"- section time: {s.seconds:.0f} s")
        if s.findings:
            out += ["", "**Findings**", ""] + [f"- {f}" for f in s.findings]
    return "\n".join(out) + "\n"


def run(*, server_url: str, out: Path, smoke: bool = False, scale: int | None = None, seed_scale: int | None = None,
        sustain_seconds: int | None = None, only: list[str] | None = None, db_prefix: str = "missions_bench",
        keep: bool = False, notes: list[str] | None = None, job_timeout: int | None = None) -> list[Section]:
    """Run the benchmarks; returns their sections (a failed one has no rows and a finding) and writes `out`."""
    from bench import claims, daily_jobs, http_api, sustained

    ctx = Ctx(server_url=server_url, smoke=smoke,
              scale=scale or (1000 if smoke else 1_000_000),
              seed_scale=seed_scale or (200 if smoke else 10_000),
              sustain_seconds=sustain_seconds or (6 if smoke else 300),
              workdir=Path(tempfile.mkdtemp(prefix="missions-bench-")), keep=keep,
              job_timeout=job_timeout or (60 if smoke else 900), only=only)
    started_at, t0 = datetime.now(UTC), time.perf_counter()
    agents_db, jobs_db = db_prefix, f"{db_prefix}_jobs"
    urls: dict[str, str] = {}

    def agents_url() -> str:
        if "agents" not in urls:
            say(f"creating and migrating {agents_db}")
            urls["agents"] = recreate_database(server_url, agents_db)
            migrate(urls["agents"], schedule_cron=False)
            from bench import agent_data

            with connect(urls["agents"]) as conn:
                agent_data.prepare(conn, ctx.clients)
        return urls["agents"]

    def jobs_url() -> str:
        if "jobs" not in urls:
            say(f"creating and migrating {jobs_db}")
            urls["jobs"] = recreate_database(server_url, jobs_db)
            migrate(urls["jobs"], schedule_cron=False)
        return urls["jobs"]

    plan: list[tuple[str, str, Callable[[Ctx, str], Section], Callable[[], str]]] = [
        ("claim_by_id", "1. Claim by id", claims.claim_by_id, agents_url),
        ("claim_next", "2. Claim next", claims.claim_next, agents_url),
        ("claim_shape", "2b. Claim next behind another kind's backlog", claims.claim_shape, agents_url),
        ("claim_batch", "2c. Batched claim next", claims.claim_batch, agents_url),
        ("sustained", "3. Sustained claim next", sustained.sustained, agents_url),
        ("http", "5. HTTP API", http_api.http_api, agents_url),
        ("daily_jobs", "4. Daily jobs", daily_jobs.at_scale, jobs_url),
        ("seed_loop", "4b. Daily jobs vs the seed's loop", daily_jobs.vs_seed_loop, jobs_url),
    ]
    sections: list[Section] = []
    try:
        for key, title, fn, url_of in plan:
            if only and key not in only:
                continue
            t = time.perf_counter()
            try:
                sec = fn(ctx, url_of())
            except Exception as exc:  # noqa: BLE001 - a failed benchmark is reported, the others still run
                traceback.print_exc()
                sec = Section(key, title, "", findings=[f"FAILED: {type(exc).__name__}: {str(exc)[:1500]}"])
            sec.seconds = time.perf_counter() - t
            sec.findings += FINDINGS.get(key, [])
            sections.append(sec)
            say(f"{title}: done in {sec.seconds:.0f} s")
            for r in sec.rows:
                say(f"   {r.metric}: {r.figure} vs {r.baseline} (ratio {r.ratio}, target {r.target or '-'}, met {r.met})")
        facts = machine_facts(next(iter(urls.values()), server_url))
    finally:
        if not keep:
            for name in (agents_db, jobs_db):
                drop_database(server_url, name)
    total = time.perf_counter() - t0
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(ctx, sections, facts, started_at, total, notes or []))
    say(f"report written to {out} ({total / 60:.1f} min)")
    return sections


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    p.add_argument("--smoke", action="store_true", help="tiny sizes and durations (seconds, not minutes)")
    p.add_argument("--out", type=Path, default=PROJECT_ROOT / "docs" / "benchmarks.md")
    p.add_argument("--scale", type=int, help="participants for the daily jobs (default 1 000 000; smoke 1 000)")
    p.add_argument("--seed-scale", type=int, help="participants for the seed-loop comparison (default 10 000)")
    p.add_argument("--sustain-seconds", type=int, help="sustained run length (default 300; smoke 6)")
    p.add_argument("--only", help="comma-separated: claim_by_id, claim_next, claim_shape, claim_batch, sustained, "
                                  "http, daily_jobs, seed_loop")
    p.add_argument("--server-url", help="owner URL of a database on the server to use (default: "
                                        "MISSIONS_DATABASE_URL, else the embedded cluster)")
    p.add_argument("--job-timeout", type=int, help="cancel a daily job or its baseline after this many seconds "
                                                  "(default 900)")
    p.add_argument("--db-prefix", default="missions_bench")
    p.add_argument("--keep", action="store_true", help="keep the bench databases")
    p.add_argument("--note", action="append", default=[], help="a line to print at the top of the report")
    a = p.parse_args(argv)
    server = a.server_url or server_url_from_env(Settings.from_env())
    sections = run(server_url=server, out=a.out, smoke=a.smoke, scale=a.scale, seed_scale=a.seed_scale,
                   sustain_seconds=a.sustain_seconds, only=a.only.split(",") if a.only else None,
                   db_prefix=a.db_prefix, keep=a.keep, notes=a.note, job_timeout=a.job_timeout)
    return 0 if all(s.complete() for s in sections) else 1


if __name__ == "__main__":
    sys.exit(main())
