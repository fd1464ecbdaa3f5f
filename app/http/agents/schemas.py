"""Bodies of the agents area (seed 004: missions, tasks, claims, input requests, step kinds; camelCase on
the wire). "Task" is seed 004's word at this edge; inside, a task is a step.

Request bodies also take seed 004's snake_case names, and `seed_aliases` names seed 004's own words for a field
(`user_id` for `owner_id`): see app/http/agents/aliases.py, which applies both to every body of /api/internal."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, ClassVar, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from app.http.schemas import UNSET, Body, Out

Priority = Annotated[int, Meta(ge=0, le=10)] | Literal["low", "normal", "high", "urgent"]
Key = Annotated[str, Meta(min_length=1, max_length=500)]
Title = Annotated[str, Meta(min_length=1, max_length=500)]  # seed 004's Mission and MissionTask titles
Blocker = Annotated[str, Meta(max_length=255)]  # task:<id> of another task of the mission, or any reference
BlockReason = Annotated[str, Meta(max_length=2000)]


class NewTask(Body):
    title: Title
    kind: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,62}$", max_length=63)] | msgspec.UnsetType = UNSET
    optional: bool | msgspec.UnsetType = UNSET
    depends_on: Annotated[list[Annotated[int, Meta(ge=1)]], Meta(max_length=100)] | msgspec.UnsetType = UNSET
    description: Annotated[str, Meta(max_length=10000)] | msgspec.UnsetType = UNSET
    input: dict[str, Any] | msgspec.UnsetType = UNSET


class NewAgentMission(Body):
    """Without `type`, a mission for a user (`ownerId`, or created by a user) is persistent, else ops."""

    # seed 004's example body: {"title", "user_id", "agent_id", "conversation_id"}; the user owns the mission and
    # the agent that created it in that conversation leads it
    seed_aliases: ClassVar[dict[str, str]] = {"user_id": "owner_id", "agent_id": "lead_agent_id"}
    title: Title
    type: Literal["ops", "persistent"] | msgspec.UnsetType = UNSET
    description: Annotated[str, Meta(max_length=20000)] | msgspec.UnsetType = UNSET
    priority: Priority | msgspec.UnsetType = UNSET
    owner_id: UUID | msgspec.UnsetType = UNSET
    lead_agent_id: UUID | msgspec.UnsetType = UNSET
    supporting_agent_ids: Annotated[list[UUID], Meta(max_length=100)] | msgspec.UnsetType = UNSET
    conversation_id: Annotated[str, Meta(max_length=255)] | msgspec.UnsetType = UNSET
    due_at: datetime | msgspec.UnsetType = UNSET
    report_location: Annotated[str, Meta(max_length=1000)] | msgspec.UnsetType = UNSET
    can_run_autonomously: bool | msgspec.UnsetType = UNSET
    steps: Annotated[list[NewTask], Meta(max_length=1000)] | msgspec.UnsetType = UNSET
    tasks: Annotated[list[NewTask], Meta(max_length=1000)] | msgspec.UnsetType = UNSET


class AgentMissionPatch(Body):
    status: Literal["active", "in_progress", "waiting", "paused", "completed", "failed", "cancelled"] | msgspec.UnsetType = UNSET
    priority: Priority | msgspec.UnsetType = UNSET
    title: Title | msgspec.UnsetType = UNSET
    description: Annotated[str, Meta(max_length=20000)] | msgspec.UnsetType = UNSET
    due_at: datetime | msgspec.UnsetType = UNSET
    blocked_by: Annotated[str, Meta(max_length=500)] | msgspec.UnsetType = UNSET
    can_run_autonomously: bool | msgspec.UnsetType = UNSET
    reason: Annotated[str, Meta(max_length=2000)] | msgspec.UnsetType = UNSET


class TaskPatch(Body):
    status: Literal["pending", "ready", "in_progress", "completed", "blocked", "skipped", "failed"] | msgspec.UnsetType = UNSET
    result: dict[str, Any] | msgspec.UnsetType = UNSET
    title: Title | msgspec.UnsetType = UNSET
    blocked_by: Blocker | None | msgspec.UnsetType = UNSET  # set: blocked; both null: unblocked
    blocked_reason: BlockReason | None | msgspec.UnsetType = UNSET


class TaskBlock(Body):
    """What blocks a task (blockedBy: task:<id> or a reference such as email_reply:<id>) and/or why."""
    blocked_by: Blocker | None = None
    blocked_reason: BlockReason | None = None


class TaskUnblock(Body):
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class Replan(Body):
    """The new plan: the unfinished tasks are skipped and these appended (depends_on counts within them)."""
    tasks: Annotated[list[NewTask], Meta(min_length=1, max_length=1000)]
    reason: Annotated[str, Meta(max_length=2000)] | msgspec.UnsetType = UNSET


class InputCancel(Body):
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class MissionAgent(Out):
    agent_id: UUID
    role: str


class Task(Out):
    id: UUID
    position: int
    title: str
    kind: str
    status: str
    optional: bool
    attempt: int
    spec: dict[str, Any]
    wait_key: str | None
    blocked_by: str | None
    blocked_reason: str | None
    blocked_since: datetime | None
    leased_by: UUID | None
    lease_expires_at: datetime | None
    completed_at: datetime | None
    depends_on: list[UUID]
    result: dict[str, Any] | None


class MissionEvent(Out):
    id: int
    type: str
    occurred_at: datetime
    actor_id: UUID | None
    step_id: UUID | None
    from_status: str | None
    to_status: str | None
    payload: dict[str, Any]


class AgentMission(Out):
    id: UUID
    type: str
    title: str
    description: str
    status: str
    priority: int
    priority_name: str
    owner_id: UUID | None
    created_by: UUID | None
    conversation_id: str | None
    due_at: datetime | None
    report_location: str | None
    blocked_by: str | None
    blocked_since: datetime | None
    can_run_autonomously: bool
    last_autonomous_check: datetime | None
    approved_by: UUID | None
    created_at: datetime
    started_at: datetime | None
    completed_at: datetime | None
    agents: list[MissionAgent]
    tasks_done: int  # completed or skipped
    tasks_total: int
    tasks: list[Task] | None
    recent_events: list[MissionEvent]


class RecentMission(Out):
    """A finished agent mission (seed 003's "Recently Completed")."""
    id: UUID
    title: str
    type: str
    outcome: str
    priority: int
    started_at: datetime
    finished_at: datetime
    duration_seconds: int
    tasks_done: int
    tasks_total: int


class Step(Out):
    id: UUID
    mission_id: UUID
    position: int
    title: str
    kind: str
    status: str
    optional: bool
    attempt: int
    not_before: datetime | None
    leased_by: UUID | None
    lease_expires_at: datetime | None
    wait_key: str | None
    blocked_by: str | None
    blocked_reason: str | None
    blocked_since: datetime | None
    started_at: datetime | None
    completed_at: datetime | None


class Approval(Body):
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class Resumption(Body):
    seed_aliases: ClassVar[dict[str, str]] = {"include_recent_events": "recent_events"}  # seed 004's list parameter
    conversation_id: Annotated[str, Meta(max_length=255)] | None = None
    recent_events: Annotated[int, Meta(ge=0, le=500)] = 5


class NewMissionEvent(Body):
    """An event for a mission's history. Seed 004's MissionEvent fields (title, content, conversation_id, agent_id,
    metadata) may be sent beside `payload`: they are stored in the payload under their seed 004 names."""

    seed_aliases: ClassVar[dict[str, str]] = {"event_type": "type"}  # seed 004's MissionEvent.event_type
    type: Literal["user_message", "agent_message", "external_event", "note"]
    payload: dict[str, Any] = {}
    title: Annotated[str, Meta(max_length=500)] | msgspec.UnsetType = UNSET
    content: Annotated[str, Meta(max_length=100_000)] | msgspec.UnsetType = UNSET
    conversation_id: Annotated[str, Meta(max_length=255)] | msgspec.UnsetType = UNSET
    agent_id: UUID | msgspec.UnsetType = UNSET
    metadata: dict[str, Any] | msgspec.UnsetType = UNSET


class EventId(Out):
    id: int


class Wait(Body):
    key: Key


class NewInputRequest(Body):
    seed_aliases: ClassVar[dict[str, str]] = {"task_id": "step_id"}  # seed 004's HumanInputRequest.task
    prompt: Annotated[str, Meta(min_length=1, max_length=10000)]
    step_id: UUID | None = None
    options: Annotated[list[Annotated[str, Meta(max_length=200)]], Meta(max_length=100)] | msgspec.UnsetType = UNSET
    allow_freeform: bool | msgspec.UnsetType = UNSET
    context: dict[str, Any] | msgspec.UnsetType = UNSET
    urgency: Literal["low", "normal", "high"] | msgspec.UnsetType = UNSET
    expires_in_seconds: Annotated[int, Meta(ge=60, le=2_592_000)] | msgspec.UnsetType = UNSET
    conversation_id: Annotated[str, Meta(max_length=255)] | msgspec.UnsetType = UNSET


class InputRequest(Out):
    id: UUID
    mission_id: UUID
    step_id: UUID | None
    conversation_id: str | None
    prompt: str
    options: list[Any]
    allow_freeform: bool
    context: dict[str, Any] | None
    urgency: str
    status: str
    response: dict[str, Any] | None
    responded_by: UUID | None
    responded_at: datetime | None
    created_at: datetime
    expires_at: datetime
    cancelled_by: UUID | None
    cancelled_at: datetime | None
    cancel_reason: str | None


class InputResponse(Body):
    response: dict[str, Any]


class ExternalEvent(Body):
    key: Key
    payload: dict[str, Any] = {}
    event_id: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class Delivery(Out):
    missions_unblocked: int


class Claim(Out):
    step_id: UUID
    mission_id: UUID
    agent_id: UUID
    lease_token: UUID
    expires_at: datetime
    attempt: int
    kind: str
    title: str
    spec: dict[str, Any]
    trace_context: str | None = None  # the W3C traceparent of the request that created the mission (tracing on)


class ClaimNext(Body):
    kinds: Annotated[list[Annotated[str, Meta(max_length=63)]], Meta(max_length=100)] | None = None


class ClaimBatch(Body):
    """Up to `limit` claims (1..100) of these kinds, each as claim-next makes it."""
    kinds: Annotated[list[Annotated[str, Meta(max_length=63)]], Meta(max_length=100)] | None = None
    limit: Annotated[int, Meta(ge=1, le=100)] = 10


class BatchCompletion(Body):
    step_id: UUID
    lease_token: UUID
    result: dict[str, Any] = {}


class CompletionBatch(Body):
    """1..100 completions, each fenced by its own lease token."""
    completions: Annotated[list[BatchCompletion], Meta(min_length=1, max_length=100)]


class CompletionOutcome(Out):
    """One step of a batch: its new `status`, or the `errorCode` (MS404, MS409, MS412, MS422) and `error` that
    refused it; the other steps of the batch are done either way."""
    step_id: UUID
    status: str | None
    error_code: str | None
    error: str | None


class Lease(Body):
    lease_token: UUID


class Completion(Body):
    lease_token: UUID
    result: dict[str, Any] = {}


class Failure(Body):
    lease_token: UUID
    error: Annotated[str, Meta(min_length=1, max_length=10000)]
    retryable: bool = True


class Quota(Out):
    kind: str
    remaining: int | None


class StepKindSpec(Body):
    trusted: bool | msgspec.UnsetType = UNSET
    daily_quota: Annotated[int, Meta(ge=0)] | None | msgspec.UnsetType = UNSET
    claim_ttl_seconds: Annotated[int, Meta(ge=5, le=86400)] | msgspec.UnsetType = UNSET
    max_attempts: Annotated[int, Meta(ge=1, le=100)] | msgspec.UnsetType = UNSET
    backoff_seconds: Annotated[int, Meta(ge=0, le=86400)] | msgspec.UnsetType = UNSET


class StepKind(Out):
    kind: str
    trusted: bool
    daily_quota: int | None
    claim_ttl_seconds: int
    max_attempts: int
    backoff_seconds: int
    remaining_today: int | None


class Reviewer(Out):
    """A designation: the principal may claim steps of the review kind (revokedAt set: no longer)."""
    kind: str
    principal_id: UUID
    role: str
    display_name: str
    granted_by: UUID | None
    granted_at: datetime
    revoked_by: UUID | None
    revoked_at: datetime | None

