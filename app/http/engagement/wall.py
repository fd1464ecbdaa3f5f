"""The public wall feed, ranked by rank_score (any authenticated caller)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get

from app import queries
from app.http import paging
from app.http.codec import from_row
from app.http.db import DB
from app.http.engagement.schemas import WallPost
from app.http.openapi import BEARER, problems
from app.http.paging import Cursor, Limit


class WallController(Controller):
    path = "/wall"
    tags = ["wall"]
    security = BEARER

    @get("/", operation_id="getWallFeed", summary="The wall, highest rank first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 422))
    async def feed(self, request: Request, db: DB, limit: int = Limit,
                   cursor: str | None = Cursor) -> Response[list[WallPost]]:
        rows = await db.rows(request, queries.WALL_FEED, paging.params(limit, cursor))
        return paging.array(request, [from_row(WallPost, r) for r in rows], rows, limit)
