"""The embedded PostgreSQL cluster: initdb, start, stop, status, as an unprivileged OS user when root.

The cluster lives in a directory of the project (``.missions/`` by default): ``pgdata/`` (data),
``run/`` (the Unix socket, private to the server's OS user) and ``log/``. It listens on the
socket and on 127.0.0.1 only, preloads pg_cron (jobs run as background workers in database
``postgres``) and trusts only the private socket.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tarfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote

import psycopg
from psycopg import sql

from app import queries
from app.db.rows import the_row

BINDIR = Path(os.environ.get("MISSIONS_PG_BINDIR", "/usr/lib/postgresql/15/bin"))
SUPERUSER = "postgres"
CRON_DATABASE = "postgres"


class ClusterError(RuntimeError):
    """The embedded cluster could not be created, started or stopped."""


@dataclass
class Cluster:
    home: Path
    port: int
    os_user: str = "postgres"  # used only when the caller is root
    settings: dict[str, str] = field(default_factory=dict)  # extra postgresql.conf settings

    @property
    def pgdata(self) -> Path:
        return self.home / "pgdata"

    @property
    def sockdir(self) -> Path:
        return self.home / "run"

    @property
    def logfile(self) -> Path:
        return self.home / "log" / "postgres.log"

    @property
    def as_root(self) -> bool:
        return os.geteuid() == 0

    def url(self, dbname: str, user: str = SUPERUSER) -> str:
        """A libpq URL over the private Unix socket."""
        return f"postgresql://{quote(user)}@/{quote(dbname)}?host={quote(str(self.sockdir))}&port={self.port}"

    # -- running the server's binaries -------------------------------------------------
    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        cmd = [str(BINDIR / args[0]), *args[1:]]
        if self.as_root:
            cmd = ["runuser", "-u", self.os_user, "--", *cmd]
        env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
        env.pop("PGDATA", None)
        proc = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd="/")
        if check and proc.returncode != 0:
            raise ClusterError(f"{' '.join(args[:2])} failed:\n{proc.stdout}{proc.stderr}")
        return proc

    def _prepare_dirs(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        for d in (self.pgdata, self.sockdir, self.logfile.parent):
            d.mkdir(exist_ok=True)
            d.chmod(0o700)
        if self.as_root:
            try:
                pw = pwd.getpwnam(self.os_user)
            except KeyError:
                raise ClusterError(
                    f"running as root needs an unprivileged OS user for the server; "
                    f"'{self.os_user}' does not exist (set MISSIONS_PG_OS_USER)"
                ) from None
            for d in (self.pgdata, self.sockdir, self.logfile.parent):
                shutil.chown(d, pw.pw_uid, pw.pw_gid)
            probe = subprocess.run(["runuser", "-u", self.os_user, "--", "test", "-w", str(self.pgdata)])
            if probe.returncode != 0:
                raise ClusterError(
                    f"OS user '{self.os_user}' cannot reach {self.pgdata}: a parent directory is "
                    f"not traversable by it. Set MISSIONS_HOME to a directory it can reach."
                )

    # -- lifecycle -------------------------------------------------------------------------
    def initialized(self) -> bool:
        return (self.pgdata / "PG_VERSION").exists()

    def init(self) -> bool:
        """Create the data directory if there is none; True when it was created now."""
        if self.initialized():
            return False
        if not (BINDIR / "initdb").exists():
            raise ClusterError(f"PostgreSQL 15 binaries not found in {BINDIR}: run `make deps`")
        self._prepare_dirs()
        self._run(
            "initdb", "-D", str(self.pgdata), "-U", SUPERUSER, "-E", "UTF8", "--locale=C.UTF-8",
            "--auth-local=trust", "--auth-host=scram-sha-256",
        )
        self._write_conf()
        with (self.pgdata / "postgresql.conf").open("a") as f:
            f.write("\ninclude 'missions.conf'\n")
        return True

    def _write_conf(self, extra: dict[str, str] | None = None) -> None:
        """pgdata/missions.conf: the engine's server settings for this home (socket, port-independent)."""
        conf = {
            "listen_addresses": "'127.0.0.1'",
            "unix_socket_directories": f"'{self.sockdir}'",
            "unix_socket_permissions": "0700",
            "shared_preload_libraries": "'pg_cron'",
            "cron.database_name": f"'{CRON_DATABASE}'",
            "cron.use_background_workers": "on",
            "max_worker_processes": "32",
            "max_connections": "200",
            "log_line_prefix": "'%m [%p] %q%u@%d '",
            **self.settings,
            **(extra or {}),
        }
        lines = "".join(f"{k} = {v}\n" for k, v in conf.items())
        self._write_as_server(self.pgdata / "missions.conf", "# written by the mission engine\n" + lines)

    def _write_as_server(self, path: Path, text: str) -> None:
        path.write_text(text)
        if self.as_root:
            pw = pwd.getpwnam(self.os_user)
            os.chown(path, pw.pw_uid, pw.pw_gid)

    @staticmethod
    def archiving(archive: Path) -> dict[str, str]:
        """Server settings that copy every finished WAL segment into `archive` (point-in-time recovery)."""
        return {"archive_mode": "on", "archive_command": f"'test ! -f {archive}/%f && cp %p {archive}/%f'"}

    def prepare_archive(self, archive: Path) -> None:
        """Create the WAL archive directory, writable by the server."""
        archive.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.give_to_server(archive)

    def give_to_server(self, path: Path) -> None:
        """Hand a directory tree to the server's OS user (when we are root)."""
        if self.as_root:
            pw = pwd.getpwnam(self.os_user)
            for p in [path, *path.rglob("*")]:
                os.chown(p, pw.pw_uid, pw.pw_gid)

    def recover(self, base: Path, archive: Path, until: str | None) -> None:
        """Make this (not yet created) cluster a copy of a base backup (`base.tar.gz`, `pg_wal.tar.gz` from
        pg_basebackup -Ft -z) replayed from the WAL archive up to `until` (a timestamp; None: all of it), then
        promoted. The backup's own missions.conf is replaced by this home's (socket, settings)."""
        if self.initialized():
            raise ClusterError(f"{self.pgdata} already holds a cluster: recover into a new MISSIONS_HOME")
        self._prepare_dirs()
        with tarfile.open(base / "base.tar.gz") as tar:
            tar.extractall(self.pgdata)
        with tarfile.open(base / "pg_wal.tar.gz") as tar:
            tar.extractall(self.pgdata / "pg_wal")
        self.pgdata.chmod(0o700)
        recovery = {"restore_command": f"'cp {archive}/%f %p'", "recovery_target_action": "'promote'"}
        if until:
            recovery["recovery_target_time"] = f"'{until}'"
        self._write_conf(recovery)
        (self.pgdata / "recovery.signal").touch()
        for stale in ("postmaster.pid", "postmaster.opts"):
            (self.pgdata / stale).unlink(missing_ok=True)
        self.give_to_server(self.pgdata)
        self.start()
        with psycopg.connect(self.url(CRON_DATABASE), autocommit=True) as conn:
            for _ in range(600):
                if not the_row(conn.execute(queries.IN_RECOVERY).fetchone())[0]:
                    break
                time.sleep(0.1)
            else:
                raise ClusterError("the recovered cluster did not leave recovery within a minute")
        self._write_conf()  # recovery is done: the settings go, the data stays

    def running(self) -> bool:
        if not self.initialized():
            return False
        return self._run("pg_ctl", "status", "-D", str(self.pgdata), check=False).returncode == 0

    def start(self) -> bool:
        """Start the server (creating it first if needed); True when it was started now."""
        self.init()
        if self.running():
            return False
        self._prepare_dirs()
        self._run("pg_ctl", "start", "-D", str(self.pgdata), "-l", str(self.logfile), "-w", "-t", "60",
                  "-o", f"-p {self.port}")
        return True

    def stop(self) -> bool:
        """Stop the server; True when it was running."""
        if not self.running():
            return False
        self._run("pg_ctl", "stop", "-D", str(self.pgdata), "-m", "fast", "-w", "-t", "60")
        return True

    def ensure_database(self, dbname: str) -> None:
        """Create the engine database and pg_cron (in the cron database) if missing."""
        with psycopg.connect(self.url(CRON_DATABASE), autocommit=True) as conn:
            conn.execute(queries.CREATE_PG_CRON)
            exists = conn.execute(queries.DATABASE_EXISTS, {"dbname": dbname}).fetchone()
            if not exists:
                conn.execute(queries.CREATE_DATABASE.format(sql.Identifier(dbname)))
