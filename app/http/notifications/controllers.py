"""The caller's inbox: list (newest first, paged), unread count, mark read. Every principal has one; nobody
reads another's (the SQL functions act on the caller's own rows only)."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.codec import from_row
from app.http.db import DB
from app.http.notifications.schemas import Marked, MarkRead, Notification, UnreadCount
from app.http.openapi import BEARER, problems

NotificationPage = paging.page_of(Notification)


class NotificationController(Controller):
    path = "/notifications"
    tags = ["notifications"]
    security = BEARER

    @get("/", operation_id="listNotifications", summary="The caller's notifications, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 422))
    async def list_notifications(self, request: Request, db: DB,
                                 unread: bool = Parameter(default=False, description="Only unread ones"),
                                 limit: int = paging.Limit, cursor: str | None = paging.Cursor
                                 ) -> Response[NotificationPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.NOTIFICATIONS, {"unread": unread, **paging.params(limit, cursor)})
        return paging.envelope(request, NotificationPage, [from_row(Notification, r) for r in rows], rows, limit)

    @get("/unread-count", operation_id="countUnreadNotifications", summary="How many are unread (up to 1000)",
         responses=problems(401))
    async def unread_count(self, request: Request, db: DB) -> UnreadCount:
        return UnreadCount(unread=(await db.one(request, queries.UNREAD_NOTIFICATIONS))["unread"])

    @post("/read", operation_id="markNotificationsRead", status_code=200,
          summary="Mark notifications read (the given ids, or every unread one)", responses=problems(401, 422))
    async def mark_read(self, request: Request, db: DB, data: JSONBody[MarkRead | None] = None) -> Marked:
        row = await db.one(request, queries.MARK_NOTIFICATIONS_READ, {"ids": (data or MarkRead()).ids})
        return Marked(marked=row["marked"])
