"""Connection faults: while participants check in and submit, an admin approves and credits, and agents
claim and complete, a killer terminates random engine connections (pg_terminate_backend). Each client
reconnects and retries its operation, as a real client would; at the end nothing is half-done, nothing
happened twice, and every invariant holds.

`make test` runs a short version; `make chaos` a longer one with more clients."""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable

import psycopg
import psycopg.rows
import pytest

from tests.helpers.engagement import assign, make_template
from tests.helpers.principals import make_principal
from tests.helpers.reliability import record, violated_invariants

RETRYABLE = (psycopg.OperationalError, psycopg.errors.AdminShutdown, psycopg.InterfaceError)


class Client:
    """One engine connection (the app's login role acting as a principal) that survives being killed."""

    def __init__(self, dsn: str, principal: dict, name: str) -> None:
        self.dsn, self.principal, self.name = dsn, principal, name
        self.conn: psycopg.Connection | None = None
        self.reconnects = 0

    def call(self, sql: str, params: tuple = ()) -> list[tuple] | psycopg.Error:
        """Runs one statement in its own transaction; retries it after a lost connection; returns rows or
        the engine's refusal (a psycopg.Error with an MS... SQLSTATE)."""
        while True:
            try:
                if self.conn is None or self.conn.closed:
                    self.conn = psycopg.connect(self.dsn, autocommit=True, application_name=f"fault-{self.name}")
                    self.conn.execute("select set_config('role', %s, false), "
                                      "set_config('missions.principal_id', %s, false)",
                                      (f"missions_{self.principal['role']}", self.principal["id"]))
                return self.conn.execute(sql, params).fetchall()
            except RETRYABLE:
                self.reconnects += 1
                self.conn = None
                time.sleep(0.01)
            except psycopg.Error as exc:
                if exc.sqlstate and exc.sqlstate.startswith("MS"):
                    return exc
                raise

    def close(self) -> None:
        if self.conn is not None and not self.conn.closed:
            self.conn.close()


def killer(db_dsn: str, stop: threading.Event, every: float, kills: list[int]) -> None:
    rng = random.Random(11)
    with psycopg.connect(db_dsn, autocommit=True) as conn:
        while not stop.is_set():
            time.sleep(every * rng.uniform(0.5, 1.5))
            pids = [r[0] for r in conn.execute(
                "select pid from pg_stat_activity where application_name like 'fault-%' and datname = current_database()")]
            if pids:
                conn.execute("select pg_terminate_backend(%s)", (rng.choice(pids),))
                kills.append(1)


