"""A client written from seed 004 works as written: its example request, its snake_case bodies (beside the
documented camelCase), its user missions (persistent without a `type`), its `status=active` (every running
state) and its cross-conversation resume — over HTTP, and in SQL where the rule lives there."""

from __future__ import annotations

import json

import psycopg
import pytest

from tests.helpers.agents import as_agent, create_mission, step_ids
from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer

MISSIONS = "/api/internal/missions"


def seed_example(user_id: str, agent_id: str) -> dict:
    """Seed 004's "Testing Commands": the body of its `curl -X POST …/api/internal/missions`, word for word."""
    return {"title": "Test Mission", "user_id": user_id, "agent_id": agent_id, "conversation_id": "test-123"}


def listed(client, who, query: str) -> list[str]:
    r = client.get(f"{MISSIONS}?{query}", headers=bearer(who))
    assert r.status_code == 200, r.text
    return [m["id"] for m in r.json()]


def test_the_seed_example_creates_a_mission_that_is_listed_and_resumed_in_another_conversation(client, principals):
    """Seed 004's acceptance: create a mission in conversation A; conversation B lists it
    (`status=active,waiting`) and `mission_resume` loads its full context."""
    user, agent, hub = principals["participant"], principals["agent"], principals["service"]
    r = client.post(MISSIONS, headers=bearer(hub), json=seed_example(user["id"], agent["id"]))
    assert r.status_code == 201, r.text
    mission = r.json()
    assert mission["title"] == "Test Mission" and mission["type"] == "persistent"  # a user's mission, no `type`
    assert mission["ownerId"] == user["id"] and mission["conversationId"] == "test-123"
    assert mission["agents"] == [{"agentId": agent["id"], "role": "lead"}]
    assert mission["status"] == "assigned" and mission["createdBy"] == hub["id"]

    # conversation A: the agent adds a task and logs the user's message, in seed 004's words
    task = client.post(f"{MISSIONS}/{mission['id']}/tasks", headers=bearer(agent), json={"title": "Email John"})
    assert task.status_code == 201, task.text
    said = client.post(f"{MISSIONS}/{mission['id']}/events", headers=bearer(agent), json={
        "event_type": "user_message", "content": "Tuesday works", "conversation_id": "test-123",
        "agent_id": agent["id"], "metadata": {"channel": "chat"}})
    assert said.status_code == 201, said.text

    # conversation B: "What are my current tasks?" lists it, for the agent, the hub and the user alike
    for who in (agent, hub, user):
        assert listed(client, who, "status=active,waiting") == [mission["id"]]
    assert listed(client, principals["other"], "status=active,waiting") == []
    resumed = client.post(f"{MISSIONS}/{mission['id']}/resume", headers=bearer(agent),
                          json={"conversation_id": "conv-B", "include_recent_events": 5})
    assert resumed.status_code == 200, resumed.text
    context = resumed.json()
    assert context["title"] == "Test Mission" and [t["title"] for t in context["tasks"]] == ["Email John"]
    events = context["recentEvents"]
    assert events[0]["type"] == "mission.resumed" and events[0]["payload"] == {"conversation_id": "conv-B"}
    said_event = next(e for e in events if e["type"] == "mission.user_message")
    assert said_event["payload"] == {"content": "Tuesday works", "conversation_id": "test-123",
                                     "agent_id": agent["id"], "metadata": {"channel": "chat"}}


