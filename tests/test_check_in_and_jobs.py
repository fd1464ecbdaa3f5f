"""Check-ins and streaks in local time, the scheduled jobs (daily/weekly assignment, momentum decay,
expiry, pausing), and the intervention alerts they raise."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from psycopg import errors

from tests.helpers.engagement import (
    alerts,
    approve,
    assign,
    balances,
    check_in,
    credit,
    fail_mission,
    fails,
    hours,
    job,
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

UTC = UTC
NEW_YORK = ZoneInfo("America/New_York")


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def momentum(db, pid) -> int:
    return balances(db, pid)["MOMENTUM"]


def participant_at(db, when: str, **attrs) -> str:
    """A participant created at the given engine time (decay and pausing look at the join day)."""
    set_clock(db, when)
    return make_principal(db, "participant", **attrs)["id"]


# ---- check-in and streaks ----------------------------------------------------------------------

def test_a_second_check_in_the_same_local_day_changes_nothing(db):
    pid = participant_at(db, "2030-01-06 08:00:00+00")
    set_clock(db, "2030-01-06 09:00:00+00")
    first = check_in(db, pid)
    assert (first["checked_in"], first["local_day"], first["current_streak"], first["longest_streak"],
            first["bonus"], first["unpaused"]) == (True, date(2030, 1, 6), 1, 1, 0, False)
    set_clock(db, "2030-01-06 23:59:00+00")
    second = check_in(db, pid)
    assert (second["checked_in"], second["local_day"], second["current_streak"], second["longest_streak"],
            second["bonus"]) == (False, date(2030, 1, 6), 1, 1, 0)
    assert db.execute("select count(*) as n from missions_private.check_ins").fetchone()["n"] == 1
    assert progress(db, pid)["current_streak"] == 1


def test_concurrent_check_ins_count_once(db, connect):
    pid = participant_at(db, "2030-01-05 08:00:00+00")
    conns = [connect(autocommit=True) for _ in range(2)]

    def checker(conn):
        def go(barrier):
            barrier.wait()
            return check_in(conn, pid)
        return go

    for day in (6, 7, 8):
        for c in conns:
            set_clock(c, f"2030-01-{day:02d} 09:00:00+00")
        outcomes = run_together([checker(c) for c in conns])
        assert [exc for _, exc in outcomes] == [None, None]
        assert sorted(row["checked_in"] for row, _ in outcomes) == [False, True]
        assert {row["current_streak"] for row, _ in outcomes} == {day - 5}
    assert db.execute("select count(*) as n from missions_private.check_ins").fetchone()["n"] == 3
    assert (progress(db, pid)["current_streak"], progress(db, pid)["longest_streak"]) == (3, 3)


def test_consecutive_days_extend_the_streak_and_a_gap_restarts_it(db):
    pid = participant_at(db, "2030-01-01 08:00:00+00")
    streaks = []
    for day in (1, 2, 3, 5, 6):                      # the 4th is skipped
        set_clock(db, f"2030-01-{day:02d} 12:00:00+00")
        row = check_in(db, pid)
        streaks.append((row["current_streak"], row["longest_streak"]))
    assert streaks == [(1, 1), (2, 2), (3, 3), (1, 3), (2, 3)]
    p = progress(db, pid)
    assert (p["current_streak"], p["longest_streak"], p["last_check_in"]) == (2, 3, date(2030, 1, 6))


def test_streak_bonuses_at_7_14_and_30_days(db):
    pid = participant_at(db, "2030-01-01 00:00:00+00")
    start_day = datetime(2030, 1, 1, 7, 0, tzinfo=UTC)
    bonuses = {}
    for n in range(1, 31):
        set_clock(db, start_day + timedelta(days=n - 1))
        row = check_in(db, pid)
        assert row["checked_in"] and row["current_streak"] == n
        bonuses[n] = row["bonus"]
    assert {n: b for n, b in bonuses.items() if b} == {7: 50, 14: 100, 30: 200}
    entries = ledger(db, pid)
    assert [(e["reason"], e["amount"], e["currency"], e["reference"]) for e in entries] == [
        ("STREAK_BONUS_7", 50, "MOMENTUM", "check_in:2030-01-07"),
        ("STREAK_BONUS_14", 100, "MOMENTUM", "check_in:2030-01-14"),
        ("STREAK_BONUS_30", 200, "MOMENTUM", "check_in:2030-01-30")]
    assert momentum(db, pid) == 350
    # a repeated check-in on a bonus day pays nothing more
    assert check_in(db, pid)["checked_in"] is False
    assert momentum(db, pid) == 350


def test_check_ins_follow_the_participants_local_day(db):
    pid = participant_at(db, "2030-01-05 00:00:00+00", timezone="Asia/Tokyo")
    set_clock(db, "2030-01-06 16:00:00+00")         # 01:00 on the 7th in Tokyo
    first = check_in(db, pid)
    assert first["checked_in"] and first["local_day"] == date(2030, 1, 7)
    set_clock(db, "2030-01-07 14:00:00+00")         # 23:00 on the 7th in Tokyo: the same local day
    second = check_in(db, pid)
    assert second["checked_in"] is False and second["local_day"] == date(2030, 1, 7)
    set_clock(db, "2030-01-07 15:00:00+00")         # 00:00 on the 8th in Tokyo: a new day
    third = check_in(db, pid)
    assert third["checked_in"] and third["local_day"] == date(2030, 1, 8) and third["current_streak"] == 2


def test_participants_check_in_only_themselves(db, principals):
    with db.transaction():
        act_as(db, principals["participant"])
        assert check_in(db, principals["participant"]["id"])["checked_in"] is True
        assert fails(db, "select * from missions.check_in(%s)", (principals["other"]["id"],)).sqlstate == "MS403"
    assert db.execute("select count(*) as n from missions_private.check_ins").fetchone()["n"] == 1


# ---- daily assignment and decay across daylight-saving changes --------------------------------

def simulate_hourly(db, pid, start: datetime, end: datetime) -> None:
    """Run the hourly jobs like cron does; the participant completes each new daily mission at once,
    so the single daily template is free again for the next local day."""
    for t in hours(start, end):
        set_clock(db, t)
        job(db, "assign_daily_missions")
        for m in db.execute("select id from missions_private.missions where participant_id = %s "
                            "and origin = 'daily' and status = 'assigned'", (pid,)).fetchall():
            start_and_submit = db.execute("select * from missions.start_mission(%s)", (m["id"],)).fetchone()
            assert start_and_submit["status"] == "in_progress"
            submit(db, m["id"])
        job(db, "apply_momentum_decay")
        dupes = db.execute("select period, count(*) as n from missions_private.missions where participant_id = %s "
                           "and origin = 'daily' group by period having count(*) > 1", (pid,)).fetchall()
        assert dupes == [], f"two daily missions for one local day at {t}: {dupes}"


def dailies(db, pid):
    return [(r["period"], r["created_at"]) for r in db.execute(
        "select period, created_at from missions_private.missions where participant_id = %s and origin = 'daily' "
        "order by created_at", (pid,))]


def decays(db, pid):
    return [(e["reference"], e["created_at"], e["amount"]) for e in ledger(db, pid, "DECAY_INACTIVE")]


@pytest.mark.parametrize("start, end, expected_dailies, expected_decays", [
    pytest.param(
        "2030-03-08 00:00", "2030-03-12 00:00",
        # DST starts on Sunday 2030-03-10 at 02:00 local: 06:00 local is 11:00 UTC before, 10:00 UTC after
        [("2030-03-07", "2030-03-08 00:00"), ("2030-03-08", "2030-03-08 11:00"), ("2030-03-09", "2030-03-09 11:00"),
         ("2030-03-10", "2030-03-10 10:00"), ("2030-03-11", "2030-03-11 10:00")],
        # local midnight: 05:00 UTC while on EST, 04:00 UTC on EDT
        [("2030-03-07", "2030-03-08 05:00"), ("2030-03-08", "2030-03-09 05:00"), ("2030-03-09", "2030-03-10 05:00"),
         ("2030-03-10", "2030-03-11 04:00")],
        id="spring-forward"),
    pytest.param(
        "2030-11-01 00:00", "2030-11-05 00:00",
        # DST ends on Sunday 2030-11-03 at 02:00 local (01:00-02:00 happens twice)
        [("2030-10-31", "2030-11-01 00:00"), ("2030-11-01", "2030-11-01 10:00"), ("2030-11-02", "2030-11-02 10:00"),
         ("2030-11-03", "2030-11-03 11:00"), ("2030-11-04", "2030-11-04 11:00")],
        [("2030-10-31", "2030-11-01 04:00"), ("2030-11-01", "2030-11-02 04:00"), ("2030-11-02", "2030-11-03 04:00"),
         ("2030-11-03", "2030-11-04 05:00")],
        id="fall-back"),
])
def test_one_daily_mission_and_one_decay_per_local_day_across_dst(db, start, end, expected_dailies, expected_decays):
    pid = participant_at(db, f"{start}:00+00", timezone="America/New_York")
    credit(db, pid, 1000)
    make_template(db, title="Daily stretch", is_daily=True, momentum=1, skill_xp=0)
    simulate_hourly(db, pid, utc(start), utc(end))

    got = dailies(db, pid)
    assert [(str(period), created.astimezone(UTC).strftime("%Y-%m-%d %H:%M")) for period, created in got] == \
        expected_dailies
    for period, created in got[1:]:  # assigned from 06:00 on the local day it is for
        local = created.astimezone(NEW_YORK)
        assert local.date() == period and local.hour == 6

    got_decays = decays(db, pid)
    assert len({ref for ref, _, _ in got_decays}) == len(got_decays)
    assert [(ref, created.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), amount) for ref, created, amount in got_decays] \
        == [(f"decay:{day}", at, -5) for day, at in expected_decays]
    assert progress(db, pid)["last_decay_day"] == date.fromisoformat(expected_decays[-1][0])
    # the balance is exactly the ledger: 1000 + 5 daily rewards - 4 decays
    assert momentum(db, pid) == 1000 + 5 - 20


def test_ignored_dailies_still_give_one_mission_per_local_day_under_the_cron_schedule(db):
    """An overdue daily is expired by the assignment job itself, so it never blocks the next day's."""
    pid = participant_at(db, "2030-01-07 00:00:00+00", timezone="America/New_York")
    make_template(db, title="Daily stretch", is_daily=True)
    for t in hours(utc("2030-01-07 00:00"), utc("2030-01-10 00:00")):
        set_clock(db, t)                                   # assign_daily_missions: '0 * * * *'
        job(db, "assign_daily_missions")
        if t.hour % 6 == 0:                                # expire_missions: '10 */6 * * *'
            set_clock(db, t + timedelta(minutes=10))
            job(db, "expire_missions")
    periods = [str(period) for period, _ in dailies(db, pid)]
    assert periods == ["2030-01-06", "2030-01-07", "2030-01-08", "2030-01-09"]


