"""End-to-end runs of the `missions` CLI as a subprocess, on a cluster of its own."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers.principals import free_port

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def env():
    home = Path(tempfile.mkdtemp(prefix="missions-cli-"))
    home.chmod(0o755)
    e = {**os.environ, "MISSIONS_HOME": str(home / "state"), "MISSIONS_PG_PORT": str(free_port()),
         "MISSIONS_PORT": str(free_port())}
    e.pop("MISSIONS_DATABASE_URL", None)
    yield e
    subprocess.run([sys.executable, "-m", "app.cli", "db", "stop"], env=e, capture_output=True)
    subprocess.run(["rm", "-rf", str(home)])


def missions(env, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([sys.executable, "-m", "app.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"missions {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def serve_until_healthy(env) -> subprocess.Popen:
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "up"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            status, body = get(f"http://127.0.0.1:{env['MISSIONS_PORT']}/health")
            if status == 200:
                return server
        except OSError:
            pass
        if server.poll() is not None:
            raise AssertionError("missions up exited:\n" + server.stdout.read())
        time.sleep(0.3)
    server.kill()
    raise AssertionError("the server never became healthy")


def test_up_serves_health_stops_on_ctrl_c_and_works_again(env):
    for run in (1, 2):
        server = serve_until_healthy(env)
        status, body = get(f"http://127.0.0.1:{env['MISSIONS_PORT']}/health")
        assert status == 200 and '"pgCron":"ok"' in body and '"pgmq":"ok"' in body
        server.send_signal(signal.SIGINT)
        out, _ = server.communicate(timeout=30)
        assert server.returncode == 0, out
        assert "mk_demoadmin_" in out and "/schema" in out, out
        if run == 1:
            assert "creating the embedded cluster" in out
        else:
            assert "creating the embedded cluster" not in out and "migrations: up to date" in out
        missions(env, "db", "stop")
        assert "stopped" in missions(env, "db", "status", check=False).stdout


def test_db_commands_keys_and_principals(env):
    missions(env, "db", "start")
    missions(env, "db", "migrate")
    url = missions(env, "db", "url").stdout.strip()
    assert url.startswith("postgresql://postgres@/missions?host=")
    status = missions(env, "db", "status")
    assert "running" in status.stdout and '"pgmq": "ok"' in status.stdout

    out = missions(env, "principals", "create", "participant", "Cli Person", "--timezone", "Europe/Berlin").stdout
    pid = re.search(r"principal ([0-9a-f-]{36})", out).group(1)
    key = re.search(r"(mk_\w+_\w+)", missions(env, "keys", "create", pid, "--label", "cli").stdout).group(1)
    assert key.startswith("mk_")
    bad = missions(env, "principals", "create", "participant", "X", "--timezone", "Nowhere/Land", check=False)
    assert bad.returncode == 1 and "unknown time zone" in bad.stderr
    bad = missions(env, "keys", "revoke", "00000000-0000-4000-8000-000000000000", check=False)
    assert bad.returncode == 1 and "not found" in bad.stderr


def test_worker_once_consumes_the_outbox(env):
    missions(env, "db", "start")
    missions(env, "db", "migrate")
    out = missions(env, "worker", "--once")
    assert re.search(r"worker: \d+ event\(s\) handled", out.stdout)


def test_check_reports_the_invariants_and_fails_on_a_violation(env):
    missions(env, "db", "start")
    missions(env, "db", "migrate")
    out = missions(env, "check").stdout
    assert out.count("ok  ") == 7 and "FAIL" not in out
    url = missions(env, "db", "url").stdout.strip()
    participant = missions(env, "principals", "create", "participant", "Broken Ledger").stdout
    pid = re.search(r"principal ([0-9a-f-]{36})", participant).group(1)
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:  # a balance the ledger does not explain
        conn.execute("insert into missions_private.balances values (%s, 'SKILL_XP', 7) on conflict "
                     "(participant_id, currency) do update set amount = 7", (pid,))
    bad = missions(env, "check", check=False)
    assert bad.returncode == 1 and "FAIL balance equals the sum of its ledger entries: 1" in bad.stdout
    assert pid in bad.stdout
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("update missions_private.balances set amount = 0 where participant_id = %s", (pid,))
    assert missions(env, "check").returncode == 0


def test_the_embedded_cluster_also_runs_for_a_normal_user(tmp_path):
    """Run the CLI as the unprivileged 'postgres' OS user: the cluster runs as that user directly."""
    if os.geteuid() != 0:
        pytest.skip("already running as a normal user: every other CLI test covers it")
    probe = subprocess.run(["runuser", "-u", "postgres", "--", sys.executable, "-c", "import app.cli"],
                           capture_output=True, cwd="/")
    if probe.returncode != 0:
        pytest.skip("the checkout is not readable by the postgres user")
    home = Path(tempfile.mkdtemp(prefix="missions-user-"))
    subprocess.run(["chown", "postgres:", str(home)], check=True)
    env = {**os.environ, "MISSIONS_HOME": str(home / "state"), "MISSIONS_PG_PORT": str(free_port())}
    env.pop("MISSIONS_DATABASE_URL", None)

    def as_user(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["runuser", "-u", "postgres", "--", sys.executable, "-m", "app.cli", *args],
                              env=env, capture_output=True, text=True, timeout=120, cwd="/")

    try:
        started = as_user("db", "start")
        assert started.returncode == 0, started.stderr
        migrated = as_user("db", "migrate")
        assert migrated.returncode == 0, migrated.stderr
        status = as_user("db", "status")
        assert status.returncode == 0 and '"pg_cron": "ok"' in status.stdout, status.stdout + status.stderr
        assert (home / "state" / "pgdata").stat().st_uid == int(subprocess.check_output(["id", "-u", "postgres"]))
    finally:
        as_user("db", "stop")
        subprocess.run(["rm", "-rf", str(home)])


# ---- a database of its own (MISSIONS_DATABASE_URL): demo data and logins ---------------------------------------

@pytest.fixture(scope="module")
def external(env):
    """A second database of the CLI's cluster, used as 'an existing server' through MISSIONS_DATABASE_URL with
    the superuser login; returns (its env, the URL of its missions_app login)."""
    import psycopg

    missions(env, "db", "start")
    url = missions(env, "db", "url").stdout.strip()
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("drop database if exists external")
        conn.execute("create database external")
    ext_url = url.replace("/missions?", "/external?")
    ext = {**env, "MISSIONS_DATABASE_URL": ext_url}
    ext.pop("MISSIONS_APP_DATABASE_URL", None)
    ext.pop("MISSIONS_ALLOW_DEMO_KEYS", None)
    missions(ext, "db", "migrate")
    return ext, ext_url.replace("postgres@", "missions_app@")


def demo_keys_in(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("select count(*) from missions_private.api_keys where label = 'demo' "
                            "and revoked_at is null").fetchone()[0]


def test_demo_refuses_a_database_of_its_own_unless_forced(external):
    ext, _ = external
    refused = missions(ext, "demo", check=False)
    assert refused.returncode == 1 and "--force" in refused.stderr and "public" in refused.stderr
    assert demo_keys_in(ext["MISSIONS_DATABASE_URL"]) == 0
    forced = missions(ext, "demo", "--force")
    assert "mk_demoadmin_" in forced.stdout and demo_keys_in(ext["MISSIONS_DATABASE_URL"]) == 9


def test_serve_and_worker_refuse_a_superuser_login_without_an_app_url(external):
    ext, app = external
    for args in (("serve", "--allow-demo-keys"), ("worker", "--once")):
        refused = missions(ext, *args, check=False)
        assert refused.returncode == 1, refused.stdout + refused.stderr
        assert "'postgres', a superuser" in refused.stderr and "MISSIONS_APP_DATABASE_URL" in refused.stderr
    worked = missions({**ext, "MISSIONS_APP_DATABASE_URL": app}, "worker", "--once")
    assert re.search(r"worker: \d+ event\(s\) handled", worked.stdout)


def serve_until_answering(env, *args: str) -> tuple[subprocess.Popen, int]:
    """`missions serve ARGS` on a free port, until a demo key gets 200 from /me."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), *args], env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("missions serve exited:\n" + server.stdout.read())
        try:
            request = urllib.request.Request(f"http://127.0.0.1:{port}/health")
            urllib.request.urlopen(request, timeout=2)
            return server, port
        except urllib.error.HTTPError:
            return server, port  # it answers (health may report a degraded part): it started
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise AssertionError("the server never answered")


