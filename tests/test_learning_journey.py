"""The learner journey end to end through the SQL API, with the worker's rules reviewer and a mentor."""

from __future__ import annotations

import json

from app import reviewer
from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import add_evidence, create_template, designate, save
from tests.helpers.principals import make_principal


def test_full_learner_journey(db, connect, principals):
    tid = create_template(db)
    learner = make_principal(db, "participant", "Premium learner", tier="PREMIUM")
    mentor = principals["mentor"]
    designate(db, "mentor_review", mentor)
    me = connect()

    progress = call(me, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)
    mid = progress["id"]
    assert progress["status"] == "in_progress"
    assert [s["status"] for s in progress["subtasks"]] == ["ready", "pending", "pending", "pending"]

    # hints: one level at a time, recorded
    first = call(me, learner, "select missions.reveal_hint(%s, 1)", mid)
    assert (first["level"], first["text"], first["remaining"]) == (1, "Filter by host.", 1)
    hints = call(me, learner, "select missions.mission_hints(%s, 1)", mid)
    assert [h["level"] for h in hints["revealed"]] == [1]

    # evidence is required before subtask 1 is done
    assert sqlstate(me, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                    '{"subtask": 1, "done": true}') == "MS409"
    add_evidence(me, learner, mid, 1)
    save(me, learner, mid, subtask=1, notes="Exported 1h of auth logs; 14 failed logins from 10.0.0.7 " * 4,
         done=True, tools_used=["splunk"])

    # decision: choosing isolate skips the monitor path
    assert sqlstate(me, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                    '{"subtask": 2, "done": true}') == "MS409"
    progress = call(me, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid)
    assert [s["status"] for s in progress["subtasks"]] == ["completed", "in_progress", "pending", "skipped"]
    assert sqlstate(me, learner, "select missions.choose_decision(%s, 'containment', 'monitor')", mid) == "MS409"
    save(me, learner, mid, subtask=2, notes="Isolation stops the lateral movement at once.", done=True)
    save(me, learner, mid, subtask=3, notes="Host isolated via EDR, ticket INC-42 " * 6, done=True,
         tools_used=["crowdstrike", "splunk"])

    # reflection is required
    assert sqlstate(me, learner, "select missions.submit_learning_mission(%s)", mid) == "MS422"
    progress = call(me, learner, "select missions.submit_learning_mission(%s, %s)", mid,
                    "I learned to pivot from the alert to the auth logs before acting. " * 4)
    assert progress["status"] == "submitted" and progress["review_stage"] == "ai_review"
    assert progress["tools_used"] == ["crowdstrike", "splunk"]

    # the worker's rules reviewer claims the ai_review step through the claim API and scores it
    worker_conn = connect(autocommit=True)
    assert reviewer.review_pending(worker_conn) == 1
    assert reviewer.review_pending(worker_conn) == 0
    ai = call(me, learner, "select missions.ai_review(%s)", mid)
    assert ai["status"] == "reviewed" and ai["reviewer"] == "rules" and ai["awaiting_learner"] is True
    assert [s["subtask"] for s in ai["scores"]] == [1, 2, 3]  # subtask 4 is off the path
    assert all(s["reasoning"] for s in ai["scores"])

    # PREMIUM: a mentor review, claimed and completed with per-subtask scores
    call(me, learner, "select missions.request_mentor_review(%s)", mid)
    claim = call(me, mentor, "select missions.claim_mentor_review(%s, %s)", mid, mentor["id"])
    assert claim is not None
    review = {"scores": [{"subtask": 1, "score": 90}, {"subtask": 2, "score": 80}, {"subtask": 3, "score": 70}],
              "feedback": "Solid triage.", "decision": "approve"}
    progress = call(me, mentor, "select missions.complete_mentor_review(%s, %s, %s::jsonb)", mid, mentor["id"],
                    json.dumps(review))
    # weights 2, 1, 1 over the on-path subtasks: (2*90 + 80 + 70) / 4 = 82.5
    assert progress["status"] == "completed" and float(progress["final_score"]) == 82.5

    items = db.execute("select * from missions.portfolio(%s)", (learner["id"],)).fetchall()
    assert len(items) == 1 and float(items[0]["score"]) == 82.5 and len(items[0]["evidence"]) == 1
    skills = {r["skill"]: r for r in db.execute("select * from missions.skill_signals(%s)", (learner["id"],))}
    assert set(skills) == {"siem", "triage", "log_analysis", "edr"}  # not "detection": its subtask was skipped
    assert float(skills["siem"]["mastery"]) == 82.5 and float(skills["siem"]["confidence"]) == 0.5
    balances = {r["currency"]: r["amount"] for r in db.execute("select * from missions.balances(%s)", (learner["id"],))}
    assert balances["MOMENTUM"] == 20 and balances["SKILL_XP"] == 83  # round(100 * 82.5 / 100), half away from zero
