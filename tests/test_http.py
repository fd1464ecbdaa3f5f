"""The HTTP skeleton: auth, roles, problem+json errors, health, metrics and the OpenAPI document."""

from __future__ import annotations

import pytest

from tests.helpers.http import assert_problem
from tests.helpers.principals import bearer


def test_health_reports_database_pg_cron_and_pgmq(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok", "database": "ok", "pgCron": "ok", "pgmq": "ok"}


def test_metrics_are_prometheus_text(client, principals):
    r = client.get("/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "# TYPE missions_queue_depth gauge" in text
    assert 'missions_queue_depth{queue="mission_events"} ' in text
    assert 'missions_principals{role="participant"} 2' in text
    assert "missions_events_total " in text
    assert "missions_claims_active 0" in text and 'missions_alerts_open{type="LOW_MOMENTUM"} 0' in text


def test_openapi_documents_every_operation_and_its_errors(client):
    spec = client.get("/schema/openapi.json").json()
    operations = [op for path in spec["paths"].values() for op in path.values()]
    assert len(operations) >= 7
    assert all(op.get("operationId") for op in operations)
    create = spec["paths"]["/admin/principals"]["post"]
    assert {"401", "403", "422"} <= set(create["responses"])
    assert "application/problem+json" in create["responses"]["403"]["content"]
    assert spec["components"]["securitySchemes"]["BearerAuth"]["scheme"] == "bearer"
    assert "displayName" in spec["components"]["schemas"]["NewPrincipal"]["properties"]
    assert client.get("/schema").status_code == 200  # the docs page


def test_me_returns_the_caller_in_camel_case(client, principals):
    me = principals["participant"]
    r = client.get("/me", headers=bearer(me))
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == me["id"] and body["role"] == "participant"
    assert {"displayName", "createdAt", "timezone", "tier", "level"} <= set(body)
    assert "dbRole" not in body and "db_role" not in body


@pytest.mark.parametrize("headers", [
    {}, {"Authorization": "Basic dXNlcjpwYXNz"}, {"Authorization": "Bearer "},
    {"Authorization": "Bearer mk_unknown_key"}, {"Authorization": "Bearer " + "x" * 5000},
])
def test_missing_or_invalid_keys_are_401(client, headers):
    body = assert_problem(client.get("/me", headers=headers), 401, "unauthenticated")
    assert body["detail"]


def test_401_carries_www_authenticate(client):
    assert client.get("/me").headers["www-authenticate"] == "Bearer"


def test_a_revoked_key_is_401(client, principals):
    admin, me = principals["admin"], principals["participant"]
    keys = client.get(f"/admin/principals/{me['id']}/api-keys", headers=bearer(admin)).json()["items"]
    assert len(keys) == 1 and keys[0]["revokedAt"] is None
    r = client.delete(f"/admin/api-keys/{keys[0]['id']}", headers=bearer(admin))
    assert r.status_code == 200 and r.json()["revokedAt"]
    assert_problem(client.get("/me", headers=bearer(me)), 401)


@pytest.mark.parametrize("role", ["admin", "service"])
def test_staff_enrol_principals_and_the_new_key_works(client, principals, role):
    r = client.post("/admin/principals", headers=bearer(principals[role]),
                    json={"role": "participant", "displayName": "Nia", "timezone": "Asia/Tokyo",
                          "tier": "PREMIUM", "keyLabel": "phone"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["principal"]["timezone"] == "Asia/Tokyo" and body["principal"]["tier"] == "PREMIUM"
    me = client.get("/me", headers={"Authorization": f"Bearer {body['apiKey']}"}).json()
    assert me["id"] == body["principal"]["id"] and me["displayName"] == "Nia"


@pytest.mark.parametrize("role", ["participant", "mentor", "agent"])
def test_non_staff_are_403_on_admin_endpoints(client, principals, role):
    who = principals[role]
    assert_problem(client.post("/admin/principals", headers=bearer(who),
                               json={"role": "admin", "displayName": "Mallory"}), 403, "forbidden")
    assert_problem(client.get(f"/admin/principals/{who['id']}/api-keys", headers=bearer(who)), 403)
    assert_problem(client.post(f"/admin/principals/{who['id']}/api-keys", headers=bearer(who), json={}), 403)


def test_admin_endpoints_without_a_key_are_401(client):
    assert_problem(client.post("/admin/principals", json={"role": "admin", "displayName": "x"}), 401)


@pytest.mark.parametrize("payload, status", [
    ({"role": "wizard", "displayName": "x"}, 422),
    ({"role": 7, "displayName": "x"}, 422),
    ({"role": "participant"}, 422),
    ({"role": "participant", "displayName": ""}, 422),
    ({"role": "participant", "displayName": "x" * 201}, 422),
    ({"role": "participant", "displayName": "x", "colour": "red"}, 422),
    ({"role": "participant", "displayName": "x", "timezone": "Mars/Olympus"}, 422),
    ([1, 2, 3], 422),
])
def test_invalid_bodies_are_422_problems_and_store_nothing(client, principals, db, payload, status):
    before = db.execute("select count(*) as n from missions_private.principals").fetchone()["n"]
    assert_problem(client.post("/admin/principals", headers=bearer(principals["admin"]), json=payload), status)
    assert db.execute("select count(*) as n from missions_private.principals").fetchone()["n"] == before


def test_a_database_validation_error_carries_its_sqlstate_and_hint(client, principals):
    body = assert_problem(client.post("/admin/principals", headers=bearer(principals["admin"]),
                                      json={"role": "participant", "displayName": "x", "timezone": "Mars/Olympus"}),
                          422, "validation")
    assert body["sqlstate"] == "MS422" and "time zone" in body["detail"] and body["hint"]


@pytest.mark.parametrize("raw", [b'{"role": "participant",', b"not json", b"\xff\xfe"])
def test_malformed_json_is_a_4xx_problem(client, principals, raw):
    r = client.post("/admin/principals", headers={**bearer(principals["admin"]), "content-type": "application/json"},
                    content=raw)
    assert r.status_code in (400, 422)
    assert_problem(r, r.status_code)


def test_oversized_bodies_are_413(client, principals):
    r = client.post("/admin/principals", headers={**bearer(principals["admin"]), "content-type": "application/json"},
                    content=b'{"role": "participant", "displayName": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert_problem(r, 413)


def test_unknown_and_foreign_principals_are_404(client, principals):
    me = principals["participant"]
    assert client.get(f"/principals/{me['id']}", headers=bearer(me)).status_code == 200
    assert_problem(client.get(f"/principals/{principals['other']['id']}", headers=bearer(me)), 404, "not-found")
    unknown = "00000000-0000-4000-8000-00000000dead"
    assert_problem(client.get(f"/principals/{unknown}", headers=bearer(principals["admin"])), 404)
    assert_problem(client.get(f"/admin/principals/{unknown}/api-keys", headers=bearer(principals["admin"])), 404)
    assert_problem(client.delete(f"/admin/api-keys/{unknown}", headers=bearer(principals["admin"])), 404)
    assert_problem(client.get("/principals/not-a-uuid", headers=bearer(me)), 404)


def test_unknown_routes_and_methods_are_problems(client):
    assert_problem(client.get("/nope"), 404)
    assert_problem(client.put("/health"), 405)


def test_each_request_runs_as_the_principals_database_role(client, principals, db):
    """The role switch is transaction-local: a participant request after an admin one is not admin."""
    assert client.post("/admin/principals", headers=bearer(principals["admin"]),
                       json={"role": "agent", "displayName": "Bot"}).status_code == 201
    assert_problem(client.post("/admin/principals", headers=bearer(principals["participant"]),
                               json={"role": "agent", "displayName": "Bot"}), 403)
    assert client.get("/me", headers=bearer(principals["participant"])).json()["role"] == "participant"


def test_a_nul_character_in_a_string_is_422_not_500(client, principals):
    r = client.post("/admin/principals", headers=bearer(principals["admin"]),
                    json={"role": "participant", "displayName": "nul\u0000byte"})
    assert_problem(r, 422, "validation")
