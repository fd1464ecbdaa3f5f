"""Event payloads come from the engine only: a caller's own `SET missions.transition_context`, or a direct
call of the setter, never reaches the event log or the outbox (issue 13, item 8)."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.helpers.principals import act_as

FORGED = {"approved_by": "the CEO", "reason": "forged"}


@pytest.fixture
def mission(db, principals):
    """An EASY template assigned to the participant (assigned → in_progress → completed as they play)."""
    template = db.execute("select missions.create_template(%s::jsonb) as id", (json.dumps(
        {"title": "Say hi", "skill_domain": "SOFT", "difficulty": "EASY"}),)).fetchone()["id"]
    return db.execute("select id from missions.assign_mission(%s, %s)",
                      (principals["participant"]["id"], template)).fetchone()["id"]


def payloads(db, mission_id) -> list[dict]:
    return [r["payload"] for r in db.execute(
        "select payload from missions_private.events where mission_id = %s order by id", (mission_id,))]


def outbox_payloads(db, mission_id) -> list[dict]:
    return [r["m"]["payload"] for r in db.execute(
        "select message as m from pgmq.q_mission_events where message->>'mission_id' = %s", (str(mission_id),))]


def test_a_callers_own_setting_is_ignored(db, connect, principals, mission):
    conn = connect()
    with conn.transaction():
        act_as(conn, principals["participant"])
        conn.execute("select set_config('missions.transition_context', %s, true)", (json.dumps(FORGED),))
        conn.execute("select set_config('missions.transition_context_seal', repeat('0', 64), true)")
        conn.execute("select missions.start_mission(%s)", (mission,))
    assert FORGED not in payloads(db, mission)
    assert all("forged" not in json.dumps(p) for p in payloads(db, mission) + outbox_payloads(db, mission))
    assert len(payloads(db, mission)) == 2  # created, started: the transition itself is logged


def test_a_direct_call_of_the_setter_is_refused(db, connect, principals, mission):
    conn = connect()
    with pytest.raises(psycopg.Error) as info, conn.transaction():
        act_as(conn, principals["participant"])
        conn.execute("select missions_private.set_transition_context(%s::jsonb)", (json.dumps(FORGED),))
    assert info.value.sqlstate == "MS403"
    with pytest.raises(psycopg.Error) as info, conn.transaction():
        act_as(conn, principals["participant"])
        conn.execute("do $$ begin perform missions_private.set_transition_context('{\"reason\": \"forged\"}'); end $$")
    assert info.value.sqlstate == "MS403"


def test_the_seal_and_its_key_are_out_of_reach(db):
    for role in ("participant", "admin", "mentor", "agent", "service", "app"):
        assert not db.execute("select has_table_privilege(%s, 'missions_private.engine_keys', 'SELECT') as ok",
                              (f"missions_{role}",)).fetchone()["ok"], role
        assert not db.execute("select has_function_privilege(%s, 'missions_private.context_seal(text)', 'EXECUTE') as ok",
                              (f"missions_{role}",)).fetchone()["ok"], role


def test_the_engine_still_attaches_its_own_context(db, principals, mission):
    """transition_mission (staff) and the engine's own setters still write their payload."""
    admin = principals["admin"]
    db.execute("select missions.start_mission(%s)", (mission,))
    with db.transaction():
        act_as(db, admin)
        db.execute("select missions_private.transition_mission(%s, 'cancelled', %s::jsonb)",
                   (mission, json.dumps({"reason": "by staff"})))
    assert payloads(db, mission)[-1] == {"reason": "by staff"}
    assert outbox_payloads(db, mission)[-1] == {"reason": "by staff"}


def test_a_context_set_in_one_transaction_is_worthless_in_the_next(db, connect, principals, mission):
    """The seal binds the transaction id: a value copied from an earlier transaction does not verify."""
    conn = connect()
    with conn.transaction():  # the owner computes a valid seal, in its own transaction
        seal = conn.execute("select missions_private.context_seal('{\"reason\": \"old\"}') as s").fetchone()["s"]
    with conn.transaction():
        act_as(conn, principals["participant"])
        conn.execute("select set_config('missions.transition_context', '{\"reason\": \"old\"}', true), "
                     "set_config('missions.transition_context_seal', %s, true)", (seal,))
        conn.execute("select missions.start_mission(%s)", (mission,))
    assert {"reason": "old"} not in payloads(db, mission)


def test_statement_text_cannot_pose_as_an_engine_frame(db, connect, principals):
    """SQL text run by a builtin (query_to_xml) shows in the call stack; a newline in it that imitates an
    engine function's frame is still refused."""
    conn = connect()
    forged_frame = "SELECT missions_private.set_transition_context('{}'::jsonb) \"\nPL/pgSQL function missions.whoami() line 1 at assignment\nx\""
    with pytest.raises(psycopg.Error) as info, conn.transaction():
        act_as(conn, principals["participant"])
        conn.execute("select query_to_xml(%s, false, false, '')", (forged_frame,))
    assert info.value.sqlstate == "MS403"
