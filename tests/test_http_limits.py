"""Bounded work per request and the process edges over HTTP: the statement timeout, a full pool answering at
once, a burst of short and long requests, per-key rate limits, the /metrics token, and 42501 answers that name
nothing internal.

A request is made slow by swapping the one SQL statement its handler sends (`app.queries`) for the same
statement plus `pg_sleep` or an advisory lock the test holds; the database and the app are real."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Callable, Iterator

import psycopg
import pytest
from litestar.testing import TestClient

from app import queries
from app.config import Settings
from tests.helpers.principals import bearer, race

PROBLEM = "application/problem+json"
LOCK_ID = 913_013
SLEEPY_PRINCIPAL = "select p.* from missions.principal(%(id)s::uuid) p, pg_catalog.pg_sleep(30) s"
LOCKED_PRINCIPAL = (f"select p.* from missions.principal(%(id)s::uuid) p, "
                    f"pg_catalog.pg_advisory_xact_lock({LOCK_ID}) l")


@pytest.fixture
def make_client(db: psycopg.Connection, cluster) -> Iterator[Callable[..., TestClient]]:
    """`make_client(**settings)`: the app on this test's database as missions_app, with these settings."""
    from app.http.app import create_app

    opened: list[TestClient] = []

    def make(**overrides: object) -> TestClient:
        settings = dataclasses.replace(Settings.from_env(), **overrides)
        client = TestClient(create_app(database_url=cluster.url(db.info.dbname, user="missions_app"),
                                       settings=settings))
        client.__enter__()
        opened.append(client)
        return client

    yield make
    for client in opened:
        client.__exit__(None, None, None)


def assert_problem(response, status: int, name: str) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["status"] == status and body["type"].endswith("/" + name), body
    return body


def wait_for_backend_waiting_on_the_lock(db: psycopg.Connection) -> None:
    """Until an app connection waits on the test's advisory lock (no timing assertion: it just polls)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if db.execute("select count(*) as n from pg_stat_activity where application_name = 'missions-http' "
                      "and wait_event_type = 'Lock' and wait_event = 'advisory'").fetchone()["n"]:
            return
        time.sleep(0.05)
    raise AssertionError("the slow request never reached the database")


def test_a_statement_past_the_timeout_is_cut_with_503_and_retry_after(make_client, principals, monkeypatch):
    client = make_client(statement_timeout_ms=200)
    me = principals["participant"]
    monkeypatch.setattr(queries, "PRINCIPAL", SLEEPY_PRINCIPAL)
    r = client.get(f"/principals/{me['id']}", headers=bearer(me))
    body = assert_problem(r, 503, "timeout")
    assert body["sqlstate"] == "57014" and "statement" not in body["detail"] and "pg_sleep" not in r.text
    assert int(r.headers["retry-after"]) >= 1
    # the connection went back to the pool usable: the next request answers
    assert client.get("/me", headers=bearer(me)).status_code == 200


def test_a_full_pool_answers_at_once_with_503_and_retry_after(make_client, db, principals, monkeypatch):
    """One connection, held by a request blocked on a lock the test holds: the next request does not queue
    behind it (the pool's wait is MISSIONS_POOL_TIMEOUT, not 30 s) but gets 503 with Retry-After."""
    client = make_client(pool_max=1, pool_timeout=0.2, statement_timeout_ms=60_000)
    assert client.app.state.db.pool.timeout == 0.2  # the wait is the setting's, not psycopg_pool's 30 s
    me = principals["participant"]
    assert client.get("/me", headers=bearer(me)).status_code == 200
    monkeypatch.setattr(queries, "PRINCIPAL", LOCKED_PRINCIPAL)
    db.execute("select pg_advisory_lock(%s)", (LOCK_ID,))
    held: list = []
    slow = threading.Thread(target=lambda: held.append(client.get(f"/principals/{me['id']}", headers=bearer(me))))
    slow.start()
    try:
        wait_for_backend_waiting_on_the_lock(db)
        r = client.get("/me", headers=bearer(me))
        body = assert_problem(r, 503, "unavailable")
        assert int(r.headers["retry-after"]) >= 1 and "connection" in body["detail"]
    finally:
        db.execute("select pg_advisory_unlock(%s)", (LOCK_ID,))
        slow.join(60)
    assert held[0].status_code == 200 and held[0].json()["id"] == me["id"]
    assert client.get("/me", headers=bearer(me)).status_code == 200


def test_a_burst_of_long_requests_is_cut_while_short_ones_keep_answering(make_client, principals, monkeypatch):
    """The burst of the issue, small: a pool of 3, 9 requests whose statement would run 30 s and 27 short ones,
    all at once. The long ones are cut by the statement timeout (503 timeout) and give their connection back, so
    every short one answers 200 and nothing answers 500."""
    client = make_client(pool_max=3, pool_timeout=30, statement_timeout_ms=300)
    monkeypatch.setattr(queries, "PRINCIPAL", SLEEPY_PRINCIPAL)
    people = [principals[r] for r in ("participant", "other", "mentor", "agent", "admin")]

    def long_call(i: int) -> Callable[[], object]:
        who = people[i % len(people)]
        return lambda: ("long", client.get(f"/principals/{who['id']}", headers=bearer(who)))

    def short_call(i: int) -> Callable[[], object]:
        who = people[i % len(people)]
        return lambda: ("short", client.get("/me", headers=bearer(who)))

    calls = [long_call(i) if i % 4 == 0 else short_call(i) for i in range(36)]
    results = race(calls)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, errors
    shorts = [r for kind, r in results if kind == "short"]
    longs = [r for kind, r in results if kind == "long"]
    assert len(shorts) == 27 and len(longs) == 9
    assert all(r.status_code == 200 for r in shorts), [(r.status_code, r.text) for r in shorts if r.status_code != 200]
    for r in longs:
        assert_problem(r, 503, "timeout")
        assert r.headers["retry-after"]
    assert not [r for _, r in results if r.status_code >= 500 and r.status_code != 503]


def test_rate_limit_per_key_then_per_address_with_429_and_retry_after(make_client, principals):
    client = make_client(rate_limit=("minute", 3))
    pat, other = principals["participant"], principals["other"]
    for _ in range(3):
        r = client.get("/me", headers=bearer(pat))
        assert r.status_code == 200 and r.headers["ratelimit-limit"] == "3"
    r = client.get("/me", headers=bearer(pat))
    body = assert_problem(r, 429, "rate-limited")
    assert 1 <= int(r.headers["retry-after"]) <= 60 and r.headers["ratelimit-remaining"] == "0"
    assert "3 requests per minute" in body["detail"]
    # MCP over HTTP is limited per key too, with a budget of its own (Litestar counts a mount apart)
    assert [client.post("/mcp", headers=bearer(pat), json={}).status_code for _ in range(3)] == [400] * 3
    assert_problem(client.post("/mcp", headers=bearer(pat), json={}), 429, "rate-limited")
    # another key has its own budget; a refused request did no database work (the key was not even checked)
    assert client.get("/me", headers=bearer(other)).status_code == 200
    assert client.get("/me", headers={"Authorization": "Bearer mk_nosuchkey_x"}).status_code == 401
    # requests without a key are counted per client address
    assert [client.get("/me").status_code for _ in range(3)] == [401] * 3
    assert_problem(client.get("/missions/all"), 429, "rate-limited")
    # /health is never limited
    assert all(client.get("/health").status_code != 429 for _ in range(5))


def test_rate_limit_off(make_client, principals):
    client = make_client(rate_limit=None)
    assert all(client.get("/me", headers=bearer(principals["participant"])).status_code == 200 for _ in range(20))


def test_metrics_need_the_token_when_one_is_set(make_client):
    client = make_client(metrics_token="s3cret-metrics")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Bearer s3cret-metrics-and-more"},
                    {"Authorization": "Basic s3cret-metrics"}):
        r = client.get("/metrics", headers=headers)
        assert_problem(r, 401, "unauthenticated")
        assert "missions_" not in r.text
    r = client.get("/metrics", headers={"Authorization": "Bearer s3cret-metrics"})
    assert r.status_code == 200 and "# TYPE missions_queue_depth gauge" in r.text
    assert make_client().get("/metrics").status_code == 200  # no token configured: open, as before


