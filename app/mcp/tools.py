"""The MCP tools: each is one SQL API call (app/queries.py) under the caller's API key, with the same request
and response structs as its HTTP twin (app/http/agents/). Arguments are those structs plus the ids the HTTP
path carries; results are the documents the HTTP API answers (camelCase), as structured content."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from app import queries
from app.http import paging
from app.http.agents import schemas as s
from app.http.codec import from_row, load, spec, to_json
from app.http.db import Database
from app.http.schemas import Body, Out

Statuses = Literal["active", "proposed", "assigned", "in_progress", "waiting", "paused", "completed", "failed",
                   "cancelled", "expired"]
EventCount = Annotated[int, Meta(ge=0, le=500)]


# --- arguments: the HTTP bodies plus the ids of the HTTP path ------------------------------------------------

class MissionListArgs(Body, kw_only=True):
    statuses: Annotated[list[Statuses], Meta(max_length=10)] | None = None
    priorities: Annotated[list[Literal["low", "normal", "high", "urgent"]], Meta(max_length=4)] | None = None
    include_tasks: bool = True
    include_recent_events: EventCount = 0
    limit: Annotated[int, Meta(ge=1, le=paging.MAX_LIMIT)] = 20
    cursor: Annotated[str, Meta(min_length=1, max_length=paging.MAX_CURSOR_LENGTH, pattern="^[A-Za-z0-9_-]+$")] | None = None


class MissionGetArgs(Body, kw_only=True):
    mission_id: UUID
    include_recent_events: EventCount = 5


class MissionUpdateArgs(s.AgentMissionPatch, kw_only=True):
    mission_id: UUID


class MissionAddTaskArgs(s.NewTask, kw_only=True):
    mission_id: UUID


class MissionUpdateTaskArgs(s.TaskPatch, kw_only=True):
    mission_id: UUID
    task_id: UUID


class MissionLogEventArgs(s.NewMissionEvent, kw_only=True):
    mission_id: UUID


class MissionResumeArgs(s.Resumption, kw_only=True):
    mission_id: UUID


class MissionAskUserArgs(s.NewInputRequest, kw_only=True):
    mission_id: UUID


class StepLeaseArgs(s.Lease, kw_only=True):
    step_id: UUID


class StepCompleteArgs(s.Completion, kw_only=True):
    step_id: UUID
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class StepFailArgs(s.Failure, kw_only=True):
    step_id: UUID


class QuotaArgs(Body, kw_only=True):
    kind: Annotated[str, Meta(min_length=1, max_length=63)]


class StepWaitArgs(s.Wait, kw_only=True):
    mission_id: UUID
    task_id: UUID


# --- results that are not a single HTTP struct -----------------------------------------------------------------

class MissionPage(Out):
    missions: list[s.AgentMission]
    next_cursor: str | None


class ClaimResult(Out):
    """`claimed` false: nothing is claimable now (try again later)."""
    claimed: bool
    claim: s.Claim | None


Run = Callable[[Database, str, Any], Awaitable[msgspec.Struct]]


@dataclass(frozen=True)
class Tool:
    name: str
    description: str
    args: type[msgspec.Struct]
    result: type[msgspec.Struct]
    run: Run
    read_only: bool = False
    idempotent: bool = False


def body(args: msgspec.Struct, *ids: str) -> str:
    """The SQL spec of a tool's arguments without the path ids (JSON text)."""
    fields = spec(args)
    for name in ids:
        fields.pop(name, None)
    return to_json(fields)


async def mission_list(db: Database, key: str, a: MissionListArgs) -> MissionPage:
    rows = await db.rows(key, queries.LIST_AGENT_MISSIONS, {
        "statuses": a.statuses, "priorities": a.priorities, "include_tasks": a.include_tasks,
        "recent_events": a.include_recent_events, **paging.params(a.limit, a.cursor)})
    missions = [load(s.AgentMission, r["mission"]) for r in rows]
    if not a.include_tasks:
        missions = [msgspec.structs.replace(m, tasks=None) for m in missions]
    return MissionPage(missions=missions, next_cursor=paging.next_cursor(rows, a.limit))


