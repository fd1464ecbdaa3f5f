"""Database crash: kill -9 the postmaster in the middle of a write load, start it again (crash recovery),
and find every acknowledged write (credits, agent completions, check-ins) there, with all invariants
holding. Runs on a cluster of its own with the durable defaults (fsync, synchronous_commit on)."""

from __future__ import annotations

import json
import os
import shutil
import signal
import tempfile
import threading
import time
from pathlib import Path

import psycopg
import pytest

from app.cluster import Cluster
from app.db.migrate import migrate
from tests.helpers.principals import free_port
from tests.helpers.reliability import record, violated_invariants


@pytest.fixture
def own_cluster():
    home = Path(tempfile.mkdtemp(prefix="missions-crash-"))
    home.chmod(0o755)
    c = Cluster(home=home, port=free_port())
    c.start()
    c.ensure_database("crash")
    yield c
    c.stop()
    shutil.rmtree(home, ignore_errors=True)


def _alive(pid: int) -> bool:
    """True while the process runs (a zombie is dead: it only waits for a parent that may never reap it)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (FileNotFoundError, IndexError):
        return False


def _children(pid: int) -> list[int]:
    kids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, IndexError):
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            kids.append(int(stat.parent.name))
    return kids


def restart_after_crash(c: Cluster, postmaster: int, timeout: float = 90) -> float:
    """Starts the cluster again once the dead postmaster's backends are gone; seconds it took. In a
    container whose init never reaps, the killed postmaster stays a zombie that pg_ctl takes for a live
    server, so its stale lock files (postmaster.pid, the socket's) are removed once it and its children are dead."""
    started = time.monotonic()
    while _alive(postmaster) or _children(postmaster):
        assert time.monotonic() - started < timeout, "the killed server's processes did not exit"
        time.sleep(0.1)
    for lock in [c.pgdata / "postmaster.pid", *c.sockdir.glob(".s.PGSQL.*.lock")]:
        if lock.exists() and int(lock.read_text().split()[0]) == postmaster:
            lock.unlink()
    try:
        c.start()
    except Exception as exc:
        raise AssertionError(c.logfile.read_text()[-3000:]) from exc
    return time.monotonic() - started


def run_crash(c: Cluster, *, writers: int, crash_after: float) -> dict:
    owner = c.url("crash")
    migrate(owner, schedule_cron=False)
    with psycopg.connect(owner, autocommit=True) as conn:
        people = [conn.execute("select missions.enroll_principal('participant', %s, '{}'::jsonb)",
                               (f"crash person {i}",)).fetchone()[0]["principal"]["id"] for i in range(writers)]
        agent = conn.execute("select missions.enroll_principal('agent', 'crash agent', '{}'::jsonb)").fetchone()[0]
        spec = {"title": "crash", "steps": [{"title": f"s{i}", "kind": "task", "depends_on": []} for i in range(5000)]}
        conn.execute("select missions.create_agent_mission(%s::jsonb)", (json.dumps(spec),))
    acked: dict[str, list[str]] = {"credits": [], "completions": [], "check_ins": []}
    lock = threading.Lock()

    def credit_writer(pid: str) -> None:
        n = 0
        try:
            with psycopg.connect(owner, autocommit=True) as conn:
                conn.execute("select * from missions.check_in(%s)", (pid,))
                with lock:
                    acked["check_ins"].append(pid)
                while True:
                    n += 1
                    key = f"crash:{pid}:{n}"
                    conn.execute("select missions.credit(%s, 'SKILL_XP', 1, 'crash test', %s)", (pid, key))
                    with lock:
                        acked["credits"].append(key)
        except psycopg.Error:
            return  # the server died: whatever was acknowledged is in `acked`

    def agent_writer() -> None:
        app = c.url("crash", user="missions_app")
        try:
            with psycopg.connect(app, autocommit=True) as conn:
                conn.execute("select set_config('role', 'missions_agent', false), "
                             "set_config('missions.principal_id', %s, false)", (agent["principal"]["id"],))
                while True:
                    row = conn.execute("select step_id, lease_token from missions.claim_next_step(%s)",
                                       (agent["principal"]["id"],)).fetchone()
                    if row is None:
                        return
                    conn.execute("select missions.complete_step(%s, %s, %s)", (row[0], agent["principal"]["id"], row[1]))
                    with lock:
                        acked["completions"].append(str(row[0]))
        except psycopg.Error:
            return

    threads = [threading.Thread(target=credit_writer, args=(p,)) for p in people] + [threading.Thread(target=agent_writer)]
    for t in threads:
        t.start()
    time.sleep(crash_after)
    postmaster = int((c.pgdata / "postmaster.pid").read_text().split()[0])
    os.kill(postmaster, signal.SIGKILL)
    for t in threads:
        t.join(60)
    recovery = restart_after_crash(c, postmaster)

    with psycopg.connect(owner, autocommit=True) as conn:
        keys = {r[0] for r in conn.execute(
            "select idempotency_key from missions_private.ledger_entries where idempotency_key like 'crash:%%'")}
        lost_credits = [k for k in acked["credits"] if k not in keys]
        completed = {str(r[0]) for r in conn.execute("""
            select s.id from missions_private.steps s
            join missions_private.step_results r on r.step_id = s.id and r.outcome = 'completed'
            where s.status = 'completed'""")}
        lost_completions = [s for s in acked["completions"] if s not in completed]
        checked_in = {str(r[0]) for r in conn.execute("select participant_id from missions_private.check_ins")}
        lost_check_ins = [p for p in acked["check_ins"] if p not in checked_in]
        bad = violated_invariants(conn)
    assert (lost_credits, lost_completions, lost_check_ins) == ([], [], [])
    assert bad == {}
    assert acked["credits"] and acked["completions"], "the crash came before any write was acknowledged"
    return {"acknowledged_credits": len(acked["credits"]), "acknowledged_completions": len(acked["completions"]),
            "acknowledged_check_ins": len(acked["check_ins"]), "lost": 0,
            "writes_after_the_last_ack_found": len(keys) - len(acked["credits"]),
            "recovery_seconds": round(recovery, 1)}


def test_acknowledged_writes_survive_kill_9_of_the_postmaster(own_cluster):
    figures = run_crash(own_cluster, writers=4, crash_after=3)
    record("database_crash_small", figures)


@pytest.mark.chaos
def test_acknowledged_writes_survive_repeated_postmaster_kills(own_cluster):
    runs = []
    for i in range(3):
        with psycopg.connect(own_cluster.url("postgres"), autocommit=True) as conn:
            conn.execute("drop database if exists crash with (force)")
            conn.execute("create database crash")
        runs.append(run_crash(own_cluster, writers=12, crash_after=5 + 3 * i))
    record("database_crash", {"runs": runs})
