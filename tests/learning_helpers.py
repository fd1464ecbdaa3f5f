"""Shared helpers for the learning-face tests: a small template, calls as a principal, sha256 digests."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import psycopg

from tests.conftest import act_as


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


def call(conn: psycopg.Connection, principal: dict | None, sql: str, *args: Any) -> Any:
    """Run one statement as the principal (None: as the connection's user) in its own transaction; returns
    the first column of the first row. psycopg errors propagate with their SQLSTATE."""
    with conn.transaction():
        if principal is not None:
            act_as(conn, principal)
        row = conn.execute(sql, args).fetchone()
    return None if row is None else next(iter(row.values()))


def sqlstate(conn: psycopg.Connection, principal: dict | None, sql: str, *args: Any) -> str | None:
    """The SQLSTATE the call raises (None when it succeeds)."""
    try:
        call(conn, principal, sql, *args)
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def add_evidence(conn: psycopg.Connection, who: dict | None, mission_id: str, subtask: int,
                 data: bytes = b"log line\n", content_type: str = "text/plain") -> dict:
    return call(conn, who, "select missions.add_evidence(%s, %s, %s, %s, %s, %s, %s)",
                mission_id, subtask, "export.txt", content_type, len(data), sha(data), f"{sha(data)[:2]}/{sha(data)}")


def save(conn: psycopg.Connection, who: dict | None, mission_id: str, **progress: Any) -> dict:
    return call(conn, who, "select missions.save_mission_progress(%s, %s::jsonb)", mission_id, json.dumps(progress))
