"""SHOPLINE webhook emission through the shared outbox.

Headers (PLATFORMS 2.6): ``X-Shopline-Topic``, ``X-Shopline-Hmac-Sha256`` (base64 HMAC-SHA256 of
the raw body keyed by the app secret; the same algorithm as Shopify's, so
:func:`mocks.shopify.notify.sign` is reused), ``X-Shopline-Shop-Domain``, ``X-Shopline-Shop-Id``,
``X-Shopline-Merchant-Id``, ``X-Shopline-API-Version`` (the subscription's) and
``X-Shopline-Webhook-Id`` (the outbox delivery id: unchanged when the message is re-pushed).
The body is rendered in the subscription's version (``update_at`` before the cut-off).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from mocks.common.webhooks import WebhookDelivery, WebhookOutbox
from mocks.shopify.notify import sign
from mocks.shopline.constants import ShoplineSettings
from mocks.shopline.records import WebhookSubscription
from mocks.shopline.resources import versioned


def emit(
    *,
    outbox: WebhookOutbox,
    subscriptions: Iterable[WebhookSubscription],
    topic: str,
    resource: dict[str, Any],
    secret: str,
    settings: ShoplineSettings,
) -> int:
    """Queue ``resource`` to every subscription of ``topic``; returns how many were queued."""
    queued = 0
    for sub in subscriptions:
        if sub.topic != topic:
            continue
        payload = versioned(resource, old_spelling=settings.spells_update_at(sub.api_version))
        body = json.dumps(payload, separators=(",", ":")).encode()
        fixed = {
            "Content-Type": "application/json; charset=utf-8",
            "X-Shopline-Topic": topic,
            "X-Shopline-Hmac-Sha256": sign(secret, body),
            "X-Shopline-Shop-Domain": settings.shop_domain,
            "X-Shopline-Shop-Id": settings.shop_id,
            "X-Shopline-Merchant-Id": settings.merchant_id,
            "X-Shopline-API-Version": sub.api_version,
        }

        def headers(delivery: WebhookDelivery, fixed: dict[str, str] = fixed) -> dict[str, str]:
            return {**fixed, "X-Shopline-Webhook-Id": delivery.delivery_id}

        outbox.enqueue(topic=topic, address=sub.address, body=body, build_headers=headers)
        queued += 1
    return queued
