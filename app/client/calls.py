"""What each API call sends and what it answers, written once for both clients: a `Call` holds the request
(method, path, query, body, idempotency key) and how to read the answer; `Retry` decides what a failed
attempt does next. The sync and async clients (app/client/sync.py, app/client/aio.py) only move bytes."""

from __future__ import annotations

import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, Generic, TypeVar

import httpx
import msgspec

from app.client.errors import ClientError, ProblemError, QuotaExhausted, problem_error

T = TypeVar("T")
S = TypeVar("S", bound=msgspec.Struct)

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "PUT", "DELETE"})
RETRY_STATUSES = frozenset({429, 503})


class InvalidArguments(ClientError, ValueError):
    """The arguments do not make a valid body (checked before sending, by the server's own schemas)."""


class Page(msgspec.Struct, Generic[T]):
    """One page of a list: its items and the cursor of the next page (None on the last one)."""
    items: list[T]
    next_cursor: str | None


def body(struct: type[S], **fields: Any) -> S:
    """The request body `struct` from keyword arguments (unset ones left out), validated by the same msgspec
    schema the server decodes it with."""
    given = {k: v for k, v in fields.items() if v is not msgspec.UNSET}
    try:
        value = struct(**given)
        return msgspec.json.decode(msgspec.json.encode(value), type=struct)
    except (TypeError, msgspec.ValidationError) as exc:
        raise InvalidArguments(f"{struct.__name__}: {exc}") from None


@dataclass
class Call(Generic[T]):
    """One API operation with its arguments bound; `decode` turns the answer into `T` or raises."""
    operation_id: str
    method: str
    path: str
    result: Any = None  # the msgspec type of the answer; None: no body expected
    query: dict[str, Any] = field(default_factory=dict)
    json: msgspec.Struct | Mapping[str, Any] | None = None
    idempotency_key: str | None = None
    takes_idempotency_key: bool = False
    empty_is_none: bool = False  # 204 No Content answers None (claim-next when nothing is claimable)
    paged: bool = False  # answers a Page[result]

    def __post_init__(self) -> None:
        if self.takes_idempotency_key and self.idempotency_key is None:
            self.idempotency_key = str(uuid.uuid4())  # one key for every attempt of this call

    @property
    def safe_to_repeat(self) -> bool:
        """Whether a transport failure may be retried: the method is idempotent or the call carries a key."""
        return self.method in IDEMPOTENT_METHODS or self.idempotency_key is not None

    def request_kwargs(self) -> dict[str, Any]:
        headers = {"Idempotency-Key": self.idempotency_key} if self.idempotency_key else {}
        params = {k: v for k, v in self.query.items() if v is not None}
        content = None if self.json is None else msgspec.json.encode(self.json)
        if content is not None:
            headers["Content-Type"] = "application/json"
        return {"method": self.method, "url": self.path, "params": params, "content": content, "headers": headers}

    def decode(self, response: httpx.Response) -> T:
        if response.status_code >= 400:
            raise error_of(response)
        if response.status_code == 204 and self.empty_is_none:
            return None  # type: ignore[return-value]  # T is Optional for these calls
        if not self.paged:
            return msgspec.json.decode(response.content, type=self.result)  # type: ignore[no-any-return]
        data = msgspec.json.decode(response.content)
        items = data["items"] if isinstance(data, dict) else data
        return Page(items=msgspec.convert(items, list[self.result]),  # type: ignore[name-defined, return-value]
                    next_cursor=response.headers.get("X-Next-Cursor"))


def error_of(response: httpx.Response) -> ProblemError:
    """The typed exception of an error answer."""
    try:
        payload = msgspec.json.decode(response.content) if response.content else None
    except msgspec.DecodeError:
        payload = None
    return problem_error(response.status_code, payload, response.text)


@dataclass(frozen=True)
class Retry:
    """How many times and how long to wait: exponential backoff with full jitter, `Retry-After` honoured up to
    `max_delay` (a longer wait is not worth blocking the caller for: the error is raised)."""
    max_retries: int = 4
    backoff: float = 0.2
    max_delay: float = 30.0

    def after_response(self, call: Call[Any], attempt: int, response: httpx.Response) -> float | None:
        """Seconds to wait before attempt `attempt + 1`, or None to stop (success or an error to raise)."""
        if response.status_code not in RETRY_STATUSES or attempt >= self.max_retries:
            return None
        if response.status_code == 429 and isinstance(error_of(response), QuotaExhausted):
            return None  # a daily quota does not come back in seconds
        wait = self._backoff(attempt)
        told = retry_after_seconds(response.headers.get("Retry-After"))
        if told is not None:
            if told > self.max_delay:
                return None
            wait = max(wait, told)
        return wait

    def after_transport_error(self, call: Call[Any], attempt: int) -> float | None:
        """Seconds to wait after a connection or timeout error, or None to raise it."""
        if not call.safe_to_repeat or attempt >= self.max_retries:
            return None
        return self._backoff(attempt)

    def _backoff(self, attempt: int) -> float:
        return random.uniform(0, min(self.max_delay, self.backoff * 2 ** attempt))


def retry_after_seconds(value: str | None) -> float | None:
    """`Retry-After` as seconds: delta-seconds or an HTTP date; None when absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None
