"""MCP over streamable HTTP, mounted in the Litestar app at /mcp: stateless (no server-side session, so any API
process answers any request) with JSON responses. The API key travels as `Authorization: Bearer`; a request
without a valid one is answered 401 problem+json before the MCP layer sees it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Request, asgi
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.types import Receive, Scope, Send
from mcp.server.context import ServerRequestContext
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager

from app import queries
from app.http.db import Database, bearer_key
from app.mcp.server import build_server

PATH = "/mcp"
MAX_BODY_BYTES = 1024 * 1024


def _key_of(ctx: ServerRequestContext[Any, Any]) -> str:
    """The bearer key of the HTTP request behind this MCP message (checked by the mount already)."""
    request = ctx.request
    header = request.headers.get("authorization", "") if request is not None else ""
    return header.partition(" ")[2].strip()


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """Lifespan part: a session manager per app run (a manager runs once), on the app's database."""
    server = build_server(lambda: app.state.db, _key_of)
    manager = StreamableHTTPSessionManager(app=server, stateless=True, json_response=True,
                                           max_request_body_size=MAX_BODY_BYTES)
    async with manager.run():
        app.state.mcp = manager
        yield


@asgi(PATH, is_mount=True, copy_scope=True, include_in_schema=False)
async def mcp_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """The MCP endpoint: authenticate the bearer key, then hand the request to the SDK's session manager."""
    request: Request[Any, Any, Any] = Request(scope, receive)
    db: Database = request.app.state.db
    try:
        await db.rows(bearer_key(request), queries.WHOAMI)
    except ProblemDetailsException as exc:
        await exc.to_response(request).to_asgi_response(None, request)(scope, receive, send)
        return
    await request.app.state.mcp.handle_request(scope, receive, send)
