"""The learner's side of the learning face (seed 002): dashboard, start, progress, hints, decisions,
submit, portfolio and skill signals.

`/api/v1/missions/{template_id}/start` takes a learning template id; every other `{mission_id}` is a
learning mission (a "mission progress"). Participants act on their own missions (others' are 404);
admins and services on anyone's; `participant_id` picks the participant for staff.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.codec import load, spec, to_json
from app.http.db import DB
from app.http.learning.schemas import (
    Dashboard,
    DecisionChoice,
    DecisionPoint,
    Hint,
    Hints,
    LearningSubmission,
    PortfolioItem,
    Progress,
    ProgressUpdate,
    SkillSignal,
)
from app.http.openapi import BEARER, IdempotencyKey, problems

PortfolioPage = paging.page_of(PortfolioItem)
SkillSignalPage = paging.page_of(SkillSignal)
MissionId = Parameter(title="Learning mission id", description="The id of a learning mission (mission progress)")
TemplateId = Parameter(title="Learning template id")
SubtaskId = Parameter(title="Subtask number", description="The subtask's position, from 1", ge=1, le=1000)
ParticipantId = Parameter(default=None, description="Staff only: whose data (default: the caller)")


class LearningController(Controller):
    path = "/api/v1"
    tags = ["learning"]
    security = BEARER

    @get("/missions/dashboard", operation_id="getLearningDashboard",
         summary="The learner's dashboard: monthly quota, startable templates, open and completed missions",
         description="Also the gap analysis: `skillGaps`, the learner's three weakest skill signals (mastery under "
                     "100, lowest first), and `recommendedRecipes`, at most five recipes teaching them that the "
                     "learner has not completed, best first.",
         responses=problems(401, 403, 404))
    async def dashboard(self, request: Request, db: DB, participant_id: UUID | None = ParticipantId) -> Dashboard:
        row = await db.one(request, queries.LEARNING_DASHBOARD, {"participant_id": participant_id})
        return load(Dashboard, row["dashboard"])

    @post("/missions/{template_id:uuid}/start", operation_id="startLearningMission",
          summary="Start a learning template (monthly quota, capstones PREMIUM only, tier unlocking)",
          description="FREE members start 1 learning mission per local calendar month, STARTER 3 (429 beyond); "
                      "capstones need PREMIUM and higher tiers a completed mission of the tier below (403); "
                      "one open mission per template (409).",
          responses=problems(401, 403, 404, 409, 429))
    async def start(self, request: Request, db: DB, template_id: UUID = TemplateId,
                    participant_id: UUID | None = ParticipantId) -> Progress:
        row = await db.one(request, queries.START_LEARNING_MISSION,
                           {"participant_id": participant_id, "template_id": template_id})
        return load(Progress, row["progress"])

    @get("/mission-progress/{mission_id:uuid}", operation_id="getMissionProgress",
         summary="A learning mission's progress: subtasks, notes, time, hints, decisions, evidence, scores",
         responses=problems(401, 404))
    async def progress(self, request: Request, db: DB, mission_id: UUID = MissionId) -> Progress:
        row = await db.one(request, queries.LEARNING_PROGRESS, {"id": mission_id})
        return load(Progress, row["progress"])

    @patch("/mission-progress/{mission_id:uuid}", operation_id="saveMissionProgress",
           summary="Save a subtask's notes, mark it done or skip it (optional ones); add tools used; save the reflection",
           description="`done` needs the decision made and the required evidence uploaded (409 otherwise); "
                       "`skip` passes an optional subtask (409 for a required one).",
           responses=problems(401, 403, 404, 409, 422))
    async def save(self, request: Request, db: DB, data: JSONBody[ProgressUpdate],
                   mission_id: UUID = MissionId) -> Progress:
        row = await db.one(request, queries.SAVE_MISSION_PROGRESS,
                           {"id": mission_id, "spec": to_json(spec(data))})
        return load(Progress, row["progress"])

    @post("/mission-progress/{mission_id:uuid}/submit", operation_id="submitLearningMission", status_code=200,
          summary="Submit for review (required subtasks done; reflection when the template requires one)",
          responses=problems(401, 403, 404, 409, 422))
    async def submit(self, request: Request, db: DB, data: JSONBody[LearningSubmission | None] = None,
                     mission_id: UUID = MissionId, idempotency_key: IdempotencyKey = None) -> Progress:
        row = await db.one(request, queries.SUBMIT_LEARNING_MISSION, {
            "id": mission_id, "reflection": (data or LearningSubmission()).reflection,
            "idempotency_key": idempotency_key})
        return load(Progress, row["progress"])

    @get("/missions/{mission_id:uuid}/hints/{subtask_id:int}", operation_id="getHints",
         summary="The hints of a subtask revealed so far", responses=problems(401, 404))
    async def hints(self, request: Request, db: DB, mission_id: UUID = MissionId, subtask_id: int = SubtaskId) -> Hints:
        row = await db.one(request, queries.MISSION_HINTS, {"id": mission_id, "subtask": subtask_id})
        return load(Hints, row["hints"])

    @post("/missions/{mission_id:uuid}/hints/{subtask_id:int}", operation_id="revealHint", status_code=200,
          summary="Reveal the next hint level of a subtask (recorded; 409 when none are left)",
          responses=problems(401, 403, 404, 409))
    async def reveal_hint(self, request: Request, db: DB, mission_id: UUID = MissionId,
                          subtask_id: int = SubtaskId) -> Hint:
        row = await db.one(request, queries.REVEAL_HINT, {"id": mission_id, "subtask": subtask_id})
        return load(Hint, row["hint"])

    @get("/missions/{mission_id:uuid}/decisions", operation_id="listDecisions",
         summary="The mission's decision points: choices, whether one can be made now, what was chosen",
         responses=problems(401, 404))
    async def decisions(self, request: Request, db: DB, mission_id: UUID = MissionId) -> list[DecisionPoint]:
        row = await db.one(request, queries.MISSION_DECISIONS, {"id": mission_id})
        return load(list[DecisionPoint], row["decisions"])

    @post("/missions/{mission_id:uuid}/decisions/{decision_id:str}/choose", operation_id="chooseDecision",
          status_code=200, summary="Choose at a decision point (once; the other paths' subtasks are skipped)",
          responses=problems(401, 403, 404, 409, 422))
    async def choose(self, request: Request, db: DB, data: JSONBody[DecisionChoice], mission_id: UUID = MissionId,
                     decision_id: str = Parameter(title="Decision key", max_length=200)) -> Progress:
        row = await db.one(request, queries.CHOOSE_DECISION,
                           {"id": mission_id, "decision": decision_id, "choice": data.choice})
        return load(Progress, row["progress"])

    @get("/portfolio", operation_id="getPortfolio",
         summary="Portfolio items: one per approved learning mission, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def portfolio(self, request: Request, db: DB, participant_id: UUID | None = ParticipantId,
                        limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[PortfolioPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.PORTFOLIO, {"participant_id": participant_id, **paging.params(limit, cursor)})
        return paging.envelope(request, PortfolioPage, [load(PortfolioItem, r["item"]) for r in rows], rows, limit)

    @get("/skill-signals", operation_id="getSkillSignals",
         summary="Skill signals: mastery (mean final score) and confidence per skill, strongest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def skill_signals(self, request: Request, db: DB, participant_id: UUID | None = ParticipantId,
                            limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[SkillSignalPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.SKILL_SIGNALS,
                             {"participant_id": participant_id, **paging.params(limit, cursor)})
        return paging.envelope(request, SkillSignalPage, [load(SkillSignal, r["signal"]) for r in rows], rows, limit)
