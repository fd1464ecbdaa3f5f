"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = PROJECT_ROOT / "sql"
MIGRATIONS_DIR = PROJECT_ROOT / "migrations"

EMBEDDED_DBNAME = "missions"
APP_ROLE = "missions_app"
OWNER_ROLE = "missions_owner"  # NOLOGIN, non-superuser: owns every engine object


RATE_UNITS = ("second", "minute", "hour", "day")


def parse_rate_limit(text: str) -> tuple[str, int] | None:
    """'600/minute' -> ("minute", 600); 'off' (or '0') -> None."""
    text = text.strip().lower()
    if text in {"off", "0", "none", ""}:
        return None
    count, _, unit = text.partition("/")
    unit = unit.strip().removesuffix("s")
    if not count.strip().isdigit() or int(count) < 1 or unit not in RATE_UNITS:
        raise ValueError(f"MISSIONS_RATE_LIMIT must look like '600/minute' (units: {', '.join(RATE_UNITS)}) "
                         f"or 'off', not {text!r}")
    return unit, int(count)


@dataclass(frozen=True)
class Settings:
    database_url: str | None  # owner URL of an existing server (MISSIONS_DATABASE_URL)
    app_database_url: str | None  # URL the HTTP app and worker use (MISSIONS_APP_DATABASE_URL)
    home: Path  # embedded cluster state: data directory, sockets, logs
    pg_port: int
    pg_os_user: str  # OS user that runs the embedded server when invoked as root
    http_host: str
    http_port: int
    pool_max: int
    log_level: str
    ai_reviewer: str  # rules | off | module:function (MISSIONS_AI_REVIEWER)
    evidence_dir: Path  # root of the local evidence storage (MISSIONS_EVIDENCE_DIR)
    statement_timeout_ms: int = 5000  # every HTTP request's statements (MISSIONS_STATEMENT_TIMEOUT_MS)
    pool_timeout: float = 0.5  # seconds a request waits for a pooled connection, then 503 (MISSIONS_POOL_TIMEOUT)
    rate_limit: tuple[str, int] | None = ("minute", 600)  # per key / address (MISSIONS_RATE_LIMIT; None: off)
    metrics_token: str | None = None  # bearer token /metrics requires when set (MISSIONS_METRICS_TOKEN)
    allow_demo_keys: bool = False  # serve a non-embedded database with active demo keys (MISSIONS_ALLOW_DEMO_KEYS)
    wal_archive: Path | None = None  # the embedded cluster archives its WAL here, for point-in-time recovery

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        home = Path(env.get("MISSIONS_HOME", PROJECT_ROOT / ".missions")).resolve()
        return cls(
            database_url=env.get("MISSIONS_DATABASE_URL") or None,
            app_database_url=env.get("MISSIONS_APP_DATABASE_URL") or None,
            home=home,
            pg_port=int(env.get("MISSIONS_PG_PORT", "5439")),
            pg_os_user=env.get("MISSIONS_PG_OS_USER", "postgres"),
            http_host=env.get("MISSIONS_HOST", "127.0.0.1"),
            http_port=int(env.get("MISSIONS_PORT", "8000")),
            pool_max=int(env.get("MISSIONS_POOL_MAX", "10")),
            log_level=env.get("MISSIONS_LOG_LEVEL", "INFO"),
            ai_reviewer=env.get("MISSIONS_AI_REVIEWER", "rules"),
            evidence_dir=Path(env.get("MISSIONS_EVIDENCE_DIR", home / "evidence")).resolve(),
            statement_timeout_ms=int(env.get("MISSIONS_STATEMENT_TIMEOUT_MS", "5000")),
            pool_timeout=float(env.get("MISSIONS_POOL_TIMEOUT", "0.5")),
            rate_limit=parse_rate_limit(env.get("MISSIONS_RATE_LIMIT", "600/minute")),
            metrics_token=env.get("MISSIONS_METRICS_TOKEN") or None,
            allow_demo_keys=env.get("MISSIONS_ALLOW_DEMO_KEYS", "").lower() in {"1", "true", "yes", "on"},
            wal_archive=Path(env["MISSIONS_WAL_ARCHIVE"]).resolve() if env.get("MISSIONS_WAL_ARCHIVE") else None,
        )

    @property
    def embedded(self) -> bool:
        return self.database_url is None
