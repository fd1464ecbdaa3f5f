"""The Python client (app/client/) against a real server: seed 004's hub flow, sync and async, the step calls,
typed errors, and that it covers every /api/internal/ operation of the OpenAPI document."""

from __future__ import annotations

import asyncio
import uuid

import httpx
import pytest

from app.client import AsyncClient, Client, InvalidArguments, LeaseLost, NotFound, QuotaExhausted, Unavailable
from app.client.operations import operations
from app.http.agents.schemas import AgentMission, Claim

UNKNOWN = str(uuid.UUID(int=0xBEEF, version=4))
KINDS = ["health_check", "log_analysis"]


def test_seed004_hub_flow_with_the_sync_client(live_server, principals):
    with Client(live_server, principals["agent"]["key"]) as hub:
        created = hub.create_mission("Weekly outreach", "Email the partners", "high", type="persistent",
                                     conversation_id="conv-A", owner_id=principals["participant"]["id"],
                                     tasks=[{"title": "Draft"}, {"title": "Send", "depends_on": [1]}])
        assert isinstance(created, AgentMission) and created.priority_name == "high"
        assert [t.title for t in created.tasks or []] == ["Draft", "Send"]
        page = hub.list_missions(status=["active", "proposed", "assigned"])
        assert [m.id for m in page.items] == [created.id] and page.next_cursor is None
        assert page.items[0].tasks is not None  # seed 004: include_tasks defaults to true
        added = hub.add_mission_task(created.id, "Follow up", description="a week later")
        updated = hub.update_mission(created.id, priority="urgent", reason="partner asked")
        assert updated.priority_name == "urgent" and updated.tasks_total == 3
        event = hub.log_mission_event(created.id, "note", content="Drafted in conversation A")
        task = hub.update_mission_task(created.id, added.id, title="Follow up in a week")
        assert task.title == "Follow up in a week"
        resumed = hub.resume_mission(created.id, conversation_id="conv-B")
        assert [e.id for e in resumed.recent_events if e.id == event.id] == [event.id]
        fetched = hub.get_mission(created.id, include_events=1)
        assert fetched.conversation_id == "conv-A" and len(fetched.recent_events) == 1


def test_the_step_calls_with_the_async_client(live_server, principals):
    async def run() -> list[str]:
        async with AsyncClient(live_server, principals["admin"]["key"]) as admin:
            await admin.create_mission("Health", tasks=[{"title": "Baseline", "kind": "health_check"},
                                                        {"title": "Logs", "kind": "log_analysis"}],
                                       lead_agent_id=principals["agent"]["id"])
        done = []
        async with AsyncClient(live_server, principals["agent"]["key"]) as agent:
            first = await agent.claim_next_step(KINDS)
            assert isinstance(first, Claim)
            beat = await agent.heartbeat_step(first.step_id, first.lease_token)
            assert beat.expires_at >= first.expires_at
            released = await agent.release_step(first.step_id, first.lease_token)
            assert released.status == "ready"
            while (claim := await agent.claim_next_step(KINDS)) is not None:
                step = await agent.complete_step(claim.step_id, claim.lease_token, {"ok": True})
                assert step.status == "completed"
                done.append(claim.title)
            assert (await agent.check_quota("health_check")).remaining is None
        return done

    assert asyncio.run(run()) == ["Baseline", "Logs"]


def test_problems_are_typed_exceptions(live_server, principals):
    with Client(live_server, principals["admin"]["key"]) as admin:
        admin.upsert_step_kind("scrape", trusted=True, daily_quota=1)
        admin.create_mission("Scrape", tasks=[{"title": "A", "kind": "scrape"}, {"title": "B", "kind": "scrape"}],
                             lead_agent_id=principals["agent"]["id"])
    with Client(live_server, principals["agent"]["key"]) as agent, \
            Client(live_server, principals["participant"]["key"]) as participant:
        first, second = agent.list_missions().items[0].tasks or []
        claim = agent.claim_step(first.id)
        with pytest.raises(LeaseLost) as lost:
            agent.complete_step(claim.step_id, uuid.uuid4(), {})
        assert lost.value.status == 409 and lost.value.name == "lease-lost" and lost.value.detail
        agent.complete_step(claim.step_id, claim.lease_token)
        assert agent.claim_next_step(["scrape"]) is None  # the day's one claim is used
        with pytest.raises(QuotaExhausted):  # 429 quota-exhausted is not retried: it refills tomorrow
            agent.claim_step(second.id)
        with pytest.raises(NotFound) as missing:
            participant.get_mission(claim.mission_id)  # another principal's mission: not visible
        assert missing.value.status == 404
        with pytest.raises(InvalidArguments):  # refused before sending, by the server's own schema
            agent.update_mission(claim.mission_id, priority="whenever")
        with pytest.raises(InvalidArguments, match="colour"):
            agent.update_mission(claim.mission_id, colour="blue")
        with pytest.raises(InvalidArguments, match="colour"):
            agent.create_mission("Paint", tasks=[{"title": "walls", "colour": "blue"}])
        with pytest.raises(InvalidArguments, match="UUID"):
            agent.get_mission("mission-1")


