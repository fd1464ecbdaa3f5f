"""The inbox against squatting (issue 13, item 6): external event ids are scoped by their sender, the
worker gives a message without an id a random one and deletes it in the delivering transaction, and an
agent delivers only events that steps of its own missions wait for."""

from __future__ import annotations

import re

import psycopg
import pytest

from app import worker
from tests.helpers.agents import as_agent, create_mission, step_ids
from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer, make_principal, race

DELIVER = "select missions.deliver_external_event(%s, %s::jsonb, %s) as n"
WAIT = "select * from missions.wait_for_external_event(%s, %s, %s)"


def step_status(db, step: str) -> str:
    return db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"]


def events(db, key: str) -> int:
    return db.execute("select count(*) as n from missions_private.external_events where key = %s", (key,)).fetchone()["n"]


def waiting(db, agent: dict, key: str, **spec) -> tuple[str, str]:
    """A mission (naming agents as spec says) whose one task the agent made wait on the key."""
    mission = create_mission(db, [{"title": "wait for the reply", "kind": "task"}], **spec)
    step = step_ids(db, mission)[0]
    rows = as_agent(db, agent, WAIT, mission, step, key)
    assert not isinstance(rows, Exception), rows
    assert step_status(db, step) == "waiting_external"
    return mission, step


@pytest.fixture
def scout(db):
    return make_principal(db, "agent", "Scout")


# ---- sender-scoped event ids ----------------------------------------------------------------------------

def test_ids_squatted_by_another_sender_do_not_block_real_events(db, principals, scout):
    """The attack of the issue: a squatter delivers events under the ids a real sender will use later.
    Each sender has its own ids, so the real events still unblock their waits."""
    real_service, squatter = principals["service"], make_principal(db, "service", "Squatter")
    _, squat_step = waiting(db, scout, "email_reply:scout-own")
    for event_id in ("evt-1", "pgmq:1", "pgmq:2"):  # the old worker fallback ids, too
        assert as_agent(db, squatter, DELIVER, "junk:1", "{}", event_id)[0]["n"] == 0
    assert as_agent(db, scout, DELIVER, "email_reply:scout-own", "{}", "evt-2")[0]["n"] == 1
    assert step_status(db, squat_step) == "ready"

    _, by_service = waiting(db, principals["agent"], "email_reply:a")
    _, by_worker = waiting(db, principals["agent"], "email_reply:b")
    _, by_agent = waiting(db, principals["agent"], "email_reply:c")
    assert as_agent(db, real_service, DELIVER, "email_reply:a", '{"from": "john"}', "evt-1")[0]["n"] == 1
    assert db.execute(DELIVER, ("email_reply:b", "{}", "pgmq:1")).fetchone()["n"] == 1  # the engine's scope
    assert as_agent(db, principals["agent"], DELIVER, "email_reply:c", "{}", "evt-2")[0]["n"] == 1
    assert {step_status(db, s) for s in (by_service, by_worker, by_agent)} == {"ready"}
    # within one sender's scope an id is still delivered once: the same id again is a no-op
    _, again = waiting(db, principals["agent"], "email_reply:d")
    assert as_agent(db, real_service, DELIVER, "email_reply:d", "{}", "evt-1").sqlstate == "MS422"  # other key
    db.execute("delete from missions_private.idempotency_keys")  # even once its replay is forgotten
    assert as_agent(db, real_service, DELIVER, "email_reply:d", "{}", "evt-1")[0]["n"] == 0
    assert step_status(db, again) == "waiting_external" and events(db, "email_reply:d") == 0
    senders = db.execute("select sender_id, event_id from missions_private.external_events where event_id = 'evt-1' "
                         "order by id").fetchall()
    assert [str(r["sender_id"]) for r in senders] == [squatter["id"], real_service["id"]]


def test_the_table_refuses_a_second_event_with_the_same_sender_and_id(db, principals):
    insert = ("insert into missions_private.external_events (key, sender_id, event_id) "
              "values ('k', %s, 'same')")
    db.execute(insert, (principals["service"]["id"],))
    db.execute(insert, (principals["admin"]["id"],))
    db.execute(insert, (None,))
    for sender in (principals["service"]["id"], None):  # the engine's scope (NULL) is one scope too
        with pytest.raises(psycopg.errors.UniqueViolation):
            db.execute(insert, (sender,))


