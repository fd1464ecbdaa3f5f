"""Holes found in review, pinned: unbound sessions, participants and ops missions, waits on
integration keys, lock order under concurrency, and a delivery racing a wait."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.helpers.agents import as_agent, create_mission, step_ids
from tests.helpers.principals import act_as, race


def test_a_login_whose_principal_was_deactivated_is_unauthenticated_not_an_owner(db, principals):
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'gone_direct') then "
               "create role gone_direct login in role missions_participant; end if; end $$")
    me = db.execute("select missions.create_principal('participant', 'Gone', '{\"db_role\": \"gone_direct\"}') as id"
                    ).fetchone()["id"]
    db.execute("update missions_private.principals set active = false where id = %s", (me,))
    db.execute("set session authorization gone_direct")
    try:
        for query, args in [("select * from missions.check_in(%s)", (principals["other"]["id"],)),
                            ("select * from missions.post_to_wall(%s, 'hi')", (principals["other"]["id"],)),
                            ("select missions.create_agent_mission('{\"type\": \"persistent\", \"title\": \"x\"}')", ())]:
            with pytest.raises(psycopg.Error) as info:
                db.execute(query, args)
            assert info.value.sqlstate == "MS401", query
        assert db.execute("select count(*) as n from missions.list_agent_missions()").fetchone()["n"] == 0
    finally:
        db.execute("reset session authorization")


def test_participants_cannot_create_or_approve_ops_missions(db, principals):
    me = principals["participant"]
    err = as_agent(db, me, "select missions.create_agent_mission(%s::jsonb)", json.dumps(
        {"type": "ops", "title": "x", "owner_id": me["id"], "steps": [{"title": "b", "kind": "backup"}]}))
    assert err.sqlstate == "MS403"
    ops = create_mission(db, [{"title": "b", "kind": "backup"}])
    db.execute("update missions_private.missions set participant_id = %s where id = %s", (me["id"], ops))
    err = as_agent(db, me, "select * from missions.approve_agent_mission(%s, %s)", ops, me["id"])
    assert err.sqlstate == "MS403"


def test_people_cannot_wait_on_integration_keys(db, principals):
    me = principals["participant"]
    with db.transaction():
        act_as(db, me)
        mission = str(db.execute("select missions.create_agent_mission(%s::jsonb) as id", (json.dumps(
            {"type": "persistent", "title": "x", "tasks": [{"title": "t"}]}),)).fetchone()["id"])
    err = as_agent(db, me, "select * from missions.wait_for_external_event(%s, %s, 'email_reply:T123')",
                   mission, step_ids(db, mission)[0])
    assert isinstance(err, psycopg.errors.InsufficientPrivilege)


def test_an_agent_cannot_take_a_step_another_agent_holds(db, principals):
    from tests.helpers.principals import make_principal

    atlas, scout = principals["agent"], make_principal(db, "agent", "Scout")
    mission = create_mission(db, [{"title": "s", "kind": "task"}])
    step = step_ids(db, mission)[0]
    as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", step, atlas["id"])
    err = as_agent(db, scout, "select * from missions.request_human_input(%s, %s, 'mine now?')", mission, step)
    assert err.sqlstate == "MS409"


def test_completing_and_asking_for_input_at_once_never_deadlock(db, connect, principals):
    agent = principals["agent"]
    for _ in range(15):
        mission = create_mission(db, [{"title": "s", "kind": "task"}])
        step = step_ids(db, mission)[0]
        claim = as_agent(db, agent, "select * from missions.claim_mission_step(%s, %s)", step, agent["id"])[0]
        a, b = connect(autocommit=True), connect(autocommit=True)
        results = race([
            lambda: as_agent(a, agent, "select * from missions.complete_step(%s, %s, %s)", step, agent["id"],
                             claim["lease_token"]),
            lambda: as_agent(b, agent, "select * from missions.request_human_input(%s, %s, 'ok?')", mission, step),
        ])
        assert not any(isinstance(r, psycopg.Error) and r.sqlstate == "40P01" for r in results), results
        a.close()
        b.close()


def test_a_delivery_racing_a_wait_is_never_lost(db, connect, principals):
    agent = principals["agent"]
    for i in range(15):
        mission = create_mission(db, [{"title": "s", "kind": "task"}])
        step = step_ids(db, mission)[0]
        key = f"email_reply:race-{i}"
        a, b = connect(autocommit=True), connect(autocommit=True)
        race([lambda: as_agent(a, agent, "select * from missions.wait_for_external_event(%s, %s, %s)",
                               mission, step, key),
              lambda: b.execute("select missions.deliver_external_event(%s)", (key,)).fetchall()])
        status = db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"]
        assert status == "ready", (i, status)
        a.close()
        b.close()


def test_a_deadlock_maps_to_a_retryable_409():
    from app.http.errors import code_for

    assert (code_for("40P01").status, code_for("40001").name) == (409, "conflict-retry")