def test_the_client_covers_every_agent_api_operation(shared_app):
    document = shared_app.openapi_schema.to_schema()
    served = {(method.upper(), path, op["operationId"])
              for path, item in document["paths"].items() if path.startswith("/api/internal/")
              for method, op in item.items() if method in ("get", "post", "put", "patch", "delete")}
    covered = set()
    for name, op in operations().items():
        assert getattr(Client, name) is op and getattr(AsyncClient, name) is op, name
        call = op.build(**sample_arguments(op.build))
        path = call.path
        for value in (UNKNOWN, "health_check"):
            path = path.replace(value, "{x}")
        covered.add((call.method, call.operation_id, path))
    served_shapes = {(m, op_id, _shape(p)) for m, p, op_id in served}
    assert covered == served_shapes


def _shape(path: str) -> str:
    import re
    return re.sub(r"\{[a-z_]+\}", "{x}", path)


def sample_arguments(build) -> dict:
    """Arguments that make a valid call for any builder (ids, a kind, a title, a key …)."""
    import inspect
    values = {"mission_id": UNKNOWN, "task_id": UNKNOWN, "step_id": UNKNOWN, "request_id": UNKNOWN,
              "principal_id": UNKNOWN, "lease_token": UNKNOWN, "kind": "health_check", "title": "t", "prompt": "p",
              "key": "k", "error": "e", "event_type": "note", "response": {}, "tasks": [{"title": "t"}],
              "completions": [{"step_id": UNKNOWN, "lease_token": UNKNOWN}]}
    params = inspect.signature(build).parameters
    return {n: values[n] for n, p in params.items() if p.default is inspect.Parameter.empty
            and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}


# The retry policy is about the transport, so these run against scripted answers (httpx.MockTransport); what the
# engine answers is tested above against the real server.

STEP = {"id": UNKNOWN, "missionId": UNKNOWN, "position": 1, "title": "t", "kind": "k", "status": "completed",
        "optional": False, "attempt": 1, "notBefore": None, "leasedBy": None, "leaseExpiresAt": None, "waitKey": None,
        "blockedBy": None, "blockedReason": None, "blockedSince": None, "startedAt": None, "completedAt": None}
BUSY = {"type": "https://missions.dev/problems/unavailable", "title": "Service unavailable", "status": 503,
        "detail": "busy"}


def scripted(*answers):
    """A transport answering each request with the next (status, body, headers) and recording the requests."""
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        status, body, headers = answers[len(seen)]
        seen.append(request)
        if isinstance(body, Exception):
            raise body
        return httpx.Response(status, json=body, headers=headers)

    return httpx.MockTransport(handle), seen


def test_503_and_429_are_retried_with_the_same_idempotency_key():
    rate_limited = {**BUSY, "type": "https://missions.dev/problems/rate-limited", "status": 429}
    transport, seen = scripted((503, BUSY, {}), (429, rate_limited, {"Retry-After": "0"}), (200, STEP, {}))
    with Client("http://engine", "key", transport=transport, backoff=0.001) as c:
        assert c.complete_step(UNKNOWN, UNKNOWN, {"n": 1}).status == "completed"
    keys = {r.headers["Idempotency-Key"] for r in seen}
    assert len(seen) == 3 and len(keys) == 1 and uuid.UUID(keys.pop())


def test_retries_stop_after_max_retries_and_long_retry_after():
    transport, seen = scripted(*[(503, BUSY, {})] * 3)
    with Client("http://engine", "key", transport=transport, backoff=0.001, max_retries=2) as c:
        with pytest.raises(Unavailable, match="busy"):
            c.get_mission(UNKNOWN)
    assert len(seen) == 3
    transport, seen = scripted((503, BUSY, {"Retry-After": "3600"}))
    with Client("http://engine", "key", transport=transport) as c, pytest.raises(Unavailable):
        c.get_mission(UNKNOWN)  # an hour is not worth blocking for: raised at once
    assert len(seen) == 1


def test_transport_errors_are_retried_only_when_safe():
    broken = httpx.ConnectError("refused")
    transport, seen = scripted((0, broken, {}), (200, STEP, {}))
    with Client("http://engine", "key", transport=transport, backoff=0.001) as c:
        c.complete_step(UNKNOWN, UNKNOWN)  # carries an idempotency key: safe to send again
    assert len(seen) == 2
    transport, seen = scripted((0, broken, {}), (200, STEP, {}))
    with Client("http://engine", "key", transport=transport, backoff=0.001) as c, pytest.raises(httpx.ConnectError):
        c.release_step(UNKNOWN, UNKNOWN)  # a POST without a key: the first attempt may have happened
    assert len(seen) == 1


def test_the_async_client_retries_the_same_way():
    async def run() -> int:
        seen = []

        async def handle(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return httpx.Response(503, json=BUSY) if len(seen) == 1 else httpx.Response(200, json=STEP)

        async with AsyncClient("http://engine", "key", transport=httpx.MockTransport(handle), backoff=0.001) as c:
            await c.release_step(UNKNOWN, UNKNOWN)
        return len(seen)

    assert asyncio.run(run()) == 2
