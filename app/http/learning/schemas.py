"""Request and response bodies of the learning face (camelCase on the wire).

Responses are built from the JSON documents the SQL functions return (`codec.load`); only their own field
names are renamed. Requests are checked for shape here and for every rule in SQL.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from app.http.schemas import UNSET, Body, Out, Unset

LearningTier = Literal["beginner", "intermediate", "advanced", "mastery"]
Track = Literal["defender", "offensive", "grc", "innovation", "leadership"]
SubtaskNumber = Annotated[int, Meta(ge=1, le=1000)]
Text = Annotated[str, Meta(max_length=20000)]
Short = Annotated[str, Meta(min_length=1, max_length=200)]
Slug = Annotated[str, Meta(pattern=r"^[a-z0-9]+(-[a-z0-9]+)*$", max_length=100)]
Names = Annotated[list[Annotated[str, Meta(min_length=1, max_length=100)]], Meta(max_length=50)]
Score = Annotated[float, Meta(ge=0, le=100)]


# ---- templates ---------------------------------------------------------------------------------
class Criterion(Out):
    subtask: int
    criterion: str
    weight: float


class RubricVersion(Out):
    id: UUID
    version: int
    criteria: list[Criterion]


class Rubric(Out):
    id: UUID
    template_id: UUID
    version: int
    criteria: list[Criterion]
    created_at: datetime


class Choice(Out):
    key: str
    label: str
    next: int
    path: list[int] = []


class Decision(Out):
    key: str
    prompt: str
    rejoin: int
    choices: list[Choice]
    chosen: str | None = None


class TemplateSubtask(Out):
    position: int
    title: str
    instructions: str
    required_evidence: int
    optional: bool
    skills: list[str]
    hint_levels: int
    decision: Decision | None = None


class RecipeLink(Out):
    slug: str
    title: str
    subtask: int | None


class LearningTemplate(Out):
    id: UUID
    code: str
    title: str
    description: str
    story: str
    objectives: list[str]
    tier: str
    track: str
    success_criteria: list[str]
    time_constraint_hours: int | None
    auto_submit: bool
    reflection_required: bool
    is_capstone: bool
    pass_score: int
    skills: list[str]
    momentum: int
    skill_xp: int
    is_active: bool
    subtasks: list[TemplateSubtask]
    rubric: RubricVersion
    recipes: list[RecipeLink]


class NewHint(Body):
    text: Annotated[str, Meta(min_length=1, max_length=5000)]
    level: Annotated[int, Meta(ge=1, le=100)] | Unset = UNSET


class NewChoice(Body):
    key: Short
    label: Short
    next: SubtaskNumber


class NewDecision(Body):
    key: Short
    choices: Annotated[list[NewChoice], Meta(min_length=2, max_length=20)]
    prompt: Annotated[str, Meta(max_length=5000)] | Unset = UNSET
    rejoin: SubtaskNumber | Unset = UNSET


class NewSubtask(Body):
    title: Short
    instructions: Text | Unset = UNSET
    required_evidence: Annotated[int, Meta(ge=0, le=10)] | Unset = UNSET
    optional: bool | Unset = UNSET
    skills: Names | Unset = UNSET
    hints: Annotated[list[Annotated[str, Meta(min_length=1, max_length=5000)] | NewHint], Meta(max_length=20)] | Unset = UNSET
    decision: NewDecision | Unset = UNSET


class NewCriterion(Body):
    subtask: SubtaskNumber
    criterion: Short
    weight: Annotated[float, Meta(gt=0, le=1000)]


class NewRecipeLink(Body):
    slug: Slug
    subtask: SubtaskNumber | Unset = UNSET


class NewLearningTemplate(Body):
    code: Annotated[str, Meta(pattern=r"^[A-Z][A-Z0-9]*(-[A-Z0-9]+)*$", max_length=32)]
    title: Short
    subtasks: Annotated[list[NewSubtask], Meta(min_length=1, max_length=50)]
    tier: LearningTier | Unset = UNSET
    track: Track | Unset = UNSET
    description: Text | Unset = UNSET
    story: Text | Unset = UNSET
    objectives: Names | Unset = UNSET
    success_criteria: Names | Unset = UNSET
    time_constraint_hours: Annotated[int, Meta(ge=1, le=8760)] | Unset = UNSET
    auto_submit: bool | Unset = UNSET
    reflection_required: bool | Unset = UNSET
    is_capstone: bool | Unset = UNSET
    pass_score: Annotated[int, Meta(ge=0, le=100)] | Unset = UNSET
    skills: Names | Unset = UNSET
    momentum: Annotated[int, Meta(ge=0, le=1_000_000)] | Unset = UNSET
    skill_xp: Annotated[int, Meta(ge=0, le=1_000_000)] | Unset = UNSET
    rubric: Annotated[list[NewCriterion], Meta(min_length=1, max_length=50)] | Unset = UNSET
    recipes: Annotated[list[NewRecipeLink], Meta(max_length=100)] | Unset = UNSET


class NewRubric(Body):
    criteria: Annotated[list[NewCriterion], Meta(min_length=1, max_length=50)]


# ---- dashboard and progress --------------------------------------------------------------------
class Quota(Out):
    month: date
    limit: int | None
    used: int


class AvailableTemplate(Out):
    template_id: UUID
    code: str
    title: str
    tier: str
    track: str
    is_capstone: bool
    time_constraint_hours: int | None
    can_start: bool
    blocked_by: str | None
    view_only: bool


class OpenLearningMission(Out):
    id: UUID
    code: str
    title: str
    status: str
    review_stage: str
    deadline_at: datetime | None
    subtasks_done: int
    subtasks: int


class CompletedLearningMission(Out):
    id: UUID
    code: str
    title: str
    final_score: float | None
    completed_at: datetime | None


class SkillGap(Out):
    """One of the learner's weakest skill signals (lowest mastery first)."""

    skill: str
    mastery: float
    confidence: float


