"""Every operation of the agent API (`/api/internal/`), once: each builder takes typed arguments and returns
the `Call` to send. `Operations` turns the builders into methods of both clients — plain methods on `Client`,
coroutines on `AsyncClient` — so the two classes never repeat a signature. Each `Call` names its OpenAPI
operationId; `operations()` lists the methods (a test compares them with the app's OpenAPI document)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, ParamSpec, TypeVar, overload
from urllib.parse import quote
from uuid import UUID

from msgspec import UNSET

from app.client.calls import Call, InvalidArguments, Page, body
from app.http.agents import schemas as s

if TYPE_CHECKING:
    from app.client.aio import AsyncClient
    from app.client.sync import Client

P = ParamSpec("P")
T = TypeVar("T")
Id = UUID | str
TaskSpec = s.NewTask | Mapping[str, Any]
MISSIONS = "/api/internal/missions"


def _id(value: Id) -> str:
    """The id as a UUID string: a malformed one fails here, not as a 404 from a mangled path."""
    try:
        return str(UUID(str(value)))
    except ValueError:
        raise InvalidArguments(f"not a UUID: {value!r}") from None


def _tasks(tasks: Sequence[TaskSpec] | None) -> Any:
    if tasks is None:
        return UNSET
    try:
        return [t if isinstance(t, s.NewTask) else s.NewTask(**t) for t in tasks]
    except TypeError as exc:
        raise InvalidArguments(f"NewTask: {exc}") from None


def _csv(values: Sequence[str] | str | None) -> str | None:
    return values if values is None or isinstance(values, str) else ",".join(values)


# --- seed 004's hub client ---------------------------------------------------------------------------------

def list_missions(*, status: Sequence[str] | str | None = None, priority: Sequence[str] | str | None = None,
                  include_tasks: bool = True, include_recent_events: int = 0, limit: int = 50,
                  cursor: str | None = None) -> Call[Page[s.AgentMission]]:
    """Missions the caller may see, by priority then newest; `status` e.g. ["active", "waiting"]."""
    return Call("listAgentMissions", "GET", MISSIONS, s.AgentMission, paged=True, query={
        "status": _csv(status), "priority": _csv(priority), "include_tasks": str(include_tasks).lower(),
        "include_recent_events": include_recent_events, "limit": limit, "cursor": cursor})


def create_mission(title: str, description: str | None = None, priority: str | int | None = None, *,
                   tasks: Sequence[TaskSpec] | None = None, **fields: Any) -> Call[s.AgentMission]:
    """Create an ops or persistent mission; `fields` are NewAgentMission's (type, owner_id, conversation_id, …)."""
    data = body(s.NewAgentMission, title=title, description=UNSET if description is None else description,
                priority=UNSET if priority is None else priority, tasks=_tasks(tasks), **fields)
    return Call("createAgentMission", "POST", MISSIONS, s.AgentMission, json=data)


def get_mission(mission_id: Id, include_events: int = 5) -> Call[s.AgentMission]:
    """A mission with its tasks and its `include_events` most recent events."""
    return Call("getAgentMission", "GET", f"{MISSIONS}/{_id(mission_id)}", s.AgentMission,
                query={"include_recent_events": include_events})


def update_mission(mission_id: Id, **changes: Any) -> Call[s.AgentMission]:
    """Change status, priority, title, description, due_at, blocked_by, can_run_autonomously (with a reason)."""
    return Call("updateAgentMission", "PATCH", f"{MISSIONS}/{_id(mission_id)}", s.AgentMission,
                json=body(s.AgentMissionPatch, **changes))


def add_mission_task(mission_id: Id, title: str, **fields: Any) -> Call[s.Step]:
    """Add a task (kind, optional, depends_on, description, input)."""
    return Call("addTask", "POST", f"{MISSIONS}/{_id(mission_id)}/tasks", s.Step, json=body(s.NewTask, title=title, **fields))


def update_mission_task(mission_id: Id, task_id: Id, **changes: Any) -> Call[s.Step]:
    """Change a task's status, result, title or blocker."""
    return Call("updateTask", "PATCH", f"{MISSIONS}/{_id(mission_id)}/tasks/{_id(task_id)}", s.Step,
                json=body(s.TaskPatch, **changes))