def test_every_internal_body_takes_snake_case_beside_camel_case(client, principals):
    admin, agent, user = bearer(principals["admin"]), principals["agent"], principals["participant"]
    snake = client.post(MISSIONS, headers=admin, json={
        "title": "Audit", "type": "ops", "lead_agent_id": agent["id"], "report_location": "/r.md",
        "can_run_autonomously": True, "due_at": "2099-01-01T00:00:00Z",
        "steps": [{"title": "Baseline", "kind": "health_check"},
                  {"title": "Logs", "kind": "log_analysis", "depends_on": [], "input": {"log_file": "a.log"}}]})
    assert snake.status_code == 201, snake.text
    mission = snake.json()
    assert mission["reportLocation"] == "/r.md" and mission["canRunAutonomously"] is True
    assert mission["dueAt"].startswith("2099-01-01") and mission["tasks"][1]["dependsOn"] == []
    assert mission["tasks"][1]["spec"] == {"input": {"log_file": "a.log"}}  # free JSON keeps its keys

    patched = client.patch(f"{MISSIONS}/{mission['id']}", headers=admin,
                           json={"blocked_by": "email_reply:42", "can_run_autonomously": False})
    assert patched.status_code == 200 and patched.json()["blockedBy"] == "email_reply:42"
    assert patched.json()["canRunAutonomously"] is False

    # the step API: claim, then heartbeat / complete with `lease_token`
    claim = client.post("/api/internal/steps/claim-next", headers=bearer(agent), json={"kinds": ["health_check"]})
    assert claim.status_code == 200, claim.text
    step, token = claim.json()["stepId"], claim.json()["leaseToken"]
    beat = client.post(f"/api/internal/steps/{step}/heartbeat", headers=bearer(agent), json={"lease_token": token})
    assert beat.status_code == 200, beat.text
    done = client.post(f"/api/internal/steps/{step}/complete", headers=bearer(agent),
                       json={"lease_token": token, "result": {"cpu_load": 0.4}})
    assert done.status_code == 200 and done.json()["status"] == "completed"
    view = client.get(f"{MISSIONS}/{mission['id']}?include_recent_events=1", headers=admin).json()
    assert view["tasks"][0]["result"] == {"cpu_load": 0.4}

    # a user's persistent mission asks them over HTTP in snake_case (seed 004's `task_id` for the step)
    mine = client.post(MISSIONS, headers=bearer(user), json={"title": "Plan", "tasks": [{"title": "Ask"}]}).json()
    task = mine["tasks"][0]["id"]
    asked = client.post(f"{MISSIONS}/{mine['id']}/input-requests", headers=bearer(agent), json={
        "prompt": "Which slot?", "task_id": task, "allow_freeform": False, "options": ["Tue", "Wed"],
        "expires_in_seconds": 3600, "conversation_id": "conv-A"})
    assert asked.status_code == 201, asked.text
    request = asked.json()
    assert request["stepId"] == task and request["allowFreeform"] is False and request["conversationId"] == "conv-A"
    answered = client.post(f"/api/internal/input-requests/{request['id']}/respond", headers=bearer(user),
                           json={"response": {"choice": "Tue"}})
    assert answered.status_code == 200 and answered.json()["status"] == "responded"

    upserted = client.put("/api/internal/step-kinds/triage", headers=admin,
                          json={"daily_quota": 5, "claim_ttl_seconds": 60, "max_attempts": 2})
    assert upserted.status_code == 200, upserted.text
    assert (upserted.json()["dailyQuota"], upserted.json()["claimTtlSeconds"], upserted.json()["maxAttempts"]) == (5, 60, 2)
    delivered = client.post("/api/internal/external-events", headers=admin,
                            json={"key": "email_reply:7", "event_id": "evt-1", "payload": {"thread_id": "t"}})
    assert delivered.status_code == 202, delivered.text