def run_fault_scenario(db, dsn: str, *, participants: int, agent_steps: int, agents: int, kill_every: float) -> dict:
    app_dsn = dsn.replace("postgresql://postgres@", "postgresql://missions_app@", 1)
    template = make_template(db, difficulty="MEDIUM", momentum=10, skill_xp=5)
    people = [make_principal(db, "participant", f"fault person {i}") for i in range(participants)]
    admin = make_principal(db, "admin", "fault admin")
    bots = [make_principal(db, "agent", f"fault agent {i}") for i in range(agents)]
    missions = {p["id"]: str(assign(db, p["id"], template)["id"]) for p in people}
    spec = {"title": "faults", "steps": [{"title": f"s{i}", "kind": "task", "depends_on": []} for i in range(agent_steps)]}
    db.execute("select missions.create_agent_mission(%s::jsonb)", (json.dumps(spec),))

    clients: list[Client] = []
    db_check = psycopg.connect(dsn, autocommit=True, row_factory=psycopg.rows.dict_row)  # shared by observers
    lock = threading.Lock()

    def observe(sql: str, params: tuple = ()) -> list[dict]:
        with lock:
            return db_check.execute(sql, params).fetchall()

    def participant(p: dict) -> Callable[[], None]:
        def run() -> None:
            c = Client(app_dsn, p, f"p-{p['id'][:8]}")
            clients.append(c)
            c.call("select * from missions.check_in(%s)", (p["id"],))
            c.call("select * from missions.start_mission(%s)", (missions[p["id"]],))
            c.call("select * from missions.submit_mission(%s, 'https://example.org/proof')", (missions[p["id"]],))
        return run

    def reviewer() -> None:
        c = Client(app_dsn, admin, "admin")
        clients.append(c)
        deadline = time.monotonic() + 120
        done: set[str] = set()
        while len(done) < participants and time.monotonic() < deadline:
            for (mission_id,) in c.call("select id from missions.pending_reviews()"):
                c.call("select * from missions.approve_mission(%s, %s)", (mission_id, admin["id"]))
            for p in people:  # a bonus each, retried under the same key: booked once
                c.call("select * from missions.credit(%s, 'SKILL_XP', 3, 'fault bonus', %s)", (p["id"], f"bonus:{p['id']}"))
            done = {str(r["id"]) for r in observe(
                "select id from missions_private.missions where status = 'completed' and id = any(%s::uuid[])",
                (list(missions.values()),))}
            time.sleep(0.05)

    def agent(bot: dict) -> Callable[[], None]:
        def run() -> None:
            c = Client(app_dsn, bot, f"a-{bot['id'][:8]}")
            clients.append(c)
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                claim = c.call("select step_id, lease_token from missions.claim_next_step(%s)", (bot["id"],))
                if isinstance(claim, psycopg.Error):
                    continue
                if not claim:
                    left = observe("""select count(*) as n from missions_private.steps
                                      where kind = 'task' and status <> 'completed'""")[0]["n"]
                    if left == 0:
                        return
                    time.sleep(0.05)
                    continue
                step, token = claim[0]
                c.call("select status from missions.complete_step(%s, %s, %s)", (step, bot["id"], token))
        return run

    stop, kills = threading.Event(), []
    k = threading.Thread(target=killer, args=(dsn, stop, kill_every, kills))
    workers = [threading.Thread(target=f) for f in
               [participant(p) for p in people] + [reviewer] + [agent(b) for b in bots]]
    started = time.monotonic()
    k.start()
    for w in workers:
        w.start()
    for w in workers:
        w.join(180)
    stop.set()
    k.join()
    for c in clients:
        c.close()
    db_check.close()
    return {"participants": participants, "agent_steps": agent_steps, "agents": agents, "killed_connections": len(kills),
            "reconnects": sum(c.reconnects for c in clients), "seconds": round(time.monotonic() - started, 1),
            "missions": missions, "people": people}


def check_outcome(db, figures: dict) -> None:
    people, missions = figures["people"], figures["missions"]
    statuses = {str(r["id"]): r["status"] for r in db.execute(
        "select id, status from missions_private.missions where id = any(%s::uuid[])", (list(missions.values()),))}
    assert set(statuses.values()) == {"completed"}, statuses
    ids = [p["id"] for p in people]
    per_person = db.execute("""
        select p.id,
               (select count(*) from missions_private.check_ins c where c.participant_id = p.id) as check_ins,
               (select count(*) from missions_private.mission_rewards r where r.participant_id = p.id) as rewards,
               (select count(*) from missions_private.ledger_entries e
                where e.participant_id = p.id and e.idempotency_key like 'bonus:%%') as bonuses
        from missions_private.principals p where p.id = any(%s::uuid[])""", (ids,)).fetchall()
    assert all((r["check_ins"], r["rewards"], r["bonuses"]) == (1, 1, 1) for r in per_person), per_person
    # no partial transition: every event row was published to the outbox in its transaction (no worker runs here)
    outbox = db.execute("""select (select count(*) from missions_private.events) as events,
                                  (select count(*) from pgmq.q_mission_events) as messages""").fetchone()
    assert outbox["events"] == outbox["messages"] > 0
    steps = db.execute("""select count(*) filter (where status = 'completed') as done, count(*) as all_steps,
                                 (select count(*) from missions_private.step_results where outcome = 'completed') as results
                          from missions_private.steps""").fetchone()
    assert steps["done"] == steps["all_steps"] == steps["results"] == figures["agent_steps"]
    assert violated_invariants(db) == {}


def public(figures: dict) -> dict:
    return {k: v for k, v in figures.items() if k not in ("missions", "people")}


def test_terminated_connections_leave_no_partial_state(db, dsn):
    figures = run_fault_scenario(db, dsn, participants=12, agent_steps=150, agents=4, kill_every=0.05)
    check_outcome(db, figures)
    assert figures["killed_connections"] >= 5, public(figures)
    record("connection_faults_small", public(figures))


@pytest.mark.chaos
def test_terminated_connections_under_heavier_load(db, dsn):
    figures = run_fault_scenario(db, dsn, participants=60, agent_steps=2000, agents=8, kill_every=0.02)
    check_outcome(db, figures)
    assert figures["killed_connections"] >= 50, public(figures)
    record("connection_faults", public(figures))
