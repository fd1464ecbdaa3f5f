"""What every benchmark shares: the run context, results, pgbench, timing helpers."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import psycopg

SQL = Path(__file__).resolve().parent / "sql"
PGBENCH = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"


def say(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


@dataclass
class Ctx:
    """One run: where the server is, how big, how long."""

    server_url: str          # owner URL of any database on the server (used to create/drop the bench databases)
    smoke: bool
    scale: int               # participants (and wall posts, open missions) for the daily jobs
    seed_scale: int          # participants for the per-participant-loop comparison
    sustain_seconds: int
    clients: int = 8
    workdir: Path = field(default_factory=lambda: Path("/tmp"))
    keep: bool = False       # keep the bench databases after the run
    job_timeout: int = 900  # seconds a daily job (or its baseline) may take before it is cancelled
    only: list[str] | None = None  # the sections asked for (--only); None: all
    claim_next_rate: float = 0.0  # measured by benchmark 2, sizes the queues of 3 and 5

    def sizes(self, big: int, small: int) -> int:
        return small if self.smoke else big


@dataclass
class Row:
    """One line of a benchmark's table."""

    metric: str
    figure: float | None
    baseline: float | None
    unit: str
    target: str               # e.g. "≥ 0.5" (ratio = figure / baseline) or "≤ 2" ; "" when informative
    higher_is_better: bool = True  # for the ratio: figure/baseline (rates) or figure/baseline (times, lower better)
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.figure is None or not self.baseline:
            return None
        return self.figure / self.baseline

    @property
    def met(self) -> bool | None:
        if not self.target:
            return None
        if self.figure is None:  # did not finish
            return False
        if self.ratio is None:
            return None
        op, value = self.target.split()
        v = float(value.rstrip("×%")) / (100 if value.endswith("%") else 1)
        return self.ratio >= v if op == "≥" else self.ratio <= v


@dataclass
class Section:
    key: str
    title: str
    what: str                 # one paragraph: what is measured and against what
    rows: list[Row] = field(default_factory=list)
    facts: list[str] = field(default_factory=list)   # extra lines (sizes, latencies, RSS, parameters)
    findings: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def complete(self) -> bool:
        """Every row has a figure and a baseline."""
        return bool(self.rows) and all(r.figure is not None and r.baseline is not None for r in self.rows)


# -- connections ----------------------------------------------------------------------------------------

def connect(url: str, **kw) -> psycopg.Connection:
    return psycopg.connect(url, autocommit=True, **kw)


def with_db(url: str, dbname: str) -> str:
    from app.db.urls import with_dbname

    return with_dbname(url, dbname)


def recreate_database(server_url: str, dbname: str) -> str:
    """Drop and create a database on the server; returns its owner URL."""
    with connect(server_url) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')
        conn.execute(f'create database "{dbname}"')
    return with_db(server_url, dbname)


def drop_database(server_url: str, dbname: str) -> None:
    with connect(server_url) as conn:
        conn.execute(f'drop database if exists "{dbname}" with (force)')


def libpq_env(url: str) -> dict[str, str]:
    """PG* variables for a URL (pgbench takes the database as a conninfo, the rest from here too)."""
    parts = urlsplit(url)
    q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    env = {}
    host = q.get("host") or parts.hostname
    if host:
        env["PGHOST"] = host
    port = q.get("port") or (str(parts.port) if parts.port else None)
    if port:
        env["PGPORT"] = port
    if parts.username:
        env["PGUSER"] = parts.username
    if parts.password:
        env["PGPASSWORD"] = parts.password
    env["PGDATABASE"] = parts.path.lstrip("/")
    return env


# -- pgbench ----------------------------------------------------------------------------------------------

@dataclass
class Bench:
    tps: float
    transactions: int
    failed: int
    latency_ms: float | None
    seconds: float
    output: str


def pgbench(url: str, script: str, *, clients: int, transactions: int | None = None, seconds: int | None = None,
            defines: dict[str, object] | None = None, log_prefix: Path | None = None,
            aggregate_interval: int | None = None, progress: int | None = None) -> Bench:
    """Run one pgbench script file of bench/sql (prepared protocol, one thread, no vacuum)."""
    cmd = [PGBENCH, "-n", "-M", "prepared", "-c", str(clients), "-j", "1", "-f", str(SQL / script)]
    if transactions is not None:
        cmd += ["-t", str(transactions)]
    if seconds is not None:
        cmd += ["-T", str(seconds)]
    for k, v in (defines or {}).items():
        cmd += ["-D", f"{k}={v}"]
    if log_prefix is not None:
        cmd += ["-l", f"--log-prefix={log_prefix}"]
        if aggregate_interval:
            cmd += [f"--aggregate-interval={aggregate_interval}"]
    if progress:
        cmd += ["-P", str(progress)]
    env = {**os.environ, **libpq_env(url)}
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - started
    out = proc.stdout + proc.stderr
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    done = re.search(r"number of transactions actually processed: (\d+)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    lat = re.search(r"latency average = ([\d.]+) ms", out)
    if proc.returncode not in (0, 2) or not tps or not done:
        raise RuntimeError(f"pgbench {script} failed (exit {proc.returncode}):\n{out[-3000:]}")
    aborted = re.search(r"client \d+ aborted.*", out)
    if aborted:
        raise RuntimeError(f"pgbench {script}: {aborted.group(0)}\n{out[-2000:]}")
    return Bench(float(tps.group(1)), int(done.group(1)), int(failed.group(1)) if failed else 0,
                 float(lat.group(1)) if lat else None, elapsed, out)


def timed(conn: psycopg.Connection, sql: str, params: object = None) -> tuple[float, object]:
    """Seconds one statement takes, and its first value."""
    started = time.perf_counter()
    row = conn.execute(sql, params).fetchone()
    return time.perf_counter() - started, (row[0] if row else None)
