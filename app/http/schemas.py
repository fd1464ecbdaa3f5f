"""Request and response bodies (msgspec structs, camelCase on the wire)."""

from __future__ import annotations

import types
import typing
from datetime import date, datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import msgspec
from msgspec import Meta

Role = Literal["participant", "admin", "mentor", "agent", "service"]
Level = Literal["L0_APPLICANT", "L1_ACTIVATED", "L2_SKILLED", "L3_EXPOSED", "L4_EARNER", "L5_CATALYST"]
Tier = Literal["FREE", "STARTER", "PREMIUM"]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Label = Annotated[str, Meta(max_length=200)]
T = TypeVar("T", bound=msgspec.Struct)


def from_row(struct: type[T], row: dict[str, Any]) -> T:
    """Build a response struct from a database row (snake_case keys, extra columns ignored)."""
    return struct(**{name: row[name] for name in struct.__struct_fields__})


class Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of request bodies: camelCase fields, unknown fields refused."""


class Out(msgspec.Struct, rename="camel"):
    """Base of response bodies: camelCase fields."""


class Principal(Out):
    id: UUID
    role: str
    display_name: str
    level: str
    tier: str
    timezone: str
    cohort: str | None
    active: bool
    paused: bool
    created_at: datetime


class NewPrincipal(Body):
    role: Role
    display_name: Name
    level: Level | None = None
    tier: Tier | None = None
    timezone: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    cohort: Annotated[str, Meta(max_length=100)] | None = None
    key_label: Label | None = None

    def attrs(self) -> dict:
        fields = {"level": self.level, "tier": self.tier, "timezone": self.timezone, "cohort": self.cohort}
        return {k: v for k, v in fields.items() if v is not None}


class Enrollment(Out):
    principal: Principal
    api_key: str


class NewApiKey(Body):
    label: Label | None = None


class CreatedApiKey(Out):
    api_key: str


class ApiKey(Out):
    id: UUID
    principal_id: UUID
    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None


class Health(Out):
    status: str
    database: str
    pg_cron: str
    pgmq: str


class Problem(msgspec.Struct):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str = ""
    sqlstate: str | None = None
    constraint: str | None = None
    hint: str | None = None


# ---- engagement ------------------------------------------------------------------------------
SkillDomain = Literal["TECHNICAL", "SOFT", "COMMERCIAL"]
Difficulty = Literal["EASY", "MEDIUM", "HARD"]
Currency = Literal["MOMENTUM", "SKILL_XP", "ARENA_POINTS", "INCOME_PROOF"]
Reward = Annotated[int, Meta(ge=0, le=1_000_000)]
# The repeat policy of a challenge template (README: engagement rules).
Repeat = Literal["once", "cooldown", "unlimited"]
CooldownSeconds = Annotated[int, Meta(ge=60, le=31_622_400, description="seconds between payouts (repeat cooldown)")]
DailyCap = Annotated[int, Meta(ge=1, le=100, description="payouts per local day (repeat unlimited)")]
UNSET = msgspec.UNSET


def set_fields(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a request body actually carried, by snake_case name (for SQL specs)."""
    return {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not UNSET}


def load(struct: type[T], data: Any) -> T:
    """Build a response struct from a JSON document made by SQL (snake_case keys, nested structs).
    Only the struct's own field names are renamed; user data inside (payloads, specs) is left as is."""
    return msgspec.convert(_renamed(struct, data), struct, strict=False)


def _renamed(tp: Any, value: Any) -> Any:
    if value is None:
        return None
    origin = typing.get_origin(tp)
    if origin is list:
        (inner,) = typing.get_args(tp)
        return [_renamed(inner, v) for v in value]
    if origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(tp):
            if typing.get_origin(arg) is list or (isinstance(arg, type) and issubclass(arg, msgspec.Struct)):
                return _renamed(arg, value)
        return value
    if isinstance(tp, type) and issubclass(tp, msgspec.Struct) and isinstance(value, dict):
        return {f.encode_name: _renamed(f.type, value[f.name])
                for f in msgspec.structs.fields(tp) if f.name in value}
    return value


