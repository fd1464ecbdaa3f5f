"""Direct SQL callers (a participant with a database login of their own) get the same rules as HTTP."""

from __future__ import annotations

import json

import pytest

from tests.helpers.calls import sqlstate


@pytest.fixture
def alice(db, principals):
    """A participant bound to the login role alice_direct, plus one EASY template and data of another."""
    db.execute("do $$ begin if not exists (select from pg_roles where rolname = 'alice_direct') then "
               "create role alice_direct login in role missions_participant; end if; end $$")
    me = db.execute("select missions.create_principal('participant', 'Alice', %s::jsonb) as id",
                    (json.dumps({"db_role": "alice_direct"}),)).fetchone()["id"]
    template = db.execute("select missions.create_template(%s::jsonb) as id", (json.dumps(
        {"title": "Say hi", "skill_domain": "SOFT", "difficulty": "EASY"}),)).fetchone()["id"]
    other = principals["other"]["id"]
    db.execute("select missions.credit(%s, 'MOMENTUM', 40, 'seed')", (other,))
    db.execute("set session authorization alice_direct")
    yield {"id": me, "template": template, "other": other}
    db.execute("reset session authorization")


def test_a_direct_participant_plays_their_own_missions(db, alice):
    mission = db.execute("select id from missions.assign_mission(%s, %s)", (alice["id"], alice["template"])).fetchone()["id"]
    db.execute("select missions.start_mission(%s)", (mission,))
    assert db.execute("select status from missions.submit_mission(%s)", (mission,)).fetchone()["status"] == "completed"
    assert db.execute("select amount from missions.balances(%s) where currency = 'MOMENTUM'",
                      (alice["id"],)).fetchone()["amount"] == 10
    assert db.execute("select checked_in from missions.check_in(%s)", (alice["id"],)).fetchone()["checked_in"]


def test_a_direct_participant_cannot_touch_anyone_else(db, alice):
    other = alice["other"]
    for query in ("select * from missions.balances(%s)", "select * from missions.check_in(%s)",
                  "select missions.participant_stats(%s)", "select * from missions.ledger(%s)"):
        assert sqlstate(db, None, query, other) == "MS403", query
    assert sqlstate(db, None, "select * from missions.assign_mission(%s, %s)", other, alice["template"]) == "MS403"


def test_plain_selects_show_only_own_rows(db, alice):
    assert db.execute("select count(*) as n from missions_private.balances where participant_id = %s",
                      (alice["other"],)).fetchone()["n"] == 0
    assert db.execute("select count(*) as n from missions_private.ledger_entries").fetchone()["n"] == 0
    assert {r["participant_id"] for r in db.execute("select participant_id from missions_private.participant_progress")} \
        == {alice["id"]}


def test_a_direct_participant_cannot_write_tables_or_call_staff_functions(db, alice):
    assert sqlstate(db, None, "update missions_private.balances set amount = 1000000") == "42501"
    assert sqlstate(db, None, "insert into missions_private.ledger_entries (participant_id, currency, amount, requested, reason) "
                        "values (%s, 'MOMENTUM', 5, 5, 'x')", alice["id"]) == "42501"
    assert sqlstate(db, None, "update missions_private.missions set status = 'completed'") == "42501"
    assert sqlstate(db, None, "select missions.credit(%s, 'MOMENTUM', 5, 'self-service')", alice["id"]) == "42501"
    assert sqlstate(db, None, "select missions.apply_momentum_decay()") == "42501"
    assert sqlstate(db, None, "select missions_private.post_entry(%s, 'MOMENTUM', 5, 'x')", alice["id"]) == "42501"
    assert sqlstate(db, None, "select missions.create_template('{}'::jsonb)") == "42501"
