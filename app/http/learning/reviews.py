"""Reviews of learning missions: the AI review (read, accept), the PREMIUM mentor review (request,
queue, claim, complete, read)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody

from app import queries
from app.http import paging
from app.http.codec import from_row, load, spec, to_json
from app.http.db import DB
from app.http.learning.missions import MissionId
from app.http.learning.schemas import (
    AiReview,
    MentorQueueItem,
    MentorReview,
    MentorVerdict,
    Progress,
    ReviewClaim,
)
from app.http.openapi import BEARER, IdempotencyKey, problems

MentorQueuePage = paging.page_of(MentorQueueItem)


class LearningReviewController(Controller):
    path = "/api/v1"
    tags = ["learning: reviews"]
    security = BEARER

    @get("/mission-progress/{mission_id:uuid}/ai-review", operation_id="getAiReview",
         summary="The AI review: pending or reviewed, score, verdict, per-subtask scores and reasoning",
         responses=problems(401, 404))
    async def ai_review(self, request: Request, db: DB, mission_id: UUID = MissionId) -> AiReview:
        row = await db.one(request, queries.AI_REVIEW, {"id": mission_id})
        return load(AiReview, row["review"])

    @post("/mission-progress/{mission_id:uuid}/ai-review/accept", operation_id="acceptAiReview", status_code=200,
          summary="Take the AI verdict (PREMIUM learners choose between this and a mentor review)",
          description="Approve completes the mission with rewards; request changes returns it to in progress. "
                      "Capstones need a mentor (409).",
          responses=problems(401, 403, 404, 409))
    async def accept_ai_review(self, request: Request, db: DB, mission_id: UUID = MissionId) -> Progress:
        row = await db.one(request, queries.ACCEPT_AI_REVIEW, {"id": mission_id})
        return load(Progress, row["progress"])

    @post("/mission-progress/{mission_id:uuid}/mentor-review", operation_id="requestMentorReview", status_code=200,
          summary="Ask a mentor to review after the AI review (PREMIUM members)",
          responses=problems(401, 403, 404, 409))
    async def request_mentor_review(self, request: Request, db: DB, mission_id: UUID = MissionId) -> Progress:
        row = await db.one(request, queries.REQUEST_MENTOR_REVIEW, {"id": mission_id})
        return load(Progress, row["progress"])

    @get("/mission-progress/{mission_id:uuid}/mentor-review", operation_id="getMentorReview",
         summary="The mentor review: requested, mentor, scores, feedback, decision, recommended recipes",
         responses=problems(401, 404))
    async def mentor_review(self, request: Request, db: DB, mission_id: UUID = MissionId) -> MentorReview:
        row = await db.one(request, queries.MENTOR_REVIEW, {"id": mission_id})
        return load(MentorReview, row["review"])

    @post("/mission-progress/{mission_id:uuid}/mentor-review/claim", operation_id="claimMentorReview",
          status_code=200, summary="A mentor claims the review (a lease; claiming again extends nothing, 409 if held)",
          responses=problems(401, 403, 404, 409))
    async def claim(self, request: Request, db: DB, mission_id: UUID = MissionId) -> ReviewClaim:
        return from_row(ReviewClaim, await db.one(request, queries.CLAIM_MENTOR_REVIEW, {"id": mission_id}))

    @post("/mission-progress/{mission_id:uuid}/mentor-review/complete", operation_id="completeMentorReview",
          status_code=200, summary="The claiming mentor scores every subtask on the path and approves or requests changes",
          description="The final score is the rubric-weighted mean of the scores. Without a live claim: 409 lease-lost.",
          responses=problems(401, 403, 404, 409, 422))
    async def complete(self, request: Request, db: DB, data: JSONBody[MentorVerdict], mission_id: UUID = MissionId,
                       idempotency_key: IdempotencyKey = None) -> Progress:
        row = await db.one(request, queries.COMPLETE_MENTOR_REVIEW, {
            "id": mission_id, "review": to_json(spec(data)), "idempotency_key": idempotency_key})
        return load(Progress, row["progress"])

    @get("/mentor-reviews", operation_id="listMentorReviews",
         summary="The mentor review queue: requested reviews not held by another mentor, oldest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def queue(self, request: Request, db: DB, limit: int = paging.Limit,
                    cursor: str | None = paging.Cursor) -> Response[MentorQueuePage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.MENTOR_REVIEWS, paging.params(limit, cursor))
        return paging.envelope(request, MentorQueuePage, [load(MentorQueueItem, r["review"]) for r in rows], rows, limit)
