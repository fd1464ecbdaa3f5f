"""`missions worker`: consumes three pgmq queues.

- `mission_events` (the outbox): each batch goes first to the batch handlers (the webhook fan-out: one SQL
  call queues a delivery per event and matching subscription), then each event to the handlers registered
  for its type.
- `webhook_deliveries`: each delivery is signed and sent to its subscription's URL (app/webhooks/).
- `external_events` (the inbox): each message `{"key", "payload", "event_id"?}` is delivered with
  `missions.deliver_external_event`, which unblocks the steps waiting on that key.

It also runs the AI reviewer (`app.reviewer`): submitted learning missions' `ai_review` steps are
claimed, scored and completed, unless `MISSIONS_AI_REVIEWER=off`.

A message is deleted once every handler for its type succeeded (an inbox message already in the
transaction that delivers it). A failing handler leaves it in the queue, invisible for an exponential
backoff, then it is retried; after MAX_READS reads it is archived (pgmq's archive table keeps it for
inspection).
"""

from __future__ import annotations

import logging
import secrets
import signal
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from pgmq import PGMQueue
from psycopg import Connection
from psycopg.types.json import Jsonb
from psycopg_pool import ConnectionPool

from app import queries, tracing
from app.config import APP_ROLE
from app.db.rows import the_row
from app.webhooks import consumer as webhooks
from app.webhooks import sender

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
# Handlers of a whole batch of events (one SQL call for the batch), run before the per-event ones.
BatchHandler = Callable[[ConnectionPool, list[dict[str, Any]]], None]
BATCH_HANDLERS: list[BatchHandler] = [webhooks.fan_out]


def handlers_for(event_type: str) -> list[Handler]:
    return HANDLERS.get("*", []) + HANDLERS.get(event_type, [])


def backoff_seconds(read_ct: int) -> int:
    """Seconds before a failed message is retried: 2, 4, 8 … capped at 5 minutes."""
    return min(300, 2 ** read_ct)


def dispatch(queue: PGMQueue, msg: Any) -> None:
    """Outbox: hand one event to its handlers (one span per event when tracing is on)."""
    event_type = msg.message.get("type", "")
    with tracing.tracer().start_as_current_span(f"worker.event {event_type}",
                                                attributes={"missions.event_id": str(msg.message.get("id"))}):
        for handler in handlers_for(event_type):
            handler(msg.message)


def deliver(queue: PGMQueue, msg: Any) -> None:
    """Inbox: deliver one external event and delete its message in the same transaction.

    The delivery happens exactly once per message: the message is deleted first (its row lock makes a
    second worker that read it after a visibility timeout wait, then find it gone and do nothing), and a
    crash before the commit rolls back both, so the message comes back with no effect done. That is why
    a message without an `event_id` can get a random one (unguessable, unlike its pgmq id, which anyone
    could reserve beforehand); a message's own `event_id` is scoped to the worker's sender scope (the
    engine's), so no agent or service can squat it.
    """
    body = msg.message
    if not isinstance(body, dict) or not isinstance(body.get("key"), str):
        raise ValueError("an external event needs a string 'key'")
    event_id = str(body.get("event_id") or new_event_id())
    with pool_of(queue).connection() as conn, conn.transaction():
        gone = conn.execute(queries.DELETE_QUEUE_MESSAGE, {"queue": INBOX, "msg_id": msg.msg_id}).fetchone()
        if not gone or not gone[0]:
            return  # another worker delivered it (and deleted it) meanwhile
        conn.execute(queries.DELIVER_EVENT,
                     {"key": body["key"], "payload": Jsonb(body.get("payload") or {}), "event_id": event_id})


def new_event_id() -> str:
    """A random event id for a message that carries none (128 bits: not guessable in advance)."""
    return f"worker:{secrets.token_hex(16)}"


def retry_later(queue: PGMQueue, name: str, msg: Any) -> None:
    """A failed message: hidden for the backoff, or archived after MAX_READS reads."""
    if msg.read_ct >= MAX_READS:
        queue.archive(name, msg.msg_id)
    else:
        queue.set_vt(name, msg.msg_id, backoff_seconds(msg.read_ct))


def run_batch_handlers(queue: PGMQueue, messages: list[Any]) -> bool:
    """The outbox's batch handlers over one batch; False (every message retried later) if one fails."""
    events = [msg.message for msg in messages if isinstance(msg.message, dict)]
    try:
        for handler in BATCH_HANDLERS:
            handler(pool_of(queue), events)
    except Exception:
        log.exception("batch handler failed", extra={"fields": {"queue": QUEUE, "messages": len(messages)}})
        for msg in messages:
            retry_later(queue, QUEUE, msg)
        return False
    return True


def process(queue: PGMQueue, batch: int = 50, vt: int = 30, wait_seconds: int = 1,
            name: str = QUEUE, handle: Callable[[PGMQueue, Any], None] = dispatch) -> int:
    """Read one batch of a queue, handle it, delete what was handled; returns the number handled."""
    handled = 0
    messages = queue.read_batch(name, vt=vt, batch_size=batch)  # read(), as a list even when batch is 1
    if not messages and wait_seconds > 0:
        messages = queue.read_with_poll(name, vt=vt, qty=batch, max_poll_seconds=wait_seconds)
    if messages and name == QUEUE and not run_batch_handlers(queue, messages):
        return 0
    for msg in messages or []:
        try:
            handle(queue, msg)
        except Exception:
            log.exception("handler failed", extra={"fields": {"queue": name, "msg_id": msg.msg_id,
                                                              "read_ct": msg.read_ct}})
            retry_later(queue, name, msg)
            continue
        queue.delete(name, msg.msg_id)
        handled += 1
    return handled


def become_app_role(conn: Connection) -> None:
    """Worker connections act as the app's role even when the URL names an owner or superuser login."""
    if not the_row(conn.execute(queries.IS_APP_ROLE, {"role": APP_ROLE}).fetchone())[0]:
        conn.execute(queries.BECOME_APP_ROLE)
    conn.commit()


def pool_of(queue: PGMQueue) -> ConnectionPool:
    """The pool open_queue() gave the queue (pgmq types its pool as optional)."""
    if queue.pool is None:
        raise RuntimeError("the queue has no connection pool: open it with open_queue()")
    return queue.pool


def open_queue(url: str, max_size: int = 2) -> PGMQueue:
    """A pgmq client on our own pool (pgmq's URL parser would drop socket paths and options), acting as
    `missions_app` whatever the login."""
    pool = ConnectionPool(url, min_size=1, max_size=max_size, open=True, configure=become_app_role,
                          kwargs={"application_name": "missions-worker"})
    return PGMQueue(pool=pool, init_extension=False)


def run(url: str, *, once: bool = False, ai_reviewer: str = "rules", webhook_concurrency: int = 8) -> int:
    """Process until SIGINT/SIGTERM (or one batch with once=True); returns the number handled."""
    from app import reviewer

    reviewing = ai_reviewer != "off"
    scorer = reviewer.load_scorer(ai_reviewer) if reviewing else None
    queue = open_queue(url, max_size=2 + webhook_concurrency)
    client = sender.new_client()
    executor = ThreadPoolExecutor(webhook_concurrency, thread_name_prefix="webhook")
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
                with pool_of(queue).connection() as conn:
                    total += reviewer.review_pending(conn, scorer)
            total += process(queue)
            total += webhooks.deliver_batch(queue, pool_of(queue), client, executor, batch=4 * webhook_concurrency)
            if once:
                break
    finally:
        executor.shutdown()
        client.close()
        pool_of(queue).close()
    return total
