"""The agent worker loop (app/agent/): three `missions agent run` processes drain a few hundred steps exactly
once while one is killed mid-step (its lease taken over after the TTL) and one is stopped with SIGTERM (its lease
released at once); in-process runs check heartbeats, failures, a lost lease and the concurrency limit."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.agent import Job, PermanentFailure, Worker
from app.client import AsyncClient

ROOT = Path(__file__).resolve().parents[1]
TTL = 5  # the smallest claim TTL a step kind may have


def make_steps(db, agent_id: str, kind: str, missions: int, per_mission: int) -> list[str]:
    """`missions` ops missions of `per_mission` independent steps of `kind`, led by the agent; their step ids."""
    ids = []
    for m in range(missions):
        steps = [{"title": f"{kind} {m}.{i}", "kind": kind, "depends_on": [], "input": {"n": m * per_mission + i}}
                 for i in range(per_mission)]
        mission = db.execute("select missions.create_agent_mission(%s::jsonb) as id",
                             (json.dumps({"title": f"batch {m}", "steps": steps, "lead_agent_id": agent_id}),)).fetchone()["id"]
        ids += [str(r["id"]) for r in db.execute("select id from missions_private.steps where mission_id = %s", (mission,))]
    return ids


def step_kind(db, kind: str, **spec) -> None:
    db.execute("select missions.upsert_step_kind(%s, %s::jsonb)",
               (kind, json.dumps({"trusted": True, "claim_ttl_seconds": TTL, **spec})))


def steps(db, ids: list[str]) -> dict[str, dict]:
    rows = db.execute("select s.id::text, s.status, s.attempt, s.leased_by, s.lease_expires_at, r.result "
                      "from missions_private.steps s left join missions_private.step_results r on r.step_id = s.id and r.outcome = 'completed' "
                      "where s.id = any(%s::uuid[])", (ids,)).fetchall()
    return {r["id"]: r for r in rows}


@pytest.fixture
def start_agent(tmp_path_factory):
    """Start `missions agent run` processes (killed at the end of the test, whatever happened); each one's
    stderr goes to a file, named by `.log_path` (a pipe nobody reads could fill and stop it)."""
    started: list[subprocess.Popen] = []
    logs = tmp_path_factory.mktemp("agent-logs")

    def start(url: str, key: str, markers: Path, *extra: str) -> subprocess.Popen:
        env = {**os.environ, "MISSIONS_URL": url, "MISSIONS_API_KEY": key, "MISSIONS_TEST_MARKERS": str(markers),
               "PYTHONPATH": str(ROOT), "MISSIONS_LOG_LEVEL": "WARNING"}
        log_path = logs / f"agent-{len(started)}.log"
        with open(log_path, "w") as log:
            process = subprocess.Popen([sys.executable, "-m", "app.cli", "agent", "run",
                                        "tests.helpers.agent_handlers:HANDLERS", *extra], env=env, cwd=ROOT,
                                       stdout=subprocess.DEVNULL, stderr=log)
        process.log_path = log_path  # type: ignore[attr-defined]
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(10)


def wait_for(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_three_processes_drain_every_step_once_through_a_kill_and_a_sigterm(live_server, principals, db, tmp_path,
                                                                            start_agent):
    agent = principals["agent"]
    step_kind(db, "drain_task")
    step_kind(db, "hold_task")
    drained = make_steps(db, agent["id"], "drain_task", missions=30, per_mission=10)
    killed_step, stopped_step = make_steps(db, agent["id"], "hold_task", missions=2, per_mission=1)

    # 1. A process holding a step is killed outright: its lease stays until the TTL runs out.
    victim = start_agent(live_server, agent["key"], tmp_path, "--kinds", "hold_task")
    held_by_victim = wait_for(lambda: next((p.name for p in tmp_path.iterdir()), None), 20, "a hold_task claim")
    victim.kill()
    victim.wait(10)
    killed_at = time.monotonic()

    # 2. Two processes drain everything (the killed step's lease is taken over once it expires); the other
    #    hold_task step blocks one of them, which gets SIGTERM and must give the step back at once.
    workers = [start_agent(live_server, agent["key"], tmp_path, "--concurrency", "4") for _ in range(2)]
    other = stopped_step if held_by_victim == killed_step else killed_step
    marker = wait_for(lambda: next(tmp_path.glob(other), None), 30, "the second hold_task claim")
    holder = next(w for w in workers if w.pid == int(marker.read_text()))
    signalled_at = db.execute("select clock_timestamp() as t").fetchone()["t"]
    holder.send_signal(signal.SIGTERM)
    assert holder.wait(10) == 0, holder.log_path.read_text()
    # Given back at once (in_progress -> ready, well within the TTL), not left to expire; the other process may
    # already have claimed it again, so the release is read from the step's history.
    released = db.execute("select occurred_at from missions_private.events where step_id = %s and type = "
                          "'step.status_changed' and from_status = 'in_progress' and to_status = 'ready'",
                          (other,)).fetchall()
    assert len(released) == 1 and (released[0]["occurred_at"] - signalled_at).total_seconds() < TTL / 2
    survivor = next(w for w in workers if w is not holder)

    everything = drained + [killed_step, stopped_step]
    wait_for(lambda: all(s["status"] == "completed" for s in steps(db, everything).values()), 60, "every step completed")
    assert time.monotonic() - killed_at >= TTL - 1  # the killed lease was waited out, not stolen early
    survivor.send_signal(signal.SIGTERM)
    assert survivor.wait(10) == 0, survivor.log_path.read_text()

    final = steps(db, everything)
    assert sorted(final[s]["result"]["n"] for s in drained) == list(range(300))
    assert all(final[s]["attempt"] == 1 for s in drained)  # nothing handled twice
    pids = {w.pid for w in workers}
    assert {final[s]["result"]["pid"] for s in drained} <= pids
    # The expired lease counted as an attempt; a released one gives its attempt back.
    assert final[held_by_victim]["attempt"] == 2 and final[held_by_victim]["result"]["pid"] in pids
    assert final[other]["attempt"] == 1 and final[other]["result"]["pid"] == survivor.pid
    completions = db.execute("select step_id::text, count(*) as n from missions_private.events "
                             "where type = 'step.status_changed' and to_status = 'completed' "
                             "and step_id = any(%s::uuid[]) group by step_id", (everything,)).fetchall()
    assert len(completions) == len(everything) and {r["n"] for r in completions} == {1}


def run_worker(url: str, key: str, handlers, until, *, timeout: float = 20, **options) -> Worker:
    """Run a Worker in this process until `until()` is true (checked between loop turns), then stop it."""
    async def main() -> Worker:
        async with AsyncClient(url, key) as client:
            worker = Worker(client, handlers, **options)
            task = asyncio.create_task(worker.run())
            deadline = time.monotonic() + timeout
            while not until() and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            worker.stop()
            await asyncio.wait_for(task, 10)
            return worker

    return asyncio.run(main())


def test_heartbeats_keep_a_long_handler_lease(live_server, principals, db):
    step_kind(db, "drain_task")
    [step] = make_steps(db, principals["agent"]["id"], "drain_task", 1, 1)
    expiries = []

    async def slow(job: Job) -> dict:
        expiries.append(steps(db, [step])[step]["lease_expires_at"])
        await asyncio.sleep(1.2)  # heartbeats every 0.5 s (a tenth of the 5 s lease, at least 0.5 s)
        expiries.append(steps(db, [step])[step]["lease_expires_at"])
        return {"slow": True}

    run_worker(live_server, principals["agent"]["key"], {"drain_task": slow},
               lambda: steps(db, [step])[step]["status"] == "completed", heartbeat_fraction=0.1)
    assert expiries[1] > expiries[0]  # heartbeats extended the lease while the handler ran
    assert steps(db, [step])[step]["result"] == {"slow": True}


def test_failures_are_retried_unless_permanent(live_server, principals, db):
    step_kind(db, "drain_task", max_attempts=3, backoff_seconds=0)
    flaky, doomed = make_steps(db, principals["agent"]["id"], "drain_task", 2, 1)
    calls: dict[str, int] = {}

    def handler(job: Job) -> dict:
        calls[str(job.step_id)] = calls.get(str(job.step_id), 0) + 1
        if str(job.step_id) == doomed:
            raise PermanentFailure("the input can never work")
        if job.attempt == 1:
            raise RuntimeError("flaky upstream")
        return {"attempt": job.attempt}

    run_worker(live_server, principals["agent"]["key"], {"drain_task": handler},
               lambda: {s["status"] for s in steps(db, [flaky, doomed]).values()} == {"completed", "failed"})
    final = steps(db, [flaky, doomed])
    assert final[flaky]["status"] == "completed" and final[flaky]["result"] == {"attempt": 2}
    assert final[doomed]["status"] == "failed" and calls[doomed] == 1


def test_a_lost_lease_is_never_completed(live_server, principals, db):
    step_kind(db, "drain_task")
    [step] = make_steps(db, principals["agent"]["id"], "drain_task", 1, 1)
    finished = []

    async def handler(job: Job) -> dict:
        # Another claim takes the step over while this handler runs (a new lease token).
        db.execute("update missions_private.steps set lease_token = gen_random_uuid() where id = %s", (step,))
        await asyncio.sleep(2)
        finished.append(job.step_id)
        return {"late": True}

    run_worker(live_server, principals["agent"]["key"], {"drain_task": handler},
               lambda: False, timeout=1.5, heartbeat_fraction=0.1)
    final = steps(db, [step])[step]
    assert final["status"] == "in_progress" and final["result"] is None and finished == []


def test_concurrency_limit_and_stop_releases_the_held_leases(live_server, principals, db):
    step_kind(db, "drain_task")
    ids = make_steps(db, principals["agent"]["id"], "drain_task", 6, 1)
    running: list[int] = []
    peak = [0]

    async def handler(job: Job) -> dict:
        running.append(1)
        peak[0] = max(peak[0], len(running))
        await asyncio.sleep(60)  # held until the worker stops
        return {}

    run_worker(live_server, principals["agent"]["key"], {"drain_task": handler},
               lambda: sum(s["status"] == "in_progress" for s in steps(db, ids).values()) >= 3, concurrency=3)
    assert peak[0] == 3
    assert {s["status"] for s in steps(db, ids).values()} == {"ready"}  # the three held steps were given back


def test_the_cli_refuses_a_missing_key_or_bad_handlers(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "MISSIONS_API_KEY"} | {"PYTHONPATH": str(ROOT)}
    run = [sys.executable, "-m", "app.cli", "agent", "run"]
    out = subprocess.run([*run, "tests.helpers.agent_handlers:HANDLERS"], env=env, capture_output=True, text=True)
    assert out.returncode == 1 and "MISSIONS_API_KEY" in out.stderr
    out = subprocess.run([*run, "tests.helpers.agent_handlers:NOPE"], env=env | {"MISSIONS_API_KEY": "k"},
                         capture_output=True, text=True)
    assert out.returncode == 1 and "NOPE" in out.stderr

