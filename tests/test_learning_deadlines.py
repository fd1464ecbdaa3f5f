"""Time-bound learning missions: one deadline warning when a quarter of the time is left, through the outbox;
auto-submit at the deadline for templates that ask for it, and its races with a learner's own submit."""

from __future__ import annotations

import json
import threading
import time

import psycopg

from app import reviewer
from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import (
    clocked,
    create_simple,
    create_template,
    designate,
    finish_subtasks,
    learning_row,
    outcome,
    progress_of,
    save,
    set_clock,
    simple_spec,
    start,
    statuses,
    steps_of,
    submit,
)
from tests.helpers.principals import act_as, make_principal, race


def wait_until_blocked(db: psycopg.Connection, pid: int) -> None:
    """Wait until backend pid waits for a lock (a row lock another transaction holds)."""
    for _ in range(300):
        row = db.execute("select wait_event_type from pg_stat_activity where pid = %s", (pid,)).fetchone()
        if row and row["wait_event_type"] == "Lock":
            return
        time.sleep(0.05)
    raise AssertionError(f"backend {pid} never waited for a lock")


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


# ---- auto-submit at the deadline (templates with auto_submit) ------------------------------------------------

AUTO_SUBTASKS = [{"title": "Collect logs"}, {"title": "Triage"}, {"title": "Bonus", "optional": True}]


def auto_world(db) -> tuple[str, str]:
    """An auto-submit template (8 h, reflection required, pass score 100: the rules reviewer sends partial work
    back) and the same without auto-submit; the clock at the start."""
    auto = create_simple(db, "AUTO-01", subtasks=AUTO_SUBTASKS, time_constraint_hours=8, auto_submit=True,
                         reflection_required=True, pass_score=100)
    plain = create_simple(db, "PLAIN-01", subtasks=AUTO_SUBTASKS, time_constraint_hours=8, pass_score=100)
    set_clock(db, "2026-05-04 08:00+00")
    return auto, plain


def test_auto_submit_at_the_deadline_submits_work_and_expires_the_rest(db):
    auto, plain = auto_world(db)
    worker, notes_only, idle, hinted, other_face = (make_principal(db, "participant", n) for n in
                                                   ("Worker", "Notes", "Idle", "Hinted", "Plain"))
    mid = {who["key"]: start(db, who, tid)["id"] for who, tid in
           [(worker, auto), (notes_only, auto), (idle, auto), (hinted, auto), (other_face, plain)]}
    finish_subtasks(db, worker, mid[worker["key"]], [1])
    save(db, worker, mid[worker["key"]], subtask=2, notes="  ")          # blank notes are no work
    save(db, notes_only, mid[notes_only["key"]], subtask=1, notes="Half way through the export.")
    finish_subtasks(db, other_face, mid[other_face["key"]], [1])
    save(db, hinted, mid[hinted["key"]], subtask=1)                       # opened the subtask, wrote nothing

    set_clock(db, "2026-05-04 15:59+00")  # before the deadline: nothing is due
    assert call(db, None, "select missions.auto_submit_learning_missions()") == 0

    set_clock(db, "2026-05-04 16:00+00")  # the deadline: the sweep submits the work first, then expires the rest
    assert call(db, None, "select missions.expire_missions()") == 3      # idle, hinted (no work), plain-01's
    assert call(db, None, "select missions.auto_submit_learning_missions()") == 0
    status = {k: learning_row(db, v)["status"] for k, v in mid.items()}
    assert status == {worker["key"]: "submitted", notes_only["key"]: "submitted", idle["key"]: "expired",
                      hinted["key"]: "expired", other_face["key"]: "expired"}

    w = learning_row(db, mid[worker["key"]])
    assert (w["review_stage"], w["review_rounds"], str(w["auto_submitted_at"])) == \
        ("ai_review", 1, "2026-05-04 16:00:00+00:00")
    assert w["reflection"] is None                                       # required, but waived at the deadline
    assert statuses(progress_of(db, worker, mid[worker["key"]])) == ["completed", "in_progress", "skipped"]
    assert [s["status"] for s in steps_of(db, mid[worker["key"]], "ai_review")] == ["ready"]
    event = db.execute("""select payload from missions_private.events where mission_id = %s
                          and type = 'mission.status_changed' and to_status = 'submitted'""",
                       (mid[worker["key"]],)).fetchone()
    assert event["payload"] == {"auto_submitted": True}
    doc = progress_of(db, worker, mid[worker["key"]])
    assert doc["auto_submit"] is True and doc["auto_submitted_at"] is not None and doc["drop_off_stage"] == 2
    # the learner can no longer submit it themselves
    assert sqlstate(db, worker, "select missions.submit_learning_mission(%s)", mid[worker["key"]]) == "MS409"

    # the review runs as for any submission: partial work under pass score 100 goes back to the learner ...
    assert reviewer.review_pending(db) == 2
    back = progress_of(db, worker, mid[worker["key"]])
    assert back["status"] == "in_progress" and back["review_stage"] == "changes_requested"
    assert back["subtasks"][1]["status"] == "in_progress"  # a required subtask left open scores as not done
    review = call(db, worker, "select missions.ai_review(%s)", mid[worker["key"]])
    assert review["scores"][1]["score"] < 40
    # ... past its deadline: it is not auto-submitted a second time but expires
    set_clock(db, "2026-05-04 22:00+00")
    assert call(db, None, "select missions.auto_submit_learning_missions()") == 0
    assert call(db, None, "select missions.expire_missions()") == 2
    assert learning_row(db, mid[worker["key"]])["status"] == "expired"


