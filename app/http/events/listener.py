"""One LISTEN connection per process: the `missions_events` notifications wake the streams that may care.

The publishing trigger notifies `{"id": newest event id, "p": [participant ids] | null}` while a listener has
checked in within 90 s (`missions.touch_event_stream_listener`, every CHECK_IN_SECONDS). A stream of a participant wakes only for that
participant's events (or when "p" is null); staff and agent streams wake for every notification. A stream reads
the event log itself once woken, so a lost notification delays an event until the next wake or heartbeat,
never loses it. The connection is re-opened after a failure, and every stream is woken then.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from psycopg import AsyncConnection

from app import queries
from app.config import APP_ROLE
from app.db.rows import the_row

log = logging.getLogger("missions.events")

CHANNEL = "missions_events"
APPLICATION_NAME = "missions-event-stream"
RECONNECT_SECONDS = 1.0
CHECK_IN_SECONDS = 30.0  # the trigger notifies while the last check-in is under 90 s old


@dataclass(eq=False)
class Subscriber:
    principal_id: str
    sees_everyone: bool  # staff and agents: woken by every notification
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def concerned(self, participants: list[str] | None) -> bool:
        return self.sees_everyone or participants is None or self.principal_id in participants


class Listener:
    """The process's LISTEN connection and the streams it wakes."""

    def __init__(self, url: str):
        self.url = url
        self.listener_id = str(uuid.uuid4())
        self.subscribers: set[Subscriber] = set()

    def wake_all(self) -> None:
        for subscriber in self.subscribers:
            subscriber.wake.set()

    def dispatch(self, payload: str) -> None:
        try:
            participants = json.loads(payload).get("p")
        except (ValueError, AttributeError):
            participants = None
        for subscriber in self.subscribers:
            if subscriber.concerned(participants):
                subscriber.wake.set()

    async def connect(self) -> AsyncConnection:
        """The LISTEN connection, acting as the app's role (an owner login, the embedded default, too)."""
        conn = await AsyncConnection.connect(self.url, autocommit=True, application_name=APPLICATION_NAME)
        if not the_row(await (await conn.execute(queries.IS_APP_ROLE, {"role": APP_ROLE})).fetchone())[0]:
            await conn.execute(queries.BECOME_APP_ROLE)
        await conn.execute(queries.LISTEN_EVENTS)
        return conn

    async def run(self) -> None:
        while True:
            try:
                async with await self.connect() as conn:
                    while True:
                        await conn.execute(queries.TOUCH_LISTENER, {"id": self.listener_id})
                        self.wake_all()  # anything committed before the trigger knew of us
                        async for note in conn.notifies(timeout=CHECK_IN_SECONDS):
                            self.dispatch(note.payload)
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # the database restarted or the network dropped: try again shortly
                log.warning("event listener reconnecting", extra={"fields": {"error": str(exc)}})
            await asyncio.sleep(RECONNECT_SECONDS)

    @asynccontextmanager
    async def subscribed(self, subscriber: Subscriber) -> AsyncIterator[Subscriber]:
        self.subscribers.add(subscriber)
        try:
            yield subscriber
        finally:
            self.subscribers.discard(subscriber)


@asynccontextmanager
async def listening(url: str) -> AsyncIterator[Listener]:
    """Lifespan part: the listener task for the app's run."""
    listener = Listener(url)
    task = asyncio.create_task(listener.run(), name="event-listener")
    try:
        yield listener
    finally:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
