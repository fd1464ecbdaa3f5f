"""`missions worker`: consumes two pgmq queues.

- `mission_events` (the outbox): each event goes to the handlers registered for its type.
- `external_events` (the inbox): each message `{"key", "payload", "event_id"?}` is delivered with
  `missions.deliver_external_event`, which unblocks the steps waiting on that key.

It also runs the AI reviewer (`app.reviewer`): submitted learning missions' `ai_review` steps are
claimed, scored and completed, unless `MISSIONS_AI_REVIEWER=off`.

A message is deleted once every handler for its type succeeded. A failing handler leaves it
in the queue, invisible for an exponential backoff, then it is retried; after MAX_READS reads
it is archived (pgmq's archive table keeps it for inspection).
"""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

from pgmq import PGMQueue
from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app.config import APP_ROLE

log = logging.getLogger("missions.worker")

QUEUE = "mission_events"
INBOX = "external_events"
MAX_READS = 5
Handler = Callable[[dict[str, Any]], None]


def log_event(event: dict[str, Any]) -> None:
    """The default handler: one structured log line per event."""
    log.info("event", extra={"fields": {k: event.get(k) for k in
                                        ("id", "type", "mission_id", "step_id", "from_status", "to_status")}})


# Event type -> handlers; "*" handlers see every event. Integrations register here.
HANDLERS: dict[str, list[Handler]] = {"*": [log_event]}


def handlers_for(event_type: str) -> list[Handler]:
    return HANDLERS.get("*", []) + HANDLERS.get(event_type, [])


def backoff_seconds(read_ct: int) -> int:
    """Seconds before a failed message is retried: 2, 4, 8 … capped at 5 minutes."""
    return min(300, 2 ** read_ct)


def dispatch(queue: PGMQueue, msg: Any) -> None:
    """Outbox: hand one event to its handlers."""
    for handler in handlers_for(msg.message.get("type", "")):
        handler(msg.message)


def deliver(queue: PGMQueue, msg: Any) -> None:
    """Inbox: deliver one external event; its pgmq id makes a redelivery a no-op."""
    body = msg.message
    if not isinstance(body, dict) or not isinstance(body.get("key"), str):
        raise ValueError("an external event needs a string 'key'")
    with queue.pool.connection() as conn:
        conn.execute("select missions.deliver_external_event(%s, %s::jsonb, %s)",
                     (body["key"], Jsonb(body.get("payload") or {}), str(body.get("event_id") or f"pgmq:{msg.msg_id}")))


def process(queue: PGMQueue, batch: int = 50, vt: int = 30, wait_seconds: int = 1,
            name: str = QUEUE, handle: Callable[[PGMQueue, Any], None] = dispatch) -> int:
    """Read one batch of a queue, handle it, delete what was handled; returns the number handled."""
    handled = 0
    messages = queue.read(name, vt=vt, qty=batch)
    if not messages and wait_seconds > 0:
        messages = queue.read_with_poll(name, vt=vt, qty=batch, max_poll_seconds=wait_seconds)
    for msg in messages or []:
        try:
            handle(queue, msg)
        except Exception:
            log.exception("handler failed", extra={"fields": {"queue": name, "msg_id": msg.msg_id,
                                                              "read_ct": msg.read_ct}})
            if msg.read_ct >= MAX_READS:
                queue.archive(name, msg.msg_id)
            else:
                queue.set_vt(name, msg.msg_id, backoff_seconds(msg.read_ct))
            continue
        queue.delete(name, msg.msg_id)
        handled += 1
    return handled


def become_app_role(conn: Connection) -> None:
    """Worker connections act as the app's role even when the URL names an owner or superuser login."""
    if conn.execute("select current_user <> %s", (APP_ROLE,)).fetchone()[0]:
        conn.execute(f'set role "{APP_ROLE}"')
    conn.commit()


def open_queue(url: str) -> PGMQueue:
    """A pgmq client on our own pool (pgmq's URL parser would drop socket paths and options), acting as
    `missions_app` whatever the login."""
    pool = ConnectionPool(url, min_size=1, max_size=2, open=True, configure=become_app_role,
                          kwargs={"application_name": "missions-worker"})
    return PGMQueue(pool=pool, init_extension=False)


def run(url: str, *, once: bool = False, ai_reviewer: str = "rules") -> int:
    """Process until SIGINT/SIGTERM (or one batch with once=True); returns the number handled."""
    from app import reviewer

    reviewing = ai_reviewer != "off"
    scorer = reviewer.load_scorer(ai_reviewer) if reviewing else None
    queue = open_queue(url)
    stopping = False

    def stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    total = 0
    try:
        while not stopping:
            total += process(queue, name=INBOX, handle=deliver, wait_seconds=0)
            if reviewing:
                with queue.pool.connection() as conn:
                    total += reviewer.review_pending(conn, scorer)
            total += process(queue)
            if once:
                break
    finally:
        queue.pool.close()
    return total
