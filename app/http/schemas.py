"""Request and response bodies (msgspec structs, camelCase on the wire)."""

from __future__ import annotations

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
UNSET = msgspec.UNSET


def set_fields(body: msgspec.Struct) -> dict[str, Any]:
    """The fields a request body actually carried, by snake_case name (for SQL specs)."""
    return {f: getattr(body, f) for f in body.__struct_fields__ if getattr(body, f) is not UNSET}


def camel_keys(value: Any) -> Any:
    """snake_case keys -> camelCase, recursively (for JSON documents built by SQL)."""
    if isinstance(value, dict):
        return {_camel(k): camel_keys(v) for k, v in value.items()}
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


def _camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part.title() for part in rest)


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
    hashtag: Annotated[str, Meta(pattern=r"^#\w{1,50}$")]
