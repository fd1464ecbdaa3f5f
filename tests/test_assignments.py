"""Challenge templates and the assignment lifecycle: assign, start, submit, review, rewards."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from psycopg import errors

from tests.helpers.engagement import (
    approve,
    assign,
    balances,
    complete_easy,
    engine_now,
    fail_mission,
    fails,
    ledger,
    make_template,
    mission,
    progress,
    run_together,
    set_clock,
    start,
    submit,
    submitted_mission,
)
from tests.helpers.principals import act_as, make_principal

REWARDS = {"momentum": 15, "skill_xp": 8, "arena_points": 4}


def rewards_of(db, pid):
    b = balances(db, pid)
    return {"momentum": b["MOMENTUM"], "skill_xp": b["SKILL_XP"], "arena_points": b["ARENA_POINTS"]}


def triad(db, pid):
    p = progress(db, pid)
    return (p["triad_technical"], p["triad_soft"], p["triad_commercial"])


def available(db, pid):
    return [str(r["id"]) for r in db.execute("select id from missions.available_missions(%s)", (pid,))]


# ---- templates ---------------------------------------------------------------------------------

def test_create_template_applies_defaults(db):
    tid = make_template(db, title="Ship a demo", skill_domain="SOFT", difficulty="MEDIUM")
    row = db.execute("select * from missions_private.challenges where id = %s", (tid,)).fetchone()
    assert (row["title"], row["skill_domain"], row["difficulty"], row["momentum"], row["skill_xp"],
            row["arena_points"], row["required_level"], row["is_daily"], row["is_weekly"], row["is_active"]) == \
        ("Ship a demo", "SOFT", "MEDIUM", 10, 5, 0, "L0_APPLICANT", False, False, True)


@pytest.mark.parametrize("spec", [
    {"skill_domain": "TECHNICAL", "difficulty": "EASY"},                                  # no title
    {"title": "x", "difficulty": "EASY"},                                                 # no domain
    {"title": "x", "skill_domain": "TECHNICAL", "difficulty": "EASY", "colour": "red"},   # unknown key
    {"title": "x", "skill_domain": "TECHNICAL", "difficulty": "EASY", "momentum": "ten"},
    {"title": "x", "skill_domain": "TECHNICAL", "difficulty": "EASY", "is_daily": "yes"},
])
def test_invalid_template_specs_are_ms422_and_store_nothing(db, spec):
    err = fails(db, "select missions.create_template(%s::jsonb)", (json.dumps(spec),))
    assert err.sqlstate == "MS422"
    assert db.execute("select count(*) as n from missions_private.templates").fetchone()["n"] == 0


def test_an_out_of_range_template_value_names_the_constraint(db):
    err = fails(db, "select missions.create_template(%s::jsonb)",
                (json.dumps({"title": "x", "skill_domain": "MAGIC", "difficulty": "EASY"}),))
    assert err.sqlstate == "23514" and err.diag.constraint_name == "challenge_templates_domain_valid"
    assert db.execute("select count(*) as n from missions_private.templates").fetchone()["n"] == 0


def test_update_template_changes_only_the_given_fields(db):
    tid = make_template(db, title="Old", skill_domain="SOFT", difficulty="EASY", momentum=12, skill_xp=3)
    row = db.execute("select * from missions.update_template(%s, %s::jsonb)",
                     (tid, json.dumps({"title": "New", "difficulty": "HARD", "arena_points": 9}))).fetchone()
    assert (row["title"], row["skill_domain"], row["difficulty"], row["momentum"], row["skill_xp"],
            row["arena_points"]) == ("New", "SOFT", "HARD", 12, 3, 9)
    stored = db.execute("select * from missions_private.challenges where id = %s", (tid,)).fetchone()
    assert (stored["title"], stored["difficulty"], stored["arena_points"]) == ("New", "HARD", 9)
    assert fails(db, "select * from missions.update_template(gen_random_uuid(), '{}'::jsonb)").sqlstate == "MS404"
    assert fails(db, "select * from missions.update_template(%s, %s::jsonb)",
                 (tid, json.dumps({"difficulty": "EPIC"}))).sqlstate == "23514"
    assert db.execute("select difficulty from missions_private.challenges where id = %s",
                      (tid,)).fetchone()["difficulty"] == "HARD"


def test_set_template_active_controls_availability_and_assignment(db, principals):
    pid = principals["participant"]["id"]
    tid = make_template(db)
    off = db.execute("select * from missions.set_template_active(%s, false)", (tid,)).fetchone()
    assert off["is_active"] is False
    assert tid not in available(db, pid)
    err = fails(db, "select * from missions.assign_mission(%s, %s)", (pid, tid))
    assert err.sqlstate == "MS404"
    assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == 0
    assert fails(db, "select * from missions.set_template_active(%s, null)", (tid,)).sqlstate == "MS422"
    on = db.execute("select * from missions.set_template_active(%s, true)", (tid,)).fetchone()
    assert on["is_active"] is True
    assert tid in available(db, pid)
    assert assign(db, pid, tid)["status"] == "assigned"


def test_participants_may_not_manage_templates(db, principals):
    tid = make_template(db)
    for call in ("select missions.create_template('{\"title\": \"x\", \"skill_domain\": \"SOFT\", "
                 "\"difficulty\": \"EASY\"}'::jsonb)",
                 "select * from missions.update_template(%(t)s, '{\"momentum\": 999}'::jsonb)",
                 "select * from missions.set_template_active(%(t)s, false)"):
        with db.transaction():
            act_as(db, principals["participant"])
            with pytest.raises(errors.InsufficientPrivilege):
                db.execute(call, {"t": tid})
    assert db.execute("select momentum, is_active from missions_private.challenges").fetchall() == \
        [{"momentum": 10, "is_active": True}]


# ---- assignment --------------------------------------------------------------------------------

def test_assign_sets_a_deadline_in_days(db, principals):
    set_clock(db, "2030-01-06 09:00:00+00")
    tid = make_template(db)
    m = assign(db, principals["participant"]["id"], tid, 3)
    assert m["status"] == "assigned" and m["origin"] == "manual" and str(m["template_id"]) == tid
    assert m["expires_at"] == engine_now(db) + timedelta(days=3)


def test_a_second_open_assignment_is_refused_until_the_first_is_done(db, principals):
    pid = principals["participant"]["id"]
    # a template that may repeat (the default pays once: tests/test_economy.py), so only the open rule acts
    tid = make_template(db, repeat="unlimited", daily_cap=5)
    first = assign(db, pid, tid)
    err = fails(db, "select * from missions.assign_mission(%s, %s)", (pid, tid))
    assert err.sqlstate == "23505"
    assert "missions_one_open_assignment" in f"{err.diag.message_detail} {err.diag.message_primary}"
    start(db, first["id"])
    err = fails(db, "select * from missions.assign_mission(%s, %s)", (pid, tid))
    assert err.sqlstate == "23505"
    assert submit(db, first["id"])["status"] == "completed"
    again = assign(db, pid, tid)
    assert again["status"] == "assigned" and again["id"] != first["id"]
    # another participant is not affected by the first one's open assignment
    assert assign(db, principals["other"]["id"], tid)["status"] == "assigned"


def test_level_gating(db):
    skilled = make_principal(db, "participant", level="L2_SKILLED")
    exposed = make_principal(db, "participant", level="L3_EXPOSED")
    gated = make_template(db, required_level="L3_EXPOSED")
    open_ = make_template(db, required_level="L2_SKILLED")
    err = fails(db, "select * from missions.assign_mission(%s, %s)", (skilled["id"], gated))
    assert err.sqlstate == "MS403"
    assert "L3_EXPOSED" in err.diag.message_primary
    assert set(available(db, skilled["id"])) == {open_}
    assert set(available(db, exposed["id"])) == {open_, gated}
    assert assign(db, exposed["id"], gated)["status"] == "assigned"
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (skilled["id"],)).fetchone()["n"] == 0


def test_available_missions_hide_templates_with_an_open_assignment(db, principals):
    pid = principals["participant"]["id"]
    a, b = make_template(db, repeat="unlimited", daily_cap=3), make_template(db)
    assert set(available(db, pid)) == {a, b}
    m = assign(db, pid, a)
    assert available(db, pid) == [b]
    start(db, m["id"])
    submit(db, m["id"])
    assert set(available(db, pid)) == {a, b}  # a may repeat (up to 3 a day)
    complete_easy(db, pid, b)
    assert available(db, pid) == [a]  # b pays once (repeat policy, tests/test_economy.py)


def test_unknown_or_inactive_templates_are_ms404(db, principals):
    pid = principals["participant"]["id"]
    tid = make_template(db, is_active=False)
    for t in (tid, "00000000-0000-0000-0000-000000000000"):
        assert fails(db, "select * from missions.assign_mission(%s, %s)", (pid, t)).sqlstate == "MS404"


@pytest.mark.parametrize("days", [0, -1, 366, None])
def test_deadline_days_out_of_range_is_ms422(db, principals, days):
    tid = make_template(db)
    err = fails(db, "select * from missions.assign_mission(%s, %s, %s::integer)",
                (principals["participant"]["id"], tid, days))
    assert err.sqlstate == "MS422"
    assert db.execute("select count(*) as n from missions_private.missions").fetchone()["n"] == 0


def test_participants_assign_themselves_but_not_others(db, principals):
    me, other = principals["participant"], principals["other"]
    tid = make_template(db)
    with db.transaction():
        act_as(db, me)
        assert assign(db, me["id"], tid)["status"] == "assigned"
        assert fails(db, "select * from missions.assign_mission(%s, %s)", (other["id"], tid)).sqlstate == "MS403"
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (other["id"],)).fetchone()["n"] == 0


# ---- start and submit --------------------------------------------------------------------------

@pytest.mark.parametrize("state", [
    "in_progress",
    "submitted",   # submitted -> in_progress is legal, but only for a reviewer asking for changes
    "completed",
])
def test_start_is_refused_unless_assigned(db, principals, state):
    pid = principals["participant"]["id"]
    tid = make_template(db, difficulty="EASY" if state == "completed" else "MEDIUM")
    m = assign(db, pid, tid)
    start(db, m["id"])
    if state == "submitted":
        submit(db, m["id"], "https://example.com/p")
    elif state == "completed":
        submit(db, m["id"])
    before = mission(db, m["id"])
    assert before["status"] == state
    err = fails(db, "select * from missions.start_mission(%s)", (m["id"],))
    assert err.sqlstate == "MS409"
    assert mission(db, m["id"]) == before


def test_start_records_the_start_and_an_event(db, principals):
    set_clock(db, "2030-01-06 09:00:00+00")
    m = assign(db, principals["participant"]["id"], make_template(db))
    set_clock(db, "2030-01-06 10:00:00+00")
    started = start(db, m["id"])
    assert started["status"] == "in_progress" and started["started_at"] == engine_now(db)
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s "
                      "and from_status = 'assigned' and to_status = 'in_progress'", (m["id"],)).fetchone()["n"] == 1


def test_submit_before_start_is_ms409(db, principals):
    m = assign(db, principals["participant"]["id"], make_template(db))
    err = fails(db, "select * from missions.submit_mission(%s)", (m["id"],))
    assert err.sqlstate == "MS409"
    assert mission(db, m["id"])["status"] == "assigned"
    assert ledger(db, principals["participant"]["id"]) == []


def test_unknown_missions_are_ms404(db):
    for call in ("select * from missions.start_mission(gen_random_uuid())",
                 "select * from missions.submit_mission(gen_random_uuid())",
                 "select * from missions.approve_mission(gen_random_uuid(), gen_random_uuid())"):
        assert fails(db, call).sqlstate == "MS404", call


def test_late_start_and_late_submit_are_refused_before_the_expiry_job_runs(db, principals):
    pid = principals["participant"]["id"]
    set_clock(db, "2030-01-06 09:00:00+00")
    easy = assign(db, pid, make_template(db), 1)
    never_started = assign(db, pid, make_template(db), 1)
    start(db, easy["id"])
    set_clock(db, "2030-01-07 09:00:00+00")  # exactly at the deadline
    err = fails(db, "select * from missions.submit_mission(%s)", (easy["id"],))
    assert err.sqlstate == "MS409"
    assert "deadline" in err.diag.message_primary
    assert fails(db, "select * from missions.start_mission(%s)", (never_started["id"],)).sqlstate == "MS409"
    assert mission(db, easy["id"])["status"] == "in_progress"
    assert mission(db, never_started["id"])["status"] == "assigned"
    assert mission(db, easy["id"])["proof_text"] is None
    assert rewards_of(db, pid) == {"momentum": 0, "skill_xp": 0, "arena_points": 0}


def test_an_easy_submission_completes_and_pays_at_once(db, principals):
    pid = principals["participant"]["id"]
    tid = make_template(db, skill_domain="SOFT", difficulty="EASY", **REWARDS)
    m = assign(db, pid, tid)
    start(db, m["id"])
    done = submit(db, m["id"], None, "  wrote it  ")
    assert done["status"] == "completed" and done["completed_at"] is not None
    assert mission(db, m["id"])["proof_text"] == "wrote it"
    assert rewards_of(db, pid) == REWARDS
    assert triad(db, pid) == (0, 5, 0)
    entries = ledger(db, pid)
    assert {(e["currency"], e["amount"], e["reason"], e["reference"]) for e in entries} == {
        ("MOMENTUM", 15, "MISSION_REWARD", f"mission:{m['id']}"),
        ("SKILL_XP", 8, "MISSION_REWARD", f"mission:{m['id']}"),
        ("ARENA_POINTS", 4, "MISSION_REWARD", f"mission:{m['id']}")}
    reward = db.execute("select * from missions_private.mission_rewards where mission_id = %s", (m["id"],)).fetchone()
    assert (reward["momentum"], reward["skill_xp"], reward["arena_points"], reward["skill_domain"],
            reward["triad_points"]) == (15, 8, 4, "SOFT", 5)


def test_zero_rewards_book_no_entries(db, principals):
    pid = principals["participant"]["id"]
    complete_easy(db, pid, make_template(db, momentum=0, skill_xp=3, arena_points=0))
    assert [(e["currency"], e["amount"]) for e in ledger(db, pid)] == [("SKILL_XP", 3)]


@pytest.mark.parametrize("difficulty", ["MEDIUM", "HARD"])
def test_medium_and_hard_need_proof(db, principals, difficulty):
    pid = principals["participant"]["id"]
    m = assign(db, pid, make_template(db, difficulty=difficulty))
    start(db, m["id"])
    for url, text in ((None, None), ("  ", "   ")):
        err = fails(db, "select * from missions.submit_mission(%s, %s, %s)", (m["id"], url, text))
        assert err.sqlstate == "MS422" and "proof" in err.diag.message_primary
    err = fails(db, "select * from missions.submit_mission(%s, %s)", (m["id"], "ftp://example.com/x"))
    assert err.sqlstate == "MS422"
    assert mission(db, m["id"])["status"] == "in_progress"
    sub = submit(db, m["id"], "https://example.com/proof")
    assert sub["status"] == "submitted" and sub["submitted_at"] is not None
    assert [r["id"] for r in db.execute("select id from missions.pending_reviews()")] == [m["id"]]
    assert rewards_of(db, pid) == {"momentum": 0, "skill_xp": 0, "arena_points": 0}
    assert triad(db, pid) == (0, 0, 0)


def test_pending_reviews_are_oldest_first(db, principals):
    set_clock(db, "2030-01-06 09:00:00+00")
    t = make_template(db, difficulty="MEDIUM")
    second = assign(db, principals["other"]["id"], t)
    first = assign(db, principals["participant"]["id"], t)
    start(db, first["id"])
    start(db, second["id"])
    submit(db, first["id"], None, "a")
    set_clock(db, "2030-01-06 10:00:00+00")
    submit(db, second["id"], None, "b")
    assert [r["id"] for r in db.execute("select id from missions.pending_reviews()")] == [first["id"], second["id"]]


# ---- review ------------------------------------------------------------------------------------

@pytest.mark.parametrize("difficulty, domain, points, expected", [
    ("MEDIUM", "COMMERCIAL", 10, (0, 0, 10)),
    ("HARD", "TECHNICAL", 20, (20, 0, 0)),
])
def test_approval_completes_and_pays(db, principals, difficulty, domain, points, expected):
    pid, admin = principals["participant"]["id"], principals["admin"]
    m = submitted_mission(db, pid, make_template(db, difficulty=difficulty, skill_domain=domain, **REWARDS))
    with db.transaction():
        act_as(db, admin)
        done = approve(db, m["id"], admin["id"])
    assert done["status"] == "completed"
    stored = mission(db, m["id"])
    assert stored["status"] == "completed" and str(stored["reviewed_by"]) == admin["id"]
    assert rewards_of(db, pid) == REWARDS
    assert triad(db, pid) == expected
    assert db.execute("select triad_points from missions_private.mission_rewards where mission_id = %s",
                      (m["id"],)).fetchone()["triad_points"] == points
    assert db.execute("select id from missions.pending_reviews()").fetchall() == []


def test_failing_a_submission_stores_the_reason_and_pays_nothing(db, principals):
    pid, admin = principals["participant"]["id"], principals["admin"]
    m = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM", **REWARDS))
    with db.transaction():
        act_as(db, admin)
        failed = fail_mission(db, m["id"], admin["id"], "the link is broken")
    assert failed["status"] == "failed"
    stored = mission(db, m["id"])
    assert stored["review_note"] == "the link is broken" and str(stored["reviewed_by"]) == admin["id"]
    assert ledger(db, pid) == []
    assert triad(db, pid) == (0, 0, 0)
    assert db.execute("select count(*) as n from missions_private.mission_rewards").fetchone()["n"] == 0
    # a failed mission cannot be approved afterwards
    assert fails(db, "select * from missions.approve_mission(%s, %s)", (m["id"], admin["id"])).sqlstate == "MS409"
    assert ledger(db, pid) == []


def test_approving_twice_is_ms409_and_pays_once(db, principals):
    pid, admin = principals["participant"]["id"], principals["admin"]
    m = submitted_mission(db, pid, make_template(db, difficulty="HARD", **REWARDS))
    approve(db, m["id"], admin["id"])
    err = fails(db, "select * from missions.approve_mission(%s, %s)", (m["id"], admin["id"]))
    assert err.sqlstate == "MS409"
    assert fails(db, "select * from missions.fail_mission(%s, %s, 'late')", (m["id"], admin["id"])).sqlstate == "MS409"
    assert mission(db, m["id"])["status"] == "completed"
    assert rewards_of(db, pid) == REWARDS
    assert len(ledger(db, pid)) == 3
    assert triad(db, pid) == (20, 0, 0)


def test_only_submitted_missions_can_be_reviewed(db, principals):
    pid, admin = principals["participant"]["id"], principals["admin"]["id"]
    m = assign(db, pid, make_template(db, difficulty="MEDIUM"))
    assert fails(db, "select * from missions.approve_mission(%s, %s)", (m["id"], admin)).sqlstate == "MS409"
    start(db, m["id"])
    assert fails(db, "select * from missions.fail_mission(%s, %s)", (m["id"], admin)).sqlstate == "MS409"
    assert mission(db, m["id"])["status"] == "in_progress"


def test_a_participant_cannot_review_their_own_submission(db, principals):
    pid = principals["participant"]["id"]
    m = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM"))
    for call in ("select * from missions.approve_mission(%s, %s)", "select * from missions.fail_mission(%s, %s)"):
        err = fails(db, call, (m["id"], pid))
        assert err.sqlstate == "MS403"
        assert "own participant" in err.diag.message_primary
    assert mission(db, m["id"])["status"] == "submitted"
    assert ledger(db, pid) == []


def test_the_reviewer_must_be_the_acting_admin(db, principals):
    pid, admin = principals["participant"]["id"], principals["admin"]
    second_admin = make_principal(db, "admin")
    m = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM"))
    for call in ("select * from missions.approve_mission(%s, %s)", "select * from missions.fail_mission(%s, %s)"):
        with db.transaction():
            act_as(db, admin)
            err = fails(db, call, (m["id"], second_admin["id"]))
        assert err.sqlstate == "MS403"
    stored = mission(db, m["id"])
    assert stored["status"] == "submitted" and stored["reviewed_by"] is None
    assert ledger(db, pid) == []


def test_participants_cannot_touch_other_participants_missions(db, principals):
    me, other = principals["participant"], principals["other"]
    theirs = assign(db, other["id"], make_template(db, difficulty="MEDIUM"))
    with db.transaction():
        act_as(db, me)
        assert fails(db, "select * from missions.start_mission(%s)", (theirs["id"],)).sqlstate == "MS403"
    start(db, theirs["id"])
    with db.transaction():
        act_as(db, me)
        err = fails(db, "select * from missions.submit_mission(%s, 'https://example.com/x')", (theirs["id"],))
        assert err.sqlstate == "MS403"
    submit(db, theirs["id"], "https://example.com/theirs")
    for call in ("select * from missions.approve_mission(%s, %s)", "select * from missions.fail_mission(%s, %s)",
                 "select * from missions.pending_reviews()"):
        with db.transaction():
            act_as(db, me)
            with pytest.raises(errors.InsufficientPrivilege):
                db.execute(call, (theirs["id"], me["id"]) if "%s" in call else None)
    stored = mission(db, theirs["id"])
    assert stored["status"] == "submitted" and stored["proof_url"] == "https://example.com/theirs"
    assert ledger(db, other["id"]) == []


def test_a_participant_works_their_own_mission_end_to_end(db, principals):
    me = principals["participant"]
    tid = make_template(db, **REWARDS)
    with db.transaction():
        act_as(db, me)
        m = assign(db, me["id"], tid)
        start(db, m["id"])
        assert submit(db, m["id"])["status"] == "completed"
    assert rewards_of(db, me["id"]) == REWARDS
    assert db.execute("select actor_id from missions_private.events where mission_id = %s and to_status = "
                      "'completed'", (m["id"],)).fetchone()["actor_id"] == m["participant_id"]


def test_reward_is_paid_once_under_eight_parallel_approvers(db, principals, connect):
    pid = principals["participant"]["id"]
    m = submitted_mission(db, pid, make_template(db, difficulty="HARD", skill_domain="SOFT", **REWARDS))
    admins = [make_principal(db, "admin") for _ in range(8)]
    conns = [connect(autocommit=True) for _ in admins]

    def approver(conn, admin):
        def go(barrier):
            with conn.transaction():
                act_as(conn, admin)
                barrier.wait()
                return conn.execute("select * from missions.approve_mission(%s, %s)",
                                    (m["id"], admin["id"])).fetchone()
        return go

    outcomes = run_together([approver(c, a) for c, a in zip(conns, admins)])
    winners = [(i, row) for i, (row, exc) in enumerate(outcomes) if exc is None]
    losers = [exc for _, exc in outcomes if exc is not None]
    assert len(winners) == 1, outcomes
    assert [getattr(e, "sqlstate", repr(e)) for e in losers] == ["MS409"] * 7
    winner_index, row = winners[0]
    assert row["status"] == "completed"
    stored = mission(db, m["id"])
    assert stored["status"] == "completed" and str(stored["reviewed_by"]) == admins[winner_index]["id"]
    assert db.execute("select count(*) as n from missions_private.mission_rewards").fetchone()["n"] == 1
    per_currency = db.execute("select currency, count(*) as n, sum(amount) as total from missions_private.ledger_entries "
                              "where reason = 'MISSION_REWARD' group by currency order by currency").fetchall()
    assert per_currency == [{"currency": "ARENA_POINTS", "n": 1, "total": 4},
                            {"currency": "MOMENTUM", "n": 1, "total": 15},
                            {"currency": "SKILL_XP", "n": 1, "total": 8}]
    assert triad(db, pid) == (0, 20, 0)
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s "
                      "and to_status = 'completed'", (m["id"],)).fetchone()["n"] == 1


def test_participant_missions_lists_newest_first_with_a_status_filter(db, principals):
    pid = principals["participant"]["id"]
    set_clock(db, "2030-01-06 09:00:00+00")
    done = complete_easy(db, pid, make_template(db))
    set_clock(db, "2030-01-06 10:00:00+00")
    waiting = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM"))
    set_clock(db, "2030-01-06 11:00:00+00")
    fresh = assign(db, pid, make_template(db))
    assign(db, principals["other"]["id"], make_template(db))

    def listed(statuses):
        return [r["id"] for r in db.execute("select id from missions.participant_missions(%s, %s)", (pid, statuses))]

    assert listed(None) == [fresh["id"], waiting["id"], done["id"]]
    assert listed(["completed"]) == [done["id"]]
    assert listed(["assigned", "submitted"]) == [fresh["id"], waiting["id"]]
    assert listed(["expired"]) == []
    with db.transaction():
        act_as(db, principals["other"])
        assert fails(db, "select * from missions.participant_missions(%s)", (pid,)).sqlstate == "MS403"


def test_admins_create_and_update_templates_through_their_role(db, principals):
    with db.transaction():
        act_as(db, principals["admin"])
        tid = make_template(db, title="Pitch", skill_domain="COMMERCIAL", difficulty="HARD", momentum=40)
        row = db.execute("select * from missions.update_template(%s, '{\"momentum\": 45}'::jsonb)", (tid,)).fetchone()
    assert (row["title"], row["difficulty"], row["momentum"]) == ("Pitch", "HARD", 45)


def test_a_named_participant_must_own_the_mission(db, principals):
    me, other = principals["participant"], principals["other"]
    m = assign(db, me["id"], make_template(db, difficulty="MEDIUM"))
    # someone else's id as the owner: the mission is not theirs, so it does not exist for them
    assert fails(db, "select * from missions.start_mission(%s, %s)", (m["id"], other["id"])).sqlstate == "MS404"
    started = db.execute("select * from missions.start_mission(%s, %s)", (m["id"], me["id"])).fetchone()
    assert started["status"] == "in_progress"
    assert fails(db, "select * from missions.submit_mission(%s, 'https://example.com/x', null, %s)",
                 (m["id"], other["id"])).sqlstate == "MS404"
    # acting as a participant, naming another participant is forbidden before anything is looked up
    with db.transaction():
        act_as(db, other)
        assert fails(db, "select * from missions.submit_mission(%s, 'https://example.com/x', null, %s)",
                     (m["id"], me["id"])).sqlstate == "MS403"
        assert fails(db, "select * from missions.start_mission(gen_random_uuid(), %s)",
                     (me["id"],)).sqlstate == "MS403"
    assert mission(db, m["id"])["status"] == "in_progress"
