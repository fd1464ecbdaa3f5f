"""`missions mcp` with the SDK's own client, over stdio (a real subprocess) and streamable HTTP (a live server):
the tool list and schemas, seed 004's cross-conversation scenario, visibility per key, errors as tool errors."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import uuid

import httpx
import pytest
from mcp.shared.exceptions import MCPError

from app.mcp.tools import TOOLS
from tests.helpers.mcp_sessions import ROOT, call, http_session, stdio_parameters, stdio_session

SEED_004_TOOLS = {"mission_list", "mission_get", "mission_create", "mission_update", "mission_add_task",
                  "mission_update_task", "mission_log_event", "mission_resume"}
STEP_TOOLS = {"step_claim_next", "step_heartbeat", "step_complete", "step_fail", "step_release", "quota_check",
              "mission_ask_user", "step_wait_for_event"}


@pytest.fixture
def app_dsn(cluster, db) -> str:
    """The test database as the app's login (what `missions mcp` connects with)."""
    return cluster.url(db.info.dbname, user="missions_app")


def test_tool_list_and_schemas_over_http(live_server, principals):
    async def run():
        async with http_session(live_server, principals["agent"]["key"]) as session:
            return (await session.list_tools()).tools, (await session.list_resource_templates()).resource_templates

    tools, templates = asyncio.run(run())
    assert {t.name for t in tools} == SEED_004_TOOLS | STEP_TOOLS
    for tool in tools:
        assert tool.description and tool.output_schema and tool.input_schema["type"] == "object", tool.name
        assert tool.input_schema.get("additionalProperties") is False, tool.name  # unknown arguments are refused
        for name, prop in tool.input_schema["properties"].items():
            assert prop.get("description"), f"{tool.name}.{name} has no description"
    schemas = {t.name: t.input_schema for t in tools}
    assert schemas["mission_update"]["properties"]["missionId"]["format"] == "uuid"
    assert "missionId" in schemas["mission_update"]["required"]
    assert set(schemas["mission_log_event"]["properties"]["type"]["enum"]) == {
        "user_message", "agent_message", "external_event", "note"}
    assert schemas["mission_create"]["properties"]["title"]["maxLength"] == 500
    assert schemas["mission_create"]["properties"]["dueAt"]["format"] == "date-time"
    assert schemas["step_complete"]["required"] == ["leaseToken", "stepId"] or \
        set(schemas["step_complete"]["required"]) == {"leaseToken", "stepId"}
    assert [t.uri_template for t in templates] == ["mission://{id}"]


def test_cross_conversation_scenario_over_stdio(app_dsn, principals):
    """Seed 004: conversation A creates a mission with tasks; conversation B (a new process) lists missions,
    resumes it and sees its tasks and events — as a tool and as the mission:// resource."""
    agent = principals["agent"]["key"]

    async def conversation_a() -> str:
        async with stdio_session(app_dsn, agent) as a:
            failed, mission = await call(a, "mission_create", title="Plan the offsite", type="persistent",
                                         ownerId=principals["participant"]["id"], conversationId="conv-A",
                                         tasks=[{"title": "Pick a venue"}, {"title": "Book it"}])
            assert not failed, mission
            failed, event = await call(a, "mission_log_event", missionId=mission["id"], type="note",
                                       content="Venue shortlist: the lake house")
            assert not failed, event
            return mission["id"]

    async def conversation_b(mission_id: str):
        async with stdio_session(app_dsn, agent) as b:
            assert {t.name for t in (await b.list_tools()).tools} == SEED_004_TOOLS | STEP_TOOLS
            _, listed = await call(b, "mission_list")
            _, resumed = await call(b, "mission_resume", missionId=mission_id, conversationId="conv-B")
            resource = await b.read_resource(f"mission://{mission_id}")
            return listed, resumed, json.loads(resource.contents[0].text)  # type: ignore[union-attr]

    mission_id = asyncio.run(conversation_a())
    listed, resumed, resource = asyncio.run(conversation_b(mission_id))
    assert [m["id"] for m in listed["missions"]] == [mission_id]
    assert [t["title"] for t in resumed["tasks"]] == ["Pick a venue", "Book it"]
    assert any(e["payload"].get("content") == "Venue shortlist: the lake house" for e in resumed["recentEvents"])
    assert resource["id"] == mission_id and [t["title"] for t in resource["tasks"]] == ["Pick a venue", "Book it"]
    assert any(e["payload"].get("content") == "Venue shortlist: the lake house" for e in resource["recentEvents"])


