"""Learning face, who may start what: monthly quotas per tier in the learner's time zone (also under
concurrent starts), PREMIUM-only capstones and mentor reviews, and unlocking by track and tier."""

from __future__ import annotations

import pytest

from app import reviewer
from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import (
    clocked,
    completed_mission,
    create_simple,
    finish_subtasks,
    outcome,
    progress_of,
    set_clock,
    start,
    submit,
)
from tests.helpers.principals import make_principal, race

MARCH = "2026-03-10 12:00:00+00"


def dashboard(conn, learner) -> dict:
    return call(conn, learner, "select missions.learning_dashboard(%s)", learner["id"])


def by_code(board: dict) -> dict[str, dict]:
    return {t["code"]: t for t in board["available"]}


def used(db, learner) -> dict[str, int]:
    return {str(r["month"]): r["used"] for r in db.execute(
        "select month, used from missions_private.monthly_starts where participant_id = %s", (learner["id"],))}


@pytest.mark.parametrize(("tier", "quota"), [("FREE", 1), ("STARTER", 3), ("PREMIUM", None)])
def test_monthly_start_quota_per_tier_with_view_only_beyond(db, tier, quota):
    set_clock(db, MARCH)
    codes = [f"QUOTA-{i}" for i in range(6)]
    tids = [create_simple(db, c) for c in codes]
    learner = make_principal(db, "participant", f"{tier} learner", tier=tier)
    allowed = 5 if quota is None else quota

    for tid in tids[:allowed]:
        assert start(db, learner, tid)["status"] == "in_progress"
    for tid in tids[allowed:5]:
        assert sqlstate(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid) == "MS429"
    # a refusal changes nothing
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (learner["id"],)).fetchone()["n"] == allowed
    assert used(db, learner) == {"2026-03-01": allowed}

    board = dashboard(db, learner)
    assert board["tier"] == tier
    other = make_principal(db, "participant", "Nosy")
    assert sqlstate(db, other, "select missions.learning_dashboard(%s)", learner["id"]) == "MS403"
    assert board["quota"] == {"month": "2026-03-01", "limit": quota, "used": allowed}
    assert len(board["in_progress"]) == allowed
    available = by_code(board)
    assert set(available) == set(codes[allowed:])  # open missions are not offered again
    for code in codes[allowed:]:
        entry = available[code]
        if quota is None:
            assert (entry["can_start"], entry["blocked_by"], entry["view_only"]) == (True, None, False)
        else:
            assert (entry["can_start"], entry["blocked_by"], entry["view_only"]) == (False, "monthly_quota_used", True)


def test_the_month_rolls_over_at_midnight_in_the_learners_time_zone(db):
    tids = [create_simple(db, f"TZ-{i}") for i in range(3)]
    la = make_principal(db, "participant", "Los Angeles", tier="FREE", timezone="America/Los_Angeles")
    utc = make_principal(db, "participant", "London in winter", tier="FREE", timezone="UTC")

    set_clock(db, "2026-03-31 23:30:00+00")  # 16:30 on March 31 in Los Angeles
    start(db, la, tids[0])
    start(db, utc, tids[0])

    set_clock(db, "2026-04-01 03:00:00+00")  # still 20:00 on March 31 in Los Angeles; April in UTC
    assert sqlstate(db, la, "select missions.start_learning_mission(%s, %s)", la["id"], tids[1]) == "MS429"
    assert by_code(dashboard(db, la))["TZ-1"]["blocked_by"] == "monthly_quota_used"
    assert dashboard(db, la)["quota"] == {"month": "2026-03-01", "limit": 1, "used": 1}
    assert dashboard(db, utc)["quota"] == {"month": "2026-04-01", "limit": 1, "used": 0}
    start(db, utc, tids[1])

    set_clock(db, "2026-04-01 08:00:00+00")  # 01:00 on April 1 in Los Angeles
    assert by_code(dashboard(db, la))["TZ-1"]["can_start"] is True
    start(db, la, tids[1])
    assert sqlstate(db, utc, "select missions.start_learning_mission(%s, %s)", utc["id"], tids[2]) == "MS429"
    assert sqlstate(db, la, "select missions.start_learning_mission(%s, %s)", la["id"], tids[2]) == "MS429"

    assert used(db, la) == {"2026-03-01": 1, "2026-04-01": 1}
    assert used(db, utc) == {"2026-03-01": 1, "2026-04-01": 1}


