"""Evidence rows vouch for stored bytes, so only a caller that stored the bytes may write one: the app
(its login role acting for a principal; the upload hashes what it streams) or a service. The storage key
is derived from the sha256 in the database (a generated column), never taken from a caller. A direct
SQL participant therefore cannot point a row at another learner's bytes and download them."""

from __future__ import annotations

import hashlib
import json

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import add_evidence, create_simple, sha, start
from tests.helpers.principals import act_as, bearer, make_principal

SECRET = b"victim's incident report\n"
ADD = "select missions.add_evidence(%s, 1, 'x.txt', 'text/plain', %s, %s)"


def key_of(digest: str) -> str:
    return f"{digest[:2]}/{digest}"


def login(db: psycopg.Connection, name: str, role: str, **attrs) -> str:
    """A login role of the caller role's group, bound to a new principal; returns the principal id."""
    db.execute(f"do $$ begin if not exists (select from pg_roles where rolname = '{name}') then "
               f"create role {name} login in role missions_{role}; end if; end $$")
    return db.execute("select missions.create_principal(%s, %s, %s::jsonb)::text as id",
                      (role, name, json.dumps({"db_role": name, **attrs}))).fetchone()["id"]


def evidence_rows(db: psycopg.Connection) -> list[dict]:
    return db.execute("select mission_id::text, sha256, storage_key from missions_private.evidence_files "
                      "order by uploaded_at, id").fetchall()


@pytest.fixture
def world(db, principals):
    """A victim with evidence recorded the app's way, and a direct SQL participant with a mission of their own."""
    tid = create_simple(db, "EV-01", 2)
    victim = principals["participant"]
    victim_mission = start(db, victim, tid)["id"]
    victim_file = add_evidence(db, victim, victim_mission, 1, SECRET)
    me = login(db, "ev_learner_direct", "participant", tier="PREMIUM")
    own_mission = start(db, {"id": me, "role": "participant"}, tid)["id"]
    return {"victim_mission": victim_mission, "victim_file": victim_file, "me": me, "own_mission": own_mission}


def test_the_storage_key_is_derived_from_the_sha256(db, world):
    assert world["victim_file"]["storage_key"] == key_of(sha(SECRET))
    assert [r["storage_key"] for r in evidence_rows(db)] == [key_of(sha(SECRET))]
    # nobody writes the key, not even the owner of the tables
    with pytest.raises(psycopg.Error) as info:
        db.execute("update missions_private.evidence_files set storage_key = 'ab/elsewhere'")
    assert info.value.sqlstate == "428C9"  # generated_always
    # and a caller cannot pass one: the old signature is gone
    assert sqlstate(db, {"id": world["me"], "role": "participant"},
                    "select missions.add_evidence(%s, 1, 'x.txt', 'text/plain', 3, %s, %s)",
                    world["own_mission"], sha(b"abc"), "ab/other") == "42883"


def test_a_direct_participant_login_cannot_record_evidence(db, world):
    db.execute("set session authorization ev_learner_direct")
    try:
        # another learner's digest, on the login's own mission: refused before anything is looked at
        assert sqlstate(db, None, ADD, world["own_mission"], len(SECRET), sha(SECRET)) == "MS403"
        # its own bytes too: evidence is recorded by uploading over HTTP
        assert sqlstate(db, None, ADD, world["own_mission"], 3, sha(b"abc")) == "MS403"
        assert sqlstate(db, None, ADD, world["victim_mission"], len(SECRET), sha(SECRET)) == "MS403"
        # nor can it reach the victim's file, or insert a row
        assert sqlstate(db, None, "select missions.evidence_file(%s)", world["victim_file"]["id"]) == "MS404"
        assert sqlstate(db, None, "insert into missions_private.evidence_files (mission_id, step_id, participant_id, "
                                  "filename, content_type, size_bytes, sha256) select %s, id, %s, 'x', 'text/plain', 1, %s "
                                  "from missions_private.steps limit 1",
                        world["own_mission"], world["me"], sha(SECRET)) == "42501"
        assert evidence_rows(db) == []  # row-level security: its own rows only, and there are none
    finally:
        db.execute("reset session authorization")
    assert [r["mission_id"] for r in evidence_rows(db)] == [world["victim_mission"]]