def test_a_participant_key_sees_only_its_own_missions(live_server, principals):
    async def run():
        async with http_session(live_server, principals["agent"]["key"]) as agent:
            _, mine = await call(agent, "mission_create", title="For participant", ownerId=principals["participant"]["id"])
            _, theirs = await call(agent, "mission_create", title="For other", ownerId=principals["other"]["id"])
        async with http_session(live_server, principals["participant"]["key"]) as participant:
            _, listed = await call(participant, "mission_list")
            hidden = await call(participant, "mission_get", missionId=theirs["id"])
            with pytest.raises(MCPError, match="not"):
                await participant.read_resource(f"mission://{theirs['id']}")
        return mine, listed, hidden

    mine, listed, (failed, problem) = asyncio.run(run())
    assert [m["id"] for m in listed["missions"]] == [mine["id"]]
    assert failed and problem["status"] == 404 and problem["type"].endswith("/not-found")


def test_a_stale_lease_and_bad_arguments_are_tool_errors(live_server, principals):
    async def run():
        async with http_session(live_server, principals["admin"]["key"]) as admin:
            await call(admin, "mission_create", title="Health", leadAgentId=principals["agent"]["id"],
                       tasks=[{"title": "Baseline", "kind": "health_check"}])
        async with http_session(live_server, principals["agent"]["key"]) as agent:
            _, claimed = await call(agent, "step_claim_next", kinds=["health_check"])
            claim = claimed["claim"]
            stale = await call(agent, "step_complete", stepId=claim["stepId"], leaseToken=str(uuid.uuid4()))
            bad = await call(agent, "mission_update", missionId=claim["missionId"], priority="whenever")
            unknown = await call(agent, "mission_get", missionId=claim["missionId"], colour="blue")
            _, done = await call(agent, "step_complete", stepId=claim["stepId"], leaseToken=claim["leaseToken"],
                                 result={"healthy": True})
            _, nothing = await call(agent, "step_claim_next", kinds=["health_check"])
        return stale, bad, unknown, done, nothing

    stale, bad, unknown, done, nothing = asyncio.run(run())
    assert stale[0] and stale[1]["type"].endswith("/lease-lost") and stale[1]["status"] == 409 and stale[1]["detail"]
    assert bad[0] and bad[1]["status"] == 422 and "priority" in bad[1]["detail"]
    assert unknown[0] and unknown[1]["status"] == 422 and "colour" in unknown[1]["detail"]
    assert done["status"] == "completed" and nothing == {"claimed": False, "claim": None}


def test_http_without_a_valid_key_is_refused(live_server):
    initialize = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
    for headers in ({}, {"Authorization": "Bearer not-a-key"}):
        r = httpx.post(f"{live_server}/mcp", json=initialize,
                       headers={**headers, "Accept": "application/json, text/event-stream"})
        assert r.status_code == 401 and r.headers["content-type"].startswith("application/problem+json"), r.text


def test_stdio_refuses_a_missing_or_invalid_key(app_dsn):
    for key, expected in ((None, "MISSIONS_API_KEY"), ("not-a-key", "not a valid API key")):
        params = stdio_parameters(app_dsn, key)
        out = subprocess.run([sys.executable, *params.args], env=params.env, cwd=ROOT, input="",
                             capture_output=True, text=True, timeout=30)
        assert out.returncode == 1 and expected in out.stderr and out.stdout == ""


def test_every_tool_is_an_sql_api_call_of_the_role_matrix():
    """Grants stay the single authority: each tool's SQL function is one the role matrix checks per role."""
    from app import queries
    from tests.helpers.role_matrix_table import SQL

    checked = {row.function for row in SQL}
    for tool in TOOLS.values():
        source = tool.run.__code__.co_names
        used = [getattr(queries, n) for n in source if n.isupper() and hasattr(queries, n)]
        assert used, tool.name
        for query in used:
            functions = {f for f in checked if f"missions.{f}(" in query}
            assert functions, f"{tool.name}: no role-matrix function in {query[:80]}"
