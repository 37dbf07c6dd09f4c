"""Webhook publishing for every topic: versioned bodies, one event id, subscription removal.

:func:`mocks.shopify.notify.emit` sends one body to every subscription of a topic (the original
``orders/create`` path, kept as is). :class:`Publisher` generalises it: the body is rendered per
subscription in the subscription's API version (webhook bodies are versioned like the API, so an
order body shown to a 2026-07 subscription has no ``total_discounts``), all deliveries of one
event share ``X-Shopify-Event-Id``, and Shopify's rule is applied: a subscription whose deliveries
fail ``webhook_removal_failed_deliveries`` times in a row (each exhausting its 8 retries) is
deleted, and later events no longer reach it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, MutableMapping
from typing import Any

from mocks.common.rng import derive
from mocks.common.webhooks import DeliveryStatus, WebhookDelivery, WebhookOutbox
from mocks.shopify import constants as c
from mocks.shopify.notify import sign
from mocks.shopify.records import WebhookSubscription
from mocks.shopify.versions import render_order
from simclock import Clock, iso_utc

ORDER_TOPICS = frozenset(
    t for t in c.WEBHOOK_TOPICS if t.startswith("orders/") and t != "orders/delete"
)
Renderer = Callable[[dict[str, Any], str], dict[str, Any]]


def _identity(resource: dict[str, Any], version: str) -> dict[str, Any]:
    return resource


class Publisher:
    """Queues one event to every subscription of its topic."""

    def __init__(
        self,
        *,
        outbox: WebhookOutbox,
        subscriptions: Callable[[], MutableMapping[int, WebhookSubscription]],
        settings: c.ShopifySettings,
        clock: Clock,
        secret: Callable[[], str],
        seed: int,
    ) -> None:
        self.outbox = outbox
        # A callable, not the dict: the model replaces its dicts on reset.
        self._subscriptions = subscriptions
        self.settings = settings
        self.clock = clock
        self._secret = secret
        # Its own stream: the orders/create path keeps its event ids whatever else is emitted.
        self._event_rng = derive(seed, "shopify:event-ids:topics")
        self.removed: list[int] = []
        """Ids of subscriptions deleted by the consecutive-failure rule."""

    def new_event_id(self) -> str:
        """A seeded UUID-shaped ``X-Shopify-Event-Id``."""
        return str(uuid.UUID(int=self._event_rng.getrandbits(128), version=4))

    def publish(self, topic: str, resource: dict[str, Any], *, event_id: str | None = None) -> int:
        """Queue ``resource`` to every subscription of ``topic``; returns how many were queued."""
        subs = [s for s in self._subscriptions().values() if s.topic == topic]
        if not subs:
            return 0  # no draw either: an unobserved event must not shift the id stream
        render: Renderer = render_order if topic in ORDER_TOPICS else _identity
        event_id = event_id or self.new_event_id()
        triggered_at = iso_utc(self.clock.now())
        bodies: dict[str, tuple[bytes, str]] = {}
        for sub in subs:
            if sub.api_version not in bodies:
                body = json.dumps(render(resource, sub.api_version), separators=(",", ":")).encode()
                bodies[sub.api_version] = (body, sign(self._secret(), body))
            body, signature = bodies[sub.api_version]

            def headers(
                delivery: WebhookDelivery,
                version: str = sub.api_version,
                signature: str = signature,
            ) -> dict[str, str]:
                return {
                    "Content-Type": "application/json",
                    "X-Shopify-Topic": topic,
                    "X-Shopify-Hmac-Sha256": signature,
                    "X-Shopify-Shop-Domain": self.settings.shop_domain,
                    "X-Shopify-API-Version": version,
                    "X-Shopify-Webhook-Id": delivery.delivery_id,
                    "X-Shopify-Event-Id": event_id,
                    "X-Shopify-Triggered-At": triggered_at,
                }

            self.outbox.enqueue(
                topic=topic,
                address=sub.address,
                body=body,
                build_headers=headers,
                on_settled=self.settled_callback(sub.id),
            )
        return len(subs)

    def settled_callback(self, subscription_id: int) -> Callable[[WebhookDelivery], None]:
        """The outbox hook counting one subscription's consecutive failed deliveries."""

        def settled(delivery: WebhookDelivery) -> None:
            sub = self._subscriptions().get(subscription_id)
            if sub is None:
                return
            if delivery.status is DeliveryStatus.DELIVERED:
                sub.consecutive_failed_deliveries = 0
                return
            sub.consecutive_failed_deliveries += 1
            limit = self.settings.webhook_removal_failed_deliveries
            if limit and sub.consecutive_failed_deliveries >= limit:
                del self._subscriptions()[subscription_id]
                self.removed.append(subscription_id)

        return settled