async def mission_get(db: Database, key: str, a: MissionGetArgs) -> s.AgentMission:
    row = await db.one(key, queries.AGENT_MISSION, {"id": a.mission_id, "recent_events": a.include_recent_events})
    return load(s.AgentMission, row["mission"])


async def mission_create(db: Database, key: str, a: s.NewAgentMission) -> s.AgentMission:
    return load(s.AgentMission, (await db.one(key, queries.CREATE_AGENT_MISSION, {"spec": body(a)}))["mission"])


async def mission_update(db: Database, key: str, a: MissionUpdateArgs) -> s.AgentMission:
    row = await db.one(key, queries.UPDATE_AGENT_MISSION, {"id": a.mission_id, "spec": body(a, "mission_id")})
    return load(s.AgentMission, row["mission"])


async def mission_add_task(db: Database, key: str, a: MissionAddTaskArgs) -> s.Step:
    return from_row(s.Step, await db.one(key, queries.ADD_TASK, {"id": a.mission_id, "spec": body(a, "mission_id")}))


async def mission_update_task(db: Database, key: str, a: MissionUpdateTaskArgs) -> s.Step:
    return from_row(s.Step, await db.one(key, queries.UPDATE_TASK, {
        "id": a.mission_id, "task_id": a.task_id, "spec": body(a, "mission_id", "task_id")}))


async def mission_log_event(db: Database, key: str, a: MissionLogEventArgs) -> s.EventId:
    fields = spec(a)
    fields.pop("mission_id")
    payload, kind = fields.pop("payload", {}), fields.pop("type")
    row = await db.one(key, queries.LOG_MISSION_EVENT, {
        "id": a.mission_id, "type": kind, "payload": to_json({**payload, **fields})})
    return s.EventId(id=row["id"])


async def mission_resume(db: Database, key: str, a: MissionResumeArgs) -> s.AgentMission:
    row = await db.one(key, queries.RESUME_MISSION, {
        "id": a.mission_id, "recent_events": a.recent_events, "conversation_id": a.conversation_id})
    return load(s.AgentMission, row["mission"])


async def mission_ask_user(db: Database, key: str, a: MissionAskUserArgs) -> s.InputRequest:
    fields = spec(a)
    for name in ("mission_id", "prompt", "step_id"):
        fields.pop(name, None)
    return from_row(s.InputRequest, await db.one(key, queries.REQUEST_INPUT, {
        "id": a.mission_id, "step_id": a.step_id, "prompt": a.prompt, "spec": to_json(fields)}))


async def step_claim_next(db: Database, key: str, a: s.ClaimNext) -> ClaimResult:
    rows = await db.rows(key, queries.CLAIM_NEXT, {"kinds": a.kinds})
    return ClaimResult(claimed=bool(rows), claim=from_row(s.Claim, rows[0]) if rows else None)


async def step_heartbeat(db: Database, key: str, a: StepLeaseArgs) -> s.Claim:
    return from_row(s.Claim, await db.one(key, queries.HEARTBEAT, {"step_id": a.step_id, "lease_token": a.lease_token}))


async def step_complete(db: Database, key: str, a: StepCompleteArgs) -> s.Step:
    return from_row(s.Step, await db.one(key, queries.COMPLETE_STEP, {
        "step_id": a.step_id, "lease_token": a.lease_token, "result": to_json(a.result),
        "idempotency_key": a.idempotency_key}))


async def step_fail(db: Database, key: str, a: StepFailArgs) -> s.Step:
    return from_row(s.Step, await db.one(key, queries.FAIL_STEP, {
        "step_id": a.step_id, "lease_token": a.lease_token, "error": a.error, "retryable": a.retryable}))


async def step_release(db: Database, key: str, a: StepLeaseArgs) -> s.Step:
    return from_row(s.Step, await db.one(key, queries.RELEASE_STEP, {"step_id": a.step_id, "lease_token": a.lease_token}))


async def quota_check(db: Database, key: str, a: QuotaArgs) -> s.Quota:
    return from_row(s.Quota, await db.one(key, queries.CHECK_QUOTA, {"kind": a.kind}))


