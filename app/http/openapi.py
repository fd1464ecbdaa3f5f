"""OpenAPI pieces shared by the controllers: the bearer scheme and the documented error responses."""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import (
    Components,
    OpenAPI,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Reference,
    Schema,
    SecurityRequirement,
    SecurityScheme,
)
from litestar.params import HeaderParameter

from app.http.schemas import Body, Problem

BEARER: list[SecurityRequirement] = [{"BearerAuth": []}]
# /metrics: no credentials, or the metrics token when the server has one (MISSIONS_METRICS_TOKEN).
METRICS_SECURITY: list[SecurityRequirement] = [{}, {"MetricsToken": []}]

COMPONENTS = Components(
    security_schemes={
        "BearerAuth": SecurityScheme(type="http", scheme="bearer", description="An API key: mk_<prefix>_<secret>"),
        "MetricsToken": SecurityScheme(type="http", scheme="bearer",
                                       description="The metrics token (MISSIONS_METRICS_TOKEN), when the server has one"),
    }
)

_DESCRIPTIONS = {
    400: "Malformed request (e.g. broken JSON or a broken multipart body)",
    401: "Missing, invalid or revoked API key",
    403: "The caller's role may not do this",
    404: "No such resource (or not visible to the caller)",
    409: "Duplicate, a state transition the state machine refuses, or a lost lease",
    413: "Too large: an upload over the size limit, or too many files",
    415: "Unsupported media type: a content type the endpoint does not accept",
    422: "Invalid input",
    429: "A quota is used up, or too many requests from this API key (or address): retry after `Retry-After` seconds",
    503: "The server is busy (no database connection free) or the call ran past the statement timeout: "
         "retry after `Retry-After` seconds",
}


# The header a client sends to make a write safe to retry: the same key again (same caller, same
# operation, same arguments) returns the first answer and does the work once; other arguments: 422.
IdempotencyKey = Annotated[str | None, HeaderParameter(
    name="Idempotency-Key", required=False, min_length=1, max_length=200,
    description="Retry-safe writes: the same key again returns the first answer and changes nothing more "
                "(kept 24 hours); the same key with a different request is refused with 422.",
)]


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Response specs for the given error statuses, all problem+json."""
    return {
        s: ResponseSpec(data_container=Problem, description=_DESCRIPTIONS[s], media_type="application/problem+json")
        for s in statuses
    }


PROBLEM_JSON = "application/problem+json"
_METHODS = ("get", "put", "post", "delete", "patch")


# Paths the rate limit skips (app/http/limits.py UNLIMITED): they never answer 429 for it.
_UNLIMITED_PATHS = {"/health"}
_RETRY_AFTER = OpenAPIHeader(schema=Schema(type=OpenAPIType.INTEGER, minimum=1),
                             description="Seconds to wait before retrying")


def _problem_response(status: int) -> OpenAPIResponse:
    return OpenAPIResponse(description=_DESCRIPTIONS[status], content={
        PROBLEM_JSON: OpenAPIMediaType(schema=Reference(ref="#/components/schemas/Problem"))},
        headers={"Retry-After": _RETRY_AFTER} if status in (429, 503) else None)


def document_common_errors(spec: OpenAPI) -> None:
    """Declare, on every operation, the errors any request of its shape can get, so no handler has to list them:
    401 when it is secured; 422 (invalid parameter or body) and 400 (malformed) when it takes parameters or a
    body; 413 when it takes a body (the body size limit); 429 (the rate limit) and 503 (a full pool, the statement
    timeout) everywhere, with `Retry-After`. Every 4xx is problem+json, including the 400 that Litestar documents
    on its own as plain JSON (the problem-details plugin answers every error as a problem)."""
    for path, item in (spec.paths or {}).items():
        for operation in filter(None, (getattr(item, m) for m in _METHODS)):
            responses = operation.responses if operation.responses is not None else {}
            wanted = set()
            if operation.security if operation.security is not None else spec.security:
                wanted.add(401)
            if operation.parameters or operation.request_body:
                wanted |= {400, 422}
            if operation.request_body:
                wanted.add(413)
            wanted.add(503)
            if path not in _UNLIMITED_PATHS:
                wanted.add(429)
            for status in sorted(wanted):
                responses.setdefault(str(status), _problem_response(status))
            for status, response in responses.items():
                content = getattr(response, "content", None) or {}
                if status.startswith("4") and PROBLEM_JSON not in content:
                    responses[status] = _problem_response(int(status))
                elif status in ("429", "503") and PROBLEM_JSON in content and not response.headers:
                    response.headers = {"Retry-After": _RETRY_AFTER}
            operation.responses = responses


# JSON Schema constraint keywords and the attributes of Litestar's Schema that hold them.
_CONSTRAINTS = {"maxLength": "max_length", "minLength": "min_length", "pattern": "pattern", "maxItems": "max_items",
                "minItems": "min_items", "minimum": "minimum", "maximum": "maximum"}


def _same_type(schema: Schema, source: dict[str, Any]) -> bool:
    types = [schema.type] if schema.type is None or isinstance(schema.type, OpenAPIType) else schema.type
    return any(t is not None and t.value == source.get("type") for t in types)


def _merge_constraints(target: Schema, source: dict[str, Any]) -> None:
    """Copy the constraints msgspec enforces (`source`, its JSON schema) that Litestar's schema lacks, down into
    array items and union branches."""
    for keyword, attribute in _CONSTRAINTS.items():
        if keyword in source and getattr(target, attribute) is None:
            setattr(target, attribute, source[keyword])
    if isinstance(target.items, Schema) and isinstance(source.get("items"), dict):
        _merge_constraints(target.items, source["items"])
    branches = [b for b in [*(target.one_of or []), *(target.any_of or [])] if isinstance(b, Schema)]
    for sub in source.get("anyOf", []) + source.get("oneOf", []) or [source]:
        for branch in branches:
            if _same_type(branch, sub):
                _merge_constraints(branch, sub)


def _body_types() -> list[type]:
    found: list[type] = []
    pending = [Body]
    while pending:
        for sub in pending.pop().__subclasses__():
            found.append(sub)
            pending.append(sub)
    return sorted(set(found), key=lambda t: t.__name__)


def document_body_constraints(spec: OpenAPI) -> None:
    """Litestar documents a request body field's own limits but drops those of the items of a list (e.g.
    `list[Annotated[str, Meta(max_length=100)]]`); msgspec, which validates the bodies, knows them all. Its
    schema of every request body struct (a `Body`) fills in what is missing, so the document states every
    limit the server enforces."""
    _, sources = msgspec.json.schema_components(_body_types(), ref_template="#/components/schemas/{name}")
    schemas = spec.components.schemas if spec.components and spec.components.schemas else {}
    for name, source in sources.items():
        target = schemas.get(name)
        if not isinstance(target, Schema):
            continue
        for field_name, field_source in source.get("properties", {}).items():
            field_schema = (target.properties or {}).get(field_name)
            if isinstance(field_schema, Schema):
                _merge_constraints(field_schema, field_source)


def complete_document(spec: OpenAPI) -> None:
    """What the generated document leaves out: the common error responses and the limits of list items."""
    document_common_errors(spec)
    document_body_constraints(spec)
