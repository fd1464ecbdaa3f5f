"""Learning analytics over HTTP: the nine materialized views as of their last refresh (every 15 minutes
by pg_cron, or `POST /api/v1/missions/analytics/refresh`).

Admins, services and mentors read them all; participants only their own benchmark row (403 for the
rest); agents nothing.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import Parameter

from app import queries
from app.http import paging
from app.http.codec import load
from app.http.db import DB
from app.http.learning.schemas import (
    AnalyticsRefresh,
    Benchmark,
    CohortSummary,
    DecisionPath,
    FunnelStage,
    HeatmapCell,
    MissionPerformance,
    RecipeEffectiveness,
    RecipeUsageStats,
    ToolUsage,
    Track,
)
from app.http.openapi import BEARER, problems

PerformancePage = paging.page_of(MissionPerformance)
FunnelPage = paging.page_of(FunnelStage)
HeatmapPage = paging.page_of(HeatmapCell)
BenchmarkPage = paging.page_of(Benchmark)
CohortPage = paging.page_of(CohortSummary)
EffectivenessPage = paging.page_of(RecipeEffectiveness)
UsagePage = paging.page_of(RecipeUsageStats)
DecisionPage = paging.page_of(DecisionPath)
ToolPage = paging.page_of(ToolUsage)
TemplateFilter = Parameter(description="The learning template")
TrackFilter = Parameter(default=None, description="Only this track")
STAFF = " (admins, services, mentors)"


class LearningAnalyticsController(Controller):
    path = "/api/v1"
    tags = ["learning: analytics"]
    security = BEARER

    @get("/missions/analytics/performance", operation_id="getMissionPerformance",
         summary="Per learning template: attempts, completions, completion rate, mean final score and hours" + STAFF,
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def performance(self, request: Request, db: DB, track: Track | None = TrackFilter,
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[PerformancePage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.MISSION_PERFORMANCE, {"track": track, **paging.params(limit, cursor)})
        return paging.envelope(request, PerformancePage, [load(MissionPerformance, r["doc"]) for r in rows], rows, limit)

    @get("/missions/analytics/funnel", operation_id="getStepFunnel",
         summary="A learning template's funnel per subtask: reached, completed, skipped, dropped off, "
                 "p50/p90 minutes" + STAFF,
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def funnel(self, request: Request, db: DB,
                     template_id: UUID = Parameter(description="The learning template"),
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[FunnelPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.STEP_FUNNEL, {"template_id": template_id, **paging.params(limit, cursor)})
        return paging.envelope(request, FunnelPage, [load(FunnelStage, r["doc"]) for r in rows], rows, limit)

    @get("/missions/analytics/heatmap", operation_id="getCompletionHeatmap",
         summary="Learning completions per track, ISO day of week and hour in the participant's time zone" + STAFF,
         description="Cells without completions have no entry.",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def heatmap(self, request: Request, db: DB, track: Track | None = TrackFilter,
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[HeatmapPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.COMPLETION_HEATMAP, {"track": track, **paging.params(limit, cursor)})
        return paging.envelope(request, HeatmapPage, [load(HeatmapCell, r["doc"]) for r in rows], rows, limit)

    @get("/missions/analytics/benchmarks", operation_id="getParticipantBenchmarks",
         summary="Completed missions, mean score and percentile within the cohort; a participant sees only their own",
         description="Participants with a completed learning mission; cohort `none` holds those without a cohort.",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def benchmarks(self, request: Request, db: DB,
                         cohort: str | None = Parameter(default=None, min_length=1, max_length=100,
                                                        description="Only this cohort (`none`: no cohort)"),
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[BenchmarkPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.PARTICIPANT_BENCHMARKS, {"cohort": cohort, **paging.params(limit, cursor)})
        return paging.envelope(request, BenchmarkPage, [load(Benchmark, r["doc"]) for r in rows], rows, limit)

    @get("/missions/analytics/cohorts", operation_id="getCohortDashboard",
         summary="Per cohort: participants, learners, missions started and completed, mean score, top skills" + STAFF,
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def cohorts(self, request: Request, db: DB,
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[CohortPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.COHORT_DASHBOARD, paging.params(limit, cursor))
        return paging.envelope(request, CohortPage, [load(CohortSummary, r["doc"]) for r in rows], rows, limit)

    @get("/recipes/analytics/effectiveness", operation_id="getRecipeEffectiveness",
         summary="Per recipe: ended missions of its templates with and without it, success rates and lift" + STAFF,
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def effectiveness(self, request: Request, db: DB,
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[EffectivenessPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.RECIPE_EFFECTIVENESS, paging.params(limit, cursor))
        return paging.envelope(request, EffectivenessPage, [load(RecipeEffectiveness, r["doc"]) for r in rows], rows, limit)

    @get("/recipes/analytics/usage-stats", operation_id="getRecipeUsageStats",
         summary="Per recipe: learners, views, time spent, completion rate, marked used; most viewed first" + STAFF,
         description="Totals of what `POST /recipes/{slug}/usage` recorded (viewed, time, completed, used); "
                     "completionRate = completed / learners (participants who used the recipe at all).",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def usage(self, request: Request, db: DB,
                    limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[UsagePage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.RECIPE_USAGE_STATS, paging.params(limit, cursor))
        return paging.envelope(request, UsagePage, [load(RecipeUsageStats, r["doc"]) for r in rows], rows, limit)

    @get("/missions/analytics/decisions", operation_id="getDecisionPaths",
         summary="A learning template's decision paths: per decision point and choice, how often chosen and the "
                 "outcome" + STAFF,
         description="Choices nobody took have zeros; successRate = completed / ended missions that took the choice.",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def decisions(self, request: Request, db: DB, template_id: UUID = TemplateFilter,
                        limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[DecisionPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.DECISION_PATHS, {"template_id": template_id, **paging.params(limit, cursor)})
        return paging.envelope(request, DecisionPage, [load(DecisionPath, r["doc"]) for r in rows], rows, limit)

    @get("/missions/analytics/tools", operation_id="getToolUsage",
         summary="The tools learners reported on a learning template's missions, most used first, with the "
                 "outcome" + STAFF,
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def tools(self, request: Request, db: DB, template_id: UUID = TemplateFilter,
                    limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[ToolPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.TOOL_USAGE, {"template_id": template_id, **paging.params(limit, cursor)})
        return paging.envelope(request, ToolPage, [load(ToolUsage, r["doc"]) for r in rows], rows, limit)

    @post("/missions/analytics/refresh", operation_id="refreshLearningAnalytics", status_code=200,
          summary="Refresh the nine analytics views now, concurrently (admins, services)",
          responses=problems(401, 403))
    async def refresh(self, request: Request, db: DB) -> AnalyticsRefresh:
        row = await db.one(request, queries.REFRESH_LEARNING_ANALYTICS)
        return AnalyticsRefresh(refreshed=row["refreshed"])