class GapRecipe(Out):
    """A recipe teaching one or more of the learner's skill gaps, not yet completed by them."""

    slug: str
    title: str
    type: str
    minutes: int
    skills: list[str]
    gap_skills: list[str]
    score: float


class Dashboard(Out):
    participant_id: UUID
    tier: str
    quota: Quota
    available: list[AvailableTemplate]
    in_progress: list[OpenLearningMission]
    completed: list[CompletedLearningMission]
    skill_gaps: list[SkillGap]
    recommended_recipes: list[GapRecipe]


class EvidenceSummary(Out):
    id: UUID
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


class SubtaskProgress(Out):
    position: int
    title: str
    status: str
    instructions: str
    required_evidence: int
    optional: bool
    notes: str | None
    started_at: datetime | None
    completed_at: datetime | None
    seconds_spent: int | None
    hint_levels: int
    hints_used: int
    decision: Decision | None
    evidence: list[EvidenceSummary]


class Progress(Out):
    id: UUID
    participant_id: UUID
    template_id: UUID
    code: str
    title: str
    story: str
    objectives: list[str]
    tier: str
    track: str
    success_criteria: list[str]
    is_capstone: bool
    reflection_required: bool
    status: str
    review_stage: str
    started_at: datetime | None
    deadline_at: datetime | None
    submitted_at: datetime | None
    completed_at: datetime | None
    reflection: str | None
    tools_used: list[str]
    rubric: RubricVersion
    ai_score: float | None
    mentor_score: float | None
    final_score: float | None
    feedback: str | None
    review_rounds: int
    auto_submit: bool
    auto_submitted_at: datetime | None
    drop_off_stage: int | None
    subtasks: list[SubtaskProgress]


class ProgressUpdate(Body):
    """Any of: a subtask's notes and completion (or skipping an optional one), tools used (accumulated), the
    reflection."""

    subtask: SubtaskNumber | Unset = UNSET
    notes: Text | Unset = UNSET
    done: bool | Unset = UNSET
    skip: bool | Unset = UNSET
    tools_used: Names | Unset = UNSET
    reflection: Text | None | Unset = UNSET


class LearningSubmission(Body):
    reflection: Text | None = None


