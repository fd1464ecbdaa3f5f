"""`missions`: the one entry point to run and operate the engine.

  missions up [--demo] [--allow-demo-keys]   start the embedded db, migrate, load demo data (embedded only), serve
  missions db start|stop|status|url|migrate | db backup [--to DIR] [--base] | db restore DIR [--database N] [--until T]
  missions serve [--host H] [--port P] [--allow-demo-keys]
  missions worker [--once] [--webhook-concurrency N]
  missions mcp                        the agent tools over MCP on stdio (key in MISSIONS_API_KEY; HTTP: /mcp)
  missions agent run MODULE:HANDLERS [--concurrency N] [--kinds a,b] [--url URL]   (key in MISSIONS_API_KEY)
  missions principals create ROLE NAME [--level L] [--tier T] [--timezone TZ] [--cohort C]
  missions keys create PRINCIPAL_ID [--label L] | keys revoke KEY_ID
  missions demo [--force]
  missions check                      check the engine's invariants (exit 1 on any violation)
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import psycopg
from psycopg.rows import dict_row

from app import queries, tracing
from app.client.errors import ClientError
from app.cluster import ClusterError
from app.config import EMBEDDED_DBNAME, Settings
from app.db.migrate import migrate
from app.db.rows import the_row
from app.db.urls import app_url, check_app_login, embedded_cluster, owner_url, with_dbname


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def db_start(settings: Settings) -> None:
    if not settings.embedded:
        say("MISSIONS_DATABASE_URL is set: using that server, nothing to start")
        return
    cluster = embedded_cluster(settings)
    if not cluster.initialized():
        say(f"creating the embedded cluster in {cluster.pgdata}")
    started = cluster.start()
    say(f"embedded PostgreSQL {'started' if started else 'already running'} on port {cluster.port}")
    cluster.ensure_database(EMBEDDED_DBNAME)


def db_stop(settings: Settings) -> None:
    if not settings.embedded:
        say("MISSIONS_DATABASE_URL is set: the external server is not ours to stop")
        return
    say("embedded PostgreSQL stopped" if embedded_cluster(settings).stop() else "embedded PostgreSQL was not running")


def db_status(settings: Settings) -> int:
    if settings.embedded:
        cluster = embedded_cluster(settings)
        state = "running" if cluster.running() else ("stopped" if cluster.initialized() else "not created")
        print(f"embedded cluster: {state} ({cluster.pgdata}, port {cluster.port})")
        if state != "running":
            return 1
    try:
        with psycopg.connect(owner_url(settings), connect_timeout=5) as conn:
            health = the_row(conn.execute(queries.HEALTH).fetchone())[0]
    except psycopg.Error as exc:
        print(f"database: {str(exc).strip()}")
        return 1
    print("health: " + json.dumps(health))
    return 0 if all(v == "ok" for v in health.values()) else 1


def db_migrate(settings: Settings) -> None:
    started = time.perf_counter()
    migrate(owner_url(settings), progress=say)
    say(f"migrated in {time.perf_counter() - started:.1f}s")


def db_backup(settings: Settings, to: str | None, base: bool) -> None:
    from app.db.backup import backup, base_backup

    stamp = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    dest = Path(to) if to else settings.home / "backups" / stamp
    if base:
        if not settings.embedded:
            raise RuntimeError("--base backs up the embedded cluster; for your own server use its tools "
                               "(pg_basebackup, or a backup tool such as pgBackRest) with WAL archiving")
        base_backup(embedded_cluster(settings), EMBEDDED_DBNAME, dest, settings.evidence_dir, progress=say)
    else:
        backup(owner_url(settings), dest, settings.evidence_dir, progress=say)
    say(f"backup written to {dest}")


def db_restore(settings: Settings, src: str, database: str | None, until: str | None) -> int:
    from app.db.backup import restore, restore_base, verify

    if verify(Path(src))["format"] == "base":
        if not settings.embedded or database:
            raise RuntimeError("a base backup restores a whole embedded cluster: set MISSIONS_HOME to a new "
                               "directory (no --database, no MISSIONS_DATABASE_URL)")
        done = restore_base(Path(src), embedded_cluster(settings), EMBEDDED_DBNAME, settings.wal_archive, until,
                            settings.evidence_dir, progress=say)
    else:
        if until:
            raise RuntimeError("--until needs a base backup (missions db backup --base) and the WAL archive")
        if settings.embedded:
            embedded_cluster(settings).start()  # a new home gets a cluster; the database comes from the backup
        url = owner_url(settings) if database is None else with_dbname(owner_url(settings), database)
        done = restore(Path(src), url, settings.evidence_dir, progress=say)
    say(f"restored {done.database}: {done.cron_jobs} cron job(s), {done.evidence_files} evidence file(s), "
        f"{done.invariant_violations} invariant violation(s)")
    return 1 if done.invariant_violations else 0


def refuse_demo_keys(settings: Settings) -> None:
    """On a database of its own (not the embedded cluster), the server does not start while a public demo key
    still works there, unless allowed (--allow-demo-keys, MISSIONS_ALLOW_DEMO_KEYS)."""
    from app.demo import active_demo_keys

    if settings.embedded:
        return
    active = active_demo_keys(owner_url(settings))
    if active:
        raise RuntimeError(
            "the database at MISSIONS_DATABASE_URL has active demo API keys, which are public:\n    "
            + "\n    ".join(active)
            + "\nrevoke them (missions keys revoke KEY_ID), or serve anyway with --allow-demo-keys "
              "(MISSIONS_ALLOW_DEMO_KEYS=1)")


def serve(settings: Settings, host: str, port: int, allow_demo_keys: bool = False) -> None:
    import uvicorn

    from app.http.app import create_app

    check_app_login(settings)
    if not (allow_demo_keys or settings.allow_demo_keys):
        refuse_demo_keys(settings)
    say(f"serving the HTTP API on http://{host}:{port} (docs: http://{host}:{port}/schema) — Ctrl-C stops it")
    tracing.configure_from_env("missions-http")
    uvicorn.run(create_app(settings=settings), host=host, port=port, log_level="warning")


def check(settings: Settings) -> int:
    """Runs missions.check_invariants(): one line per invariant, examples of any violation; 1 if any."""
    with psycopg.connect(owner_url(settings)) as conn:
        rows = conn.execute(queries.CHECK_INVARIANTS).fetchall()
    for invariant, violations, examples in rows:
        print(f"{'ok  ' if violations == 0 else 'FAIL'} {invariant}" + (f": {violations}" if violations else ""))
        for example in examples:
            print(f"       {json.dumps(example)}")
    return 1 if any(v for _, v, _ in rows) else 0


def demo(settings: Settings, force: bool = False) -> None:
    """Load the demo data: into the embedded cluster, or with force into MISSIONS_DATABASE_URL's server."""
    from app.demo import load_demo

    if not settings.embedded and not force:
        raise RuntimeError("MISSIONS_DATABASE_URL is set: the demo data's API keys are public, so `missions demo` "
                           "loads them only into the embedded cluster; pass --force to load them into that server")
    rows = load_demo(owner_url(settings))
    say("demo data loaded; demo API keys (use as 'Authorization: Bearer <key>'):")
    for row in rows:
        print(f"    {row.role:<12} {row.name:<18} {row.key}" + ("  (revoked: stays revoked)" if row.revoked else ""))