def test_parallel_starts_of_a_free_learner_let_exactly_one_through(db, connect):
    tids = [create_simple(db, "RACE-A"), create_simple(db, "RACE-B")]
    learner = make_principal(db, "participant", "Impatient", tier="FREE")
    conns = clocked(connect, 8, MARCH)

    results = race([lambda c=c, i=i: start(c, learner, tids[i % 2]) for i, c in enumerate(conns)])

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 1, outcomes
    assert set(outcomes) - {"ok"} <= {"MS429", "23505"}
    assert used(db, learner) == {"2026-03-01": 1}
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (learner["id"],)).fetchone()["n"] == 1


def test_capstones_and_mentor_reviews_are_premium_only(db):
    set_clock(db, MARCH)
    capstone = create_simple(db, "CAP-1", is_capstone=True, pass_score=0)
    plain = create_simple(db, "PLAIN-1")
    free = make_principal(db, "participant", "Free", tier="FREE")
    starter = make_principal(db, "participant", "Starter", tier="STARTER")
    premium = make_principal(db, "participant", "Premium", tier="PREMIUM")

    for learner in (free, starter):
        assert sqlstate(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], capstone) == "MS403"
        entry = by_code(dashboard(db, learner))["CAP-1"]
        assert (entry["can_start"], entry["blocked_by"], entry["view_only"]) == (False, "capstone_premium_only", True)
    assert used(db, free) == {} and used(db, starter) == {}  # a refused start does not use the quota

    # a STARTER learner cannot ask for a mentor: refused for the tier, whatever the review stage
    mid = start(db, starter, plain)["id"]
    finish_subtasks(db, starter, mid, [1, 2])
    submit(db, starter, mid)
    assert sqlstate(db, starter, "select missions.request_mentor_review(%s)", mid) == "MS403"
    assert reviewer.review_one(db)
    assert progress_of(db, starter, mid)["status"] == "completed"  # non-PREMIUM: the AI verdict applies at once
    assert sqlstate(db, starter, "select missions.request_mentor_review(%s)", mid) == "MS403"

    # PREMIUM: the capstone starts; its AI review waits for the learner and cannot simply be accepted
    cid = start(db, premium, capstone)["id"]
    assert by_code(dashboard(db, premium)).get("CAP-1") is None  # open now
    finish_subtasks(db, premium, cid, [1, 2])
    submit(db, premium, cid)
    assert reviewer.review_one(db)
    ai = call(db, premium, "select missions.ai_review(%s)", cid)
    assert (ai["verdict"], ai["awaiting_learner"]) == ("approve", True)
    assert sqlstate(db, premium, "select missions.accept_ai_review(%s)", cid) == "MS409"
    assert progress_of(db, premium, cid)["status"] == "submitted"
    progress = call(db, premium, "select missions.request_mentor_review(%s)", cid)
    assert progress["review_stage"] == "mentor_review"


def test_higher_tiers_unlock_from_a_completed_mission_of_the_tier_below_in_the_same_track(db):
    set_clock(db, MARCH)
    defender_b = create_simple(db, "DEF-B1", n=1)
    defender_i = create_simple(db, "DEF-I1", n=1, tier="intermediate")
    defender_a = create_simple(db, "DEF-A1", n=1, tier="advanced")
    grc_b = create_simple(db, "GRC-B1", n=1, track="grc")
    learner = make_principal(db, "participant", "Climber", tier="PREMIUM")

    def blocked_by(code):
        return by_code(dashboard(db, learner))[code]["blocked_by"]

    assert sqlstate(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], defender_i) == "MS403"
    entry = by_code(dashboard(db, learner))["DEF-I1"]
    assert (entry["can_start"], entry["blocked_by"], entry["view_only"]) == (False, "locked", False)
    assert blocked_by("DEF-A1") == "locked" and blocked_by("DEF-B1") is None

    # a beginner mission of another track does not unlock the defender track
    completed_mission(db, learner, grc_b, [1])
    assert blocked_by("DEF-I1") == "locked"
    assert sqlstate(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], defender_i) == "MS403"

    # a started (not completed) beginner mission does not unlock it either
    mid = start(db, learner, defender_b)["id"]
    assert blocked_by("DEF-I1") == "locked"
    finish_subtasks(db, learner, mid, [1])
    submit(db, learner, mid)
    assert reviewer.review_one(db)
    call(db, learner, "select missions.accept_ai_review(%s)", mid)
    assert progress_of(db, learner, mid)["status"] == "completed"

    assert blocked_by("DEF-I1") is None
    assert blocked_by("DEF-A1") == "locked"  # advanced needs a completed intermediate one
    assert sqlstate(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], defender_a) == "MS403"
    progress = start(db, learner, defender_i)
    assert progress["tier"] == "intermediate" and progress["status"] == "in_progress"
