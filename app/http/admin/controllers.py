"""Principals and API keys: who am I, read a principal, and the admin endpoints to enrol and revoke."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, delete, get, post
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.admin.schemas import ApiKey, CreatedApiKey, Enrollment, NewApiKey, NewPrincipal, Principal
from app.http.codec import from_row, to_json
from app.http.db import DB
from app.http.openapi import BEARER, problems

ApiKeyPage = paging.page_of(ApiKey)
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
