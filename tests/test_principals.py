"""Principals and API keys through the SQL API, with the permission rules of each role."""

from __future__ import annotations

import json

import psycopg
import pytest
from psycopg import errors

from tests.helpers.principals import act_as, make_principal


def test_create_principal_applies_defaults_and_attributes(db):
    pid = db.execute("select missions.create_principal('participant', '  Sam  ', %s::jsonb) as id",
                     (json.dumps({"level": "L2_SKILLED", "tier": "STARTER", "timezone": "America/New_York",
                                  "cohort": "c28"}),)).fetchone()["id"]
    row = db.execute("select * from missions.principal(%s)", (pid,)).fetchone()
    assert (row["display_name"], row["level"], row["tier"], row["timezone"], row["cohort"]) == \
        ("Sam", "L2_SKILLED", "STARTER", "America/New_York", "c28")
    bot = db.execute("select missions.create_principal('agent', 'Bot') as id").fetchone()["id"]
    plain = db.execute("select * from missions.principal(%s)", (bot,)).fetchone()
    assert (plain["level"], plain["tier"], plain["timezone"], plain["paused"]) == ("L0_APPLICANT", "FREE", "UTC", False)


@pytest.mark.parametrize("role, name, attrs, fragment", [
    ("wizard", "x", {}, "role must be one of"),
    (None, "x", {}, "role must be one of"),
    ("participant", "  ", {}, "display name is required"),
    ("participant", "x", {"timezone": "Mars/Olympus"}, "unknown time zone"),
    ("participant", "x", {"level": "L9_GOD"}, "level must be one of"),
    ("participant", "x", {"tier": "GOLD"}, "tier must be one of"),
    ("participant", "x", {"colour": "red"}, "unknown attribute(s): colour"),
    ("participant", "x", {"db_role": "no_such_role_here"}, "does not exist"),
])
def test_invalid_principals_are_refused_with_ms422_and_nothing_is_stored(db, role, name, attrs, fragment):
    before = db.execute("select count(*) as n from missions_private.principals").fetchone()["n"]
    with pytest.raises(psycopg.Error) as info:
        db.execute("select missions.create_principal(%s, %s, %s::jsonb)", (role, name, json.dumps(attrs)))
    assert info.value.sqlstate == "MS422"
    assert fragment in info.value.diag.message_primary
    assert db.execute("select count(*) as n from missions_private.principals").fetchone()["n"] == before


def test_api_keys_are_stored_hashed_and_authenticate(db):
    p = make_principal(db, "mentor")
    stored = db.execute("select prefix, secret_hash from missions_private.api_keys where principal_id = %s",
                        (p["id"],)).fetchone()
    assert p["key"].startswith(f"mk_{stored['prefix']}_") and len(p["key"]) > 60
    assert p["key"].encode() not in bytes(stored["secret_hash"])
    auth = db.execute("select * from missions.authenticate(%s)", (p["key"],)).fetchone()
    assert (str(auth["principal_id"]), auth["role"], auth["db_role"]) == (p["id"], "mentor", "missions_mentor")


@pytest.mark.parametrize("bad", ["", "mk_", "mk_nope_nope", "Bearer x", "mk_%_%", "x" * 500])
def test_unknown_keys_do_not_authenticate(db, bad):
    make_principal(db)
    assert db.execute("select * from missions.authenticate(%s)", (bad,)).fetchall() == []


def test_a_tampered_secret_does_not_authenticate(db):
    p = make_principal(db)
    tampered = p["key"][:-1] + ("1" if p["key"].endswith("0") else "0")
    assert db.execute("select * from missions.authenticate(%s)", (tampered,)).fetchall() == []


def test_revoked_keys_and_inactive_principals_stop_authenticating(db):
    p = make_principal(db)
    key_id = db.execute("select id from missions.api_keys(%s)", (p["id"],)).fetchone()["id"]
    first = db.execute("select revoked_at from missions.revoke_api_key(%s)", (key_id,)).fetchone()["revoked_at"]
    again = db.execute("select revoked_at from missions.revoke_api_key(%s)", (key_id,)).fetchone()["revoked_at"]
    assert first == again  # idempotent
    assert db.execute("select * from missions.authenticate(%s)", (p["key"],)).fetchall() == []

    q = make_principal(db)
    db.execute("update missions_private.principals set active = false where id = %s", (q["id"],))
    assert db.execute("select * from missions.authenticate(%s)", (q["key"],)).fetchall() == []


