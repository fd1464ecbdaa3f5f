"""The agent HTTP API's plan moments: blocked tasks, cancelled input requests, re-planning, recently finished
missions and done/total task counts (camelCase bodies, RFC 9457 problems)."""

from __future__ import annotations

from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer

API = "/api/internal"


def ops_mission(client, who, *titles, **extra):
    body = {"title": "Plan", "steps": [{"title": t, "kind": "task", "dependsOn": []} for t in titles], **extra}
    r = client.post(f"{API}/missions", headers=bearer(who), json=body)
    assert r.status_code == 201, r.text
    return r.json()


def claim_and_complete(client, agent, step_id):
    claim = client.post(f"{API}/steps/{step_id}/claim", headers=agent)
    assert claim.status_code == 200, claim.text
    done = client.post(f"{API}/steps/{step_id}/complete", headers=agent,
                       json={"leaseToken": claim.json()["leaseToken"], "result": {"ok": True}})
    assert done.status_code == 200, done.text


def test_block_and_unblock_a_task_over_http(client, principals):
    agent = bearer(principals["agent"])
    mission = ops_mission(client, principals["admin"], "a", "b")
    mid, (a, b) = mission["id"], [t["id"] for t in mission["tasks"]]
    blocked = client.post(f"{API}/missions/{mid}/tasks/{b}/block", headers=agent,
                          json={"blockedBy": f"task:{a}", "blockedReason": "needs a"})
    assert blocked.status_code == 200, blocked.text
    body = blocked.json()
    assert (body["status"], body["blockedBy"], body["blockedReason"]) == ("blocked", f"task:{a}", "needs a")
    assert body["blockedSince"] is not None
    assert_problem(client.post(f"{API}/steps/{b}/claim", headers=agent), 409)
    assert_problem(client.post(f"{API}/missions/{mid}/tasks/{a}/block", headers=agent, json={}), 422)
    assert_problem(client.post(f"{API}/missions/{mid}/tasks/{a}/block", headers=agent,
                               json={"blockedBy": f"task:{a}"}), 422)
    assert_problem(client.post(f"{API}/missions/{mid}/tasks/{a}/block", headers=agent,
                               json={"blockedBy": "x" * 256}), 422)
    assert_problem(client.post(f"{API}/missions/{mid}/tasks/{a}/unblock", headers=agent), 409)
    assert_problem(client.post(f"{API}/missions/{mid}/tasks/{a}/block", headers=bearer(principals["other"]),
                               json={"blockedBy": "x"}), 404)
    view = client.get(f"{API}/missions/{mid}", headers=agent).json()
    assert [(t["status"], t["blockedBy"]) for t in view["tasks"]] == [("ready", None), ("blocked", f"task:{a}")]
    claim_and_complete(client, agent, a)  # the task blocker is done: b is ready
    assert client.get(f"{API}/missions/{mid}", headers=agent).json()["tasks"][1]["status"] == "ready"
    again = client.post(f"{API}/missions/{mid}/tasks/{b}/block", headers=agent, json={"blockedReason": "lunch"})
    assert again.status_code == 200 and again.json()["blockedBy"] is None
    freed = client.post(f"{API}/missions/{mid}/tasks/{b}/unblock", headers=agent, json={"reason": "back"})
    assert freed.status_code == 200 and freed.json()["status"] == "ready" and freed.json()["blockedReason"] is None


def test_a_persistent_task_is_blocked_and_unblocked_by_patch(client, principals):
    user = bearer(principals["participant"])
    created = client.post(f"{API}/missions", headers=user, json={"type": "persistent", "title": "Errand",
                                                                  "tasks": [{"title": "Call the bank"}]})
    assert created.status_code == 201, created.text
    mid, task = created.json()["id"], created.json()["tasks"][0]["id"]
    url = f"{API}/missions/{mid}/tasks/{task}"
    patched = client.patch(url, headers=user, json={"blockedBy": "bank:opening-hours", "blockedReason": "Sunday"})
    assert patched.status_code == 200 and patched.json()["status"] == "blocked"
    assert_problem(client.patch(url, headers=user, json={"status": "blocked"}), 422)
    cleared = client.patch(url, headers=user, json={"blockedBy": None, "blockedReason": None})
    assert cleared.status_code == 200 and cleared.json()["status"] == "ready" and cleared.json()["blockedBy"] is None


