"""Learning face, the mission itself: decision points and the path they choose, rubric versions, evidence
limits and who may read evidence, hints under concurrency, and time-bound missions."""

from __future__ import annotations

import json
import threading
import time

from app import reviewer
from tests.helpers.calls import call, sqlstate
from tests.helpers.learning import (
    add_evidence,
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
    sha,
    start,
    statuses,
    steps_of,
    submit,
)
from tests.helpers.principals import make_principal, race

T0 = "2026-05-04 09:00:00+00"


def decisions(conn, who, mid) -> dict[str, dict]:
    return {d["decision_id"]: d for d in call(conn, who, "select missions.mission_decisions(%s)", mid)}


def scorer_of(scores: dict[int, float]):
    def score(packet):
        return {"scores": [{"subtask": n, "score": s, "reasoning": "fixed"} for n, s in scores.items()],
                "summary": "scored by the test"}
    return score


# ---- decisions -------------------------------------------------------------------------------------

def test_two_way_decision_skips_the_other_path_and_rejoins_after_the_chosen_one(db):
    set_clock(db, T0)
    spec_subtasks = [
        {"title": "Collect"},
        {"title": "Contain?", "decision": {"key": "containment", "prompt": "Isolate or monitor?", "choices": [
            {"key": "isolate", "label": "Isolate", "next": 3}, {"key": "monitor", "label": "Monitor", "next": 4}]}},
        {"title": "Isolate"},
        {"title": "Monitor", "hints": ["Add a detection rule."]},
        {"title": "Report"},
    ]
    tid = create_simple(db, "DEC-2", subtasks=spec_subtasks)
    learner = make_principal(db, "participant", "Decider", tier="FREE")
    mid = start(db, learner, tid)["id"]

    d = decisions(db, learner, mid)["containment"]
    assert (d["subtask"], d["available"], d["chosen"]) == (2, False, None)  # not reached yet
    assert sqlstate(db, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid) == "MS409"
    assert [(c["key"], c["path"]) for c in d["choices"]] == [("isolate", [3]), ("monitor", [4])]
    save(db, learner, mid, subtask=1, done=True)
    assert decisions(db, learner, mid)["containment"]["available"] is True

    progress = call(db, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid)
    assert statuses(progress) == ["completed", "in_progress", "pending", "skipped", "pending"]
    d = decisions(db, learner, mid)["containment"]
    assert (d["available"], d["chosen"], d["skipped"]) == (False, "isolate", [4])

    # the skipped subtask takes no progress of any kind
    for sql, args in [("select missions.save_mission_progress(%s, %s::jsonb)", (mid, '{"subtask": 4, "notes": "x"}')),
                      ("select missions.save_mission_progress(%s, %s::jsonb)", (mid, '{"subtask": 4, "done": true}')),
                      ("select missions.reveal_hint(%s, 4)", (mid,))]:
        assert sqlstate(db, learner, sql, *args) == "MS409"
    assert sqlstate(db, learner, "select missions.add_evidence(%s, 4, 'a.txt', 'text/plain', 3, %s)",
                    mid, sha(b"abc")) == "MS409"
    assert db.execute("select count(*) as n from missions_private.hint_reveals where mission_id = %s",
                      (mid,)).fetchone()["n"] == 0

    progress = save(db, learner, mid, subtask=2, done=True)
    assert statuses(progress) == ["completed", "completed", "ready", "skipped", "pending"]  # the report waits
    progress = save(db, learner, mid, subtask=3, done=True)
    assert statuses(progress) == ["completed", "completed", "completed", "skipped", "ready"]


