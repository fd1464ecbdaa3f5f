"""Learning face, reviews: the rules reviewer's scores, AI verdicts per tier, pluggable and broken scorers,
mentor claims under concurrency, requested changes and resubmission, and rewards paid exactly once."""

from __future__ import annotations

import json

from app import reviewer
from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import (
    CLAIM,
    T0,
    add_evidence,
    clocked,
    create_simple,
    create_template,
    designate,
    finish_subtasks,
    learning_row,
    outcome,
    premium_submission,
    progress_of,
    review,
    save,
    set_clock,
    start,
    steps_of,
    submit,
)
from tests.helpers.principals import make_principal, race


def ledger(db, mid) -> list[tuple[str, int, str]]:
    return [(r["currency"], r["amount"], r["reason"]) for r in db.execute(
        "select currency, amount, reason from missions_private.ledger_entries where reference = %s order by currency",
        (f"mission:{mid}",))]


def count(db, table: str, mid: str) -> int:
    return db.execute(f"select count(*) as n from missions_private.{table} where mission_id = %s",
                      (mid,)).fetchone()["n"]


def step_results(db, step_id) -> list[dict]:
    return db.execute("select attempt, outcome, error from missions_private.step_results where step_id = %s "
                      "order by attempt", (step_id,)).fetchall()


# ---- the rules reviewer and the AI verdict ---------------------------------------------------------

def test_rules_reviewer_scores_match_a_hand_computation_and_a_free_pass_pays_at_once(db):
    set_clock(db, T0)
    tid = create_template(db)  # weights 2, 1, 1 (, 1 off the path); evidence required on subtask 1
    learner = make_principal(db, "participant", "Free learner", tier="FREE")
    mid = start(db, learner, tid)["id"]

    call(db, learner, "select missions.reveal_hint(%s, 1)", mid)
    add_evidence(db, learner, mid, 1)
    save(db, learner, mid, subtask=1, notes="n" * 200, done=True)              # notes >= 200: 20
    call(db, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid)
    save(db, learner, mid, subtask=2, notes="  " + "m" * 60 + "  ", done=True)  # 60 after trimming: 12
    add_evidence(db, learner, mid, 3, b"a")
    add_evidence(db, learner, mid, 3, b"b")
    save(db, learner, mid, subtask=3, notes="short note", done=True)           # 10 chars: 5
    submit(db, learner, mid, "r" * 200)                                        # reflection >= 200: 10 each

    assert reviewer.review_one(db)
    ai = call(db, learner, "select missions.ai_review(%s)", mid)
    # 1: 40 done + 30 (1 of 1 file) + 20 + 10 - 5 (one hint) = 95
    # 2: 40 + 15 (no file needed, none given) + 12 + 10 = 77
    # 3: 40 + 30 (files though none needed) + 5 + 10 = 85
    assert [(s["subtask"], s["score"]) for s in ai["scores"]] == [(1, 95), (2, 77), (3, 85)]
    assert ai["scores"][0]["reasoning"] == ("done 40; evidence 1/1 files: 30; notes 200 chars: 20; reflection: 10; "
                                            "hints used 1: -5")
    assert float(ai["score"]) == 88.0  # (2*95 + 77 + 85) / 4
    assert (ai["verdict"], ai["reviewer"], ai["awaiting_learner"]) == ("approve", "rules", False)

    row = learning_row(db, mid)
    assert (row["status"], row["review_stage"], float(row["final_score"])) == ("completed", "approved", 88.0)
    assert ledger(db, mid) == [("MOMENTUM", 20, "MISSION_REWARD"), ("SKILL_XP", 88, "MISSION_REWARD")]
    reward = db.execute("select * from missions_private.mission_rewards where mission_id = %s", (mid,)).fetchone()
    assert (reward["momentum"], reward["skill_xp"]) == (20, 88)
    item = db.execute("select * from missions.portfolio(%s)", (learner["id"],)).fetchone()
    assert (item["code"], float(item["score"]), len(item["evidence"])) == ("SIEM-01", 88.0, 3)
    assert [s["subtask"] for s in item["rubric"]["scores"]] == [1, 2, 3]


