"""API fuzzing: schemathesis against the live OpenAPI document of a real uvicorn server.

Every operation is called with generated requests (valid and invalid) once per role key (participant,
admin, mentor, agent, service) and without a key, against a database seeded with real objects so that
ids sometimes hit them. Each response must pass schemathesis' checks: no 5xx, the status code and
content type are documented for the operation, and the body and headers match their documented schemas.
`make test` runs a few examples per operation; the `chaos` variant many more.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
import schemathesis
import uvicorn
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from psycopg.rows import dict_row
from pytest_postgresql.janitor import DatabaseJanitor
from schemathesis import GenerationMode, checks
from schemathesis.core.failures import FailureGroup

from app.cluster import Cluster
from app.config import Settings
from tests.helpers.engagement import assign, make_template
from tests.helpers.learning import create_template
from tests.helpers.principals import free_port, make_principal
from tests.helpers.reliability import record

ROLES = ("participant", "admin", "mentor", "agent", "service", None)
CHECKS = [checks.not_a_server_error, checks.response_schema_conformance, checks.status_code_conformance,
          checks.content_type_conformance, checks.response_headers_conformance]
FAST_EXAMPLES = 2
CHAOS_EXAMPLES = 25
FUZZ_DB = "api_fuzz"
# Generated extra headers that would break the HTTP framing itself (uvicorn answers a bad Content-Length with a
# plain-text 400 before the app sees the request): they test the HTTP server, not this API's contract.
FRAMING_HEADERS = {"content-length", "transfer-encoding", "host", "connection", "expect", "upgrade"}


@pytest.fixture(scope="module", autouse=True)
def hypothesis_home(tmp_path_factory) -> Iterator[None]:
    """Hypothesis keeps its caches in a temporary directory, not in a .hypothesis of the repository."""
    set_hypothesis_home_dir(tmp_path_factory.mktemp("hypothesis"))
    yield
    set_hypothesis_home_dir(None)


# ---- the live server -----------------------------------------------------------------------------

@dataclass
class LiveServer:
    """The app served by uvicorn on a free local port, in a background thread."""

    base_url: str
    server: uvicorn.Server
    thread: threading.Thread

    @classmethod
    def start(cls, database_url: str, evidence_dir: Path) -> LiveServer:
        from app.http.app import create_app

        # no rate limit: the fuzzer sends thousands of requests per key (the limit has its own tests)
        quiet = dataclasses.replace(Settings.from_env(), log_level="WARNING", rate_limit=None)
        app = create_app(database_url=database_url, settings=quiet, evidence_dir=evidence_dir)
        port = free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning",
                                               access_log=False, lifespan="on"))
        thread = threading.Thread(target=server.run, name="fuzz-uvicorn", daemon=True)
        thread.start()
        deadline = time.monotonic() + 30
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.05)
        return cls(base_url=f"http://127.0.0.1:{port}", server=server, thread=thread)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(30)


# ---- a database with real objects -----------------------------------------------------------------

@dataclass
class World:
    """The seeded principals (with their keys) and the ids of real objects, by parameter name."""

    keys: dict[str, str]
    ids: dict[str, list[Any]] = field(default_factory=dict)

    def add(self, name: str, *values: Any) -> None:
        self.ids.setdefault(name, []).extend(str(v) if isinstance(v, uuid.UUID) else v for v in values)


@pytest.fixture(scope="module")
def fuzz_db(engine, cluster: Cluster) -> Iterator[psycopg.Connection]:
    """A database of its own for this module (cloned from the migrated template), superuser, autocommit."""
    janitor = DatabaseJanitor(user=engine.user, host=engine.host, port=engine.port, dbname=FUZZ_DB,
                              template_dbname=engine.template_dbname, maintenance_dbname=engine.maintenance_dbname,
                              password=engine.password)
    janitor.drop()
    with janitor:
        with psycopg.connect(cluster.url(FUZZ_DB), autocommit=True, row_factory=dict_row) as conn:
            yield conn


@pytest.fixture(scope="module")
def live(fuzz_db: psycopg.Connection, cluster: Cluster, tmp_path_factory) -> Iterator[LiveServer]:
    from app.http.events import controllers as event_stream

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(event_stream, "MAX_STREAM_SECONDS", 0)  # GET /events/stream answers, then ends at once
        server = LiveServer.start(cluster.url(FUZZ_DB, user="missions_app"), tmp_path_factory.mktemp("evidence"))
        yield server
        server.stop()


def _http(live: LiveServer, key: str, method: str, path: str, **kwargs: Any) -> Any:
    r = requests.request(method, live.base_url + path, headers={"Authorization": f"Bearer {key}"}, timeout=30,
                         **kwargs)
    assert r.status_code < 300, (method, path, r.status_code, r.text)
    return r.json()


def seed_engagement(db: psycopg.Connection, world: World, people: dict[str, dict]) -> None:
    """A challenge template and one mission of the participant."""
    template = make_template(db)
    world.add("mission_id", template)
    world.add("assignment_id", assign(db, people["participant"]["id"], template)["id"])


def seed_agents(live: LiveServer, world: World, people: dict[str, dict]) -> None:
    """An ops mission of the agent and a persistent mission of the participant with a task and an input request."""
    agent = people["agent"]["key"]
    ops = _http(live, agent, "POST", "/api/internal/missions", json={
        "title": "System health", "priority": 7,
        "steps": [{"title": "Baseline", "kind": "health_check"}, {"title": "Logs", "kind": "log_analysis"}]})
    persistent = _http(live, agent, "POST", "/api/internal/missions", json={
        "type": "persistent", "title": "Schedule a meeting", "ownerId": people["participant"]["id"],
        "tasks": [{"title": "Email John"}]})
    task = persistent["tasks"][0]["id"]
    asked = _http(live, agent, "POST", f"/api/internal/missions/{persistent['id']}/input-requests",
                  json={"prompt": "Which slot?", "stepId": task, "options": ["Tue", "Wed"]})
    world.add("mission_id", ops["id"], persistent["id"])
    steps = [s["id"] for s in ops.get("tasks") or []] + [task]
    world.add("task_id", *steps)
    world.add("step_id", *steps)
    world.add("request_id", asked["id"])
    world.add("kind", "health_check", "log_analysis")


def seed_learning(db: psycopg.Connection, live: LiveServer, world: World, people: dict[str, dict]) -> None:
    """A learning template, the participant's mission on it with an evidence file, and a linked recipe."""
    template = create_template(db)
    participant, admin = people["participant"]["key"], people["admin"]["key"]
    progress = _http(live, participant, "POST", f"/api/v1/missions/{template}/start")
    mission = progress.get("missionId") or progress["id"]
    file = _http(live, participant, "POST", f"/api/v1/mission-progress/{mission}/files",
                 data={"subtask": "1"}, files={"file": ("auth.log", b"sshd: failed login\n", "text/plain")})
    _http(live, admin, "POST", "/api/v1/recipes", json={"slug": "siem-basics", "title": "SIEM basics",
                                                         "type": "technical", "skills": ["siem"]})
    _http(live, admin, "POST", "/api/v1/recipes/siem-basics/links", json={"templateId": template})
    world.add("template_id", template)
    world.add("mission_id", mission)
    world.add("file_id", file["id"])
    world.add("slug", "siem-basics")
    world.add("decision_id", "containment")
    world.add("subtask_id", 1, 2)
    world.add("subtask", 1, 2)