def test_two_deliveries_of_the_same_sender_and_id_racing_do_the_work_once(db, connect, principals):
    service = principals["service"]
    for i in range(8):
        key = f"email_reply:race-{i}"
        _, step = waiting(db, principals["agent"], key)
        a, b = connect(autocommit=True), connect(autocommit=True)
        results = race([lambda: as_agent(a, service, DELIVER, key, '{"n": 1}', f"evt-race-{i}"),
                        lambda: as_agent(b, service, DELIVER, key, '{"n": 2}', f"evt-race-{i}")])
        # the second waits for the first's key, then replays its answer: one effect, the same answer
        assert [r[0]["n"] for r in results] == [1, 1], results
        assert events(db, key) == 1 and step_status(db, step) == "ready"
        a.close()
        b.close()


def test_two_engine_sessions_racing_with_one_id_do_the_work_once(db, connect, cluster):
    """The worker (the app's unbound login) and an owner session share the engine's scope but not an
    idempotency caller: the unique constraint alone makes their race one effect."""
    agent = make_principal(db, "agent", "Waiter")
    for i in range(8):
        key = f"email_reply:engine-{i}"
        _, step = waiting(db, agent, key)
        owner = connect(autocommit=True)
        app = psycopg.connect(cluster.url(db.info.dbname, user="missions_app"), autocommit=True)
        try:
            results = race([lambda: owner.execute(DELIVER, (key, "{}", f"evt-engine-{i}")).fetchone()["n"],
                            lambda: app.execute(DELIVER, (key, "{}", f"evt-engine-{i}")).fetchone()[0]])
        finally:
            app.close()
            owner.close()
        assert not any(isinstance(r, Exception) for r in results) and sorted(results) == [0, 1], results
        assert step_status(db, step) == "ready"
        assert db.execute("select count(*) as n from missions_private.events where type = 'mission.external_event' "
                          "and payload->>'key' = %s", (key,)).fetchone()["n"] == 1
    assert db.execute("select count(*) as n from missions_private.external_events where event_id like 'evt-engine-%' "
                      "and sender_id is null").fetchone()["n"] == 8


# ---- who delivers ---------------------------------------------------------------------------------------

def test_an_agent_cannot_satisfy_a_wait_of_a_mission_it_does_not_work_on(db, principals, scout):
    atlas = principals["agent"]
    # a mission naming Atlas, waiting because Atlas made it wait
    _, named_step = waiting(db, atlas, "email_reply:named", lead_agent_id=atlas["id"])
    # a mission naming nobody (any agent may see it), made to wait by Atlas
    _, open_step = waiting(db, atlas, "email_reply:open")
    for key in ("email_reply:named", "email_reply:open", "email_reply:nobody-waits"):
        err = as_agent(db, scout, DELIVER, key, '{"forged": true}', "forged-1")
        assert err.sqlstate == "MS403", (key, err)
    assert step_status(db, named_step) == step_status(db, open_step) == "waiting_external"
    assert db.execute("select count(*) as n from missions_private.external_events").fetchone()["n"] == 0
    assert db.execute("select count(*) as n from missions_private.idempotency_keys").fetchone()["n"] == 0
    # people do not deliver at all
    for person in (principals["participant"], principals["mentor"]):
        assert isinstance(as_agent(db, person, DELIVER, "email_reply:open", "{}", None),
                          psycopg.errors.InsufficientPrivilege)
    # an agent may not send an event nobody waits for yet (it would be kept for any later waiter)
    assert as_agent(db, atlas, DELIVER, "email_reply:nobody-waits", "{}", None).sqlstate == "MS403"
    # Atlas works on both: it delivers
    assert as_agent(db, atlas, DELIVER, "email_reply:named", '{"ok": 1}', "e-1")[0]["n"] == 1
    assert as_agent(db, atlas, DELIVER, "email_reply:open", '{"ok": 2}', "e-2")[0]["n"] == 1
    assert step_status(db, named_step) == step_status(db, open_step) == "ready"
    # its retry replays the answer although nobody waits any more
    assert as_agent(db, atlas, DELIVER, "email_reply:named", '{"ok": 1}', "e-1")[0]["n"] == 1


def test_an_agent_named_on_the_mission_delivers_for_a_wait_another_agent_made(db, principals, scout):
    atlas = principals["agent"]
    _, step = waiting(db, atlas, "email_reply:team", lead_agent_id=atlas["id"], supporting_agent_ids=[scout["id"]])
    assert as_agent(db, scout, DELIVER, "email_reply:team", "{}", "s-1")[0]["n"] == 1
    assert step_status(db, step) == "ready"


