"""Bodies of the webhooks area (camelCase on the wire)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from msgspec import Meta

from app.http.schemas import Body, Out

Face = Literal["engagement", "learning", "agent"]
DeliveryStatus = Literal["pending", "delivered", "failed"]
Url = Annotated[str, Meta(min_length=8, max_length=2048, description="http:// or https:// with a host")]
Pattern = Annotated[str, Meta(min_length=1, max_length=100, pattern=r"^(\*|[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?)$",
                              description="An event type (step.status_changed), a prefix (learning.*) or *")]
Patterns = Annotated[list[Pattern], Meta(min_length=1, max_length=50)]
Description = Annotated[str, Meta(max_length=500)]


class NewSubscription(Body):
    """A target URL and the event types it hears; optionally only one participant's, one mission's or one face's
    events. Events recorded from now on are delivered."""
    url: Url
    event_types: Patterns
    participant_id: UUID | None = None
    mission_id: UUID | None = None
    face: Face | None = None
    description: Description | None = None


class SubscriptionPatch(Body):
    """What to change (absent: keep). `enabled: true` re-enables a disabled subscription and clears its failure run."""
    url: Url | None = None
    event_types: Patterns | None = None
    description: Description | None = None
    enabled: bool | None = None


class Rotation(Body):
    """How long the previous secrets keep signing (seconds, 0..604800; default one day)."""
    overlap_seconds: Annotated[int, Meta(ge=0, le=604800)] = 86400


class Subscription(Out):
    """A webhook subscription (its secrets are shown only when made)."""
    id: UUID
    owner_id: UUID | None
    url: str
    event_types: list[str]
    participant_id: UUID | None
    mission_id: UUID | None
    face: str | None
    description: str
    enabled: bool
    disabled_reason: str | None
    consecutive_failures: int
    secrets_active: int
    created_at: datetime
    updated_at: datetime


class CreatedSubscription(Subscription):
    """The new subscription with its signing secret (`whsec_…`), shown only here."""
    secret: str = ""


class RotatedSecret(Out):
    """The new signing secret (shown only here) and until when the previous ones still sign."""
    subscription_id: UUID
    secret: str
    previous_valid_until: datetime


class Attempt(Out):
    attempted_at: datetime
    status_code: int | None
    latency_ms: int | None
    error: str | None


class Delivery(Out):
    """One event to one subscription: its `webhook-id` (the same on every attempt and redelivery) and outcome."""
    id: UUID
    webhook_id: str
    subscription_id: UUID
    event_id: int
    event_type: str | None
    status: str
    attempts: int
    last_status_code: int | None
    last_latency_ms: int | None
    last_error: str | None
    created_at: datetime
    finished_at: datetime | None


class DeliveryWithAttempts(Delivery):
    """A delivery with its last 100 attempts, oldest first."""
    attempt_log: list[Attempt] = []
