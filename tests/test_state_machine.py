"""One transition mechanism: allowed transitions are data, every change is checked by a trigger,
logged as an event, and that event is in the pgmq queue mission_events in the same transaction."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.types.json import Jsonb

from tests.helpers.engagement import new_mission
from tests.helpers.principals import act_as


def queued(db):
    return [r["message"] for r in db.execute(
        "select message from pgmq.q_mission_events order by msg_id").fetchall()]


def test_transitions_are_data(db):
    rows = db.execute("select count(*) as n from missions_private.transitions where entity = 'mission' "
                      "and from_status = 'submitted' and to_status = 'completed'").fetchone()
    assert rows["n"] == 1
    assert db.execute("select count(*) as n from missions_private.transitions where from_status in "
                      "('completed', 'failed', 'expired', 'cancelled') and entity = 'mission'").fetchone()["n"] == 0


def test_a_transition_writes_an_event_with_actor_and_payload_and_stamps_the_row(db, principals):
    me = principals["participant"]
    mid = new_mission(db, me["id"])
    db.execute("set missions.now = '2030-03-04 05:06:07+00'")
    with db.transaction():
        act_as(db, principals["admin"])
        row = db.execute("select * from missions_private.transition_mission(%s, 'in_progress', %s)",
                         (mid, Jsonb({"reason": "kick-off"}))).fetchone()
    assert row["status"] == "in_progress" and row["started_at"].year == 2030
    events = db.execute("select type, from_status, to_status, actor_id::text, participant_id::text, payload, "
                        "occurred_at from missions_private.events where mission_id = %s order by id", (mid,)).fetchall()
    assert [(e["type"], e["from_status"], e["to_status"]) for e in events] == [
        ("mission.created", None, "assigned"), ("mission.status_changed", "assigned", "in_progress")]
    assert events[1]["actor_id"] == principals["admin"]["id"]
    assert events[1]["participant_id"] == me["id"]
    assert events[1]["payload"] == {"reason": "kick-off"}
    assert events[1]["occurred_at"].year == 2030


def test_an_illegal_transition_raises_ms409_and_changes_nothing(db):
    mid = new_mission(db, status="assigned")
    db.execute("select missions_private.transition_mission(%s, 'in_progress')", (mid,))
    db.execute("select missions_private.transition_mission(%s, 'completed')", (mid,))
    events_before = db.execute("select count(*) as n from missions_private.events").fetchone()["n"]
    with pytest.raises(psycopg.Error) as info:
        db.execute("select missions_private.transition_mission(%s, 'in_progress')", (mid,))
    assert info.value.sqlstate == "MS409"
    assert "completed -> in_progress" in info.value.diag.message_primary
    assert db.execute("select status from missions_private.missions where id = %s", (mid,)).fetchone()["status"] == "completed"
    assert db.execute("select count(*) as n from missions_private.events").fetchone()["n"] == events_before


def test_set_based_updates_are_checked_too(db):
    a, b = new_mission(db), new_mission(db)
    db.execute("select missions_private.transition_mission(%s, 'cancelled')", (b,))
    with pytest.raises(psycopg.Error) as info:
        db.execute("update missions_private.missions set status = 'expired' where id in (%s, %s)", (a, b))
    assert info.value.sqlstate == "MS409"
    statuses = {r["status"] for r in db.execute("select status from missions_private.missions")}
    assert statuses == {"assigned", "cancelled"}
    db.execute("update missions_private.missions set status = 'expired' where id = %s", (a,))
    assert db.execute("select count(*) as n from missions_private.events where to_status = 'expired'").fetchone()["n"] == 1


def test_an_illegal_initial_status_is_refused(db):
    with pytest.raises(psycopg.Error) as info:
        new_mission(db, status="completed")
    assert info.value.sqlstate == "MS409"


def test_unknown_mission_is_ms404(db):
    with pytest.raises(psycopg.Error) as info:
        db.execute("select missions_private.transition_mission(gen_random_uuid(), 'in_progress')")
    assert info.value.sqlstate == "MS404"


def test_step_changes_are_checked_and_logged(db):
    mid = new_mission(db, steps=2)
    step = db.execute("select id from missions_private.steps where mission_id = %s and position = 1", (mid,)).fetchone()["id"]
    db.execute("update missions_private.steps set status = 'ready' where id = %s", (step,))
    db.execute("update missions_private.steps set status = 'in_progress' where id = %s", (step,))
    db.execute("update missions_private.steps set status = 'completed' where id = %s", (step,))
    row = db.execute("select started_at, completed_at from missions_private.steps where id = %s", (step,)).fetchone()
    assert row["started_at"] and row["completed_at"]
    with pytest.raises(psycopg.Error) as info:
        db.execute("update missions_private.steps set status = 'in_progress' where id = %s", (step,))
    assert info.value.sqlstate == "MS409"
    assert [r["to_status"] for r in db.execute(
        "select to_status from missions_private.events where step_id = %s order by id", (step,))] == \
        ["ready", "in_progress", "completed"]


def test_every_event_reaches_the_mission_events_queue_in_the_same_transaction(db):
    mid = new_mission(db)
    db.execute("select missions_private.transition_mission(%s, 'in_progress')", (mid,))
    messages = queued(db)
    ids = [r["id"] for r in db.execute("select id from missions_private.events order by id")]
    assert [m["id"] for m in messages] == ids
    assert messages[-1]["type"] == "mission.status_changed" and messages[-1]["mission_id"] == str(mid)


def test_a_rolled_back_transition_leaves_no_event_and_no_message(db):
    mid = new_mission(db)
    before = len(queued(db))
    with pytest.raises(RuntimeError):
        with db.transaction():
            db.execute("select missions_private.transition_mission(%s, 'in_progress')", (mid,))
            raise RuntimeError("abort")
    assert len(queued(db)) == before
    assert db.execute("select status from missions_private.missions where id = %s", (mid,)).fetchone()["status"] == "assigned"


def test_the_event_log_is_append_only(db):
    new_mission(db)
    for statement in ("update missions_private.events set type = 'x'", "delete from missions_private.events"):
        with pytest.raises(psycopg.Error) as info:
            db.execute(statement)
        assert info.value.sqlstate == "MS403"


def test_participants_see_only_their_own_missions_steps_and_events(db, principals):
    mine = new_mission(db, principals["participant"]["id"], steps=1)
    new_mission(db, principals["other"]["id"], steps=1)
    with db.transaction():
        act_as(db, principals["participant"])
        assert [r["id"] for r in db.execute("select id from missions_private.missions")] == [mine]
        assert {r["mission_id"] for r in db.execute("select mission_id from missions_private.steps")} == {mine}
        assert {r["mission_id"] for r in db.execute("select mission_id from missions_private.events")} == {mine}
    for role in ("mentor", "agent"):
        with db.transaction():
            act_as(db, principals[role])
            assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == 0
