"""Idempotency keys on the writes a client may retry: submit, approve, fail, complete, respond, deliver
(credit and debit: tests/test_ledger.py). The same key twice gives the same answer and one effect,
also when the two calls race; a failed call keeps no key; the key is the caller's own and expires."""

from __future__ import annotations

import json
from typing import Any

import psycopg
import pytest

from tests.helpers.agents import create_mission, step_ids
from tests.helpers.calls import call
from tests.helpers.engagement import assign, ledger, make_template, start
from tests.helpers.learning import (
    CLAIM,
    clocked,
    create_simple,
    designate,
    finish_subtasks,
    premium_submission,
    review,
    set_clock,
)
from tests.helpers.learning import T0 as LEARNING_T0
from tests.helpers.principals import act_as, bearer, make_principal, race

SUBMIT = "select to_jsonb(m) as r from missions.submit_mission(%s, %s, %s, null, %s) m"
APPROVE = "select to_jsonb(m) as r from missions.approve_mission(%s, %s, %s) m"


def answer(conn: psycopg.Connection, who: dict | None, sql: str, *args: Any) -> Any:
    """One call in its own transaction, as `who` (None: superuser); the answer, or the psycopg error."""
    try:
        with conn.transaction():
            if who is not None:
                act_as(conn, who)
            return conn.execute(sql, args).fetchone()["r"]
    except psycopg.Error as exc:
        return exc


def paid_once(db: psycopg.Connection, participant_id: str) -> bool:
    """The participant holds exactly one mission reward of a default template (10 momentum, 5 skill XP)."""
    entries = [(e["currency"], e["amount"]) for e in ledger(db, participant_id, "MISSION_REWARD")]
    return sorted(entries) == [("MOMENTUM", 10), ("SKILL_XP", 5)]


def events_to(db: psycopg.Connection, mission_id: str, status: str) -> int:
    return db.execute("select count(*) as n from missions_private.events where to_status = %s and mission_id = %s",
                      (status, mission_id)).fetchone()["n"]


@pytest.fixture
def in_progress(db, principals) -> dict:
    """An EASY mission the participant has started."""
    mission = assign(db, principals["participant"]["id"], make_template(db))
    start(db, mission["id"])
    return mission


@pytest.fixture
def submitted(db, principals) -> dict:
    """A HARD mission submitted with proof, awaiting review."""
    mission = assign(db, principals["participant"]["id"], make_template(db, difficulty="HARD"))
    start(db, mission["id"])
    db.execute("select missions.submit_mission(%s, 'https://example.com/p')", (mission["id"],))
    return mission


def test_a_retried_submit_returns_the_first_answer_and_pays_once(db, principals, in_progress):
    me = principals["participant"]
    first = answer(db, me, SUBMIT, in_progress["id"], None, None, "submit-1")
    again = answer(db, me, SUBMIT, in_progress["id"], None, None, "submit-1")
    assert first["status"] == "completed" and again == first
    assert paid_once(db, me["id"])
    # without the key a second submit is what it always was: the state machine refuses it
    assert answer(db, me, SUBMIT, in_progress["id"], None, None, None).sqlstate == "MS409"


def test_the_same_key_with_other_arguments_is_refused_and_changes_nothing(db, principals, submitted):
    admin = principals["admin"]
    assert answer(db, admin, APPROVE, submitted["id"], admin["id"], "k")["status"] == "completed"
    other = assign(db, principals["participant"]["id"], make_template(db))
    err = answer(db, admin, APPROVE, other["id"], admin["id"], "k")
    assert err.sqlstate == "MS422" and "different approve_mission request" in err.diag.message_primary
    assert db.execute("select status from missions_private.missions where id = %s", (other["id"],)).fetchone()["status"] \
        == "assigned"


def test_a_failed_call_keeps_no_key_so_the_fixed_retry_runs(db, principals):
    me = principals["participant"]
    mission = assign(db, me["id"], make_template(db, difficulty="MEDIUM"))
    start(db, mission["id"])
    assert answer(db, me, SUBMIT, mission["id"], None, None, "retry-me").sqlstate == "MS422"  # proof missing
    assert db.execute("select count(*) as n from missions_private.idempotency_keys").fetchone()["n"] == 0
    # the same key may now carry the corrected request
    assert answer(db, me, SUBMIT, mission["id"], "https://example.com/p", None, "retry-me")["status"] == "submitted"


