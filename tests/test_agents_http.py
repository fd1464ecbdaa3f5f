"""The agent HTTP API: the worked agent loop, persistent missions, and 401/403/404/409/422/429."""

from __future__ import annotations

import uuid

from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer, make_principal

UNKNOWN = str(uuid.UUID(int=0xBEEF, version=4))


def new_ops_mission(client, who, **extra):
    body = {"title": "System health", "priority": 7, "reportLocation": "/reports/perf.md",
            "steps": [{"title": "Baseline", "kind": "health_check"}, {"title": "Logs", "kind": "log_analysis"}], **extra}
    r = client.post("/api/internal/missions", headers=bearer(who), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_the_agent_loop_claim_next_heartbeat_complete(client, principals):
    agent = bearer(principals["agent"])
    mission = new_ops_mission(client, principals["admin"], leadAgentId=principals["agent"]["id"])
    assert mission["status"] == "assigned" and mission["agents"] == [{"agentId": principals["agent"]["id"], "role": "lead"}]
    done = []
    while True:
        r = client.post("/api/internal/steps/claim-next", headers=agent, json={"kinds": ["health_check", "log_analysis"]})
        if r.status_code == 204:
            break
        assert r.status_code == 200, r.text
        claim = r.json()
        beat = client.post(f"/api/internal/steps/{claim['stepId']}/heartbeat", headers=agent,
                           json={"leaseToken": claim["leaseToken"]})
        assert beat.status_code == 200 and beat.json()["expiresAt"] >= claim["expiresAt"]
        ok = client.post(f"/api/internal/steps/{claim['stepId']}/complete", headers=agent,
                         json={"leaseToken": claim["leaseToken"], "result": {"healthy": True}})
        assert ok.status_code == 200 and ok.json()["status"] == "completed"
        done.append(claim["title"])
    assert done == ["Baseline", "Logs"]
    view = client.get(f"/api/internal/missions/{mission['id']}?include_recent_events=3", headers=agent).json()
    assert view["status"] == "completed" and [t["result"] for t in view["tasks"]] == [{"healthy": True}] * 2
    assert view["recentEvents"][0]["toStatus"] == "completed"


def test_claim_refusals_over_http(client, principals, db):
    agent, admin = bearer(principals["agent"]), bearer(principals["admin"])
    proposed = new_ops_mission(client, principals["admin"],
                               steps=[{"title": "Write code", "kind": "code_generation"}])
    step = proposed["tasks"][0]["id"]
    assert proposed["status"] == "proposed"
    assert_problem(client.post(f"/api/internal/steps/{step}/claim", headers=agent), 409, "illegal-transition")
    approved = client.post(f"/api/internal/missions/{proposed['id']}/approve", headers=admin, json={"reason": "ok"})
    assert approved.status_code == 200 and approved.json()["status"] == "assigned"
    claim = client.post(f"/api/internal/steps/{step}/claim", headers=agent)
    assert claim.status_code == 200
    assert_problem(client.post(f"/api/internal/steps/{step}/claim", headers=agent), 409)
    stale = {"leaseToken": UNKNOWN}
    assert_problem(client.post(f"/api/internal/steps/{step}/complete", headers=agent, json=stale), 409, "lease-lost")
    assert_problem(client.post(f"/api/internal/steps/{UNKNOWN}/claim", headers=agent), 404)
    assert_problem(client.post(f"/api/internal/steps/{step}/complete", headers=agent, json={"leaseToken": "nope"}), 422)
    assert_problem(client.post(f"/api/internal/steps/{step}/claim", headers=bearer(principals["participant"])), 403)
    assert_problem(client.post(f"/api/internal/steps/{step}/claim"), 401)
    # quota
    client.put("/api/internal/step-kinds/scrape", headers=admin, json={"trusted": True, "dailyQuota": 0})
    scrape = new_ops_mission(client, principals["admin"], steps=[{"title": "Scrape", "kind": "scrape"}])
    body = assert_problem(client.post(f"/api/internal/steps/{scrape['tasks'][0]['id']}/claim", headers=agent), 429,
                          "quota-exhausted")
    assert body["sqlstate"] == "MS429"
    assert client.get("/api/internal/quotas/scrape", headers=agent).json() == {"kind": "scrape", "remaining": 0}
    assert client.get("/api/internal/quotas/task", headers=agent).json() == {"kind": "task", "remaining": None}
    assert_problem(client.get("/api/internal/quotas/nope", headers=agent), 404)


def test_fail_and_release_over_http(client, principals):
    agent = bearer(principals["agent"])
    mission = new_ops_mission(client, principals["admin"])
    claim = client.post(f"/api/internal/steps/{mission['tasks'][0]['id']}/claim", headers=agent).json()
    released = client.post(f"/api/internal/steps/{claim['stepId']}/release", headers=agent,
                           json={"leaseToken": claim["leaseToken"]})
    assert released.json()["status"] == "ready"
    claim = client.post(f"/api/internal/steps/{claim['stepId']}/claim", headers=agent).json()
    failed = client.post(f"/api/internal/steps/{claim['stepId']}/fail", headers=agent,
                         json={"leaseToken": claim["leaseToken"], "error": "disk full", "retryable": False})
    assert failed.json()["status"] == "failed"
    assert client.get(f"/api/internal/missions/{mission['id']}", headers=agent).json()["status"] == "failed"


def test_persistent_mission_over_http(client, principals):
    agent, user = bearer(principals["agent"]), bearer(principals["participant"])
    created = client.post("/api/internal/missions", headers=agent, json={
        "type": "persistent", "title": "Schedule a meeting with John", "ownerId": principals["participant"]["id"],
        "conversationId": "conv-A", "priority": "urgent", "tasks": [{"title": "Email John"}]})
    assert created.status_code == 201, created.text
    mission = created.json()
    mid, task = mission["id"], mission["tasks"][0]["id"]
    listed = client.get("/api/internal/missions?status=assigned,active&priority=urgent&include_tasks=true"
                        "&include_recent_events=2", headers=user).json()
    assert [m["id"] for m in listed] == [mid] and len(listed[0]["tasks"]) == 1 and len(listed[0]["recentEvents"]) == 2
    assert client.get("/api/internal/missions", headers=bearer(principals["other"])).json() == []
    assert_problem(client.get(f"/api/internal/missions/{mid}", headers=bearer(principals["other"])), 404)
    added = client.post(f"/api/internal/missions/{mid}/tasks", headers=agent, json={"title": "Book room", "dependsOn": []})
    assert added.status_code == 201 and added.json()["status"] == "ready"
    logged = client.post(f"/api/internal/missions/{mid}/events", headers=agent,
                         json={"type": "user_message", "payload": {"content": "Tuesday?"}})
    assert logged.status_code == 201 and logged.json()["id"] > 0
    asked = client.post(f"/api/internal/missions/{mid}/input-requests", headers=agent,
                        json={"prompt": "Which slot?", "stepId": task, "options": ["Tue", "Wed"], "allowFreeform": False})
    assert asked.status_code == 201, asked.text
    request_id = asked.json()["id"]
    assert [r["id"] for r in client.get("/api/internal/input-requests", headers=user).json()["items"]] == [request_id]
    assert_problem(client.post(f"/api/internal/input-requests/{request_id}/respond", headers=agent,
                               json={"response": {"choice": "Tue"}}), 403)
    assert_problem(client.post(f"/api/internal/input-requests/{request_id}/respond", headers=user,
                               json={"response": {"choice": "Fri"}}), 422)
    answered = client.post(f"/api/internal/input-requests/{request_id}/respond", headers=user,
                           json={"response": {"choice": "Tue"}})
    assert answered.status_code == 200 and answered.json()["status"] == "responded"
    waiting = client.post(f"/api/internal/missions/{mid}/tasks/{task}/wait", headers=agent,
                          json={"key": "email_reply:abc"})
    assert waiting.json()["status"] == "waiting_external"
    delivered = client.post("/api/internal/external-events", headers=agent,
                            json={"key": "email_reply:abc", "payload": {"from": "john"}, "eventId": "e-1"})
    assert delivered.status_code == 202 and delivered.json() == {"missionsUnblocked": 1}
    patched = client.patch(f"/api/internal/missions/{mid}/tasks/{task}", headers=agent,
                           json={"status": "completed", "result": {"sent": True}})
    assert patched.status_code == 200 and patched.json()["status"] == "completed"
    paused = client.patch(f"/api/internal/missions/{mid}", headers=user, json={"status": "paused", "blockedBy": "holiday"})
    assert paused.status_code == 200 and paused.json()["status"] == "paused" and paused.json()["blockedBy"] == "holiday"
    resumed = client.post(f"/api/internal/missions/{mid}/resume", headers=agent,
                          json={"conversationId": "conv-B", "recentEvents": 50})
    body = resumed.json()
    assert resumed.status_code == 200 and body["status"] == "in_progress"
    types = [e["type"] for e in body["recentEvents"]]
    assert types[0] == "mission.resumed" and {"mission.user_message", "mission.external_event",
                                              "mission.input_requested", "mission.blocked"} <= set(types)
    assert body["recentEvents"][0]["payload"] == {"conversation_id": "conv-B"}  # user data keeps its keys


def test_agent_api_validation_and_auth(client, principals):
    agent = bearer(principals["agent"])
    for body in ({"title": ""}, {"title": "x", "priority": 11}, {"title": "x", "priority": "asap"},
                 {"title": "x", "steps": [{"title": "y", "kind": "teleport"}]}, {"title": "x", "colour": 1},
                 {"title": "x", "type": "persistent"}):
        assert_problem(client.post("/api/internal/missions", headers=agent, json=body), 422)
    assert_problem(client.get("/api/internal/missions"), 401)
    assert_problem(client.get(f"/api/internal/missions/{UNKNOWN}", headers=agent), 404)
    assert_problem(client.put("/api/internal/step-kinds/scrape", headers=agent, json={"trusted": True}), 403)
    assert_problem(client.put("/api/internal/step-kinds/Bad-Kind", headers=bearer(principals["admin"]), json={}), 422)
    assert_problem(client.post("/api/internal/external-events", headers=agent, json={"key": ""}), 422)
    assert_problem(client.post("/api/internal/external-events", headers=bearer(principals["participant"]),
                               json={"key": "k"}), 403)
    kinds = {k["kind"]: k for k in client.get("/api/internal/step-kinds", headers=agent).json()["items"]}
    assert kinds["health_check"]["trusted"] is True and kinds["code_generation"]["trusted"] is False


def test_agents_named_on_a_mission_are_the_only_ones_who_see_it(client, principals, db):
    scout = make_principal(db, "agent", "Scout")
    mission = new_ops_mission(client, principals["admin"], leadAgentId=principals["agent"]["id"])
    assert_problem(client.get(f"/api/internal/missions/{mission['id']}", headers=bearer(scout)), 404)
    assert_problem(client.post(f"/api/internal/steps/{mission['tasks'][0]['id']}/claim", headers=bearer(scout)), 403)
    assert client.get(f"/api/internal/missions/{mission['id']}", headers=bearer(principals["agent"])).status_code == 200
