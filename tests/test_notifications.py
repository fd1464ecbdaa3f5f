"""The in-app inbox: each seed moment notifies its recipients once (mentor review requested, human input
requested, alert triggered, learning deadline warning, daily mission assigned, streak at risk — across a DST
change), nobody reads another's inbox, and the HTTP list / unread count / mark read."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers.calls import call, rows
from tests.helpers.engagement import hours, job, make_template, set_clock
from tests.helpers.http import assert_problem
from tests.helpers.learning import create_template, designate, premium_submission, start
from tests.helpers.principals import bearer, make_principal


def inbox(db, who: dict) -> list[dict]:
    """The principal's notifications as the principal sees them (the SQL API), newest first."""
    return rows(db, who, "select * from missions.notifications(false, 200, null)")


def kinds(db, who: dict) -> list[str]:
    return [n["kind"] for n in inbox(db, who)]


def test_a_mentor_review_request_notifies_the_designated_mentors_once(db, principals):
    learner = make_principal(db, "participant", tier="PREMIUM")
    designated, idle = principals["mentor"], make_principal(db, "mentor", "Not designated")
    designate(db, "mentor_review", designated)
    mid = premium_submission(db, learner)
    [note] = inbox(db, designated)
    assert note["kind"] == "mentor_review_requested" and str(note["mission_id"]) == mid and note["read_at"] is None
    assert inbox(db, idle) == [] and "mentor_review_requested" not in kinds(db, learner)


def test_a_question_notifies_the_missions_owner_once(db, principals):
    owner, agent = principals["participant"], principals["agent"]
    spec = {"title": "Plan the offsite", "type": "persistent", "owner_id": owner["id"], "lead_agent_id": agent["id"],
            "steps": [{"title": "Pick a venue"}]}
    mid = str(call(db, agent, "select missions.create_agent_mission(%s::jsonb)", json.dumps(spec)))
    request = call(db, agent, "select row_to_json(r) from missions.request_human_input(%s, null, 'Lake or city?') r",
                   mid)
    [note] = inbox(db, owner)
    assert note["kind"] == "input_requested" and note["details"]["request_id"] == request["id"]
    assert "Lake or city?" in note["title"]
    assert kinds(db, principals["other"]) == [] and kinds(db, principals["admin"]) == []
    # the same moment again (as a retried rule would) notifies nobody a second time
    again = db.execute("select missions_private.notify(array[%s]::uuid[], 'input_requested', %s, null, 'x') as n",
                       (owner["id"], f"input:{request['id']}")).fetchone()["n"]
    assert again == 0 and len(inbox(db, owner)) == 1


def test_an_alert_notifies_every_active_admin_once(db, principals):
    second_admin, gone_admin = make_principal(db, "admin", "Second admin"), make_principal(db, "admin", "Gone")
    db.execute("update missions_private.principals set active = false where id = %s", (gone_admin["id"],))
    participant = principals["participant"]["id"]
    raise_twice = "select missions_private.raise_alerts(array[%s]::uuid[], 'LOW_MOMENTUM', 'HIGH') as n"
    assert db.execute(raise_twice, (participant,)).fetchone()["n"] == 1
    assert db.execute(raise_twice, (participant,)).fetchone()["n"] == 0  # still open: no new alert, no new note
    for admin in (principals["admin"], second_admin):
        [note] = inbox(db, admin)
        assert note["kind"] == "alert_triggered" and note["details"]["participant_id"] == participant
    count = db.execute("select count(*) as n from missions_private.notifications where recipient_id = %s",
                       (gone_admin["id"],)).fetchone()["n"]
    assert count == 0 and kinds(db, principals["participant"]) == []


def test_a_learning_deadline_warning_notifies_the_learner_once(db):
    tid = create_template(db, time_constraint_hours=8)
    learner = make_principal(db, "participant", tier="PREMIUM")
    set_clock(db, "2026-05-04 08:00+00")
    mid = start(db, learner, tid)["id"]
    set_clock(db, "2026-05-04 14:00+00")
    assert job(db, "warn_learning_deadlines") == 1 and job(db, "warn_learning_deadlines") == 0
    [note] = inbox(db, learner)
    assert note["kind"] == "deadline_warning" and str(note["mission_id"]) == mid


def test_a_daily_assignment_notifies_the_participant_once_per_mission(db, principals):
    make_template(db, is_daily=True, title="Daily stretch")
    pat = principals["participant"]
    set_clock(db, "2026-03-02 07:00+00")
    assert job(db, "assign_daily_missions") >= 1
    job(db, "assign_daily_missions")
    assigned = [n for n in inbox(db, pat) if n["kind"] == "mission_assigned"]
    assert len(assigned) == 1 and "Daily stretch" in assigned[0]["title"] and assigned[0]["details"]["origin"] == "daily"
    assert all(n["kind"] != "mission_assigned" for n in inbox(db, principals["admin"]))


