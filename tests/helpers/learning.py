"""Shared helpers for the learning-face tests: templates, progress, evidence, reviews, reviewer designations."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from typing import Any

import psycopg

from app import reviewer
from tests.helpers.calls import call


def template_spec(code: str = "SIEM-01", **overrides: Any) -> dict:
    """Four subtasks: a decision at 2 (isolate -> 3, monitor -> 4), evidence required at 1, hints at 1."""
    spec = {
        "code": code, "title": f"{code} Triage the alert", "story": "The SOC pager goes off at 03:00.",
        "objectives": ["Query the SIEM", "Decide on containment"], "tier": "beginner", "track": "defender",
        "success_criteria": ["Root cause named"], "reflection_required": True, "pass_score": 70,
        "skills": ["siem", "triage"], "momentum": 20, "skill_xp": 100,
        "subtasks": [
            {"title": "Collect logs", "instructions": "Export the last hour.", "required_evidence": 1,
             "skills": ["log_analysis"], "hints": ["Filter by host.", {"level": 2, "text": "Use the auth index."}]},
            {"title": "Choose containment", "decision": {
                "key": "containment", "prompt": "Isolate or monitor?",
                "choices": [{"key": "isolate", "label": "Isolate the host", "next": 3},
                            {"key": "monitor", "label": "Keep monitoring", "next": 4}]}},
            {"title": "Isolate the host", "skills": ["edr"]},
            {"title": "Set up monitoring", "skills": ["detection"]},
        ],
        "rubric": [{"subtask": 1, "criterion": "Complete log export", "weight": 2},
                   {"subtask": 2, "criterion": "Sound decision", "weight": 1},
                   {"subtask": 3, "criterion": "Clean isolation", "weight": 1},
                   {"subtask": 4, "criterion": "Useful monitoring", "weight": 1}],
    }
    spec.update(overrides)
    return spec


def create_template(db: psycopg.Connection, code: str = "SIEM-01", **overrides: Any) -> str:
    row = db.execute("select missions.create_learning_template(%s::jsonb) as id",
                     (json.dumps(template_spec(code, **overrides)),)).fetchone()
    return str(row["id"])


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_evidence(conn: psycopg.Connection, who: dict | None, mission_id: str, subtask: int,
                 data: bytes = b"log line\n", content_type: str = "text/plain") -> dict:
    return call(conn, who, "select missions.add_evidence(%s, %s, %s, %s, %s, %s)",
                mission_id, subtask, "export.txt", content_type, len(data), sha(data))


def save(conn: psycopg.Connection, who: dict | None, mission_id: str, **progress: Any) -> dict:
    return call(conn, who, "select missions.save_mission_progress(%s, %s::jsonb)", mission_id, json.dumps(progress))


# ---- more helpers for the rule tests (test_learning_quotas / _paths / _reviews) -----------------

def simple_spec(code: str, n: int = 2, **overrides: Any) -> dict:
    """n plain subtasks (no evidence, hints or decisions), no reflection, pass score 0: any review approves."""
    spec = {"code": code, "title": f"{code} mission", "tier": "beginner", "track": "defender", "pass_score": 0,
            "subtasks": [{"title": f"Step {i}"} for i in range(1, n + 1)]}
    spec.update(overrides)
    return spec


def create_simple(db: psycopg.Connection, code: str, n: int = 2, **overrides: Any) -> str:
    row = db.execute("select missions.create_learning_template(%s::jsonb) as id",
                     (json.dumps(simple_spec(code, n, **overrides)),)).fetchone()
    return str(row["id"])


def set_clock(conn: psycopg.Connection, ts: str) -> None:
    """Move the engine clock of this session (committed, so it holds for the session's later transactions)."""
    with conn.transaction():
        conn.execute("select set_config('missions.now', %s, false)", (ts,))


def clocked(connect: Callable[..., psycopg.Connection], n: int, ts: str | None) -> list[psycopg.Connection]:
    """n autocommit connections sharing the engine clock ts (None: real time)."""
    conns = [connect(autocommit=True) for _ in range(n)]
    for c in conns:
        if ts is not None:
            set_clock(c, ts)
    return conns


def outcome(result: Any) -> str:
    """'ok' for a result, the SQLSTATE for a database error (anything else is re-raised)."""
    if isinstance(result, psycopg.Error):
        return result.sqlstate or "?"
    if isinstance(result, BaseException):
        raise result
    return "ok"


def start(conn: psycopg.Connection, who: dict, template_id: str) -> dict:
    return call(conn, who, "select missions.start_learning_mission(%s, %s)", who["id"], template_id)


def finish_subtasks(conn: psycopg.Connection, who: dict, mission_id: str, subtasks: list[int],
                    notes: str | None = None) -> dict:
    progress: dict = {}
    for n in subtasks:
        fields: dict[str, Any] = {"subtask": n, "done": True}
        if notes is not None:
            fields["notes"] = notes
        progress = save(conn, who, mission_id, **fields)
    return progress


def submit(conn: psycopg.Connection, who: dict, mission_id: str, reflection: str | None = None) -> dict:
    return call(conn, who, "select missions.submit_learning_mission(%s, %s)", mission_id, reflection)


def progress_of(conn: psycopg.Connection, who: dict | None, mission_id: str) -> dict:
    return call(conn, who, "select missions.learning_progress(%s)", mission_id)


def statuses(progress: dict) -> list[str]:
    return [s["status"] for s in progress["subtasks"]]


def learning_row(db: psycopg.Connection, mission_id: str) -> dict:
    return db.execute("""select m.status, m.expires_at, m.submitted_at, m.completed_at, lm.*
                         from missions_private.missions m
                         join missions_private.learning_missions lm on lm.mission_id = m.id
                         where m.id = %s""", (mission_id,)).fetchone()


def steps_of(db: psycopg.Connection, mission_id: str, kind: str) -> list[dict]:
    return db.execute("select * from missions_private.steps where mission_id = %s and kind = %s order by position",
                      (mission_id, kind)).fetchall()


def completed_mission(conn: psycopg.Connection, who: dict, template_id: str, subtasks: list[int]) -> str:
    """Start, finish and submit a mission and let the rules reviewer approve it (low pass score); a PREMIUM
    learner accepts the AI verdict."""
    from app import reviewer

    mid = start(conn, who, template_id)["id"]
    finish_subtasks(conn, who, mid, subtasks)
    submit(conn, who, mid)
    assert reviewer.review_one(conn)
    if progress_of(conn, who, mid)["review_stage"] == "ai_reviewed":
        call(conn, who, "select missions.accept_ai_review(%s)", mid)
    assert progress_of(conn, who, mid)["status"] == "completed"
    return mid


def designate(conn: psycopg.Connection, kind: str, *reviewers: dict) -> None:
    """An owner session designates the principals as reviewers of a review kind (ai_review: agents,
    mentor_review: mentors and admins), committed."""
    with conn.transaction():
        for who in reviewers:
            conn.execute("select missions.designate_reviewer(%s, %s)", (kind, who["id"]))


# ---- reviews (test_learning_reviews, test_idempotency) --------------------------------------------

T0 = "2026-06-01 10:00:00+00"
CLAIM = "select row_to_json(c) from missions.claim_mentor_review(%s, %s) c"


def premium_submission(db, learner, code="MENTOR-1", **spec) -> str:
    """A PREMIUM learner's mission on the 4-subtask SIEM template (isolate path), AI-reviewed, mentor requested."""
    tid = create_template(db, code, **spec)
    mid = start(db, learner, tid)["id"]
    add_evidence(db, learner, mid, 1)
    save(db, learner, mid, subtask=1, done=True)
    call(db, learner, "select missions.choose_decision(%s, 'containment', 'isolate')", mid)
    finish_subtasks(db, learner, mid, [2, 3])
    submit(db, learner, mid, "what I learned")
    assert reviewer.review_one(db)
    call(db, learner, "select missions.request_mentor_review(%s)", mid)
    return mid


def review(scores: dict[int, float], decision: str = "approve", feedback: str | None = "Well done.", **more) -> str:
    body = {"scores": [{"subtask": n, "score": s} for n, s in scores.items()], "decision": decision, **more}
    if feedback is not None:
        body["feedback"] = feedback
    return json.dumps(body)
