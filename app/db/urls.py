"""Connection URLs: which database is in use, and the variants other tools need."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit, quote

from app.cluster import Cluster
from app.config import APP_ROLE, EMBEDDED_DBNAME, Settings


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
    return Cluster(home=settings.home, port=settings.pg_port, os_user=settings.pg_os_user)


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