def test_fewer_points_for_missing_evidence_short_reflection_and_many_hints(db):
    set_clock(db, T0)
    tid = create_simple(db, "RULES-2", subtasks=[
        {"title": "Gather", "required_evidence": 2, "hints": ["a", "b", "c", "d"]}, {"title": "Explain"}],
        pass_score=95, rubric=[{"subtask": 1, "criterion": "gather", "weight": 3},
                               {"subtask": 2, "criterion": "explain", "weight": 1}])
    learner = make_principal(db, "participant", tier="STARTER")
    mid = start(db, learner, tid)["id"]
    for _ in range(4):
        call(db, learner, "select missions.reveal_hint(%s, 1)", mid)
    add_evidence(db, learner, mid, 1)
    assert sqlstate(db, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                    '{"subtask": 1, "done": true}') == "MS409"  # 1 of 2 files
    add_evidence(db, learner, mid, 1, b"second")
    save(db, learner, mid, subtask=1, notes="x" * 49, done=True)  # 49 chars: 5
    save(db, learner, mid, subtask=2, notes="y" * 50)             # started, not done: 0 for done
    assert sqlstate(db, learner, "select missions.submit_learning_mission(%s)", mid) == "MS409"
    save(db, learner, mid, subtask=2, done=True)
    submit(db, learner, mid, "z" * 50)                               # reflection 50..199: 5

    assert reviewer.review_one(db)
    ai = call(db, learner, "select missions.ai_review(%s)", mid)
    # 1: 40 + 30 (2 of 2) + 5 + 5 - 15 (4 hints, capped) = 65; 2: 40 + 15 + 12 + 5 = 72; (3*65 + 72) / 4 = 66.75
    assert [s["score"] for s in ai["scores"]] == [65, 72] and float(ai["score"]) == 66.75
    assert ai["verdict"] == "request_changes"


def test_a_failing_review_sends_it_back_with_feedback_and_more_time_then_a_second_round(db):
    set_clock(db, T0)
    tid = create_simple(db, "FAIL-1", pass_score=95, time_constraint_hours=10)
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    finish_subtasks(db, learner, mid, [1, 2])
    set_clock(db, "2026-06-01 11:00:00+00")
    submit(db, learner, mid)
    set_clock(db, "2026-06-01 13:00:00+00")  # two hours under review
    assert reviewer.review_one(db)

    row = learning_row(db, mid)
    assert (row["status"], row["review_stage"], float(row["ai_score"]), row["final_score"]) == \
        ("in_progress", "changes_requested", 55.0, None)
    assert row["feedback"].startswith("Subtask 1: 55 (done 40; evidence 0/0 files: 15;")
    assert row["expires_at"].isoformat() == "2026-06-01T22:00:00+00:00"  # 20:00 + the 2 h of review
    assert progress_of(db, learner, mid)["feedback"] == row["feedback"]
    assert ledger(db, mid) == [] and count(db, "mission_rewards", mid) == 0

    # improve and resubmit: a new ai_review step, a second round
    save(db, learner, mid, subtask=1, notes="Root cause: a reused VPN password; fixed by rotating it and adding MFA.")
    set_clock(db, "2026-06-01 14:00:00+00")
    progress = submit(db, learner, mid)
    assert (progress["status"], progress["review_stage"], progress["review_rounds"]) == ("submitted", "ai_review", 2)
    reviews = steps_of(db, mid, "ai_review")
    assert [s["status"] for s in reviews] == ["completed", "ready"]
    assert reviewer.review_one(db)
    row = learning_row(db, mid)
    # subtask 1 now has notes of 50+ characters: 55 + 12 = 67; (67 + 55) / 2 = 61
    assert (row["status"], row["review_stage"], float(row["ai_score"])) == ("in_progress", "changes_requested", 61.0)
    assert row["expires_at"].isoformat() == "2026-06-01T22:00:00+00:00"  # reviewed at once: no extra time
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s "
                      "and type = 'learning.ai_reviewed'", (mid,)).fetchone()["n"] == 2
    assert db.execute("select used from missions_private.monthly_starts where participant_id = %s",
                      (learner["id"],)).fetchone()["used"] == 1  # resubmitting is not a new start


