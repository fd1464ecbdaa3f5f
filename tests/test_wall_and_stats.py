"""The public wall (rank formula, hashtag, recency, hourly re-ranking) and participant/admin statistics."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from psycopg import errors

from tests.helpers.engagement import (
    approve,
    assign,
    check_in,
    complete_easy,
    credit,
    fails,
    job,
    make_template,
    set_clock,
    start,
    submitted_mission,
)
from tests.helpers.principals import act_as, make_principal


def rank(db, *args) -> Decimal:
    return db.execute("select missions_private.rank_score(%s, %s, %s, %s, %s, %s, %s, %s) as r", args).fetchone()["r"]


def post(db, pid, body) -> dict:
    return db.execute("select * from missions.post_to_wall(%s, %s)", (pid, body)).fetchone()


def score_of(db, post_id) -> Decimal:
    return db.execute("select rank_score from missions_private.wall_posts where id = %s", (post_id,)).fetchone()["rank_score"]


# ---- the formula -------------------------------------------------------------------------------

@pytest.mark.parametrize("args, expected", [
    # triad (30+15+0)/3=15 + momentum 40 + streak min(40,30)=30 + arena 2.5 + hashtag 10 + recency 30-6=24
    ((30, 15, 0, 40, 20, 25, True, 3), "121.50"),
    ((0, 0, 0, 0, 0, 0, False, 0), "30.00"),             # a fresh post from a newcomer: recency only
    ((0, 0, 0, 0, 14, 0, False, 15), "28.00"),           # streak 14 -> 28, recency gone at 15 days
    ((0, 0, 0, 0, 15, 0, False, 14), "32.00"),           # streak bonus capped at 30, recency 2
    ((0, 0, 0, 0, 500, 0, False, 1000), "30.00"),        # cap holds; recency never negative
    ((10, 10, 11, 7, 1, 3, False, 16), "19.63"),         # 10.333.. + 7 + 2 + 0.3 + 0 + 0, rounded to 2 places
    ((0, 0, 0, 0, 0, 0, True, 20), "10.00"),
])
def test_rank_score_formula(db, args, expected):
    assert rank(db, *args) == Decimal(expected)


@pytest.mark.parametrize("body, matches", [
    ("Shipped it #Cycle28", True),
    ("#cycle28 shipped it", True),                       # case-insensitive
    ("(#CYCLE28)", True),
    ("done #cycle28.", True),
    ("#Cycle289 is another campaign", False),            # not a whole word
    ("#Cycle28_extra", False),
    ("no#Cycle28", False),
    ("Cycle28 without the hash", False),
])
def test_the_hashtag_is_matched_as_a_whole_word_ignoring_case(db, principals, body, matches):
    assert db.execute("select missions_private.uses_hashtag(%s, '#Cycle28') as m", (body,)).fetchone()["m"] is matches
    set_clock(db, "2030-01-06 09:00:00+00")
    row = post(db, principals["participant"]["id"], body)
    assert row["rank_score"] == Decimal("30.00") + (10 if matches else 0)


# ---- posting and ranking -----------------------------------------------------------------------

def test_a_post_is_scored_at_once_with_the_participants_real_numbers(db):
    admin = make_principal(db, "admin")["id"]
    set_clock(db, "2030-01-05 09:00:00+00")
    pid = make_principal(db)["id"]
    check_in(db, pid)
    set_clock(db, "2030-01-06 09:00:00+00")
    check_in(db, pid)                                                                  # streak 2
    complete_easy(db, pid, make_template(db, skill_domain="TECHNICAL", momentum=12, arena_points=30))  # tech 5
    m = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM", skill_domain="SOFT", momentum=8))
    approve(db, m["id"], admin)                                                         # soft 10
    credit(db, pid, 7)                                                                  # momentum 27
    set_clock(db, "2030-01-06 12:00:00+00")
    row = post(db, pid, "Shipped the demo #cycle28")
    # 15/3 + 27 + 2*2 + 30/10 + 10 + 30
    assert row["rank_score"] == Decimal("79.00") == rank(db, 5, 10, 0, 27, 2, 30, True, 0)
    assert row["ranked_at"] == row["published_at"]
    assert score_of(db, row["id"]) == Decimal("79.00")


def test_recency_decays_as_the_clock_moves_and_the_job_reports_changes(db):
    set_clock(db, "2030-01-06 12:00:00+00")
    a, b = make_principal(db)["id"], make_principal(db)["id"]
    pa = post(db, a, "hello")
    pb = post(db, b, "hello too #Cycle28")
    assert (pa["rank_score"], pb["rank_score"]) == (Decimal("30.00"), Decimal("40.00"))
    assert job(db, "recalculate_wall_ranks") == 0
    set_clock(db, "2030-01-07 11:59:00+00")                   # not a full day yet
    assert job(db, "recalculate_wall_ranks") == 0
    set_clock(db, "2030-01-07 12:00:00+00")
    assert job(db, "recalculate_wall_ranks") == 2
    assert job(db, "recalculate_wall_ranks") == 0
    assert (score_of(db, pa["id"]), score_of(db, pb["id"])) == (Decimal("28.00"), Decimal("38.00"))
    # a change in one participant's numbers re-ranks only their posts
    credit(db, a, 5)
    assert job(db, "recalculate_wall_ranks") == 1
    assert score_of(db, pa["id"]) == Decimal("33.00")
    # after 15 days recency is spent and the score stops moving; it never goes below the other terms
    set_clock(db, "2030-01-21 12:00:00+00")
    assert job(db, "recalculate_wall_ranks") == 2
    assert (score_of(db, pa["id"]), score_of(db, pb["id"])) == (Decimal("5.00"), Decimal("10.00"))
    set_clock(db, "2030-03-01 12:00:00+00")
    assert job(db, "recalculate_wall_ranks") == 0
    assert db.execute("select ranked_at from missions_private.wall_posts where id = %s",
                      (pa["id"],)).fetchone()["ranked_at"].isoformat().startswith("2030-01-21")


def test_wall_feed_is_ordered_by_rank_score(db):
    set_clock(db, "2030-01-06 09:00:00+00")
    people = [make_principal(db, "participant", f"P{i}")["id"] for i in range(4)]
    for pid, amount in zip(people, (5, 50, 20, 35)):
        credit(db, pid, amount)
    for i, pid in enumerate(people):
        set_clock(db, f"2030-01-06 09:0{i}:00+00")
        post(db, pid, f"post by P{i}")
    set_clock(db, "2030-01-06 10:00:00+00")
    post(db, people[0], "second post by P0 #cycle28")          # 5 + 30 + 10 = 45
    feed = db.execute("select * from missions.wall_feed()").fetchall()
    assert [(r["author"], r["rank_score"]) for r in feed] == [
        ("P1", Decimal("80.00")), ("P3", Decimal("65.00")), ("P2", Decimal("50.00")), ("P0", Decimal("45.00")),
        ("P0", Decimal("35.00"))]
    scores = [r["rank_score"] for r in feed]
    assert scores == sorted(scores, reverse=True)
    key = {k: str(feed[0][k]) for k in ("rank_score", "published_at", "id")}
    assert [r["author"] for r in db.execute("select * from missions.wall_feed(2, %s::jsonb)", (json.dumps(key),))] \
        == ["P3", "P2"]
    with db.transaction():
        act_as(db, {"id": people[0], "role": "participant"})
        assert len(db.execute("select * from missions.wall_feed()").fetchall()) == 5   # the wall is public


def test_equal_scores_show_the_newest_first(db):
    set_clock(db, "2030-01-06 09:00:00+00")
    pid = make_principal(db)["id"]
    first = post(db, pid, "one")
    set_clock(db, "2030-01-06 10:00:00+00")
    second = post(db, pid, "two")
    assert first["rank_score"] == second["rank_score"]
    assert [r["id"] for r in db.execute("select id from missions.wall_feed()")] == [second["id"], first["id"]]


@pytest.mark.parametrize("body", ["", "   ", None, "x" * 5001, "\n\t \r\n"])
def test_a_post_needs_a_body(db, principals, body):
    err = fails(db, "select * from missions.post_to_wall(%s, %s)", (principals["participant"]["id"], body))
    assert err.sqlstate == "MS422"
    assert db.execute("select count(*) as n from missions_private.wall_posts").fetchone()["n"] == 0


def test_participants_post_only_as_themselves(db, principals):
    me, other = principals["participant"], principals["other"]
    with db.transaction():
        act_as(db, me)
        assert str(post(db, me["id"], "mine")["participant_id"]) == me["id"]
        assert fails(db, "select * from missions.post_to_wall(%s, 'spoof')", (other["id"],)).sqlstate == "MS403"
    assert [r["body"] for r in db.execute("select body from missions_private.wall_posts")] == ["mine"]


def test_set_campaign_hashtag_changes_the_bonus(db, principals):
    set_clock(db, "2030-01-06 09:00:00+00")
    pid = principals["participant"]["id"]
    old = post(db, pid, "#Cycle28 forever")
    new = post(db, pid, "on to #Launch_2030")
    assert (old["rank_score"], new["rank_score"]) == (Decimal("40.00"), Decimal("30.00"))
    with db.transaction():
        act_as(db, principals["admin"])
        assert db.execute("select missions.set_campaign_hashtag('#Launch_2030') as h").fetchone()["h"] == "#Launch_2030"
    assert db.execute("select value from missions_private.settings where key = 'campaign_hashtag'").fetchone()["value"] \
        == "#Launch_2030"
    assert job(db, "recalculate_wall_ranks") == 2
    assert (score_of(db, old["id"]), score_of(db, new["id"])) == (Decimal("30.00"), Decimal("40.00"))
    assert post(db, pid, "#launch_2030 again")["rank_score"] == Decimal("40.00")


@pytest.mark.parametrize("tag", ["Cycle28", "#", "#two words", "#dash-tag", "#" + "a" * 51, "##x", None, "#x|y"])
def test_an_invalid_campaign_hashtag_is_refused(db, tag):
    err = fails(db, "select missions.set_campaign_hashtag(%s)", (tag,))
    assert err.sqlstate == "MS422"
    assert db.execute("select value from missions_private.settings where key = 'campaign_hashtag'").fetchone()["value"] \
        == "#Cycle28"


def test_participants_may_not_change_the_hashtag_or_rerank(db, principals):
    for call in ("select missions.set_campaign_hashtag('#Mine')", "select missions.recalculate_wall_ranks()"):
        with db.transaction():
            act_as(db, principals["participant"])
            with pytest.raises(errors.InsufficientPrivilege):
                db.execute(call)


# ---- statistics --------------------------------------------------------------------------------

PARTICIPANT_KEYS = {"level", "tier", "paused", "current_streak", "longest_streak", "last_check_in", "triad",
                    "balances", "missions", "completion_rate"}


def test_participant_stats_of_a_newcomer(db, principals):
    stats = db.execute("select missions.participant_stats(%s) as s", (principals["participant"]["id"],)).fetchone()["s"]
    assert stats == {"level": "L0_APPLICANT", "tier": "FREE", "paused": False, "current_streak": 0,
                     "longest_streak": 0, "last_check_in": None,
                     "triad": {"technical": 0, "soft": 0, "commercial": 0},
                     "balances": {"MOMENTUM": 0, "SKILL_XP": 0, "ARENA_POINTS": 0, "INCOME_PROOF": 0},
                     "missions": {}, "completion_rate": 0}


def test_participant_stats_after_some_activity(db):
    admin = make_principal(db, "admin")
    set_clock(db, "2030-01-05 09:00:00+00")
    pid = make_principal(db, "participant", level="L2_SKILLED", tier="STARTER", timezone="Asia/Tokyo")["id"]
    check_in(db, pid)                                     # the 5th in Tokyo
    set_clock(db, "2030-01-06 09:00:00+00")
    check_in(db, pid)                                     # the 6th
    complete_easy(db, pid, make_template(db, skill_domain="COMMERCIAL", momentum=10, skill_xp=4, arena_points=2))
    m = submitted_mission(db, pid, make_template(db, difficulty="HARD", skill_domain="TECHNICAL", momentum=30,
                                                 skill_xp=9))
    approve(db, m["id"], admin["id"])
    waiting = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM"))
    assign(db, pid, make_template(db), 1)                 # expires below
    fresh = assign(db, pid, make_template(db))
    start(db, fresh["id"])
    credit(db, pid, 3, "INCOME_PROOF")
    set_clock(db, "2030-01-07 09:00:00+00")
    assert job(db, "expire_missions") == 1

    stats = db.execute("select missions.participant_stats(%s) as s", (pid,)).fetchone()["s"]
    assert set(stats) == PARTICIPANT_KEYS
    assert stats == {"level": "L2_SKILLED", "tier": "STARTER", "paused": False, "current_streak": 2,
                     "longest_streak": 2, "last_check_in": "2030-01-06",
                     "triad": {"technical": 20, "soft": 0, "commercial": 5},
                     "balances": {"MOMENTUM": 40, "SKILL_XP": 13, "ARENA_POINTS": 2, "INCOME_PROOF": 3},
                     "missions": {"completed": 2, "submitted": 1, "expired": 1, "in_progress": 1},
                     "completion_rate": 0.4}
    assert waiting["status"] == "submitted"

    with db.transaction():
        act_as(db, {"id": pid, "role": "participant"})
        own = db.execute("select missions.participant_stats(%s) as s", (pid,)).fetchone()["s"]
    assert own == stats


def test_participants_read_only_their_own_stats(db, principals):
    with db.transaction():
        act_as(db, principals["participant"])
        err = fails(db, "select missions.participant_stats(%s)", (principals["other"]["id"],))
        assert err.sqlstate == "MS403"
        with pytest.raises(errors.InsufficientPrivilege):
            db.execute("select missions.admin_stats()")
    assert fails(db, "select missions.participant_stats(gen_random_uuid())").sqlstate == "MS404"


def test_admin_stats(db, principals):
    admin = principals["admin"]
    set_clock(db, "2030-01-06 09:00:00+00")
    me, other = principals["participant"]["id"], principals["other"]["id"]
    db.execute("update missions_private.principals set paused = true where id = %s", (other,))
    make_template(db, is_daily=True)
    make_template(db, is_weekly=True, is_active=False)
    t_easy = make_template(db, momentum=10, skill_xp=5, arena_points=1)
    complete_easy(db, me, t_easy)
    submitted_mission(db, me, make_template(db, difficulty="MEDIUM"))
    assign(db, other, t_easy)
    credit(db, other, 7, "INCOME_PROOF")
    db.execute("insert into missions_private.alerts (participant_id, type, severity) values (%s, 'LOW_MOMENTUM', 'HIGH')",
               (other,))
    with db.transaction():
        act_as(db, admin)
        stats = db.execute("select missions.admin_stats() as s").fetchone()["s"]
    assert set(stats) == {"participants", "missions", "completion_rate", "pending_reviews", "open_alerts",
                          "currency_totals", "templates"}
    assert stats == {
        "participants": {"total": 2, "active": 1, "paused": 1},
        "missions": {"completed": 1, "submitted": 1, "assigned": 1},
        "completion_rate": 0.33,
        "pending_reviews": 1,
        "open_alerts": {"LOW_MOMENTUM": 1},
        "currency_totals": {"MOMENTUM": 10, "SKILL_XP": 5, "ARENA_POINTS": 1, "INCOME_PROOF": 7},
        "templates": {"active": 3, "daily": 1, "weekly": 1},
    }