def test_one_field_under_two_names_must_agree(client, principals, db):
    agent, user = principals["agent"], principals["participant"]
    hub = bearer(principals["service"])
    before = db.execute("select count(*) as n from missions_private.missions").fetchone()["n"]
    for body, names in [
        ({"conversation_id": "a", "conversationId": "b"}, "conversation_id and conversationId"),
        ({"ownerId": principals["other"]["id"]}, "user_id and ownerId"),
        ({"agent_id": agent["id"], "lead_agent_id": principals["admin"]["id"]}, "agent_id and lead_agent_id"),
    ]:
        problem = assert_problem(client.post(MISSIONS, headers=hub, json={"title": "Twice", "user_id": user["id"],
                                                                           **body}), 422, "validation")
        assert names in problem["detail"] and "different values" in problem["detail"], problem
    nested = client.post(MISSIONS, headers=hub, json={"title": "Twice", "user_id": user["id"],
                                                      "tasks": [{"title": "a"}, {"title": "b", "depends_on": [1],
                                                                                 "dependsOn": []}]})
    assert "tasks[1]" in assert_problem(nested, 422, "validation")["detail"]
    assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == before

    same = client.post(MISSIONS, headers=hub, json={"title": "Twice", "user_id": user["id"], "ownerId": user["id"],
                                                    "conversation_id": "c", "conversationId": "c"})
    assert same.status_code == 201 and same.json()["ownerId"] == user["id"], same.text
    # unknown fields stay refused, in either spelling
    for unknown in ({"colour": "red"}, {"order": 1}, {"created_by_agent": agent["id"]}):
        assert_problem(client.post(MISSIONS, headers=hub, json={"title": "x", "user_id": user["id"], **unknown}), 422)
    assert_problem(client.post(f"{MISSIONS}/{same.json()['id']}/resume", headers=hub,
                               json={"recent_events": 2, "include_recent_events": 3}), 422, "validation")
    # an event's seed 004 fields fill its payload; the payload's own keys are kept as sent
    events = f"{MISSIONS}/{same.json()['id']}/events"
    clash = client.post(events, headers=hub, json={"type": "note", "content": "a", "payload": {"content": "b"}})
    assert "content" in assert_problem(clash, 422, "validation")["detail"]
    kept = client.post(events, headers=hub, json={"eventType": "note", "content": "a",
                                                  "payload": {"content": "a", "thread_id": "t-1"}})
    assert kept.status_code == 201, kept.text
    assert db.execute("select payload from missions_private.events where id = %s",
                      (kept.json()["id"],)).fetchone()["payload"] == {"content": "a", "thread_id": "t-1"}


def test_a_mission_for_a_user_without_a_type_is_persistent(client, principals, db):
    user, agent, admin = principals["participant"], principals["agent"], principals["admin"]
    for who, body in [(user, {"title": "Mine"}), (agent, {"title": "For Dana", "user_id": user["id"]}),
                      (admin, {"title": "For Dana", "ownerId": user["id"]})]:
        r = client.post(MISSIONS, headers=bearer(who), json=body)
        assert r.status_code == 201 and r.json()["type"] == "persistent" and r.json()["ownerId"] == user["id"], r.text
    # for nobody in particular it stays an ops mission; an explicit type is kept
    ops = client.post(MISSIONS, headers=bearer(admin), json={"title": "Health", "tasks": [{"title": "a"}]})
    assert ops.status_code == 201 and ops.json()["type"] == "ops" and ops.json()["ownerId"] is None
    explicit = client.post(MISSIONS, headers=bearer(admin), json={"title": "Ops for", "type": "ops", "user_id": user["id"]})
    assert explicit.status_code == 201 and explicit.json()["type"] == "ops"
    # the rule is the SQL function's: a direct call without a type behaves the same
    mission = as_agent(db, agent, "select missions.create_agent_mission(%s::jsonb) as id",
                       json.dumps({"title": "Direct", "owner_id": user["id"]}))[0]["id"]
    assert db.execute("select kind from missions_private.agent_missions where mission_id = %s",
                      (mission,)).fetchone()["kind"] == "persistent"


def statuses_in_filter(db, who, statuses) -> set[str]:
    rows = as_agent(db, who, "select m->>'status' as status from missions.list_agent_missions(%s) m", statuses)
    if isinstance(rows, psycopg.Error):
        raise rows
    return {r["status"] for r in rows}


