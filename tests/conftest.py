"""Test harness: one embedded cluster per session (the same code as `missions db start`, so it
works as root), a template database built once by `missions db migrate`'s code, and a fresh
clone of it per test through pytest-postgresql."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from litestar import Litestar
from litestar.stores.memory import MemoryStore
from litestar.testing import TestClient
from psycopg.rows import dict_row
from pytest_postgresql import factories
from pytest_postgresql.executors import NoopExecutor

from app.cluster import CRON_DATABASE, SUPERUSER, Cluster
from app.db.migrate import migrate
from tests.helpers.live_server import serve
from tests.helpers.principals import free_port, make_principal

TEST_DB = "tests"


class ServerExecutor(NoopExecutor):
    """pytest-postgresql's view of our cluster; databases are created from template0."""

    @property
    def template_dbname(self) -> str:
        return "template0"


def scratch_dir() -> str | None:
    """Where the test cluster lives: shared memory when the machine has it. Every test clones a database from
    the template; on a throttled disk that clone took 0.5 s here, on tmpfs 0.03 s."""
    shm = Path("/dev/shm")
    return str(shm) if shm.is_dir() and os.access(shm, os.W_OK | os.X_OK) else None


@pytest.fixture(scope="session")
def cluster() -> Iterator[Cluster]:
    home = Path(tempfile.mkdtemp(prefix="missions-test-", dir=scratch_dir()))
    home.chmod(0o755)  # the server's OS user (when we are root) must reach its directories
    c = Cluster(home=home, port=free_port(),
                settings={"fsync": "off", "synchronous_commit": "off", "full_page_writes": "off"})
    c.start()
    with psycopg.connect(c.url(CRON_DATABASE), autocommit=True) as conn:
        conn.execute("create extension if not exists pg_cron")
    yield c
    c.stop()
    shutil.rmtree(home, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server(cluster: Cluster) -> ServerExecutor:
    return ServerExecutor(host=str(cluster.sockdir), port=cluster.port, user=SUPERUSER,
                          options="", dbname=CRON_DATABASE)


def build_template(host: str, port: int, user: str, dbname: str, **_: object) -> None:
    """Install the engine into the template database the way `missions db migrate` does.
    Cron jobs are not scheduled here: tests that need them schedule into their own database."""
    migrate(f"postgresql://{user}@/{dbname}?host={host}&port={port}", schedule_cron=False)


engine = factories.postgresql_noproc(dbname=TEST_DB, load=[build_template], depends_on="pg_server")
postgresql = factories.postgresql("engine")


@pytest.fixture
def dsn(postgresql: psycopg.Connection, cluster: Cluster) -> str:
    """Superuser URL of this test's database."""
    return cluster.url(postgresql.info.dbname)


@pytest.fixture
def db(postgresql: psycopg.Connection) -> psycopg.Connection:
    """A superuser connection to this test's fresh database, autocommit, rows as dicts."""
    postgresql.autocommit = True
    postgresql.row_factory = dict_row
    return postgresql


@pytest.fixture
def connect(dsn: str) -> Iterator[Callable[..., psycopg.Connection]]:
    """Open more connections to the test database (closed after the test)."""
    opened: list[psycopg.Connection] = []

    def _connect(**kwargs: object) -> psycopg.Connection:
        conn = psycopg.connect(dsn, row_factory=dict_row, **kwargs)
        opened.append(conn)
        return conn

    yield _connect
    for conn in opened:
        conn.close()


@pytest.fixture
def principals(db: psycopg.Connection) -> dict[str, dict]:
    """One principal of each role, plus a second participant."""
    made = {role: make_principal(db, role) for role in ("participant", "admin", "mentor", "agent", "service")}
    made["other"] = make_principal(db, "participant", "Other participant")
    return made


@pytest.fixture(scope="session")
def shared_app(cluster: Cluster) -> Litestar:
    """The app behind `client`, built once: building one takes ~0.3 s (routes, the OpenAPI document). Every
    test's database has the same name and the pool lives in the app's lifespan, so each `TestClient` block opens
    a pool to that test's own database."""
    from app.http.app import create_app

    return create_app(database_url=cluster.url(TEST_DB, user="missions_app"))


@pytest.fixture
def client(db: psycopg.Connection, shared_app: Litestar) -> Iterator[TestClient]:
    """The HTTP app, connected to this test's database as the app's login role, with fresh rate-limit counters."""
    assert db.info.dbname == TEST_DB
    shared_app.stores.register("rate_limit", MemoryStore(), allow_override=True)
    with TestClient(shared_app) as c:
        yield c


@pytest.fixture
def live_server(db: psycopg.Connection, shared_app: Litestar) -> Iterator[str]:
    """The same app as `client`, served by uvicorn on a loopback port for out-of-process clients; its base URL.
    Do not use `client` in the same test (both would run the shared app's lifespan)."""
    assert db.info.dbname == TEST_DB
    shared_app.stores.register("rate_limit", MemoryStore(), allow_override=True)
    with serve(shared_app) as url:
        yield url