def test_three_way_decision_with_rejoin_and_scores_that_ignore_skipped_subtasks(db):
    set_clock(db, T0)
    subtasks = [
        {"title": "Recon", "decision": {"key": "approach", "rejoin": 6, "choices": [
            {"key": "phish", "label": "Phishing", "next": 2},
            {"key": "web", "label": "Web app", "next": 3},
            {"key": "physical", "label": "Tailgating", "next": 5}]}},
        {"title": "Send the lure"},
        {"title": "Map the app"}, {"title": "Exploit the app"},
        {"title": "Walk in"},
        {"title": "Write up"}, {"title": "Debrief"},
    ]
    weights = {1: 1, 2: 5, 3: 2, 4: 1, 5: 5, 6: 1, 7: 1}
    rubric = [{"subtask": n, "criterion": f"criterion {n}", "weight": w} for n, w in weights.items()]
    tid = create_simple(db, "DEC-3", subtasks=subtasks, rubric=rubric, track="offensive")
    learner = make_principal(db, "participant", "Red teamer", tier="STARTER")
    mid = start(db, learner, tid)["id"]

    d = decisions(db, learner, mid)["approach"]
    assert d["available"] is True
    assert [(c["key"], c["path"]) for c in d["choices"]] == [("phish", [2]), ("web", [3, 4]), ("physical", [5])]
    assert sqlstate(db, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                    '{"subtask": 1, "done": true}') == "MS409"  # choose first
    assert sqlstate(db, learner, "select missions.choose_decision(%s, 'approach', 'drone')", mid) == "MS422"
    assert sqlstate(db, learner, "select missions.choose_decision(%s, 'budget', 'web')", mid) == "MS404"

    progress = call(db, learner, "select missions.choose_decision(%s, 'approach', 'web')", mid)
    assert statuses(progress) == ["in_progress", "skipped", "pending", "pending", "skipped", "pending", "pending"]
    assert sqlstate(db, learner, "select missions.choose_decision(%s, 'approach', 'phish')", mid) == "MS409"
    assert sqlstate(db, learner, "select missions.choose_decision(%s, 'approach', 'web')", mid) == "MS409"
    d = decisions(db, learner, mid)["approach"]
    assert (d["available"], d["chosen"], d["skipped"]) == (False, "web", [2, 5])
    assert db.execute("select count(*) as n from missions_private.decisions where mission_id = %s",
                      (mid,)).fetchone()["n"] == 1

    progress = save(db, learner, mid, subtask=1, done=True)
    assert statuses(progress) == ["completed", "skipped", "ready", "pending", "skipped", "pending", "pending"]
    progress = save(db, learner, mid, subtask=3, done=True)
    assert statuses(progress) == ["completed", "skipped", "completed", "ready", "skipped", "pending", "pending"]
    assert sqlstate(db, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                    '{"subtask": 6, "notes": "early"}') == "MS409"  # the rejoin waits for the whole chosen path
    progress = save(db, learner, mid, subtask=4, done=True)
    assert statuses(progress)[5] == "ready"
    finish_subtasks(db, learner, mid, [6, 7])
    submit(db, learner, mid)

    # the rules reviewer scores only the subtasks on the path
    packet_subtasks = []

    def spy(packet):
        packet_subtasks.extend((s["position"], s["status"]) for s in packet["subtasks"])
        return scorer_of({1: 100, 3: 50, 4: 80, 6: 0, 7: 60})(packet)

    assert reviewer.review_one(db, scorer=spy)
    assert (2, "skipped") in packet_subtasks  # the packet shows the whole mission; the scores skip it
    # weights on the path 1, 2, 1, 1, 1: (100 + 2*50 + 80 + 0 + 60) / 6 = 56.67
    row = learning_row(db, mid)
    assert float(row["ai_score"]) == 56.67 and float(row["final_score"]) == 56.67 and row["status"] == "completed"
    assert row["feedback"] == "scored by the test"
    assert [s["subtask"] for s in row["ai_review"]["scores"]] == [1, 3, 4, 6, 7]


def test_the_rules_reviewer_skips_subtasks_off_the_path(db):
    set_clock(db, T0)
    tid = create_template(db)
    learner = make_principal(db, "participant", tier="STARTER")
    mid = start(db, learner, tid)["id"]
    add_evidence(db, learner, mid, 1)
    save(db, learner, mid, subtask=1, done=True)
    call(db, learner, "select missions.choose_decision(%s, 'containment', 'monitor')", mid)
    finish_subtasks(db, learner, mid, [2, 4])
    submit(db, learner, mid, "short")
    assert reviewer.review_one(db)
    ai = call(db, learner, "select missions.ai_review(%s)", mid)
    assert [s["subtask"] for s in ai["scores"]] == [1, 2, 4]
    # 1: 40 + 30 (1/1 file) = 70, weight 2; 2 and 4: 40 + 15 (no files needed) = 55: (140 + 55 + 55) / 4 = 62.5
    assert [s["score"] for s in ai["scores"]] == [70, 55, 55] and float(ai["score"]) == 62.5


