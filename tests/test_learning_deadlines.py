"""Time-bound learning missions: one deadline warning when a quarter of the time is left, through the outbox."""

from __future__ import annotations

from tests.conftest import make_principal
from tests.learning_helpers import call, create_template


def test_one_warning_per_mission_when_a_quarter_of_the_time_is_left(db):
    tid = create_template(db, time_constraint_hours=8)
    untimed = create_template(db, "SIEM-09")
    learner = make_principal(db, "participant", tier="PREMIUM")
    db.execute("set missions.now = '2026-05-04 08:00+00'")
    mid = call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)["id"]
    call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], untimed)

    db.execute("set missions.now = '2026-05-04 13:59+00'")  # 2 h 01 left of 8 h
    assert db.execute("select missions.warn_learning_deadlines() as n").fetchone()["n"] == 0
    db.execute("set missions.now = '2026-05-04 14:00+00'")  # exactly 2 h (a quarter) left
    assert db.execute("select missions.warn_learning_deadlines() as n").fetchone()["n"] == 1
    assert db.execute("select missions.warn_learning_deadlines() as n").fetchone()["n"] == 0  # once
    event = db.execute("select participant_id, payload from missions_private.events "
                       "where type = 'learning.deadline_warning' and mission_id = %s", (mid,)).fetchone()
    assert str(event["participant_id"]) == learner["id"] and event["payload"]["minutes_left"] == 120
    queued = db.execute("select count(*) as n from pgmq.q_mission_events "
                        "where message->>'type' = 'learning.deadline_warning'").fetchone()["n"]
    assert queued == 1

    db.execute("set missions.now = '2026-05-04 16:00+00'")  # the deadline: expiry, and no more warnings
    assert db.execute("select missions.expire_missions() as n").fetchone()["n"] == 1
    assert db.execute("select missions.warn_learning_deadlines() as n").fetchone()["n"] == 0
    assert call(db, learner, "select missions.learning_progress(%s)", mid)["status"] == "expired"
