"""Migrations: the yoyo chain builds exactly the declared schema of sql/schema/, migrate is
idempotent, and pg_cron jobs are registered by name, idempotently."""

from __future__ import annotations

import re
import subprocess

import psycopg
import pytest
from psycopg import sql

from app.cluster import BINDIR, CRON_DATABASE
from app.db.migrate import (
    apply_functions,
    apply_sql_files,
    become_owner,
    bootstrap,
    migrate,
    sql_files,
    sync_cron,
)

ENGINE_SCHEMAS = ("missions", "missions_private")


@pytest.fixture
def scratch_db(cluster):
    """Create empty databases on the test cluster; dropped afterwards."""
    made: list[str] = []

    def make(name: str) -> str:
        with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as conn:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))
            conn.execute(sql.SQL("create database {}").format(sql.Identifier(name)))
        made.append(name)
        return cluster.url(name)

    yield make
    with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as conn:
        for name in made:
            conn.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(name)))


def schema_dump(cluster, dbname: str) -> str:
    """pg_dump of the engine's schemas, without comments that name the database."""
    out = subprocess.run(
        [str(BINDIR / "pg_dump"), "--schema-only", "--no-owner", *[f"--schema={s}" for s in ENGINE_SCHEMAS],
         "-h", str(cluster.sockdir), "-p", str(cluster.port), "-U", "postgres", dbname],
        check=True, capture_output=True, text=True).stdout
    return "\n".join(line for line in out.splitlines()
                     if not line.startswith("--") and not re.match(r"^\\(un)?restrict ", line))


def build_from_declared_schema(url: str) -> None:
    """What the schema files declare: sql/schema/* then the same functions migrate applies."""
    with psycopg.connect(url) as conn:
        bootstrap(conn)
        become_owner(conn)
        apply_sql_files(conn, sql_files("schema"))
        apply_functions(conn)
        conn.commit()


def test_migrations_build_exactly_the_declared_schema(cluster, scratch_db):
    migrated, declared = scratch_db("drift_migrated"), scratch_db("drift_declared")
    migrate(migrated, schedule_cron=False)
    build_from_declared_schema(declared)
    a, b = schema_dump(cluster, "drift_migrated"), schema_dump(cluster, "drift_declared")
    assert "CREATE TABLE missions_private.principals" in a
    assert a == b


def test_drift_is_detected(cluster, scratch_db):
    """The comparison above can fail: a column added outside the migrations shows up."""
    migrated, declared = scratch_db("drift_migrated"), scratch_db("drift_declared")
    migrate(migrated, schedule_cron=False)
    build_from_declared_schema(declared)
    with psycopg.connect(declared, autocommit=True) as conn:
        conn.execute("alter table missions_private.principals add column nickname text")
    assert schema_dump(cluster, "drift_migrated") != schema_dump(cluster, "drift_declared")


def test_migrate_twice_changes_nothing(cluster, scratch_db):
    url = scratch_db("twice")
    migrate(url, schedule_cron=False)
    first = schema_dump(cluster, "twice")
    messages: list[str] = []
    migrate(url, schedule_cron=False, progress=messages.append)
    assert "migrations: up to date" in messages
    assert schema_dump(cluster, "twice") == first


def test_migrate_removes_functions_the_checkout_no_longer_has(db, dsn):
    db.execute("create function missions.stale() returns int language sql set search_path = '' as 'select 1'")
    with psycopg.connect(dsn) as conn:
        apply_functions(conn)
        conn.commit()
    assert db.execute("select to_regprocedure('missions.stale()') as f").fetchone()["f"] is None
    assert db.execute("select to_regprocedure('missions.now()') as f").fetchone()["f"] is not None


def cron_jobs(cluster, dbname: str) -> list[tuple]:
    with psycopg.connect(cluster.url(CRON_DATABASE)) as conn:
        return conn.execute("select jobid, jobname, schedule, command, database from cron.job "
                            "where starts_with(jobname, %s) order by jobname", (dbname + ".",)).fetchall()