def log_mission_event(mission_id: Id, event_type: Literal["user_message", "agent_message", "external_event", "note"],
                      **fields: Any) -> Call[s.EventId]:
    """Log a message or event (payload, title, content, conversation_id, agent_id, metadata)."""
    return Call("logMissionEvent", "POST", f"{MISSIONS}/{_id(mission_id)}/events", s.EventId,
                json=body(s.NewMissionEvent, type=event_type, **fields))


def resume_mission(mission_id: Id, conversation_id: str | None = None, recent_events: int = 5) -> Call[s.AgentMission]:
    """Resume in this conversation: the mission, its tasks and recent events (logs the resumption)."""
    return Call("resumeMission", "POST", f"{MISSIONS}/{_id(mission_id)}/resume", s.AgentMission,
                json=body(s.Resumption, conversation_id=conversation_id, recent_events=recent_events))


# --- missions: approval, plans, blockers, waits, people --------------------------------------------------

def list_recent_missions(limit: int = 10) -> Call[list[s.RecentMission]]:
    """The last finished missions the caller may see (newest first)."""
    return Call("listRecentAgentMissions", "GET", f"{MISSIONS}/recent", list[s.RecentMission], query={"limit": limit})


def approve_mission(mission_id: Id, reason: str | None = None, *,
                    idempotency_key: str | None = None) -> Call[s.AgentMission]:
    """A person approves a proposed mission."""
    return Call("approveAgentMission", "POST", f"{MISSIONS}/{_id(mission_id)}/approve", s.AgentMission,
                json=body(s.Approval, reason=reason), idempotency_key=idempotency_key, takes_idempotency_key=True)


def replan_mission(mission_id: Id, tasks: Sequence[TaskSpec], reason: str | None = None) -> Call[s.AgentMission]:
    """Skip the unfinished tasks and add these."""
    return Call("replanMission", "POST", f"{MISSIONS}/{_id(mission_id)}/replan", s.AgentMission,
                json=body(s.Replan, tasks=_tasks(tasks), reason=UNSET if reason is None else reason))


def block_task(mission_id: Id, task_id: Id, blocked_by: str | None = None,
               blocked_reason: str | None = None) -> Call[s.Step]:
    """Block a task until `blocked_by` clears (task:<id>, or an external event key such as email_reply:<id>)."""
    return Call("blockTask", "POST", f"{MISSIONS}/{_id(mission_id)}/tasks/{_id(task_id)}/block", s.Step,
                json=body(s.TaskBlock, blocked_by=blocked_by, blocked_reason=blocked_reason))


def unblock_task(mission_id: Id, task_id: Id, reason: str | None = None) -> Call[s.Step]:
    """Clear a task's blocker."""
    return Call("unblockTask", "POST", f"{MISSIONS}/{_id(mission_id)}/tasks/{_id(task_id)}/unblock", s.Step,
                json=body(s.TaskUnblock, reason=reason))


def wait_for_external_event(mission_id: Id, task_id: Id, key: str) -> Call[s.Step]:
    """The task waits until an external event with `key` is delivered."""
    return Call("waitForExternalEvent", "POST", f"{MISSIONS}/{_id(mission_id)}/tasks/{_id(task_id)}/wait", s.Step,
                json=body(s.Wait, key=key))


def request_human_input(mission_id: Id, prompt: str, **fields: Any) -> Call[s.InputRequest]:
    """Ask a person (step_id, options, allow_freeform, context, urgency, expires_in_seconds, conversation_id)."""
    return Call("requestHumanInput", "POST", f"{MISSIONS}/{_id(mission_id)}/input-requests", s.InputRequest,
                json=body(s.NewInputRequest, prompt=prompt, **fields))


def list_input_requests(status: Literal["pending", "responded", "expired", "cancelled", "all"] = "pending",
                        limit: int = 50, cursor: str | None = None) -> Call[Page[s.InputRequest]]:
    """Input requests of the missions the caller may see, newest first."""
    return Call("listInputRequests", "GET", "/api/internal/input-requests", s.InputRequest, paged=True,
                query={"status": status, "limit": limit, "cursor": cursor})


def respond_to_input_request(request_id: Id, response: Mapping[str, Any], *,
                             idempotency_key: str | None = None) -> Call[s.InputRequest]:
    """A person answers a pending request."""
    return Call("respondToInputRequest", "POST", f"/api/internal/input-requests/{_id(request_id)}/respond",
                s.InputRequest, json=body(s.InputResponse, response=dict(response)),
                idempotency_key=idempotency_key, takes_idempotency_key=True)