def test_keys_belong_to_their_caller(db, principals, submitted):
    admin, second = principals["admin"], make_principal(db, "admin", "Second admin")
    assert answer(db, admin, APPROVE, submitted["id"], admin["id"], "shared")["status"] == "completed"
    assert answer(db, second, APPROVE, submitted["id"], second["id"], "shared").sqlstate == "MS409"


def test_racing_approvals_with_one_key_all_get_the_one_answer(db, connect, principals, submitted):
    admin = principals["admin"]
    conns = [connect(autocommit=True) for _ in range(6)]
    results = race([lambda c=c: answer(c, admin, APPROVE, submitted["id"], admin["id"], "approve-once") for c in conns])
    assert all(isinstance(r, dict) for r in results), results
    assert all(r == results[0] for r in results) and results[0]["status"] == "completed"
    assert paid_once(db, principals["participant"]["id"])
    assert events_to(db, submitted["id"], "completed") == 1


def test_racing_submits_with_one_key_complete_once(db, connect, principals, in_progress):
    me = principals["participant"]
    conns = [connect(autocommit=True) for _ in range(6)]
    results = race([lambda c=c: answer(c, me, SUBMIT, in_progress["id"], None, None, "tap-tap") for c in conns])
    assert all(isinstance(r, dict) and r == results[0] for r in results), results
    assert paid_once(db, me["id"]) and events_to(db, in_progress["id"], "completed") == 1


def test_fail_mission_replays_its_answer(db, principals, submitted):
    admin = principals["admin"]
    sql = "select to_jsonb(m) as r from missions.fail_mission(%s, %s, 'no proof', %s) m"
    first = answer(db, admin, sql, submitted["id"], admin["id"], "fail-1")
    assert first["status"] == "failed" and answer(db, admin, sql, submitted["id"], admin["id"], "fail-1") == first


def claimed_step(db, agent: dict) -> tuple[str, dict]:
    mission = create_mission(db, [{"title": "one", "kind": "task"}, {"title": "two", "kind": "task"}])
    step = step_ids(db, mission)[0]
    claim = answer(db, agent, "select to_jsonb(c) as r from missions.claim_mission_step(%s, %s) c", step, agent["id"])
    return step, claim


COMPLETE = "select to_jsonb(s) as r from missions.complete_step(%s, %s, %s, %s::jsonb, %s) s"


def test_a_retried_complete_returns_the_first_answer_and_records_one_result(db, connect, principals):
    agent = principals["agent"]
    step, claim = claimed_step(db, agent)
    args = (step, agent["id"], claim["lease_token"], json.dumps({"ok": True}), "done-1")
    conns = [connect(autocommit=True) for _ in range(4)]
    results = race([lambda c=c: answer(c, agent, COMPLETE, *args) for c in conns])
    assert all(isinstance(r, dict) and r == results[0] for r in results), results
    assert results[0]["status"] == "completed"
    assert answer(db, agent, COMPLETE, *args) == results[0]
    assert db.execute("select count(*) as n from missions_private.step_results where step_id = %s",
                      (step,)).fetchone()["n"] == 1
    # a retry without the key meets the fencing it always met
    assert answer(db, agent, COMPLETE, *args[:4], None).sqlstate == "MS412"
    # the same key with another result is a different request
    assert answer(db, agent, COMPLETE, *args[:3], '{"ok": false}', "done-1").sqlstate == "MS422"