@pytest.fixture(scope="module")
def world(fuzz_db: psycopg.Connection, live: LiveServer) -> World:
    """One principal of each role, and real objects of every kind the API names by id."""
    people = {role: make_principal(fuzz_db, role) for role in ROLES if role}
    world = World(keys={role: p["key"] for role, p in people.items()})
    participants = [people["participant"]["id"], make_principal(fuzz_db, "participant")["id"]]
    world.add("user_id", *participants)
    world.add("participant_id", *participants)
    world.add("principal_id", *(p["id"] for p in people.values()))
    seed_engagement(fuzz_db, world, people)
    seed_agents(live, world, people)
    seed_learning(fuzz_db, live, world, people)
    return world


@pytest.fixture(scope="module")
def live_schema(live: LiveServer, world: World) -> schemathesis.BaseSchema:
    """The OpenAPI document as the live server serves it (once the world is seeded)."""
    return schemathesis.openapi.from_url(f"{live.base_url}/schema/openapi.json")


# ---- fuzzing -------------------------------------------------------------------------------------

@dataclass
class Findings:
    """Check failures by (operation, failure kind, status), with one example each."""

    seen: dict[tuple[str, str, int], str] = field(default_factory=dict)
    calls: int = 0
    hits: int = 0  # 2xx answers to requests that name an object by id: the seeded objects were reached

    def add(self, operation: str, kind: str, status: int, example: str) -> None:
        self.seen.setdefault((operation, kind, status), example)

    def report(self) -> str:
        found = sorted(self.seen.items())
        summary = "\n".join(f"  {op} -> {status}: {kind}" for (op, kind, status), _ in found)
        examples = "\n\n".join(f"{op} -> {status}: {kind}\n{example}" for (op, kind, status), example in found)
        return f"{len(found)} distinct failures:\n{summary}\n\n{examples}"