def test_a_premium_learner_waits_after_the_ai_review_and_accepts_the_verdict(db):
    set_clock(db, T0)
    passing = create_simple(db, "PREM-1", pass_score=50)
    failing = create_simple(db, "PREM-2", pass_score=60)
    learner = make_principal(db, "participant", tier="PREMIUM")
    good, bad = start(db, learner, passing)["id"], start(db, learner, failing)["id"]
    for mid in (good, bad):
        finish_subtasks(db, learner, mid, [1, 2])
        assert sqlstate(db, learner, "select missions.accept_ai_review(%s)", mid) == "MS409"  # not submitted
        submit(db, learner, mid)
        assert sqlstate(db, learner, "select missions.accept_ai_review(%s)", mid) == "MS409"  # not reviewed yet
        assert reviewer.review_one(db)
        ai = call(db, learner, "select missions.ai_review(%s)", mid)
        assert (ai["status"], ai["awaiting_learner"], float(ai["score"])) == ("reviewed", True, 55.0)
        assert learning_row(db, mid)["status"] == "submitted" and ledger(db, mid) == []

    progress = call(db, learner, "select missions.accept_ai_review(%s)", good)
    assert (progress["status"], progress["review_stage"], float(progress["final_score"])) == ("completed", "approved", 55)
    assert ledger(db, good) == [("MOMENTUM", 20, "MISSION_REWARD"), ("SKILL_XP", 55, "MISSION_REWARD")]
    assert sqlstate(db, learner, "select missions.accept_ai_review(%s)", good) == "MS409"

    progress = call(db, learner, "select missions.accept_ai_review(%s)", bad)
    assert (progress["status"], progress["review_stage"]) == ("in_progress", "changes_requested")
    assert progress["feedback"] and ledger(db, bad) == []


# ---- pluggable scorers -----------------------------------------------------------------------------

def test_a_pluggable_scorer_is_used_and_broken_ones_are_recorded_as_failed_attempts(db):
    set_clock(db, T0)
    tid = create_simple(db, "PLUG-1", n=3, pass_score=60,
                        rubric=[{"subtask": 1, "criterion": "a", "weight": 1}, {"subtask": 2, "criterion": "b", "weight": 2},
                                {"subtask": 3, "criterion": "c", "weight": 1}])
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    finish_subtasks(db, learner, mid, [1, 2, 3], notes="worked on it")
    submit(db, learner, mid, "my reflection")
    step = str(steps_of(db, mid, "ai_review")[0]["id"])

    def unchanged():
        row = learning_row(db, mid)
        assert (row["status"], row["review_stage"], row["ai_score"], row["ai_review"]) == \
            ("submitted", "ai_review", None, None)

    # a scorer that raises: the step goes back to ready after a backoff, the attempt counted
    def crash(packet):
        raise RuntimeError("LLM timed out")

    assert reviewer.review_one(db, scorer=crash)
    s = steps_of(db, mid, "ai_review")[0]
    assert (s["status"], s["attempt"], s["not_before"].isoformat()) == ("ready", 1, "2026-06-01T10:00:10+00:00")
    assert [(r["attempt"], r["outcome"], r["error"]) for r in step_results(db, step)] == [(1, "failed", "LLM timed out")]
    unchanged()
    assert reviewer.review_one(db, scorer=crash) is False  # backing off: nothing to claim

    # malformed scores: refused inside complete_step (MS422), recorded as a failure, nothing applied
    set_clock(db, "2026-06-01 10:00:10+00")
    assert reviewer.review_one(db, scorer=lambda p: {"scores": [{"subtask": n, "score": 150} for n in (1, 2, 3)]})
    errors = step_results(db, step)
    assert [(r["attempt"], r["outcome"]) for r in errors] == [(1, "failed"), (2, "failed")]
    assert "scores must be an array of {subtask, score 0..100}" in errors[1]["error"]
    unchanged()

    # the same refusal seen directly: scores missing a subtask are MS422 for complete_step
    set_clock(db, "2026-06-01 10:00:30+00")  # backoff 10 s * 2
    agent = {"id": reviewer.REVIEWER_ID, "role": "agent"}
    claim = call(db, agent, "select row_to_json(c) from missions.claim_next_step(%s, array['ai_review']) c", agent["id"])
    assert (claim["step_id"], claim["attempt"]) == (step, 3)
    partial = json.dumps({"scores": [{"subtask": 1, "score": 90}, {"subtask": 2, "score": 90}]})
    assert sqlstate(db, agent, "select missions.complete_step(%s, %s, %s, %s::jsonb)", step, agent["id"],
                    claim["lease_token"], partial) == "MS422"
    call(db, agent, "select missions.release_step(%s, %s, %s)", step, agent["id"], claim["lease_token"])
    unchanged()

    # a working scorer on the last attempt still gets through
    assert reviewer.review_one(db, scorer=lambda p: {"scores": [{"subtask": n, "score": 61} for n in (1, 2, 3)]})
    row = learning_row(db, mid)
    assert (row["status"], float(row["final_score"])) == ("completed", 61.0)
    assert [(r["attempt"], r["outcome"]) for r in step_results(db, step)] == \
        [(1, "failed"), (2, "failed"), (3, "completed")]


