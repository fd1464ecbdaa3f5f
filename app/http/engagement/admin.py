"""Engagement administration (seed 000 §11 admin table): templates, the review queue, daily
assignment, aggregate stats, alerts and the campaign hashtag. Admins and services only — the
database refuses other roles (403)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post, put
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.codec import from_row, load, spec, to_json
from app.http.db import DB
from app.http.engagement.schemas import (
    ActiveFlag,
    AdminStats,
    Alert,
    AssignedCount,
    Challenge,
    ChallengePatch,
    CheckInOnRequest,
    Hashtag,
    Mission,
    NewChallenge,
    Rejection,
    Resolution,
    StipendTier,
    StipendTierSpec,
)
from app.http.openapi import BEARER, IdempotencyKey, problems
from app.http.paging import Cursor, Limit

AlertPage = paging.page_of(Alert)
AssignmentId = Parameter(title="Assignment id", description="A participant's mission id")
TemplateId = Parameter(title="Template id", description="A mission template id")


class EngagementAdminController(Controller):
    path = "/missions/admin"
    tags = ["engagement admin"]
    security = BEARER

    @post("/create", operation_id="createTemplate", summary="Create a mission template",
          responses=problems(401, 403, 422))
    async def create(self, request: Request, db: DB, data: JSONBody[NewChallenge]) -> Challenge:
        row = await db.one(request, queries.CREATE_TEMPLATE, {"spec": to_json(spec(data))})
        return from_row(Challenge, row)

    @patch("/{template_id:uuid}", operation_id="updateTemplate", summary="Update a mission template",
           responses=problems(401, 403, 404, 422))
    async def update(self, request: Request, db: DB, data: JSONBody[ChallengePatch],
                     template_id: UUID = TemplateId) -> Challenge:
        row = await db.one(request, queries.UPDATE_TEMPLATE, {"id": template_id, "spec": to_json(spec(data))})
        return from_row(Challenge, row)

    @patch("/{template_id:uuid}/status", operation_id="setTemplateActive", summary="Activate or deactivate a template",
           responses=problems(401, 403, 404, 422))
    async def set_active(self, request: Request, db: DB, data: JSONBody[ActiveFlag],
                         template_id: UUID = TemplateId) -> Challenge:
        row = await db.one(request, queries.SET_TEMPLATE_ACTIVE, {"id": template_id, "active": data.is_active})
        return from_row(Challenge, row)

    @get("/pending", operation_id="listPendingReviews", summary="Submissions awaiting review, oldest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def pending(self, request: Request, db: DB, limit: int = Limit,
                      cursor: str | None = Cursor) -> Response[list[Mission]]:
        rows = await db.rows(request, queries.PENDING_REVIEWS, paging.params(limit, cursor))
        return paging.array(request, [from_row(Mission, r) for r in rows], rows, limit)

    @post("/{assignment_id:uuid}/approve", operation_id="approveMission", status_code=200,
          summary="Approve a submission: completed, rewards paid once", responses=problems(401, 403, 404, 409))
    async def approve(self, request: Request, db: DB, assignment_id: UUID = AssignmentId,
                      idempotency_key: IdempotencyKey = None) -> Mission:
        row = await db.one(request, queries.APPROVE_MISSION, {"id": assignment_id, "idempotency_key": idempotency_key})
        return from_row(Mission, row)

    @post("/{assignment_id:uuid}/fail", operation_id="failMission", status_code=200,
          summary="Reject a submission with a reason", responses=problems(401, 403, 404, 409, 422))
    async def fail(self, request: Request, db: DB, data: JSONBody[Rejection | None] = None,
                   assignment_id: UUID = AssignmentId, idempotency_key: IdempotencyKey = None) -> Mission:
        row = await db.one(request, queries.FAIL_MISSION, {
            "id": assignment_id, "reason": (data or Rejection()).reason, "idempotency_key": idempotency_key})
        return from_row(Mission, row)

    @post("/assign-daily", operation_id="assignDailyMissions", status_code=200,
          summary="Run the daily assignment now (idempotent per local day)", responses=problems(401, 403))
    async def assign_daily(self, request: Request, db: DB) -> AssignedCount:
        return from_row(AssignedCount, await db.one(request, queries.ASSIGN_DAILY))

    @get("/stats", operation_id="getAdminStats", summary="Aggregate statistics", responses=problems(401, 403))
    async def stats(self, request: Request, db: DB) -> AdminStats:
        row = await db.one(request, queries.ADMIN_STATS)
        return load(AdminStats, row["stats"])

    @put("/campaign-hashtag", operation_id="setCampaignHashtag", summary="Set the wall's campaign hashtag",
         responses=problems(401, 403, 422))
    async def set_hashtag(self, request: Request, db: DB, data: JSONBody[Hashtag]) -> Hashtag:
        row = await db.one(request, queries.SET_CAMPAIGN_HASHTAG, {"hashtag": data.hashtag})
        return Hashtag(hashtag=row["hashtag"])

    @put("/check-in-on-request", operation_id="setCheckInOnRequest",
         summary="Turn the automatic check-in on a participant's first request of the day on or off",
         responses=problems(401, 403, 422))
    async def set_check_in_on_request(self, request: Request, db: DB, data: JSONBody[CheckInOnRequest]) -> CheckInOnRequest:
        row = await db.one(request, queries.SET_CHECK_IN_ON_REQUEST, {"enabled": data.enabled})
        return CheckInOnRequest(enabled=row["enabled"])


TierCode = Parameter(title="Tier code", description="A stipend tier's code (A-Z, 0-9, _)", max_length=40)


class StipendTierController(Controller):
    path = "/stipend-tiers"
    tags = ["engagement admin"]
    security = BEARER

    @get("/", operation_id="listStipendTiers", summary="The stipend tier ladder, rank 1 first (at most 20 tiers)",
         responses=problems(401))
    async def list_tiers(self, request: Request, db: DB) -> list[StipendTier]:
        return [from_row(StipendTier, r) for r in await db.rows(request, queries.STIPEND_TIERS)]

    @put("/{code:str}", operation_id="setStipendTier", summary="Create or replace a stipend tier (admins, services)",
         description="409 (23505 `stipend_tiers_rank_unique`) when another tier holds the rank.",
         responses=problems(401, 403, 409, 422))
    async def set_tier(self, request: Request, db: DB, data: JSONBody[StipendTierSpec],
                       code: str = TierCode) -> StipendTier:
        row = await db.one(request, queries.SET_STIPEND_TIER, {
            "code": code, "rank": data.rank, "currency": data.currency, "min_balance": data.min_balance,
            "description": data.description})
        return load(StipendTier, row["tier"])

    @delete("/{code:str}", operation_id="deleteStipendTier", status_code=200,
            summary="Delete a stipend tier (admins, services)", responses=problems(401, 403, 404))
    async def delete_tier(self, request: Request, db: DB, code: str = TierCode) -> StipendTier:
        row = await db.one(request, queries.DELETE_STIPEND_TIER, {"code": code})
        return load(StipendTier, row["tier"])


class AlertController(Controller):
    path = "/alerts"
    tags = ["alerts"]
    security = BEARER

    @get("/", operation_id="listAlerts", summary="Alerts (admins: all; participants: their own), newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def list_alerts(self, request: Request, db: DB,
                          status: str = Parameter(default="triggered", pattern="^(triggered|resolved|all)$"),
                          limit: int = Limit, cursor: str | None = Cursor) -> Response[AlertPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.ALERTS, {"status": status, **paging.params(limit, cursor)})
        return paging.envelope(request, AlertPage, [from_row(Alert, r) for r in rows], rows, limit)

    @post("/{alert_id:uuid}/resolve", operation_id="resolveAlert", status_code=200,
          summary="Resolve an alert with notes (admins)", responses=problems(401, 403, 404, 409, 422))
    async def resolve(self, request: Request, db: DB, data: JSONBody[Resolution | None] = None,
                      alert_id: UUID = Parameter(title="Alert id")) -> Alert:
        notes = (data or Resolution()).notes
        return from_row(Alert, await db.one(request, queries.RESOLVE_ALERT, {"id": alert_id, "notes": notes}))
