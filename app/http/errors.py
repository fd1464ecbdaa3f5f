"""The one place where errors become HTTP: SQLSTATE (and constraint) -> RFC 9457 problem+json.

SQL functions raise with the stable SQLSTATEs of ERROR_CODES; PostgreSQL's own classes
(permission denied, unique/check/not-null violations, bad values) are mapped by class.
Messages are passed through as `detail`, never matched.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import psycopg
from litestar.exceptions import HTTPException, NotAuthorizedException, ValidationException
from litestar.plugins.problem_details import ProblemDetailsConfig, ProblemDetailsException, ProblemDetailsPlugin
from psycopg_pool import PoolTimeout

log = logging.getLogger("missions.http")

PROBLEM_BASE = "https://missions.dev/problems/"


@dataclass(frozen=True)
class ErrorCode:
    sqlstate: str
    name: str
    status: int
    title: str


# The engine's own SQLSTATEs (documented in README.md, section "Errors").
ERROR_CODES: dict[str, ErrorCode] = {
    e.sqlstate: e
    for e in (
        ErrorCode("MS401", "unauthenticated", 401, "Authentication required"),
        ErrorCode("MS403", "forbidden", 403, "Forbidden"),
        ErrorCode("MS404", "not-found", 404, "Not found"),
        ErrorCode("MS409", "illegal-transition", 409, "Illegal state transition"),
        ErrorCode("MS412", "lease-lost", 409, "Lease lost"),
        ErrorCode("MS413", "too-large", 413, "Too large"),
        ErrorCode("MS415", "unsupported-media-type", 415, "Unsupported media type"),
        ErrorCode("MS422", "validation", 422, "Invalid input"),
        ErrorCode("MS429", "quota-exhausted", 429, "Quota exhausted"),
    )
}

# PostgreSQL's standard SQLSTATEs a client can cause, by exact code or by class (first two characters).
STANDARD_CODES: dict[str, ErrorCode] = {
    "42501": ErrorCode("42501", "forbidden", 403, "Forbidden"),
    "23505": ErrorCode("23505", "duplicate", 409, "Duplicate"),
    "23503": ErrorCode("23503", "validation", 422, "Invalid reference"),
    "23502": ErrorCode("23502", "validation", 422, "Missing value"),
    "23514": ErrorCode("23514", "validation", 422, "Invalid value"),
    "22": ErrorCode("22", "validation", 422, "Invalid value"),
    "40": ErrorCode("40", "conflict-retry", 409, "Concurrent update, retry"),  # deadlock, serialization failure
    "57014": ErrorCode("57014", "timeout", 503, "Request took too long"),  # statement_timeout cut the call
    "53": ErrorCode("53", "unavailable", 503, "Service unavailable"),  # insufficient resources (e.g. connections)
    "57": ErrorCode("57", "unavailable", 503, "Service unavailable"),  # the server is shutting down or starting
}

# Details given instead of PostgreSQL's message (which names internal functions, tables or settings).
GENERIC_DETAIL: dict[str, str] = {
    "42501": "the caller's role may not do this",
    "57014": "the request took longer than the server allows and was cancelled; retry later or ask for less",
    "53": "the database is out of resources; retry later",
    "57": "the database is unavailable; retry later",
}


def code_for(sqlstate: str | None) -> ErrorCode | None:
    if not sqlstate:
        return None
    return ERROR_CODES.get(sqlstate) or STANDARD_CODES.get(sqlstate) or STANDARD_CODES.get(sqlstate[:2])


def problem(status: int, name: str, title: str, detail: str = "", headers: dict[str, str] | None = None,
            **extra: object) -> ProblemDetailsException:
    headers = {**({"WWW-Authenticate": "Bearer"} if status == 401 else {}), **(headers or {})}
    return ProblemDetailsException(
        status_code=status, type_=PROBLEM_BASE + name, title=title, detail=detail,
        extra={k: v for k, v in extra.items() if v is not None} or None, headers=headers or None,
    )


# Seconds a client should wait before retrying a 503 (a full pool, a statement cut by the timeout).
RETRY_AFTER_SECONDS = 1


def unavailable(detail: str) -> ProblemDetailsException:
    return problem(503, "unavailable", "Service unavailable", detail,
                   headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


def from_database_error(exc: psycopg.Error) -> ProblemDetailsException:
    if isinstance(exc, PoolTimeout):
        log.warning("connection pool exhausted: %s", exc)
        return unavailable("the server is busy (no database connection free); retry later")
    if isinstance(exc, psycopg.OperationalError) and not exc.sqlstate:
        log.error("database unavailable: %s", exc)
        return unavailable("the database is unavailable; retry later")
    if isinstance(exc, psycopg.DataError) and not exc.sqlstate:  # refused by the driver, e.g. a NUL character
        return problem(422, "validation", "Invalid input", str(exc))
    code = code_for(exc.sqlstate)
    diag = exc.diag
    if code is None:
        log.error("unmapped database error %s: %s", exc.sqlstate, exc)
        return problem(500, "internal", "Internal error", "the server could not complete the request")
    if code.status == 503:
        log.warning("database error %s: %s", exc.sqlstate, exc)
        return problem(503, code.name, code.title, GENERIC_DETAIL[code.sqlstate],
                       headers={"Retry-After": str(RETRY_AFTER_SECONDS)}, sqlstate=exc.sqlstate)
    if code.sqlstate in GENERIC_DETAIL:  # PostgreSQL's message names the function or table: not for clients
        return problem(code.status, code.name, code.title, GENERIC_DETAIL[code.sqlstate], sqlstate=exc.sqlstate)
    detail = diag.message_primary or str(exc)
    return problem(code.status, code.name, code.title, detail, sqlstate=exc.sqlstate,
                   constraint=diag.constraint_name, hint=diag.message_hint)


def from_validation_error(exc: ValidationException) -> ProblemDetailsException:
    return problem(422, "validation", "Invalid input", exc.detail, errors=exc.extra)


def from_http_error(exc: HTTPException) -> ProblemDetailsException:
    if isinstance(exc, NotAuthorizedException):
        return problem(401, "unauthenticated", "Authentication required", exc.detail)
    name = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 413: "too-large"}.get(exc.status_code, "http-error")
    return problem(exc.status_code, name, exc.detail or "Error", exc.detail, headers=exc.headers, errors=exc.extra)


def from_unexpected_error(exc: Exception) -> ProblemDetailsException:
    log.exception("unhandled error", exc_info=exc)
    return problem(500, "internal", "Internal error", "the server could not complete the request")


def problem_details_plugin() -> ProblemDetailsPlugin:
    return ProblemDetailsPlugin(
        ProblemDetailsConfig(
            exception_to_problem_detail_map={
                psycopg.Error: from_database_error,
                ValidationException: from_validation_error,
                HTTPException: from_http_error,
                Exception: from_unexpected_error,
            }
        )
    )


def unauthenticated(detail: str) -> ProblemDetailsException:
    return problem(401, "unauthenticated", "Authentication required", detail)

