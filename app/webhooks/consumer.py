"""The worker's webhook consumer, in two halves.

- `fan_out`: a batch handler of the outbox: one SQL call turns a batch of events into deliveries (one per
  event and matching subscription; the unique (subscription, event) makes a repeat of the batch a no-op).
- `deliver_batch`: reads the `webhook_deliveries` queue and sends each message's delivery, several at once on
  a thread pool. A sent message is deleted; a failed one is hidden for the backoff SQL decided (the queue's
  visibility timeout is the retry timer). A worker that dies mid-send leaves the message to reappear after the
  read's visibility timeout (longer than any send's timeout), so another worker sends it: at least once.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
from pgmq import PGMQueue
from psycopg_pool import ConnectionPool

from app import queries, tracing
from app.db.rows import the_row
from app.webhooks import sender

log = logging.getLogger("missions.webhooks")

QUEUE = "webhook_deliveries"
VISIBILITY_SECONDS = 60  # > the longest send (timeouts are capped at 30 s by SQL)


def fan_out(pool: ConnectionPool, events: list[dict[str, Any]]) -> None:
    """Outbox batch handler: queue the webhook deliveries of these events."""
    ids = [event["id"] for event in events if isinstance(event.get("id"), int)]
    if ids:
        with pool.connection() as conn:
            conn.execute(queries.ENQUEUE_WEBHOOK_DELIVERIES, {"ids": ids})


def deliver_one(queue: PGMQueue, pool: ConnectionPool, client: httpx.Client, msg: Any) -> bool:
    """Send one queued delivery and settle its message; True when an attempt was made."""
    delivery_id = msg.message.get("delivery_id") if isinstance(msg.message, dict) else None
    if not isinstance(delivery_id, str):
        queue.archive(QUEUE, msg.msg_id)  # not ours: keep it for inspection, never retry it
        return False
    with pool.connection() as conn:
        job = the_row(conn.execute(queries.WEBHOOK_DELIVERY_TO_SEND, {"id": delivery_id}).fetchone())[0]
    if job is None:
        queue.delete(QUEUE, msg.msg_id)  # finished, deleted, or its subscription is disabled
        return False
    with tracing.tracer().start_as_current_span("webhook.deliver", attributes={"missions.delivery_id": delivery_id}):
        attempt = sender.send(client, job)
    with pool.connection() as conn:
        outcome = the_row(conn.execute(queries.RECORD_WEBHOOK_ATTEMPT, {
            "id": delivery_id, "status": attempt.status_code, "latency": attempt.latency_ms,
            "error": attempt.error}).fetchone())[0]
    log.info("webhook attempt", extra={"fields": {"delivery_id": delivery_id, "status": attempt.status_code,
                                                  "latency_ms": attempt.latency_ms, "outcome": outcome["outcome"]}})
    if outcome["outcome"] == "retry":
        queue.set_vt(QUEUE, msg.msg_id, outcome["retry_in_seconds"])
    else:
        queue.delete(QUEUE, msg.msg_id)
    return True


def deliver_batch(queue: PGMQueue, pool: ConnectionPool, client: httpx.Client, executor: ThreadPoolExecutor,
                  batch: int = 32) -> int:
    """Read up to `batch` deliveries and send them concurrently; returns how many attempts were made."""
    messages = queue.read_batch(QUEUE, vt=VISIBILITY_SECONDS, batch_size=batch) or []

    def safely(msg: Any) -> bool:
        try:
            return deliver_one(queue, pool, client, msg)
        except Exception:  # the database went away mid-delivery: the message reappears after its visibility timeout
            log.exception("webhook delivery failed", extra={"fields": {"msg_id": msg.msg_id}})
            return False

    return sum(executor.map(safely, messages))
