"""The agent worker loop on the Python client: claim the next step of the handlers' kinds (up to `concurrency`
at a time), run its handler while heartbeats keep the lease alive, then complete the step with the handler's
result or fail it with its error. On stop (SIGTERM, SIGINT) it claims nothing more and releases every lease
it holds at once, so other workers take the steps over without waiting for the lease to expire.

Delivery is at least once: a worker killed without that chance (SIGKILL, a lost machine) leaves its lease to
expire, and the step is claimed again. Handlers should be safe to run twice."""

from __future__ import annotations

import asyncio
import inspect
import logging
import random
import threading
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import httpx

from app import tracing
from app.client import AsyncClient, LeaseLost, ProblemError, Unauthenticated
from app.http.agents.schemas import Claim

log = logging.getLogger("missions.agent")

Result = Mapping[str, Any] | None
Handler = Callable[["Job"], Result] | Callable[["Job"], Awaitable[Result]]
Handlers = Mapping[str, Handler]


class PermanentFailure(Exception):
    """Raise it from a handler to fail the step for good (no retry); any other exception is retried while the
    step kind has attempts left."""


@dataclass(frozen=True)
class Job:
    """A claimed step as its handler sees it."""
    step_id: UUID
    mission_id: UUID
    kind: str
    title: str
    attempt: int
    spec: dict[str, Any]

    @property
    def input(self) -> dict[str, Any]:
        """The step's input (its spec's `input`, {} when it has none)."""
        value = self.spec.get("input")
        return value if isinstance(value, dict) else {}


@dataclass
class _Held:
    claim: Claim
    task: asyncio.Task[None] | None = None
    finishing: bool = False  # the handler is done and its outcome is being reported: no release on stop


