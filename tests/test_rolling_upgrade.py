"""A rolling upgrade: while a deploy rolls, old app processes talk to the new database. The previous release's
app (its `app/` from git, the commit in tests/previous_release.txt) is served against a database migrated by
this checkout, and its HTTP flows must work: the SQL API keeps the previous release's signatures for one
release (docs/operations.md, "Deploying under load")."""

from __future__ import annotations

import os
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

import httpx
import psycopg
import pytest

from app.cluster import CRON_DATABASE
from tests.helpers.engagement import make_template
from tests.helpers.principals import bearer, free_port

ROOT = Path(__file__).resolve().parent.parent
PREVIOUS = (Path(__file__).parent / "previous_release.txt").read_text().strip()
SERVE = ("import sys, uvicorn, app; from app.http.app import create_app; "
         "assert app.__file__.startswith(sys.argv[3]), app.__file__; "
         "uvicorn.run(create_app(database_url=sys.argv[1]), host='127.0.0.1', port=int(sys.argv[2]), log_level='warning')")


def previous_app(into: Path, *parts: str) -> Path:
    """The previous release's `app/` package (and other top-level parts), extracted from git."""
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", "--format=tar", PREVIOUS, "app", *parts],
                             check=True, capture_output=True).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into)  # our own repository's archive
    return into


@pytest.fixture
def old_server(db, cluster, tmp_path) -> Iterator[str]:
    """The previous release's HTTP app, in its own process, on this test's database (migrated by this checkout)."""
    code = previous_app(tmp_path / "previous")
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(code), "MISSIONS_HOME": str(tmp_path / "home"), "MISSIONS_RATE_LIMIT": "off"}
    proc = subprocess.Popen([sys.executable, "-c", SERVE, cluster.url(db.info.dbname, user="missions_app"), str(port),
                             str(code)], cwd=code, env=env, stderr=subprocess.PIPE, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the previous release's app did not start: {proc.stderr.read() if proc.stderr else ''}")
            time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(10)


def test_the_previous_releases_http_flows_work_on_the_new_schema(db, principals, old_server):
    participant, agent, admin = (bearer(principals[r]) for r in ("participant", "agent", "admin"))
    me = principals["participant"]["id"]
    template = make_template(db)
    with httpx.Client(base_url=old_server, timeout=10) as http:
        # the engagement face: check in, take a mission, do it, post on the wall
        assert http.post(f"/missions/{me}/check-in", headers=participant).status_code == 200
        assigned = http.post(f"/missions/{me}/assign/{template}", headers=participant, json={"deadlineDays": 7})
        assert assigned.status_code == 201, assigned.text
        mission = assigned.json()["id"]
        assert http.post(f"/missions/{me}/start/{mission}", headers=participant).status_code == 200
        submitted = http.post(f"/missions/{me}/submit/{mission}", headers=participant, json={"proofText": "done it"})
        assert submitted.status_code == 200, submitted.text
        assert http.post(f"/missions/{me}/wall", headers=participant, json={"body": "shipped"}).status_code == 201
        assert http.get(f"/missions/{me}/stats", headers=participant).status_code == 200
        # the agent face: an ops mission, claimed and completed step by step
        created = http.post("/api/internal/missions", headers=admin, json={
            "title": "Nightly checks", "leadAgentId": principals["agent"]["id"],
            "steps": [{"title": "Health", "kind": "health_check"}, {"title": "Logs", "kind": "log_analysis"}]})
        assert created.status_code == 201, created.text
        completed = 0
        while (claim := http.post("/api/internal/steps/claim-next", headers=agent, json={})).status_code == 200:
            step = claim.json()
            done = http.post(f"/api/internal/steps/{step['stepId']}/complete", headers=agent,
                             json={"leaseToken": step["leaseToken"], "result": {"ok": True}})
            assert done.status_code == 200, done.text
            completed += 1
        assert claim.status_code == 204 and completed == 2
        assert http.get(f"/api/internal/missions/{created.json()['id']}", headers=admin).json()["status"] == "completed"
        assert http.get("/notifications", headers=participant).status_code == 200


SIGNATURES = """select p.oid::regprocedure::text as signature from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                where n.nspname = 'missions' order by 1"""


def test_every_sql_function_of_the_previous_release_is_still_there(db, cluster, tmp_path):
    """The SQL API a running old process calls: every `missions.*` signature of the previous release, as its own
    migrate built it, still exists after this checkout's migrate (a new version gets a new name, `…_v2`)."""
    code = previous_app(tmp_path / "previous", "sql", "migrations")
    with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as su:
        su.execute("drop database if exists previous_release with (force)")
        su.execute("create database previous_release")
    try:
        url = cluster.url("previous_release")
        subprocess.run([sys.executable, "-c", "import sys; from app.db.migrate import migrate; "
                        "migrate(sys.argv[1], schedule_cron=False)", url],
                       cwd=code, env={**os.environ, "PYTHONPATH": str(code)}, check=True, capture_output=True)
        with psycopg.connect(url) as conn:
            before = {r[0] for r in conn.execute(SIGNATURES)}
    finally:
        with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as su:
            su.execute("drop database if exists previous_release with (force)")
    now = {r["signature"] for r in db.execute(SIGNATURES)}
    assert len(before) > 100
    assert before - now == set()
