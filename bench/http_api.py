"""Benchmark 5: claim-next + complete through the HTTP API vs the same through SQL, same concurrency."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from app.config import PROJECT_ROOT
from bench import agent_data
from bench.common import Ctx, Row, Section, connect, pgbench, say


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _rss_kib(pid: int) -> dict[str, int]:
    out = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            out[k] = int(v.split()[0])
    return out


def http_api(ctx: Ctx, url: str) -> Section:
    seconds = ctx.sizes(30, 3)
    warmup = ctx.sizes(3, 1)
    rate = ctx.claim_next_rate or 500.0
    steps = int(rate * (2 * seconds + warmup) * 1.5) + 2000
    sec = Section("http", "5. HTTP API",
                  f"{ctx.clients} agents, each looping `POST /api/internal/steps/claim-next` → "
                  f"`POST /api/internal/steps/{{id}}/complete` with its own API key for {seconds} s (after {warmup} s "
                  "of warm-up), driven by a separate load process (`bench/http_load.py`: asyncio streams, a minimal HTTP/1.1 client, one "
                  "keep-alive connection per agent) against `missions serve` (one uvicorn process, pool of "
                  f"{os.environ.get('MISSIONS_POOL_MAX', '10')} connections) in a subprocess; vs the same cycle "
                  f"through SQL (`bench/sql/claim_next.sql`, pgbench, {ctx.clients} clients, {seconds} s) on the "
                  f"same queue of {steps} ready steps.")
    with connect(url) as conn:
        agent_data.add_queue_steps(conn, "http", steps)
        conn.execute("vacuum analyze missions_private.steps")
        keys = [r[0] for r in conn.execute("select key from bench.agents order by n limit %s", (ctx.clients,))]
    keyfile = ctx.workdir / "http_keys.json"
    keyfile.write_text(json.dumps(keys))

    say(f"http: SQL side, {ctx.clients} clients × {seconds} s")
    sql_run = pgbench(url, "claim_next.sql", clients=ctx.clients, seconds=seconds, defines={"k": 0})

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    # The bench's own throw-away database: the server logs in with the bench's URL (acting as missions_app) and
    # measures throughput: no per-key rate limit, and a request may queue for a connection as before.
    env = {**os.environ, "MISSIONS_DATABASE_URL": url, "MISSIONS_APP_DATABASE_URL": url,
           "MISSIONS_EVIDENCE_DIR": str(ctx.workdir / "evidence"), "MISSIONS_RATE_LIMIT": "off",
           "MISSIONS_POOL_TIMEOUT": "30",
           "MISSIONS_HOST": "127.0.0.1", "MISSIONS_PORT": str(port)}
    log = (ctx.workdir / "http_server.log").open("w")
    say(f"http: starting `missions serve` on {base}")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--host", "127.0.0.1", "--port", str(port)],
                              cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + 60
        while True:
            try:
                if httpx.get(base + "/health", timeout=2).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.time() > deadline:
                raise RuntimeError(f"the HTTP server did not start:\n{(ctx.workdir / 'http_server.log').read_text()[-2000:]}")
            time.sleep(0.3)
        rss_idle = _rss_kib(server.pid)
        say(f"http: load, {ctx.clients} agents × {seconds} s")
        load = subprocess.run([sys.executable, "-m", "bench.http_load", "--base", base, "--keys", str(keyfile),
                               "--seconds", str(seconds), "--warmup", str(warmup)],
                              cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=seconds * 4 + 120)
        if load.returncode != 0:
            raise RuntimeError(f"http load failed:\n{load.stderr[-2000:]}")
        res = json.loads(load.stdout.strip().splitlines()[-1])
        rss = _rss_kib(server.pid)
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
    if res["errors"]:
        raise RuntimeError(f"http load: {res['errors']} failed requests, e.g. {res['first_errors']}")
    sec.rows.append(Row("claim-next + complete cycles/s", res["rate"], sql_run.tps, "cycles/s", "≥ 40%"))
    sec.rows.append(Row("cycle latency p50", res["cycle_p50_ms"], None, "ms", ""))
    sec.rows[-1].baseline = sql_run.latency_ms
    sec.rows[-1].metric = "cycle latency p50 (SQL: mean)"
    sec.rows[-1].higher_is_better = False
    sec.facts.append(f"HTTP: {res['cycles']} cycles in {res['seconds']:.1f} s, {res['empty']} empty claims (204), "
                     f"0 errors; SQL: {sql_run.transactions} cycles, {sql_run.failed} failed.")
    sec.facts.append("HTTP latency (ms) p50 / p99: claim-next "
                     f"{res['claim_p50_ms']:.1f} / {res['claim_p99_ms']:.1f}, complete {res['complete_p50_ms']:.1f} / "
                     f"{res['complete_p99_ms']:.1f}, whole cycle {res['cycle_p50_ms']:.1f} / {res['cycle_p99_ms']:.1f}.")
    sec.facts.append(f"Server RSS: {rss_idle.get('VmRSS', 0) / 1024:.0f} MiB after start-up, "
                     f"{rss.get('VmRSS', 0) / 1024:.0f} MiB after the run (peak {rss.get('VmHWM', 0) / 1024:.0f} MiB).")
    return sec