def test_the_scorer_sees_the_packet_and_its_scores_decide(db):
    set_clock(db, T0)
    tid = create_simple(db, "PLUG-2", n=3, pass_score=60,
                        rubric=[{"subtask": 1, "criterion": "a", "weight": 1}, {"subtask": 2, "criterion": "b", "weight": 2},
                                {"subtask": 3, "criterion": "c", "weight": 1}])
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    finish_subtasks(db, learner, mid, [1, 2, 3], notes="worked on it")
    submit(db, learner, mid, "my reflection")
    seen = {}

    def llm(packet):
        seen.update(packet)
        return {"reviewer": "llm-test", "summary": "Good work on the second part.",
                "scores": [{"subtask": 1, "score": 40, "reasoning": "thin"}, {"subtask": 2, "score": 80, "reasoning": "ok"},
                           {"subtask": 3, "score": 70.5, "reasoning": "fine"}]}

    assert reviewer.review_one(db, scorer=llm)
    assert (seen["id"], seen["pass_score"], seen["hints_used"], seen["reflection"]) == (mid, 60, 0, "my reflection")
    assert [s["notes"] for s in seen["subtasks"]] == ["worked on it"] * 3
    row = learning_row(db, mid)
    # (40 + 2*80 + 70.5) / 4 = 67.625 -> 67.63
    assert (row["status"], float(row["final_score"]), row["feedback"]) == \
        ("completed", 67.63, "Good work on the second part.")
    assert row["ai_review"]["reviewer"] == "llm-test" and row["ai_review"]["agent_id"] == reviewer.REVIEWER_ID
    assert ledger(db, mid) == [("MOMENTUM", 20, "MISSION_REWARD"), ("SKILL_XP", 68, "MISSION_REWARD")]


# ---- mentor reviews --------------------------------------------------------------------------------

COMPLETE = "select missions.complete_mentor_review(%s, %s, %s::jsonb)"


def test_eight_mentors_race_for_one_review_and_exactly_one_holds_it(db, connect):
    set_clock(db, T0)
    learner = make_principal(db, "participant", tier="PREMIUM")
    mid = premium_submission(db, learner)
    mentors = [make_principal(db, "mentor", f"mentor-{i}") for i in range(8)]
    designate(db, "mentor_review", *mentors)
    conns = clocked(connect, 8, T0)

    results = race([lambda c=c, m=m: call(c, m, CLAIM, mid, m["id"]) for c, m in zip(conns, mentors)])

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 1 and outcomes.count("MS409") == 7, outcomes
    winner = mentors[outcomes.index("ok")]
    step = steps_of(db, mid, "mentor_review")[0]
    assert (step["status"], str(step["leased_by"]), step["attempt"]) == ("in_progress", winner["id"], 1)
    assert str(learning_row(db, mid)["mentor_id"]) == winner["id"]
    assert results[outcomes.index("ok")]["expires_at"].startswith("2026-06-02T10:00:00")  # a day's lease
    assert call(db, winner, CLAIM, mid, winner["id"])["lease_token"] == str(step["lease_token"])  # no-op again

    loser = mentors[(outcomes.index("ok") + 1) % 8]
    assert sqlstate(db, loser, COMPLETE, mid, loser["id"], review({1: 90, 2: 80, 3: 70})) == "MS412"
    assert sqlstate(db, loser, "select missions.mentor_reviews()") is None
    queue = call(db, loser, "select count(*) from missions.mentor_reviews()")
    assert queue == 0  # held by another mentor: not in the loser's queue