def cancel_input_request(request_id: Id, reason: str | None = None) -> Call[s.InputRequest]:
    """Withdraw a pending request."""
    return Call("cancelInputRequest", "POST", f"/api/internal/input-requests/{_id(request_id)}/cancel",
                s.InputRequest, json=body(s.InputCancel, reason=reason))


def deliver_external_event(key: str, payload: Mapping[str, Any] | None = None, event_id: str | None = None, *,
                           idempotency_key: str | None = None) -> Call[s.Delivery]:
    """Deliver an event by key: the steps waiting on it resume."""
    return Call("deliverExternalEvent", "POST", "/api/internal/external-events", s.Delivery,
                json=body(s.ExternalEvent, key=key, payload=dict(payload or {}), event_id=event_id),
                idempotency_key=idempotency_key, takes_idempotency_key=True)


# --- steps: claims and leases ------------------------------------------------------------------------------

def claim_step(step_id: Id) -> Call[s.Claim]:
    """Claim this step (one caller wins)."""
    return Call("claimStep", "POST", f"/api/internal/steps/{_id(step_id)}/claim", s.Claim)


def claim_next_step(kinds: Sequence[str] | None = None) -> Call[s.Claim | None]:
    """Claim the highest-priority claimable step of these kinds; None when nothing is claimable now."""
    return Call("claimNextStep", "POST", "/api/internal/steps/claim-next", s.Claim, empty_is_none=True,
                json=body(s.ClaimNext, kinds=None if kinds is None else list(kinds)))


def claim_step_batch(kinds: Sequence[str] | None = None, limit: int = 10) -> Call[list[s.Claim]]:
    """Claim up to `limit` (1..100) steps of these kinds at once; an empty list when none is claimable."""
    return Call("claimStepBatch", "POST", "/api/internal/steps/claim-batch", list[s.Claim],
                json=body(s.ClaimBatch, kinds=None if kinds is None else list(kinds), limit=limit))


def complete_step_batch(completions: Sequence[Mapping[str, Any]]) -> Call[list[s.CompletionOutcome]]:
    """Complete 1..100 leased steps ({step_id, lease_token, result?}); each answers its status or its error."""
    items = [s.BatchCompletion(step_id=UUID(_id(c["step_id"])), lease_token=UUID(_id(c["lease_token"])),
                               result=dict(c.get("result") or {})) for c in completions]
    return Call("completeStepBatch", "POST", "/api/internal/steps/complete-batch", list[s.CompletionOutcome],
                json=body(s.CompletionBatch, completions=items))


def heartbeat_step(step_id: Id, lease_token: Id) -> Call[s.Claim]:
    """Extend the lease (LeaseLost when it was taken over)."""
    return Call("heartbeatStep", "POST", f"/api/internal/steps/{_id(step_id)}/heartbeat", s.Claim,
                json=body(s.Lease, lease_token=_id(lease_token)))


def complete_step(step_id: Id, lease_token: Id, result: Mapping[str, Any] | None = None, *,
                  idempotency_key: str | None = None) -> Call[s.Step]:
    """Complete with a result, fenced by the lease token."""
    return Call("completeStep", "POST", f"/api/internal/steps/{_id(step_id)}/complete", s.Step,
                json=body(s.Completion, lease_token=_id(lease_token), result=dict(result or {})),
                idempotency_key=idempotency_key, takes_idempotency_key=True)


def fail_step(step_id: Id, lease_token: Id, error: str, *, retryable: bool = True) -> Call[s.Step]:
    """Fail the step (retried with backoff while attempts remain, unless not retryable)."""
    return Call("failStep", "POST", f"/api/internal/steps/{_id(step_id)}/fail", s.Step,
                json=body(s.Failure, lease_token=_id(lease_token), error=error, retryable=retryable))


def release_step(step_id: Id, lease_token: Id) -> Call[s.Step]:
    """Give the step back: claimable again at once."""
    return Call("releaseStep", "POST", f"/api/internal/steps/{_id(step_id)}/release", s.Step,
                json=body(s.Lease, lease_token=_id(lease_token)))


# --- step kinds, quotas, reviewers -------------------------------------------------------------------------

def check_quota(kind: str) -> Call[s.Quota]:
    """Claims of a kind left today for the caller (None: unlimited)."""
    return Call("checkQuota", "GET", f"/api/internal/quotas/{quote(kind, safe='')}", s.Quota)


