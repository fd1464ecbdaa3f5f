"""Shared by the reliability scenarios: the invariant check they all end with, and where their figures go
(`make chaos` renders them into docs/reliability.md with scripts/reliability_report.py)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import psycopg
from psycopg.rows import tuple_row

RESULTS = Path(os.environ.get("MISSIONS_RELIABILITY_OUT", "/tmp/missions-reliability"))


def violated_invariants(conn: psycopg.Connection) -> dict[str, list]:
    """{invariant: examples} for every invariant missions.check_invariants() finds violated (empty when sound)."""
    cur = conn.cursor(row_factory=tuple_row)  # whatever row factory the connection has
    rows = cur.execute("select invariant, violations, examples from missions.check_invariants()").fetchall()
    return {invariant: examples for invariant, violations, examples in rows if violations}


def record(name: str, figures: dict, merge: bool = False) -> None:
    """Keeps a scenario's figures as RESULTS/<name>.json; with `merge`, adds them to the figures already there
    (for scenarios that run as several tests, e.g. one per role)."""
    RESULTS.mkdir(parents=True, exist_ok=True)
    path = RESULTS / f"{name}.json"
    earlier = json.loads(path.read_text()) if merge and path.exists() else {}
    path.write_text(json.dumps({**earlier, **figures}, indent=2))
