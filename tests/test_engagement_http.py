"""The engagement HTTP API: every endpoint's happy path, and 401/403/404/409/422 as problem+json."""

from __future__ import annotations

import uuid

import pytest

from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer

UNKNOWN = str(uuid.UUID(int=0xDEAD, version=4))


@pytest.fixture
def world(client, principals):
    """Templates created over HTTP by the admin: an EASY daily one and a MEDIUM one."""
    admin = bearer(principals["admin"])
    easy = client.post("/missions/admin/create", headers=admin, json={
        "title": "Record a 30-second intro video", "skillDomain": "SOFT", "difficulty": "EASY", "isDaily": True})
    assert easy.status_code == 201, easy.text
    medium = client.post("/missions/admin/create", headers=admin, json={
        "title": "Send 2 cold outreach messages", "skillDomain": "COMMERCIAL", "difficulty": "MEDIUM",
        "arenaPoints": 5})
    assert medium.status_code == 201, medium.text
    return {"easy": easy.json(), "medium": medium.json(), "admin": admin,
            "me": principals["participant"], "auth": bearer(principals["participant"]),
            "other": principals["other"]}


def assign_and_start(client, w, template):
    me = w["me"]["id"]
    m = client.post(f"/missions/{me}/assign/{template['id']}", headers=w["auth"], json={"deadlineDays": 3})
    assert m.status_code == 201, m.text
    started = client.post(f"/missions/{me}/start/{m.json()['id']}", headers=w["auth"])
    assert started.status_code == 200 and started.json()["status"] == "in_progress"
    return started.json()


def test_templates_are_listed_created_updated_and_toggled(client, world):
    admin = world["admin"]
    listed = client.get("/missions/all", headers=world["auth"]).json()
    assert {t["title"] for t in listed} == {world["easy"]["title"], world["medium"]["title"]}
    assert world["medium"]["arenaPoints"] == 5 and world["easy"]["momentum"] == 10 and world["easy"]["skillXp"] == 5
    patched = client.patch(f"/missions/admin/{world['easy']['id']}", headers=admin, json={"momentum": 15})
    assert patched.status_code == 200 and patched.json()["momentum"] == 15 and patched.json()["isDaily"] is True
    off = client.patch(f"/missions/admin/{world['easy']['id']}/status", headers=admin, json={"isActive": False})
    assert off.status_code == 200 and off.json()["isActive"] is False
    available = client.get(f"/missions/{world['me']['id']}/available", headers=world["auth"]).json()
    assert [t["id"] for t in available] == [world["medium"]["id"]]


def test_easy_mission_flow_pays_rewards(client, world):
    me = world["me"]["id"]
    mission = assign_and_start(client, world, world["easy"])
    assert [m["id"] for m in client.get(f"/missions/{me}/active", headers=world["auth"]).json()] == [mission["id"]]
    done = client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"],
                       json={"proofUrl": "https://video.example/1"})
    assert done.status_code == 200 and done.json()["status"] == "completed" and done.json()["completedAt"]
    balances = {b["currency"]: b["amount"] for b in client.get(f"/missions/{me}/balances", headers=world["auth"]).json()}
    assert balances == {"MOMENTUM": 10, "SKILL_XP": 5, "ARENA_POINTS": 0, "INCOME_PROOF": 0}
    ledger = client.get(f"/missions/{me}/ledger?limit=10", headers=world["auth"]).json()
    assert {e["reason"] for e in ledger} == {"MISSION_REWARD"} and len(ledger) == 2
    history = client.get(f"/missions/{me}", headers=world["auth"]).json()
    assert [m["status"] for m in history] == ["completed"]
    stats = client.get(f"/missions/{me}/stats", headers=world["auth"]).json()
    assert stats["triad"] == {"technical": 0, "soft": 5, "commercial": 0}
    assert stats["missions"] == {"completed": 1} and stats["completionRate"] == 1.0 and stats["currentStreak"] == 1  # the first request checked in