def test_unknown_ids_raise_ms404(db):
    for call in ("select missions.create_api_key(gen_random_uuid())",
                 "select * from missions.revoke_api_key(gen_random_uuid())",
                 "select * from missions.api_keys(gen_random_uuid())",
                 "select * from missions.principal(gen_random_uuid())"):
        with pytest.raises(psycopg.Error) as info:
            db.execute(call)
        assert info.value.sqlstate == "MS404", call


@pytest.mark.parametrize("role", ["participant", "mentor", "agent"])
def test_only_staff_create_principals_and_keys(db, principals, role):
    for call in ("select missions.create_principal('admin', 'Mallory')",
                 "select missions.create_api_key(%(me)s)",
                 "select * from missions.api_keys(%(me)s)"):
        with db.transaction():
            act_as(db, principals[role])
            with pytest.raises(errors.InsufficientPrivilege):
                db.execute(call, {"me": principals[role]["id"]})


@pytest.mark.parametrize("role", ["admin", "service"])
def test_staff_create_principals_and_keys(db, principals, role):
    with db.transaction():
        act_as(db, principals[role])
        pid = db.execute("select missions.create_principal('participant', 'New one') as id").fetchone()["id"]
        key = db.execute("select missions.create_api_key(%s, 'laptop') as k", (pid,)).fetchone()["k"]
    assert db.execute("select principal_id from missions.authenticate(%s)", (key,)).fetchone()["principal_id"] == pid


def test_participants_see_only_themselves(db, principals):
    me, other = principals["participant"], principals["other"]
    with db.transaction():
        act_as(db, me)
        assert str(db.execute("select id from missions.whoami()").fetchone()["id"]) == me["id"]
        visible = db.execute("select id from missions_private.principals").fetchall()
        assert [str(r["id"]) for r in visible] == [me["id"]]
        with pytest.raises(psycopg.Error) as info:
            db.execute("select * from missions.principal(%s)", (other["id"],))
        assert info.value.sqlstate == "MS404"


def test_participants_cannot_read_api_keys_or_write_principals(db, principals):
    with db.transaction():
        act_as(db, principals["participant"])
        with pytest.raises(errors.InsufficientPrivilege):
            db.execute("select * from missions_private.api_keys")
    with db.transaction():
        act_as(db, principals["participant"])
        with pytest.raises(errors.InsufficientPrivilege):
            db.execute("update missions_private.principals set level = 'L5_CATALYST'")


def test_direct_sql_callers_are_bound_to_their_login_role_and_cannot_spoof(db, principals):
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'alice_sql') then "
               "create role alice_sql login in role missions_participant; end if; end $$")
    alice = db.execute("select missions.create_principal('participant', 'Alice', '{\"db_role\": \"alice_sql\"}') as id"
                       ).fetchone()["id"]
    db.execute("set session authorization alice_sql")
    try:
        db.execute("select set_config('missions.principal_id', %s, false)", (principals["other"]["id"],))
        assert db.execute("select id from missions.whoami()").fetchone()["id"] == alice
        assert [r["id"] for r in db.execute("select id from missions_private.principals")] == [alice]
        with pytest.raises(errors.InsufficientPrivilege):
            db.execute("select missions.create_principal('admin', 'Alice the admin')")
    finally:
        db.execute("reset session authorization")


def test_a_session_without_a_principal_is_unauthenticated(db):
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'nobody_sql') then "
               "create role nobody_sql login in role missions_participant; end if; end $$")
    db.execute("set session authorization nobody_sql")
    try:
        with pytest.raises(psycopg.Error) as info:
            db.execute("select * from missions.whoami()")
        assert info.value.sqlstate == "MS401"
    finally:
        db.execute("reset session authorization")
