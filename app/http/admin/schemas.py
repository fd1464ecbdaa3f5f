"""Bodies of the admin area: principals and API keys (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

import msgspec
from msgspec import Meta

from app.http.schemas import UNSET, Body, Level, Name, Out

Role = Literal["participant", "admin", "mentor", "agent", "service"]
Tier = Literal["FREE", "STARTER", "PREMIUM"]
Label = Annotated[str, Meta(max_length=200)]
TimeZone = Annotated[str, Meta(min_length=1, max_length=64)]
Cohort = Annotated[str, Meta(max_length=100)]


class Principal(Out):
    id: UUID
    role: str
    display_name: str
    level: str
    tier: str
    timezone: str
    cohort: str | None
    active: bool
    paused: bool
    created_at: datetime


class NewPrincipal(Body):
    role: Role
    display_name: Name
    level: Level | None = None
    tier: Tier | None = None
    timezone: TimeZone | None = None
    cohort: Cohort | None = None
    key_label: Label | None = None

    def attrs(self) -> dict:
        fields = {"level": self.level, "tier": self.tier, "timezone": self.timezone, "cohort": self.cohort}
        return {k: v for k, v in fields.items() if v is not None}


class PrincipalPatch(Body):
    """The attributes to change; absent ones stay. A participant may send only displayName and timezone (for
    themselves); `cohort: null` removes the cohort."""

    display_name: Name | msgspec.UnsetType = UNSET
    level: Level | msgspec.UnsetType = UNSET
    tier: Tier | msgspec.UnsetType = UNSET
    timezone: TimeZone | msgspec.UnsetType = UNSET
    cohort: Cohort | None | msgspec.UnsetType = UNSET
    active: bool | msgspec.UnsetType = UNSET
    paused: bool | msgspec.UnsetType = UNSET


class Enrollment(Out):
    principal: Principal
    api_key: str


class NewApiKey(Body):
    label: Label | None = None


class CreatedApiKey(Out):
    api_key: str


class ApiKey(Out):
    id: UUID
    principal_id: UUID
    prefix: str
    label: str | None
    created_at: datetime
    revoked_at: datetime | None

