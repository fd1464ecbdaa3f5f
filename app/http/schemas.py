"""Request and response bodies (msgspec structs, camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

import msgspec
from msgspec import Meta

Role = Literal["participant", "admin", "mentor", "agent", "service"]
Level = Literal["L0_APPLICANT", "L1_ACTIVATED", "L2_SKILLED", "L3_EXPOSED", "L4_EARNER", "L5_CATALYST"]
Tier = Literal["FREE", "STARTER", "PREMIUM"]
Name = Annotated[str, Meta(min_length=1, max_length=200)]
Label = Annotated[str, Meta(max_length=200)]
T = TypeVar("T", bound=msgspec.Struct)


def from_row(struct: type[T], row: dict[str, Any]) -> T:
    """Build a response struct from a database row (snake_case keys, extra columns ignored)."""
    return struct(**{name: row[name] for name in struct.__struct_fields__})


class Body(msgspec.Struct, rename="camel", forbid_unknown_fields=True):
    """Base of request bodies: camelCase fields, unknown fields refused."""


class Out(msgspec.Struct, rename="camel"):
    """Base of response bodies: camelCase fields."""


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


class Health(Out):
    status: str
    database: str
    pg_cron: str
    pgmq: str


class Problem(msgspec.Struct):
    """RFC 9457 problem details, as every error response carries them."""

    type: str
    title: str
    status: int
    detail: str = ""
    sqlstate: str | None = None
    constraint: str | None = None
    hint: str | None = None