def test_mentor_review_rules_expiry_takeover_changes_and_resubmission(db, principals):
    set_clock(db, T0)
    learner = make_principal(db, "participant", tier="PREMIUM")
    first, second = principals["mentor"], make_principal(db, "mentor", "Second mentor")
    designate(db, "mentor_review", first, second)
    mid = premium_submission(db, learner)

    assert sqlstate(db, first, COMPLETE, mid, first["id"], review({1: 90, 2: 80, 3: 70})) == "MS412"  # no claim
    assert sqlstate(db, learner, CLAIM, mid, learner["id"]) in {"MS403", "42501"}
    call(db, first, CLAIM, mid, first["id"])
    assert sqlstate(db, second, CLAIM, mid, second["id"]) == "MS409"

    # an expired claim is taken over; the first mentor's work is then refused
    set_clock(db, "2026-06-02 10:00:01+00")
    assert call(db, second, "select count(*) from missions.mentor_reviews()") == 1
    claim = call(db, second, CLAIM, mid, second["id"])
    assert claim["agent_id"] == second["id"] and claim["attempt"] == 2
    assert sqlstate(db, first, COMPLETE, mid, first["id"], review({1: 90, 2: 80, 3: 70})) == "MS412"

    # scores cover exactly the rubric subtasks on the path (4 was skipped by the decision)
    for scores in ({1: 90, 2: 80}, {1: 90, 2: 80, 3: 70, 4: 60}, {1: 90, 2: 80, 3: 70, 5: 1}, {1: 90, 2: 80, 3: 101}):
        assert sqlstate(db, second, COMPLETE, mid, second["id"], review(scores)) == "MS422", scores
    assert sqlstate(db, second, COMPLETE, mid, second["id"],
                    review({1: 90, 2: 80, 3: 70}, decision="request_changes", feedback=None)) == "MS422"
    assert sqlstate(db, second, COMPLETE, mid, second["id"],
                    review({1: 90, 2: 80, 3: 70}, decision="request_changes", feedback="   ")) == "MS422"
    assert sqlstate(db, second, COMPLETE, mid, second["id"], review({1: 90, 2: 80, 3: 70}, decision="maybe")) == "MS422"
    assert sqlstate(db, second, COMPLETE, mid, second["id"], review({1: 90, 2: 80, 3: 70}, recipes=["nope"])) == "MS422"
    assert steps_of(db, mid, "mentor_review")[0]["status"] == "in_progress"  # all refused, nothing changed

    progress = call(db, second, COMPLETE, mid, second["id"],
                    review({1: 40, 2: 50, 3: 60}, decision="request_changes", feedback="Show the isolation evidence."))
    assert (progress["status"], progress["review_stage"], progress["feedback"]) == \
        ("in_progress", "changes_requested", "Show the isolation evidence.")
    assert float(progress["mentor_score"]) == 47.5 and progress["final_score"] is None  # (2*40 + 50 + 60) / 4
    assert ledger(db, mid) == []

    # the resubmission goes through the AI review again, then to a mentor again
    add_evidence(db, learner, mid, 3, b"isolation screenshot")
    progress = submit(db, learner, mid)
    assert (progress["review_stage"], progress["review_rounds"]) == ("ai_review", 2)
    assert sqlstate(db, second, CLAIM, mid, second["id"]) == "MS404"  # no mentor review open now
    assert reviewer.review_one(db)
    assert call(db, learner, "select missions.ai_review(%s)", mid)["awaiting_learner"] is True
    call(db, learner, "select missions.request_mentor_review(%s)", mid)
    assert [s["status"] for s in steps_of(db, mid, "mentor_review")] == ["completed", "ready"]
    call(db, first, CLAIM, mid, first["id"])
    progress = call(db, first, COMPLETE, mid, first["id"], review({1: 90, 2: 80, 3: 70}))
    assert (progress["status"], float(progress["final_score"])) == ("completed", 82.5)
    mentor_review = call(db, learner, "select missions.mentor_review(%s)", mid)
    assert (mentor_review["mentor_id"], mentor_review["decision"], float(mentor_review["score"])) == \
        (first["id"], "approve", 82.5)


