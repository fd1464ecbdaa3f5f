"""Calls as a principal: one statement in its own transaction, its value, its rows, or the SQLSTATE it raises.

`sqlstate` is the one way tests ask "what does this call answer for this principal": None when it succeeds, else
the SQLSTATE of the error."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.helpers.principals import act_as


def call(conn: psycopg.Connection, principal: dict | None, sql: str, *args: Any) -> Any:
    """Run one statement as the principal (None: as the connection's user) in its own transaction; returns
    the first column of the first row. psycopg errors propagate with their SQLSTATE."""
    with conn.transaction():
        if principal is not None:
            act_as(conn, principal)
        row = conn.execute(sql, args).fetchone()
    return None if row is None else next(iter(row.values()))


def sqlstate(conn: psycopg.Connection, principal: dict | None, sql: str, *args: Any,
             rollback: bool = False) -> str | None:
    """The SQLSTATE the call raises (None when it succeeds); rollback: undo it even when it succeeds."""
    try:
        with conn.transaction(force_rollback=rollback):
            if principal is not None:
                act_as(conn, principal)
            conn.execute(sql, args).fetchall()
    except psycopg.Error as exc:
        return exc.sqlstate
    return None


def rows(conn: psycopg.Connection, who: dict | None, sql: str, *args: Any) -> list[dict]:
    """All rows of one statement run as the principal (None: as the connection's user)."""
    with conn.transaction():
        if who is not None:
            act_as(conn, who)
        return conn.execute(sql, args).fetchall()


def at(db: psycopg.Connection, ts: str) -> None:
    """Set the engine clock of this (autocommit) session."""
    db.execute("select set_config('missions.now', %s, false)", (ts,))
