"""The asyncio client: `AsyncClient(base_url, api_key)`, one method per agent API operation (see operations.py)."""

from __future__ import annotations

import asyncio
from typing import Any, TypeVar

import httpx

from app.client.calls import Call, Retry
from app.client.operations import Operations

T = TypeVar("T")
USER_AGENT = "missions-client/0.1"


class AsyncClient(Operations):
    """`async with AsyncClient("http://127.0.0.1:8000", key) as c: await c.list_missions()`. Problems raise
    `ProblemError`
    subclasses; 429 and 503 are retried with backoff (the same idempotency key on every attempt)."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 10.0, max_retries: int = 4,
                 backoff: float = 0.2, transport: httpx.AsyncBaseTransport | None = None):
        self.retry = Retry(max_retries=max_retries, backoff=backoff)
        self._http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout, transport=transport,
                                       headers={"Authorization": f"Bearer {api_key}", "User-Agent": USER_AGENT})

    async def send(self, call: Call[T]) -> T:
        """Send one call, retrying as `self.retry` says; its decoded answer, or the typed error."""
        attempt = 0
        while True:
            try:
                response = await self._http.request(**call.request_kwargs())
            except httpx.TransportError:
                wait = self.retry.after_transport_error(call, attempt)
                if wait is None:
                    raise
            else:
                wait = self.retry.after_response(call, attempt, response)
                if wait is None:
                    return call.decode(response)
            await asyncio.sleep(wait)
            attempt += 1

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.aclose()