@dataclass
class Worker:
    """Runs `handlers` ({step kind: function}) on the steps this agent's key may claim. Sync handlers run in a
    thread of their own, async ones on the loop."""
    client: AsyncClient
    handlers: Handlers
    concurrency: int = 1
    poll_interval: float = 0.2  # first wait when nothing is claimable; doubles up to max_poll_interval
    max_poll_interval: float = 5.0
    heartbeat_fraction: float = 1 / 3  # heartbeat when this fraction of the lease has passed
    held: dict[UUID, _Held] = field(default_factory=dict, init=False)  # the steps in hand, by id
    _stop: asyncio.Event = field(default_factory=asyncio.Event, init=False)

    def __post_init__(self) -> None:
        if not self.handlers:
            raise ValueError("no handlers: give at least one {step kind: function}")
        if self.concurrency < 1:
            raise ValueError("concurrency must be at least 1")

    def stop(self) -> None:
        """Claim nothing more; `run` releases the held leases and returns."""
        self._stop.set()

    async def run(self) -> None:
        """Claim and handle steps until `stop()`; then release what is held and return."""
        slots = asyncio.Semaphore(self.concurrency)
        idle = self.poll_interval
        try:
            while not self._stop.is_set():
                if not await self._wait_for(slots.acquire()):
                    break
                claim = await self._claim()
                if claim is None:
                    slots.release()
                    await self._sleep(idle)
                    idle = min(idle * 2, self.max_poll_interval)
                    continue
                idle = self.poll_interval
                held = self.held[claim.step_id] = _Held(claim)
                held.task = asyncio.create_task(self._handle(held))
                held.task.add_done_callback(lambda _: slots.release())
        finally:
            await self._release_all()

    async def _claim(self) -> Claim | None:
        try:
            return await self.client.claim_next_step(sorted(self.handlers))
        except Unauthenticated:
            raise
        except (ProblemError, httpx.TransportError) as exc:
            log.warning("claim failed", extra={"fields": {"error": str(exc)}})
            return None

    async def _handle(self, held: _Held) -> None:
        claim = held.claim
        fields = {"step_id": str(claim.step_id), "mission_id": str(claim.mission_id), "kind": claim.kind,
                  "attempt": claim.attempt}
        log.info("claimed", extra={"fields": fields})
        lost = asyncio.Event()
        beats = asyncio.create_task(self._heartbeats(claim, lost))
        work = asyncio.ensure_future(self._call(self.handlers[claim.kind], Job(
            step_id=claim.step_id, mission_id=claim.mission_id, kind=claim.kind, title=claim.title,
            attempt=claim.attempt, spec=claim.spec)))
        watch = asyncio.create_task(lost.wait())
        # one span per step, linked to the trace of the request that created its mission (app/tracing.py)
        span = tracing.tracer().start_span(f"agent.step {claim.kind}", links=tracing.links(claim.trace_context),
                                           attributes={"missions.step_id": str(claim.step_id),
                                                       "missions.mission_id": str(claim.mission_id),
                                                       "missions.attempt": claim.attempt})
        try:
            await asyncio.wait({work, watch}, return_when=asyncio.FIRST_COMPLETED)
            if not work.done():  # the lease was taken over: whatever the handler returns is no longer ours
                work.cancel()
                log.warning("lease lost", extra={"fields": fields})
                return
            held.finishing = True
            await self._report(claim, work, fields)
        finally:
            span.end()
            for task in (beats, watch, work):
                task.cancel()
            self.held.pop(claim.step_id, None)

    async def _report(self, claim: Claim, work: asyncio.Future[Result], fields: dict[str, Any]) -> None:
        """Complete with the handler's result, or fail with its error."""
        try:
            error = work.exception()
            if error is None:
                await self.client.complete_step(claim.step_id, claim.lease_token, dict(work.result() or {}))
                log.info("completed", extra={"fields": fields})
            else:
                retryable = not isinstance(error, PermanentFailure)
                await self.client.fail_step(claim.step_id, claim.lease_token,
                                            f"{type(error).__name__}: {error}"[:10000] or "failed", retryable=retryable)
                log.warning("failed", extra={"fields": {**fields, "error": str(error)[:500], "retryable": retryable}})
        except LeaseLost:
            log.warning("lease lost before reporting", extra={"fields": fields})
        except (ProblemError, httpx.TransportError) as exc:  # the lease expires and the step is claimed again
            log.error("report failed", extra={"fields": {**fields, "error": str(exc)}})

    async def _call(self, handler: Handler, job: Job) -> Result:
        if inspect.iscoroutinefunction(handler):
            return await handler(job)  # type: ignore[no-any-return]
        return await _in_thread(handler, job)

    async def _heartbeats(self, claim: Claim, lost: asyncio.Event) -> None:
        """Extend the lease whenever `heartbeat_fraction` of it has passed; set `lost` when it is gone."""
        ttl = max(1.0, (claim.expires_at - datetime.now(UTC)).total_seconds())
        while True:
            await asyncio.sleep(max(0.5, ttl * self.heartbeat_fraction))
            try:
                beat = await self.client.heartbeat_step(claim.step_id, claim.lease_token)
                ttl = max(1.0, (beat.expires_at - datetime.now(UTC)).total_seconds())
            except LeaseLost:
                lost.set()
                return
            except (ProblemError, httpx.TransportError) as exc:  # try again at the next beat
                log.warning("heartbeat failed", extra={"fields": {"step_id": str(claim.step_id), "error": str(exc)}})

    async def _release_all(self) -> None:
        """Cancel every running handler and give its step back at once (those already reporting finish)."""
        unfinished = [h for h in self.held.values() if not h.finishing]
        for held in unfinished:
            if held.task is not None:
                held.task.cancel()
        await asyncio.gather(*(self._release(h.claim) for h in unfinished))
        finishing = [h.task for h in self.held.values() if h.finishing and h.task is not None]
        await asyncio.gather(*finishing, return_exceptions=True)

    async def _release(self, claim: Claim) -> None:
        try:
            await self.client.release_step(claim.step_id, claim.lease_token)
            log.info("released", extra={"fields": {"step_id": str(claim.step_id), "kind": claim.kind}})
        except (ProblemError, httpx.TransportError) as exc:
            log.warning("release failed", extra={"fields": {"step_id": str(claim.step_id), "error": str(exc)}})

    async def _wait_for(self, acquire: Awaitable[Any]) -> bool:
        """Await `acquire` unless stopped first; True when acquired."""
        got = asyncio.ensure_future(acquire)
        stopped = asyncio.create_task(self._stop.wait())
        await asyncio.wait({got, stopped}, return_when=asyncio.FIRST_COMPLETED)
        stopped.cancel()
        if got.done() and not self._stop.is_set():
            return True
        got.cancel()
        return False

    async def _sleep(self, seconds: float) -> None:
        """Sleep (with jitter) unless stopped first."""
        try:
            await asyncio.wait_for(self._stop.wait(), timeout=seconds * random.uniform(0.5, 1.0))
        except TimeoutError:
            pass


def _in_thread(handler: Callable[[Job], Any], job: Job) -> asyncio.Future[Result]:
    """Run a sync handler in a daemon thread (a stopping worker does not wait for it: its step is released)."""
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Result] = loop.create_future()

    def settle(outcome: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(outcome)
        else:
            future.set_exception(error)

    def target() -> None:
        outcome, error = None, None
        try:
            outcome = handler(job)
        except BaseException as exc:  # handed to the loop as the step's failure
            error = exc
        try:
            loop.call_soon_threadsafe(settle, outcome, error)
        except RuntimeError:  # the worker stopped (loop closed) while this handler ran: its step was released
            pass

    threading.Thread(target=target, name=f"handler:{job.kind}:{job.step_id}", daemon=True).start()
    return future
