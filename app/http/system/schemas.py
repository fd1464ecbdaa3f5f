"""Bodies of the system area: health (camelCase on the wire)."""

from __future__ import annotations

from app.http.schemas import Out


class Health(Out):
    status: str
    database: str
    pg_cron: str
    pgmq: str