def test_an_agent_cannot_deliver_on_a_key_another_mission_also_waits_on(db, principals, scout):
    """An event unblocks every step waiting on its key, so an agent may send it only when all of them are
    its own; staff and the worker are not limited."""
    atlas = principals["agent"]
    _, mine = waiting(db, atlas, "email_reply:shared", lead_agent_id=atlas["id"])
    _, theirs = waiting(db, scout, "email_reply:shared", lead_agent_id=scout["id"])
    assert as_agent(db, atlas, DELIVER, "email_reply:shared", "{}", None).sqlstate == "MS403"
    assert as_agent(db, scout, DELIVER, "email_reply:shared", "{}", None).sqlstate == "MS403"
    assert as_agent(db, principals["admin"], DELIVER, "email_reply:shared", "{}", None)[0]["n"] == 2
    assert step_status(db, mine) == step_status(db, theirs) == "ready"


def test_the_waiter_is_forgotten_once_the_event_arrived(db, principals, scout):
    atlas = principals["agent"]
    mission, step = waiting(db, atlas, "email_reply:once")
    assert db.execute("select waited_by from missions_private.steps where id = %s", (step,)).fetchone()["waited_by"] \
        is not None
    assert db.execute(DELIVER, ("email_reply:once", "{}", None)).fetchone()["n"] == 1
    assert db.execute("select waited_by, wait_key from missions_private.steps where id = %s", (step,)).fetchone() \
        == {"waited_by": None, "wait_key": None}
    # Scout makes the same step wait again: now Scout is its waiter, and Atlas (named nowhere) is not
    assert not isinstance(as_agent(db, scout, WAIT, mission, step, "email_reply:twice"), Exception)
    assert as_agent(db, atlas, DELIVER, "email_reply:twice", "{}", None).sqlstate == "MS403"
    assert as_agent(db, scout, DELIVER, "email_reply:twice", "{}", None)[0]["n"] == 1


def test_an_unbound_login_that_is_not_the_app_cannot_deliver(db, principals):
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'inbox_direct') then "
               "create role inbox_direct login in role missions_agent; end if; end $$")
    db.execute("set session authorization inbox_direct")
    try:
        with pytest.raises(psycopg.Error) as info:
            db.execute(DELIVER, ("email_reply:x", "{}", None))
        assert info.value.sqlstate == "MS401"
    finally:
        db.execute("reset session authorization")


# ---- HTTP -----------------------------------------------------------------------------------------------

def test_http_delivery_follows_the_same_rules(client, db, principals, scout):
    atlas, service = principals["agent"], principals["service"]
    mission = create_mission(db, [{"title": "wait", "kind": "task"}], lead_agent_id=atlas["id"])
    task = step_ids(db, mission)[0]
    r = client.post(f"/api/internal/missions/{mission}/tasks/{task}/wait", headers=bearer(atlas),
                    json={"key": "email_reply:http"})
    assert r.json()["status"] == "waiting_external", r.text
    forged = {"key": "email_reply:http", "payload": {"forged": True}, "eventId": "h-1"}
    assert_problem(client.post("/api/internal/external-events", headers=bearer(scout), json=forged), 403)
    assert_problem(client.post("/api/internal/external-events", headers=bearer(principals["participant"]),
                               json=forged), 403)
    assert step_status(db, task) == "waiting_external" and events(db, "email_reply:http") == 0
    # a service squats the id h-1 (and the Idempotency-Key form of it) on another key first ...
    for body, headers in (({"key": "junk:http", "eventId": "h-1"}, {}), ({"key": "junk:http"}, {"Idempotency-Key": "h-2"})):
        r = client.post("/api/internal/external-events", headers={**bearer(service), **headers}, json=body)
        assert r.status_code == 202 and r.json() == {"missionsUnblocked": 0}
    # ... which does not stop the agent working on the mission from delivering under h-1
    r = client.post("/api/internal/external-events", headers=bearer(atlas),
                    json={"key": "email_reply:http", "payload": {"from": "john"}, "eventId": "h-1"})
    assert r.status_code == 202 and r.json() == {"missionsUnblocked": 1}, r.text
    assert step_status(db, task) == "ready"
    again = client.post("/api/internal/external-events", headers=bearer(atlas),
                        json={"key": "email_reply:http", "payload": {"from": "john"}, "eventId": "h-1"})
    assert again.status_code == 202 and again.json() == {"missionsUnblocked": 1}
    assert events(db, "email_reply:http") == 1


# ---- the worker -----------------------------------------------------------------------------------------

@pytest.fixture
def queue(db, cluster):
    q = worker.open_queue(cluster.url(db.info.dbname, user="missions_app"))
    yield q
    q.pool.close()


