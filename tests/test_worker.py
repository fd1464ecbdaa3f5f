"""`missions worker`: reads mission_events with the pgmq client and dispatches to handlers."""

from __future__ import annotations

import pytest

from app import worker
from tests.helpers.engagement import new_mission


@pytest.fixture
def queue(db, cluster):
    q = worker.open_queue(cluster.url(db.info.dbname, user="missions_app"))
    yield q
    q.pool.close()


@pytest.fixture
def recorded(monkeypatch):
    seen: list[dict] = []
    monkeypatch.setitem(worker.HANDLERS, "mission.status_changed", [seen.append])
    return seen


def depth(db, table: str = "q_mission_events") -> int:
    return db.execute(f"select count(*) as n from pgmq.{table}").fetchone()["n"]


def test_the_worker_dispatches_every_event_and_deletes_it(db, queue, recorded):
    mid = new_mission(db)
    db.execute("select missions_private.transition_mission(%s, 'in_progress')", (mid,))
    assert depth(db) == 2
    assert worker.process(queue, wait_seconds=0) == 2
    assert depth(db) == 0
    assert [(e["from_status"], e["to_status"]) for e in recorded] == [("assigned", "in_progress")]


def test_a_failing_handler_is_retried_then_archived(db, queue, monkeypatch):
    calls: list[int] = []

    def broken(event: dict) -> None:
        calls.append(event["id"])
        raise RuntimeError("integration down")

    monkeypatch.setitem(worker.HANDLERS, "mission.created", [broken])
    new_mission(db)
    for attempt in range(1, worker.MAX_READS + 1):
        assert worker.process(queue, wait_seconds=0) == 0
        if attempt < worker.MAX_READS:  # backing off: invisible until its retry time, which we skip to
            assert worker.process(queue, wait_seconds=0) == 0 and len(calls) == attempt
            db.execute("update pgmq.q_mission_events set vt = clock_timestamp()")
    assert len(calls) == worker.MAX_READS
    assert depth(db) == 0 and depth(db, "a_mission_events") == 1


def test_the_worker_runs_once_from_the_cli_entry_point(db, cluster, recorded):
    mid = new_mission(db)
    db.execute("select missions_private.transition_mission(%s, 'cancelled')", (mid,))
    assert worker.run(cluster.url(db.info.dbname, user="missions_app"), once=True) == 2
    assert [e["to_status"] for e in recorded] == ["cancelled"]


def test_the_worker_delivers_external_events_from_the_inbox_queue(db, queue, principals):
    from tests.helpers.agents import create_mission, step_ids

    mission = create_mission(db, [{"title": "wait for the reply", "kind": "task"}])
    step = step_ids(db, mission)[0]
    db.execute("select missions.wait_for_external_event(%s, %s, 'email_reply:7')", (mission, step))
    db.execute("select pgmq.send('external_events', '{\"key\": \"email_reply:7\", \"payload\": {\"ok\": true}}')")
    db.execute("select pgmq.send('external_events', '{\"no_key\": 1}')")  # malformed: retried, then archived
    assert worker.process(queue, name=worker.INBOX, handle=worker.deliver, wait_seconds=0) == 1
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] == "ready"
    assert depth(db, "q_external_events") == 1


def test_the_worker_acts_as_missions_app_even_on_a_superuser_login(db, cluster, recorded):
    import psycopg

    q = worker.open_queue(cluster.url(db.info.dbname))  # the superuser login, as MISSIONS_DATABASE_URL may be
    try:
        with q.pool.connection() as conn:
            assert conn.execute("select current_user, session_user").fetchone() == ("missions_app", "postgres")
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute("select count(*) from missions_private.api_keys")
        mid = new_mission(db)
        db.execute("select missions_private.transition_mission(%s, 'cancelled')", (mid,))
        assert worker.process(q, wait_seconds=0) == 2 and [e["to_status"] for e in recorded] == ["cancelled"]
    finally:
        q.pool.close()