def test_status_active_means_every_running_state_in_sql(db, principals):
    admin = principals["admin"]
    made = {}
    for status in ("proposed", "assigned", "in_progress", "waiting", "paused", "completed", "cancelled"):
        kind = "code_generation" if status == "proposed" else "task"  # untrusted: stays proposed
        made[status] = create_mission(db, [{"title": "one", "kind": kind}], title=status)
    moves = {"in_progress": ["in_progress"], "waiting": ["in_progress", "waiting"],
             "paused": ["in_progress", "paused"], "completed": ["in_progress", "completed"],
             "cancelled": ["cancelled"]}
    for status, path in moves.items():
        for to in path:
            db.execute("select missions_private.transition_mission(%s, %s)", (made[status], to))
    assert statuses_in_filter(db, admin, ["active"]) == {"assigned", "in_progress"}
    assert statuses_in_filter(db, admin, ["active", "waiting"]) == {"assigned", "in_progress", "waiting"}
    assert statuses_in_filter(db, admin, ["in_progress"]) == {"in_progress"}  # the stored names still work
    assert statuses_in_filter(db, admin, ["active", "assigned"]) == {"assigned", "in_progress"}
    assert db.execute("select missions_private.agent_status_filter(array['waiting', 'active']) as s"
                      ).fetchone()["s"] == ["assigned", "in_progress", "waiting"]
    with pytest.raises(psycopg.Error) as info:
        statuses_in_filter(db, admin, ["running"])
    assert info.value.sqlstate == "MS422" and "running" in str(info.value)
    assert step_ids(db, made["assigned"])  # the filter reads missions with steps like any other


def test_status_active_over_http(client, principals):
    admin, agent = bearer(principals["admin"]), principals["agent"]
    new = client.post(MISSIONS, headers=admin, json={"title": "New", "tasks": [{"title": "a"}]}).json()
    started = client.post(MISSIONS, headers=admin, json={"title": "Started", "tasks": [{"title": "a"}]}).json()
    client.patch(f"{MISSIONS}/{started['id']}", headers=admin, json={"status": "active"})  # write: in_progress
    waiting = client.post(MISSIONS, headers=admin, json={"title": "Waiting", "tasks": [{"title": "a"}]}).json()
    client.patch(f"{MISSIONS}/{waiting['id']}", headers=admin, json={"status": "in_progress"})
    client.patch(f"{MISSIONS}/{waiting['id']}", headers=admin, json={"status": "waiting"})
    assert new["status"] == "assigned"
    assert set(listed(client, agent, "status=active")) == {new["id"], started["id"]}
    assert set(listed(client, agent, "status=active,waiting")) == {new["id"], started["id"], waiting["id"]}
    assert listed(client, agent, "status=waiting") == [waiting["id"]]
    problem = assert_problem(client.get(f"{MISSIONS}?status=active,runing", headers=admin), 422)
    assert "runing" in problem["detail"]


def test_the_openapi_document_says_which_other_names_a_body_takes(client):
    spec = client.get("/schema/openapi.json").json()
    schemas = spec["components"]["schemas"]
    assert "`user_id` (or `userId`) is accepted for `ownerId`" in schemas["NewAgentMission"]["description"]
    assert "`conversation_id`" in schemas["NewAgentMission"]["description"]
    assert "`depends_on`" in schemas["NewTask"]["description"]  # nested bodies too
    assert "`lease_token`" in schemas["Lease"]["description"]
    assert "different values is 422" in schemas["Resumption"]["description"]
    # only /api/internal takes them: other areas' bodies say nothing of the kind
    assert "snake_case" not in schemas["NewLearningTemplate"].get("description", "")
    listing = next(p for p in spec["paths"][MISSIONS]["get"]["parameters"] if p["name"] == "status")
    assert "assigned, in_progress" in listing["description"]


def test_every_internal_route_reads_its_body_through_the_alias_request():
    """A route added under /api/internal (on a new controller too) takes seed 004's names only if it reads its
    body through AliasRequest: this fails for one that does not."""
    from app.http.agents.aliases import PREFIX, AliasRequest
    from app.http.app import create_app

    app = create_app(database_url="postgresql://nobody@127.0.0.1:1/none")
    handlers = [h for route in app.routes if route.path.startswith(PREFIX)
                for h in getattr(route, "route_handlers", [])]
    assert len(handlers) > 20
    assert [h.handler_name for h in handlers if h.resolve_request_class() is not AliasRequest] == []