class Challenge(Out):
    id: UUID
    title: str
    description: str
    skill_domain: str
    difficulty: str
    momentum: int
    skill_xp: int
    arena_points: int
    required_level: str
    is_daily: bool
    is_weekly: bool
    is_active: bool
    created_at: datetime
    repeat: str
    cooldown_seconds: int | None
    daily_cap: int | None


class NewChallenge(Body):
    title: Name
    skill_domain: SkillDomain
    difficulty: Difficulty
    description: Annotated[str, Meta(max_length=10000)] | msgspec.UnsetType = UNSET
    momentum: Reward | msgspec.UnsetType = UNSET
    skill_xp: Reward | msgspec.UnsetType = UNSET
    arena_points: Reward | msgspec.UnsetType = UNSET
    required_level: Level | msgspec.UnsetType = UNSET
    is_daily: bool | msgspec.UnsetType = UNSET
    is_weekly: bool | msgspec.UnsetType = UNSET
    is_active: bool | msgspec.UnsetType = UNSET
    repeat: Repeat | msgspec.UnsetType = UNSET
    cooldown_seconds: CooldownSeconds | msgspec.UnsetType = UNSET
    daily_cap: DailyCap | msgspec.UnsetType = UNSET


class ChallengePatch(Body):
    title: Name | msgspec.UnsetType = UNSET
    skill_domain: SkillDomain | msgspec.UnsetType = UNSET
    difficulty: Difficulty | msgspec.UnsetType = UNSET
    description: Annotated[str, Meta(max_length=10000)] | msgspec.UnsetType = UNSET
    momentum: Reward | msgspec.UnsetType = UNSET
    skill_xp: Reward | msgspec.UnsetType = UNSET
    arena_points: Reward | msgspec.UnsetType = UNSET
    required_level: Level | msgspec.UnsetType = UNSET
    is_daily: bool | msgspec.UnsetType = UNSET
    is_weekly: bool | msgspec.UnsetType = UNSET
    repeat: Repeat | msgspec.UnsetType = UNSET
    cooldown_seconds: CooldownSeconds | None | msgspec.UnsetType = UNSET  # null removes it
    daily_cap: DailyCap | None | msgspec.UnsetType = UNSET  # null removes it


class ActiveFlag(Body):
    is_active: bool


class Mission(Out):
    id: UUID
    status: str
    template_id: UUID | None
    participant_id: UUID | None
    title: str
    origin: str
    period: date | None
    assigned_at: datetime | None
    started_at: datetime | None
    submitted_at: datetime | None
    completed_at: datetime | None
    expires_at: datetime | None
    proof_url: str | None
    proof_text: str | None
    reviewed_by: UUID | None
    review_note: str | None
    created_at: datetime
    repeat_key: str | None


class Assignment(Body):
    deadline_days: Annotated[int, Meta(ge=1, le=365)] = 7


class Submission(Body):
    proof_url: Annotated[str, Meta(max_length=2000)] | None = None
    proof_text: Annotated[str, Meta(max_length=10000)] | None = None


class Rejection(Body):
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class AssignedCount(Out):
    assigned: int


class CheckIn(Out):
    participant_id: UUID
    checked_in: bool
    local_day: date
    current_streak: int
    longest_streak: int
    bonus: int
    unpaused: bool


class Balance(Out):
    currency: str
    amount: int


class LedgerEntry(Out):
    id: int
    participant_id: UUID
    currency: str
    amount: int
    requested: int
    reason: str
    reference: str | None
    idempotency_key: str | None
    created_at: datetime


class LedgerRequest(Body):
    currency: Currency
    amount: Annotated[int, Meta(gt=0, le=1_000_000_000)]
    reason: Annotated[str, Meta(min_length=1, max_length=200)]
    idempotency_key: Annotated[str, Meta(min_length=1, max_length=200)] | None = None


class Triad(Out):
    technical: int
    soft: int
    commercial: int


class ParticipantStats(Out):
    level: str
    tier: str
    paused: bool
    current_streak: int
    longest_streak: int
    last_check_in: date | None
    triad: Triad
    balances: dict[str, int]
    missions: dict[str, int]
    completion_rate: float