def up(settings: Settings, host: str, port: int, load_demo: bool = False, allow_demo_keys: bool = False) -> None:
    """Start, migrate, load the demo data (the embedded cluster, or when asked for) and serve."""
    db_start(settings)
    db_migrate(settings)
    if settings.embedded or load_demo:
        demo(settings, force=True)
    else:
        say("MISSIONS_DATABASE_URL is set: not loading the demo data (its API keys are public); "
            "`missions up --demo` would")
    serve(settings, host, port, allow_demo_keys=allow_demo_keys or load_demo)


def create_principal(settings: Settings, args: argparse.Namespace) -> None:
    attrs = {k: v for k, v in {"level": args.level, "tier": args.tier, "timezone": args.timezone,
                               "cohort": args.cohort}.items() if v}
    with psycopg.connect(owner_url(settings)) as conn:
        out = the_row(conn.execute(queries.ENROLL_PRINCIPAL, {"role": args.role, "display_name": args.name,
                                                              "attrs": json.dumps(attrs),
                                                              "label": args.label}).fetchone())[0]
    print(f"principal {out['principal']['id']} ({args.role})\napi key   {out['api_key']}  (shown once)")


def create_key(settings: Settings, args: argparse.Namespace) -> None:
    with psycopg.connect(owner_url(settings)) as conn:
        key = the_row(conn.execute(queries.CREATE_API_KEY, {"principal_id": args.principal_id,
                                                            "label": args.label}).fetchone())[0]
    print(f"api key {key}  (shown once)")


