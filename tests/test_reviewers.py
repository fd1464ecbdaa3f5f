"""Designated reviewers (issue 13, item 3): review kinds (ai_review, mentor_review) are claimed only by
principals an admin designated; anyone else gets nothing from claim_next_step, MS403 from a claim by id,
and so never reads a learner's evidence nor grades it. Revoking withdraws the reviewer's live leases."""

from __future__ import annotations

import json
import uuid

import psycopg

from app import reviewer
from app.db.migrate import apply_functions, become_owner
from tests.helpers.calls import call, sqlstate
from tests.helpers.http import assert_problem
from tests.helpers.learning import (
    add_evidence,
    clocked,
    create_simple,
    create_template,
    designate,
    finish_subtasks,
    learning_row,
    outcome,
    save,
    start,
    steps_of,
    submit,
)
from tests.helpers.principals import bearer, make_principal, race

CLAIM_NEXT = "select row_to_json(c) from missions.claim_next_step(%s, %s::text[]) c"
CLAIM = "select row_to_json(c) from missions.claim_mission_step(%s, %s) c"
COMPLETE = "select row_to_json(s) from missions.complete_step(%s, %s, %s, %s::jsonb) s"
DESIGNATE = "select row_to_json(r) from missions.designate_reviewer(%s, %s) r"
REVOKE = "select row_to_json(r) from missions.revoke_reviewer(%s, %s) r"
REVIEWERS = ("select coalesce(json_agg(r.principal_id::text), '[]') "
             "from missions.reviewers(%s, %s, nullif(jsonb_strip_nulls(jsonb_build_object('principal_id', %s::uuid)), '{}')) r")
CLAIM_MENTOR = "select row_to_json(c) from missions.claim_mentor_review(%s, %s) c"
COMPLETE_MENTOR = "select missions.complete_mentor_review(%s, %s, %s::jsonb)"


def full_marks(n: int = 2) -> str:
    return json.dumps({"scores": [{"subtask": i, "score": 100} for i in range(1, n + 1)], "summary": "Perfect."})


def free_submission(db: psycopg.Connection, code: str) -> tuple[dict, str]:
    """A FREE learner's submitted mission (two subtasks, evidence at 1, pass score 90): an AI verdict of full
    marks would approve and pay it at once."""
    tid = create_simple(db, code, pass_score=90, momentum=20, skill_xp=100)
    learner = make_principal(db, "participant", tier="FREE")
    mid = start(db, learner, tid)["id"]
    add_evidence(db, learner, mid, 1)
    finish_subtasks(db, learner, mid, [1, 2])
    submit(db, learner, mid)
    return learner, mid


def paid(db: psycopg.Connection, mid: str) -> int:
    return db.execute("select count(*) as n from missions_private.ledger_entries where reference = %s",
                      (f"mission:{mid}",)).fetchone()["n"]


def live_leases(db: psycopg.Connection, agent: dict) -> int:
    return db.execute("select count(*) as n from missions_private.steps where leased_by = %s and status = 'in_progress'",
                      (agent["id"],)).fetchone()["n"]


# ---- the attack of issue 13 item 3 --------------------------------------------------------------------------