def test_medium_mission_review_flow(client, world):
    me = world["me"]["id"]
    mission = assign_and_start(client, world, world["medium"])
    no_proof = client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"], json={})
    assert assert_problem(no_proof, 422)["sqlstate"] == "MS422"
    sub = client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"],
                      json={"proofText": "Sent two DMs"})
    assert sub.json()["status"] == "submitted"
    pending = client.get("/missions/admin/pending", headers=world["admin"]).json()
    assert [m["id"] for m in pending] == [mission["id"]]
    ok = client.post(f"/missions/admin/{mission['id']}/approve", headers=world["admin"])
    assert ok.status_code == 200 and ok.json()["status"] == "completed" and ok.json()["reviewedBy"]
    again = client.post(f"/missions/admin/{mission['id']}/approve", headers=world["admin"])
    assert assert_problem(again, 409, "illegal-transition")["sqlstate"] == "MS409"
    arena = [b for b in client.get(f"/missions/{me}/balances", headers=world["auth"]).json()
             if b["currency"] == "ARENA_POINTS"]
    assert arena == [{"currency": "ARENA_POINTS", "amount": 5}]


def test_fail_with_reason(client, world):
    me = world["me"]["id"]
    mission = assign_and_start(client, world, world["medium"])
    client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"], json={"proofText": "x"})
    failed = client.post(f"/missions/admin/{mission['id']}/fail", headers=world["admin"], json={"reason": "blurry"})
    assert failed.status_code == 200 and failed.json()["status"] == "failed" and failed.json()["reviewNote"] == "blurry"


def test_duplicate_assignment_is_409(client, world):
    me = world["me"]["id"]
    url = f"/missions/{me}/assign/{world['easy']['id']}"
    assert client.post(url, headers=world["auth"]).status_code == 201
    body = assert_problem(client.post(url, headers=world["auth"]), 409, "duplicate")
    assert body["sqlstate"] == "23505"


def test_check_in_and_wall(client, world):
    me = world["me"]["id"]
    first = client.post(f"/missions/{me}/check-in", headers=world["auth"]).json()
    assert first["checkedIn"] is True and first["currentStreak"] == 1
    second = client.post(f"/missions/{me}/check-in", headers=world["auth"]).json()
    assert second["checkedIn"] is False and second["currentStreak"] == 1
    post = client.post(f"/missions/{me}/wall", headers=world["auth"], json={"body": "Shipped it #Cycle28"})
    assert post.status_code == 201, post.text
    # triad 0 + momentum 0 + streak 1*2 + arena 0 + hashtag 10 + recency 30
    assert post.json()["rankScore"] == 42.0
    feed = client.get("/wall", headers=bearer(world["other"])).json()
    assert [(p["body"], p["rankScore"]) for p in feed] == [("Shipped it #Cycle28", 42.0)]
    assert feed[0]["author"]
    tag = client.put("/missions/admin/campaign-hashtag", headers=world["admin"], json={"hashtag": "#Cycle29"})
    assert tag.status_code == 200 and tag.json() == {"hashtag": "#Cycle29"}


def test_ledger_writes_are_staff_only_and_idempotent(client, world, principals):
    me = world["me"]["id"]
    body = {"currency": "INCOME_PROOF", "amount": 3, "reason": "stipend", "idempotencyKey": "k-1"}
    first = client.post(f"/missions/{me}/credit", headers=bearer(principals["service"]), json=body)
    again = client.post(f"/missions/{me}/credit", headers=bearer(principals["service"]), json=body)
    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    debit = client.post(f"/missions/{me}/debit", headers=world["admin"],
                        json={"currency": "INCOME_PROOF", "amount": 10, "reason": "clawback"})
    assert debit.json()["amount"] == -3 and debit.json()["requested"] == -10
    assert_problem(client.post(f"/missions/{me}/credit", headers=world["auth"], json=body), 403)
    assert_problem(client.post(f"/missions/{me}/credit", headers=world["admin"],
                               json={**body, "amount": 0}), 422)
    assert_problem(client.post(f"/missions/{me}/credit", headers=world["admin"],
                               json={**body, "currency": "GOLD"}), 422)


