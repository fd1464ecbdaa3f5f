"""`missions db migrate`: roles and pgmq, yoyo migrations (tables), then functions, policies, grants and cron jobs.

The login in the URL (a superuser, or a CREATEROLE member of missions_owner) applies only
`sql/bootstrap/` (roles, database rights, pgmq). Everything else runs as `missions_owner`, a
NOLOGIN, non-superuser role, so it owns every engine object and no SECURITY DEFINER function
ever runs as a superuser. Tables change only through `migrations/` (yoyo, recorded once each).
Everything in `sql/functions/` and `sql/cron/` is re-applied on every migrate, in one
transaction, so the database always carries exactly the functions, policies, grants and
schedules of the checkout. It runs while the engine serves: functions are replaced in place, triggers
and policies re-created only when their definition changed, only what the checkout removed is dropped,
and the transaction waits at most LOCK_TIMEOUT_MS for any lock, then starts again (docs/operations.md).
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path

import psycopg
from pgmq.install import install_pgmq_from_sql
from yoyo import get_backend, read_migrations

from app import queries
from app.config import MIGRATIONS_DIR, OWNER_ROLE, SQL_DIR
from app.db.rows import the_row
from app.db.urls import as_role, with_dbname, yoyo_url

Progress = Callable[[str], None]
LOCK_TIMEOUT_MS = 1000  # how long one statement of the functions phase may wait for a lock
LOCK_ATTEMPTS = 10


def _quiet(_: str) -> None:
    pass


def sql_files(folder: str, pattern: str = "*.sql") -> list[Path]:
    """The SQL files of a folder in load order (file names are numbered)."""
    return sorted((SQL_DIR / folder).glob(pattern))


def ensure_pgmq(conn: psycopg.Connection) -> bool:
    """Install pgmq's SQL (from the pgmq package) unless the schema exists; True when installed now."""
    if the_row(conn.execute(queries.PGMQ_INSTALLED).fetchone())[0]:
        return False
    install_pgmq_from_sql(conn=conn)
    conn.commit()
    return True


def bootstrap(conn: psycopg.Connection) -> None:
    """As the migrating login: roles, the owner's rights in this database, pgmq, ownership of older installs."""
    ensure_pgmq(conn)
    apply_sql_files(conn, sql_files("bootstrap"))
    conn.commit()


def become_owner(conn: psycopg.Connection) -> None:
    """Act as the engine's owner for the rest of this session (objects created now belong to it)."""
    conn.execute(queries.BECOME_OWNER)


def apply_migrations(url: str) -> list[str]:
    """Apply pending yoyo migrations as the owner; returns their ids."""
    backend = get_backend(yoyo_url(as_role(url, OWNER_ROLE)))
    migrations = read_migrations(str(MIGRATIONS_DIR))
    with backend.lock():
        pending = backend.to_apply(migrations)
        backend.apply_migrations(pending)
    return [m.id for m in pending]


def apply_sql_files(conn: psycopg.Connection, files: list[Path]) -> None:
    """Execute whole SQL files without parameters (so '%' in RAISE formats is safe), in the open transaction.
    A WARNING fails the file: PostgreSQL only warns when a GRANT by a role without the grant option grants nothing."""
    warnings: list[str] = []

    def collect(diag: psycopg.errors.Diagnostic) -> None:
        if diag.severity_nonlocalized == "WARNING":
            warnings.append(diag.message_primary or "")

    conn.add_notice_handler(collect)
    try:
        for path in files:
            try:
                conn.execute(path.read_text())
            except psycopg.Error as exc:
                raise RuntimeError(f"{path.relative_to(SQL_DIR.parent)}: {exc}") from exc
            if warnings:
                raise RuntimeError(f"{path.name}: {'; '.join(warnings)}")
    finally:
        conn.remove_notice_handler(collect)


def apply_functions(conn: psycopg.Connection) -> None:
    """Re-apply functions, triggers, state machines, policies, grants and the cron job list, in one transaction.
    Files from 899 on (the removal of what the checkout no longer declares, policies, grants) run after the cron
    job list, whose function the removal must see as declared."""
    functions = sql_files("functions")
    late = [f for f in functions if f.name >= "899"]
    apply_sql_files(conn, [f for f in functions if f not in late] + sql_files("cron", "[0-9]*.sql") + late)


def is_lock_conflict(exc: BaseException) -> bool:
    """A lock we would have waited for too long (lock_timeout) or a deadlock: worth a retry."""
    cause = exc.__cause__ if isinstance(exc, RuntimeError) else exc
    return isinstance(cause, psycopg.errors.LockNotAvailable | psycopg.errors.DeadlockDetected)


def apply_functions_online(url: str, progress: Progress = _quiet) -> int:
    """Apply the functions phase while the engine serves: under a short lock_timeout, so the migration never
    queues in front of running transactions (a waiting ACCESS EXCLUSIVE request blocks every later reader),
    retried with backoff on a lock conflict; one migrate at a time (an advisory lock). Returns the attempts."""
    for attempt in range(1, LOCK_ATTEMPTS + 1):
        with psycopg.connect(url) as conn:
            become_owner(conn)
            conn.execute(queries.MIGRATE_LOCK)
            conn.execute(queries.SET_LOCK_TIMEOUT, {"ms": str(LOCK_TIMEOUT_MS)})
            try:
                apply_functions(conn)
                conn.commit()
                return attempt
            except (RuntimeError, psycopg.Error) as exc:
                if not is_lock_conflict(exc) or attempt == LOCK_ATTEMPTS:
                    raise
                conn.rollback()
                progress(f"lock conflict, retrying ({attempt}/{LOCK_ATTEMPTS}): {exc}")
        time.sleep(min(5.0, 0.1 * 2 ** attempt))
    raise AssertionError("unreachable")


def sync_cron(url: str, conn: psycopg.Connection) -> int:
    """Make pg_cron's jobs for this database match missions.cron_jobs(); returns the number of jobs."""
    dbname = conn.info.dbname
    cron_db = the_row(conn.execute(queries.CRON_DATABASE).fetchone())[0]
    if cron_db is None:
        raise RuntimeError("pg_cron is not loaded: add pg_cron to shared_preload_libraries and restart")
    jobs = the_row(conn.execute(queries.CRON_JOBS).fetchone())[0]
    with psycopg.connect(with_dbname(url, cron_db), autocommit=True) as cron:
        cron.execute(queries.CREATE_PG_CRON)
        with cron.transaction():
            apply_sql_files(cron, sql_files("cron", "cron_database.sql"))
            cron.execute(queries.SYNC_CRON_JOBS, {"database": dbname, "jobs": json.dumps(jobs)})
    return len(jobs)


def migrate(url: str, *, schedule_cron: bool = True, progress: Progress = _quiet) -> None:
    """Bring the database at `url` (a superuser, or a CREATEROLE member of missions_owner) up to date."""
    with psycopg.connect(url) as conn:
        bootstrap(conn)
        progress(f"roles and pgmq ready; engine objects belong to {OWNER_ROLE}")
    applied = apply_migrations(url)
    progress(f"applied migrations: {', '.join(applied)}" if applied else "migrations: up to date")
    attempts = apply_functions_online(url, progress)
    progress("applied functions, policies and grants" + (f" ({attempts} attempts)" if attempts > 1 else ""))
    if schedule_cron:  # pg_cron's settings and jobs belong to the migrating login
        with psycopg.connect(url) as conn:
            progress(f"scheduled {sync_cron(url, conn)} pg_cron job(s)")