def test_an_undesignated_agent_can_neither_claim_read_nor_grade_a_learners_review(db, principals):
    rogue, grader = make_principal(db, "agent", "Rogue"), make_principal(db, "agent", "Grader")
    designate(db, "ai_review", grader)
    learner, mid = free_submission(db, "REV-1")
    step = str(steps_of(db, mid, "ai_review")[0]["id"])
    eid = str(db.execute("select id from missions_private.evidence_files where mission_id = %s",
                         (mid,)).fetchone()["id"])

    assert call(db, rogue, CLAIM_NEXT, rogue["id"], ["ai_review"]) is None
    assert call(db, rogue, CLAIM_NEXT, rogue["id"], None) is None
    assert sqlstate(db, rogue, CLAIM, step, rogue["id"]) == "MS403"
    for read in ("select missions.review_packet(%s)", "select missions.learning_progress(%s)",
                 "select missions.ai_review(%s)"):
        assert sqlstate(db, rogue, read, mid) == "MS404", read
    assert sqlstate(db, rogue, "select missions.evidence_file(%s)", eid) == "MS404"
    assert sqlstate(db, rogue, COMPLETE, step, rogue["id"], str(uuid.uuid4()), full_marks()) == "MS404"
    assert sqlstate(db, rogue, "select missions.rules_review(%s, %s, %s)", step, rogue["id"], str(uuid.uuid4())) == "MS404"
    row = learning_row(db, mid)
    assert (row["status"], row["review_stage"], paid(db, mid)) == ("submitted", "ai_review", 0)
    assert (steps_of(db, mid, "ai_review")[0]["status"], steps_of(db, mid, "ai_review")[0]["attempt"]) == ("ready", 0)

    # the designated reviewer claims it, reads the evidence and grades it: that verdict applies (FREE)
    claim = call(db, grader, CLAIM_NEXT, grader["id"], ["ai_review"])
    assert claim["step_id"] == step
    assert call(db, grader, "select missions.evidence_file(%s)", eid)["id"] == eid
    call(db, grader, COMPLETE, step, grader["id"], claim["lease_token"], full_marks())
    row = learning_row(db, mid)
    assert (row["status"], float(row["final_score"]), paid(db, mid)) == ("completed", 100.0, 2)


def test_an_undesignated_agent_still_claims_its_ops_work_and_only_skips_reviews(db, principals):
    rogue = make_principal(db, "agent", "Ops agent")
    _, mid = free_submission(db, "REV-2")
    ops = call(db, principals["admin"], "select missions.create_agent_mission(%s::jsonb)", json.dumps(
        {"type": "ops", "title": "Nightly", "priority": "low", "steps": [{"title": "check", "kind": "health_check"}]}))
    assert steps_of(db, mid, "ai_review")[0]["priority"] > 2  # the review is ahead of the ops step in the queue

    claim = call(db, rogue, CLAIM_NEXT, rogue["id"], None)
    assert (claim["kind"], claim["mission_id"]) == ("health_check", str(ops))
    assert call(db, rogue, CLAIM_NEXT, rogue["id"], None) is None
    assert call(db, rogue, CLAIM_NEXT, rogue["id"], ["ai_review", "health_check"]) is None
    assert steps_of(db, mid, "ai_review")[0]["status"] == "ready"


def test_of_a_designated_and_undesignated_agents_claiming_at_once_only_the_designated_one_gets_the_review(db, connect):
    designated = make_principal(db, "agent", "Designated")
    others = [make_principal(db, "agent", f"Undesignated {i}") for i in range(3)]
    designate(db, "ai_review", designated)
    for n in range(3):
        _, mid = free_submission(db, f"RACE-{n}")
        step = str(steps_of(db, mid, "ai_review")[0]["id"])
        agents = [designated, *others]
        conns = clocked(connect, 4, None)
        # claim-next from all four at once
        results = race([lambda c=c, a=a: call(c, a, CLAIM_NEXT, a["id"], ["ai_review"]) for c, a in zip(conns, agents)])
        assert results[0] is not None and results[0]["step_id"] == step, results
        assert results[1:] == [None, None, None], results
        call(db, designated, "select missions.release_step(%s, %s, %s)", step, designated["id"], results[0]["lease_token"])
        # and by id: the undesignated ones are refused (MS403) whoever is first
        results = race([lambda c=c, a=a: call(c, a, CLAIM, step, a["id"]) for c, a in zip(conns, agents)])
        assert [outcome(r) for r in results] == ["ok", "MS403", "MS403", "MS403"], results
        assert str(steps_of(db, mid, "ai_review")[0]["leased_by"]) == designated["id"]
        for c in conns:
            c.close()


# ---- the built-in reviewer and the worker -------------------------------------------------------------------

