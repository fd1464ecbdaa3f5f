"""Faces apart: each face's functions act on their own missions only.

One rule (README "Errors", docs/architecture.md): a face's function looks a mission up by id *within its face*, so
a mission of another face is `MS404` (not found) for it, whoever calls (its owner, an admin) and whatever its
status; lists and stats of a face leave the other faces' missions out. The table below tries every public function
of sql/functions/1xx (engagement), 2xx (agents) and 3xx (learning) that takes a mission, assignment, task or step id
on a mission of each other face, and checks the SQLSTATE and that nothing changed. Review steps (`ai_review`) are
the one deliberate crossing: agents claim them through the agents' claim API (test_reviewers.py)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass

import psycopg
import pytest

from tests.helpers import learning
from tests.helpers.calls import call, rows, sqlstate
from tests.helpers.engagement import make_template
from tests.helpers.http import assert_problem
from tests.helpers.principals import act_as, bearer, make_principal

OTHER_FACES = {"engagement": ("learning", "agent"), "learning": ("engagement", "agent"),
               "agent": ("engagement", "learning")}


@pytest.fixture
def world(db, principals):
    """One participant owns a mission of each face: a submitted MEDIUM challenge, a submitted learning mission
    (its ai_review step ready) and an approved persistent agent mission with one task; plus a second submitted
    learning mission whose ai_review step an agent holds, and an ops mission whose step that agent holds."""
    admin, agent, mentor = (principals[k] for k in ("admin", "agent", "mentor"))
    me = make_principal(db, "participant", "Pat Premium", tier="PREMIUM")  # two learning missions this month
    challenge = make_template(db, difficulty="MEDIUM")
    eng = call(db, me, "select to_jsonb(m) from missions.assign_mission(%s, %s) m", me["id"], challenge)["id"]
    call(db, me, "select missions.start_mission(%s)", eng)
    call(db, me, "select missions.submit_mission(%s, %s)", eng, "https://proof.example/1")

    learning.designate(db, "ai_review", agent)
    learning.designate(db, "mentor_review", mentor)
    tid = learning.create_simple(db, "FACES-1", 2)
    lrn = learning.start(db, me, tid)["id"]
    learning.finish_subtasks(db, me, lrn, [1, 2])
    learning.submit(db, me, lrn)
    tid2 = learning.create_simple(db, "FACES-2", 1)
    held = learning.start(db, me, tid2)["id"]
    learning.finish_subtasks(db, me, held, [1])
    learning.submit(db, me, held)
    review_step = learning.steps_of(db, held, "ai_review")[0]["id"]
    held_review = call(db, agent, "select row_to_json(c) from missions.claim_mission_step(%s, %s) c",
                       review_step, agent["id"])

    agt = str(call(db, admin, "select missions.create_agent_mission(%s::jsonb)", json.dumps(
        {"type": "persistent", "title": "Plan the launch", "owner_id": me["id"], "tasks": [{"title": "Draft"}]})))
    ops = str(call(db, admin, "select missions.create_agent_mission(%s::jsonb)", json.dumps(
        {"type": "ops", "title": "Check health", "steps": [{"title": "Ping", "kind": "health_check"}]})))
    ops_claim = call(db, agent, "select row_to_json(c) from missions.claim_mission_step(%s, %s) c",
                     first_step(db, ops), agent["id"])
    call(db, admin, "select missions.upsert_recipe(%s::jsonb)",
         json.dumps({"slug": "faces-recipe", "title": "A recipe", "type": "concept"}))
    missions = {"engagement": eng, "learning": lrn, "agent": agt}
    assert {f: face_of(db, m) for f, m in missions.items()} == {f: f for f in missions}
    return {"me": me, "admin": admin, "agent": agent, "mentor": mentor, "missions": missions,
            "templates": {"engagement": challenge, "learning": tid},
            "held": held, "held_review": held_review, "ops": ops, "ops_claim": ops_claim}


def first_step(db, mission_id) -> str:
    row = db.execute("select id from missions_private.steps where mission_id = %s order by position limit 1",
                     (mission_id,)).fetchone()
    return str(row["id"]) if row else str(uuid.uuid4())


def face_of(db, mission_id) -> str:
    return db.execute("select face from missions_private.missions where id = %s", (mission_id,)).fetchone()["face"]


def snapshot(db) -> dict:
    """Everything a crossing call could have changed."""
    def q(sql: str) -> list:
        return [tuple(r.values()) for r in db.execute(sql)]
    return {
        "missions": q("select id, status, status_changed_at, reviewed_by, review_note, proof_url, priority, title, "
                      "expires_at from missions_private.missions order by id"),
        "steps": q("select id, status, lease_token, attempt, title, wait_key from missions_private.steps order by id"),
        "events": q("select count(*), max(id) from missions_private.events"),
        "ledger": q("select count(*) from missions_private.ledger_entries"),
        "rewards": q("select count(*) from missions_private.mission_rewards"),
        "learning": q("select mission_id, review_stage, mentor_id, ai_score from missions_private.learning_missions "
                      "order by mission_id"),
        "requests": q("select count(*) from missions_private.input_requests"),
        "usage": q("select count(*) from missions_private.recipe_usage"),
        "evidence": q("select count(*) from missions_private.evidence_files"),
    }


@dataclass(frozen=True)
class Cross:
    face: str        # the face the function belongs to
    function: str    # for the test id
    caller: str      # participant (the missions' owner), admin, agent or mentor
    sql: str         # {m} the mission id, {s} a step id of that mission, {me}/{admin}/{agent}/{mentor} principals


REVIEW = json.dumps({"scores": [{"subtask": 1, "score": 90}], "decision": "approve", "feedback": "ok"})
SHA = "0" * 64

CROSSINGS = [
    # engagement (sql/functions/1xx): by the owner and by staff
    Cross("engagement", "start_mission", "participant", "select missions.start_mission({m})"),
    Cross("engagement", "start_mission", "admin", "select missions.start_mission({m}, {me})"),
    Cross("engagement", "submit_mission", "participant",
          "select missions.submit_mission({m}, 'https://proof.example/2', 'proof')"),
    Cross("engagement", "approve_mission", "admin", "select missions.approve_mission({m}, {admin})"),
    Cross("engagement", "fail_mission", "admin", "select missions.fail_mission({m}, {admin}, 'no')"),
    # agents (sql/functions/2xx)
    Cross("agent", "approve_agent_mission", "admin", "select missions.approve_agent_mission({m}, {admin})"),
    Cross("agent", "agent_mission", "admin", "select missions.agent_mission({m})"),
    Cross("agent", "update_agent_mission", "admin", """select missions.update_agent_mission({m}, '{{"priority": 9}}')"""),
    Cross("agent", "update_agent_mission", "participant",
          """select missions.update_agent_mission({m}, '{{"status": "cancelled"}}')"""),
    Cross("agent", "add_task", "admin", """select missions.add_task({m}, '{{"title": "More"}}')"""),
    Cross("agent", "update_task", "admin", """select missions.update_task({m}, {s}, '{{"status": "completed"}}')"""),
    Cross("agent", "log_mission_event", "participant", "select missions.log_mission_event({m}, 'note', '{{}}')"),
    Cross("agent", "resume_mission", "admin", "select missions.resume_mission({m})"),
    Cross("agent", "request_human_input", "admin", "select missions.request_human_input({m}, null, 'Go?')"),
    Cross("agent", "request_human_input", "admin", "select missions.request_human_input({m}, {s}, 'Go?')"),
    Cross("agent", "wait_for_external_event", "admin", "select missions.wait_for_external_event({m}, {s}, 'k:1')"),
    Cross("agent", "claim_mission_step", "agent", "select missions.claim_mission_step({s}, {agent})"),
    # learning (sql/functions/3xx)
    Cross("learning", "learning_progress", "participant", "select missions.learning_progress({m})"),
    Cross("learning", "save_mission_progress", "participant",
          """select missions.save_mission_progress({m}, '{{"subtask": 1, "notes": "n"}}')"""),
    Cross("learning", "mission_hints", "admin", "select missions.mission_hints({m}, 1)"),
    Cross("learning", "reveal_hint", "participant", "select missions.reveal_hint({m}, 1)"),
    Cross("learning", "mission_decisions", "admin", "select missions.mission_decisions({m})"),
    Cross("learning", "choose_decision", "participant", "select missions.choose_decision({m}, 'k', 'c')"),
    Cross("learning", "add_evidence", "participant",
          f"select missions.add_evidence({{m}}, 1, 'a.txt', 'text/plain', 3, '{SHA}')"),
    Cross("learning", "submit_learning_mission", "admin", "select missions.submit_learning_mission({m}, 'r')"),
    Cross("learning", "review_packet", "admin", "select missions.review_packet({m})"),
    Cross("learning", "ai_review", "participant", "select missions.ai_review({m})"),
    Cross("learning", "accept_ai_review", "participant", "select missions.accept_ai_review({m})"),
    Cross("learning", "request_mentor_review", "admin", "select missions.request_mentor_review({m})"),
    Cross("learning", "claim_mentor_review", "mentor", "select missions.claim_mentor_review({m}, {mentor})"),
    Cross("learning", "complete_mentor_review", "mentor",
          "select missions.complete_mentor_review({m}, {mentor}, {review})"),
    Cross("learning", "mentor_review", "admin", "select missions.mentor_review({m})"),
    Cross("learning", "recommend_recipes", "participant", "select * from missions.recommend_recipes({me}, {m})"),
    Cross("learning", "track_recipe_usage", "participant",
          "select missions.track_recipe_usage({me}, 'faces-recipe', 'viewed', 0, {m})"),
]


def test_no_face_function_finds_another_face_mission(db, world):
    """Every row of CROSSINGS on a mission of each other face: MS404, and nothing changed. One world serves the
    whole table (each call runs in a transaction that the error rolls back); the failures name their rows."""
    people = {"participant": world["me"], "admin": world["admin"], "agent": world["agent"],
              "mentor": world["mentor"]}
    failures = []
    for cross in CROSSINGS:
        sql = cross.sql.format(m="%(m)s", s="%(s)s", me="%(me)s", admin="%(admin)s", agent="%(agent)s",
                               mentor="%(mentor)s", review="%(review)s")
        for target in OTHER_FACES[cross.face]:
            mission = world["missions"][target]
            params = {"m": mission, "s": first_step(db, mission), "me": world["me"]["id"],
                      "admin": world["admin"]["id"], "agent": world["agent"]["id"],
                      "mentor": world["mentor"]["id"], "review": REVIEW}
            before = snapshot(db)
            got = sqlstate_named(db, people[cross.caller], sql, params)
            if got != "MS404" or snapshot(db) != before:
                failures.append(f"{cross.face}.{cross.function}[{cross.caller}] on a {target} mission: {got}")
    assert failures == []
    assert len(CROSSINGS) >= 30   # the table covers the faces' id-taking functions (see its comments)


def sqlstate_named(db, who, sql: str, params: dict) -> str | None:
    try:
        with db.transaction():
            act_as(db, who)
            db.execute(sql, params).fetchall()
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def test_the_same_calls_work_on_their_own_face(db, world):
    """The table's functions are not simply broken: on their own face's mission they act."""
    me, admin = world["me"], world["admin"]
    m = world["missions"]
    assert call(db, admin, "select to_jsonb(x) from missions.approve_mission(%s, %s) x",
                m["engagement"], admin["id"])["status"] == "completed"
    assert call(db, me, "select missions.learning_progress(%s)", m["learning"])["status"] == "submitted"
    assert call(db, me, "select missions.agent_mission(%s)", m["agent"])["id"] == m["agent"]


TEMPLATE_CROSSINGS = [
    ("engagement", "admin", "select missions.assign_mission({me}, {t})"),
    ("engagement", "admin", """select missions.update_template({t}, '{{"momentum": 99}}')"""),
    ("engagement", "admin", "select missions.set_template_active({t}, false)"),
    ("learning", "participant", "select missions.start_learning_mission({me}, {t})"),
    ("learning", "participant", "select missions.learning_template({t})"),
    ("learning", "admin", """select missions.set_template_rubric({t}, '[{{"subtask": 1, "criterion": "c", "weight": 1}}]')"""),
    ("learning", "admin", "select missions.link_recipe('faces-recipe', {t})"),
    ("learning", "admin", "select * from missions.step_funnel({t})"),
]


def test_no_face_function_finds_another_face_template(db, world):
    """Templates are kept apart the same way (agent missions have none): a challenge template is not a learning
    template and the other way round. Every row of TEMPLATE_CROSSINGS: MS404, and nothing changed."""
    failures = []
    for face, caller, sql in TEMPLATE_CROSSINGS:
        other = "learning" if face == "engagement" else "engagement"
        who = world["me"] if caller == "participant" else world["admin"]
        before = snapshot(db)
        templates = [tuple(r.values()) for r in db.execute("select * from missions_private.templates order by id")]
        got = sqlstate_named(db, who, sql.format(me="%(me)s", t="%(t)s"),
                             {"me": world["me"]["id"], "t": world["templates"][other]})
        after = [tuple(r.values()) for r in db.execute("select * from missions_private.templates order by id")]
        if got != "MS404" or snapshot(db) != before or after != templates:
            failures.append(f"{face}: {sql}: {got}")
    assert failures == []


def test_a_leased_review_step_is_not_found_by_the_agent_task_functions_whoever_holds_it(db, world):
    """lock_step_first looks at the face before the lease: a learner's ai_review step held by an agent is MS404
    for the task functions, for its holder, another agent and an admin (another agent used to get MS409
    'claimed by another agent', which told the step existed)."""
    step = world["held_review"]["step_id"]
    another = make_principal(db, "agent", "Another agent")
    for who in (world["agent"], another, world["admin"]):
        for sql in ("select missions.update_task(%s, %s, '{\"status\": \"completed\"}')",
                    "select missions.wait_for_external_event(%s, %s, 'k:2')",
                    "select missions.request_human_input(%s, %s, 'Go?')"):
            before = snapshot(db)
            assert sqlstate(db, who, sql, world["held"], step) == "MS404"
            assert snapshot(db) == before


def test_the_rules_reviewer_does_not_score_an_ops_step(db, world):
    """rules_review is the learning face's: an ops step the agent holds is not an ai_review step (MS404)."""
    claim = world["ops_claim"]
    before = snapshot(db)
    assert sqlstate(db, world["agent"], "select missions.rules_review(%s, %s, %s)",
                    claim["step_id"], world["agent"]["id"], claim["lease_token"]) == "MS404"
    assert snapshot(db) == before


