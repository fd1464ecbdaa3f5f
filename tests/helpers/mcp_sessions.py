"""MCP client sessions for the tests, with the SDK's own client: over stdio (a real `missions mcp` subprocess)
and over streamable HTTP (a live server's /mcp), plus a tool call that returns (is_error, structured or text)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from mcp import ClientSession
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client

ROOT = Path(__file__).resolve().parents[2]


def stdio_parameters(database_url: str, api_key: str | None) -> StdioServerParameters:
    env = {"PYTHONPATH": str(ROOT), "MISSIONS_DATABASE_URL": database_url, "PATH": os.environ.get("PATH", "")}
    if api_key is not None:
        env["MISSIONS_API_KEY"] = api_key
    return StdioServerParameters(command=sys.executable, args=["-m", "app.cli", "mcp"], env=env, cwd=str(ROOT))


@asynccontextmanager
async def stdio_session(database_url: str, api_key: str) -> AsyncIterator[ClientSession]:
    """A conversation with a fresh `missions mcp` process acting as `api_key`."""
    async with stdio_client(stdio_parameters(database_url, api_key)) as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        yield session


@asynccontextmanager
async def http_session(base_url: str, api_key: str) -> AsyncIterator[ClientSession]:
    """A conversation with the live server's /mcp acting as `api_key`."""
    async with create_mcp_http_client(headers={"Authorization": f"Bearer {api_key}"}) as http, \
            streamable_http_client(f"{base_url}/mcp", http_client=http) as (read, write), \
            ClientSession(read, write) as session:
        await session.initialize()
        yield session


async def call(session: ClientSession, tool: str, **arguments: Any) -> tuple[bool, Any]:
    """(is_error, structured content) of a tool call; for an error, its problem document (the JSON line)."""
    result = await session.call_tool(tool, arguments)
    if result.is_error:
        text = result.content[0].text  # type: ignore[union-attr]
        return True, json.loads(text.split("\n", 1)[1])
    return False, result.structured_content