def test_alerts_list_and_resolve(client, world, db):
    me = world["me"]["id"]
    db.execute("insert into missions_private.alerts (participant_id, type, severity) values (%s, 'LOW_MOMENTUM', 'HIGH')",
               (me,))
    mine = client.get("/alerts", headers=world["auth"]).json()["items"]
    assert [a["type"] for a in mine] == ["LOW_MOMENTUM"]
    assert client.get("/alerts", headers=bearer(world["other"])).json()["items"] == []
    alert_id = mine[0]["id"]
    assert_problem(client.post(f"/alerts/{alert_id}/resolve", headers=world["auth"], json={}), 403)
    done = client.post(f"/alerts/{alert_id}/resolve", headers=world["admin"], json={"notes": "called them"})
    assert done.status_code == 200 and done.json()["status"] == "resolved" and done.json()["notes"] == "called them"
    assert_problem(client.post(f"/alerts/{alert_id}/resolve", headers=world["admin"], json={}), 409)
    assert_problem(client.post(f"/alerts/{UNKNOWN}/resolve", headers=world["admin"], json={}), 404)
    assert [a["id"] for a in client.get("/alerts?status=resolved", headers=world["admin"]).json()["items"]] == [alert_id]
    assert_problem(client.get("/alerts?status=bogus", headers=world["admin"]), 422)


def test_assign_daily_and_admin_stats(client, world, db):
    db.execute("set missions.now = '2030-01-07 12:00:00+00'")  # not visible to the app: it runs at real time
    ran = client.post("/missions/admin/assign-daily", headers=world["admin"])
    assert ran.status_code == 200 and set(ran.json()) == {"assigned"}
    again = client.post("/missions/admin/assign-daily", headers=world["admin"]).json()
    assert again == {"assigned": 0}
    stats = client.get("/missions/admin/stats", headers=world["admin"]).json()
    assert set(stats) == {"participants", "missions", "completionRate", "pendingReviews", "openAlerts",
                          "currencyTotals", "templates"}
    assert stats["participants"]["total"] == 2 and stats["templates"] == {"active": 2, "daily": 1, "weekly": 0}


# ---- refusals, table-driven --------------------------------------------------------------------

def user_routes(me: str, mission: str, template: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("get", f"/missions/{me}", None), ("get", f"/missions/{me}/available", None),
        ("get", f"/missions/{me}/active", None), ("get", f"/missions/{me}/stats", None),
        ("post", f"/missions/{me}/assign/{template}", {}), ("post", f"/missions/{me}/start/{mission}", None),
        ("post", f"/missions/{me}/submit/{mission}", {}), ("post", f"/missions/{me}/check-in", None),
        ("get", f"/missions/{me}/balances", None), ("get", f"/missions/{me}/ledger", None),
        ("post", f"/missions/{me}/wall", {"body": "hi"}),
    ]


def admin_routes(mission: str, template: str) -> list[tuple[str, str, dict | None]]:
    return [
        ("post", "/missions/admin/create", {"title": "x", "skillDomain": "SOFT", "difficulty": "EASY"}),
        ("get", "/missions/admin/pending", None), ("post", f"/missions/admin/{mission}/approve", None),
        ("post", f"/missions/admin/{mission}/fail", {}), ("post", "/missions/admin/assign-daily", None),
        ("get", "/missions/admin/stats", None), ("patch", f"/missions/admin/{template}", {"momentum": 1}),
        ("patch", f"/missions/admin/{template}/status", {"isActive": True}),
        ("put", "/missions/admin/campaign-hashtag", {"hashtag": "#x"}),
    ]


def call(client, method, path, body, headers):
    kwargs = {"headers": headers}
    if body is not None:
        kwargs["json"] = body
    return getattr(client, method)(path, **kwargs)


def test_every_engagement_endpoint_needs_a_key(client, world):
    me = world["me"]["id"]
    routes = user_routes(me, UNKNOWN, world["easy"]["id"]) + admin_routes(UNKNOWN, world["easy"]["id"])
    routes += [("get", "/missions/all", None), ("get", "/wall", None), ("get", "/alerts", None)]
    for method, path, body in routes:
        assert_problem(call(client, method, path, body, {}), 401)


