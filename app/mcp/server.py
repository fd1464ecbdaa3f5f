"""The MCP server: the tools of app/mcp/tools.py and the `mission://{id}` resource on the SDK's low-level
server. A tool call decodes its arguments with the tool's msgspec struct (as HTTP decodes a body), makes its
one SQL call under the caller's key, and answers the result as structured content; a refusal (a SQLSTATE, a
bad argument, a bad key) is a tool error carrying the same problem document (type, title, status, detail) as
the HTTP API would answer."""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from typing import Any
from uuid import UUID

import mcp_types as types
import msgspec
import psycopg
from litestar.plugins.problem_details import ProblemDetailsException
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel import Server
from mcp.shared.exceptions import MCPError

from app import queries
from app.http.agents.schemas import AgentMission
from app.http.codec import load
from app.http.db import Database
from app.http.errors import PROBLEM_BASE, from_database_error, problem
from app.mcp.schemas import object_schema
from app.mcp.tools import TOOLS, Tool

NAME = "missions"
INSTRUCTIONS = ("The mission engine's agent tools. Missions persist across conversations: list them with "
                "mission_list, load one with mission_resume (or read the resource mission://{id}), log what matters "
                "with mission_log_event. Workers claim steps with step_claim_next, keep the lease with "
                "step_heartbeat and finish with step_complete, step_fail or step_release.")
MISSION_URI = re.compile(r"^mission://([0-9a-fA-F-]{36})$")
RESOURCE_EVENTS = 20  # recent events in a mission:// resource
ResourceKey = Callable[[ServerRequestContext[Any, Any]], str]


def problem_of(exc: Exception) -> dict[str, Any]:
    """The problem document (RFC 9457 fields) for a refused call, as the HTTP API would answer it."""
    if isinstance(exc, psycopg.Error):
        exc = from_database_error(exc)
    if isinstance(exc, msgspec.ValidationError):
        exc = problem(422, "validation", "Invalid input", str(exc))
    if not isinstance(exc, ProblemDetailsException):
        raise exc
    return {"type": exc.type_, "title": exc.title, "status": exc.status_code, "detail": exc.detail,
            **(exc.extra if isinstance(exc.extra, dict) else {})}


def tool_error(document: dict[str, Any]) -> types.CallToolResult:
    """A tool error a model can read (first line) and a program can parse (the JSON problem after it)."""
    name = str(document.get("type", "")).removeprefix(PROBLEM_BASE)
    text = f"{name}: {document.get('title')} — {document.get('detail')}\n{json.dumps(document, default=str)}"
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def tool_definition(tool: Tool) -> types.Tool:
    return types.Tool(
        name=tool.name, description=tool.description, input_schema=object_schema(tool.args),
        output_schema=object_schema(tool.result, describe=False),
        annotations=types.ToolAnnotations(read_only_hint=tool.read_only, idempotent_hint=tool.idempotent,
                                          destructive_hint=False, open_world_hint=False))


@functools.cache
def tool_definitions() -> list[types.Tool]:
    """The tools as MCP lists them (built once per process: the schemas take ~20 ms)."""
    return [tool_definition(t) for t in TOOLS.values()]


def build_server(database: Callable[[], Database], key_of: ResourceKey) -> Server[Any]:
    """The MCP server; `database()` gives the pool's handle, `key_of(ctx)` the caller's API key."""
    definitions = tool_definitions()

    async def list_tools(ctx: ServerRequestContext[Any, Any], params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(tools=definitions)

    async def call_tool(ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams) -> types.CallToolResult:
        tool = TOOLS.get(params.name)
        if tool is None:
            return tool_error({"type": PROBLEM_BASE + "not-found", "title": "Unknown tool", "status": 404,
                               "detail": f"no tool named {params.name!r}"})
        try:
            args = msgspec.convert(params.arguments or {}, tool.args)
            result = msgspec.to_builtins(await tool.run(database(), key_of(ctx), args))
        except (psycopg.Error, msgspec.ValidationError, ProblemDetailsException) as exc:
            return tool_error(problem_of(exc))
        return types.CallToolResult(content=[types.TextContent(type="text", text=json.dumps(result))],
                                    structured_content=result)

    async def list_templates(ctx: ServerRequestContext[Any, Any], params: Any) -> types.ListResourceTemplatesResult:
        return types.ListResourceTemplatesResult(resource_templates=[types.ResourceTemplate(
            name="mission", uri_template="mission://{id}", mime_type="application/json",
            description="A mission's resume context: the mission, its tasks and its recent events (read-only).")])

    async def read_resource(ctx: ServerRequestContext[Any, Any],
                            params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        match = MISSION_URI.match(str(params.uri))
        if match is None:
            raise MCPError(types.INVALID_PARAMS, f"unknown resource {params.uri}: expected mission://<uuid>")
        try:
            row = await database().one(key_of(ctx), queries.AGENT_MISSION,
                                       {"id": UUID(match.group(1)), "recent_events": RESOURCE_EVENTS})
        except (psycopg.Error, ProblemDetailsException, ValueError) as exc:
            document = problem_of(exc if not isinstance(exc, ValueError) else msgspec.ValidationError(str(exc)))
            raise MCPError(types.INVALID_PARAMS, f"{document['title']}: {document['detail']}", document) from None
        mission = msgspec.to_builtins(load(AgentMission, row["mission"]))
        return types.ReadResourceResult(contents=[types.TextResourceContents(
            uri=str(params.uri), mime_type="application/json", text=json.dumps(mission))])

    return Server(NAME, version="0.1.0", instructions=INSTRUCTIONS, on_list_tools=list_tools,
                  on_call_tool=call_tool, on_list_resource_templates=list_templates, on_read_resource=read_resource)
