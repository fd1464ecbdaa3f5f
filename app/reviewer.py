"""The AI review loop that `missions worker` runs.

A reviewer agent claims `ai_review` steps with `missions.claim_next_step` (the claim API every agent
uses), scores the submission, and reports it with `missions.complete_step`; the database records the
scores, computes the rubric-weighted result and applies the verdict.

The scorer is chosen by `MISSIONS_AI_REVIEWER`:
- `rules` (default): the built-in rules reviewer, `missions.rules_review` in SQL;
- `off`: the worker reviews nothing (an external reviewer agent, designated for `ai_review` by an admin,
  claims the steps);
- `package.module:function`: a pluggable reviewer (for example an LLM client). It receives the review
  packet (`missions.review_packet`) as a dict and returns `{"scores": [{"subtask", "score", "reasoning"}],
  "summary": "…"}`. Nothing of that kind ships or is needed for the tests.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from typing import Any

import psycopg
from psycopg.rows import DictRow, dict_row
from psycopg.types.json import Jsonb

from app import queries
from app.db.rows import the_row

log = logging.getLogger("missions.reviewer")

# The built-in reviewer agent (created and designated for ai_review by the migration, see
# sql/functions/331_learning_ai_review.sql; only designated agents claim ai_review steps).
REVIEWER_ID = "00000000-0000-4000-8000-00000000a1a1"
Scorer = Callable[[dict[str, Any]], dict[str, Any]]


def load_scorer(spec: str) -> Scorer | None:
    """None for the built-in rules reviewer; otherwise the callable named `module:function`."""
    if spec == "rules":
        return None
    module, _, name = spec.partition(":")
    if not module or not name:
        raise ValueError(f"MISSIONS_AI_REVIEWER must be 'rules', 'off' or 'module:function' (got {spec!r})")
    scorer = getattr(importlib.import_module(module), name)
    if not callable(scorer):
        raise ValueError(f"{spec} is not callable")
    return scorer


def _as_reviewer(cur: psycopg.Cursor[DictRow], agent_id: str) -> None:
    cur.execute(queries.AS_REVIEWER, {"agent_id": agent_id})


def review_one(conn: psycopg.Connection, scorer: Scorer | None = None, agent_id: str = REVIEWER_ID) -> bool:
    """Claim one ai_review step, score it and complete it; False when none is waiting."""
    cur = conn.cursor(row_factory=dict_row)
    with conn.transaction():
        _as_reviewer(cur, agent_id)
        claim = cur.execute(queries.CLAIM_AI_REVIEW, {"agent_id": agent_id}).fetchone()
    if claim is None:
        return False
    step, token = claim["step_id"], claim["lease_token"]
    lease = {"step_id": step, "agent_id": agent_id, "lease_token": token}
    try:
        with conn.transaction():
            _as_reviewer(cur, agent_id)
            if scorer is None:
                result = the_row(cur.execute(queries.RULES_REVIEW, lease).fetchone())["review"]
            else:
                packet = the_row(cur.execute(queries.REVIEW_PACKET, {"mission_id": claim["mission_id"]}).fetchone())["packet"]
                result = scorer(packet)
            cur.execute(queries.COMPLETE_REVIEW, {**lease, "result": Jsonb(result)})
    except Exception as exc:  # a broken scorer or a refused result: retry later, then fail the step
        log.exception("review failed", extra={"fields": {"step_id": str(step), "mission_id": str(claim["mission_id"])}})
        with conn.transaction():
            _as_reviewer(cur, agent_id)
            cur.execute(queries.FAIL_REVIEW, {**lease, "error": str(exc)[:2000]})
        return True
    log.info("reviewed", extra={"fields": {"step_id": str(step), "mission_id": str(claim["mission_id"])}})
    return True


def review_pending(conn: psycopg.Connection, scorer: Scorer | None = None, limit: int = 100) -> int:
    """Review up to `limit` waiting submissions; returns how many were handled."""
    done = 0
    while done < limit and review_one(conn, scorer):
        done += 1
    return done