def list_step_kinds(limit: int = 50, cursor: str | None = None) -> Call[Page[s.StepKind]]:
    """Step kinds and quotas, by kind."""
    return Call("listStepKinds", "GET", "/api/internal/step-kinds", s.StepKind, paged=True,
                query={"limit": limit, "cursor": cursor})


def upsert_step_kind(kind: str, **fields: Any) -> Call[s.StepKind]:
    """Create or change a step kind (trusted, daily_quota, claim_ttl_seconds, max_attempts, backoff_seconds)."""
    return Call("upsertStepKind", "PUT", f"/api/internal/step-kinds/{quote(kind, safe='')}", s.StepKind,
                json=body(s.StepKindSpec, **fields))


def list_reviewers(kind: str, limit: int = 50, cursor: str | None = None) -> Call[Page[s.Reviewer]]:
    """Designated reviewers of a review kind."""
    return Call("listReviewers", "GET", f"/api/internal/step-kinds/{quote(kind, safe='')}/reviewers", s.Reviewer,
                paged=True, query={"limit": limit, "cursor": cursor})


def designate_reviewer(kind: str, principal_id: Id) -> Call[s.Reviewer]:
    """Let a principal claim steps of a review kind."""
    return Call("designateReviewer", "PUT",
                f"/api/internal/step-kinds/{quote(kind, safe='')}/reviewers/{_id(principal_id)}", s.Reviewer)


def revoke_reviewer(kind: str, principal_id: Id) -> Call[s.Reviewer]:
    """Revoke a designation (its live leases on the kind are withdrawn)."""
    return Call("revokeReviewer", "DELETE",
                f"/api/internal/step-kinds/{quote(kind, safe='')}/reviewers/{_id(principal_id)}", s.Reviewer)


class Operation(Generic[P, T]):
    """A builder seen as a method: on `Client` it sends the call and returns `T`, on `AsyncClient` it returns
    an awaitable of `T`."""

    def __init__(self, build: Callable[P, Call[T]]):
        self.build = build
        self.__doc__ = build.__doc__

    @overload
    def __get__(self, obj: None, owner: type) -> Operation[P, T]: ...
    @overload
    def __get__(self, obj: AsyncClient, owner: type) -> Callable[P, Awaitable[T]]: ...
    @overload
    def __get__(self, obj: Client, owner: type) -> Callable[P, T]: ...

    def __get__(self, obj: Any, owner: type) -> Any:
        if obj is None:
            return self
        build, send = self.build, obj.send

        def method(*args: P.args, **kwargs: P.kwargs) -> Any:
            return send(build(*args, **kwargs))

        method.__name__, method.__doc__ = build.__name__, build.__doc__
        return method


class Operations:
    """The agent API's operations, shared by Client and AsyncClient (see their `send`)."""
    list_missions = Operation(list_missions)
    create_mission = Operation(create_mission)
    get_mission = Operation(get_mission)
    update_mission = Operation(update_mission)
    add_mission_task = Operation(add_mission_task)
    update_mission_task = Operation(update_mission_task)
    log_mission_event = Operation(log_mission_event)
    resume_mission = Operation(resume_mission)
    list_recent_missions = Operation(list_recent_missions)
    approve_mission = Operation(approve_mission)
    replan_mission = Operation(replan_mission)
    block_task = Operation(block_task)
    unblock_task = Operation(unblock_task)
    wait_for_external_event = Operation(wait_for_external_event)
    request_human_input = Operation(request_human_input)
    list_input_requests = Operation(list_input_requests)
    respond_to_input_request = Operation(respond_to_input_request)
    cancel_input_request = Operation(cancel_input_request)
    deliver_external_event = Operation(deliver_external_event)
    claim_step = Operation(claim_step)
    claim_next_step = Operation(claim_next_step)
    claim_step_batch = Operation(claim_step_batch)
    complete_step_batch = Operation(complete_step_batch)
    heartbeat_step = Operation(heartbeat_step)
    complete_step = Operation(complete_step)
    fail_step = Operation(fail_step)
    release_step = Operation(release_step)
    check_quota = Operation(check_quota)
    list_step_kinds = Operation(list_step_kinds)
    upsert_step_kind = Operation(upsert_step_kind)
    list_reviewers = Operation(list_reviewers)
    designate_reviewer = Operation(designate_reviewer)
    revoke_reviewer = Operation(revoke_reviewer)


def operations() -> dict[str, Operation[Any, Any]]:
    """Method name -> operation, for tests and docs."""
    return {name: op for name, op in vars(Operations).items() if isinstance(op, Operation)}

