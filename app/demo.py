"""`missions demo`: loads the demo data of sql/demo/ (idempotent) and returns the demo API keys.

The demo keys are public (they are printed and in the README). They are written once in
sql/demo/010_principals.sql; `demo_api_keys()` reads them from there, so `missions serve` can recognise an
active one on a real database by its hash, whatever its label.
"""

from __future__ import annotations

import hashlib
import re
from typing import NamedTuple

import psycopg

from app import queries
from app.config import SQL_DIR
from app.db.migrate import apply_sql_files, sql_files
from app.db.rows import the_row

DEMO_PRINCIPALS_SQL = SQL_DIR / "demo" / "010_principals.sql"
_DEMO_KEY = re.compile(r"'(mk_demo[a-z]+_insecure-demo-key-[a-z]+)'")


class DemoKey(NamedTuple):
    role: str
    name: str
    key: str
    revoked: bool  # revoked by someone since; loading the demo again does not bring it back


def demo_api_keys() -> list[str]:
    """The public demo API keys, as written in sql/demo/010_principals.sql."""
    return _DEMO_KEY.findall(DEMO_PRINCIPALS_SQL.read_text())


def load_demo(url: str) -> list[DemoKey]:
    """Apply sql/demo/*.sql in one transaction; returns the demo principals' keys (revoked ones flagged)."""
    with psycopg.connect(url) as conn:
        apply_sql_files(conn, sql_files("demo"))
        rows = conn.execute(queries.DEMO_KEYS).fetchall()
        conn.commit()
    return [DemoKey(*row) for row in rows]


def active_demo_keys(url: str) -> list[str]:
    """'<display name>: key <id> (mk_<prefix>_…)' for every demo key that still authenticates in the database at
    `url` (an owner login); none when the engine is not installed there."""
    hashes = [hashlib.sha256(key.encode()).digest() for key in demo_api_keys()]
    with psycopg.connect(url, connect_timeout=10) as conn:
        if not the_row(conn.execute(queries.ENGINE_INSTALLED).fetchone())[0]:
            return []
        conn.execute(queries.BECOME_OWNER)
        rows = conn.execute(queries.ACTIVE_KEYS_BY_HASH, {"hashes": hashes}).fetchall()
    return [f"{name}: key {key_id} (mk_{prefix}_…)" for name, key_id, prefix in rows]