@pytest.mark.parametrize("role", ["admin", "mentor", "agent"])
def test_other_direct_logins_cannot_record_evidence_either(db, world, role):
    login(db, f"ev_{role}_direct", role)
    db.execute(f"set session authorization ev_{role}_direct")
    try:
        assert sqlstate(db, None, ADD, world["own_mission"], 3, sha(b"abc")) in ("MS403", "42501")
    finally:
        db.execute("reset session authorization")
    assert len(evidence_rows(db)) == 1


def test_a_direct_service_login_records_evidence_with_the_derived_key(db, world):
    login(db, "ev_service_direct", "service")
    db.execute("set session authorization ev_service_direct")
    try:
        doc = call(db, None, ADD, world["own_mission"], 3, sha(b"abc"))
    finally:
        db.execute("reset session authorization")
    assert doc["storage_key"] == key_of(sha(b"abc"))
    assert db.execute("select storage_key, participant_id::text from missions_private.evidence_files where id = %s",
                      (doc["id"],)).fetchone() == {"storage_key": key_of(sha(b"abc")), "participant_id": world["me"]}


def test_the_app_login_acting_for_the_participant_records_evidence(db, cluster, world):
    with psycopg.connect(cluster.url(db.info.dbname, user="missions_app"), row_factory=dict_row) as app:
        with app.transaction():
            act_as(app, {"id": world["me"], "role": "participant"})
            doc = app.execute(ADD + " as f", (world["own_mission"], 3, sha(b"abc"))).fetchone()["f"]
        assert doc["storage_key"] == key_of(sha(b"abc"))
        # acting for someone else's mission still finds nothing
        with pytest.raises(psycopg.Error) as info, app.transaction():
            act_as(app, {"id": world["me"], "role": "participant"})
            app.execute(ADD, (world["victim_mission"], 3, sha(b"abc")))
        assert info.value.sqlstate == "MS404"


# ---- over HTTP ----------------------------------------------------------------------------------------

@pytest.fixture
def http(db, cluster, tmp_path):
    from litestar.testing import TestClient

    from app.http.app import create_app

    root = tmp_path / "evidence"
    app = create_app(database_url=cluster.url(db.info.dbname, user="missions_app"), evidence_dir=root)
    with TestClient(app) as client:
        yield client, root


def upload(client, who: dict, mission_id: str, data: bytes, **extra: str):
    return client.post(f"/api/v1/mission-progress/{mission_id}/files", headers=bearer(who),
                       data={"subtask": "1", **extra}, files={"file": ("notes.txt", data, "text/plain")})


def test_http_uploads_work_and_the_key_is_derived_from_the_bytes_sent(db, http):
    client, root = http
    learner = make_principal(db, "participant", "HTTP learner")
    mid = start(db, learner, create_simple(db, "EV-02", 2))["id"]
    r = upload(client, learner, mid, b"my own notes\n")
    assert r.status_code == 201, r.text
    digest = hashlib.sha256(b"my own notes\n").hexdigest()
    assert r.json()["sha256"] == digest
    row = db.execute("select storage_key from missions_private.evidence_files where id = %s", (r.json()["id"],)).fetchone()
    assert row["storage_key"] == key_of(digest)
    assert (root / key_of(digest)).read_bytes() == b"my own notes\n"


def test_http_takes_no_digest_or_key_from_the_client(db, http, world):
    client, root = http
    victim_digest = sha(SECRET)
    learner = make_principal(db, "participant", "HTTP learner")
    mid = start(db, learner, create_simple(db, "EV-03", 2))["id"]
    for field in ({"sha256": victim_digest}, {"storage_key": key_of(victim_digest)}, {"storageKey": key_of(victim_digest)}):
        r = upload(client, learner, mid, b"whatever", **field)
        assert r.status_code == 422, (field, r.status_code, r.text)
    # what is recorded is the digest of the bytes sent, whatever the file is called
    r = client.post(f"/api/v1/mission-progress/{mid}/files", headers=bearer(learner), data={"subtask": "1"},
                    files={"file": (victim_digest, b"whatever", "text/plain")})
    assert r.status_code == 201, r.text
    assert r.json()["sha256"] == sha(b"whatever") != victim_digest
    assert db.execute("select count(*) as n from missions_private.evidence_files where participant_id = %s "
                      "and sha256 = %s", (learner["id"], victim_digest)).fetchone()["n"] == 0
    # the victim's file stays out of reach by id
    got = client.get(f"/api/v1/mission-progress/{mid}/files/{world['victim_file']['id']}", headers=bearer(learner))
    assert got.status_code == 404