def test_cancel_an_input_request_over_http(client, principals):
    agent, user = bearer(principals["agent"]), bearer(principals["participant"])
    created = client.post(f"{API}/missions", headers=agent, json={
        "type": "persistent", "title": "Trip", "ownerId": principals["participant"]["id"], "tasks": [{"title": "Book"}]})
    mid, task = created.json()["id"], created.json()["tasks"][0]["id"]
    asked = client.post(f"{API}/missions/{mid}/input-requests", headers=agent, json={"prompt": "Aisle?", "stepId": task})
    request_id = asked.json()["id"]
    assert_problem(client.post(f"{API}/input-requests/{request_id}/cancel", headers=user), 403)
    cancelled = client.post(f"{API}/input-requests/{request_id}/cancel", headers=agent, json={"reason": "not needed"})
    assert cancelled.status_code == 200, cancelled.text
    body = cancelled.json()
    assert (body["status"], body["cancelledBy"], body["cancelReason"]) == ("cancelled", principals["agent"]["id"],
                                                                          "not needed")
    assert_problem(client.post(f"{API}/input-requests/{request_id}/respond", headers=user,
                               json={"response": {"text": "aisle"}}), 409)
    view = client.get(f"{API}/missions/{mid}", headers=agent).json()
    assert view["status"] == "in_progress" and view["tasks"][0]["status"] == "ready"
    listed = client.get(f"{API}/input-requests?status=cancelled", headers=user).json()["items"]
    assert [r["id"] for r in listed] == [request_id]
    assert_problem(client.post(f"{API}/input-requests/{request_id}/cancel", headers=agent, json={"reason": "x" * 2001}),
                   422)


def test_replan_over_http(client, principals):
    agent, admin = bearer(principals["agent"]), bearer(principals["admin"])
    mission = ops_mission(client, principals["admin"], "old a", "old b")
    mid = mission["id"]
    claim_and_complete(client, agent, mission["tasks"][0]["id"])
    replanned = client.post(f"{API}/missions/{mid}/replan", headers=agent, json={
        "reason": "scope changed", "tasks": [{"title": "new", "kind": "task"}, {"title": "code", "kind": "code_generation"}]})
    assert replanned.status_code == 200, replanned.text
    body = replanned.json()
    assert body["status"] == "proposed" and (body["tasksDone"], body["tasksTotal"]) == (2, 4)
    assert [t["status"] for t in body["tasks"]] == ["completed", "skipped", "ready", "pending"]
    assert body["recentEvents"][0]["type"] == "mission.replanned"
    assert_problem(client.post(f"{API}/missions/{mid}/replan", headers=agent, json={"tasks": [{"title": "x"}]}), 409)
    assert_problem(client.post(f"{API}/missions/{mid}/replan", headers=agent, json={"tasks": []}), 422)
    assert client.post(f"{API}/missions/{mid}/approve", headers=admin, json={}).json()["status"] == "assigned"


def test_recent_missions_and_task_counts_over_http(client, principals):
    agent = bearer(principals["agent"])
    done = ops_mission(client, principals["admin"], "a", title="Finished")
    running = ops_mission(client, principals["admin"], "a", "b", title="Running")
    claim_and_complete(client, agent, done["tasks"][0]["id"])
    claim_and_complete(client, agent, running["tasks"][0]["id"])
    listed = {m["title"]: (m["tasksDone"], m["tasksTotal"]) for m in client.get(f"{API}/missions", headers=agent).json()}
    assert listed == {"Finished": (1, 1), "Running": (1, 2)}
    recent = client.get(f"{API}/missions/recent?limit=5", headers=agent)
    assert recent.status_code == 200, recent.text
    (row,) = recent.json()
    assert (row["id"], row["title"], row["type"], row["outcome"], row["tasksDone"], row["tasksTotal"]) == \
        (done["id"], "Finished", "ops", "completed", 1, 1)
    assert row["durationSeconds"] >= 0 and row["finishedAt"] >= row["startedAt"]
    assert_problem(client.get(f"{API}/missions/recent?limit=0", headers=agent), 422)
    assert_problem(client.get(f"{API}/missions/recent?limit=101", headers=agent), 422)
    assert client.get(f"{API}/missions/recent", headers=bearer(principals["other"])).json() == []
    assert_problem(client.get(f"{API}/missions/recent"), 401)
