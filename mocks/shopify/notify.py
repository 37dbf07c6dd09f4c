"""Shopify webhook emission: sign the body once, queue one delivery per subscription."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterable
from typing import Any

from mocks.common.webhooks import WebhookDelivery, WebhookOutbox
from mocks.shopify.records import WebhookSubscription


def sign(secret: str, body: bytes) -> str:
    """``X-Shopify-Hmac-Sha256``: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def emit(
    *,
    outbox: WebhookOutbox,
    subscriptions: Iterable[WebhookSubscription],
    topic: str,
    resource: dict[str, Any],
    secret: str,
    shop_domain: str,
    event_id: str,
    triggered_at: str,
) -> int:
    """Queue ``resource`` to every subscription of ``topic``; returns how many were queued.

    All deliveries of one event share ``X-Shopify-Event-Id``; each has its own
    ``X-Shopify-Webhook-Id`` (the outbox's delivery id, stable across its retries).
    """
    body = json.dumps(resource, separators=(",", ":")).encode()
    signature = sign(secret, body)
    queued = 0
    for sub in subscriptions:
        if sub.topic != topic:
            continue

        def headers(delivery: WebhookDelivery, version: str = sub.api_version) -> dict[str, str]:
            return {
                "Content-Type": "application/json",
                "X-Shopify-Topic": topic,
                "X-Shopify-Hmac-Sha256": signature,
                "X-Shopify-Shop-Domain": shop_domain,
                "X-Shopify-API-Version": version,
                "X-Shopify-Webhook-Id": delivery.delivery_id,
                "X-Shopify-Event-Id": event_id,
                "X-Shopify-Triggered-At": triggered_at,
            }

        outbox.enqueue(topic=topic, address=sub.address, body=body, build_headers=headers)
        queued += 1
    return queued