def test_permission_denied_names_no_function_or_table(client, principals):
    r = client.post("/api/v1/recipes", headers=bearer(principals["participant"]),
                    json={"slug": "nope", "title": "T", "type": "concept"})
    body = assert_problem(r, 403, "forbidden")
    assert body["sqlstate"] == "42501" and body["detail"] == "the caller's role may not do this"
    assert "recipe" not in r.text.lower().replace("/api/v1/recipes", "") and "function" not in r.text
    assert "hint" not in body and "constraint" not in body


def test_the_openapi_document_declares_429_and_503_with_retry_after(client):
    spec = client.get("/schema/openapi.json").json()
    for path, item in spec["paths"].items():
        for method, op in item.items():
            if method not in ("get", "put", "post", "delete", "patch"):
                continue
            assert "503" in op["responses"], (method, path)
            if path != "/health":
                assert "Retry-After" in op["responses"]["429"]["headers"], (method, path)
                assert "Retry-After" in op["responses"]["503"]["headers"], (method, path)
    assert spec["paths"]["/metrics"]["get"]["security"] == [{}, {"MetricsToken": []}]


def test_the_app_acts_as_missions_app_even_on_a_superuser_login(db, cluster, monkeypatch):
    """A request's statements before authentication (and after its transaction) run as missions_app, not as the
    login of the URL (here the superuser)."""
    from app.http.app import create_app

    monkeypatch.setattr(queries, "HEALTH", "select jsonb_build_object('database', current_user || '/' || session_user,"
                                           " 'pg_cron', 'ok', 'pgmq', 'ok') as health")
    with TestClient(create_app(database_url=cluster.url(db.info.dbname))) as client:
        for _ in range(2):
            assert client.get("/health").json()["database"] == "missions_app/postgres"
