"""Shared helpers for the engagement-face tests: clock, templates, missions, money, errors, threads."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

import psycopg
import pytest

CURRENCIES = ("MOMENTUM", "SKILL_XP", "ARENA_POINTS", "INCOME_PROOF")


# ---- clock -------------------------------------------------------------------------------------

def set_clock(conn: psycopg.Connection, ts: str | datetime) -> None:
    """Set the engine clock (missions.now()) for this session; the session user must be a timekeeper."""
    if isinstance(ts, datetime):
        if ts.tzinfo is None:
            raise ValueError("use an aware datetime for the engine clock")
        ts = ts.isoformat()
    conn.execute("select set_config('missions.now', %s, false)", (str(ts),))


def engine_now(conn: psycopg.Connection) -> datetime:
    return conn.execute("select missions.now() as t").fetchone()["t"]


def hours(start: datetime, end: datetime, step: timedelta = timedelta(hours=1)):
    """The instants start, start+step, ... strictly before end."""
    t = start
    while t < end:
        yield t
        t += step


# ---- errors ------------------------------------------------------------------------------------

def fails(conn: psycopg.Connection, sql: str, params: Any = None) -> psycopg.Error:
    """Run a statement that must fail, in its own (sub)transaction so the caller can go on; returns the error."""
    with pytest.raises(psycopg.Error) as info:
        with conn.transaction():
            conn.execute(sql, params)
    return info.value


# ---- templates and missions --------------------------------------------------------------------

def make_template(db: psycopg.Connection, **spec: Any) -> str:
    """Create a challenge template (TECHNICAL / EASY unless told); returns its id as text."""
    full = {"title": f"Challenge {uuid.uuid4().hex[:6]}", "skill_domain": "TECHNICAL", "difficulty": "EASY"}
    full.update(spec)
    return str(db.execute("select missions.create_template(%s::jsonb) as id", (json.dumps(full),)).fetchone()["id"])


def assign(db: psycopg.Connection, participant_id: str, template_id: str, days: int = 7) -> dict:
    return db.execute("select * from missions.assign_mission(%s, %s, %s)",
                      (participant_id, template_id, days)).fetchone()


def start(db: psycopg.Connection, mission_id) -> dict:
    return db.execute("select * from missions.start_mission(%s)", (mission_id,)).fetchone()


def submit(db: psycopg.Connection, mission_id, proof_url: str | None = None, proof_text: str | None = None) -> dict:
    return db.execute("select * from missions.submit_mission(%s, %s, %s)",
                      (mission_id, proof_url, proof_text)).fetchone()


def approve(db: psycopg.Connection, mission_id, reviewer_id) -> dict:
    return db.execute("select * from missions.approve_mission(%s, %s)", (mission_id, reviewer_id)).fetchone()


def fail_mission(db: psycopg.Connection, mission_id, reviewer_id, reason: str | None = None) -> dict:
    return db.execute("select * from missions.fail_mission(%s, %s, %s)", (mission_id, reviewer_id, reason)).fetchone()


def mission(db: psycopg.Connection, mission_id) -> dict:
    return db.execute("select * from missions_private.missions where id = %s", (mission_id,)).fetchone()


def submitted_mission(db: psycopg.Connection, participant_id: str, template_id: str) -> dict:
    """Assign, start and submit (with proof) a MEDIUM/HARD mission; returns the submitted mission."""
    m = assign(db, participant_id, template_id)
    start(db, m["id"])
    return submit(db, m["id"], "https://example.com/proof", "done")


def complete_easy(db: psycopg.Connection, participant_id: str, template_id: str) -> dict:
    m = assign(db, participant_id, template_id)
    start(db, m["id"])
    return submit(db, m["id"])


# ---- money, progress and alerts ----------------------------------------------------------------

def balances(db: psycopg.Connection, participant_id: str) -> dict[str, int]:
    return {r["currency"]: r["amount"] for r in
            db.execute("select * from missions.balances(%s)", (participant_id,)).fetchall()}


def ledger(db: psycopg.Connection, participant_id: str, reason: str | None = None) -> list[dict]:
    """Every ledger entry of a participant, oldest first (superuser read, no paging)."""
    return db.execute("select * from missions_private.ledger_entries where participant_id = %s "
                      "and (%s::text is null or reason = %s) order by id",
                      (participant_id, reason, reason)).fetchall()


def credit(db: psycopg.Connection, participant_id: str, amount: int, currency: str = "MOMENTUM",
           reason: str = "test", key: str | None = None) -> dict:
    return db.execute("select * from missions.credit(%s, %s, %s, %s, %s)",
                      (participant_id, currency, amount, reason, key)).fetchone()


def debit(db: psycopg.Connection, participant_id: str, amount: int, currency: str = "MOMENTUM",
          reason: str = "test", key: str | None = None) -> dict:
    return db.execute("select * from missions.debit(%s, %s, %s, %s, %s)",
                      (participant_id, currency, amount, reason, key)).fetchone()


def progress(db: psycopg.Connection, participant_id: str) -> dict:
    return db.execute("select * from missions_private.participant_progress where participant_id = %s",
                      (participant_id,)).fetchone()


def alerts(db: psycopg.Connection, participant_id: str, type_: str | None = None,
           status: str | None = None) -> list[dict]:
    return db.execute("select * from missions_private.alerts where participant_id = %s "
                      "and (%s::text is null or type = %s) and (%s::text is null or status = %s) "
                      "order by created_at, id",
                      (participant_id, type_, type_, status, status)).fetchall()


def check_in(db: psycopg.Connection, participant_id: str) -> dict:
    return db.execute("select * from missions.check_in(%s)", (participant_id,)).fetchone()


def job(db: psycopg.Connection, name: str) -> int:
    return db.execute(f"select missions.{name}() as n").fetchone()["n"]


# ---- threads -----------------------------------------------------------------------------------

def run_together(workers: Sequence[Callable[[threading.Barrier], Any]], timeout: float = 60) -> list[tuple[Any, BaseException | None]]:
    """Run each worker in its own thread; every worker gets the same Barrier to wait on right before
    the racing call. Returns (result, exception) per worker, in order."""
    barrier = threading.Barrier(len(workers), timeout=timeout)
    outcomes: list[tuple[Any, BaseException | None]] = [(None, None)] * len(workers)

    def run(i: int) -> None:
        try:
            outcomes[i] = (workers[i](barrier), None)
        except BaseException as exc:  # noqa: BLE001 - reported to the test
            outcomes[i] = (None, exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(len(workers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    assert not any(t.is_alive() for t in threads), "a worker thread did not finish"
    return outcomes


# ---- raw missions (state machine tests) ----------------------------------------------------------

def new_mission(db, participant_id=None, status="assigned", steps=0):
    """A mission row written directly (no template), with `steps` plain steps; returns its id."""
    mid = db.execute(
        "insert into missions_private.missions (face, participant_id, title, status) "
        "values ('engagement', %s, 'Write a post', %s) returning id", (participant_id, status)).fetchone()["id"]
    for position in range(1, steps + 1):
        db.execute("insert into missions_private.steps (mission_id, position, title) values (%s, %s, %s)",
                   (mid, position, f"step {position}"))
    return mid