# ---- rubric versions -------------------------------------------------------------------------------

def rubric(weights: list[float]) -> str:
    return json.dumps([{"subtask": i, "criterion": f"c{i}", "weight": w} for i, w in enumerate(weights, 1)])


def test_rubric_versions_freeze_once_used_and_each_mission_keeps_its_version(db, principals):
    set_clock(db, T0)
    tid = create_simple(db, "RUB-1", n=3)
    admin = principals["admin"]
    v = call(db, admin, "select row_to_json(r) from missions.set_template_rubric(%s, %s::jsonb) r", tid, rubric([3, 1, 1]))
    assert v["version"] == 1  # unused: edited in place
    assert db.execute("select count(*) as n from missions_private.rubrics where template_id = %s",
                      (tid,)).fetchone()["n"] == 1

    first = make_principal(db, "participant", "First", tier="FREE")
    m1 = start(db, first, tid)["id"]
    assert progress_of(db, first, m1)["rubric"]["version"] == 1

    v2 = call(db, admin, "select row_to_json(r) from missions.set_template_rubric(%s, %s::jsonb) r", tid, rubric([1, 1, 3]))
    assert v2["version"] == 2
    v2_again = call(db, admin, "select row_to_json(r) from missions.set_template_rubric(%s, %s::jsonb) r", tid,
                    rubric([1, 1, 3]))
    assert v2_again["id"] == v2["id"]  # the same criteria: no new version
    v1 = db.execute("select criteria from missions_private.rubrics where template_id = %s and version = 1",
                    (tid,)).fetchone()["criteria"]
    assert [c["weight"] for c in v1] == [3, 1, 1]
    assert call(db, admin, "select missions.learning_template(%s)", tid)["rubric"]["version"] == 2

    second = make_principal(db, "participant", "Second", tier="FREE")
    m2 = start(db, second, tid)["id"]
    assert progress_of(db, second, m2)["rubric"]["version"] == 2
    assert progress_of(db, first, m1)["rubric"]["version"] == 1

    # the same scores, two versions: v1 (3, 1, 1): (270 + 60 + 30) / 5 = 72; v2 (1, 1, 3): (90 + 60 + 90) / 5 = 48
    for who, mid in ((first, m1), (second, m2)):
        finish_subtasks(db, who, mid, [1, 2, 3])
        submit(db, who, mid)
        assert reviewer.review_one(db, scorer=scorer_of({1: 90, 2: 60, 3: 30}))
    assert float(learning_row(db, m1)["final_score"]) == 72
    assert float(learning_row(db, m2)["final_score"]) == 48
    item = db.execute("select rubric from missions_private.portfolio_items where mission_id = %s", (m1,)).fetchone()
    assert item["rubric"]["version"] == 1 and [c["weight"] for c in item["rubric"]["criteria"]] == [3, 1, 1]

    # used versions are immutable, even for the owner
    v1_id = db.execute("select id from missions_private.rubrics where template_id = %s and version = 1",
                       (tid,)).fetchone()["id"]
    assert sqlstate(db, None, "update missions_private.rubrics set criteria = '[]' where id = %s", v1_id) == "MS409"
    assert sqlstate(db, None, "delete from missions_private.rubrics where id = %s", v1_id) == "MS409"

    # invalid criteria
    for bad in ([{"subtask": 4, "criterion": "no such subtask", "weight": 1}],
                [{"subtask": 1, "criterion": "a", "weight": 1}, {"subtask": 1, "criterion": "b", "weight": 2}],
                [{"subtask": 1, "criterion": "weightless", "weight": 0}],
                [{"subtask": 1, "criterion": "negative", "weight": -1}],
                [{"subtask": 1.5, "criterion": "half a subtask", "weight": 1}],
                [{"subtask": 1, "criterion": "a", "weight": 1}, {"subtask": 1.0, "criterion": "b", "weight": 1}],
                [{"subtask": 1, "weight": 1}],
                [], {"subtask": 1}, None):
        assert sqlstate(db, admin, "select missions.set_template_rubric(%s, %s::jsonb)", tid,
                        json.dumps(bad)) == "MS422", bad
    assert sqlstate(db, admin, "select missions.set_template_rubric(gen_random_uuid(), %s::jsonb)", rubric([1])) == "MS404"
    assert sqlstate(db, first, "select missions.set_template_rubric(%s, %s::jsonb)", tid,
                    rubric([1, 1, 1])) in {"MS403", "42501"}  # participants are not granted it at all
    assert db.execute("select max(version) as v from missions_private.rubrics where template_id = %s",
                      (tid,)).fetchone()["v"] == 2


