"""Principals and how tests act as them: enrol one, become one for a transaction (as the HTTP app does), its
bearer header; racing calls in threads; a free TCP port."""

from __future__ import annotations

import json
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

import psycopg


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make_principal(db: psycopg.Connection, role: str = "participant", name: str | None = None,
                   **attrs: object) -> dict:
    """Create a principal and an API key; returns {id, role, key}."""
    row = db.execute("select missions.enroll_principal(%s, %s, %s::jsonb) as e",
                     (role, name or f"{role} {uuid.uuid4().hex[:6]}", json.dumps(attrs))).fetchone()["e"]
    return {"id": row["principal"]["id"], "role": role, "key": row["api_key"]}


def act_as(conn: psycopg.Connection, principal: dict) -> None:
    """Become a principal for the current transaction, exactly as the HTTP app does."""
    conn.execute("select set_config('role', %s, true), set_config('missions.principal_id', %s, true)",
                 (f"missions_{principal['role']}", principal["id"]))


def bearer(principal: dict) -> dict[str, str]:
    return {"Authorization": f"Bearer {principal['key']}"}


def race(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run the calls in parallel threads released together by a barrier; results (or exceptions) in order."""
    barrier = threading.Barrier(len(calls), timeout=60)
    results: list[Any] = [None] * len(calls)

    def run(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except Exception as exc:  # noqa: BLE001 - handed to the test
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    return results