def test_the_rules_reviewer_is_designated_by_the_migration_and_a_revoke_survives_the_next_migrate(db, dsn):
    assert call(db, None, REVIEWERS, "ai_review", 100, None) == [reviewer.REVIEWER_ID]
    first = call(db, None, "select row_to_json(r) from missions.reviewers('ai_review') r")
    assert first["granted_by"] is None and first["revoked_at"] is None
    _, mid = free_submission(db, "REV-3")

    revoked = call(db, None, REVOKE, "ai_review", reviewer.REVIEWER_ID)
    assert revoked["revoked_at"] is not None
    with psycopg.connect(dsn) as conn:  # what `missions db migrate` re-applies every time
        become_owner(conn)
        apply_functions(conn)
        conn.commit()
    assert call(db, None, REVIEWERS, "ai_review", 100, None) == []
    assert reviewer.review_one(db) is False  # the worker's reviewer claims nothing now
    assert learning_row(db, mid)["review_stage"] == "ai_review"

    assert call(db, None, DESIGNATE, "ai_review", reviewer.REVIEWER_ID)["revoked_at"] is None
    assert reviewer.review_one(db) is True
    assert learning_row(db, mid)["review_stage"] == "changes_requested"  # the rules score is below 90


# ---- managing designations ----------------------------------------------------------------------------------

def test_only_staff_designate_and_a_designation_must_fit_the_kind(db, principals):
    admin, agent, mentor = principals["admin"], principals["agent"], principals["mentor"]
    for who in ("participant", "agent", "mentor"):
        assert sqlstate(db, principals[who], DESIGNATE, "ai_review", agent["id"]) in {"MS403", "42501"}, who
        assert sqlstate(db, principals[who], REVOKE, "ai_review", reviewer.REVIEWER_ID) in {"MS403", "42501"}, who
        assert sqlstate(db, principals[who], REVIEWERS, "ai_review", 10, None) in {"MS403", "42501"}, who
    assert sqlstate(db, admin, DESIGNATE, "task", agent["id"]) == "MS404"          # not a review kind
    assert sqlstate(db, admin, DESIGNATE, "no_such_kind", agent["id"]) == "MS404"
    assert sqlstate(db, admin, DESIGNATE, "ai_review", str(uuid.uuid4())) == "MS404"
    assert sqlstate(db, admin, DESIGNATE, "ai_review", mentor["id"]) == "MS422"     # agents review ai_review
    assert sqlstate(db, admin, DESIGNATE, "ai_review", principals["participant"]["id"]) == "MS422"
    assert sqlstate(db, admin, DESIGNATE, "mentor_review", agent["id"]) == "MS422"  # mentors and admins
    assert db.execute("select count(*) as n from missions_private.step_kind_reviewers").fetchone()["n"] == 1

    first = call(db, admin, DESIGNATE, "ai_review", agent["id"])
    assert (first["granted_by"], first["role"], first["revoked_at"]) == (admin["id"], "agent", None)
    assert call(db, principals["service"], DESIGNATE, "ai_review", agent["id"]) == first  # again: unchanged
    assert call(db, admin, DESIGNATE, "mentor_review", admin["id"])["role"] == "admin"

    revoked = call(db, admin, REVOKE, "ai_review", agent["id"])
    assert revoked["revoked_by"] == admin["id"] and revoked["revoked_at"] is not None
    assert call(db, admin, REVOKE, "ai_review", agent["id"]) == revoked  # again: unchanged
    assert sqlstate(db, admin, REVOKE, "ai_review", mentor["id"]) == "MS404"  # never designated
    again = call(db, principals["service"], DESIGNATE, "ai_review", agent["id"])
    assert (again["granted_by"], again["revoked_at"], again["revoked_by"]) == (principals["service"]["id"], None, None)


def test_the_reviewer_list_is_paged_by_principal_id(db, principals):
    agents = [make_principal(db, "agent", f"Reviewer {i}") for i in range(4)]
    designate(db, "ai_review", *agents)
    every = sorted([a["id"] for a in agents] + [reviewer.REVIEWER_ID])
    admin = principals["admin"]
    assert call(db, admin, REVIEWERS, "ai_review", 200, None) == every
    page = call(db, admin, REVIEWERS, "ai_review", 2, None)
    assert page == every[:2]
    assert call(db, admin, REVIEWERS, "ai_review", 2, page[-1]) == every[2:4]
    assert call(db, admin, REVIEWERS, "ai_review", 2, every[3]) == every[4:]
    call(db, admin, REVOKE, "ai_review", every[0])
    assert call(db, admin, REVIEWERS, "ai_review", 200, None) == every[1:]
    for limit in (0, 201, None):
        assert sqlstate(db, admin, REVIEWERS, "ai_review", limit, None) == "MS422", limit
    assert sqlstate(db, admin, REVIEWERS, "task", 10, None) == "MS404"
    assert call(db, admin, REVIEWERS, "mentor_review", 10, None) == []


