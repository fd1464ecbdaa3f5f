"""Engagement endpoints of a participant (seed 000 §11 user table, plus check-in, ledger and wall).

Participants may act only on their own userId (the SQL functions refuse others with 403);
admins and services may act for anyone.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.codec import from_row, load
from app.http.db import DB
from app.http.engagement.schemas import (
    Assignment,
    Balance,
    Challenge,
    CheckIn,
    LedgerEntry,
    LedgerRequest,
    Mission,
    NewWallPost,
    ParticipantStats,
    StipendEligibility,
    Submission,
    WallPost,
)
from app.http.openapi import BEARER, IdempotencyKey, problems
from app.http.paging import Cursor, Limit

UserId = Parameter(title="Participant id", description="The participant's principal id")
AssignmentId = Parameter(title="Assignment id", description="The id of the participant's mission")
TemplateId = Parameter(title="Template id")
OPEN = ["assigned", "in_progress", "submitted"]


class EngagementController(Controller):
    path = "/missions"
    tags = ["engagement"]
    security = BEARER

    @get("/all", operation_id="listTemplates", summary="All mission templates, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 422))
    async def all_templates(self, request: Request, db: DB, limit: int = Limit,
                            cursor: str | None = Cursor) -> Response[list[Challenge]]:
        rows = await db.rows(request, queries.TEMPLATES, paging.params(limit, cursor))
        return paging.array(request, [from_row(Challenge, r) for r in rows], rows, limit)

    @get("/{user_id:uuid}", operation_id="listMissions", summary="The participant's mission history, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def history(self, request: Request, db: DB, user_id: UUID = UserId, limit: int = Limit,
                      cursor: str | None = Cursor) -> Response[list[Mission]]:
        rows = await db.rows(request, queries.PARTICIPANT_MISSIONS,
                             {"user_id": user_id, "statuses": None, **paging.params(limit, cursor)})
        return paging.array(request, [from_row(Mission, r) for r in rows], rows, limit)

    @get("/{user_id:uuid}/available", operation_id="listAvailableMissions",
         summary="Templates the participant can accept now (level gate, none open), newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def available(self, request: Request, db: DB, user_id: UUID = UserId, limit: int = Limit,
                        cursor: str | None = Cursor) -> Response[list[Challenge]]:
        rows = await db.rows(request, queries.AVAILABLE_MISSIONS, {"user_id": user_id, **paging.params(limit, cursor)})
        return paging.array(request, [from_row(Challenge, r) for r in rows], rows, limit)

    @get("/{user_id:uuid}/active", operation_id="listActiveMissions",
         summary="Open missions: assigned, in progress or submitted, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def active(self, request: Request, db: DB, user_id: UUID = UserId, limit: int = Limit,
                     cursor: str | None = Cursor) -> Response[list[Mission]]:
        rows = await db.rows(request, queries.PARTICIPANT_MISSIONS,
                             {"user_id": user_id, "statuses": OPEN, **paging.params(limit, cursor)})
        return paging.array(request, [from_row(Mission, r) for r in rows], rows, limit)

    @get("/{user_id:uuid}/stats", operation_id="getParticipantStats", summary="Completion statistics",
         responses=problems(401, 403, 404))
    async def stats(self, request: Request, db: DB, user_id: UUID = UserId) -> ParticipantStats:
        row = await db.one(request, queries.PARTICIPANT_STATS, {"user_id": user_id})
        return load(ParticipantStats, row["stats"])

    @post("/{user_id:uuid}/assign/{template_id:uuid}", operation_id="assignMission",
          summary="Accept a mission template",
          description="409 duplicate (23505) while an assignment of the template is open; 409 (MS409, with a hint "
                      "saying when) when the template's repeat policy allows no further payout now.",
          responses=problems(401, 403, 404, 409, 422))
    async def assign(self, request: Request, db: DB, data: JSONBody[Assignment | None] = None,
                     user_id: UUID = UserId, template_id: UUID = TemplateId) -> Mission:
        deadline = (data or Assignment()).deadline_days
        row = await db.one(request, queries.ASSIGN_MISSION,
                           {"user_id": user_id, "template_id": template_id, "deadline_days": deadline})
        return from_row(Mission, row)

    @post("/{user_id:uuid}/start/{assignment_id:uuid}", operation_id="startMission", status_code=200,
          summary="Begin working on an assigned mission", responses=problems(401, 403, 404, 409))
    async def start(self, request: Request, db: DB, user_id: UUID = UserId,
                    assignment_id: UUID = AssignmentId) -> Mission:
        row = await db.one(request, queries.START_MISSION, {"id": assignment_id, "user_id": user_id})
        return from_row(Mission, row)

    @post("/{user_id:uuid}/submit/{assignment_id:uuid}", operation_id="submitMission", status_code=200,
          summary="Submit with proof (EASY completes at once)", responses=problems(401, 403, 404, 409, 422))
    async def submit(self, request: Request, db: DB, data: JSONBody[Submission | None] = None,
                     user_id: UUID = UserId, assignment_id: UUID = AssignmentId,
                     idempotency_key: IdempotencyKey = None) -> Mission:
        proof = data or Submission()
        row = await db.one(request, queries.SUBMIT_MISSION, {
            "id": assignment_id, "user_id": user_id, "proof_url": proof.proof_url, "proof_text": proof.proof_text,
            "idempotency_key": idempotency_key})
        return from_row(Mission, row)

    @post("/{user_id:uuid}/check-in", operation_id="checkIn", status_code=200,
          summary="Check in for today (streaks, bonuses, un-pause)", responses=problems(401, 403, 404))
    async def check_in(self, request: Request, db: DB, user_id: UUID = UserId) -> CheckIn:
        return from_row(CheckIn, await db.one(request, queries.CHECK_IN, {"user_id": user_id}))

    @get("/{user_id:uuid}/stipend-tier", operation_id="getStipendTier",
         summary="The stipend tier the participant qualifies for, from their balances (support eligibility)",
         responses=problems(401, 403, 404))
    async def stipend_tier(self, request: Request, db: DB, user_id: UUID = UserId) -> StipendEligibility:
        row = await db.one(request, queries.STIPEND_TIER, {"user_id": user_id})
        return load(StipendEligibility, row["eligibility"])

    @get("/{user_id:uuid}/balances", operation_id="getBalances", summary="Balance per currency",
         responses=problems(401, 403, 404))
    async def balances(self, request: Request, db: DB, user_id: UUID = UserId) -> list[Balance]:
        return [from_row(Balance, r) for r in await db.rows(request, queries.BALANCES, {"user_id": user_id})]

    @get("/{user_id:uuid}/ledger", operation_id="getLedger", summary="Ledger entries, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def ledger(self, request: Request, db: DB, user_id: UUID = UserId,
                     limit: int = Limit, cursor: str | None = Cursor) -> Response[list[LedgerEntry]]:
        rows = await db.rows(request, queries.LEDGER, {"user_id": user_id, **paging.params(limit, cursor)})
        return paging.array(request, [from_row(LedgerEntry, r) for r in rows], rows, limit)

    @post("/{user_id:uuid}/credit", operation_id="credit", summary="Credit a currency (admins, services)",
          description="The same idempotency key (the `Idempotency-Key` header or `idempotencyKey`) twice books "
                      "once and returns the first entry.",
          responses=problems(401, 403, 404, 409, 422))
    async def credit(self, request: Request, db: DB, data: JSONBody[LedgerRequest], user_id: UUID = UserId,
                     idempotency_key: IdempotencyKey = None) -> LedgerEntry:
        return await self._book(request, db, queries.CREDIT, data, user_id, idempotency_key)

    @post("/{user_id:uuid}/debit", operation_id="debit",
          summary="Debit a currency, never below zero (admins, services)",
          description="The entry records what was actually taken.", responses=problems(401, 403, 404, 409, 422))
    async def debit(self, request: Request, db: DB, data: JSONBody[LedgerRequest], user_id: UUID = UserId,
                    idempotency_key: IdempotencyKey = None) -> LedgerEntry:
        return await self._book(request, db, queries.DEBIT, data, user_id, idempotency_key)

    async def _book(self, request: Request, db: DB, query: str, data: LedgerRequest,
                    user_id: UUID, header_key: str | None) -> LedgerEntry:
        key = data.idempotency_key or header_key
        row = await db.one(request, query, {"user_id": user_id, "currency": data.currency, "amount": data.amount,
                                            "reason": data.reason, "idempotency_key": key})
        return from_row(LedgerEntry, row)

    @post("/{user_id:uuid}/wall", operation_id="postToWall", summary="Publish a wall post",
          responses=problems(401, 403, 404, 422))
    async def post_to_wall(self, request: Request, db: DB, data: JSONBody[NewWallPost],
                           user_id: UUID = UserId) -> WallPost:
        return from_row(WallPost, await db.one(request, queries.POST_TO_WALL, {"user_id": user_id, "body": data.body}))
