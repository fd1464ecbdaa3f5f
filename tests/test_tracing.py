"""Traces across processes, with an in-memory exporter: the request that creates a mission stores its trace
context; the requests that claim and complete its steps, and the agent loop's span for a step (a client of the
API, as in another process), link back to it; SQL calls are child spans of their request."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from litestar.testing import TestClient
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from app import tracing
from app.agent.worker import Worker
from app.client import AsyncClient
from tests.helpers.live_server import serve
from tests.helpers.principals import bearer


@pytest.fixture
def spans() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.use(provider)
    yield exporter
    tracing.stop()


@pytest.fixture
def traced_app(db, cluster, spans):
    from app.http.app import create_app

    return create_app(database_url=cluster.url(db.info.dbname, user="missions_app"))


def request_span(exporter: InMemorySpanExporter, method: str, path_part: str) -> ReadableSpan:
    found = [s for s in exporter.get_finished_spans()
             if s.kind.name == "SERVER" and s.attributes and s.attributes.get("http.method") == method
             and path_part in str(s.attributes.get("http.target", s.attributes.get("http.route", "")))]
    assert found, [(s.name, dict(s.attributes or {})) for s in exporter.get_finished_spans() if s.kind.name == "SERVER"]
    return found[-1]


def linked_traces(span: ReadableSpan) -> set[int]:
    return {link.context.trace_id for link in span.links}


def test_claims_and_completions_link_back_to_the_request_that_created_the_mission(db, principals, spans, traced_app):
    admin, agent = bearer(principals["admin"]), bearer(principals["agent"])
    with TestClient(traced_app) as client:
        made = client.post("/api/internal/missions", headers=admin, json={
            "title": "Traced", "leadAgentId": principals["agent"]["id"],
            "steps": [{"title": "one", "kind": "health_check"}, {"title": "two", "kind": "health_check"}]})
        assert made.status_code == 201, made.text
        creation = request_span(spans, "POST", "/api/internal/missions")
        trace_id = creation.context.trace_id
        stored = db.execute("select trace_context from missions_private.missions where id = %s",
                            (made.json()["id"],)).fetchone()["trace_context"]
        assert stored.split("-")[1] == f"{trace_id:032x}"

        claim = client.post("/api/internal/steps/claim-next", headers=agent, json={"kinds": ["health_check"]}).json()
        assert claim["traceContext"] == stored
        assert trace_id in linked_traces(request_span(spans, "POST", "claim-next"))
        done = client.post(f"/api/internal/steps/{claim['stepId']}/complete", headers=agent,
                           json={"leaseToken": claim["leaseToken"], "result": {}})
        assert done.status_code == 200
        completion = request_span(spans, "POST", "/complete")
        assert trace_id in linked_traces(completion) and completion.context.trace_id != trace_id

    sql = [s for s in spans.get_finished_spans() if s.attributes and s.attributes.get("db.system") == "postgresql"]
    assert any(s.context.trace_id == trace_id and s.parent is not None for s in sql)  # SQL under the request

    # the agent loop (a client over HTTP, as in its own process) links its span for the step too
    with serve(traced_app) as url:
        async def one_step() -> None:
            async with AsyncClient(url, principals["agent"]["key"]) as api:
                worker = Worker(api, {"health_check": lambda job: (worker.stop(), {"ok": True})[1]})
                await asyncio.wait_for(worker.run(), 10)

        asyncio.run(one_step())
    [step] = [s for s in spans.get_finished_spans() if s.name == "agent.step health_check"]
    assert trace_id in linked_traces(step)


def test_tracing_off_stores_no_context_and_links_nothing(db, principals, client):
    made = client.post("/api/internal/missions", headers=bearer(principals["admin"]),
                       json={"title": "Untraced", "steps": [{"title": "one", "kind": "health_check"}]})
    assert db.execute("select trace_context from missions_private.missions where id = %s",
                      (made.json()["id"],)).fetchone()["trace_context"] is None
    assert tracing.links("00-zz") == [] and tracing.current_traceparent() == ""
    db.execute("select set_config('missions.traceparent', 'not a traceparent', false)")
    forged = db.execute("select missions.create_agent_mission('{\"title\": \"x\", \"steps\": []}'::jsonb) as id"
                        ).fetchone()["id"]
    assert db.execute("select trace_context from missions_private.missions where id = %s",
                      (forged,)).fetchone()["trace_context"] is None  # a malformed value is not stored


def test_the_worker_traces_each_event_it_handles(db, cluster, spans):
    from app import worker
    from tests.helpers.engagement import new_mission

    queue = worker.open_queue(cluster.url(db.info.dbname, user="missions_app"))
    try:
        new_mission(db)
        assert worker.process(queue, wait_seconds=0) == 1
    finally:
        queue.pool.close()
    assert [s.name for s in spans.get_finished_spans() if s.name.startswith("worker.event")] == \
        ["worker.event mission.created"]