def test_a_rubric_change_waits_for_a_concurrent_start_and_then_adds_a_version(db, connect, principals):
    tid = create_simple(db, "RUB-2", n=2)
    learner = make_principal(db, "participant", tier="PREMIUM")
    starter, editor = clocked(connect, 2, T0)
    starter.autocommit = False
    starter.execute("select 1")  # an open transaction: call() below only makes a savepoint in it
    call(starter, learner, "select missions.start_learning_mission(%s, %s)", learner["id"], tid)  # savepoint only
    done = threading.Event()
    result: list = []

    def edit():
        try:
            result.append(call(editor, principals["admin"],
                               "select row_to_json(r) from missions.set_template_rubric(%s, %s::jsonb) r",
                               tid, rubric([5, 1])))
        except Exception as exc:  # noqa: BLE001
            result.append(exc)
        done.set()

    th = threading.Thread(target=edit)
    th.start()
    time.sleep(0.3)
    assert not done.is_set()  # the uncommitted start holds the template
    starter.commit()
    th.join(30)
    assert result[0]["version"] == 2
    assert [c["weight"] for c in db.execute(
        "select criteria from missions_private.rubrics where template_id = %s and version = 1",
        (tid,)).fetchone()["criteria"]] == [1, 1]


# ---- evidence --------------------------------------------------------------------------------------

def evidence_count(db, mid) -> int:
    return db.execute("select count(*) as n from missions_private.evidence_files where mission_id = %s",
                      (mid,)).fetchone()["n"]


def test_evidence_limits_refuse_and_record_nothing(db):
    set_clock(db, T0)
    tid = create_template(db)
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    limits = db.execute("select * from missions.evidence_limits()").fetchone()
    assert limits["max_bytes"] == 10485760 and limits["max_files_per_subtask"] == 10
    db.execute("update missions_private.settings set value = '2' where key = 'evidence_max_files_per_subtask'")
    good = sha(b"x")

    def add(filename="a.txt", content_type="text/plain", size=10, digest=good, subtask=1):
        return sqlstate(db, learner, "select missions.add_evidence(%s, %s, %s, %s, %s, %s)",
                        mid, subtask, filename, content_type, size, digest)

    assert add(size=10485761) == "MS413"
    assert add(content_type="application/x-msdownload") == "MS415"
    assert add(content_type=None) == "MS415"
    for bad in ({"digest": "ABC"}, {"digest": good.upper()}, {"digest": good[:63]}, {"filename": "../etc/passwd"},
                {"filename": "a\\b.txt"}, {"filename": "   "}, {"filename": "x" * 256}, {"filename": "bell\x07.txt"},
                {"size": 0}):
        assert add(**bad) == "MS422", bad
    assert add(subtask=9) == "MS404"
    assert add(subtask=2) == "MS409"  # not reached yet
    assert evidence_count(db, mid) == 0

    assert add(size=10485760, content_type="Text/Plain; charset=utf-8") is None  # exactly the limit
    assert add() is None
    assert add() == "MS413"  # a third file on subtask 1
    files = db.execute("select content_type, size_bytes from missions_private.evidence_files where mission_id = %s "
                       "order by size_bytes", (mid,)).fetchall()
    assert [(f["content_type"], f["size_bytes"]) for f in files] == [("text/plain", 10), ("text/plain", 10485760)]
    assert progress_of(db, learner, mid)["subtasks"][0]["status"] == "in_progress"  # evidence starts the clock


