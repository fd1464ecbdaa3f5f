"""Learning analytics over HTTP: the six materialized views as of their last refresh (every 15 minutes
by pg_cron, or `POST /api/v1/missions/analytics/refresh`).

Admins, services and mentors read them all; participants only their own benchmark row (403 for the
rest); agents nothing.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, get, post
from litestar.params import Parameter

from app import queries
from app.http.db import DB
from app.http.learning_schemas import (
    AnalyticsRefresh,
    Benchmark,
    CohortSummary,
    FunnelStage,
    HeatmapCell,
    MissionPerformance,
    RecipeEffectiveness,
    Track,
)
from app.http.openapi import BEARER, problems
from app.http.schemas import load

TrackFilter = Parameter(default=None, description="Only this track")
STAFF = " (admins, services, mentors)"


class LearningAnalyticsController(Controller):
    path = "/api/v1"
    tags = ["learning: analytics"]
    security = BEARER

    @get("/missions/analytics/performance", operation_id="getMissionPerformance",
         summary="Per learning template: attempts, completions, completion rate, mean final score and hours" + STAFF,
         responses=problems(401, 403, 422))
    async def performance(self, request: Request, db: DB, track: Track | None = TrackFilter) -> list[MissionPerformance]:
        rows = await db.rows(request, queries.MISSION_PERFORMANCE, {"track": track})
        return [load(MissionPerformance, r["doc"]) for r in rows]

    @get("/missions/analytics/funnel", operation_id="getStepFunnel",
         summary="A learning template's funnel per subtask: reached, completed, skipped, dropped off, "
                 "p50/p90 minutes" + STAFF,
         responses=problems(401, 403, 404, 422))
    async def funnel(self, request: Request, db: DB,
                     template_id: UUID = Parameter(description="The learning template")) -> list[FunnelStage]:
        rows = await db.rows(request, queries.STEP_FUNNEL, {"template_id": template_id})
        return [load(FunnelStage, r["doc"]) for r in rows]

    @get("/missions/analytics/heatmap", operation_id="getCompletionHeatmap",
         summary="Learning completions per track, ISO day of week and hour in the participant's time zone" + STAFF,
         description="Cells without completions have no entry.", responses=problems(401, 403, 422))
    async def heatmap(self, request: Request, db: DB, track: Track | None = TrackFilter) -> list[HeatmapCell]:
        rows = await db.rows(request, queries.COMPLETION_HEATMAP, {"track": track})
        return [load(HeatmapCell, r["doc"]) for r in rows]

    @get("/missions/analytics/benchmarks", operation_id="getParticipantBenchmarks",
         summary="Completed missions, mean score and percentile within the cohort; a participant sees only their own",
         description="Participants with a completed learning mission; cohort `none` holds those without a cohort.",
         responses=problems(401, 403, 422))
    async def benchmarks(self, request: Request, db: DB,
                         cohort: str | None = Parameter(default=None, min_length=1, max_length=100,
                                                        description="Only this cohort (`none`: no cohort)"),
                         ) -> list[Benchmark]:
        rows = await db.rows(request, queries.PARTICIPANT_BENCHMARKS, {"cohort": cohort})
        return [load(Benchmark, r["doc"]) for r in rows]

    @get("/missions/analytics/cohorts", operation_id="getCohortDashboard",
         summary="Per cohort: participants, learners, missions started and completed, mean score, top skills" + STAFF,
         responses=problems(401, 403))
    async def cohorts(self, request: Request, db: DB) -> list[CohortSummary]:
        return [load(CohortSummary, r["doc"]) for r in await db.rows(request, queries.COHORT_DASHBOARD)]

    @get("/recipes/analytics/effectiveness", operation_id="getRecipeEffectiveness",
         summary="Per recipe: ended missions of its templates with and without it, success rates and lift" + STAFF,
         responses=problems(401, 403))
    async def effectiveness(self, request: Request, db: DB) -> list[RecipeEffectiveness]:
        return [load(RecipeEffectiveness, r["doc"]) for r in await db.rows(request, queries.RECIPE_EFFECTIVENESS)]

    @post("/missions/analytics/refresh", operation_id="refreshLearningAnalytics", status_code=200,
          summary="Refresh the six analytics views now, concurrently (admins, services)",
          responses=problems(401, 403))
    async def refresh(self, request: Request, db: DB) -> AnalyticsRefresh:
        row = await db.one(request, queries.REFRESH_LEARNING_ANALYTICS)
        return AnalyticsRefresh(refreshed=row["refreshed"])