def test_engagement_lists_and_stats_hold_engagement_missions_only(db, world):
    me, admin = world["me"], world["admin"]
    eng = world["missions"]["engagement"]
    assert [r["id"] for r in rows(db, admin, "select id from missions.pending_reviews()")] == [uuid.UUID(eng)]
    history = [str(r["id"]) for r in rows(db, me, "select id from missions.participant_missions(%s)", me["id"])]
    assert history == [eng]
    open_ = rows(db, me, "select id from missions.participant_missions(%s, '{assigned,in_progress,submitted}')",
                 me["id"])
    assert [str(r["id"]) for r in open_] == [eng]
    stats = call(db, me, "select missions.participant_stats(%s)", me["id"])
    assert stats["missions"] == {"submitted": 1} and stats["completion_rate"] == 0
    admin_stats = call(db, admin, "select missions.admin_stats()")
    assert admin_stats["pending_reviews"] == 1 and admin_stats["missions"] == {"submitted": 1}


def test_learning_and_agent_expiries_raise_no_missed_missions_alert(db, principals):
    """MISSED_MISSIONS counts challenges (seed 000): three expired persistent missions of a user raise none."""
    me, admin = principals["participant"], principals["admin"]
    db.execute("set missions.now = '2026-03-02 09:00+00'")
    for i in range(3):
        call(db, admin, "select missions.create_agent_mission(%s::jsonb)", json.dumps(
            {"type": "persistent", "title": f"Errand {i}", "owner_id": me["id"], "due_at": "2026-03-02 10:00+00",
             "tasks": [{"title": "Do it"}]}))
    db.execute("set missions.now = '2026-03-02 11:00+00'")
    assert db.execute("select missions.expire_missions() as n").fetchone()["n"] == 3
    assert db.execute("select count(*) as n from missions_private.alerts where participant_id = %s",
                      (me["id"],)).fetchone()["n"] == 0