def test_evidence_is_readable_by_owner_staff_a_requested_mentor_and_the_agent_holding_the_review(db, principals):
    set_clock(db, T0)
    tid = create_template(db)
    learner = make_principal(db, "participant", "Owner", tier="PREMIUM")
    other, admin, mentor, agent = principals["other"], principals["admin"], principals["mentor"], principals["agent"]
    designate(db, "ai_review", agent)
    designate(db, "mentor_review", mentor)
    rogue, stranger = make_principal(db, "agent", "Undesignated agent"), make_principal(db, "mentor", "Undesignated")
    mid = start(db, learner, tid)["id"]
    eid = add_evidence(db, learner, mid, 1)["id"]

    def reads(who):
        return sqlstate(db, who, "select missions.evidence_file(%s)", eid) is None

    assert call(db, learner, "select missions.evidence_file(%s)", eid)["sha256"] == sha(b"log line\n")
    assert reads(admin) and reads(principals["service"])
    assert sqlstate(db, other, "select missions.evidence_file(%s)", eid) == "MS404"
    assert sqlstate(db, mentor, "select missions.evidence_file(%s)", eid) == "MS404"
    assert sqlstate(db, agent, "select missions.evidence_file(%s)", eid) == "MS404"
    assert sqlstate(db, other, "select missions.delete_evidence(%s)", eid) == "MS404"

    save(db, learner, mid, subtask=1, done=True)
    call(db, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid)
    finish_subtasks(db, learner, mid, [2, 3])
    submit(db, learner, mid, "reflection")
    assert sqlstate(db, agent, "select missions.evidence_file(%s)", eid) == "MS404"  # not claimed yet
    # an agent nobody designated gets no review to claim, so it never reads the evidence
    assert call(db, rogue, "select count(*) from missions.claim_next_step(%s, array['ai_review'])", rogue["id"]) == 0
    assert call(db, rogue, "select count(*) from missions.claim_next_step(%s)", rogue["id"]) == 0
    ai_step = steps_of(db, mid, "ai_review")[0]["id"]
    assert sqlstate(db, rogue, "select missions.claim_mission_step(%s, %s)", ai_step, rogue["id"]) == "MS403"
    assert sqlstate(db, rogue, "select missions.evidence_file(%s)", eid) == "MS404"
    assert sqlstate(db, rogue, "select missions.review_packet(%s)", mid) == "MS404"

    claim = call(db, agent, "select row_to_json(c) from missions.claim_next_step(%s, array['ai_review']) c", agent["id"])
    assert claim["mission_id"] == mid
    assert reads(agent)
    assert sqlstate(db, principals["other"], "select missions.evidence_file(%s)", eid) == "MS404"
    set_clock(db, "2026-05-04 09:05:01+00")  # the ai_review lease (300 s) ran out
    assert sqlstate(db, agent, "select missions.evidence_file(%s)", eid) == "MS404"
    claim = call(db, agent, "select row_to_json(c) from missions.claim_next_step(%s, array['ai_review']) c", agent["id"])
    assert reads(agent)
    result = call(db, agent, "select missions.rules_review(%s, %s, %s)", claim["step_id"], agent["id"],
                  claim["lease_token"])
    call(db, agent, "select missions.complete_step(%s, %s, %s, %s::jsonb)", claim["step_id"], agent["id"],
         claim["lease_token"], json.dumps(result))
    assert sqlstate(db, agent, "select missions.evidence_file(%s)", eid) == "MS404"  # the lease ended with the step

    assert sqlstate(db, mentor, "select missions.evidence_file(%s)", eid) == "MS404"  # no mentor review asked for
    call(db, learner, "select missions.request_mentor_review(%s)", mid)
    assert reads(mentor)
    assert sqlstate(db, other, "select missions.evidence_file(%s)", eid) == "MS404"
    # a mentor nobody designated for mentor_review neither reads the mission nor claims its review
    assert sqlstate(db, stranger, "select missions.evidence_file(%s)", eid) == "MS404"
    assert sqlstate(db, stranger, "select missions.learning_progress(%s)", mid) == "MS404"
    assert call(db, stranger, "select count(*) from missions.mentor_reviews()") == 0
    assert sqlstate(db, stranger, "select missions.claim_mentor_review(%s, %s)", mid, stranger["id"]) == "MS403"


