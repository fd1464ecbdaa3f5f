"""Time-bound learning missions: one deadline warning when a quarter of the time is left, through the outbox."""

from __future__ import annotations

from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import create_template, designate
from tests.helpers.principals import make_principal


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


def test_an_optional_subtask_can_be_skipped_and_a_failed_review_returns_the_mission(db, connect):
    spec_subtasks = [{"title": "Read the brief"}, {"title": "Bonus: write a Sigma rule", "optional": True},
                     {"title": "Report"}]
    tid = create_template(db, "OPT-01", subtasks=spec_subtasks, rubric=None, reflection_required=False)
    learner = make_principal(db, "participant", tier="STARTER")
    mid = call(db, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)["id"]
    save = "select missions.save_mission_progress(%s, %s::jsonb)"
    call(db, learner, save, mid, '{"subtask": 1, "done": true}')
    assert sqlstate(db, learner, save, mid, '{"subtask": 3, "skip": true}') == "MS409"  # not reached
    doc = call(db, learner, save, mid, '{"subtask": 2, "skip": true}')
    assert [s["status"] for s in doc["subtasks"]] == ["completed", "skipped", "ready"]
    doc = call(db, learner, save, mid, '{"subtask": 3, "done": true}')
    call(db, learner, "select missions.submit_learning_mission(%s)", mid)

    # a reviewer agent that fails the ai_review step out of attempts does not leave the learner stuck
    agent = make_principal(db, "agent")
    designate(db, "ai_review", agent)
    for _ in range(3):
        db.execute("update missions_private.steps set not_before = null where kind = 'ai_review'")  # skip backoff
        step = call(db, agent, "select c.step_id from missions.claim_next_step(%s, array['ai_review']) c", agent["id"])
        token = db.execute("select lease_token from missions_private.steps where id = %s", (step,)).fetchone()
        call(db, agent, "select missions.fail_step(%s, %s, %s, 'model timeout')", step, agent["id"], token["lease_token"])
    doc = call(db, learner, "select missions.learning_progress(%s)", mid)
    assert doc["status"] == "in_progress" and doc["review_stage"] == "changes_requested"
    assert "submit again" in doc["feedback"]
    assert call(db, learner, "select missions.submit_learning_mission(%s)", mid)["review_stage"] == "ai_review"
