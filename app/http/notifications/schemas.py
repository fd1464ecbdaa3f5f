"""Bodies of the notifications area (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from msgspec import Meta

from app.http.schemas import Body, Out


class Notification(Out):
    """One notification of the caller's inbox; `readAt` null: unread."""
    id: int
    kind: str  # mentor_review_requested, input_requested, alert_triggered, deadline_warning, mission_assigned, streak_at_risk
    title: str
    mission_id: UUID | None
    details: dict[str, Any]
    created_at: datetime
    read_at: datetime | None


class UnreadCount(Out):
    """Unread notifications, counted up to 1000 (1000 means 1000 or more)."""
    unread: int


class MarkRead(Body):
    """The notifications to mark read (at most 200); without `ids`, every unread one."""
    ids: Annotated[list[Annotated[int, Meta(ge=1)]], Meta(max_length=200)] | None = None


class Marked(Out):
    marked: int
