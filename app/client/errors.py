"""The client's exceptions: every problem+json answer (RFC 9457) becomes a `ProblemError` subclass chosen by
its status and problem type, so callers catch what they can handle (`LeaseLost`, `NotFound`, …)."""

from __future__ import annotations

from typing import Any

PROBLEM_BASE = "https://missions.dev/problems/"


class ClientError(Exception):
    """Anything the client raises on purpose."""


class ProblemError(ClientError):
    """The server refused the call: `status`, the problem `type` URI, `title`, `detail` and the whole `body`."""

    def __init__(self, status: int, type: str, title: str, detail: str, body: dict[str, Any] | None = None):
        super().__init__(f"{status} {title}: {detail}" if detail else f"{status} {title}")
        self.status, self.type, self.title, self.detail = status, type, title, detail
        self.body = body or {}

    @property
    def name(self) -> str:
        """The problem type's last segment, e.g. `lease-lost`."""
        return self.type.removeprefix(PROBLEM_BASE)


class Unauthenticated(ProblemError):
    """401: no key, or an invalid or revoked one."""


class Forbidden(ProblemError):
    """403: the key's principal may not make this call."""


class NotFound(ProblemError):
    """404: no such resource, or not visible to this caller."""


class Conflict(ProblemError):
    """409: the resource is in the wrong state for the call (retrying the same call will not help)."""


class LeaseLost(Conflict):
    """409 lease-lost (SQLSTATE MS412): the lease expired or another claim took the step over."""


class ValidationFailed(ProblemError):
    """422 (and 400): the input was refused; `detail` says what."""


class TooLarge(ProblemError):
    """413: the body or a field is over its limit."""


class TooManyRequests(ProblemError):
    """429 rate-limited: too many requests from this key; retried by the client, raised when retries run out."""


class QuotaExhausted(TooManyRequests):
    """429 quota-exhausted: the step kind's daily quota is used up (not retried: it refills tomorrow)."""


class Unavailable(ProblemError):
    """503: the server is busy or a statement took too long; retried by the client."""


_BY_TYPE: dict[str, type[ProblemError]] = {"lease-lost": LeaseLost, "quota-exhausted": QuotaExhausted}
_BY_STATUS: dict[int, type[ProblemError]] = {400: ValidationFailed, 401: Unauthenticated, 403: Forbidden,
                                             404: NotFound, 409: Conflict, 413: TooLarge, 422: ValidationFailed,
                                             429: TooManyRequests, 503: Unavailable}


def problem_error(status: int, body: Any, text: str = "") -> ProblemError:
    """The exception for an error answer: problem+json when the body is one, else the status and the text."""
    problem = body if isinstance(body, dict) else {}
    type_ = str(problem.get("type") or "about:blank")
    name = type_.removeprefix(PROBLEM_BASE)
    cls = _BY_TYPE.get(name) or _BY_STATUS.get(status) or ProblemError
    return cls(status, type_, str(problem.get("title") or f"HTTP {status}"),
               str(problem.get("detail") or text[:500]), problem)