# ---- hints -----------------------------------------------------------------------------------------

def test_parallel_hint_reveals_record_each_level_once_and_consecutively(db, connect):
    hints = [f"hint {i}" for i in range(1, 6)]
    tid = create_simple(db, "HINT-1", subtasks=[{"title": "Hunt", "hints": hints}, {"title": "Report"}])
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    conns = clocked(connect, 8, None)

    results = race([lambda c=c: call(c, learner, "select missions.reveal_hint(%s, 1)", mid) for c in conns])

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 5 and outcomes.count("MS409") == 3, outcomes
    got = sorted((r["level"], r["text"], r["remaining"]) for r in results if isinstance(r, dict))
    assert got == [(i, f"hint {i}", 5 - i) for i in range(1, 6)]
    levels = [r["level"] for r in db.execute(
        "select level from missions_private.hint_reveals where mission_id = %s order by level", (mid,))]
    assert levels == [1, 2, 3, 4, 5]
    shown = call(db, learner, "select missions.mission_hints(%s, 1)", mid)
    assert shown["levels"] == 5 and [h["text"] for h in shown["revealed"]] == hints
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s "
                      "and type = 'learning.hint_revealed'", (mid,)).fetchone()["n"] == 5


# ---- time-bound missions ---------------------------------------------------------------------------

def test_a_time_bound_mission_refuses_work_after_its_deadline_and_expires(db):
    set_clock(db, T0)
    tid = create_simple(db, "TIME-1", n=2, time_constraint_hours=6,
                        subtasks=[{"title": "Triage", "hints": ["look"]}, {"title": "Report"}])
    untimed = create_simple(db, "TIME-0", n=1)
    learner = make_principal(db, "participant", tier="PREMIUM")
    progress = start(db, learner, tid)
    mid = progress["id"]
    assert progress["deadline_at"].startswith("2026-05-04T15:00:00")
    assert progress["started_at"].startswith("2026-05-04T09:00:00")
    free_mid = start(db, learner, untimed)["id"]
    assert progress_of(db, learner, free_mid)["deadline_at"] is None

    set_clock(db, "2026-05-04 14:59:59+00")
    save(db, learner, mid, subtask=1, notes="almost")
    set_clock(db, "2026-05-04 15:00:00+00")  # the deadline itself
    refused = [
        ("select missions.save_mission_progress(%s, %s::jsonb)", (mid, '{"subtask": 1, "done": true}')),
        ("select missions.save_mission_progress(%s, %s::jsonb)", (mid, '{"reflection": "late"}')),
        ("select missions.reveal_hint(%s, 1)", (mid,)),
        ("select missions.add_evidence(%s, 1, 'a.txt', 'text/plain', 1, %s)", (mid, sha(b"a"))),
        ("select missions.submit_learning_mission(%s)", (mid,)),
    ]
    for sql, args in refused:
        assert sqlstate(db, learner, sql, *args) == "MS409", sql
    assert learning_row(db, mid)["status"] == "in_progress"  # until the job runs

    assert call(db, None, "select missions.expire_missions()") == 1
    assert call(db, None, "select missions.expire_missions()") == 0
    assert learning_row(db, mid)["status"] == "expired"
    assert learning_row(db, free_mid)["status"] == "in_progress"
    assert progress_of(db, learner, mid)["status"] == "expired"


# ---- input validation ------------------------------------------------------------------------------

