"""The agent API (seed 004's /api/internal/missions… plus claims, quotas, human input and external
events). Every route needs a key; agents see the missions they may work on, users their own."""

from __future__ import annotations

from uuid import UUID

import msgspec
from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.exceptions import ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import JSONBody, Parameter

from app import queries, tracing
from app.http import paging
from app.http.agents.aliases import AliasRequest
from app.http.agents.schemas import (
    AgentMission,
    AgentMissionPatch,
    Approval,
    Claim,
    ClaimBatch,
    ClaimNext,
    Completion,
    CompletionBatch,
    CompletionOutcome,
    Delivery,
    EventId,
    ExternalEvent,
    Failure,
    InputCancel,
    InputRequest,
    InputResponse,
    Lease,
    NewAgentMission,
    NewInputRequest,
    NewMissionEvent,
    NewTask,
    Quota,
    RecentMission,
    Replan,
    Resumption,
    Reviewer,
    Step,
    StepKind,
    StepKindSpec,
    TaskBlock,
    TaskPatch,
    TaskUnblock,
    Wait,
)
from app.http.codec import from_row, load, spec, to_json
from app.http.db import DB
from app.http.openapi import BEARER, IdempotencyKey, problems

MissionId = Parameter(title="Mission id")
InputRequestPage = paging.page_of(InputRequest)
StepKindPage = paging.page_of(StepKind)
ReviewerPage = paging.page_of(Reviewer)
TaskId = Parameter(title="Task (step) id")
StepId = Parameter(title="Step id")
ReviewKind = Parameter(title="Review step kind (ai_review, mentor_review)", max_length=63)
ReviewerId = Parameter(title="Principal id of the reviewer")


def csv(value: str | None) -> list[str] | None:
    return [v.strip() for v in value.split(",") if v.strip()] if value else None


