"""Persistent missions (seed 004): owner, tasks over time, events, human input, external events,
resume from another conversation, autonomous checks, and idempotent job bodies."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.helpers.agents import as_agent, create_mission, mission_status, step_ids
from tests.helpers.principals import act_as, make_principal


@pytest.fixture
def setup(db, principals):
    user, agent = principals["participant"], principals["agent"]
    with db.transaction():
        act_as(db, agent)
        mission = str(db.execute("select missions.create_agent_mission(%s::jsonb) as id", (json.dumps({
            "type": "persistent", "title": "Schedule a meeting with John", "owner_id": user["id"],
            "conversation_id": "conv-A", "priority": "high", "can_run_autonomously": True,
            "tasks": [{"title": "Email John", "kind": "task"}, {"title": "Book the room", "kind": "task"}]}),
        )).fetchone()["id"])
    return {"user": user, "agent": agent, "mission": mission, "tasks": step_ids(db, mission)}


def call_as(db, who, query, *args):
    rows = as_agent(db, who, query, *args)
    if isinstance(rows, Exception):
        raise rows
    return rows


def test_a_persistent_mission_belongs_to_its_user_and_is_auto_approved(db, setup, principals):
    view = call_as(db, setup["user"], "select missions.agent_mission(%s) as m", setup["mission"])[0]["m"]
    assert view["type"] == "persistent" and view["owner_id"] == setup["user"]["id"]
    assert view["status"] == "assigned" and view["priority"] == 8 and view["priority_name"] == "high"
    assert view["created_by"] == setup["agent"]["id"] and view["conversation_id"] == "conv-A"
    assert [t["title"] for t in view["tasks"]] == ["Email John", "Book the room"]
    other = principals["other"]
    assert as_agent(db, other, "select missions.agent_mission(%s)", setup["mission"]).sqlstate == "MS404"
    assert call_as(db, other, "select * from missions.list_agent_missions()") == []


def test_tasks_added_updated_and_the_mission_completes(db, setup):
    agent, mission = setup["agent"], setup["mission"]
    added = call_as(db, agent, "select * from missions.add_task(%s, %s::jsonb)", mission,
                    json.dumps({"title": "Send the invite", "depends_on": []}))[0]
    assert added["status"] == "ready" and added["position"] == 3
    for task in setup["tasks"] + [str(added["id"])]:
        call_as(db, agent, "select * from missions.update_task(%s, %s, %s::jsonb)", mission, task,
                json.dumps({"status": "completed", "result": {"ok": True}}))
    assert mission_status(db, mission) == "completed"
    types = [r["type"] for r in db.execute("select type from missions_private.events where mission_id = %s order by id",
                                           (mission,))]
    assert types.count("mission.task_completed") == 3 and "mission.task_added" in types
    assert types[-1] == "mission.status_changed"
    with pytest.raises(psycopg.Error) as info:
        call_as(db, agent, "select * from missions.add_task(%s, '{\"title\": \"late\"}')", mission)
    assert info.value.sqlstate == "MS409"


def test_resume_from_a_new_conversation_returns_the_full_context(db, setup):
    agent, mission = setup["agent"], setup["mission"]
    call_as(db, agent, "select missions.log_mission_event(%s, 'user_message', %s::jsonb)", mission,
            json.dumps({"content": "Tuesday works", "conversation_id": "conv-A"}))
    call_as(db, agent, "select missions.log_mission_event(%s, 'agent_message', %s::jsonb)", mission,
            json.dumps({"content": "Booked", "conversation_id": "conv-A"}))
    # conversation B: the agent lists the user's missions, then resumes
    listed = call_as(db, agent, "select m from missions.list_agent_missions(array['assigned','active'], array['high']) m")
    assert [r["m"]["id"] for r in listed] == [mission]
    ctx = call_as(db, agent, "select missions.resume_mission(%s, 3, 'conv-B') as m", mission)[0]["m"]
    assert ctx["title"] == "Schedule a meeting with John" and len(ctx["tasks"]) == 2
    assert [e["type"] for e in ctx["recent_events"]] == ["mission.resumed", "mission.agent_message", "mission.user_message"]
    assert ctx["recent_events"][0]["payload"] == {"conversation_id": "conv-B"}
    assert ctx["recent_events"][2]["payload"]["content"] == "Tuesday works"


def test_human_input_makes_the_mission_wait_and_the_answer_resumes_it(db, setup):
    agent, user, mission, (task, _) = setup["agent"], setup["user"], setup["mission"], setup["tasks"]
    claim = call_as(db, agent, "select * from missions.claim_mission_step(%s, %s)", task, agent["id"])[0]
    request = call_as(db, agent, "select * from missions.request_human_input(%s, %s, %s, %s::jsonb)", mission, task,
                      "Which slot?", json.dumps({"options": ["Tue 10:00", "Wed 14:00"], "allow_freeform": False,
                                                 "urgency": "high"}))[0]
    assert mission_status(db, mission) == "waiting"
    row = db.execute("select status, lease_token from missions_private.steps where id = %s", (task,)).fetchone()
    assert row == {"status": "waiting_human", "lease_token": None}
    assert as_agent(db, agent, "select * from missions.complete_step(%s, %s, %s)", task, agent["id"],
                    claim["lease_token"]).sqlstate == "MS412"
    pending = call_as(db, user, "select id from missions.input_requests()")
    assert [r["id"] for r in pending] == [request["id"]]
    # agents do not answer for people; a bad choice is refused
    assert isinstance(as_agent(db, agent, "select * from missions.respond_to_input_request(%s, %s, '{}')",
                               request["id"], agent["id"]), psycopg.errors.InsufficientPrivilege)
    assert as_agent(db, user, "select * from missions.respond_to_input_request(%s, %s, %s::jsonb)", request["id"],
                    user["id"], json.dumps({"choice": "Fri"})).sqlstate == "MS422"
    answer = json.dumps({"choice": "Tue 10:00"})
    first = call_as(db, user, "select * from missions.respond_to_input_request(%s, %s, %s::jsonb)", request["id"],
                    user["id"], answer)[0]
    again = call_as(db, user, "select * from missions.respond_to_input_request(%s, %s, %s::jsonb)", request["id"],
                    user["id"], answer)[0]
    assert first["responded_at"] == again["responded_at"] and first["status"] == "responded"
    assert as_agent(db, user, "select * from missions.respond_to_input_request(%s, %s, %s::jsonb)", request["id"],
                    user["id"], json.dumps({"choice": "Wed 14:00"})).sqlstate == "MS409"
    assert mission_status(db, mission) == "in_progress"
    assert db.execute("select status from missions_private.steps where id = %s", (task,)).fetchone()["status"] == "ready"
    assert db.execute("select count(*) as n from missions_private.events where type = 'mission.user_message' "
                      "and mission_id = %s", (mission,)).fetchone()["n"] == 1


def test_unanswered_requests_expire(db, setup):
    agent, mission, (task, _) = setup["agent"], setup["mission"], setup["tasks"]
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    call_as(db, agent, "select * from missions.request_human_input(%s, %s, 'ok?', '{\"expires_in_seconds\": 3600}')",
            mission, task)
    db.execute("set missions.now = '2030-01-01 10:59:00+00'")
    assert db.execute("select missions.expire_input_requests() as n").fetchone()["n"] == 0
    db.execute("set missions.now = '2030-01-01 11:00:00+00'")
    assert db.execute("select missions.expire_input_requests() as n").fetchone()["n"] == 1
    assert db.execute("select missions.expire_input_requests() as n").fetchone()["n"] == 0
    assert mission_status(db, mission) == "in_progress"
    assert db.execute("select status from missions_private.input_requests").fetchone()["status"] == "expired"


@pytest.mark.parametrize("event_first", [False, True])
def test_an_external_event_unblocks_its_wait_whichever_comes_first(db, setup, event_first):
    agent, mission, (task, _) = setup["agent"], setup["mission"], setup["tasks"]
    key = "email_reply:track-42"
    if event_first:
        assert db.execute("select missions.deliver_external_event(%s, '{\"from\": \"john\"}', 'evt-1') as n",
                          (key,)).fetchone()["n"] == 0
    step = call_as(db, agent, "select * from missions.wait_for_external_event(%s, %s, %s)", mission, task, key)[0]
    if not event_first:
        assert step["status"] == "waiting_external" and mission_status(db, mission) == "waiting"
        assert db.execute("select missions.deliver_external_event(%s, '{\"from\": \"john\"}', 'evt-1') as n",
                          (key,)).fetchone()["n"] == 1
    row = db.execute("select status, attrs from missions_private.steps where id = %s", (task,)).fetchone()
    assert row["status"] == "ready" and row["attrs"]["external_event"] == {"from": "john"}
    assert mission_status(db, mission) == "in_progress"  # waited (however briefly), then resumed
    # the same event id again has one effect and gets the first answer (the missions it unblocked then)
    assert db.execute("select missions.deliver_external_event(%s, '{}', 'evt-1') as n", (key,)).fetchone()["n"] \
        == (0 if event_first else 1)
    assert db.execute("select count(*) as n from missions_private.events where type = 'mission.external_event'"
                      ).fetchone()["n"] == 1


def test_autonomous_check_publishes_ready_steps_every_5_minutes(db, setup):
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    assert db.execute("select missions.check_autonomous_missions() as n").fetchone()["n"] == 1
    assert db.execute("select missions.check_autonomous_missions() as n").fetchone()["n"] == 0
    work = [r["message"] for r in db.execute("select message from pgmq.q_agent_work order by msg_id")]
    assert [w["step_id"] for w in work] == [setup["tasks"][0]]
    db.execute("set missions.now = '2030-01-01 10:05:00+00'")
    assert db.execute("select missions.check_autonomous_missions() as n").fetchone()["n"] == 1


def test_every_agent_job_run_twice_does_nothing_the_second_time(db, principals):
    agent = principals["agent"]
    mission = create_mission(db, [{"title": "a", "kind": "task", "depends_on": []},
                                  {"title": "b", "kind": "task", "depends_on": []}], can_run_autonomously=True)
    first, second = step_ids(db, mission)
    db.execute("set missions.now = '2030-01-01 10:00:00+00'")
    call_as(db, agent, "select * from missions.claim_mission_step(%s, %s)", first, agent["id"])
    call_as(db, agent, "select * from missions.request_human_input(%s, %s, 'ok?', '{\"expires_in_seconds\": 60}')",
            mission, second)
    db.execute("set missions.now = '2030-01-01 11:00:00+00'")
    for job in ("expire_claims", "expire_input_requests", "check_autonomous_missions"):
        assert db.execute(f"select missions.{job}() as n").fetchone()["n"] == 1, job
        assert db.execute(f"select missions.{job}() as n").fetchone()["n"] == 0, job
    assert db.execute("select status, lease_token from missions_private.steps where id = %s", (first,)).fetchone() == \
        {"status": "ready", "lease_token": None}


def test_participants_create_persistent_missions_only_for_themselves(db, principals):
    me, other = principals["participant"], principals["other"]
    own = call_as(db, me, "select missions.create_agent_mission(%s::jsonb) as id",
                  json.dumps({"type": "persistent", "title": "Plan my week"}))[0]["id"]
    assert str(db.execute("select participant_id from missions_private.missions where id = %s", (own,)).fetchone()[
        "participant_id"]) == me["id"]
    err = as_agent(db, me, "select missions.create_agent_mission(%s::jsonb)",
                   json.dumps({"type": "persistent", "title": "x", "owner_id": other["id"]}))
    assert err.sqlstate == "MS403"
    assert as_agent(db, me, "select missions.create_agent_mission(%s::jsonb)",
                    json.dumps({"type": "ops", "title": "ops for me"})).sqlstate == "MS403"
    # without a type, a user's mission is persistent (seed 004) and theirs
    untyped = call_as(db, me, "select missions.create_agent_mission(%s::jsonb) as id",
                      json.dumps({"title": "no type"}))[0]["id"]
    assert db.execute("select m.participant_id::text as owner, a.kind from missions_private.missions m "
                      "join missions_private.agent_missions a on a.mission_id = m.id where m.id = %s",
                      (untyped,)).fetchone() == {"owner": me["id"], "kind": "persistent"}


def test_agents_see_only_missions_they_may_work_on(db, principals):
    atlas, scout = principals["agent"], make_principal(db, "agent", "Scout")
    named = create_mission(db, [{"title": "a", "kind": "task"}], lead_agent_id=atlas["id"])
    open_to_all = create_mission(db, [{"title": "a", "kind": "task"}])
    seen = lambda who: sorted(r["m"]["id"] for r in call_as(  # noqa: E731
        db, who, "select m from missions.list_agent_missions() m"))
    assert seen(atlas) == sorted([named, open_to_all]) and seen(scout) == [open_to_all]
    assert [str(r["id"]) for r in call_as(db, scout, "select id from missions_private.missions")] == [open_to_all]


def test_ops_steps_cannot_be_completed_without_a_claim(db, principals):
    agent = principals["agent"]
    mission = create_mission(db, [{"title": "a", "kind": "task"}])
    step = step_ids(db, mission)[0]
    err = as_agent(db, agent, "select * from missions.update_task(%s, %s, '{\"status\": \"completed\"}')", mission, step)
    assert err.sqlstate == "MS409"
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] == "ready"


def test_an_untrusted_task_added_to_an_approved_mission_needs_an_admin(db, setup, principals):
    agent, mission = setup["agent"], setup["mission"]
    err = as_agent(db, agent, "select * from missions.add_task(%s, '{\"title\": \"x\", \"kind\": \"code_generation\"}')",
                   mission)
    assert err.sqlstate == "MS403"
    added = call_as(db, principals["admin"], "select * from missions.add_task(%s, %s::jsonb)", mission,
                    json.dumps({"title": "x", "kind": "code_generation"}))
    assert added[0]["kind"] == "code_generation"
    assert call_as(db, agent, "select * from missions.add_task(%s, '{\"title\": \"y\"}')", mission)[0]["kind"] == "task"