def revoke_key(settings: Settings, args: argparse.Namespace) -> None:
    with psycopg.connect(owner_url(settings), row_factory=dict_row) as conn:
        row = the_row(conn.execute(queries.REVOKE_API_KEY, {"id": args.key_id}).fetchone())
    print(f"api key {row['id']} revoked at {row['revoked_at'].isoformat()}")


def api_key_from_env(what: str) -> str | None:
    """MISSIONS_API_KEY, or None after saying it is missing."""
    key = os.environ.get("MISSIONS_API_KEY", "").strip()
    if not key:
        print(f"missions: set MISSIONS_API_KEY to {what}", file=sys.stderr)
    return key or None


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be 1 or more")
    return value


def serve_mcp(settings: Settings) -> int:
    """`missions mcp`: MCP on stdio for MISSIONS_API_KEY; stdout carries only the protocol."""
    import asyncio

    from app.mcp.stdio import KeyRefused, serve

    key = api_key_from_env("the API key the MCP tools act as")
    if key is None:
        return 1
    check_app_login(settings)
    try:
        asyncio.run(serve(app_url(settings), key, settings.statement_timeout_ms))
    except KeyRefused as exc:
        print(f"missions: {exc}", file=sys.stderr)
        return 1
    return 0


def run_agent(settings: Settings, args: argparse.Namespace) -> int:
    """`missions agent run`: the worker loop until SIGTERM/SIGINT (leases released; exit 0)."""
    import asyncio

    from app.agent.runner import load_handlers, run
    from app.http.logs import configure_logging

    key = api_key_from_env("the agent's API key")
    if key is None:
        return 1
    try:
        handlers = load_handlers(args.handlers, [k.strip() for k in (args.kinds or "").split(",") if k.strip()])
    except (ImportError, AttributeError, ValueError) as exc:
        print(f"missions: {exc}", file=sys.stderr)
        return 1
    configure_logging(settings.log_level)
    say(f"agent worker: {', '.join(sorted(handlers))} from {args.url}, {args.concurrency} at a time")
    tracing.configure_from_env("missions-agent")
    asyncio.run(run(args.url, key, handlers, concurrency=args.concurrency))
    return 0