# ---- hints and decisions -----------------------------------------------------------------------
class RevealedHint(Out):
    level: int
    text: str
    revealed_at: datetime


class Hints(Out):
    subtask: int
    levels: int
    revealed: list[RevealedHint]


class Hint(Out):
    subtask: int
    level: int
    text: str
    remaining: int


class DecisionPoint(Out):
    decision_id: str
    subtask: int
    prompt: str
    choices: list[Choice]
    available: bool
    chosen: str | None
    chosen_at: datetime | None
    skipped: list[int] | None


class DecisionChoice(Body):
    choice: Short


# ---- evidence ----------------------------------------------------------------------------------
class EvidenceFile(Out):
    """An evidence file's metadata (the storage key stays on the server)."""

    id: UUID
    mission_id: UUID
    subtask: int
    filename: str
    content_type: str
    size_bytes: int
    sha256: str
    uploaded_at: datetime


# ---- reviews -----------------------------------------------------------------------------------
class ReviewScore(Out):
    subtask: int
    score: float
    criterion: str | None = None
    reasoning: str | None = None
    comment: str | None = None


class AiReview(Out):
    mission_id: UUID
    review_stage: str
    status: str
    score: float | None
    reviewed_at: datetime | None
    verdict: str | None
    pass_score: int | None
    scores: list[ReviewScore]
    summary: str | None
    reviewer: str | None
    awaiting_learner: bool


class RecipeRef(Out):
    slug: str
    title: str


class MentorReview(Out):
    mission_id: UUID
    review_stage: str
    requested_at: datetime | None
    mentor_id: UUID | None
    reviewed_at: datetime | None
    score: float | None
    scores: list[ReviewScore]
    feedback: str | None
    decision: str | None
    recipes: list[RecipeRef]
    final_score: float | None


class MentorQueueItem(Out):
    mission_id: UUID
    code: str
    title: str
    participant_id: UUID
    ai_score: float | None
    requested_at: datetime
    step_id: UUID
    claimed_by: UUID | None
    claim_expires_at: datetime | None


class ReviewClaim(Out):
    mission_id: UUID
    step_id: UUID
    mentor_id: UUID
    expires_at: datetime
    attempt: int


class NewSubtaskScore(Body):
    subtask: SubtaskNumber
    score: Score
    comment: Annotated[str, Meta(max_length=5000)] | Unset = UNSET


class MentorVerdict(Body):
    scores: Annotated[list[NewSubtaskScore], Meta(min_length=1, max_length=50)]
    decision: Literal["approve", "request_changes"]
    feedback: Text | Unset = UNSET
    recipes: Annotated[list[Slug], Meta(max_length=50)] | Unset = UNSET


# ---- portfolio and skills ----------------------------------------------------------------------
class PortfolioEvidence(Out):
    id: UUID
    subtask: int
    filename: str
    content_type: str
    sha256: str


class PortfolioRubric(Out):
    version: int
    criteria: list[Criterion]
    scores: list[ReviewScore] | None


class PortfolioItem(Out):
    id: UUID
    mission_id: UUID
    code: str
    title: str
    track: str
    tier: str
    score: float
    rubric: PortfolioRubric
    evidence: list[PortfolioEvidence]
    completed_at: datetime


class SkillSignal(Out):
    skill: str
    mastery: float
    confidence: float
    evidence_count: int
    updated_at: datetime


# ---- recipes -----------------------------------------------------------------------------------
RecipeType = Literal["technical", "analysis", "tool", "concept", "soft_skill"]
RecipeEvent = Literal["viewed", "time", "completed", "used"]
RecipeContent = Annotated[str, Meta(max_length=100_000)]
Minutes = Annotated[int, Meta(ge=1, le=600)]


class RecipeSummary(Out):
    """A recipe of the library (the list, a deleted recipe)."""

    id: UUID
    slug: str
    title: str
    type: str
    skills: list[str]
    minutes: int
    content: str
    created_at: datetime
    updated_at: datetime


class RecipeTemplateLink(Out):
    template_id: UUID
    code: str
    subtask: int | None


