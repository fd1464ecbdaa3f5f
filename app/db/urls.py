"""Connection URLs: which database is in use, and the variants other tools need."""

from __future__ import annotations

from urllib.parse import quote, urlsplit, urlunsplit

from app.cluster import Cluster
from app.config import APP_ROLE, EMBEDDED_DBNAME, OWNER_ROLE, Settings
from app.db.rows import the_row


def with_dbname(url: str, dbname: str) -> str:
    """The same URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + quote(dbname)))


def as_role(url: str, role: str) -> str:
    """The same URL with the session starting as `role` (libpq options `-c role=…`), for tools that
    open their own connections (yoyo)."""
    parts = urlsplit(url)
    query = [q for q in parts.query.split("&") if q]
    query.append("options=" + quote(f"-c role={role}"))
    return urlunsplit(parts._replace(query="&".join(query)))


def yoyo_url(url: str) -> str:
    """yoyo needs the psycopg 3 driver named in the scheme."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql+psycopg"))


def embedded_cluster(settings: Settings) -> Cluster:
    """The embedded cluster; with MISSIONS_WAL_ARCHIVE set when it is created, it archives its WAL there."""
    cluster = Cluster(home=settings.home, port=settings.pg_port, os_user=settings.pg_os_user,
                      settings=Cluster.archiving(settings.wal_archive) if settings.wal_archive else {})
    if settings.wal_archive and not cluster.initialized():
        cluster.prepare_archive(settings.wal_archive)
    return cluster


def owner_url(settings: Settings) -> str:
    """The URL migrations and the CLI use: MISSIONS_DATABASE_URL, or the embedded cluster's superuser."""
    if settings.database_url:
        return settings.database_url
    return embedded_cluster(settings).url(EMBEDDED_DBNAME)


def app_url(settings: Settings) -> str:
    """The URL the HTTP app and the worker use (the app's login role on the embedded cluster)."""
    if settings.app_database_url:
        return settings.app_database_url
    if settings.database_url:
        return settings.database_url
    return embedded_cluster(settings).url(EMBEDDED_DBNAME, user=APP_ROLE)


class UnsafeLogin(RuntimeError):
    """The app or the worker would run on a privileged database login."""


def check_app_login(settings: Settings) -> None:
    """Outside the embedded cluster, without MISSIONS_APP_DATABASE_URL the app and the worker would log in with
    MISSIONS_DATABASE_URL, the owner URL: refuse when that login is a superuser or may become the engine's
    owner (even acting as missions_app, such a session could RESET ROLE). The embedded cluster has its own
    `missions_app` login; an explicit MISSIONS_APP_DATABASE_URL is the operator's choice."""
    url = settings.database_url
    if url is None or settings.app_database_url:  # url is None: settings.embedded
        return
    import psycopg

    from app import queries

    with psycopg.connect(url, connect_timeout=10) as conn:
        login, superuser, owner = the_row(conn.execute(queries.LOGIN_PRIVILEGES, {"owner": OWNER_ROLE}).fetchone())
    if superuser or owner:
        what = "a superuser" if superuser else f"a member of {OWNER_ROLE}, the engine's owner"
        raise UnsafeLogin(
            f"MISSIONS_DATABASE_URL logs in as {login!r}, {what}; the HTTP app and the worker refuse to run on it. "
            f"Set MISSIONS_APP_DATABASE_URL to a login of the role {APP_ROLE} "
            f"(e.g. ALTER ROLE {APP_ROLE} PASSWORD '…') and run again.")