def test_the_queue_and_history_queries_use_their_face_indexes(db, world):
    """pending_reviews and participant_missions walk the partial indexes that carry the face filter."""
    db.execute("set enable_seqscan = off")
    try:
        plan = "\n".join(r["QUERY PLAN"] for r in db.execute(
            "explain select * from missions_private.missions m where m.status = 'submitted' "
            "and m.face = 'engagement' order by m.submitted_at, m.id limit 50"))
        assert "missions_review_queue_idx" in plan
        plan = "\n".join(r["QUERY PLAN"] for r in db.execute(
            "explain select * from missions_private.missions m where m.participant_id = %s "
            "and m.face = 'engagement' order by m.created_at desc, m.id desc limit 50", (world["me"]["id"],)))
        assert "missions_participant_created_idx" in plan
    finally:
        db.execute("reset enable_seqscan")


# ---- over HTTP ---------------------------------------------------------------------------------------------

def test_http_engagement_routes_do_not_reach_other_faces(db, client, world):
    me, admin = world["me"], bearer(world["admin"])
    mine = bearer(world["me"])
    m = world["missions"]
    pending = client.get("/missions/admin/pending", headers=admin)
    assert pending.status_code == 200 and [x["id"] for x in pending.json()] == [m["engagement"]]
    before = snapshot(db)
    for target in ("learning", "agent"):
        mid = m[target]
        assert_problem(client.post(f"/missions/admin/{mid}/approve", headers=admin), 404)
        assert_problem(client.post(f"/missions/admin/{mid}/fail", headers=admin, json={"reason": "no"}), 404)
        assert_problem(client.post(f"/missions/{me['id']}/start/{mid}", headers=mine), 404)
        assert_problem(client.post(f"/missions/{me['id']}/submit/{mid}", headers=mine,
                                   json={"proofUrl": "https://proof.example/3"}), 404)
    assert snapshot(db) == before
    for path in (f"/missions/{me['id']}", f"/missions/{me['id']}/active"):
        listed = client.get(path, headers=mine)
        assert listed.status_code == 200 and [x["id"] for x in listed.json()] == [m["engagement"]]
    stats = client.get("/missions/admin/stats", headers=admin).json()
    assert stats["pendingReviews"] == 1


def test_http_learning_and_agent_routes_do_not_reach_other_faces(db, client, world):
    mine, admin = bearer(world["me"]), bearer(world["admin"])
    m = world["missions"]
    before = snapshot(db)
    for target in ("engagement", "agent"):
        assert_problem(client.get(f"/api/v1/mission-progress/{m[target]}", headers=mine), 404)
        assert_problem(client.post(f"/api/v1/mission-progress/{m[target]}/submit", headers=mine, json={}), 404)
    for target in ("engagement", "learning"):
        assert_problem(client.get(f"/api/internal/missions/{m[target]}", headers=admin), 404)
        assert_problem(client.patch(f"/api/internal/missions/{m[target]}", headers=admin,
                                    json={"priority": "high"}), 404)
        assert_problem(client.post(f"/api/internal/missions/{m[target]}/tasks", headers=admin,
                                   json={"title": "More"}), 404)
    assert_problem(client.post(f"/api/internal/missions/{world['held']}/tasks/{world['held_review']['step_id']}/wait",
                               headers=admin, json={"key": "k:3"}), 404)
    assert snapshot(db) == before