class AgentMissionController(Controller):
    path = "/api/internal/missions"
    tags = ["agents: missions"]
    security = BEARER
    request_class = AliasRequest  # bodies also in seed 004's snake_case (app/http/agents/aliases.py)

    @get("/", operation_id="listAgentMissions", summary="Missions the caller may see, by priority then newest (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def list_missions(
        self, request: Request, db: DB,
        status: str | None = Parameter(default=None, max_length=500,
                                       description="Comma-separated statuses, e.g. active,waiting; `active` is "
                                                   "every running state (assigned, in_progress), as seed 004 means"),
        priority: str | None = Parameter(default=None, description="Comma-separated: low, normal, high, urgent"),
        include_tasks: bool = Parameter(default=False),
        include_recent_events: int = Parameter(default=0, ge=0, le=500),
        limit: int = paging.Limit, cursor: str | None = paging.Cursor,
    ) -> Response[list[AgentMission]]:
        rows = await db.rows(request, queries.LIST_AGENT_MISSIONS, {
            "statuses": csv(status), "priorities": csv(priority), "include_tasks": include_tasks,
            "recent_events": include_recent_events, **paging.params(limit, cursor)})
        missions = [load(AgentMission, r["mission"]) for r in rows]
        missions = missions if include_tasks else [msgspec.structs.replace(m, tasks=None) for m in missions]
        return paging.array(request, missions, rows, limit)

    @post("/", operation_id="createAgentMission", summary="Create an ops or persistent mission",
          description="Auto-approved when every step kind is trusted, else proposed. Without `type`, a mission "
                      "for a user (`ownerId`, seed 004's `user_id`, or created by a user) is persistent, else ops. "
                      "Seed 004's example body `{\"title\", \"user_id\", \"agent_id\", \"conversation_id\"}` "
                      "is accepted as written.",
          responses=problems(401, 403, 404, 422))
    async def create(self, request: Request, db: DB, data: JSONBody[NewAgentMission]) -> AgentMission:
        row = await db.one(request, queries.CREATE_AGENT_MISSION, {"spec": to_json(spec(data))})
        return load(AgentMission, row["mission"])

    @get("/recent", operation_id="listRecentAgentMissions",
         summary="The last finished missions the caller may see: duration, outcome, task counts (newest first)",
         responses=problems(401, 403, 422))
    async def recent(self, request: Request, db: DB,
                     limit: int = Parameter(default=10, ge=1, le=100)) -> list[RecentMission]:
        rows = await db.rows(request, queries.RECENT_AGENT_MISSIONS, {"limit": limit})
        return [from_row(RecentMission, r) for r in rows]

    @get("/{mission_id:uuid}", operation_id="getAgentMission", summary="A mission with tasks and recent events",
         responses=problems(401, 403, 404, 422))
    async def get_mission(self, request: Request, db: DB, mission_id: UUID = MissionId,
                          include_recent_events: int = Parameter(default=5, ge=0, le=500)) -> AgentMission:
        row = await db.one(request, queries.AGENT_MISSION, {"id": mission_id, "recent_events": include_recent_events})
        return load(AgentMission, row["mission"])

    @patch("/{mission_id:uuid}", operation_id="updateAgentMission", summary="Update status, priority, blocker …",
           responses=problems(401, 403, 404, 409, 422))
    async def update(self, request: Request, db: DB, data: JSONBody[AgentMissionPatch],
                     mission_id: UUID = MissionId) -> AgentMission:
        row = await db.one(request, queries.UPDATE_AGENT_MISSION, {"id": mission_id, "spec": to_json(spec(data))})
        return load(AgentMission, row["mission"])

    @post("/{mission_id:uuid}/approve", operation_id="approveAgentMission", status_code=200,
          summary="A person approves a proposed mission", responses=problems(401, 403, 404, 409))
    async def approve(self, request: Request, db: DB, data: JSONBody[Approval | None] = None,
                      mission_id: UUID = MissionId, idempotency_key: IdempotencyKey = None) -> AgentMission:
        row = await db.one(request, queries.APPROVE_AGENT_MISSION, {
            "id": mission_id, "reason": (data or Approval()).reason, "idempotency_key": idempotency_key})
        return load(AgentMission, row["mission"])

    @post("/{mission_id:uuid}/tasks", operation_id="addTask", summary="Add a task",
          responses=problems(401, 403, 404, 409, 422))
    async def add_step(self, request: Request, db: DB, data: JSONBody[NewTask], mission_id: UUID = MissionId) -> Step:
        return from_row(Step, await db.one(request, queries.ADD_TASK, {"id": mission_id, "spec": to_json(spec(data))}))

    @patch("/{mission_id:uuid}/tasks/{task_id:uuid}", operation_id="updateTask", summary="Update a task",
           responses=problems(401, 403, 404, 409, 422))
    async def update_step(self, request: Request, db: DB, data: JSONBody[TaskPatch], mission_id: UUID = MissionId,
                          task_id: UUID = TaskId) -> Step:
        row = await db.one(request, queries.UPDATE_TASK, {"id": mission_id, "task_id": task_id, "spec": to_json(spec(data))})
        return from_row(Step, row)

    @post("/{mission_id:uuid}/tasks/{task_id:uuid}/block", operation_id="blockTask", status_code=200,
          summary="Block a task: not claimable until its blocker is cleared",
          description="blockedBy task:<id> (another task of the mission) clears when that task completes or is "
                      "skipped; any other reference (e.g. email_reply:<id>) when an external event with that key "
                      "arrives; or unblock.",
          responses=problems(401, 403, 404, 409, 422))
    async def block(self, request: Request, db: DB, data: JSONBody[TaskBlock], mission_id: UUID = MissionId,
                    task_id: UUID = TaskId) -> Step:
        row = await db.one(request, queries.BLOCK_TASK, {
            "id": mission_id, "task_id": task_id, "blocked_by": data.blocked_by, "blocked_reason": data.blocked_reason})
        return from_row(Step, row)

    @post("/{mission_id:uuid}/tasks/{task_id:uuid}/unblock", operation_id="unblockTask", status_code=200,
          summary="Clear a task's blocker (ready again once its dependencies are done)",
          responses=problems(401, 403, 404, 409, 422))
    async def unblock(self, request: Request, db: DB, data: JSONBody[TaskUnblock | None] = None,
                      mission_id: UUID = MissionId, task_id: UUID = TaskId) -> Step:
        row = await db.one(request, queries.UNBLOCK_TASK, {
            "id": mission_id, "task_id": task_id, "reason": (data or TaskUnblock()).reason})
        return from_row(Step, row)

    @post("/{mission_id:uuid}/replan", operation_id="replanMission", status_code=200,
          summary="Re-plan: unfinished tasks skipped, the new tasks added (approved at once when all trusted)",
          responses=problems(401, 403, 404, 409, 422))
    async def replan(self, request: Request, db: DB, data: JSONBody[Replan], mission_id: UUID = MissionId) -> AgentMission:
        row = await db.one(request, queries.REPLAN_MISSION, {"id": mission_id, "spec": to_json(spec(data))})
        return load(AgentMission, row["mission"])

    @post("/{mission_id:uuid}/tasks/{task_id:uuid}/wait", operation_id="waitForExternalEvent", status_code=200,
          summary="The task waits for an external event key", responses=problems(401, 403, 404, 409, 422))
    async def wait(self, request: Request, db: DB, data: JSONBody[Wait], mission_id: UUID = MissionId,
                   task_id: UUID = TaskId) -> Step:
        row = await db.one(request, queries.WAIT_FOR_EVENT, {"id": mission_id, "task_id": task_id, "key": data.key})
        return from_row(Step, row)

    @post("/{mission_id:uuid}/events", operation_id="logMissionEvent", summary="Log a message or event",
          description="Seed 004's event fields (`title`, `content`, `conversationId`, `agentId`, `metadata`) sent "
                      "beside `payload` are stored in it under their seed 004 names (`conversation_id`, `agent_id`); "
                      "one also inside `payload` with another value is 422.",
          responses=problems(401, 403, 404, 422))
    async def log_event(self, request: Request, db: DB, data: JSONBody[NewMissionEvent],
                        mission_id: UUID = MissionId) -> EventId:
        fields = msgspec.to_builtins(spec(data))
        payload, kind = fields.pop("payload", {}), fields.pop("type")
        clash = sorted(k for k, v in fields.items() if k in payload and payload[k] != v)
        if clash:
            raise ValidationException(f"{', '.join(clash)} given beside payload and inside it with different values")
        row = await db.one(request, queries.LOG_MISSION_EVENT, {
            "id": mission_id, "type": kind, "payload": to_json({**payload, **fields})})
        return EventId(id=row["id"])

    @post("/{mission_id:uuid}/resume", operation_id="resumeMission", status_code=200,
          summary="Resume in any conversation: mission, tasks, recent events",
          responses=problems(401, 403, 404, 409, 422))
    async def resume(self, request: Request, db: DB, data: JSONBody[Resumption | None] = None,
                     mission_id: UUID = MissionId) -> AgentMission:
        body = data or Resumption()
        row = await db.one(request, queries.RESUME_MISSION, {
            "id": mission_id, "recent_events": body.recent_events, "conversation_id": body.conversation_id})
        return load(AgentMission, row["mission"])

    @post("/{mission_id:uuid}/input-requests", operation_id="requestHumanInput", summary="Ask a person",
          responses=problems(401, 403, 404, 409, 422))
    async def request_input(self, request: Request, db: DB, data: JSONBody[NewInputRequest],
                            mission_id: UUID = MissionId) -> InputRequest:
        fields = spec(data)
        prompt, step_id = fields.pop("prompt"), fields.pop("step_id", None)
        row = await db.one(request, queries.REQUEST_INPUT, {
            "id": mission_id, "step_id": step_id, "prompt": prompt, "spec": to_json(fields)})
        return from_row(InputRequest, row)