def test_an_approval_pays_once_even_when_completed_twice_at_once_or_rewarded_again(db, connect, principals):
    set_clock(db, T0)
    learner = make_principal(db, "participant", tier="PREMIUM")
    mentor = principals["mentor"]
    designate(db, "mentor_review", mentor)
    mid = premium_submission(db, learner)
    call(db, mentor, CLAIM, mid, mentor["id"])
    conns = clocked(connect, 4, T0)

    results = race([lambda c=c: call(c, mentor, COMPLETE, mid, mentor["id"], review({1: 90, 2: 80, 3: 70}))
                    for c in conns])

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 1 and set(outcomes) - {"ok"} <= {"MS404", "MS409"}, outcomes
    assert ledger(db, mid) == [("MOMENTUM", 20, "MISSION_REWARD"), ("SKILL_XP", 83, "MISSION_REWARD")]

    assert call(db, None, "select missions_private.reward_learning(%s)", mid) is False
    assert call(db, None, "select missions_private.reward_learning(%s)", mid) is False
    assert ledger(db, mid) == [("MOMENTUM", 20, "MISSION_REWARD"), ("SKILL_XP", 83, "MISSION_REWARD")]
    assert count(db, "mission_rewards", mid) == 1 and count(db, "portfolio_items", mid) == 1
    balances = {r["currency"]: r["amount"] for r in db.execute("select * from missions.balances(%s)", (learner["id"],))}
    assert (balances["MOMENTUM"], balances["SKILL_XP"]) == (20, 83)
    signals = {r["skill"]: r["evidence_count"] for r in db.execute(
        "select * from missions.skill_signals(%s)", (learner["id"],))}
    assert signals == {"siem": 1, "triage": 1, "log_analysis": 1, "edr": 1}
    # the ledger's idempotency key would refuse a second payment even without mission_rewards
    again = call(db, None, "select row_to_json(e) from missions_private.post_entry("
                           "%s, 'MOMENTUM', 20, 'MISSION_REWARD', %s, %s) e",
                 learner["id"], f"mission:{mid}", f"mission:{mid}:MOMENTUM")
    assert again["amount"] == 20 and len(ledger(db, mid)) == 2


def test_parallel_submits_reviewers_and_accepts_each_take_effect_once(db, connect):
    tids = [create_simple(db, f"PAR-{i}", pass_score=50) for i in range(2)]
    learner = make_principal(db, "participant", tier="PREMIUM")
    mids = [start(db, learner, tid)["id"] for tid in tids]
    for mid in mids:
        finish_subtasks(db, learner, mid, [1, 2])
    conns = clocked(connect, 8, None)

    # the same mission submitted from 4 connections at once: one submission, one ai_review step
    results = race([lambda c=c, m=mids[i % 2]: submit(c, learner, m) for i, c in enumerate(conns)])
    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 2 and outcomes.count("MS409") == 6, outcomes
    assert [len(steps_of(db, m, "ai_review")) for m in mids] == [1, 1]
    assert [learning_row(db, m)["review_rounds"] for m in mids] == [1, 1]

    # 8 reviewer loops at once: each submission reviewed exactly once (claims skip locked rows)
    results = race([lambda c=c: reviewer.review_one(c) for c in conns])
    assert sorted(results) == [False] * 6 + [True] * 2, results
    assert [learning_row(db, m)["review_stage"] for m in mids] == ["ai_reviewed", "ai_reviewed"]

    # accepting from 4 connections per mission: completed and paid once
    results = race([lambda c=c, m=mids[i % 2]: call(c, learner, "select missions.accept_ai_review(%s)", m)
                    for i, c in enumerate(conns)])
    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 2 and outcomes.count("MS409") == 6, outcomes
    for mid in mids:
        assert learning_row(db, mid)["status"] == "completed"
        assert ledger(db, mid) == [("MOMENTUM", 20, "MISSION_REWARD"), ("SKILL_XP", 55, "MISSION_REWARD")]
