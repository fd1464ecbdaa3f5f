"""OpenAPI pieces shared by the controllers: the bearer scheme and the documented error responses."""

from __future__ import annotations

from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import Components, SecurityScheme

from app.http.schemas import Problem

BEARER = [{"BearerAuth": []}]

COMPONENTS = Components(
    security_schemes={
        "BearerAuth": SecurityScheme(type="http", scheme="bearer", description="An API key: mk_<prefix>_<secret>")
    }
)

_DESCRIPTIONS = {
    400: "Malformed request (e.g. a broken multipart body)",
    401: "Missing, invalid or revoked API key",
    403: "The caller's role may not do this",
    404: "No such resource (or not visible to the caller)",
    409: "Duplicate, a state transition the state machine refuses, or a lost lease",
    413: "Too large: an upload over the size limit, or too many files",
    415: "Unsupported media type: a content type the endpoint does not accept",
    422: "Invalid input",
    429: "A quota is used up",
}


def problems(*statuses: int) -> dict[int, ResponseSpec]:
    """Response specs for the given error statuses, all problem+json."""
    return {
        s: ResponseSpec(data_container=Problem, description=_DESCRIPTIONS[s], media_type="application/problem+json")
        for s in statuses
    }