class AgentWorkController(Controller):
    path = "/api/internal"
    tags = ["agents: steps"]
    security = BEARER
    request_class = AliasRequest

    @post("/steps/{step_id:uuid}/claim", operation_id="claimStep", status_code=200,
          summary="Claim a step (one caller wins)", responses=problems(401, 403, 404, 409, 429))
    async def claim(self, request: Request, db: DB, step_id: UUID = StepId) -> Claim:
        row = await db.one(request, queries.CLAIM_STEP, {"step_id": step_id})
        tracing.link_current_span(row["trace_context"])
        return from_row(Claim, row)

    @post("/steps/claim-next", operation_id="claimNextStep", status_code=200,
          summary="Claim the highest-priority claimable step (204 when none)",
          responses={204: ResponseSpec(data_container=None, description="Nothing is claimable now"),
                     **problems(401, 403, 422)})
    async def claim_next(self, request: Request, db: DB, data: JSONBody[ClaimNext | None] = None) -> Response[Claim | None]:
        rows = await db.rows(request, queries.CLAIM_NEXT, {"kinds": (data or ClaimNext()).kinds})
        if not rows:
            return Response(None, status_code=204)
        tracing.link_current_span(rows[0]["trace_context"])
        return Response(from_row(Claim, rows[0]))

    @post("/steps/claim-batch", operation_id="claimStepBatch", status_code=200,
          summary="Claim up to `limit` claimable steps at once (an empty list when none)",
          description="Each claim is made exactly as claim-next makes one (priority order, SKIP LOCKED, quotas, "
                      "review designations), all in one transaction.",
          responses=problems(401, 403, 422))
    async def claim_batch(self, request: Request, db: DB, data: JSONBody[ClaimBatch | None] = None) -> list[Claim]:
        batch = data or ClaimBatch()
        rows = await db.rows(request, queries.CLAIM_BATCH, {"kinds": batch.kinds, "limit": batch.limit})
        return [from_row(Claim, r) for r in rows]

    @post("/steps/complete-batch", operation_id="completeStepBatch", status_code=200,
          summary="Complete up to 100 leased steps at once, each fenced by its lease token",
          description="A step refused (lease lost: MS412, not found, not in progress) answers its error code; the "
                      "others are completed in the same transaction.",
          responses=problems(401, 403, 422))
    async def complete_batch(self, request: Request, db: DB, data: JSONBody[CompletionBatch]) -> list[CompletionOutcome]:
        completions = [{"step_id": str(c.step_id), "lease_token": str(c.lease_token), "result": c.result}
                       for c in data.completions]
        rows = await db.rows(request, queries.COMPLETE_BATCH, {"completions": to_json(completions)})
        return [from_row(CompletionOutcome, r) for r in rows]

    @post("/steps/{step_id:uuid}/heartbeat", operation_id="heartbeatStep", status_code=200,
          summary="Extend the lease", responses=problems(401, 403, 404, 409, 422))
    async def heartbeat(self, request: Request, db: DB, data: JSONBody[Lease], step_id: UUID = StepId) -> Claim:
        row = await db.one(request, queries.HEARTBEAT, {"step_id": step_id, "lease_token": data.lease_token})
        return from_row(Claim, row)

    @post("/steps/{step_id:uuid}/complete", operation_id="completeStep", status_code=200,
          summary="Complete with a result (fenced by the lease token)", responses=problems(401, 403, 404, 409, 422))
    async def complete(self, request: Request, db: DB, data: JSONBody[Completion], step_id: UUID = StepId,
                       idempotency_key: IdempotencyKey = None) -> Step:
        row = await db.one(request, queries.COMPLETE_STEP, {
            "step_id": step_id, "lease_token": data.lease_token, "result": to_json(data.result),
            "idempotency_key": idempotency_key})
        tracing.link_current_span(row["trace_context"])
        return from_row(Step, row)

    @post("/steps/{step_id:uuid}/fail", operation_id="failStep", status_code=200,
          summary="Fail (retried with backoff while attempts remain)", responses=problems(401, 403, 404, 409, 422))
    async def fail(self, request: Request, db: DB, data: JSONBody[Failure], step_id: UUID = StepId) -> Step:
        row = await db.one(request, queries.FAIL_STEP, {
            "step_id": step_id, "lease_token": data.lease_token, "error": data.error, "retryable": data.retryable})
        return from_row(Step, row)

    @post("/steps/{step_id:uuid}/release", operation_id="releaseStep", status_code=200,
          summary="Give the step back", responses=problems(401, 403, 404, 409, 422))
    async def release(self, request: Request, db: DB, data: JSONBody[Lease], step_id: UUID = StepId) -> Step:
        return from_row(Step, await db.one(request, queries.RELEASE_STEP, {"step_id": step_id,
                                                                            "lease_token": data.lease_token}))

    @get("/quotas/{kind:str}", operation_id="checkQuota", summary="Claims of a kind left today (null: unlimited)",
         responses=problems(401, 403, 404))
    async def quota(self, request: Request, db: DB, kind: str = Parameter(title="Step kind", max_length=63)) -> Quota:
        return from_row(Quota, await db.one(request, queries.CHECK_QUOTA, {"kind": kind}))

    @get("/step-kinds", operation_id="listStepKinds", summary="Step kinds and quotas, by kind (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def step_kinds(self, request: Request, db: DB, limit: int = paging.Limit,
                         cursor: str | None = paging.Cursor) -> Response[StepKindPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.STEP_KINDS, paging.params(limit, cursor))
        return paging.envelope(request, StepKindPage, [from_row(StepKind, r) for r in rows], rows, limit)

    @put("/step-kinds/{kind:str}", operation_id="upsertStepKind", summary="Create or change a step kind (admins)",
         responses=problems(401, 403, 422))
    async def upsert_step_kind(self, request: Request, db: DB, data: JSONBody[StepKindSpec],
                               kind: str = Parameter(title="Step kind", max_length=63)) -> StepKind:
        row = await db.one(request, queries.UPSERT_STEP_KIND, {"kind": kind, "spec": to_json(spec(data))})
        return from_row(StepKind, row)

    @get("/step-kinds/{kind:str}/reviewers", operation_id="listReviewers",
         summary="Designated reviewers of a review kind, by principal id (admins, services; paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def reviewers(self, request: Request, db: DB, kind: str = ReviewKind,
                        limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[ReviewerPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.REVIEWERS, {"kind": kind, **paging.params(limit, cursor)})
        return paging.envelope(request, ReviewerPage, [from_row(Reviewer, r) for r in rows], rows, limit)

    @put("/step-kinds/{kind:str}/reviewers/{principal_id:uuid}", operation_id="designateReviewer",
         summary="Let a principal claim steps of a review kind (admins, services; idempotent)",
         responses=problems(401, 403, 404, 422))
    async def designate_reviewer(self, request: Request, db: DB, kind: str = ReviewKind,
                                 principal_id: UUID = ReviewerId) -> Reviewer:
        row = await db.one(request, queries.DESIGNATE_REVIEWER, {"kind": kind, "principal_id": principal_id})
        return from_row(Reviewer, row)

    @delete("/step-kinds/{kind:str}/reviewers/{principal_id:uuid}", operation_id="revokeReviewer", status_code=200,
            summary="Revoke a designation: no new claims, its live leases on the kind are withdrawn (idempotent)",
            responses=problems(401, 403, 404, 422))
    async def revoke_reviewer(self, request: Request, db: DB, kind: str = ReviewKind,
                              principal_id: UUID = ReviewerId) -> Reviewer:
        row = await db.one(request, queries.REVOKE_REVIEWER, {"kind": kind, "principal_id": principal_id})
        return from_row(Reviewer, row)

    @get("/input-requests", operation_id="listInputRequests",
         summary="Input requests of visible missions, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def input_requests(self, request: Request, db: DB,
                             status: str = Parameter(default="pending",
                                                     pattern="^(pending|responded|expired|cancelled|all)$"),
                             limit: int = paging.Limit, cursor: str | None = paging.Cursor
                             ) -> Response[InputRequestPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.INPUT_REQUESTS, {"status": status, **paging.params(limit, cursor)})
        return paging.envelope(request, InputRequestPage, [from_row(InputRequest, r) for r in rows], rows, limit)

    @post("/input-requests/{request_id:uuid}/respond", operation_id="respondToInputRequest", status_code=200,
          summary="A person answers (the same answer twice is a no-op)", responses=problems(401, 403, 404, 409, 422))
    async def respond(self, request: Request, db: DB, data: JSONBody[InputResponse],
                      request_id: UUID = Parameter(title="Input request id"),
                      idempotency_key: IdempotencyKey = None) -> InputRequest:
        row = await db.one(request, queries.RESPOND_INPUT, {
            "id": request_id, "response": to_json(data.response),
            "idempotency_key": idempotency_key})
        return from_row(InputRequest, row)

    @post("/input-requests/{request_id:uuid}/cancel", operation_id="cancelInputRequest", status_code=200,
          summary="Whoever asked (or staff) withdraws a pending request; it can no longer be answered",
          responses=problems(401, 403, 404, 409, 422))
    async def cancel_input(self, request: Request, db: DB, data: JSONBody[InputCancel | None] = None,
                           request_id: UUID = Parameter(title="Input request id")) -> InputRequest:
        row = await db.one(request, queries.CANCEL_INPUT, {"id": request_id, "reason": (data or InputCancel()).reason})
        return from_row(InputRequest, row)

    @post("/external-events", operation_id="deliverExternalEvent", status_code=202,
          summary="Deliver an event by key (also accepted on the pgmq queue external_events)",
          description="Services and admins deliver on any key; an agent only on a key that steps of its own "
                      "missions wait on (403 otherwise). The event id belongs to the caller: another "
                      "caller's events never block or replay it.",
          responses=problems(401, 403, 422))
    async def external_event(self, request: Request, db: DB, data: JSONBody[ExternalEvent],
                             idempotency_key: IdempotencyKey = None) -> Delivery:
        """The event id is the delivery's idempotency key within the caller's scope; the header stands in
        for it when the body has none."""
        row = await db.one(request, queries.DELIVER_EVENT, {
            "key": data.key, "payload": to_json(data.payload),
            "event_id": data.event_id or idempotency_key})
        return from_row(Delivery, row)
