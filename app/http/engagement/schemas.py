"""Bodies of the engagement area: templates, missions, check-in, ledger, stats, alerts and the wall
(camelCase on the wire)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from app.http.schemas import UNSET, Body, Level, Name, Out

SkillDomain = Literal["TECHNICAL", "SOFT", "COMMERCIAL"]
Difficulty = Literal["EASY", "MEDIUM", "HARD"]
Currency = Literal["MOMENTUM", "SKILL_XP", "ARENA_POINTS", "INCOME_PROOF"]
Reward = Annotated[int, Meta(ge=0, le=1_000_000)]
# The repeat policy of a challenge template (README: engagement rules).
Repeat = Literal["once", "cooldown", "unlimited"]
CooldownSeconds = Annotated[int, Meta(ge=60, le=31_622_400, description="seconds between payouts (repeat cooldown)")]
DailyCap = Annotated[int, Meta(ge=1, le=100, description="payouts per local day (repeat unlimited)")]


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


# What wrote a wall post: the participant ('post') or the engine, for one of their achievements.
WallKind = Literal["post", "hard_completion", "streak_milestone", "level_up"]


class WallPost(Out):
    id: UUID
    participant_id: UUID
    author: str | None
    body: str
    published_at: datetime
    rank_score: float
    kind: WallKind


class NewWallPost(Body):
    body: Annotated[str, Meta(min_length=1, max_length=5000)]


class Hashtag(Body):
    hashtag: Annotated[str, Meta(pattern=r"^#\w{1,50}$", max_length=51)]



class CheckInOnRequest(Body):
    enabled: bool


class StipendTier(Out):
    code: str
    rank: int
    currency: str
    min_balance: int
    description: str | None


class StipendTierSpec(Body):
    rank: Annotated[int, Meta(ge=1, le=20)]
    currency: Currency
    min_balance: Annotated[int, Meta(ge=0, le=1_000_000_000)]
    description: Annotated[str, Meta(max_length=500)] | None = None


class StipendStep(Out):
    code: str
    rank: int
    currency: str
    min_balance: int
    balance: int
    met: bool


class StipendNext(StipendStep):
    shortfall: int


class StipendEligibility(Out):
    participant_id: UUID
    eligible: bool
    tier: str | None
    rank: int | None
    next: StipendNext | None
    tiers: list[StipendStep]