# ---- revoking -----------------------------------------------------------------------------------------------

def test_revoking_an_agent_withdraws_its_live_lease_and_stops_new_claims(db, principals):
    agent, successor = make_principal(db, "agent", "Revoked"), make_principal(db, "agent", "Successor")
    designate(db, "ai_review", agent, successor)
    learner, mid = free_submission(db, "REV-4")
    claim = call(db, agent, CLAIM_NEXT, agent["id"], ["ai_review"])
    step, token = claim["step_id"], claim["lease_token"]
    assert call(db, agent, "select missions.review_packet(%s)", mid)["id"] == mid

    call(db, principals["admin"], REVOKE, "ai_review", agent["id"])
    row = steps_of(db, mid, "ai_review")[0]
    assert (row["status"], row["attempt"], row["leased_by"]) == ("ready", 0, None)  # the attempt does not count
    assert sqlstate(db, agent, "select missions.review_packet(%s)", mid) == "MS404"
    assert sqlstate(db, agent, COMPLETE, step, agent["id"], token, full_marks()) == "MS404"
    assert sqlstate(db, agent, "select missions.heartbeat_step(%s, %s, %s)", step, agent["id"], token) == "MS404"
    assert call(db, agent, CLAIM_NEXT, agent["id"], ["ai_review"]) is None
    assert sqlstate(db, agent, CLAIM, step, agent["id"]) == "MS403"
    assert paid(db, mid) == 0

    taken = call(db, successor, CLAIM_NEXT, successor["id"], ["ai_review"])
    assert (taken["step_id"], taken["attempt"]) == (step, 1)


def test_revoking_a_mentor_withdraws_its_claim_and_its_view_of_the_mission(db, principals):
    mentor, successor, stranger = principals["mentor"], make_principal(db, "mentor"), make_principal(db, "mentor")
    designate(db, "mentor_review", mentor, successor)
    learner = make_principal(db, "participant", tier="PREMIUM")
    tid = create_template(db, "REV-M")
    mid = start(db, learner, tid)["id"]
    add_evidence(db, learner, mid, 1)
    save(db, learner, mid, subtask=1, done=True)
    call(db, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid)
    finish_subtasks(db, learner, mid, [2, 3])
    submit(db, learner, mid, "what I learned")
    assert reviewer.review_one(db)
    call(db, learner, "select missions.request_mentor_review(%s)", mid)

    assert call(db, stranger, "select count(*) from missions.mentor_reviews()") == 0
    assert sqlstate(db, stranger, CLAIM_MENTOR, mid, stranger["id"]) == "MS403"
    assert sqlstate(db, stranger, "select missions.learning_progress(%s)", mid) == "MS404"
    call(db, mentor, CLAIM_MENTOR, mid, mentor["id"])
    assert str(learning_row(db, mid)["mentor_id"]) == mentor["id"]

    call(db, principals["admin"], REVOKE, "mentor_review", mentor["id"])
    verdict = json.dumps({"decision": "approve", "scores": [{"subtask": n, "score": 100} for n in (1, 2, 3)]})
    assert sqlstate(db, mentor, COMPLETE_MENTOR, mid, mentor["id"], verdict) == "MS412"
    assert learning_row(db, mid)["mentor_id"] is None
    assert sqlstate(db, mentor, "select missions.learning_progress(%s)", mid) == "MS404"
    assert call(db, mentor, "select count(*) from missions.mentor_reviews()") == 0
    assert sqlstate(db, mentor, CLAIM_MENTOR, mid, mentor["id"]) == "MS403"

    claim = call(db, successor, CLAIM_MENTOR, mid, successor["id"])
    assert claim["attempt"] == 1
    assert call(db, successor, COMPLETE_MENTOR, mid, successor["id"], verdict)["status"] == "completed"