def test_cron_jobs_are_registered_by_name_idempotently(cluster, db, dsn):
    wanted = db.execute("select job, schedule from missions.cron_jobs() order by job").fetchall()
    assert wanted, "the engine schedules jobs"
    try:
        with psycopg.connect(dsn) as conn:
            assert sync_cron(dsn, conn) == len(wanted)
        first = cron_jobs(cluster, db.info.dbname)
        assert [(j[1], j[2]) for j in first] == [(f"{db.info.dbname}.{w['job']}", w["schedule"]) for w in wanted]
        with psycopg.connect(dsn) as conn:
            sync_cron(dsn, conn)
        assert cron_jobs(cluster, db.info.dbname) == first  # same job ids: updated in place, not re-created
    finally:
        with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as conn:
            conn.execute("select missions_cron.unschedule_all(%s)", (db.info.dbname,))


def test_cron_sync_unschedules_jobs_no_longer_wanted(cluster, db, dsn):
    name = db.info.dbname
    try:
        with psycopg.connect(dsn) as conn:
            sync_cron(dsn, conn)
        with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as conn:
            conn.execute("select cron.schedule(%s, '0 0 * * *', 'select 1')", (f"{name}.retired_job",))
        with psycopg.connect(dsn) as conn:
            sync_cron(dsn, conn)
        assert f"{name}.retired_job" not in [j[1] for j in cron_jobs(cluster, name)]
    finally:
        with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as conn:
            conn.execute("select missions_cron.unschedule_all(%s)", (name,))


def test_the_cron_history_trim_job_deletes_only_old_rows(cluster):
    with psycopg.connect(cluster.url(CRON_DATABASE), autocommit=True) as conn:
        apply_sql_files(conn, sql_files("cron", "cron_database.sql"))
        conn.execute("delete from cron.job_run_details where jobid = 999999")
        conn.execute("insert into cron.job_run_details (jobid, runid, command, status, start_time, end_time) values "
                     "(999999, 999001, 'old', 'succeeded', now() - interval '30 days', now() - interval '30 days'), "
                     "(999999, 999002, 'new', 'succeeded', now() - interval '1 hour', now() - interval '1 hour')")
        assert conn.execute("select missions_cron.trim_job_run_details()").fetchone()[0] >= 1
        assert conn.execute("select missions_cron.trim_job_run_details()").fetchone()[0] == 0  # idempotent
        left = conn.execute("select command from cron.job_run_details where jobid = 999999").fetchall()
        conn.execute("delete from cron.job_run_details where jobid = 999999")
    assert left == [("new",)]


def test_migrate_takes_temporary_from_public_and_runs_as_the_owner(cluster, scratch_db):
    url = scratch_db("owned")
    migrate(url, schedule_cron=False)
    with psycopg.connect(url) as conn:
        public_temp = conn.execute("select has_database_privilege('public', current_database(), 'TEMPORARY')").fetchone()[0]
        schema_owner = conn.execute("select nspowner::regrole::text from pg_namespace where nspname = 'missions'").fetchone()[0]
        yoyo_owner = conn.execute("select relowner::regrole::text from pg_class where relname = '_yoyo_migration'").fetchone()[0]
    assert public_temp is False
    assert (schema_owner, yoyo_owner) == ("missions_owner", "missions_owner")


def test_migrate_adopts_a_database_built_by_a_superuser(cluster, scratch_db):
    """An install made before missions_owner existed (every object owned by the superuser) is handed over."""
    url = scratch_db("adopted")
    migrate(url, schedule_cron=False)
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("reassign owned by missions_owner to postgres")
        assert conn.execute("select nspowner::regrole::text from pg_namespace where nspname = 'missions'").fetchone()[0] == "postgres"
    migrate(url, schedule_cron=False)
    with psycopg.connect(url) as conn:
        left = conn.execute("""select count(*) from pg_proc p join pg_namespace n on n.oid = p.pronamespace
                               where n.nspname like 'missions%%' and p.proowner <> 'missions_owner'::regrole""").fetchone()[0]
    assert left == 0


def test_a_grant_that_grants_nothing_fails_the_migration(db, dsn, tmp_path):
    """PostgreSQL only warns when a role without the grant option grants; migrate treats that as an error."""
    bad = tmp_path / "grant.sql"
    bad.write_text("GRANT SELECT ON pg_catalog.pg_class TO missions_app;")
    with psycopg.connect(dsn) as conn:
        become_owner(conn)
        with pytest.raises(RuntimeError, match="no privileges were granted"):
            apply_sql_files(conn, [bad])