class ParticipantCounts(Out):
    total: int
    active: int
    paused: int


class TemplateCounts(Out):
    active: int
    daily: int
    weekly: int


class AdminStats(Out):
    participants: ParticipantCounts
    missions: dict[str, int]
    completion_rate: float
    pending_reviews: int
    open_alerts: dict[str, int]
    currency_totals: dict[str, int]
    templates: TemplateCounts


class Alert(Out):
    id: UUID
    participant_id: UUID
    type: str
    severity: str
    status: str
    created_at: datetime
    details: dict[str, Any]
    resolved_at: datetime | None
    resolved_by: UUID | None
    notes: str | None


class Resolution(Body):
    notes: Annotated[str, Meta(max_length=2000)] | None = None


class WallPost(Out):
    id: UUID
    participant_id: UUID
    author: str | None
    body: str
    published_at: datetime
    rank_score: float


class NewWallPost(Body):
    body: Annotated[str, Meta(min_length=1, max_length=5000)]


class Hashtag(Body):
    hashtag: Annotated[str, Meta(pattern=r"^#\w{1,50}$", max_length=51)]


# ---- agent face ------------------------------------------------------------------------------
Priority = Annotated[int, Meta(ge=0, le=10)] | Literal["low", "normal", "high", "urgent"]
Key = Annotated[str, Meta(min_length=1, max_length=500)]


def snake_spec(body: msgspec.Struct) -> dict[str, Any]:
    """A request body as the snake_case spec SQL expects (nested structs too, unset fields left out)."""
    def plain(value: Any) -> Any:
        if isinstance(value, msgspec.Struct):
            return snake_spec(value)
        if isinstance(value, list):
            return [plain(v) for v in value]
        return value
    return {k: plain(v) for k, v in set_fields(body).items()}


class NewTask(Body):
    title: Name
    kind: Annotated[str, Meta(pattern=r"^[a-z][a-z0-9_]{0,62}$", max_length=63)] | msgspec.UnsetType = UNSET
    optional: bool | msgspec.UnsetType = UNSET
    depends_on: Annotated[list[Annotated[int, Meta(ge=1)]], Meta(max_length=100)] | msgspec.UnsetType = UNSET
    description: Annotated[str, Meta(max_length=10000)] | msgspec.UnsetType = UNSET
    input: dict[str, Any] | msgspec.UnsetType = UNSET


class NewAgentMission(Body):
    title: Name
    type: Literal["ops", "persistent"] = "ops"
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
    title: Name | msgspec.UnsetType = UNSET
    description: Annotated[str, Meta(max_length=20000)] | msgspec.UnsetType = UNSET
    due_at: datetime | msgspec.UnsetType = UNSET
    blocked_by: Annotated[str, Meta(max_length=500)] | msgspec.UnsetType = UNSET
    can_run_autonomously: bool | msgspec.UnsetType = UNSET
    reason: Annotated[str, Meta(max_length=2000)] | msgspec.UnsetType = UNSET


class TaskPatch(Body):
    status: Literal["pending", "ready", "in_progress", "completed", "blocked", "skipped", "failed"] | msgspec.UnsetType = UNSET
    result: dict[str, Any] | msgspec.UnsetType = UNSET
    title: Name | msgspec.UnsetType = UNSET


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
    tasks: list[Task] | None
    recent_events: list[MissionEvent]


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
    started_at: datetime | None
    completed_at: datetime | None


class Approval(Body):
    reason: Annotated[str, Meta(max_length=2000)] | None = None


class Resumption(Body):
    conversation_id: Annotated[str, Meta(max_length=255)] | None = None
    recent_events: Annotated[int, Meta(ge=0, le=500)] = 5


class NewMissionEvent(Body):
    type: Literal["user_message", "agent_message", "external_event", "note"]
    payload: dict[str, Any] = {}


class EventId(Out):
    id: int


class Wait(Body):
    key: Key


class NewInputRequest(Body):
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


class ClaimNext(Body):
    kinds: Annotated[list[Annotated[str, Meta(max_length=63)]], Meta(max_length=100)] | None = None


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
