"""Fulfil webhook emission through the shared outbox (PLATFORMS 4.4).

Signature: ``X-Fulfil-Hmac-SHA256`` = base64(HMAC-SHA256(key = base64-decoded webhook secret,
raw body)), exactly what ``fulfil_client.verify_webhook`` checks. Other headers* (Fulfil
documents none we could confirm): ``X-Fulfil-Event``, ``X-Fulfil-Webhook-Id`` (the outbox
delivery id, stable across retries and duplicates) and ``X-Fulfil-Subdomain``.

Body*: ``{"event", "model", "id", "data": <record as the API reads it, Tryton-encoded>,
"created_at": <ISO-8601>}``. Retries follow the Shopify-like schedule in the settings
(PLATFORMS 4.4: Fulfil's retry and ordering semantics are unknown).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from mocks.common.webhooks import WebhookDelivery, WebhookOutbox


@dataclass(frozen=True, kw_only=True)
class Subscription:
    """One webhook subscription: an event (or ``*``) and a URL."""

    id: int
    event: str
    url: str
    source: str
    """``settings`` (survives reset) or ``api`` (added through ``/_mock/webhooks``)."""

    def as_dict(self) -> dict[str, Any]:
        return {"id": self.id, "event": self.event, "url": self.url, "source": self.source}


def decode_secret(secret: str) -> bytes:
    """The HMAC key: the base64-decoded webhook secret; a secret that is not base64 is used
    as it is* (the engine's ``fulfil_key`` does the same, so both ends always agree)."""
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()


def sign(key: bytes, body: bytes) -> str:
    """``X-Fulfil-Hmac-SHA256`` for ``body``."""
    return base64.b64encode(hmac.new(key, body, hashlib.sha256).digest()).decode()


def emit(
    *,
    outbox: WebhookOutbox,
    subscriptions: Iterable[Subscription],
    event: str,
    payload: dict[str, Any],
    key: bytes,
    subdomain: str,
) -> int:
    """Queue ``payload`` to every subscription of ``event``; returns how many were queued."""
    targets = [s for s in subscriptions if s.event in (event, "*")]
    if not targets:
        return 0
    body = json.dumps(payload, separators=(",", ":")).encode()
    signature = sign(key, body)

    def headers(delivery: WebhookDelivery) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Fulfil-Hmac-SHA256": signature,
            "X-Fulfil-Event": event,
            "X-Fulfil-Webhook-Id": delivery.delivery_id,
            "X-Fulfil-Subdomain": subdomain,
        }

    for sub in targets:
        outbox.enqueue(topic=event, address=sub.url, body=body, build_headers=headers)
    return len(targets)
