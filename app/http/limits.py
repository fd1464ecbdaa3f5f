"""Request limits in front of the database: per-key rate limits and the /metrics token.

The rate limit is Litestar's `RateLimitConfig` (a fixed window per identity, counted in the app's
in-memory store, so per process). The identity is the API key's public prefix (`mk_<prefix>_…`) when the
request carries one, else the client address; a refused request gets 429 problem+json with `Retry-After`
(seconds until the window resets) and the `RateLimit-*` headers, before any database work.
"""

from __future__ import annotations

import hmac
from time import time
from typing import Any

from litestar import Request
from litestar.middleware.rate_limit import RateLimitConfig, RateLimitMiddleware, get_remote_address
from litestar.types import Receive, Scope, Send

from app.http.errors import problem, unauthenticated

# Paths never limited: monitoring must see the truth even when a client behind the same address floods.
UNLIMITED = ["^/health$"]


def rate_limit_identity(request: Request[Any, Any, Any]) -> str:
    """The API key's prefix (unique per key, no database needed), else the client's address."""
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    parts = key.strip().split("_", 2)
    if scheme.lower() == "bearer" and len(parts) == 3 and parts[0] == "mk" and 0 < len(parts[1]) <= 64:
        return "key:" + parts[1]
    return "addr:" + get_remote_address(request)


class KeyRateLimitMiddleware(RateLimitMiddleware):
    """Litestar's rate limiter, answering a refusal as problem+json with `Retry-After`."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        app = scope["litestar_app"]
        request: Request[Any, Any, Any] = app.request_class(scope)
        store = self.config.get_store_from_app(app)
        key = self.cache_key_from_request(request)
        async with self._lock:
            cache_object = await self.retrieve_cached_history(key, store)
            if len(cache_object.history) >= self.max_requests:
                headers = self.create_response_headers(cache_object=cache_object)
                headers["Retry-After"] = str(max(1, cache_object.reset - int(time())))
                raise problem(429, "rate-limited", "Too many requests",
                              f"at most {self.max_requests} requests per {self.unit} for this API key (or address); "
                              "retry after the number of seconds in Retry-After", headers=headers)
            await self.set_cached_history(key=key, cache_object=cache_object, store=store)
        await self.app(scope, receive, self.create_send_wrapper(send=send, cache_object=cache_object))


def rate_limit_config(limit: tuple[str, int]) -> RateLimitConfig:
    unit, count = limit
    return RateLimitConfig(rate_limit=(unit, count), exclude=UNLIMITED,  # type: ignore[arg-type]
                           identifier_for_request=rate_limit_identity, middleware_class=KeyRateLimitMiddleware)


def check_metrics_token(request: Request[Any, Any, Any], token: str | None) -> None:
    """When a metrics token is configured, /metrics needs `Authorization: Bearer <token>` (compared in constant
    time); otherwise 401."""
    if token is None:
        return
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), token.encode()):
        raise unauthenticated("the metrics need 'Authorization: Bearer <MISSIONS_METRICS_TOKEN>'")