async def step_wait_for_event(db: Database, key: str, a: StepWaitArgs) -> s.Step:
    return from_row(s.Step, await db.one(key, queries.WAIT_FOR_EVENT, {
        "id": a.mission_id, "task_id": a.task_id, "key": a.key}))


TOOLS: dict[str, Tool] = {t.name: t for t in (
    Tool("mission_list", "List the missions you may see, across conversations: by priority, then newest. Filter by "
         "statuses and priorities; page with cursor. Twin of GET /api/internal/missions.",
         MissionListArgs, MissionPage, mission_list, read_only=True, idempotent=True),
    Tool("mission_get", "Get one mission with its tasks and its most recent events. "
         "Twin of GET /api/internal/missions/{id}.", MissionGetArgs, s.AgentMission, mission_get,
         read_only=True, idempotent=True),
    Tool("mission_create", "Create a mission with its plan of tasks. It is approved at once when every task's kind is "
         "trusted, else it waits as proposed for a person. Twin of POST /api/internal/missions.",
         s.NewAgentMission, s.AgentMission, mission_create),
    Tool("mission_update", "Change a mission's status, priority, title, description, deadline or blocker. "
         "Twin of PATCH /api/internal/missions/{id}.", MissionUpdateArgs, s.AgentMission, mission_update),
    Tool("mission_add_task", "Add a task to a mission's plan. Twin of POST /api/internal/missions/{id}/tasks.",
         MissionAddTaskArgs, s.Step, mission_add_task),
    Tool("mission_update_task", "Change a task of a persistent mission: status, result, title or blocker. "
         "Twin of PATCH /api/internal/missions/{id}/tasks/{taskId}.", MissionUpdateTaskArgs, s.Step,
         mission_update_task),
    Tool("mission_log_event", "Log a message or an event on a mission (it shows in the mission's recent events "
         "for every later conversation). Twin of POST /api/internal/missions/{id}/events.",
         MissionLogEventArgs, s.EventId, mission_log_event),
    Tool("mission_resume", "Resume a mission in this conversation: returns the mission, its tasks and recent events, "
         "and records the resumption. Twin of POST /api/internal/missions/{id}/resume.",
         MissionResumeArgs, s.AgentMission, mission_resume),
    Tool("mission_ask_user", "Ask a person a question: the task (if given) waits until they answer (answers arrive "
         "in the mission's events). Twin of POST /api/internal/missions/{id}/input-requests.",
         MissionAskUserArgs, s.InputRequest, mission_ask_user),
    Tool("step_claim_next", "Claim the highest-priority step you may work on (of the given kinds). Keep the lease "
         "token: heartbeat before the lease expires, then complete, fail or release. `claimed` false: nothing "
         "is claimable now. Twin of POST /api/internal/steps/claim-next.", s.ClaimNext, ClaimResult,
         step_claim_next),
    Tool("step_heartbeat", "Extend the lease of a step you hold. A lease-lost error means another claim took it over: "
         "stop working on it. Twin of POST /api/internal/steps/{id}/heartbeat.", StepLeaseArgs, s.Claim,
         step_heartbeat),
    Tool("step_complete", "Complete a step you hold, with its result. Twin of POST /api/internal/steps/{id}/complete.",
         StepCompleteArgs, s.Step, step_complete),
    Tool("step_fail", "Report that a step you hold failed; retried later with backoff while attempts remain "
         "(unless retryable is false). Twin of POST /api/internal/steps/{id}/fail.", StepFailArgs, s.Step,
         step_fail),
    Tool("step_release", "Give back a step you hold without an outcome: it is claimable again at once. "
         "Twin of POST /api/internal/steps/{id}/release.", StepLeaseArgs, s.Step, step_release),
    Tool("quota_check", "How many steps of a kind you may still claim today (null: unlimited). "
         "Twin of GET /api/internal/quotas/{kind}.", QuotaArgs, s.Quota, quota_check, read_only=True,
         idempotent=True),
    Tool("step_wait_for_event", "Make a task of a mission wait for an external event with this key (e.g. an email "
         "reply); it becomes ready when the event is delivered. "
         "Twin of POST /api/internal/missions/{id}/tasks/{taskId}/wait.", StepWaitArgs, s.Step, step_wait_for_event),
)}
