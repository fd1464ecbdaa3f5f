"""`missions demo`: loads the demo data of sql/demo/ (idempotent) and returns the demo API keys."""

from __future__ import annotations

import psycopg

from app.db.migrate import apply_sql_files, sql_files


def load_demo(url: str) -> list[tuple[str, str, str]]:
    """Apply sql/demo/*.sql in one transaction; returns (role, display name, API key) rows."""
    with psycopg.connect(url) as conn:
        apply_sql_files(conn, sql_files("demo"))
        rows = conn.execute("select role, display_name, api_key from demo_keys order by role").fetchall()
        conn.commit()
    return rows