class Recipe(Out):
    """A recipe with its links to learning templates (subtask null: the whole mission)."""

    id: UUID
    slug: str
    title: str
    type: str
    skills: list[str]
    minutes: int
    content: str
    created_at: datetime
    updated_at: datetime
    links: list[RecipeTemplateLink]


class NewRecipe(Body):
    slug: Slug
    title: Short
    type: RecipeType
    skills: Names | Unset = UNSET
    minutes: Minutes | Unset = UNSET
    content: RecipeContent | Unset = UNSET


class RecipeUpdate(Body):
    """The fields to change; creating a recipe through PUT needs at least title and type."""

    title: Short | Unset = UNSET
    type: RecipeType | Unset = UNSET
    skills: Names | Unset = UNSET
    minutes: Minutes | Unset = UNSET
    content: RecipeContent | Unset = UNSET


class NewRecipeTemplateLink(Body):
    template_id: UUID
    subtask: SubtaskNumber | None = None


class RecipeLinked(Out):
    slug: str
    template_id: UUID
    subtask: int | None
    created: bool


class RecipeUnlinked(Out):
    slug: str
    template_id: UUID
    subtask: int | None
    removed: bool


class RecipeUsageEvent(Body):
    event: RecipeEvent
    seconds: Annotated[int, Meta(ge=0, le=86400)] = 0
    mission_id: UUID | None = None
    participant_id: UUID | None = None


class RecipeUsage(Out):
    """A participant's running totals for one recipe."""

    participant_id: UUID
    recipe_id: UUID
    slug: str
    mission_id: UUID | None
    views: int
    seconds_spent: int
    first_viewed_at: datetime | None
    completed_at: datetime | None
    marked_used_at: datetime | None
    updated_at: datetime


class RecipeRecommendation(Out):
    slug: str
    title: str
    type: str
    minutes: int
    skills: list[str]
    reason: Literal["stage", "mission", "skills"]
    score: float
    subtask: int | None


# ---- learning analytics (as of the last refresh) ------------------------------------------------
class MissionPerformance(Out):
    template_id: UUID
    code: str
    title: str
    track: str
    tier: str
    attempts: int
    completed: int
    completion_rate: float
    avg_final_score: float | None
    avg_hours: float | None


class FunnelStage(Out):
    template_id: UUID
    code: str
    subtask: int
    title: str
    reached: int
    completed: int
    skipped: int
    dropped_off: int
    p50_minutes: float | None
    p90_minutes: float | None


class HeatmapCell(Out):
    track: str
    iso_dow: int
    hour: int
    completions: int


class Benchmark(Out):
    participant_id: UUID
    cohort: str
    completed: int
    avg_score: float
    percentile: float
    cohort_size: int


class RecipeEffectiveness(Out):
    recipe_id: UUID
    slug: str
    title: str
    templates: list[str]
    attempts_with: int
    successes_with: int
    attempts_without: int
    successes_without: int
    success_rate_with: float | None
    success_rate_without: float | None
    lift: float | None


class CohortSummary(Out):
    cohort: str
    participants: int
    learners: int
    started: int
    completed: int
    completion_rate: float
    avg_final_score: float | None
    top_skills: list[str]


class RecipeUsageStats(Out):
    """A recipe's usage: totals over every participant's recipe_usage row."""

    recipe_id: UUID
    slug: str
    title: str
    type: str
    learners: int
    viewers: int
    views: int
    seconds_spent: int
    avg_minutes: float | None
    completed: int
    completion_rate: float
    marked_used: int
    last_used_at: datetime | None


class DecisionPath(Out):
    """One choice of a decision point: how often it was taken and how those missions ended."""

    template_id: UUID
    code: str
    subtask: int
    decision_key: str
    choice_key: str
    label: str
    next_subtask: int
    chosen: int
    share: float
    open: int
    ended: int
    completed: int
    success_rate: float | None
    avg_final_score: float | None


class ToolUsage(Out):
    """A tool learners reported using on a template's missions, and how those missions ended."""

    template_id: UUID
    code: str
    tool: str
    missions: int
    share: float
    ended: int
    completed: int
    success_rate: float | None
    avg_final_score: float | None


class AnalyticsRefresh(Out):
    refreshed: int