def parser(settings: Settings) -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="missions", description="The mission engine.")
    sub = p.add_subparsers(dest="command", required=True)

    def http_args(sp: argparse.ArgumentParser) -> None:
        sp.add_argument("--host", default=settings.http_host)
        sp.add_argument("--port", type=int, default=settings.http_port)

    allow_help = ("serve even when the database (not the embedded cluster) has active demo API keys; "
                  "also MISSIONS_ALLOW_DEMO_KEYS=1")
    up_parser = sub.add_parser("up", help="start the embedded db, migrate, load demo data (embedded only) and serve")
    http_args(up_parser)
    up_parser.add_argument("--demo", action="store_true",
                           help="load the demo data (public API keys) into MISSIONS_DATABASE_URL's server too")
    up_parser.add_argument("--allow-demo-keys", action="store_true", help=allow_help)
    db = sub.add_parser("db", help="the database").add_subparsers(dest="db_command", required=True)
    for name, text in [("start", "start the embedded cluster (creating it if needed)"),
                       ("stop", "stop the embedded cluster"), ("status", "cluster state and health"),
                       ("url", "print the owner connection URL of the database in use"),
                       ("migrate", "apply migrations, functions, grants and cron jobs")]:
        db.add_parser(name, help=text)
    backup_parser = db.add_parser("backup", help="write a logical backup (database, roles, evidence files)")
    backup_parser.add_argument("--to", metavar="DIR", help="a new directory (default $MISSIONS_HOME/backups/<UTC time>)")
    backup_parser.add_argument("--base", action="store_true",
                               help="a physical base backup of the embedded cluster (point-in-time recovery with "
                                    "MISSIONS_WAL_ARCHIVE) instead of a logical dump")
    restore_parser = db.add_parser("restore", help="restore a backup into a database that does not exist yet")
    restore_parser.add_argument("src", metavar="DIR", help="a directory written by `missions db backup`")
    restore_parser.add_argument("--database", metavar="NAME",
                                help="the new database's name (default: the configured database)")
    restore_parser.add_argument("--until", metavar="TIME",
                                help="base backups: replay the WAL archive up to this moment (e.g. '2026-12-03 "
                                     "06:00:00+00'), not to its end")
    serve_parser = sub.add_parser("serve", help="serve the HTTP API")
    http_args(serve_parser)
    serve_parser.add_argument("--allow-demo-keys", action="store_true", help=allow_help)
    worker = sub.add_parser("worker", help="consume the event queues and run the AI reviewer")
    worker.add_argument("--once", action="store_true", help="process one batch and exit")
    worker.add_argument("--webhook-concurrency", type=int, default=8, choices=range(1, 65), metavar="N",
                        help="webhook deliveries sent at once (1..64, default 8)")
    demo_parser = sub.add_parser("demo", help="load demo data and print the demo API keys (embedded cluster only)")
    demo_parser.add_argument("--force", action="store_true",
                             help="load them into MISSIONS_DATABASE_URL's server (their keys are public)")
    sub.add_parser("check", help="check the engine's invariants (exit 1 on any violation)")
    sub.add_parser("mcp", help="serve the agent tools over MCP on stdin/stdout for the key in MISSIONS_API_KEY "
                              "(over HTTP they are at /mcp of missions serve)")
    agent = sub.add_parser("agent", help="agents").add_subparsers(dest="a_command", required=True)
    ar = agent.add_parser("run", help="run a worker loop: claim steps of the handlers' kinds and run them "
                                      "(API key in MISSIONS_API_KEY; SIGTERM releases held leases and exits)")
    ar.add_argument("handlers", metavar="MODULE:HANDLERS", help="a dict of step kind -> function, e.g. mybot:HANDLERS")
    ar.add_argument("--concurrency", type=positive_int, default=1, help="steps handled at once (default 1)")
    ar.add_argument("--kinds", help="only these kinds, comma-separated (default: every kind in the handlers)")
    ar.add_argument("--url", default=os.environ.get("MISSIONS_URL", f"http://{settings.http_host}:{settings.http_port}"),
                    help="the engine's HTTP API (default MISSIONS_URL, else this host's missions serve)")

    principals = sub.add_parser("principals", help="principals").add_subparsers(dest="p_command", required=True)
    pc = principals.add_parser("create", help="create a principal and its first API key")
    pc.add_argument("role", choices=["participant", "admin", "mentor", "agent", "service"])
    pc.add_argument("name")
    for opt in ("level", "tier", "timezone", "cohort", "label"):
        pc.add_argument(f"--{opt}")

    keys = sub.add_parser("keys", help="API keys").add_subparsers(dest="k_command", required=True)
    kc = keys.add_parser("create", help="create an API key for a principal")
    kc.add_argument("principal_id")
    kc.add_argument("--label")
    kr = keys.add_parser("revoke", help="revoke an API key by id")
    kr.add_argument("key_id")
    return p


def main(argv: list[str] | None = None) -> int:
    settings = Settings.from_env()
    args = parser(settings).parse_args(argv)
    try:
        match args.command:
            case "up":
                up(settings, args.host, args.port, load_demo=args.demo, allow_demo_keys=args.allow_demo_keys)
            case "db":
                match args.db_command:
                    case "start":
                        db_start(settings)
                    case "stop":
                        db_stop(settings)
                    case "status":
                        return db_status(settings)
                    case "url":
                        print(owner_url(settings))
                    case "migrate":
                        db_migrate(settings)
                    case "backup":
                        db_backup(settings, args.to, args.base)
                    case "restore":
                        return db_restore(settings, args.src, args.database, args.until)
            case "serve":
                serve(settings, args.host, args.port, allow_demo_keys=args.allow_demo_keys)
            case "worker":
                from app import worker
                from app.http.logs import configure_logging

                check_app_login(settings)
                configure_logging(settings.log_level)
                tracing.configure_from_env("missions-worker")
                handled = worker.run(app_url(settings), once=args.once, ai_reviewer=settings.ai_reviewer,
                                     webhook_concurrency=args.webhook_concurrency)
                say(f"worker: {handled} event(s) handled")
            case "mcp":
                return serve_mcp(settings)
            case "agent":
                return run_agent(settings, args)
            case "demo":
                demo(settings, force=args.force)
            case "check":
                return check(settings)
            case "principals":
                create_principal(settings, args)
            case "keys":
                create_key(settings, args) if args.k_command == "create" else revoke_key(settings, args)
    except (ClusterError, psycopg.Error, RuntimeError, ClientError) as exc:
        print(f"missions: {str(exc).strip()}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