def time_out(db) -> None:
    """Every message read so far is visible again, as after a worker's visibility timeout."""
    db.execute("update pgmq.q_external_events set vt = clock_timestamp() - interval '1 second'")


def inbox_depth(db) -> int:
    return db.execute("select count(*) as n from pgmq.q_external_events").fetchone()["n"]


def send(db, body: str) -> int:
    return db.execute("select pgmq.send('external_events', %s::jsonb) as id", (body,)).fetchone()["id"]


def test_the_worker_gives_messages_without_an_id_distinct_random_ids(db, queue, principals):
    _, first = waiting(db, principals["agent"], "email_reply:w1")
    _, second = waiting(db, principals["agent"], "email_reply:w2")
    ids = [send(db, '{"key": "email_reply:w1"}'), send(db, '{"key": "email_reply:w2"}'),
           send(db, '{"key": "email_reply:w3"}')]
    assert worker.process(queue, name=worker.INBOX, handle=worker.deliver, wait_seconds=0) == 3
    assert step_status(db, first) == step_status(db, second) == "ready" and inbox_depth(db) == 0
    rows = db.execute("select sender_id, event_id from missions_private.external_events order by id").fetchall()
    assert all(r["sender_id"] is None for r in rows)  # the engine's scope
    event_ids = [r["event_id"] for r in rows]
    assert len(set(event_ids)) == 3 and all(re.fullmatch(r"worker:[0-9a-f]{32}", e) for e in event_ids)
    assert not {f"pgmq:{i}" for i in ids} & set(event_ids)


def test_a_message_event_id_is_the_engines_and_cannot_be_squatted(db, queue, principals):
    """A service (or an agent on its own key) used the message's id first: the worker still delivers."""
    as_agent(db, principals["service"], DELIVER, "junk:q", "{}", "hook-7")
    _, step = waiting(db, principals["agent"], "email_reply:q")
    send(db, '{"key": "email_reply:q", "payload": {"ok": true}, "event_id": "hook-7"}')
    send(db, '{"key": "email_reply:q", "payload": {"ok": false}, "event_id": "hook-7"}')  # a webhook retry
    assert worker.process(queue, name=worker.INBOX, handle=worker.deliver, wait_seconds=0) == 2
    assert step_status(db, step) == "ready"
    assert db.execute("select attrs->'external_event' as e from missions_private.steps where id = %s",
                      (step,)).fetchone()["e"] == {"ok": True}
    assert db.execute("select count(*) as n from missions_private.external_events where event_id = 'hook-7' "
                      "and sender_id is null").fetchone()["n"] == 1


def test_a_redelivered_message_is_a_no_op_and_a_failed_one_comes_back(db, queue, cluster, principals):
    _, step = waiting(db, principals["agent"], "email_reply:again")
    send(db, '{"key": "email_reply:again", "payload": {"n": 1}}')
    msg = queue.read(worker.INBOX, vt=30, qty=1)
    time_out(db)
    same = queue.read(worker.INBOX, vt=30, qty=1)
    assert same.msg_id == msg.msg_id
    worker.deliver(queue, msg)
    worker.deliver(queue, same)  # the message is gone: nothing happens, although its id would be new
    assert events(db, "email_reply:again") == 1 and step_status(db, step) == "ready" and inbox_depth(db) == 0
    # a delivery that fails rolls back the deletion with it: the message stays for its retry
    send(db, '{"key": ""}')
    bad = queue.read(worker.INBOX, vt=30, qty=1)
    with pytest.raises(psycopg.Error):
        worker.deliver(queue, bad)
    assert inbox_depth(db) == 1 and db.execute("select count(*) as n from missions_private.external_events "
                                                "where key = ''").fetchone()["n"] == 0


def test_two_workers_racing_for_one_message_deliver_it_once(db, cluster, principals):
    queues = [worker.open_queue(cluster.url(db.info.dbname, user="missions_app")) for _ in range(2)]
    try:
        for i in range(8):
            key = f"email_reply:workers-{i}"
            _, step = waiting(db, principals["agent"], key)
            send(db, f'{{"key": "{key}"}}')
            a = queues[0].read(worker.INBOX, vt=30, qty=1)
            time_out(db)
            b = queues[1].read(worker.INBOX, vt=30, qty=1)
            assert a.msg_id == b.msg_id
            results = race([lambda: worker.deliver(queues[0], a), lambda: worker.deliver(queues[1], b)])
            assert results == [None, None], results
            assert events(db, key) == 1 and step_status(db, step) == "ready" and inbox_depth(db) == 0
    finally:
        for q in queues:
            q.pool.close()