def test_participants_cannot_act_for_someone_else(client, world):
    other = world["other"]["id"]
    for method, path, body in user_routes(other, UNKNOWN, world["easy"]["id"]):
        r = call(client, method, path, body, world["auth"])
        assert r.status_code == 403, (method, path, r.text)


def test_participants_cannot_use_admin_endpoints(client, world):
    mission = assign_and_start(client, world, world["medium"])
    for method, path, body in admin_routes(mission["id"], world["easy"]["id"]):
        r = call(client, method, path, body, world["auth"])
        assert r.status_code == 403, (method, path, r.text)
    for method, path, body in user_routes(world["me"]["id"], UNKNOWN, world["easy"]["id"])[-1:]:
        assert call(client, method, path, body, world["auth"]).status_code == 201


def test_unknown_ids_are_404(client, world):
    me = world["me"]["id"]
    auth, admin = world["auth"], world["admin"]
    assert_problem(client.post(f"/missions/{me}/assign/{UNKNOWN}", headers=auth), 404)
    assert_problem(client.post(f"/missions/{me}/start/{UNKNOWN}", headers=auth), 404)
    assert_problem(client.post(f"/missions/{me}/submit/{UNKNOWN}", headers=auth, json={}), 404)
    assert_problem(client.post(f"/missions/admin/{UNKNOWN}/approve", headers=admin), 404)
    assert_problem(client.patch(f"/missions/admin/{UNKNOWN}", headers=admin, json={"momentum": 1}), 404)
    assert_problem(client.get(f"/missions/{UNKNOWN}/stats", headers=admin), 404)


def test_a_mission_is_reached_only_through_its_owner(client, world, principals):
    """The admin acting under the wrong userId gets 404, not someone else's mission."""
    mission = client.post(f"/missions/{world['me']['id']}/assign/{world['easy']['id']}", headers=world["auth"]).json()
    assert_problem(client.post(f"/missions/{world['other']['id']}/start/{mission['id']}", headers=world["admin"]), 404)


def test_state_conflicts_are_409(client, world):
    me = world["me"]["id"]
    mission = assign_and_start(client, world, world["easy"])
    assert_problem(client.post(f"/missions/{me}/start/{mission['id']}", headers=world["auth"]), 409)
    client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"], json={})
    assert_problem(client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"], json={}), 409)


@pytest.mark.parametrize("path_suffix, body", [
    ("assign", {"deadlineDays": 0}), ("assign", {"deadlineDays": "soon"}), ("assign", {"colour": 1}),
    ("wall", {"body": ""}), ("wall", {"body": "x" * 5001}), ("wall", {}),
])
def test_invalid_participant_input_is_422(client, world, path_suffix, body):
    me = world["me"]["id"]
    path = f"/missions/{me}/assign/{world['easy']['id']}" if path_suffix == "assign" else f"/missions/{me}/wall"
    assert_problem(client.post(path, headers=world["auth"], json=body), 422)


@pytest.mark.parametrize("body", [
    {"title": "x", "skillDomain": "MAGIC", "difficulty": "EASY"},
    {"title": "x", "skillDomain": "SOFT"},
    {"title": "", "skillDomain": "SOFT", "difficulty": "EASY"},
    {"title": "x", "skillDomain": "SOFT", "difficulty": "EASY", "momentum": -1},
    {"title": "x", "skillDomain": "SOFT", "difficulty": "EASY", "requiredLevel": "L9"},
])
def test_invalid_templates_are_422(client, world, body):
    assert_problem(client.post("/missions/admin/create", headers=world["admin"], json=body), 422)


def test_invalid_submission_proof_is_422(client, world):
    me = world["me"]["id"]
    mission = assign_and_start(client, world, world["medium"])
    r = client.post(f"/missions/{me}/submit/{mission['id']}", headers=world["auth"], json={"proofUrl": "ftp://x"})
    assert_problem(r, 422)
