"""Seed 000's moments (issue 15): a participant's first request of their local day checks them in, the wall
displays achievements (HARD completions, streak milestones, level-ups) once each, and balance checks tell
which stipend tier a participant qualifies for. Over SQL (as missions.authenticate is called) and HTTP."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest

from tests.helpers.calls import sqlstate
from tests.helpers.engagement import (
    approve,
    check_in,
    credit,
    debit,
    ledger,
    make_template,
    progress,
    run_together,
    set_clock,
    submitted_mission,
)
from tests.helpers.http import assert_problem
from tests.helpers.principals import act_as, bearer, make_principal


def authenticate(conn, key: str) -> dict | None:
    """One 'request': authenticate the key in a transaction of its own, as the HTTP app does."""
    with conn.transaction():
        return conn.execute("select * from missions.authenticate(%s)", (key,)).fetchone()


def check_ins(db, pid: str) -> list[date]:
    return [r["local_day"] for r in db.execute(
        "select local_day from missions_private.check_ins where participant_id = %s order by local_day", (pid,))]


def achievements(db, pid: str) -> list[tuple[str, str]]:
    return [(r["kind"], r["achievement_ref"]) for r in db.execute(
        "select kind, achievement_ref from missions_private.wall_posts where participant_id = %s and kind <> 'post' "
        "order by published_at, achievement_ref", (pid,))]


# ---- check-in on the first request of the day ---------------------------------------------------

def test_the_first_authentication_of_a_local_day_checks_a_participant_in(db):
    set_clock(db, "2030-03-01 08:00:00+00")
    me = make_principal(db, "participant", timezone="Asia/Tokyo")
    assert str(authenticate(db, me["key"])["principal_id"]) == me["id"]
    assert check_ins(db, me["id"]) == [date(2030, 3, 1)]
    set_clock(db, "2030-03-01 14:00:00+00")                 # 23:00 in Tokyo: the same local day
    authenticate(db, me["key"])
    assert check_ins(db, me["id"]) == [date(2030, 3, 1)]
    set_clock(db, "2030-03-01 15:00:00+00")                 # midnight in Tokyo: a new day, streak 2
    authenticate(db, me["key"])
    assert check_ins(db, me["id"]) == [date(2030, 3, 1), date(2030, 3, 2)]
    assert (progress(db, me["id"])["current_streak"], progress(db, me["id"])["last_check_in"]) == (2, date(2030, 3, 2))


def test_staff_agents_mentors_paused_and_inactive_principals_are_not_checked_in(db):
    set_clock(db, "2030-03-01 08:00:00+00")
    others = [make_principal(db, role) for role in ("admin", "service", "agent", "mentor")]
    paused = make_principal(db, "participant", paused=True)
    gone = make_principal(db, "participant")
    db.execute("update missions_private.principals set active = false where id = %s", (gone["id"],))
    for p in [*others, paused]:
        assert str(authenticate(db, p["key"])["principal_id"]) == p["id"]
    assert authenticate(db, gone["key"]) is None
    assert db.execute("select count(*) as n from missions_private.check_ins").fetchone()["n"] == 0
    assert progress(db, paused["id"])["last_check_in"] is None
    # the explicit check-in still checks a paused participant in and un-pauses them
    assert check_in(db, paused["id"])["unpaused"] is True


def test_the_setting_turns_the_check_in_on_request_off_and_on(db, principals):
    set_clock(db, "2030-03-01 08:00:00+00")
    me = principals["participant"]
    assert db.execute("select missions_private.setting('check_in_on_request') as v").fetchone()["v"] == "on"
    assert db.execute("select missions.set_check_in_on_request(false) as v").fetchone()["v"] is False
    authenticate(db, me["key"])
    assert check_ins(db, me["id"]) == []
    db.execute("select missions.set_check_in_on_request(true)")
    authenticate(db, me["key"])
    assert check_ins(db, me["id"]) == [date(2030, 3, 1)]
    assert sqlstate(db, principals["participant"], "select missions.set_check_in_on_request(false)") == "42501"
    assert sqlstate(db, principals["admin"], "select missions.set_check_in_on_request(null)") == "MS422"


def test_a_checked_in_participant_costs_one_comparison_and_no_write(db, principals):
    """Once checked in today, authenticating takes no lock and writes nothing: no transaction id is assigned."""
    set_clock(db, "2030-03-01 08:00:00+00")
    me = principals["participant"]
    with db.transaction():
        db.execute("select * from missions.authenticate(%s)", (me["key"],)).fetchone()
        assert db.execute("select pg_current_xact_id_if_assigned() as x").fetchone()["x"] is not None
    with db.transaction():
        db.execute("select * from missions.authenticate(%s)", (me["key"],)).fetchone()
        assert db.execute("select pg_current_xact_id_if_assigned() as x").fetchone()["x"] is None


def test_the_explicit_check_in_reports_the_check_in_its_own_request_made(db, principals):
    set_clock(db, "2030-03-01 08:00:00+00")
    me = principals["participant"]
    with db.transaction():
        db.execute("select * from missions.authenticate(%s)", (me["key"],)).fetchone()
        act_as(db, me)
        row = db.execute("select * from missions.check_in(%s)", (me["id"],)).fetchone()
    assert (row["checked_in"], row["current_streak"], row["bonus"]) == (True, 1, 0)
    with db.transaction():
        db.execute("select * from missions.authenticate(%s)", (me["key"],)).fetchone()
        act_as(db, me)
        row = db.execute("select * from missions.check_in(%s)", (me["id"],)).fetchone()
    assert (row["checked_in"], row["current_streak"], row["bonus"]) == (False, 1, 0)


def test_parallel_first_requests_check_in_once_and_pay_one_streak_bonus(db, connect):
    set_clock(db, "2030-03-01 08:00:00+00")
    me = make_principal(db, "participant")
    start = datetime(2030, 3, 1, 8, tzinfo=UTC)
    for n in range(6):                                      # six days in a row: the 7th request is a milestone
        set_clock(db, start + timedelta(days=n))
        check_in(db, me["id"])
    conns = [connect(autocommit=True) for _ in range(4)]
    for c in conns:
        set_clock(c, start + timedelta(days=6))

    def request(conn):
        def go(barrier):
            barrier.wait()
            return authenticate(conn, me["key"])
        return go

    outcomes = run_together([request(c) for c in conns])
    assert [exc for _, exc in outcomes] == [None] * 4
    assert all(str(row["principal_id"]) == me["id"] for row, _ in outcomes)
    assert len(check_ins(db, me["id"])) == 7 and progress(db, me["id"])["current_streak"] == 7
    assert [(e["reason"], e["amount"]) for e in ledger(db, me["id"], "STREAK_BONUS_7")] == [("STREAK_BONUS_7", 50)]
    assert achievements(db, me["id"]) == [("streak_milestone", "7:2030-03-07")]


def test_a_reward_locks_progress_before_balances_as_check_in_and_decay_do(db, connect, principals):
    """Lock order against deadlocks: a check-in and the decay job lock a participant's progress, then balances;
    so does a reward. While another transaction holds the progress row, an approval waits there holding no
    balance (the other can still lock the balances: NOWAIT succeeds)."""
    me, admin = principals["participant"], principals["admin"]
    m = submitted_mission(db, me["id"], make_template(db, difficulty="HARD"))
    holder, approver = connect(), connect(autocommit=True)
    holder.execute("select 1 from missions_private.participant_progress where participant_id = %s for update",
                   (me["id"],))

    def approving(barrier):
        barrier.wait()
        return approve(approver, m["id"], admin["id"])["status"]

    def waiting_then_locking_balances(barrier):
        barrier.wait()
        pid = approver.info.backend_pid
        for _ in range(200):
            row = db.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
            if row and row["wait_event_type"] == "Lock":
                break
            time.sleep(0.05)
        else:
            raise AssertionError("the approval never waited for the progress row")
        try:
            return len(holder.execute("select currency from missions_private.balances where participant_id = %s "
                                      "for update nowait", (me["id"],)).fetchall())
        finally:
            holder.commit()

    (status, approve_exc), (locked, lock_exc) = run_together([approving, waiting_then_locking_balances])
    assert (approve_exc, lock_exc) == (None, None)
    assert status == "completed" and locked >= 1


def test_a_request_never_waits_to_check_in(db, connect):
    """While another transaction holds the participant's row (here: a long request that checked them in and has
    not finished), a request skips the check-in instead of waiting; a later request checks in."""
    set_clock(db, "2030-03-01 08:00:00+00")
    me = make_principal(db, "participant")
    holder = connect()
    holder.execute("select 1 from missions_private.principals where id = %s for no key update", (me["id"],))
    db.execute("set lock_timeout = '5s'")          # a wait would fail the test with 55P03, not hang it
    assert str(authenticate(db, me["key"])["principal_id"]) == me["id"]
    assert check_ins(db, me["id"]) == []
    holder.rollback()
    authenticate(db, me["key"])
    assert check_ins(db, me["id"]) == [date(2030, 3, 1)]


def test_http_the_first_request_of_the_day_checks_in_and_an_error_rolls_it_back(client, db, principals):
    me, other = principals["participant"], principals["other"]
    today = db.execute("select (missions.now() at time zone 'UTC')::date as d").fetchone()["d"]
    # a refused request (another participant's balances: 403) rolls back with its check-in
    assert client.get(f"/missions/{other['id']}/balances", headers=bearer(me)).status_code == 403
    assert check_ins(db, me["id"]) == []
    assert client.get("/wall", headers=bearer(me)).status_code == 200
    assert check_ins(db, me["id"]) == [today]
    again = client.post(f"/missions/{me['id']}/check-in", headers=bearer(me)).json()
    assert (again["checkedIn"], again["currentStreak"]) == (False, 1)
    # the first request of the day may be the explicit check-in: it reports that check-in
    first = client.post(f"/missions/{other['id']}/check-in", headers=bearer(other)).json()
    assert (first["checkedIn"], first["currentStreak"], first["localDay"]) == (True, 1, today.isoformat())
    # staff requests check nobody in
    assert client.get("/wall", headers=bearer(principals["admin"])).status_code == 200
    assert db.execute("select count(*) as n from missions_private.check_ins").fetchone()["n"] == 2


def test_http_staff_turn_the_check_in_on_request_off(client, db, principals):
    me = principals["participant"]
    url = "/missions/admin/check-in-on-request"
    assert_problem(client.put(url, headers=bearer(me), json={"enabled": False}), 403)
    assert_problem(client.put(url, headers=bearer(principals["admin"]), json={"enabled": "no"}), 422)
    off = client.put(url, headers=bearer(principals["admin"]), json={"enabled": False})
    assert off.status_code == 200 and off.json() == {"enabled": False}
    assert client.get("/wall", headers=bearer(me)).status_code == 200
    assert check_ins(db, me["id"]) == []
    assert client.put(url, headers=bearer(principals["service"]), json={"enabled": True}).json() == {"enabled": True}
    assert client.get("/wall", headers=bearer(me)).status_code == 200
    assert len(check_ins(db, me["id"])) == 1


# ---- achievements on the wall -------------------------------------------------------------------

def test_a_hard_completion_is_posted_once_and_ranked_like_any_post(db, principals):
    set_clock(db, "2030-03-01 08:00:00+00")
    me, admin = principals["participant"], principals["admin"]
    hard = make_template(db, title="Deploy a Vercel project", difficulty="HARD", arena_points=10)
    medium = make_template(db, title="Build a simple API", difficulty="MEDIUM")
    m = submitted_mission(db, me["id"], hard)
    approve(db, m["id"], admin["id"])
    approve_medium = submitted_mission(db, me["id"], medium)
    approve(db, approve_medium["id"], admin["id"])
    assert achievements(db, me["id"]) == [("hard_completion", str(m["id"]))]
    feed = db.execute("select * from missions.wall_feed()").fetchall()
    assert [(p["kind"], p["body"]) for p in feed] == [
        ("hard_completion", 'Completed the HARD challenge "Deploy a Vercel project".')]
    # scored when posted: triad 20/3 + momentum 10 + streak 0 + arena 10/10 + recency 30
    assert float(feed[0]["rank_score"]) == round(20 / 3 + 10 + 1 + 30, 2)
    # the same formula: after the hourly job a participant's own post of the same day scores the same
    own = db.execute("select * from missions.post_to_wall(%s, 'me too')", (me["id"],)).fetchone()
    assert own["kind"] == "post"
    db.execute("select missions.recalculate_wall_ranks()")
    scores = {p["kind"]: p["rank_score"] for p in db.execute("select * from missions.wall_feed()")}
    assert scores["post"] == scores["hard_completion"] == round(Decimal(30) / 3 + 20 + 1 + 30, 2)
    # a second reward attempt of the same mission posts nothing more
    assert db.execute("select missions_private.reward_mission(%s) as r", (m["id"],)).fetchone()["r"] is False
    assert len(achievements(db, me["id"])) == 1


def test_streak_milestones_7_14_30_are_posted_once_each(db, principals):
    me = principals["participant"]
    start = datetime(2030, 3, 1, 8, tzinfo=UTC)
    for n in range(30):
        set_clock(db, start + timedelta(days=n))
        check_in(db, me["id"])
        check_in(db, me["id"])                              # a second check-in of a day posts nothing
    assert achievements(db, me["id"]) == [("streak_milestone", "7:2030-03-07"), ("streak_milestone", "14:2030-03-14"),
                                          ("streak_milestone", "30:2030-03-30")]
    bodies = [r["body"] for r in db.execute("select body from missions.wall_feed() where kind = 'streak_milestone'")]
    assert sorted(bodies) == sorted(f"Reached a {n}-day check-in streak." for n in (7, 14, 30))


def test_post_level_up_posts_an_increase_once(db, principals):
    me, admin = principals["participant"], principals["admin"]
    level_up = "select missions_private.post_level_up(%s, %s, %s) as id"
    first = db.execute(level_up, (me["id"], "L1_ACTIVATED", "L2_SKILLED")).fetchone()["id"]
    assert first is not None
    assert db.execute(level_up, (me["id"], "L1_ACTIVATED", "L2_SKILLED")).fetchone()["id"] is None   # once
    assert db.execute(level_up, (me["id"], "L3_EXPOSED", "L2_SKILLED")).fetchone()["id"] is None     # a decrease
    assert db.execute(level_up, (me["id"], "L2_SKILLED", "L2_SKILLED")).fetchone()["id"] is None     # no change
    assert db.execute(level_up, (admin["id"], "L0_APPLICANT", "L1_ACTIVATED")).fetchone()["id"] is None  # not a participant
    assert db.execute(level_up, (me["id"], "L2_SKILLED", "L4_EARNER")).fetchone()["id"] is not None
    assert achievements(db, me["id"]) == [("level_up", "L2_SKILLED"), ("level_up", "L4_EARNER")]
    post = db.execute("select * from missions.wall_feed() where id = %s", (first,)).fetchone()
    assert post["body"] == "Levelled up: L1_ACTIVATED → L2_SKILLED." and post["rank_score"] > 0
    assert sqlstate(db, None, level_up, me["id"], "L1_ACTIVATED", "L9_GOD") == "MS422"
    # private: no caller role may post achievements itself
    for who in ("participant", "admin", "service"):
        assert sqlstate(db, principals[who], level_up, me["id"], "L0_APPLICANT", "L5_CATALYST") == "42501"
        assert sqlstate(db, principals[who], "select missions_private.post_achievement(%s, 'level_up', 'L5', 'x')",
                        me["id"]) == "42501"


def test_parallel_level_up_posts_and_direct_inserts_make_one_post(db, connect, principals):
    me = principals["participant"]
    conns = [connect(autocommit=True) for _ in range(4)]

    def post(conn):
        def go(barrier):
            barrier.wait()
            return conn.execute("select missions_private.post_level_up(%s, 'L0_APPLICANT', 'L1_ACTIVATED') as id",
                                (me["id"],)).fetchone()["id"]
        return go

    outcomes = run_together([post(c) for c in conns])
    assert [exc for _, exc in outcomes] == [None] * 4
    assert sum(row is not None for row, _ in outcomes) == 1
    assert achievements(db, me["id"]) == [("level_up", "L1_ACTIVATED")]
    # the unique index holds whoever writes
    state = sqlstate(db, None, "insert into missions_private.wall_posts (participant_id, body, kind, achievement_ref) "
                               "values (%s, 'again', 'level_up', 'L1_ACTIVATED')", me["id"])
    assert state == "23505"


def test_http_the_wall_shows_achievement_posts_with_their_kind(client, db, principals):
    me, admin = principals["participant"], principals["admin"]
    hard = make_template(db, title="Book a discovery call", difficulty="HARD")
    m = submitted_mission(db, me["id"], hard)
    ok = client.post(f"/missions/admin/{m['id']}/approve", headers=bearer(admin))
    assert ok.status_code == 200, ok.text
    db.execute("select missions_private.post_level_up(%s, 'L0_APPLICANT', 'L1_ACTIVATED')", (me["id"],))
    own = client.post(f"/missions/{me['id']}/wall", headers=bearer(me), json={"body": "hello"})
    assert own.status_code == 201 and own.json()["kind"] == "post"
    feed = client.get("/wall", headers=bearer(principals["other"])).json()
    assert sorted(p["kind"] for p in feed) == ["hard_completion", "level_up", "post"]
    assert {p["author"] for p in feed} == {db.execute("select display_name from missions_private.principals "
                                                      "where id = %s", (me["id"],)).fetchone()["display_name"]}


# ---- stipend tiers --------------------------------------------------------------------------------

def tier(db, pid: str) -> dict:
    return db.execute("select missions.stipend_tier(%s) as t", (pid,)).fetchone()["t"]


def test_the_shipped_ladder(db):
    rows = db.execute("select * from missions.stipend_tiers()").fetchall()
    assert [(r["code"], r["rank"], r["currency"], r["min_balance"]) for r in rows] == [
        ("SUPPORT", 1, "MOMENTUM", 30), ("STIPEND_BASIC", 2, "MOMENTUM", 100), ("STIPEND_PLUS", 3, "MOMENTUM", 250)]


@pytest.mark.parametrize(("momentum", "code", "next_code", "shortfall"), [
    (0, None, "SUPPORT", 30), (29, None, "SUPPORT", 1), (30, "SUPPORT", "STIPEND_BASIC", 70),
    (99, "SUPPORT", "STIPEND_BASIC", 1), (100, "STIPEND_BASIC", "STIPEND_PLUS", 150),
    (249, "STIPEND_BASIC", "STIPEND_PLUS", 1), (250, "STIPEND_PLUS", None, None), (1000, "STIPEND_PLUS", None, None)])
def test_each_threshold_boundary(db, principals, momentum, code, next_code, shortfall):
    me = principals["participant"]
    if momentum:
        credit(db, me["id"], momentum)
    t = tier(db, me["id"])
    assert (t["tier"], t["eligible"]) == (code, code is not None)
    assert (t["next"] or {}).get("code") == next_code and (t["next"] or {}).get("shortfall") == shortfall
    assert [s["met"] for s in t["tiers"]] == [momentum >= 30, momentum >= 100, momentum >= 250]
    assert {s["balance"] for s in t["tiers"]} == {momentum}


def test_tiers_follow_the_ledger_and_climb_as_a_ladder(db, principals):
    me = principals["participant"]
    credit(db, me["id"], 120)
    assert tier(db, me["id"])["tier"] == "STIPEND_BASIC"
    debit(db, me["id"], 25)                                  # 95: back to SUPPORT
    assert tier(db, me["id"])["tier"] == "SUPPORT"
    # a rank on another currency: the ladder stops at the first unmet rank
    db.execute("select missions.set_stipend_tier('EARNER', 4, 'INCOME_PROOF', 1, 'Shows income')")
    credit(db, me["id"], 5, "INCOME_PROOF")
    assert (tier(db, me["id"])["tier"], tier(db, me["id"])["next"]["code"]) == ("SUPPORT", "STIPEND_BASIC")
    credit(db, me["id"], 200)                                # 295 momentum: every rank met
    t = tier(db, me["id"])
    assert (t["tier"], t["rank"], t["next"]) == ("EARNER", 4, None)
    db.execute("select missions.delete_stipend_tier('STIPEND_PLUS')")
    assert [s["code"] for s in tier(db, me["id"])["tiers"]] == ["SUPPORT", "STIPEND_BASIC", "EARNER"]
    db.execute("delete from missions_private.stipend_tiers")
    assert tier(db, me["id"]) | {"tiers": None} == {"participant_id": me["id"], "eligible": False, "tier": None,
                                                    "rank": None, "next": None, "tiers": None}


def test_tier_management_is_validated_and_staff_only(db, principals):
    admin = principals["admin"]
    setter = "select missions.set_stipend_tier(%s, %s, %s, %s)"
    assert sqlstate(db, admin, setter, "lower", 5, "MOMENTUM", 1) == "MS422"
    assert sqlstate(db, admin, setter, "T", 0, "MOMENTUM", 1) == "MS422"
    assert sqlstate(db, admin, setter, "T", 21, "MOMENTUM", 1) == "MS422"
    assert sqlstate(db, admin, setter, "T", 5, "GOLD", 1) == "MS422"
    assert sqlstate(db, admin, setter, "T", 5, "MOMENTUM", -1) == "MS422"
    assert sqlstate(db, admin, setter, "T", 1, "MOMENTUM", 1) == "23505"            # rank 1 is SUPPORT's
    assert sqlstate(db, admin, "select missions.delete_stipend_tier('NOPE')") == "MS404"
    for who in ("participant", "mentor", "agent"):
        assert sqlstate(db, principals[who], setter, "T", 5, "MOMENTUM", 1) == "42501"
    # a participant sees only their own tier; staff anyone's
    me = principals["participant"]
    assert sqlstate(db, principals["other"], "select missions.stipend_tier(%s)", me["id"]) == "MS403"
    assert sqlstate(db, principals["mentor"], "select missions.stipend_tier(%s)", me["id"]) == "42501"
    assert sqlstate(db, principals["service"], "select missions.stipend_tier(%s)", me["id"]) is None
    assert sqlstate(db, admin, "select missions.stipend_tier(%s)", admin["id"]) == "MS404"


def test_http_stipend_tiers(client, db, principals):
    me, admin = principals["participant"], principals["admin"]
    ladder = client.get("/stipend-tiers", headers=bearer(me)).json()
    assert [(t["code"], t["minBalance"]) for t in ladder] == [("SUPPORT", 30), ("STIPEND_BASIC", 100),
                                                                ("STIPEND_PLUS", 250)]
    credit(db, me["id"], 100)
    mine = client.get(f"/missions/{me['id']}/stipend-tier", headers=bearer(me))
    assert mine.status_code == 200, mine.text
    body = mine.json()
    assert (body["eligible"], body["tier"], body["rank"]) == (True, "STIPEND_BASIC", 2)
    assert (body["next"]["code"], body["next"]["shortfall"], body["next"]["minBalance"]) == ("STIPEND_PLUS", 150, 250)
    assert_problem(client.get(f"/missions/{me['id']}/stipend-tier", headers=bearer(principals["other"])), 403)
    assert client.get(f"/missions/{me['id']}/stipend-tier", headers=bearer(admin)).json()["tier"] == "STIPEND_BASIC"
    # staff move a threshold: the answer follows
    put = client.put("/stipend-tiers/STIPEND_BASIC", headers=bearer(admin),
                     json={"rank": 2, "currency": "MOMENTUM", "minBalance": 101, "description": "Basic"})
    assert put.status_code == 200 and put.json() == {"code": "STIPEND_BASIC", "rank": 2, "currency": "MOMENTUM",
                                                     "minBalance": 101, "description": "Basic"}
    assert client.get(f"/missions/{me['id']}/stipend-tier", headers=bearer(me)).json()["tier"] == "SUPPORT"
    assert_problem(client.put("/stipend-tiers/OTHER", headers=bearer(admin),
                              json={"rank": 2, "currency": "MOMENTUM", "minBalance": 1}), 409)
    assert_problem(client.put("/stipend-tiers/OTHER", headers=bearer(admin),
                              json={"rank": 5, "currency": "GOLD", "minBalance": 1}), 422)
    assert_problem(client.put("/stipend-tiers/bad-code", headers=bearer(admin),
                              json={"rank": 5, "currency": "MOMENTUM", "minBalance": 1}), 422)
    assert_problem(client.put("/stipend-tiers/OTHER", headers=bearer(me),
                              json={"rank": 5, "currency": "MOMENTUM", "minBalance": 1}), 403)
    gone = client.delete("/stipend-tiers/STIPEND_PLUS", headers=bearer(admin))
    assert gone.status_code == 200 and gone.json()["code"] == "STIPEND_PLUS"
    assert_problem(client.delete("/stipend-tiers/STIPEND_PLUS", headers=bearer(admin)), 404)