def stop(server: subprocess.Popen) -> None:
    server.send_signal(signal.SIGINT)
    server.communicate(timeout=30)


def test_serve_refuses_active_demo_keys_on_a_database_of_its_own(external):
    ext, app = external
    ext_app = {**ext, "MISSIONS_APP_DATABASE_URL": app}
    missions(ext, "demo", "--force")
    refused = missions(ext_app, "serve", check=False)
    assert refused.returncode == 1 and "active demo API keys" in refused.stderr, refused.stderr
    assert "Ada Admin" in refused.stderr and "--allow-demo-keys" in refused.stderr
    assert "insecure-demo-key" not in refused.stderr  # names the keys by prefix and id, never the secret
    key_ids = re.findall(r"key ([0-9a-f-]{36})", refused.stderr)
    assert len(key_ids) == 9
    # `up` does not load the demo into it, and does not serve it either while demo keys are active
    up = missions(ext_app, "up", "--port", str(free_port()), check=False)
    assert up.returncode == 1 and "not loading the demo data" in up.stdout and "active demo API keys" in up.stderr

    server, port = serve_until_answering(ext_app, "--allow-demo-keys")  # told otherwise: it serves them
    try:
        status, body = get_with_key(port, "/me", "mk_demoadmin_insecure-demo-key-ada")
        assert status == 200 and "Ada Admin" in body
    finally:
        stop(server)

    for key_id in key_ids:  # revoked, they stay revoked even when the demo is loaded again
        missions(ext, "keys", "revoke", key_id)
    assert "(revoked: stays revoked)" in missions(ext, "demo", "--force").stdout
    server, port = serve_until_answering(ext_app)
    try:
        assert get_with_key(port, "/me", "mk_demoadmin_insecure-demo-key-ada")[0] == 401
    finally:
        stop(server)


def get_with_key(port: int, path: str, key: str) -> tuple[int, str]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Bearer {key}"})
    try:
        with urllib.request.urlopen(request, timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_settings_of_the_process_edges(monkeypatch):
    from app.config import Settings, parse_rate_limit

    assert parse_rate_limit("600/minute") == ("minute", 600) and parse_rate_limit("5/seconds") == ("second", 5)
    assert parse_rate_limit("off") is None
    with pytest.raises(ValueError, match="MISSIONS_RATE_LIMIT"):
        parse_rate_limit("lots")
    for name, value in {"MISSIONS_RATE_LIMIT": "10/hour", "MISSIONS_STATEMENT_TIMEOUT_MS": "250",
                        "MISSIONS_POOL_TIMEOUT": "0.1", "MISSIONS_METRICS_TOKEN": "t",
                        "MISSIONS_ALLOW_DEMO_KEYS": "1"}.items():
        monkeypatch.setenv(name, value)
    s = Settings.from_env()
    assert (s.rate_limit, s.statement_timeout_ms, s.pool_timeout, s.metrics_token, s.allow_demo_keys) == \
        (("hour", 10), 250, 0.1, "t", True)
