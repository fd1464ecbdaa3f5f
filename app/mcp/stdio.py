"""`missions mcp`: the MCP server over stdio for one API key (MISSIONS_API_KEY), on its own small pool."""

from __future__ import annotations

from mcp.server.stdio import stdio_server

from app import queries
from app.http.db import Database, make_pool
from app.mcp.server import build_server

POOL_SIZE = 2  # one conversation's calls arrive one at a time


class KeyRefused(Exception):
    """The API key is not valid (unknown, revoked, or its principal inactive)."""


async def serve(url: str, api_key: str, statement_timeout_ms: int = 5000) -> None:
    """Check the key, then serve MCP on stdin/stdout until the client closes it."""
    pool = make_pool(url, POOL_SIZE, timeout=5.0, statement_timeout_ms=statement_timeout_ms)
    await pool.open()
    try:
        db = Database(pool)
        async with pool.connection() as conn:
            if await (await conn.execute(queries.AUTHENTICATE, {"key": api_key, "traceparent": ""})).fetchone() is None:
                raise KeyRefused("MISSIONS_API_KEY is not a valid API key (unknown, revoked or deactivated)")
        server = build_server(lambda: db, lambda ctx: api_key)
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())
    finally:
        await pool.close()