@pytest.mark.parametrize("dst_day, expected_utc", [
    ("2026-11-01", datetime(2026, 11, 1, 23, tzinfo=UTC)),  # falls back at 02:00: 18:00 EST is 23:00 UTC
    ("2026-03-08", datetime(2026, 3, 8, 22, tzinfo=UTC)),   # springs forward at 02:00: 18:00 EDT is 22:00 UTC
])
def test_a_streak_at_risk_notifies_once_on_the_evening_of_a_dst_change(db, dst_day, expected_utc):
    """America/New_York on the day its clocks change: a participant who checked in the day before and not yet
    today is warned once, from 18:00 local, whatever the UTC offset did that morning."""
    pat = make_principal(db, "participant", timezone="America/New_York")
    day = datetime.fromisoformat(dst_day).date()
    db.execute("insert into missions_private.participant_progress (participant_id, current_streak, longest_streak, "
               "last_check_in) values (%s, 4, 4, %s) on conflict (participant_id) do update set "
               "current_streak = 4, longest_streak = 4, last_check_in = excluded.last_check_in",
               (pat["id"], day - timedelta(days=1)))
    warned_at = []
    for t in hours(datetime.combine(day, datetime.min.time(), UTC), datetime.combine(day + timedelta(days=1),
                                                                                      datetime.min.time(), UTC)
                   + timedelta(hours=12)):
        set_clock(db, t)
        if job(db, "notify_streaks_at_risk"):
            warned_at.append(t)
    assert warned_at == [expected_utc]
    [note] = inbox(db, pat)
    assert note["kind"] == "streak_at_risk" and note["details"]["local_day"] == dst_day and note["details"]["streak"] == 4


def test_no_streak_warning_after_a_check_in_or_without_a_streak(db):
    checked, streakless = make_principal(db, "participant"), make_principal(db, "participant")
    set_clock(db, "2026-06-10 19:00+00")  # 19:00 in UTC, the default time zone
    db.execute("insert into missions_private.participant_progress (participant_id, current_streak, longest_streak, "
               "last_check_in) values (%s, 2, 2, '2026-06-10'), (%s, 0, 3, '2026-06-01') on conflict (participant_id) "
               "do update set current_streak = excluded.current_streak, longest_streak = excluded.longest_streak, "
               "last_check_in = excluded.last_check_in", (checked["id"], streakless["id"]))
    assert job(db, "notify_streaks_at_risk") == 0


def test_the_inbox_over_http_is_the_callers_own(client, db, principals):
    pat, other = principals["participant"], principals["other"]
    for n in range(3):
        db.execute("select missions_private.notify(array[%s]::uuid[], 'streak_at_risk', %s, null, %s)",
                   (pat["id"], f"streak:2026-01-0{n + 1}", f"note {n}"))
    db.execute("select missions_private.notify(array[%s]::uuid[], 'streak_at_risk', 'streak:x', null, 'theirs')",
               (other["id"],))
    first = client.get("/notifications?limit=2", headers=bearer(pat))
    assert first.status_code == 200 and [n["title"] for n in first.json()["items"]] == ["note 2", "note 1"]
    rest = client.get(f"/notifications?limit=2&cursor={first.json()['nextCursor']}", headers=bearer(pat)).json()
    assert [n["title"] for n in rest["items"]] == ["note 0"]
    assert client.get("/notifications/unread-count", headers=bearer(pat)).json() == {"unread": 3}
    newest = first.json()["items"][0]["id"]
    theirs = client.get("/notifications", headers=bearer(other)).json()["items"][0]["id"]
    marked = client.post("/notifications/read", headers=bearer(pat), json={"ids": [newest, theirs]})
    assert marked.status_code == 200 and marked.json() == {"marked": 1}  # another's id is ignored
    assert client.get("/notifications/unread-count", headers=bearer(other)).json() == {"unread": 1}
    unread = client.get("/notifications?unread=true", headers=bearer(pat)).json()["items"]
    assert [n["title"] for n in unread] == ["note 1", "note 0"]
    assert client.post("/notifications/read", headers=bearer(pat)).json() == {"marked": 2}
    assert client.get("/notifications/unread-count", headers=bearer(pat)).json() == {"unread": 0}
    assert_problem(client.post("/notifications/read", headers=bearer(pat), json={"ids": list(range(1, 202))}), 422)
    assert_problem(client.get("/notifications"), 401)
    assert call(db, other, "select missions.unread_notification_count()") == 1


def test_the_streak_job_is_scheduled(db):
    jobs = {r["job"]: r for r in db.execute("select * from missions.cron_jobs()")}
    assert jobs["notify_streaks_at_risk"]["schedule"] == "6 * * * *"