# ---- momentum decay ----------------------------------------------------------------------------

def test_decay_runs_once_per_ended_day(db):
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    credit(db, pid, 100)
    set_clock(db, "2030-01-07 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 1
    assert job(db, "apply_momentum_decay") == 0
    set_clock(db, "2030-01-07 23:00:00+00")
    assert job(db, "apply_momentum_decay") == 0
    assert momentum(db, pid) == 95
    assert [(e["amount"], e["requested"], e["reason"], e["reference"]) for e in ledger(db, pid, "DECAY_INACTIVE")] == \
        [(-5, -5, "DECAY_INACTIVE", "decay:2030-01-06")]
    set_clock(db, "2030-01-08 00:10:00+00")
    assert job(db, "apply_momentum_decay") == 1
    assert momentum(db, pid) == 90
    assert progress(db, pid)["last_decay_day"] == date(2030, 1, 7)


def test_decay_does_not_touch_a_participant_who_checked_in_that_day(db):
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    credit(db, pid, 100)
    check_in(db, pid)
    set_clock(db, "2030-01-07 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 0
    assert momentum(db, pid) == 100 and ledger(db, pid, "DECAY_INACTIVE") == []
    p = progress(db, pid)
    assert (p["current_streak"], p["last_decay_day"]) == (1, date(2030, 1, 6))
    # the 7th is missed, but a check-in on the 8th before the job runs keeps the new streak
    set_clock(db, "2030-01-08 00:20:00+00")
    assert check_in(db, pid)["current_streak"] == 1
    set_clock(db, "2030-01-08 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 1
    assert momentum(db, pid) == 95
    assert progress(db, pid)["current_streak"] == 1


def test_decay_resets_the_streak_of_a_missed_day(db):
    pid = participant_at(db, "2030-01-05 09:00:00+00")
    credit(db, pid, 100)
    for day in (5, 6):
        set_clock(db, f"2030-01-{day:02d} 10:00:00+00")
        check_in(db, pid)
    set_clock(db, "2030-01-08 00:30:00+00")   # the 7th had no check-in
    assert job(db, "apply_momentum_decay") == 1
    p = progress(db, pid)
    assert (p["current_streak"], p["longest_streak"]) == (0, 2)


def test_decay_floors_at_zero(db):
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    credit(db, pid, 3)
    set_clock(db, "2030-01-07 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 1
    set_clock(db, "2030-01-08 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 1
    assert momentum(db, pid) == 0
    assert [(e["amount"], e["requested"]) for e in ledger(db, pid, "DECAY_INACTIVE")] == [(-3, -5), (0, -5)]
    assert db.execute("select sum(amount) as s from missions_private.ledger_entries where participant_id = %s",
                      (pid,)).fetchone()["s"] == 0


def test_low_momentum_alert_after_decay_is_not_duplicated(db):
    set_clock(db, "2030-01-06 09:00:00+00")
    low, edge, rich = (make_principal(db)["id"] for _ in range(3))
    credit(db, low, 34)
    credit(db, edge, 35)
    credit(db, rich, 100)
    set_clock(db, "2030-01-07 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 3
    assert (momentum(db, low), momentum(db, edge), momentum(db, rich)) == (29, 30, 95)
    triggered = alerts(db, low, "LOW_MOMENTUM")
    assert [(a["status"], a["severity"]) for a in triggered] == [("triggered", "HIGH")]
    assert alerts(db, edge) == [] and alerts(db, rich) == []
    set_clock(db, "2030-01-08 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 3
    assert momentum(db, low) == 24
    assert [a["id"] for a in alerts(db, low, "LOW_MOMENTUM")] == [triggered[0]["id"]]
    assert len(alerts(db, edge, "LOW_MOMENTUM", "triggered")) == 1   # 25 now
    assert alerts(db, rich) == []


def test_paused_participants_are_neither_decayed_nor_assigned(db):
    set_clock(db, "2030-01-06 09:00:00+00")
    paused, active = make_principal(db)["id"], make_principal(db)["id"]
    for pid in (paused, active):
        credit(db, pid, 50)
    db.execute("update missions_private.principals set paused = true where id = %s", (paused,))
    make_template(db, is_daily=True)
    make_template(db, is_weekly=True)
    set_clock(db, "2030-01-07 09:00:00+00")
    assert job(db, "assign_daily_missions") == 1
    assert job(db, "assign_weekly_missions") == 1
    assert job(db, "apply_momentum_decay") == 1
    assert momentum(db, paused) == 50 and momentum(db, active) == 45
    assert db.execute("select count(*) as n from missions_private.missions where participant_id = %s",
                      (paused,)).fetchone()["n"] == 0
    assert [r["origin"] for r in db.execute("select origin from missions_private.missions where participant_id = %s "
                                            "order by origin", (active,))] == ["daily", "weekly"]


def test_daily_missions_wait_for_six_in_the_morning_local_time(db):
    pid = participant_at(db, "2030-01-05 12:00:00+00", timezone="Asia/Tokyo")
    make_template(db, is_daily=True)
    set_clock(db, "2030-01-06 20:59:00+00")         # 05:59 on the 7th in Tokyo
    assert job(db, "assign_daily_missions") == 0
    set_clock(db, "2030-01-06 21:00:00+00")         # 06:00
    assert job(db, "assign_daily_missions") == 1
    m = db.execute("select * from missions_private.missions where participant_id = %s", (pid,)).fetchone()
    assert (m["origin"], m["period"], m["status"]) == ("daily", date(2030, 1, 7), "assigned")
    assert m["expires_at"] == utc("2030-01-07 21:00")


def test_weekly_missions_are_one_per_local_monday_based_week(db):
    pid = participant_at(db, "2030-01-05 12:00:00+00")
    make_template(db, is_weekly=True, difficulty="EASY")
    set_clock(db, "2030-01-07 07:00:00+00")         # Monday
    assert job(db, "assign_weekly_missions") == 1
    m = db.execute("select * from missions_private.missions where participant_id = %s", (pid,)).fetchone()
    # due when the next weekly is: Monday 06:00 local (UTC here)
    assert (m["origin"], m["period"], m["expires_at"]) == ("weekly", date(2030, 1, 7), utc("2030-01-14 06:00"))
    start(db, m["id"])
    submit(db, m["id"])
    set_clock(db, "2030-01-13 22:00:00+00")         # Sunday, same week: nothing new although the template is free
    assert job(db, "assign_weekly_missions") == 0
    set_clock(db, "2030-01-14 07:00:00+00")         # next Monday
    assert job(db, "assign_weekly_missions") == 1
    assert [r["period"] for r in db.execute("select period from missions_private.missions order by period")] == \
        [date(2030, 1, 7), date(2030, 1, 14)]


# ---- expiry and the missed-missions alert -------------------------------------------------------

def test_expire_missions_expires_only_open_work_past_its_deadline(db):
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    assigned = assign(db, pid, make_template(db), 1)
    in_progress = assign(db, pid, make_template(db), 1)
    start(db, in_progress["id"])
    waiting = submitted_mission(db, pid, make_template(db, difficulty="MEDIUM"))
    later = assign(db, pid, make_template(db), 3)
    set_clock(db, "2030-01-07 08:59:00+00")
    assert job(db, "expire_missions") == 0
    set_clock(db, "2030-01-07 09:00:00+00")         # exactly the deadline
    assert job(db, "expire_missions") == 2
    assert job(db, "expire_missions") == 0
    assert {str(k): mission(db, m["id"])["status"] for k, m in
            (("assigned", assigned), ("in_progress", in_progress), ("submitted", waiting), ("later", later))} == \
        {"assigned": "expired", "in_progress": "expired", "submitted": "submitted", "later": "assigned"}
    assert db.execute("select count(*) as n from missions_private.events where to_status = 'expired'").fetchone()["n"] == 2
    assert alerts(db, pid) == []


def test_missed_missions_alert_after_three_in_seven_days_deduplicated(db):
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    for _ in range(2):
        assign(db, pid, make_template(db), 1)
    set_clock(db, "2030-01-07 09:00:00+00")
    assert job(db, "expire_missions") == 2
    assert alerts(db, pid) == []
    assign(db, pid, make_template(db), 1)
    set_clock(db, "2030-01-08 09:00:00+00")
    assert job(db, "expire_missions") == 1
    raised = alerts(db, pid, "MISSED_MISSIONS")
    assert [(a["status"], a["severity"]) for a in raised] == [("triggered", "HIGH")]
    for _ in range(2):
        assign(db, pid, make_template(db), 1)
    set_clock(db, "2030-01-09 09:00:00+00")
    assert job(db, "expire_missions") == 2
    assert [a["id"] for a in alerts(db, pid, "MISSED_MISSIONS")] == [raised[0]["id"]]


def test_failed_reviews_count_as_missed_within_the_window(db):
    admin = make_principal(db, "admin")["id"]
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    other = make_principal(db)["id"]
    for p in (pid, other):
        for _ in range(2):
            assign(db, p, make_template(db), 1)
    set_clock(db, "2030-01-07 09:00:00+00")
    assert job(db, "expire_missions") == 4
    # pid: the third miss is a failed review two days later -> alert
    set_clock(db, "2030-01-09 09:00:00+00")
    fail_mission(db, submitted_mission(db, pid, make_template(db, difficulty="MEDIUM"))["id"], admin, "no")
    assert [a["type"] for a in alerts(db, pid)] == ["MISSED_MISSIONS"]
    # other: the third miss comes after the first two left the 7-day window -> no alert
    set_clock(db, "2030-01-14 09:01:00+00")
    fail_mission(db, submitted_mission(db, other, make_template(db, difficulty="MEDIUM"))["id"], admin, "no")
    assert alerts(db, other) == []


# ---- triad imbalance ---------------------------------------------------------------------------

def approve_hard(db, pid, admin, domain):
    m = submitted_mission(db, pid, make_template(db, difficulty="HARD", skill_domain=domain))
    approve(db, m["id"], admin)


def test_triad_imbalance_when_one_domain_lags_and_another_leads(db):
    admin = make_principal(db, "admin")["id"]
    lopsided, rounded = make_principal(db)["id"], make_principal(db)["id"]
    approve_hard(db, lopsided, admin, "TECHNICAL")
    approve_hard(db, lopsided, admin, "TECHNICAL")
    assert alerts(db, lopsided) == []                    # 40 is not over 50
    approve_hard(db, lopsided, admin, "TECHNICAL")       # 60 / 0 / 0
    raised = alerts(db, lopsided, "TRIAD_IMBALANCE")
    assert [(a["status"], a["severity"]) for a in raised] == [("triggered", "MEDIUM")]
    approve_hard(db, lopsided, admin, "TECHNICAL")       # 80 / 0 / 0: still one alert
    assert [a["id"] for a in alerts(db, lopsided, "TRIAD_IMBALANCE")] == [raised[0]["id"]]
    # 60 / 20 / 20: no domain under 20
    for domain in ("SOFT", "COMMERCIAL", "TECHNICAL", "TECHNICAL", "TECHNICAL"):
        approve_hard(db, rounded, admin, domain)
    p = progress(db, rounded)
    assert (p["triad_technical"], p["triad_soft"], p["triad_commercial"]) == (60, 20, 20)
    assert alerts(db, rounded) == []


# ---- resolving alerts --------------------------------------------------------------------------

def low_momentum_participant(db) -> str:
    pid = participant_at(db, "2030-01-06 09:00:00+00")
    credit(db, pid, 10)
    set_clock(db, "2030-01-07 00:30:00+00")
    assert job(db, "apply_momentum_decay") >= 1
    assert [(a["type"], a["status"]) for a in alerts(db, pid)] == [("LOW_MOMENTUM", "triggered")]
    return pid


def test_resolve_alert(db):
    admin = make_principal(db, "admin")
    pid = low_momentum_participant(db)
    [alert] = alerts(db, pid, "LOW_MOMENTUM")
    set_clock(db, "2030-01-07 10:00:00+00")
    with db.transaction():
        act_as(db, admin)
        resolved = db.execute("select * from missions.resolve_alert(%s, %s, 'called them')",
                              (alert["id"], admin["id"])).fetchone()
    assert (resolved["status"], str(resolved["resolved_by"]), resolved["notes"], resolved["resolved_at"]) == \
        ("resolved", admin["id"], "called them", utc("2030-01-07 10:00"))
    err = fails(db, "select * from missions.resolve_alert(%s, %s, 'again')", (alert["id"], admin["id"]))
    assert err.sqlstate == "MS409"
    assert alerts(db, pid)[0]["notes"] == "called them"
    assert fails(db, "select * from missions.resolve_alert(gen_random_uuid(), %s)", (admin["id"],)).sqlstate == "MS404"
    # once resolved, the rule may raise the same type again
    set_clock(db, "2030-01-08 00:30:00+00")
    assert job(db, "apply_momentum_decay") == 1
    assert [(a["type"], a["status"]) for a in alerts(db, pid)] == [("LOW_MOMENTUM", "resolved"),
                                                                   ("LOW_MOMENTUM", "triggered")]


def test_only_the_acting_admin_resolves_and_participants_cannot(db):
    pid = low_momentum_participant(db)
    principals = {role: make_principal(db, role) for role in ("admin", "participant")}
    [alert] = alerts(db, pid)
    with db.transaction():
        act_as(db, principals["admin"])
        err = fails(db, "select * from missions.resolve_alert(%s, %s)", (alert["id"], make_principal(db, "admin")["id"]))
        assert err.sqlstate == "MS403"
    for who in (principals["participant"], {"id": pid, "role": "participant"}):
        with db.transaction():
            act_as(db, who)
            with pytest.raises(errors.InsufficientPrivilege):
                db.execute("select * from missions.resolve_alert(%s, %s)", (alert["id"], who["id"]))
    assert alerts(db, pid)[0]["status"] == "triggered"


def test_participants_see_only_their_own_alerts(db):
    pid = low_momentum_participant(db)
    other = make_principal(db)
    with db.transaction():
        act_as(db, {"id": pid, "role": "participant"})
        assert [r["type"] for r in db.execute("select * from missions.alerts()")] == ["LOW_MOMENTUM"]
    with db.transaction():
        act_as(db, other)
        assert db.execute("select * from missions.alerts('all')").fetchall() == []
    assert fails(db, "select * from missions.alerts('open')").sqlstate == "MS422"


# ---- pausing -----------------------------------------------------------------------------------

def test_pause_inactive_participants_and_a_check_in_unpauses(db):
    set_clock(db, "2030-01-01 09:00:00+00")
    idle, wealthy, regular = (make_principal(db)["id"] for _ in range(3))
    credit(db, wealthy, 30)
    for pid in (idle, wealthy, regular):
        check_in(db, pid)
    set_clock(db, "2030-01-07 09:00:00+00")          # 6 days since the last check-in
    assert job(db, "pause_inactive_participants") == 0
    set_clock(db, "2030-01-08 12:00:00+00")
    check_in(db, regular)
    set_clock(db, "2030-01-09 09:00:00+00")          # 8 days
    assert job(db, "pause_inactive_participants") == 1
    assert job(db, "pause_inactive_participants") == 0
    paused = {r["id"]: r["paused"] for r in db.execute(
        "select id::text, paused from missions_private.principals where role = 'participant'")}
    assert paused == {idle: True, wealthy: False, regular: False}
    row = check_in(db, idle)
    assert (row["checked_in"], row["unpaused"], row["current_streak"]) == (True, True, 1)
    assert db.execute("select paused from missions_private.principals where id = %s", (idle,)).fetchone()["paused"] \
        is False
    set_clock(db, "2030-01-09 20:00:00+00")
    assert check_in(db, idle)["unpaused"] is False
    # each change of `paused` is a principal event, as when staff change it
    events = db.execute("select type, payload->>'reason' as reason from missions_private.events "
                        "where type like 'principal.%%' order by id").fetchall()
    assert [(e["type"], e["reason"]) for e in events] == [("principal.paused", "inactive"),
                                                          ("principal.unpaused", "check-in")]


def test_pause_counts_from_the_join_day_for_those_who_never_checked_in(db):
    pid = participant_at(db, "2030-01-01 09:00:00+00", timezone="Asia/Tokyo")   # joined on the 1st, Tokyo
    set_clock(db, "2030-01-07 14:00:00+00")          # 23:00 on the 7th in Tokyo: 6 days
    assert job(db, "pause_inactive_participants") == 0
    set_clock(db, "2030-01-08 15:00:00+00")          # 00:00 on the 9th in Tokyo: 8 days
    assert job(db, "pause_inactive_participants") == 1
    assert db.execute("select paused from missions_private.principals where id = %s", (pid,)).fetchone()["paused"]


# ---- every job is idempotent at a given clock --------------------------------------------------

def test_every_job_run_twice_at_the_same_clock_does_nothing_the_second_time(db):
    pid = participant_at(db, "2030-01-01 09:00:00+00")
    make_template(db, is_daily=True)
    make_template(db, is_weekly=True)
    assign(db, pid, make_template(db), 1)
    db.execute("select * from missions.post_to_wall(%s, 'first day')", (pid,))
    set_clock(db, "2030-01-08 09:00:00+00")
    # expire first: the assignment jobs expire overdue missions themselves
    for name in ("expire_missions", "assign_daily_missions", "assign_weekly_missions", "apply_momentum_decay",
                 "recalculate_wall_ranks", "pause_inactive_participants"):
        assert job(db, name) == 1, name
        assert job(db, name) == 0, name