def use_real_ids(case: schemathesis.Case, world: World, draw: Callable[[st.SearchStrategy], Any]) -> None:
    """Replace generated ids by ids of seeded objects about half the time, so requests reach real rows."""
    for container in (case.path_parameters, case.query):
        for name in list(container or {}):
            if name in world.ids and draw(st.booleans()):
                container[name] = draw(st.sampled_from(world.ids[name]))


def call(case: schemathesis.Case, base_url: str, key: str | None, findings: Findings,
         session: requests.Session) -> None:
    """Send one case with the role's key (or none) and record every failed check."""
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    for name in list(case.headers or {}):
        if name.lower() in FRAMING_HEADERS or (not key and name.lower() == "authorization"):
            del case.headers[name]
    findings.calls += 1
    response = case.call(base_url=base_url, session=session, headers=headers, timeout=30)
    if response.status_code < 300 and case.path_parameters:
        findings.hits += 1
    try:
        case.validate_response(response, checks=CHECKS, headers=headers,
                               transport_kwargs={"base_url": base_url, "session": session, "headers": headers})
    except FailureGroup as group:
        for failure in group.exceptions:
            findings.add(case.operation.label, failure.title, response.status_code, str(group)[:3000])


def fuzz_operation(operation: schemathesis.APIOperation, world: World, base_url: str, key: str | None,
                   examples: int, findings: Findings, session: requests.Session, derandomize: bool) -> None:
    """Generate `examples` valid and `examples` invalid requests for one operation and check each response."""
    for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
        strategy = operation.as_strategy(generation_mode=mode)

        @settings(max_examples=examples, database=None, deadline=None, derandomize=derandomize,
                  phases=[Phase.generate], suppress_health_check=list(HealthCheck), report_multiple_bugs=False)
        @given(case=strategy, data=st.data())
        def run(case: schemathesis.Case, data: st.DataObject) -> None:
            use_real_ids(case, world, data.draw)
            call(case, base_url, key, findings, session)

        try:
            run()
        except Unsatisfiable:  # nothing to make invalid (no parameters, no body) is fine
            if mode is GenerationMode.POSITIVE:
                findings.add(operation.label, "no valid request can be generated", 0, "")
        except Exception as exc:  # noqa: BLE001 - a generation problem is a finding too
            findings.add(operation.label, f"{type(exc).__name__} ({mode.value})", 0, str(exc)[:2000])


def fuzz(schema: schemathesis.BaseSchema, world: World, base_url: str, role: str | None, examples: int,
         derandomize: bool) -> Findings:
    findings = Findings()
    key = world.keys[role] if role else None
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            fuzz_operation(operation, world, base_url, key, examples, findings, session, derandomize)
    return findings


@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no-key")
def test_every_operation_conforms_to_the_openapi_for_each_role(live_schema, live, world, role):
    """For each role's key and no key, a few generated requests per operation: never a 5xx, and every
    status code, content type, body and header is what the OpenAPI document says."""
    findings = fuzz(live_schema, world, live.base_url, role, FAST_EXAMPLES, derandomize=True)
    assert findings.calls > 0 and (findings.hits > 0 or role is None)
    assert not findings.seen, findings.report()
    keep_figures("api_fuzz_small", live_schema, role, findings)


@pytest.mark.chaos
@pytest.mark.parametrize("role", ROLES, ids=lambda r: r or "no-key")
def test_every_operation_conforms_under_many_examples(live_schema, live, world, role):
    """The same contract with many more (random) examples per operation and role."""
    findings = fuzz(live_schema, world, live.base_url, role, CHAOS_EXAMPLES, derandomize=False)
    assert not findings.seen, findings.report()
    keep_figures("api_fuzz", live_schema, role, findings)


def keep_figures(name: str, schema: schemathesis.BaseSchema, role: str | None, findings: Findings) -> None:
    """One line per role in the figures of docs/reliability.md (written only when every check passed)."""
    operations = sum(1 for _ in schema.get_all_operations())
    record(name, {role or "no key": f"{operations} operations, {findings.calls} requests, "
                                    f"{findings.hits} reached a seeded object, no 5xx, no failed check"}, merge=True)
