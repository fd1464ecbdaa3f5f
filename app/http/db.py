"""One transaction per request: authenticate the bearer key, become its role, make one SQL call."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from litestar import Request
from litestar.di import NamedDependency
from psycopg import AsyncConnection
from psycopg.rows import DictRow, dict_row
from psycopg_pool import AsyncConnectionPool

from app import queries, tracing
from app.config import APP_ROLE
from app.db.rows import the_row
from app.http.errors import problem, unauthenticated

MAX_KEY_LENGTH = 200


def _configure(statement_timeout_ms: int) -> Callable[[AsyncConnection[DictRow]], Awaitable[None]]:
    async def configure(conn: AsyncConnection[DictRow]) -> None:
        """Pool connections act as the app's role even when the URL names an owner or superuser, and every
        statement of every request runs under the statement timeout (a cut statement is 57014 -> 503)."""
        cur = await conn.execute(queries.IS_APP_ROLE, {"role": APP_ROLE})
        if not the_row(await cur.fetchone())["is_app"]:
            await conn.execute(queries.BECOME_APP_ROLE)
        await conn.execute(queries.SET_STATEMENT_TIMEOUT, {"ms": str(statement_timeout_ms)})
        await conn.commit()

    return configure


def make_pool(url: str, max_size: int, *, timeout: float = 0.5, statement_timeout_ms: int = 5000
              ) -> AsyncConnectionPool[AsyncConnection[DictRow]]:
    """The app's pool: a request waits at most `timeout` seconds for a connection (then PoolTimeout -> 503)."""
    return AsyncConnectionPool(
        url, min_size=1, max_size=max_size, open=False, timeout=timeout, configure=_configure(statement_timeout_ms),
        kwargs={"row_factory": dict_row, "application_name": "missions-http"},
    )


def bearer_key(request: Request) -> str:
    header = request.headers.get("authorization")
    if not header:
        raise unauthenticated("send an API key as 'Authorization: Bearer <key>'")
    scheme, _, key = header.partition(" ")
    key = key.strip()
    if scheme.lower() != "bearer" or not key:
        raise unauthenticated("the Authorization header must be 'Bearer <key>'")
    if len(key) > MAX_KEY_LENGTH:
        raise unauthenticated("invalid API key")
    return key


async def _authenticate(conn: AsyncConnection[DictRow], key: str) -> None:
    cur = await conn.execute(queries.AUTHENTICATE, {"key": key, "traceparent": tracing.current_traceparent()})
    if await cur.fetchone() is None:
        raise unauthenticated("invalid or revoked API key")


Caller = Request | str | None  # a request (its bearer key), an API key (MCP tools), or None (no principal)


class Database:
    """The pool and the per-request call helpers used by every controller."""

    def __init__(self, pool: AsyncConnectionPool[AsyncConnection[DictRow]]):
        self.pool = pool

    async def rows(self, caller: Caller, query: str, params: dict[str, Any] | None = None) -> list[DictRow]:
        """Run `query` in one transaction, as the principal of the caller's API key (none when None)."""
        async with self.pool.connection() as conn:
            if caller is not None:
                await _authenticate(conn, caller if isinstance(caller, str) else bearer_key(caller))
            cur = await conn.execute(query, params or {})
            return await cur.fetchall()

    @asynccontextmanager
    async def transaction(self, request: Request) -> AsyncIterator[AsyncConnection[DictRow]]:
        """A connection in a transaction acting as the request's principal, for the few handlers that
        must do work between SQL statements (evidence files: store the bytes before committing the row).
        Commits when the block ends, rolls back on an exception."""
        async with self.pool.connection() as conn:
            await _authenticate(conn, bearer_key(request))
            yield conn

    async def one(self, caller: Caller, query: str, params: dict[str, Any] | None = None) -> DictRow:
        rows = await self.rows(caller, query, params)
        if not rows:
            raise problem(404, "not-found", "Not found", "no such resource")
        return rows[0]


# How handlers ask for the database: `db: DB` (provided by the app factory).
DB = NamedDependency[Database]
