"""Webhook subscriptions (create, list, read, change, delete, rotate the secret) and the delivery log (list,
read with attempts, redeliver). Admins manage every subscription, services their own; the rules are SQL's
(sql/functions/195_webhooks.sql)."""

from __future__ import annotations

from uuid import UUID

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody, Parameter

from app import queries
from app.http import paging
from app.http.codec import load
from app.http.db import DB
from app.http.openapi import BEARER, problems
from app.http.webhooks.schemas import (
    CreatedSubscription,
    Delivery,
    DeliveryStatus,
    DeliveryWithAttempts,
    NewSubscription,
    RotatedSecret,
    Rotation,
    Subscription,
    SubscriptionPatch,
)

SubscriptionPage = paging.page_of(Subscription)
DeliveryPage = paging.page_of(Delivery)
SubscriptionId = Parameter(title="Webhook subscription id")
DeliveryId = Parameter(title="Webhook delivery id")


class WebhookController(Controller):
    path = "/webhooks"
    tags = ["webhooks"]
    security = BEARER

    @post("/subscriptions", operation_id="createWebhookSubscription", status_code=201,
          summary="Subscribe a URL to event types; the answer holds its signing secret, shown only here",
          description="Admins and services. Deliveries follow Standard Webhooks (webhook-id, webhook-timestamp, "
                      "webhook-signature); see the README's Webhooks section for the payload and verification.",
          responses=problems(401, 403, 404, 422))
    async def create(self, request: Request, db: DB, data: JSONBody[NewSubscription]) -> CreatedSubscription:
        row = await db.one(request, queries.CREATE_WEBHOOK, {
            "url": data.url, "event_types": data.event_types, "participant_id": data.participant_id,
            "mission_id": data.mission_id, "face": data.face, "description": data.description})
        return load(CreatedSubscription, row["subscription"])

    @get("/subscriptions", operation_id="listWebhookSubscriptions",
         summary="The subscriptions the caller manages, oldest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 422))
    async def list_subscriptions(self, request: Request, db: DB, limit: int = paging.Limit,
                                 cursor: str | None = paging.Cursor
                                 ) -> Response[SubscriptionPage]:  # type: ignore[valid-type]  # a page_of() Struct
        rows = await db.rows(request, queries.WEBHOOKS, paging.params(limit, cursor))
        return paging.envelope(request, SubscriptionPage, [load(Subscription, r["subscription"]) for r in rows],
                               rows, limit)

    @get("/subscriptions/{subscription_id:uuid}", operation_id="getWebhookSubscription",
         summary="One subscription", responses=problems(401, 403, 404))
    async def subscription(self, request: Request, db: DB, subscription_id: UUID = SubscriptionId) -> Subscription:
        return load(Subscription, (await db.one(request, queries.WEBHOOK, {"id": subscription_id}))["subscription"])

    @patch("/subscriptions/{subscription_id:uuid}", operation_id="updateWebhookSubscription",
           summary="Change the URL, event types or description; enable or disable",
           responses=problems(401, 403, 404, 422))
    async def update(self, request: Request, db: DB, data: JSONBody[SubscriptionPatch],
                     subscription_id: UUID = SubscriptionId) -> Subscription:
        row = await db.one(request, queries.UPDATE_WEBHOOK, {
            "id": subscription_id, "url": data.url, "event_types": data.event_types,
            "description": data.description, "enabled": data.enabled})
        return load(Subscription, row["subscription"])

    @delete("/subscriptions/{subscription_id:uuid}", operation_id="deleteWebhookSubscription", status_code=204,
            summary="Delete a subscription with its secrets and delivery log", responses=problems(401, 403, 404))
    async def remove(self, request: Request, db: DB, subscription_id: UUID = SubscriptionId) -> None:
        await db.one(request, queries.DELETE_WEBHOOK, {"id": subscription_id})

    @post("/subscriptions/{subscription_id:uuid}/rotate-secret", operation_id="rotateWebhookSecret", status_code=200,
          summary="A new signing secret; the previous ones keep signing for the overlap",
          responses=problems(401, 403, 404, 422))
    async def rotate(self, request: Request, db: DB, data: JSONBody[Rotation | None] = None,
                     subscription_id: UUID = SubscriptionId) -> RotatedSecret:
        row = await db.one(request, queries.ROTATE_WEBHOOK_SECRET,
                           {"id": subscription_id, "overlap": (data or Rotation()).overlap_seconds})
        return load(RotatedSecret, row["rotation"])

    @get("/subscriptions/{subscription_id:uuid}/deliveries", operation_id="listWebhookDeliveries",
         summary="A subscription's delivery log, newest first (paged)",
         response_headers=paging.HEADERS, responses=problems(401, 403, 404, 422))
    async def deliveries(self, request: Request, db: DB, subscription_id: UUID = SubscriptionId,
                         status: DeliveryStatus | None = Parameter(default=None, description="Only this status"),
                         limit: int = paging.Limit, cursor: str | None = paging.Cursor
                         ) -> Response[DeliveryPage]:  # type: ignore[valid-type]  # a page_of() Struct
        rows = await db.rows(request, queries.WEBHOOK_DELIVERIES,
                             {"id": subscription_id, "status": status, **paging.params(limit, cursor)})
        return paging.envelope(request, DeliveryPage, [load(Delivery, r["delivery"]) for r in rows], rows, limit)

    @get("/deliveries/{delivery_id:uuid}", operation_id="getWebhookDelivery",
         summary="One delivery with its attempts", responses=problems(401, 403, 404))
    async def delivery(self, request: Request, db: DB, delivery_id: UUID = DeliveryId) -> DeliveryWithAttempts:
        return load(DeliveryWithAttempts, (await db.one(request, queries.WEBHOOK_DELIVERY, {"id": delivery_id}))["delivery"])

    @post("/deliveries/{delivery_id:uuid}/redeliver", operation_id="redeliverWebhook", status_code=202,
          summary="Send a delivered or failed delivery again, with the same webhook-id",
          description="409 while it is pending or when its subscription is disabled.",
          responses=problems(401, 403, 404, 409))
    async def redeliver(self, request: Request, db: DB, delivery_id: UUID = DeliveryId) -> Delivery:
        return load(Delivery, (await db.one(request, queries.REDELIVER_WEBHOOK, {"id": delivery_id}))["delivery"])
