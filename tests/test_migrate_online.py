"""`missions db migrate` while the engine serves: agents claim and complete steps over SQL and clients call the
HTTP API, two migrations run (the second changes a function the agents call), and no call fails. A migrate that
changes nothing re-creates no trigger or policy and replaces functions in place; what the checkout no longer
declares is dropped."""

from __future__ import annotations

import shutil
import threading
import time
from collections import Counter

import httpx
import psycopg

from app.db import migrate as migrate_module
from tests.helpers.agents import as_agent, create_mission
from tests.helpers.principals import bearer, make_principal

CATALOG = """
select (select array_agg(oid order by oid) from pg_trigger where tgrelid::regclass::text like 'missions_private.%%'
          and not tgisinternal) as triggers,
       (select array_agg(oid order by oid) from pg_policy) as policies,
       (select array_agg(p.oid order by p.oid) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
          where n.nspname in ('missions', 'missions_private')) as functions"""


def test_a_migrate_that_changes_nothing_recreates_no_trigger_or_policy(db, dsn):
    before = db.execute(CATALOG).fetchone()
    assert migrate_module.apply_functions_online(dsn) == 1
    assert db.execute(CATALOG).fetchone() == before  # same oids: replaced in place, nothing re-created


def test_a_migrate_drops_the_triggers_and_policies_the_checkout_no_longer_declares(db, dsn):
    db.execute("create trigger stale_trigger after insert on missions_private.alerts "
               "for each statement execute function missions_private.publish_events()")
    db.execute("create policy stale_policy on missions_private.alerts for select to missions_mentor using (true)")
    migrate_module.apply_functions_online(dsn)
    left = db.execute("select (select count(*) from pg_trigger where tgname = 'stale_trigger') as t, "
                      "(select count(*) from pg_policy where polname = 'stale_policy') as p").fetchone()
    assert left == {"t": 0, "p": 0}


def changed_checkout(tmp_path, marker: str):
    """A copy of sql/ in which missions.complete_step (called by every agent below) has a new body."""
    copy = tmp_path / "sql"
    shutil.copytree(migrate_module.SQL_DIR, copy)
    path = next(p for p in (copy / "functions").glob("*.sql")
                if "FUNCTION missions.complete_step(" in p.read_text())
    text = path.read_text()
    start = text.index("CREATE OR REPLACE FUNCTION missions.complete_step(")
    body = text.index("AS $fn$", start) + len("AS $fn$")
    path.write_text(text[:body] + f"\n-- {marker}" + text[body:])
    return copy


def test_migrate_twice_under_claim_and_http_load_fails_no_call(db, dsn, live_server, tmp_path, monkeypatch, connect):
    agents = [make_principal(db, "agent", f"agent-{i}") for i in range(4)]
    readers = [make_principal(db, "participant") for _ in range(2)]
    for _ in range(8):
        create_mission(db, [{"title": f"s{i}", "kind": "task", "depends_on": []} for i in range(100)])
    stop = threading.Event()
    done: Counter[str] = Counter()
    failures: list[str] = []
    lock = threading.Lock()

    def record(kind: str, error: object = None) -> None:
        with lock:
            if error is None:
                done[kind] += 1
            else:
                failures.append(f"{kind}: {error}")

    def agent_loop(agent: dict) -> None:
        conn = connect(autocommit=True)
        while not stop.is_set():
            claim = as_agent(conn, agent, "select * from missions.claim_next_step(%s, array['task'])", agent["id"])
            if isinstance(claim, Exception) or not claim:
                record("claim", claim if isinstance(claim, Exception) else None)
                continue
            c = claim[0]
            out = as_agent(conn, agent, "select status from missions.complete_step(%s, %s, %s, '{}'::jsonb)",
                           c["step_id"], agent["id"], c["lease_token"])
            record("complete", out if isinstance(out, Exception) else None)

    def http_loop(reader: dict) -> None:
        with httpx.Client(base_url=live_server, headers=bearer(reader), timeout=10) as client:
            while not stop.is_set():
                for path in ("/me", "/notifications/unread-count", f"/missions/{reader['id']}/stats"):
                    r = client.get(path)
                    record("http", None if r.status_code == 200 else f"{path} {r.status_code} {r.text[:200]}")

    threads = [threading.Thread(target=agent_loop, args=(a,)) for a in agents] + \
              [threading.Thread(target=http_loop, args=(r,)) for r in readers]
    for t in threads:
        t.start()
    messages: list[str] = []
    try:
        time.sleep(0.5)
        migrate_module.migrate(dsn, schedule_cron=False, progress=messages.append)  # `missions db migrate`
        monkeypatch.setattr(migrate_module, "SQL_DIR", changed_checkout(tmp_path, "changed under load"))
        migrate_module.migrate(dsn, schedule_cron=False, progress=messages.append)
        time.sleep(0.3)
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert failures == []
    assert done["complete"] > 50 and done["http"] > 50, done
    assert messages.count("applied functions, policies and grants") == 2  # neither had to retry for a lock
    source = db.execute("select prosrc from pg_proc where oid = 'missions.complete_step(uuid, uuid, uuid, jsonb, text)'"
                        "::regprocedure").fetchone()["prosrc"]
    assert "changed under load" in source


def test_a_lock_conflict_makes_migrate_retry_instead_of_queueing(db, dsn, monkeypatch):
    """A policy change needs its table exclusively: while a transaction holds the table, the migration gives up
    after lock_timeout, leaves no waiting lock in front of other sessions, and succeeds once the table is free."""
    monkeypatch.setattr(migrate_module, "LOCK_TIMEOUT_MS", 100)
    db.execute("comment on policy alerts_staff on missions_private.alerts is 'changed by hand'")  # forces a re-create
    holder = psycopg.connect(dsn)
    holder.execute("select count(*) from missions_private.alerts")  # ACCESS SHARE, held until commit
    messages: list[str] = []
    releaser = threading.Timer(0.5, holder.commit)
    releaser.start()
    try:
        attempts = migrate_module.apply_functions_online(dsn, progress=messages.append)
    finally:
        releaser.join()
        holder.close()
    assert attempts > 1 and all("lock conflict" in m for m in messages)
    mark = db.execute("select obj_description(oid, 'pg_policy') as c from pg_policy where polname = 'alerts_staff'"
                      ).fetchone()["c"]
    assert mark.startswith("declared by migrate")