def test_malformed_templates_and_progress_are_refused_as_validation_errors(db, principals):
    admin = principals["admin"]
    decision = {"key": "d", "choices": [{"key": "a", "label": "A", "next": 2}, {"key": "b", "label": "B", "next": 3}]}

    def spec(**first):
        subtasks = [{"title": "One", **first}, {"title": "Two"}, {"title": "Three"}]
        return json.dumps({"code": "BAD-1", "title": "Bad", "tier": "beginner", "track": "defender",
                           "subtasks": subtasks})

    bad_subtasks = [
        {"required_evidence": 1.5}, {"required_evidence": "2"}, {"required_evidence": 11},
        {"optional": "maybe"}, {"hints": [{"level": "x", "text": "t"}]}, {"hints": [{"level": 1.5, "text": "t"}]},
        {"hints": [""]}, {"hints": "not a list"}, {"skills": "siem"}, {"colour": "red"},
        {"decision": {**decision, "rejoin": "x"}}, {"decision": {**decision, "rejoin": 2.5}},
        {"decision": {**decision, "choices": [{"key": "a", "label": "A", "next": "x"}, {"key": "b", "label": "B", "next": 3}]}},
        {"decision": {**decision, "choices": [{"key": "a", "label": "A", "next": 2.5}, {"key": "b", "label": "B", "next": 3}]}},
        {"decision": {**decision, "choices": [{"key": "a", "label": "A", "next": 1}, {"key": "b", "label": "B", "next": 3}]}},
        {"decision": {**decision, "choices": [{"key": "a", "label": "A", "next": 2}]}},
        {"decision": {**decision, "choices": [{"key": "a", "label": "A", "next": 2}, {"key": "a", "label": "B", "next": 3}]}},
        {"decision": {**decision, "rejoin": 9}},
    ]
    for first in bad_subtasks:
        assert sqlstate(db, admin, "select missions.create_learning_template(%s::jsonb)", spec(**first)) == "MS422", first
    assert db.execute("select count(*) as n from missions_private.templates").fetchone()["n"] == 0

    # whole numbers written as 1.0 are whole numbers
    ok = create_simple(db, "GOOD-0", subtasks=[
        {"title": "One", "required_evidence": 1.0, "decision": {**decision, "rejoin": 4.0, "choices": [
            {"key": "a", "label": "A", "next": 2.0}, {"key": "b", "label": "B", "next": 3}]}},
        {"title": "Two"}, {"title": "Three"}])
    doc = call(db, admin, "select missions.learning_template(%s)", ok)
    assert doc["subtasks"][0]["required_evidence"] == 1
    assert [(c["next"], c["path"]) for c in doc["subtasks"][0]["decision"]["choices"]] == [(2, [2]), (3, [3])]

    tid = create_simple(db, "GOOD-1", n=3)
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    for progress in ({"subtask": 1.5, "notes": "x"}, {"subtask": 1e12, "notes": "x"}, {"subtask": "1"},
                     {"notes": "no subtask"}, {"subtask": 1, "done": "yes"}, {"tools_used": "nmap"},
                     {"tools_used": [""]}, {"mood": "good"}, {"subtask": 1, "notes": "x" * 20001}):
        assert sqlstate(db, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                        json.dumps(progress)) == "MS422", progress
    assert sqlstate(db, learner, "select missions.save_mission_progress(%s, %s::jsonb)", mid,
                    '{"subtask": 7, "notes": "x"}') == "MS404"
    assert progress_of(db, learner, mid)["subtasks"][0]["notes"] is None


def test_parallel_choices_record_one_decision_and_skip_one_path(db, connect):
    tid = create_template(db)  # containment at subtask 2: isolate -> 3, monitor -> 4
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    add_evidence(db, learner, mid, 1)
    save(db, learner, mid, subtask=1, done=True)
    conns = clocked(connect, 8, None)
    choices = ["isolate", "monitor"] * 4

    results = race([lambda c=c, k=k: call(c, learner, "select missions.choose_decision(%s, 'containment', %s)", mid, k)
                    for c, k in zip(conns, choices)])

    outcomes = [outcome(r) for r in results]
    assert outcomes.count("ok") == 1 and outcomes.count("MS409") == 7, outcomes
    chosen = choices[outcomes.index("ok")]
    row = db.execute("select choice_key, skipped from missions_private.decisions where mission_id = %s",
                     (mid,)).fetchall()
    assert [(r["choice_key"], r["skipped"]) for r in row] == [(chosen, [4] if chosen == "isolate" else [3])]
    assert statuses(progress_of(db, learner, mid)).count("skipped") == 1
    assert db.execute("select count(*) as n from missions_private.events where mission_id = %s "
                      "and type = 'learning.decision_made'", (mid,)).fetchone()["n"] == 1
