"""The repeat policy of challenge templates: an economy that cannot be farmed (issue 13, item 2).

A template pays a participant once by default; a daily/weekly one once per local day/week; `cooldown`
between payouts; `unlimited` only for reviewed difficulties (MEDIUM, HARD) or under a `daily_cap`.
The unique index `missions_one_per_repeat_key` refuses a second live assignment of a slot, for manual,
self and cron assignments alike, and `mission_rewards_one_per_repeat_key` a second payout of one.
Farming loops run over SQL and HTTP, sequentially and with parallel connections, and must pay exactly
what the policy allows."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, date, datetime, timedelta

import psycopg
import pytest

from tests.helpers.engagement import (
    approve,
    assign,
    balances,
    fails,
    job,
    ledger,
    make_template,
    set_clock,
    start,
    submit,
)
from tests.helpers.http import assert_problem
from tests.helpers.principals import act_as, bearer, make_principal, race

T0 = datetime(2030, 1, 7, 12, 0, tzinfo=UTC)  # a Monday, noon UTC


def momentum(db, pid) -> int:
    return balances(db, pid)["MOMENTUM"]


def rewards(db, pid) -> int:
    """Mission rewards paid to the participant (one mission_rewards row per paid mission)."""
    return db.execute("select count(*) as n from missions_private.mission_rewards where participant_id = %s",
                      (pid,)).fetchone()["n"]


def missions_of(db, pid) -> int:
    return db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (pid,)).fetchone()["n"]


def as_(conn, who: dict, sql: str, *args):
    """One statement as the principal, in its own transaction; the first row."""
    with conn.transaction():
        act_as(conn, who)
        return conn.execute(sql, args).fetchone()


def farm_round(conn, who: dict, pid: str, tid: str) -> str | None:
    """Assign, start and submit (with proof) as `who`; None when it paid or was submitted, else the SQLSTATE."""
    try:
        m = as_(conn, who, "select * from missions.assign_mission(%s, %s)", pid, tid)
        as_(conn, who, "select * from missions.start_mission(%s)", m["id"])
        as_(conn, who, "select * from missions.submit_mission(%s, 'https://proof.example/x', 'done')", m["id"])
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def refused(db, who, pid, tid) -> psycopg.Error:
    with pytest.raises(psycopg.Error) as info:
        as_(db, who, "select * from missions.assign_mission(%s, %s)", pid, tid)
    return info.value


def participant(db, timezone: str = "UTC") -> dict:
    return make_principal(db, "participant", timezone=timezone)


# ---- the default: once ---------------------------------------------------------------------------

def test_twenty_self_service_rounds_of_an_easy_template_pay_once(db):
    set_clock(db, T0)
    me, other = participant(db), participant(db)
    tid = make_template(db, momentum=10, skill_xp=5)
    assert db.execute("select repeat from missions_private.challenges where id = %s", (tid,)).fetchone()["repeat"] \
        == "once"
    outcomes = [farm_round(db, me, me["id"], tid) for _ in range(20)]
    assert outcomes == [None] + ["MS409"] * 19
    assert balances(db, me["id"]) == {"MOMENTUM": 10, "SKILL_XP": 5, "ARENA_POINTS": 0, "INCOME_PROOF": 0}
    assert rewards(db, me["id"]) == 1 and len(ledger(db, me["id"], "MISSION_REWARD")) == 2
    assert missions_of(db, me["id"]) == 1  # a refusal changes nothing
    err = refused(db, me, me["id"], tid)
    assert err.sqlstate == "MS409" and err.diag.constraint_name == "missions_one_per_repeat_key"
    assert "Repeat policy once" in err.diag.message_hint
    # an admin's manual assignment is held to the same policy; another participant is not affected
    admin = make_principal(db, "admin")
    assert refused(db, admin, me["id"], tid).sqlstate == "MS409"
    assert farm_round(db, other, other["id"], tid) is None and momentum(db, other["id"]) == 10


def test_a_failed_or_expired_attempt_frees_the_once_slot(db):
    set_clock(db, T0)
    me, admin = participant(db), make_principal(db, "admin")
    medium = make_template(db, difficulty="MEDIUM", momentum=20)
    m = assign(db, me["id"], medium)
    start(db, m["id"])
    submit(db, m["id"], proof_text="first try")
    db.execute("select missions.fail_mission(%s, %s, 'blurry')", (m["id"], admin["id"]))
    again = assign(db, me["id"], medium)  # failed: not paid, so the slot is free
    start(db, again["id"])
    submit(db, again["id"], proof_text="second try")
    approve(db, again["id"], admin["id"])
    assert momentum(db, me["id"]) == 20
    assert refused(db, me, me["id"], medium).sqlstate == "MS409"

    easy = make_template(db)
    assign(db, me["id"], easy, days=1)
    set_clock(db, T0 + timedelta(days=2))
    job(db, "expire_missions")
    assert farm_round(db, me, me["id"], easy) is None  # expired unpaid: free again
    assert farm_round(db, me, me["id"], easy) == "MS409"
    assert momentum(db, me["id"]) == 30


# ---- daily and weekly: once per local period -------------------------------------------------------

def test_a_daily_template_pays_once_per_local_day_and_only_within_it(db):
    kolkata = participant(db, "Asia/Kolkata")  # UTC+05:30
    pid = kolkata["id"]
    tid = make_template(db, is_daily=True, momentum=10)
    set_clock(db, "2030-01-07 20:00+00")  # 01:30 on Tuesday 8 January in Kolkata
    m = as_(db, kolkata, "select * from missions.assign_mission(%s, %s, 7)", pid, tid)
    assert m["repeat_key"] == "day:2030-01-08"
    # due when the next day's daily is: 06:00 local on the 9th, not in 7 days
    assert m["expires_at"] == datetime(2030, 1, 9, 0, 30, tzinfo=UTC)
    as_(db, kolkata, "select * from missions.start_mission(%s)", m["id"])
    as_(db, kolkata, "select * from missions.submit_mission(%s)", m["id"])
    set_clock(db, "2030-01-08 18:00+00")  # 23:30 the same local day
    err = refused(db, kolkata, pid, tid)
    assert err.sqlstate == "MS409" and "local day" in err.diag.message_hint
    set_clock(db, "2030-01-08 18:30+00")  # 00:00 on the 9th in Kolkata: a new local day
    assert farm_round(db, kolkata, pid, tid) is None
    assert momentum(db, pid) == 20 and rewards(db, pid) == 2

    # outside its day a manually taken daily can no longer be done
    set_clock(db, "2030-01-09 20:00+00")  # 01:30 on the 10th
    late = as_(db, kolkata, "select * from missions.assign_mission(%s, %s, 30)", pid, tid)
    as_(db, kolkata, "select * from missions.start_mission(%s)", late["id"])
    set_clock(db, "2030-01-11 01:00+00")  # 06:30 on the 11th: its period is over
    with pytest.raises(psycopg.Error) as info:
        as_(db, kolkata, "select * from missions.submit_mission(%s)", late["id"])
    assert info.value.sqlstate == "MS409"
    assert momentum(db, pid) == 20


def test_a_weekly_template_pays_once_per_local_week(db):
    me = participant(db, "America/New_York")
    tid = make_template(db, is_weekly=True, momentum=7)
    set_clock(db, "2030-01-07 15:00+00")  # Monday 10:00 in New York
    assert farm_round(db, me, me["id"], tid) is None
    key = db.execute("select repeat_key from missions_private.missions where participant_id = %s",
                     (me["id"],)).fetchone()["repeat_key"]
    assert key == "week:2030-01-07"
    set_clock(db, "2030-01-14 04:00+00")  # Sunday 23:00 local: still the same week
    assert farm_round(db, me, me["id"], tid) == "MS409"
    set_clock(db, "2030-01-14 05:00+00")  # Monday 00:00 local
    assert farm_round(db, me, me["id"], tid) is None
    assert momentum(db, me["id"]) == 14


# ---- cooldown and the daily cap ----------------------------------------------------------------------

def test_a_cooldown_runs_from_the_last_payout(db):
    set_clock(db, T0)
    me = participant(db)
    tid = make_template(db, repeat="cooldown", cooldown_seconds=3600, momentum=10)
    m = assign(db, me["id"], tid)
    start(db, m["id"])
    set_clock(db, T0 + timedelta(minutes=50))
    submit(db, m["id"])  # paid at 12:50
    set_clock(db, T0 + timedelta(minutes=100))  # an hour after the assignment, 50 minutes after the payout
    err = refused(db, me, me["id"], tid)
    assert err.sqlstate == "MS409" and "13:50" in err.diag.message_hint
    assert missions_of(db, me["id"]) == 1
    set_clock(db, T0 + timedelta(minutes=110))
    assert farm_round(db, me, me["id"], tid) is None
    assert farm_round(db, me, me["id"], tid) == "MS409"
    paid = [e["created_at"] for e in ledger(db, me["id"], "MISSION_REWARD") if e["currency"] == "MOMENTUM"]
    assert len(paid) == 2 and paid[1] - paid[0] >= timedelta(hours=1)
    # a day of farming, a round every 7 minutes, pays at the first round an hour after the last payout:
    # every 63 minutes, 22 times
    outcomes = []
    for minute in range(111, 111 + 24 * 60, 7):
        set_clock(db, T0 + timedelta(minutes=minute))
        outcomes.append(farm_round(db, me, me["id"], tid))
    assert outcomes.count(None) == 22 and set(outcomes) == {None, "MS409"} and momentum(db, me["id"]) == 10 * 24


def test_an_unlimited_easy_template_pays_at_most_its_daily_cap_per_local_day(db):
    me = participant(db, "Asia/Tokyo")  # UTC+9
    tid = make_template(db, repeat="unlimited", daily_cap=3, momentum=10)
    set_clock(db, "2030-01-07 15:30+00")  # 00:30 on Tuesday 8 January in Tokyo
    assert [farm_round(db, me, me["id"], tid) for _ in range(10)] == [None] * 3 + ["MS409"] * 7
    keys = [r["repeat_key"] for r in db.execute(
        "select repeat_key from missions_private.missions where participant_id = %s order by repeat_key", (me["id"],))]
    assert keys == ["cap:2030-01-08#1", "cap:2030-01-08#2", "cap:2030-01-08#3"]
    err = refused(db, me, me["id"], tid)
    assert err.sqlstate == "MS409" and "daily_cap 3" in err.diag.message_hint
    set_clock(db, "2030-01-08 15:00+00")  # 00:00 on the 9th in Tokyo
    assert [farm_round(db, me, me["id"], tid) for _ in range(5)] == [None] * 3 + ["MS409"] * 2
    assert momentum(db, me["id"]) == 60


def test_an_unlimited_reviewed_template_pays_every_approved_submission(db):
    set_clock(db, T0)
    me, admin = participant(db), make_principal(db, "admin")
    tid = make_template(db, difficulty="HARD", repeat="unlimited", momentum=40)
    for _ in range(5):
        assert farm_round(db, me, me["id"], tid) is None  # submitted, awaiting an admin
        mission_id = db.execute("select id from missions_private.missions where participant_id = %s "
                                "and status = 'submitted'", (me["id"],)).fetchone()["id"]
        approve(db, mission_id, admin["id"])
    assert momentum(db, me["id"]) == 200 and rewards(db, me["id"]) == 5


# ---- the policy as data: specs and constraints -------------------------------------------------------

@pytest.mark.parametrize(("spec", "constraint"), [
    ({"repeat": "unlimited"}, "challenge_templates_unlimited_reviewed_or_capped"),            # EASY, no cap
    ({"repeat": "cooldown"}, "challenge_templates_cooldown_for_cooldown"),
    ({"cooldown_seconds": 3600}, "challenge_templates_cooldown_for_cooldown"),                # repeat once
    ({"daily_cap": 2}, "challenge_templates_daily_cap_for_unlimited"),
    ({"repeat": "cooldown", "cooldown_seconds": 10}, "challenge_templates_cooldown_range"),
    ({"repeat": "unlimited", "daily_cap": 0}, "challenge_templates_daily_cap_range"),
    ({"is_daily": True, "repeat": "unlimited", "daily_cap": 2}, "challenge_templates_periodic_repeat_once"),
    ({"is_daily": True, "is_weekly": True}, "challenge_templates_one_period"),
])
def test_policies_that_would_let_a_template_be_farmed_are_refused_by_constraints(db, spec, constraint):
    err = fails(db, "select missions.create_template(%s::jsonb)", (json.dumps(
        {"title": "x", "skill_domain": "SOFT", "difficulty": "EASY", **spec}),))
    assert err.sqlstate == "23514" and err.diag.constraint_name == constraint
    assert db.execute("select count(*) as n from missions_private.templates").fetchone()["n"] == 0


@pytest.mark.parametrize("spec", [{"repeat": "forever"}, {"repeat": 1}, {"cooldown_seconds": "1h"},
                                  {"daily_cap": True}])
def test_malformed_policy_fields_are_ms422(db, spec):
    err = fails(db, "select missions.create_template(%s::jsonb)", (json.dumps(
        {"title": "x", "skill_domain": "SOFT", "difficulty": "EASY", **spec}),))
    assert err.sqlstate == "MS422"


def test_update_template_changes_the_policy_with_its_parameters(db):
    tid = make_template(db, repeat="cooldown", cooldown_seconds=600)

    def update(spec):
        return db.execute("select * from missions.update_template(%s, %s::jsonb)", (tid, json.dumps(spec))).fetchone()

    row = update({"repeat": "unlimited", "daily_cap": 4})
    assert (row["repeat"], row["cooldown_seconds"], row["daily_cap"]) == ("unlimited", None, 4)
    row = update({"momentum": 3})  # other fields leave the policy alone
    assert (row["repeat"], row["daily_cap"]) == ("unlimited", 4)
    err = fails(db, "select * from missions.update_template(%s, %s::jsonb)", (tid, json.dumps({"daily_cap": None})))
    assert err.diag.constraint_name == "challenge_templates_unlimited_reviewed_or_capped"
    err = fails(db, "select * from missions.update_template(%s, %s::jsonb)", (tid, json.dumps({"is_daily": True})))
    assert err.diag.constraint_name == "challenge_templates_periodic_repeat_once"
    row = update({"repeat": "once", "is_daily": True})
    assert (row["repeat"], row["cooldown_seconds"], row["daily_cap"], row["is_daily"]) == ("once", None, None, True)


# ---- the database, not only the functions ------------------------------------------------------------

def test_the_indexes_refuse_a_second_slot_and_a_second_payout_whatever_writes_them(db):
    set_clock(db, T0)
    me = participant(db)
    tid = make_template(db)
    m = assign(db, me["id"], tid)
    start(db, m["id"])
    submit(db, m["id"])
    # a second live mission with the slot, written past the functions
    err = fails(db, "insert into missions_private.missions (face, template_id, participant_id, title, status, "
                    "repeat_key) values ('engagement', %s, %s, 'x', 'assigned', 'once')", (tid, me["id"]))
    assert err.sqlstate == "23505" and err.diag.constraint_name == "missions_one_per_repeat_key"
    # a second payout of the slot
    err = fails(db, "insert into missions_private.mission_rewards (mission_id, participant_id, momentum, skill_xp, "
                    "arena_points, skill_domain, triad_points, template_id, repeat_key) "
                    "select id, participant_id, 1, 1, 1, 'SOFT', 1, template_id, 'once' from missions_private.missions "
                    "where id = %s", (m["id"],))
    assert err.sqlstate == "23505"  # the mission's own primary key
    other = db.execute("insert into missions_private.missions (face, template_id, participant_id, title, status) "
                       "values ('engagement', %s, %s, 'x', 'assigned') returning id", (tid, me["id"])).fetchone()["id"]
    db.execute("update missions_private.missions set status = 'cancelled' where id = %s", (other,))
    err = fails(db, "insert into missions_private.mission_rewards (mission_id, participant_id, momentum, skill_xp, "
                    "arena_points, skill_domain, triad_points, template_id, repeat_key) "
                    "values (%s, %s, 1, 1, 1, 'SOFT', 1, %s, 'once')", (other, me["id"], tid))
    assert err.sqlstate == "23505" and err.diag.constraint_name == "mission_rewards_one_per_repeat_key"
    assert momentum(db, me["id"]) == 10


def test_available_missions_offer_only_what_the_policy_allows_now(db):
    set_clock(db, T0)
    me = participant(db)
    once = make_template(db)
    cool = make_template(db, repeat="cooldown", cooldown_seconds=3600)
    capped = make_template(db, repeat="unlimited", daily_cap=1)

    def available():
        return {str(r["id"]) for r in db.execute("select id from missions.available_missions(%s)", (me["id"],))}

    assert available() == {once, cool, capped}
    for tid in (once, cool, capped):
        assert farm_round(db, me, me["id"], tid) is None
    assert available() == set()
    set_clock(db, T0 + timedelta(hours=1))
    assert available() == {cool}
    set_clock(db, T0 + timedelta(hours=12))  # the next UTC day
    assert available() == {cool, capped}


# ---- cron assignments ---------------------------------------------------------------------------------

def test_the_daily_job_respects_a_slot_taken_by_hand_and_pays_once_per_day(db):
    early, late = participant(db), participant(db)
    tid = make_template(db, is_daily=True, momentum=10)
    set_clock(db, "2030-01-07 05:00+00")  # before 06:00: the job assigns nothing yet
    assert farm_round(db, early, early["id"], tid) is None  # the day's slot, taken by hand
    set_clock(db, "2030-01-07 07:00+00")
    assert job(db, "assign_daily_missions") == 1  # only `late` gets today's daily
    assert job(db, "assign_daily_missions") == 0
    rows = db.execute("select participant_id, origin, repeat_key from missions_private.missions order by origin",
                      ).fetchall()
    assert {(str(r["participant_id"]), r["origin"], r["repeat_key"]) for r in rows} == {
        (early["id"], "manual", "day:2030-01-07"), (late["id"], "daily", "day:2030-01-07")}
    cron = db.execute("select id from missions_private.missions where origin = 'daily'").fetchone()["id"]
    as_(db, late, "select * from missions.start_mission(%s)", cron)
    as_(db, late, "select * from missions.submit_mission(%s)", cron)
    assert farm_round(db, late, late["id"], tid) == "MS409"  # the job's daily took the slot
    set_clock(db, "2030-01-08 07:00+00")
    assert job(db, "assign_daily_missions") == 2
    assert momentum(db, early["id"]) == 10 and momentum(db, late["id"]) == 10


def test_the_weekly_job_skips_a_participant_who_took_the_weeks_template(db):
    me, other = participant(db), participant(db)
    tid = make_template(db, is_weekly=True)
    set_clock(db, "2030-01-08 09:00+00")  # Tuesday
    assert farm_round(db, me, me["id"], tid) is None
    assert job(db, "assign_weekly_missions") == 1
    assert str(db.execute("select participant_id from missions_private.missions where origin = 'weekly'"
                      ).fetchone()["participant_id"]) == other["id"]


# ---- farming in parallel --------------------------------------------------------------------------------

@pytest.mark.parametrize("policy", [{}, {"is_daily": True}, {"repeat": "unlimited", "daily_cap": 2},
                                    {"repeat": "cooldown", "cooldown_seconds": 3600}])
def test_parallel_farming_pays_exactly_what_the_policy_allows(db, connect, policy):
    set_clock(db, T0)
    me = participant(db)
    tid = make_template(db, momentum=10, **policy)
    conns = [connect(autocommit=True) for _ in range(6)]
    for conn in conns:
        set_clock(conn, T0)
    for _ in range(3):  # three rounds of six racing farmers
        outcomes = race([lambda c=c: farm_round(c, me, me["id"], tid) for c in conns])
        assert all(o in (None, "23505", "MS409") for o in outcomes), outcomes
    allowed = 2 if policy.get("daily_cap") else 1
    assert momentum(db, me["id"]) == 10 * allowed and rewards(db, me["id"]) == allowed


def test_the_daily_job_racing_a_manual_assignment_takes_the_slot_once(db, connect):
    me = participant(db)
    tid = make_template(db, is_daily=True)
    set_clock(db, "2030-01-07 07:00+00")
    job_conn, hand = connect(autocommit=True), connect(autocommit=True)
    for conn in (job_conn, hand):
        set_clock(conn, "2030-01-07 07:00+00")

    def by_hand():
        try:
            return as_(hand, me, "select id from missions.assign_mission(%s, %s)", me["id"], tid)["id"]
        except psycopg.Error as exc:
            return exc.sqlstate

    results = race([lambda: job_conn.execute("select missions.assign_daily_missions() as n").fetchone()["n"],
                    by_hand])
    assert not any(isinstance(r, BaseException) for r in results), results
    assert missions_of(db, me["id"]) == 1


def test_the_daily_job_waits_for_an_uncommitted_payout_and_skips_its_slot(db, connect):
    """Only missions_one_per_repeat_key decides here: the job's snapshot misses the manual mission, which is
    completed (so missions_one_open_assignment does not see it) but not yet committed when the job inserts."""
    me = participant(db)
    tid = make_template(db, is_daily=True, momentum=10)
    farmer, job_conn = connect(), connect(autocommit=True)
    for conn in (farmer, job_conn):
        set_clock(conn, "2030-01-07 07:00+00")
    farmer.commit()
    act_as(farmer, me)  # one open transaction: assign, start, submit (paid)
    m = farmer.execute("select * from missions.assign_mission(%s, %s)", (me["id"], tid)).fetchone()
    farmer.execute("select * from missions.start_mission(%s)", (m["id"],))
    farmer.execute("select * from missions.submit_mission(%s)", (m["id"],))
    pid = job_conn.info.backend_pid
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(
        job_conn.execute("select missions.assign_daily_missions() as n").fetchone()["n"]))
    worker.start()
    for _ in range(600):  # until the job waits for the farmer's transaction (synchronisation, not timing)
        if db.execute("select wait_event_type = 'Lock' as waiting from pg_stat_activity where pid = %s",
                      (pid,)).fetchone()["waiting"]:
            break
        time.sleep(0.05)
    farmer.commit()
    worker.join(60)
    assert outcome == [0]
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s "
                      "and repeat_key = 'day:2030-01-07'", (me["id"],)).fetchone()["n"] == 1
    assert momentum(db, me["id"]) == 10


def test_a_second_farmer_waits_for_an_uncommitted_payout_and_is_refused(db, connect):
    """The same race on the manual path: the pre-check misses the uncommitted (already completed) mission,
    so the unique index refuses the insert once the first transaction commits — MS409, nothing written."""
    me = participant(db)
    tid = make_template(db, momentum=10)
    first, second = connect(), connect(autocommit=True)
    for conn in (first, second):
        set_clock(conn, T0)
    first.commit()
    act_as(first, me)
    m = first.execute("select * from missions.assign_mission(%s, %s)", (me["id"], tid)).fetchone()
    first.execute("select * from missions.start_mission(%s)", (m["id"],))
    first.execute("select * from missions.submit_mission(%s)", (m["id"],))
    pid = second.info.backend_pid
    outcome: list = []
    worker = threading.Thread(target=lambda: outcome.append(farm_round(second, me, me["id"], tid)))
    worker.start()
    for _ in range(600):  # until the second farmer waits for the first one's transaction
        if db.execute("select wait_event_type = 'Lock' as waiting from pg_stat_activity where pid = %s",
                      (pid,)).fetchone()["waiting"]:
            break
        time.sleep(0.05)
    first.commit()
    worker.join(60)
    assert outcome == ["MS409"]
    assert missions_of(db, me["id"]) == 1 and momentum(db, me["id"]) == 10


# ---- HTTP ------------------------------------------------------------------------------------------------

def http_round(client, auth: dict, pid: str, tid: str) -> int:
    """Assign, start and submit over HTTP; the first failing status, or 200 when submitted."""
    m = client.post(f"/missions/{pid}/assign/{tid}", headers=auth)
    if m.status_code != 201:
        return m.status_code
    s = client.post(f"/missions/{pid}/start/{m.json()['id']}", headers=auth)
    if s.status_code != 200:
        return s.status_code
    return client.post(f"/missions/{pid}/submit/{m.json()['id']}", headers=auth,
                       json={"proofUrl": "https://proof.example/1"}).status_code


def test_http_farming_pays_what_the_policy_allows(client, db, principals):
    admin, me = bearer(principals["admin"]), principals["participant"]
    auth, pid = bearer(me), me["id"]
    created = client.post("/missions/admin/create", headers=admin, json={
        "title": "Intro video", "skillDomain": "SOFT", "difficulty": "EASY"})
    assert created.status_code == 201 and created.json()["repeat"] == "once"
    assert created.json()["cooldownSeconds"] is None and created.json()["dailyCap"] is None
    tid = created.json()["id"]
    assert [http_round(client, auth, pid, tid) for _ in range(20)] == [200] + [409] * 19
    problem = assert_problem(client.post(f"/missions/{pid}/assign/{tid}", headers=auth), 409)
    assert problem["sqlstate"] == "MS409" and "Repeat policy once" in problem["hint"]
    assert problem["constraint"] == "missions_one_per_repeat_key"
    capped = client.post("/missions/admin/create", headers=admin, json={
        "title": "Stretch", "skillDomain": "SOFT", "difficulty": "EASY", "momentum": 1, "skillXp": 0,
        "repeat": "unlimited", "dailyCap": 3}).json()
    assert (capped["repeat"], capped["dailyCap"]) == ("unlimited", 3)
    assert [http_round(client, auth, pid, capped["id"]) for _ in range(5)] == [200] * 3 + [409] * 2
    mission = client.post(f"/missions/{pid}/assign/{tid}", headers=auth)
    assert mission.status_code == 409
    balances_ = {b["currency"]: b["amount"] for b in client.get(f"/missions/{pid}/balances", headers=auth).json()}
    assert balances_["MOMENTUM"] == 10 + 3
    history = client.get(f"/missions/{pid}", headers=auth).json()
    assert sorted(m["repeatKey"] for m in history)[0] == "cap:" + str(db.execute(
        "select (missions.now() at time zone 'UTC')::date as d").fetchone()["d"]) + "#1"


def test_http_template_policy_is_set_updated_and_validated(client, principals):
    admin = bearer(principals["admin"])
    cool = client.post("/missions/admin/create", headers=admin, json={
        "title": "Pitch", "skillDomain": "SOFT", "difficulty": "EASY", "repeat": "cooldown", "cooldownSeconds": 86400})
    assert cool.status_code == 201 and (cool.json()["repeat"], cool.json()["cooldownSeconds"]) == ("cooldown", 86400)
    tid = cool.json()["id"]
    patched = client.patch(f"/missions/admin/{tid}", headers=admin, json={"repeat": "unlimited", "dailyCap": 2})
    assert patched.status_code == 200
    assert (patched.json()["repeat"], patched.json()["cooldownSeconds"], patched.json()["dailyCap"]) == \
        ("unlimited", None, 2)
    uncapped = client.patch(f"/missions/admin/{tid}", headers=admin, json={"dailyCap": None})
    assert assert_problem(uncapped, 422)["constraint"] == "challenge_templates_unlimited_reviewed_or_capped"
    for body in ({"repeat": "forever"}, {"cooldownSeconds": 5}, {"dailyCap": 1000}):
        assert_problem(client.post("/missions/admin/create", headers=admin, json={
            "title": "x", "skillDomain": "SOFT", "difficulty": "EASY", **body}), 422)
    listed = {t["id"]: t for t in client.get("/missions/all", headers=admin).json()}
    assert listed[tid]["dailyCap"] == 2


def test_http_parallel_farming_pays_once(client, db, principals):
    me = principals["participant"]
    auth, pid = bearer(me), me["id"]
    tid = make_template(db, momentum=10)
    for _ in range(2):
        outcomes = race([lambda: http_round(client, auth, pid, tid) for _ in range(6)])
        assert all(o in (200, 409) for o in outcomes), outcomes
    assert momentum(db, pid) == 10 and rewards(db, pid) == 1


def test_period_keys_use_the_local_date(db):
    """The key of a daily mission is the participant's local date, whatever the UTC date is."""
    west = participant(db, "Pacific/Honolulu")  # UTC-10
    tid = make_template(db, is_daily=True)
    set_clock(db, "2030-01-08 05:00+00")  # 19:00 on the 7th in Honolulu
    m = assign(db, west["id"], tid)
    assert m["repeat_key"] == f"day:{date(2030, 1, 7)}"
