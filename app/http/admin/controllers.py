"""Principals and API keys: who am I, read a principal, and the admin endpoints to enrol and revoke."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.admin.schemas import (
    ApiKey,
    CreatedApiKey,
    Enrollment,
    NewApiKey,
    NewPrincipal,
    Principal,
    PrincipalPatch,
    Role,
)
from app.http.codec import from_row, spec, to_json
from app.http.db import DB
from app.http.openapi import BEARER, problems
from app.http.schemas import Level

ApiKeyPage = paging.page_of(ApiKey)
PrincipalPage = paging.page_of(Principal)
PrincipalId = Parameter(title="Principal id", description="A principal's UUID")


class PrincipalController(Controller):
    tags = ["principals"]
    security = BEARER

    @get("/me", operation_id="getMe", summary="The calling principal", responses=problems(401))
    async def me(self, request: Request, db: DB) -> Principal:
        return from_row(Principal, await db.one(request, queries.WHOAMI))

    @get("/principals/{principal_id:uuid}", operation_id="getPrincipal", summary="One principal",
         description="Participants, mentors and agents see only themselves; others are 404.",
         responses=problems(401, 404))
    async def principal(self, request: Request, db: DB,
                        principal_id: UUID = PrincipalId) -> Principal:
        return from_row(Principal, await db.one(request, queries.PRINCIPAL, {"id": principal_id}))

    @get("/principals", operation_id="searchPrincipals",
         summary="Search principals by role, cohort, level, active and name text, by name (paged)",
         description="Admins and services only (others: 403). `q` is a case-insensitive substring of the display "
                     "name; the order is display name, then id.",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def search(
        self, request: Request, db: DB,
        role: Role | None = Parameter(default=None, description="Only principals of this role"),
        cohort: str | None = Parameter(default=None, max_length=100, description="Only this cohort"),
        level: Level | None = Parameter(default=None, description="Only this identity level"),
        active: bool | None = Parameter(default=None, description="Only active (true) or deactivated (false) ones"),
        q: str | None = Parameter(default=None, max_length=200,
                                  description="Case-insensitive text anywhere in the display name"),
        limit: int = paging.Limit, cursor: str | None = paging.Cursor,
    ) -> Response[PrincipalPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.SEARCH_PRINCIPALS, {
            "role": role, "cohort": cohort, "level": level, "active": active, "q": q, **paging.params(limit, cursor)})
        return paging.envelope(request, PrincipalPage, [from_row(Principal, r) for r in rows], rows, limit)

    @patch("/principals/{principal_id:uuid}", operation_id="updatePrincipal", summary="Change a principal",
           description="Admins and services change displayName, level, tier, timezone, cohort, active and paused; "
                       "a participant only their own displayName and timezone (anything else: 403). Each change "
                       "is a `principal.*` event; deactivation revokes the principal's API keys and releases its "
                       "claims. A body that changes nothing is fine.",
           responses=problems(401, 403, 404, 422))
    async def update(self, request: Request, db: DB, data: JSONBody[PrincipalPatch],
                     principal_id: UUID = PrincipalId) -> Principal:
        row = await db.one(request, queries.UPDATE_PRINCIPAL, {"id": principal_id, "attrs": to_json(spec(data))})
        return from_row(Principal, row)


class AdminController(Controller):
    path = "/admin"
    tags = ["admin"]
    security = BEARER

    @post("/principals", operation_id="createPrincipal", summary="Enrol a principal and return its first API key",
          description="Admins and services only. The key is shown once.",
          responses=problems(401, 403, 409, 422))
    async def create_principal(self, request: Request, db: DB, data: JSONBody[NewPrincipal]) -> Enrollment:
        row = await db.one(request, queries.ENROLL_PRINCIPAL, {
            "role": data.role, "display_name": data.display_name,
            "attrs": to_json(data.attrs()), "label": data.key_label,
        })
        enrollment = row["enrollment"]
        return Enrollment(principal=from_row(Principal, enrollment["principal"]), api_key=enrollment["api_key"])

    @get("/principals/{principal_id:uuid}/api-keys", operation_id="listApiKeys",
         summary="A principal's API keys (never their secrets), oldest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def list_keys(self, request: Request, db: DB, principal_id: UUID = PrincipalId,
                        limit: int = paging.Limit, cursor: str | None = paging.Cursor) -> Response[ApiKeyPage]:  # type: ignore[valid-type]  # a page_of() Struct, built at runtime
        rows = await db.rows(request, queries.API_KEYS, {"principal_id": principal_id, **paging.params(limit, cursor)})
        return paging.envelope(request, ApiKeyPage, [from_row(ApiKey, r) for r in rows], rows, limit)

    @post("/principals/{principal_id:uuid}/api-keys", operation_id="createApiKey",
          summary="Create another API key for a principal", responses=problems(401, 403, 404, 422))
    async def create_key(self, request: Request, db: DB, data: JSONBody[NewApiKey],
                         principal_id: UUID = PrincipalId) -> CreatedApiKey:
        row = await db.one(request, queries.CREATE_API_KEY, {"principal_id": principal_id, "label": data.label})
        return CreatedApiKey(api_key=row["api_key"])

    @delete("/api-keys/{key_id:uuid}", operation_id="revokeApiKey", status_code=200,
            summary="Revoke an API key (idempotent)", responses=problems(401, 403, 404))
    async def revoke_key(self, request: Request, db: DB,
                         key_id: UUID = Parameter(title="API key id")) -> ApiKey:
        return from_row(ApiKey, await db.one(request, queries.REVOKE_API_KEY, {"id": key_id}))