def test_auto_submit_needs_a_time_limit_and_shows_on_the_template(db):
    spec = simple_spec("AUTO-02", auto_submit=True)
    assert sqlstate(db, None, "select missions.create_learning_template(%s::jsonb)", json.dumps(spec)) == "MS422"
    tid = create_simple(db, "AUTO-03", time_constraint_hours=2, auto_submit=True)
    assert call(db, None, "select missions.learning_template(%s)", tid)["auto_submit"] is True
    assert call(db, None, "select missions.learning_template(%s)", create_simple(db, "AUTO-04"))["auto_submit"] is False


def test_the_job_waits_for_a_learners_submit_in_flight_and_then_leaves_it(db, connect):
    auto, _ = auto_world(db)
    learner = make_principal(db, "participant", "Racer")
    mid = start(db, learner, auto)["id"]
    finish_subtasks(db, learner, mid, [1, 2])
    own, job = clocked(connect, 1, "2026-05-04 15:59+00")[0], clocked(connect, 1, "2026-05-04 16:00+00")[0]

    with own.transaction():  # the learner's submit, a minute before the deadline, not committed yet
        act_as(own, learner)
        own.execute("select missions.submit_learning_mission(%s, 'Done in time.')", (mid,))
        pid = job.execute("select pg_backend_pid() as pid").fetchone()["pid"]
        result: list = []
        runner = threading.Thread(target=lambda: result.append(
            job.execute("select missions.auto_submit_learning_missions() as n").fetchone()["n"]))
        runner.start()
        wait_until_blocked(db, pid)
    runner.join(30)
    assert result == [0]
    row = learning_row(db, mid)
    assert (row["status"], row["review_rounds"], row["auto_submitted_at"], row["reflection"]) == \
        ("submitted", 1, None, "Done in time.")
    assert len(steps_of(db, mid, "ai_review")) == 1


def test_a_learners_submit_waits_for_the_job_and_then_is_refused(db, connect):
    auto, _ = auto_world(db)
    learner = make_principal(db, "participant", "Late")
    mid = start(db, learner, auto)["id"]
    finish_subtasks(db, learner, mid, [1, 2])
    own, job = clocked(connect, 1, "2026-05-04 15:59+00")[0], clocked(connect, 1, "2026-05-04 16:00+00")[0]
    pid = own.execute("select pg_backend_pid() as pid").fetchone()["pid"]

    result: list = []
    with job.transaction():
        assert job.execute("select missions.auto_submit_learning_missions() as n").fetchone()["n"] == 1
        runner = threading.Thread(target=lambda: result.append(
            sqlstate(own, learner, "select missions.submit_learning_mission(%s, 'Done in time.')", mid)))
        runner.start()
        wait_until_blocked(db, pid)
    runner.join(30)
    assert result == ["MS409"]  # it waited for the job's lock, then found the mission submitted
    row = learning_row(db, mid)
    assert (row["status"], row["review_rounds"], row["reflection"]) == ("submitted", 1, None)
    assert row["auto_submitted_at"] is not None and len(steps_of(db, mid, "ai_review")) == 1


def test_racing_submits_and_the_job_give_one_submission_each(db, connect):
    auto, _ = auto_world(db)
    learners = [make_principal(db, "participant", f"Racer {i}") for i in range(4)]
    mids = []
    for who in learners:
        mids.append(start(db, who, auto)["id"])
        finish_subtasks(db, who, mids[-1], [1, 2])
    own = clocked(connect, len(learners), "2026-05-04 15:59+00")
    job = clocked(connect, 2, "2026-05-04 16:00+00")

    results = race([lambda c=c, w=w, m=m: submit(c, w, m, "Done in time.") for c, w, m in zip(own, learners, mids, strict=True)]
                   + [lambda c=c: c.execute("select missions.auto_submit_learning_missions() as n").fetchone()["n"]
                      for c in job])

    learner_ok = [outcome(r) for r in results[:len(learners)]]
    assert set(learner_ok) <= {"ok", "MS409"}, learner_ok
    assert learner_ok.count("ok") + sum(results[len(learners):]) == len(learners)
    for m, ok in zip(mids, learner_ok, strict=True):
        row = learning_row(db, m)
        assert row["status"] == "submitted" and row["review_rounds"] == 1
        assert (row["auto_submitted_at"] is None) == (ok == "ok")
        assert len(steps_of(db, m, "ai_review")) == 1