def test_a_revoke_racing_claims_leaves_no_lease_with_the_revoked_reviewer(db, connect, principals):
    agent = make_principal(db, "agent", "Raced")
    admin = principals["admin"]
    for n in range(6):
        designate(db, "ai_review", agent)
        _, mid = free_submission(db, f"RVK-{n}")
        step = str(steps_of(db, mid, "ai_review")[0]["id"])
        conns = clocked(connect, 3, None)
        by_id = n % 2 == 1
        claim = (lambda c: call(c, agent, CLAIM, step, agent["id"])) if by_id else \
                (lambda c: call(c, agent, CLAIM_NEXT, agent["id"], ["ai_review"]))
        results = race([lambda: claim(conns[0]), lambda: call(conns[1], admin, REVOKE, "ai_review", agent["id"]),
                        lambda: claim(conns[2])])
        # a claim either came first (its lease was then withdrawn) or found the designation revoked
        assert not any(isinstance(r, psycopg.Error) and r.sqlstate not in ("MS403", "MS409") for r in results), results
        assert outcome(results[1]) == "ok"
        assert live_leases(db, agent) == 0, results
        assert steps_of(db, mid, "ai_review")[0]["status"] == "ready"
        for c in conns:
            c.close()


# ---- HTTP -----------------------------------------------------------------------------------------------------

def test_designations_over_http(client, db, principals):
    admin, agent, mentor = principals["admin"], principals["agent"], principals["mentor"]
    base = "/api/internal/step-kinds"
    _, mid = free_submission(db, "REV-H")
    step = str(steps_of(db, mid, "ai_review")[0]["id"])

    # undesignated: claim-next answers 204, a claim by id 403
    r = client.post("/api/internal/steps/claim-next", headers=bearer(agent), json={"kinds": ["ai_review"]})
    assert r.status_code == 204, r.text
    assert_problem(client.post(f"/api/internal/steps/{step}/claim", headers=bearer(agent)), 403)

    for who in (agent, mentor, principals["participant"]):
        assert_problem(client.put(f"{base}/ai_review/reviewers/{agent['id']}", headers=bearer(who)), 403)
        assert_problem(client.get(f"{base}/ai_review/reviewers", headers=bearer(who)), 403)
    assert_problem(client.put(f"{base}/task/reviewers/{agent['id']}", headers=bearer(admin)), 404)
    assert_problem(client.put(f"{base}/ai_review/reviewers/{mentor['id']}", headers=bearer(admin)), 422)
    r = client.put(f"{base}/ai_review/reviewers/{agent['id']}", headers=bearer(admin))
    assert r.status_code == 200, r.text
    assert (r.json()["principalId"], r.json()["role"], r.json()["grantedBy"], r.json()["revokedAt"]) == \
        (agent["id"], "agent", admin["id"], None)
    listed = client.get(f"{base}/ai_review/reviewers?limit=1", headers=bearer(principals["service"]))
    assert listed.status_code == 200 and len(listed.json()["items"]) == 1 and listed.json()["nextCursor"]
    listed = client.get(f"{base}/ai_review/reviewers", headers=bearer(admin)).json()["items"]
    assert sorted(x["principalId"] for x in listed) == sorted([agent["id"], reviewer.REVIEWER_ID])

    claim = client.post("/api/internal/steps/claim-next", headers=bearer(agent), json={"kinds": ["ai_review"]})
    assert claim.status_code == 200 and claim.json()["stepId"] == step
    r = client.delete(f"{base}/ai_review/reviewers/{agent['id']}", headers=bearer(admin))
    assert r.status_code == 200 and r.json()["revokedAt"] is not None and r.json()["revokedBy"] == admin["id"]
    done = client.post(f"/api/internal/steps/{step}/complete", headers=bearer(agent),
                       json={"leaseToken": claim.json()["leaseToken"], "result": json.loads(full_marks())})
    assert done.status_code == 404, done.text  # the lease was withdrawn with the designation
    assert_problem(client.delete(f"{base}/ai_review/reviewers/{mentor['id']}", headers=bearer(admin)), 404)
    assert paid(db, mid) == 0
