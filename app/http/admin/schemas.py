"""Bodies of the admin area: principals and API keys (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from app.http.schemas import Body, Level, Name, Out

Role = Literal["participant", "admin", "mentor", "agent", "service"]
Tier = Literal["FREE", "STARTER", "PREMIUM"]
Label = Annotated[str, Meta(max_length=200)]


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
    timezone: Annotated[str, Meta(min_length=1, max_length=64)] | None = None
    cohort: Annotated[str, Meta(max_length=100)] | None = None
    key_label: Label | None = None

    def attrs(self) -> dict:
        fields = {"level": self.level, "tier": self.tier, "timezone": self.timezone, "cohort": self.cohort}
        return {k: v for k, v in fields.items() if v is not None}


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

