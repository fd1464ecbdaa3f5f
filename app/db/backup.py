"""`missions db backup` and `missions db restore`: a logical backup of everything the engine needs to come back.

A backup is a directory (mode 0700):

- `engine.dump` — `pg_dump --format=custom` of the engine database: tables, functions, pgmq's queues and
  archives, yoyo's record of applied migrations;
- `roles.sql` — `pg_dumpall --roles-only`: the engine's roles and any login roles of principals (with their
  password hashes: keep the directory private);
- `evidence.tar` — the evidence store (content-addressed files);
- `manifest.json` — what it is: database, time, server version, counts, sha256 of each file.

A restore goes into a database that does not exist yet (on any server, the embedded one included): roles,
then the dump, then `migrate` (the functions of *this* checkout, the grants, and pg_cron's jobs, which live
in pg_cron's own database and are re-registered from `missions.cron_jobs()`), then the evidence files.
It ends with `missions.check_invariants()`.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from psycopg import sql
from psycopg.rows import dict_row

from app import queries
from app.cluster import BINDIR, CRON_DATABASE, Cluster, ClusterError
from app.db.migrate import Progress, _quiet, migrate
from app.db.rows import the_row
from app.db.urls import with_dbname

DUMP, ROLES, EVIDENCE, MANIFEST = "engine.dump", "roles.sql", "evidence.tar", "manifest.json"


class BackupError(RuntimeError):
    """A backup or restore could not be made (the message says what to do)."""


@dataclass(frozen=True)
class Restored:
    database: str
    invariant_violations: int
    cron_jobs: int
    evidence_files: int


def _tool(name: str, *args: str) -> None:
    proc = subprocess.run([str(BINDIR / name), *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise BackupError(f"{name} failed: {proc.stderr.strip() or proc.stdout.strip()}")


def _dbname(url: str) -> str:
    return str(psycopg.conninfo.conninfo_to_dict(url)["dbname"])


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def backup(url: str, dest: Path, evidence_dir: Path, progress: Progress = _quiet) -> Path:
    """Back up the engine database at `url` (an owner or superuser login) and the evidence store into `dest`
    (created; it must not exist). Returns `dest`."""
    dest.mkdir(parents=True, mode=0o700)
    _tool("pg_dump", "--format=custom", "--file", str(dest / DUMP), "--dbname", url)
    progress(f"dumped the database to {dest / DUMP}")
    _tool("pg_dumpall", "--roles-only", "--file", str(dest / ROLES), "--dbname", url)
    _evidence_and_manifest(dest, evidence_dir, url, "logical", [DUMP, ROLES], progress)
    return dest


def verify(src: Path) -> dict:
    """The manifest of a backup directory, after checking every file against its sha256."""
    try:
        manifest = json.loads((src / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        raise BackupError(f"{src} is not a backup made by `missions db backup`: {exc}") from None
    for name, digest in manifest["sha256"].items():
        if not (src / name).is_file() or _sha256(src / name) != digest:
            raise BackupError(f"{src / name} is missing or damaged (sha256 differs from the manifest)")
    return manifest


def restore(src: Path, url: str, evidence_dir: Path, progress: Progress = _quiet) -> Restored:
    """Restore the backup in `src` into the database named by `url` (a superuser login), which must not exist
    yet, and the evidence files into `evidence_dir`."""
    verify(src)
    dbname = _dbname(url)
    admin_url = with_dbname(url, CRON_DATABASE)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        if admin.execute(queries.DATABASE_EXISTS, {"dbname": dbname}).fetchone():
            raise BackupError(f"database {dbname} exists: restore into a new database (or drop it first)")
        # the roles first (existing ones, such as the superuser, only report an error and stay as they are)
        subprocess.run([str(BINDIR / "psql"), "--quiet", "--dbname", admin_url, "--file", str(src / ROLES)],
                       capture_output=True, text=True)
        admin.execute(queries.CREATE_DATABASE.format(sql.Identifier(dbname)))
    _tool("pg_restore", "--exit-on-error", "--dbname", url, str(src / DUMP))
    progress(f"restored the database {dbname}")
    migrate(url, progress=progress)
    return _finish(src, url, evidence_dir, progress)


def _finish(src: Path, url: str, evidence_dir: Path, progress: Progress) -> Restored:
    """The evidence files back into their store, then the checks every restore ends with."""
    evidence_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(evidence_dir, 0o700)
    with tarfile.open(src / EVIDENCE) as tar:
        members = [m for m in tar.getmembers() if m.isfile() and m.name.startswith("evidence/")]
        for member in members:
            member.name = member.name.removeprefix("evidence/")
            if member.name.startswith("/") or ".." in Path(member.name).parts:
                raise BackupError(f"refusing an evidence path outside the store: {member.name}")
            tar.extract(member, evidence_dir)
    progress(f"restored {len(members)} evidence file(s) into {evidence_dir}")
    with psycopg.connect(url) as conn:
        violations = sum(r[1] for r in conn.execute(queries.CHECK_INVARIANTS).fetchall())
        jobs = len(the_row(conn.execute(queries.CRON_JOBS).fetchone())[0])
    return Restored(_dbname(url), violations, jobs, len(members))


def _evidence_and_manifest(dest: Path, evidence_dir: Path, facts_url: str, fmt: str, files: list[str],
                           progress: Progress) -> None:
    with tarfile.open(dest / EVIDENCE, "w") as tar:
        if evidence_dir.is_dir():
            tar.add(evidence_dir, arcname="evidence")
    count = sum(1 for p in evidence_dir.rglob("*") if p.is_file()) if evidence_dir.is_dir() else 0
    progress(f"archived {count} evidence file(s)")
    with psycopg.connect(facts_url, row_factory=dict_row) as conn:
        facts = the_row(conn.execute(queries.BACKUP_FACTS).fetchone())
    manifest = {
        "format": fmt, "created_at": datetime.now(UTC).isoformat(), "database": facts["database"],
        "server_version": facts["server_version"], "events": facts["events"], "principals": facts["principals"],
        "evidence_files": count, "sha256": {name: _sha256(dest / name) for name in [*files, EVIDENCE]},
    }
    (dest / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n")


def base_backup(cluster: Cluster, dbname: str, dest: Path, evidence_dir: Path, progress: Progress = _quiet) -> Path:
    """A physical base backup of the embedded cluster (`pg_basebackup`, every database, pg_cron's jobs
    included) and the evidence store; with WAL archiving on (MISSIONS_WAL_ARCHIVE), `restore_base` replays it
    to any later moment."""
    dest.mkdir(parents=True, mode=0o700)
    _tool("pg_basebackup", "--pgdata", str(dest / "base"), "--format=tar", "--gzip", "--wal-method=stream",
          "--checkpoint=fast", "--dbname", cluster.url(CRON_DATABASE))
    progress(f"base backup written to {dest / 'base'}")
    _evidence_and_manifest(dest, evidence_dir, cluster.url(dbname), "base", ["base/base.tar.gz", "base/pg_wal.tar.gz"],
                           progress)
    return dest


def restore_base(src: Path, cluster: Cluster, dbname: str, archive: Path | None, until: str | None,
                 evidence_dir: Path, progress: Progress = _quiet) -> Restored:
    """Recover a base backup into `cluster` (a home with no cluster yet), replaying the WAL archive up to
    `until` (None: everything archived), and the evidence files."""
    if verify(src)["format"] != "base":
        raise BackupError(f"{src} is a logical backup: restore it without --until")
    if until and archive is None:
        raise BackupError("--until needs the WAL archive: set MISSIONS_WAL_ARCHIVE")
    try:
        cluster.recover(src / "base", archive or src / "base", until)
    except ClusterError as exc:
        raise BackupError(str(exc)) from None
    progress(f"recovered the cluster {'up to ' + until if until else 'to the end of the archive'}")
    return _finish(src, cluster.url(dbname), evidence_dir, progress)