def test_respond_and_deliver_replay_their_answers(db, principals):
    agent, owner = principals["agent"], principals["admin"]
    mission = create_mission(db, [{"title": "ask", "kind": "task"}, {"title": "wait", "kind": "task", "depends_on": []}])
    ask, wait = step_ids(db, mission)
    request = answer(db, agent, "select to_jsonb(r) as r from missions.request_human_input(%s, %s, 'Ship it?', %s::jsonb) r",
                     mission, ask, json.dumps({"options": ["yes", "no"]}))
    respond = "select to_jsonb(r) as r from missions.respond_to_input_request(%s, %s, %s::jsonb, %s) r"
    first = answer(db, owner, respond, request["id"], owner["id"], '{"choice": "yes"}', "answer-1")
    assert first["status"] == "responded"
    assert answer(db, owner, respond, request["id"], owner["id"], '{"choice": "yes"}', "answer-1") == first
    assert answer(db, owner, respond, request["id"], owner["id"], '{"choice": "no"}', "answer-1").sqlstate == "MS422"

    answer(db, agent, "select to_jsonb(s) as r from missions.wait_for_external_event(%s, %s, 'email_reply:7') s",
           mission, wait)
    deliver = "select missions.deliver_external_event('email_reply:7', '{\"body\": \"hi\"}', %s) as r"
    assert [answer(db, agent, deliver, "evt-7") for _ in range(3)] == [1, 1, 1]
    assert db.execute("select count(*) as n from missions_private.external_events").fetchone()["n"] == 1
    assert db.execute("select status from missions_private.steps where id = %s", (wait,)).fetchone()["status"] == "ready"


def test_learning_submit_and_mentor_review_replay_their_answers(db, connect, principals):
    learner = make_principal(db, "participant", tier="PREMIUM")
    mid = call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], create_simple(db, "IDEM-1"))["id"]
    finish_subtasks(db, learner, mid, [1, 2])
    submit = "select missions.submit_learning_mission(%s, null, %s) as r"
    first = answer(db, learner, submit, mid, "learn-1")
    assert first["status"] == "submitted" and answer(db, learner, submit, mid, "learn-1") == first

    set_clock(db, LEARNING_T0)
    mentor = principals["mentor"]
    designate(db, "mentor_review", mentor)
    mid = premium_submission(db, make_principal(db, "participant", tier="PREMIUM"))
    call(db, mentor, CLAIM, mid, mentor["id"])
    verdict = review({1: 90, 2: 80, 3: 70})
    complete = "select missions.complete_mentor_review(%s, %s, %s::jsonb, %s) as r"
    conns = clocked(connect, 4, LEARNING_T0)
    results = race([lambda c=c: answer(c, mentor, complete, mid, mentor["id"], verdict, "verdict-1") for c in conns])
    assert all(isinstance(r, dict) and r == results[0] for r in results), results
    assert results[0]["status"] == "completed"
    assert db.execute("select count(*) as n from missions_private.mission_rewards where mission_id = %s",
                      (mid,)).fetchone()["n"] == 1


def test_keys_expire_after_the_configured_hours(db, principals, submitted):
    admin = principals["admin"]
    set_clock(db, "2030-01-01 09:00+00")
    mission = submitted["id"]
    answer(db, admin, APPROVE, mission, admin["id"], "old")
    set_clock(db, "2030-01-02 08:59+00")
    assert db.execute("select missions.purge_idempotency_keys() as n").fetchone()["n"] == 0
    set_clock(db, "2030-01-02 09:01+00")
    assert db.execute("select missions.purge_idempotency_keys() as n").fetchone()["n"] == 1
    assert answer(db, admin, APPROVE, mission, admin["id"], "old").sqlstate == "MS409"  # forgotten: runs again


def test_over_http_the_header_makes_a_submit_safe_to_retry(client, db, principals, in_progress):
    me = principals["participant"]
    url = f"/missions/{me['id']}/submit/{in_progress['id']}"
    headers = {**bearer(me), "Idempotency-Key": "http-1"}
    first, again = client.post(url, headers=headers), client.post(url, headers=headers)
    assert (first.status_code, again.status_code) == (200, 200) and first.json() == again.json()
    assert paid_once(db, me["id"])
    too_long = client.post(url, headers={**bearer(me), "Idempotency-Key": "k" * 201})
    assert too_long.status_code == 422 and too_long.headers["content-type"].startswith("application/problem+json")
    assert client.post(url, headers=bearer(me)).status_code == 409
