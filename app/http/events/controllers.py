"""GET /events/stream: the caller's events as Server-Sent Events, live.

Each event is `id: <event id>`, `event: <type>`, `data: <the event row as JSON>`; a comment line every
HEARTBEAT_SECONDS keeps proxies from closing an idle stream. A client that reconnects with `Last-Event-ID`
(browsers' EventSource do) resumes after that event, from the event log. Which events a caller sees is the event
log's row-level security (missions.event_stream_page runs as the caller, and re-checks the API key on every
read, so a revoked key ends the stream). A stream lasts at most MAX_STREAM_SECONDS, then the client reconnects.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import psycopg
from litestar import Controller, Request, get
from litestar.params import HeaderParameter, QueryParameter
from litestar.plugins.problem_details import ProblemDetailsException
from litestar.response import ServerSentEvent, ServerSentEventMessage
from psycopg_pool import PoolTimeout

from app import queries
from app.http.db import DB, Database
from app.http.errors import problem
from app.http.events.listener import Listener, Subscriber
from app.http.openapi import BEARER, problems

PAGE = 100
HEARTBEAT_SECONDS = 15.0
MAX_STREAM_SECONDS = 3600.0
MAX_STREAMS_PER_PRINCIPAL = 5
MAX_STREAMS = 500  # per process
RETRY_MS = 2000  # what the stream tells EventSource clients to wait before reconnecting
WOKEN_BY_EVERY_EVENT = ("admin", "service", "agent")
LastEventId = Annotated[str | None, HeaderParameter(name="Last-Event-ID", max_length=19,
                                                    description="Resume after this event id")]
After = Annotated[int | None, QueryParameter(name="after", ge=0, description="Resume after this event id (for "
                                                                             "clients that cannot send headers)")]


def resume_point(last_event_id: str | None, after: int | None) -> int | None:
    """Where to start: after Last-Event-ID (an event id this stream sent) or `after`; None: from now."""
    if last_event_id is None:
        return after
    if not last_event_id.isdigit() or len(last_event_id) > 19:
        raise problem(422, "validation", "Invalid input", "Last-Event-ID must be an event id this stream sent")
    return int(last_event_id)


def admit(listener: Listener, principal_id: str) -> None:
    """429 past MAX_STREAMS_PER_PRINCIPAL open streams of one principal, 503 past MAX_STREAMS in the process."""
    if len(listener.subscribers) >= MAX_STREAMS:
        raise problem(503, "unavailable", "Service unavailable", "too many open event streams; retry later",
                      headers={"Retry-After": "5"})
    if sum(s.principal_id == principal_id for s in listener.subscribers) >= MAX_STREAMS_PER_PRINCIPAL:
        raise problem(429, "rate-limited", "Too many requests",
                      f"at most {MAX_STREAMS_PER_PRINCIPAL} open event streams per principal",
                      headers={"Retry-After": "5"})


async def messages(request: Request[Any, Any, Any], db: Database, listener: Listener, subscriber: Subscriber,
                   after: int) -> AsyncIterator[ServerSentEventMessage]:
    async with listener.subscribed(subscriber):
        yield ServerSentEventMessage(comment="connected", retry=RETRY_MS, data=None)
        deadline = time.monotonic() + MAX_STREAM_SECONDS
        while time.monotonic() < deadline:
            subscriber.wake.clear()  # before reading: a notification from now on wakes the next wait
            try:
                page = (await db.one(request, queries.EVENT_STREAM_PAGE, {"after": after, "limit": PAGE}))["page"]
            except (ProblemDetailsException, psycopg.Error, PoolTimeout):  # a revoked key, or no database: end it
                return
            for event in page["events"]:
                yield ServerSentEventMessage(id=event["id"], event=event["type"], data=json.dumps(event))
            after = page["next_after"]
            if page["caught_up"]:
                try:
                    await asyncio.wait_for(subscriber.wake.wait(), HEARTBEAT_SECONDS)
                except TimeoutError:
                    yield ServerSentEventMessage(comment="heartbeat", data=None)


class EventStreamController(Controller):
    tags = ["events"]
    security = BEARER

    @get("/events/stream", operation_id="streamEvents", media_type="text/event-stream",
         summary="The caller's events, live (Server-Sent Events); resumes after Last-Event-ID",
         description="Participants see their own events, agents those of the agent missions they may work on, admins "
                     "and services all, mentors none (the event log's row-level security). Each message: `id` the "
                     "event id, `event` its type, `data` the event as JSON; `: heartbeat` comments every 15 s. "
                     "Without Last-Event-ID (or `after`) the stream starts at the newest event. At most 5 open "
                     "streams per principal (429); a stream ends after an hour (reconnect with Last-Event-ID).",
         responses=problems(401, 422, 429, 503))
    async def stream(self, request: Request[Any, Any, Any], db: DB,
                     last_event_id: LastEventId = None, after: After = None) -> ServerSentEvent:
        me = await db.one(request, queries.WHOAMI)  # 401 before the stream opens
        position = resume_point(last_event_id, after)
        if position is None:  # from now: the newest event id
            position = (await db.one(request, queries.EVENT_STREAM_PAGE, {"after": None, "limit": 1}))["page"]["next_after"]
        listener: Listener = request.app.state.events
        admit(listener, str(me["id"]))
        subscriber = Subscriber(str(me["id"]), me["role"] in WOKEN_BY_EVERY_EVENT)
        return ServerSentEvent(messages(request, db, listener, subscriber, position),
                               headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
