"""Principals that change, over HTTP: PATCH /principals/{id} and GET /principals (issue 15)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from tests.helpers.agents import as_agent, create_mission, step_ids
from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer


def events(db, pid) -> list[tuple[str, object, object]]:
    return [(r["type"], r["payload"]["old"], r["payload"]["new"]) for r in db.execute(
        "select type, payload from missions_private.events where type like 'principal.%%' "
        "and payload->>'principal_id' = %s order by id",
        (pid,))]


def test_staff_patch_a_principal_in_camel_case_and_each_change_is_an_event(client, db, principals):
    admin, me = principals["admin"], principals["participant"]
    r = client.patch(f"/principals/{me['id']}", headers=bearer(admin),
                     json={"displayName": "Renamed", "level": "L3_EXPOSED", "tier": "STARTER", "cohort": "c7",
                           "timezone": "America/Sao_Paulo", "paused": True})
    assert r.status_code == 200, r.text
    body = r.json()
    assert (body["displayName"], body["level"], body["tier"], body["cohort"], body["timezone"], body["paused"]) == \
        ("Renamed", "L3_EXPOSED", "STARTER", "c7", "America/Sao_Paulo", True)
    assert [t for t, _, _ in events(db, me["id"])] == [
        "principal.renamed", "principal.level_changed", "principal.tier_changed", "principal.timezone_changed",
        "principal.cohort_changed", "principal.paused"]
    r = client.patch(f"/principals/{me['id']}", headers=bearer(principals["service"]), json={"cohort": None})
    assert r.status_code == 200 and r.json()["cohort"] is None
    assert events(db, me["id"])[-1] == ("principal.cohort_changed", "c7", None)
    same = client.patch(f"/principals/{me['id']}", headers=bearer(admin), json={"level": "L3_EXPOSED"})
    assert same.status_code == 200 and len(events(db, me["id"])) == 7  # nothing changed, nothing emitted


def test_a_participant_patches_only_their_own_name_and_time_zone(client, db, principals):
    me, other = principals["participant"], principals["other"]
    r = client.patch(f"/principals/{me['id']}", headers=bearer(me),
                     json={"displayName": "Me", "timezone": "Europe/Berlin"})
    assert r.status_code == 200 and (r.json()["displayName"], r.json()["timezone"]) == ("Me", "Europe/Berlin")
    assert_problem(client.patch(f"/principals/{me['id']}", headers=bearer(me), json={"level": "L5_CATALYST"}), 403)
    assert_problem(client.patch(f"/principals/{me['id']}", headers=bearer(me), json={"active": False}), 403)
    assert_problem(client.patch(f"/principals/{other['id']}", headers=bearer(me), json={"displayName": "x"}), 403)
    for role in ("mentor", "agent"):
        who = principals[role]
        assert_problem(client.patch(f"/principals/{who['id']}", headers=bearer(who), json={"displayName": "x"}), 403)
    assert [t for t, _, _ in events(db, me["id"])] == ["principal.renamed", "principal.timezone_changed"]
    assert events(db, other["id"]) == []


def test_bad_patches_are_4xx_problems(client, db, principals):
    admin, me = principals["admin"], principals["participant"]
    url = f"/principals/{me['id']}"
    body = assert_problem(client.patch(url, headers=bearer(admin), json={"timezone": "Mars/Olympus"}), 422)
    assert "time zone" in body["detail"]
    for bad in ({"colour": "red"}, {"level": "L9_GOD"}, {"tier": "GOLD"}, {"active": "no"}, {"displayName": ""},
                {"cohort": "c" * 101}):
        assert client.patch(url, headers=bearer(admin), json=bad).status_code in (400, 422), bad
    assert_problem(client.patch("/principals/00000000-0000-0000-0000-000000000001", headers=bearer(admin),
                                json={"level": "L1_ACTIVATED"}), 404)
    assert_problem(client.patch(url, json={"level": "L1_ACTIVATED"}), 401)
    assert events(db, me["id"]) == []


def test_deactivating_an_agent_over_http_ends_its_key_and_its_claim(client, db, principals):
    admin, atlas = principals["admin"], principals["agent"]
    mission = create_mission(db, [{"title": "health", "kind": "health_check"}])
    step = step_ids(db, mission)[0]
    claim = as_agent(db, atlas, "select * from missions.claim_mission_step(%s, %s)", step, atlas["id"])[0]
    assert client.get("/me", headers=bearer(atlas)).status_code == 200
    r = client.patch(f"/principals/{atlas['id']}", headers=bearer(admin), json={"active": False})
    assert r.status_code == 200 and r.json()["active"] is False
    assert_problem(client.get("/me", headers=bearer(atlas)), 401)
    done = client.post(f"/api/internal/steps/{step}/complete", headers=bearer(atlas),
                       json={"leaseToken": str(claim["lease_token"])})
    assert_problem(done, 401)
    assert db.execute("select status from missions_private.steps where id = %s", (step,)).fetchone()["status"] == "ready"
    assert events(db, atlas["id"]) == [("principal.deactivated", True, False)]


def test_staff_search_principals_with_filters_and_cursor(client, principals):
    admin = principals["admin"]
    r = client.get("/principals", headers=bearer(admin), params={"role": "participant", "limit": 2})
    assert r.status_code == 200, r.text
    first = r.json()
    assert len(first["items"]) == 2 and first["nextCursor"] and r.headers["X-Next-Cursor"] == first["nextCursor"]
    seen = [p["id"] for p in first["items"]]
    link = r.headers["Link"]
    query = parse_qs(urlsplit(link[1:link.index(">")]).query)
    assert query["role"] == ["participant"] and query["cursor"] == [first["nextCursor"]]
    nxt = client.get("/principals", headers=bearer(admin),
                     params={"role": "participant", "limit": 2, "cursor": first["nextCursor"]}).json()
    seen += [p["id"] for p in nxt["items"]]
    assert set(seen) == {principals["participant"]["id"], principals["other"]["id"]}
    assert nxt["nextCursor"] is None or nxt["items"] == []
    found = client.get("/principals", headers=bearer(principals["service"]), params={"q": "OTHER PART"}).json()
    assert [p["displayName"] for p in found["items"]] == ["Other participant"]
    assert all(p["role"] == "mentor" for p in client.get(
        "/principals", headers=bearer(admin), params={"role": "mentor", "active": "true"}).json()["items"])
    assert client.get("/principals", headers=bearer(admin), params={"level": "L0_APPLICANT"}).status_code == 200


def test_search_is_for_staff_and_validates_its_parameters(client, principals):
    for role in ("participant", "mentor", "agent"):
        assert_problem(client.get("/principals", headers=bearer(principals[role])), 403)
    assert_problem(client.get("/principals"), 401)
    admin = bearer(principals["admin"])
    for params in ({"role": "wizard"}, {"level": "L9"}, {"q": "x" * 201}, {"limit": 0}, {"cursor": "bm9wZQ"}):
        r = client.get("/principals", headers=admin, params=params)
        assert r.status_code in (400, 422), (params, r.text)
