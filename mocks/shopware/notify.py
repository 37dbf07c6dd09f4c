"""App-system webhooks of the Shopware 6 mock (PLATFORMS 3.7), delivered by the shared outbox.

A subscription is an event name (``order.written``, ``product.written``, ...) and the app
server's URL, registered through ``POST /_mock/webhooks``, the ``webhooks`` setting or a seed.
Every write operation sends one message per subscribed event carrying **ids only**::

    {"data": {"payload": [{"entity": "order", "operation": "insert",
                           "primaryKey": {"id": "...", "versionId": "..."},
                           "updatedFields": ["orderNumber", ...]}],
              "event": "order.written"},
     "source": {"url": shop_url, "appVersion": "1.0.0", "shopId": "...", "eventId": "<hex>"},
     "timestamp": 1764000000}

``primaryKey`` is ``{"id", "versionId"}`` for versioned entities (product, order and its lines,
deliveries, transactions) and a plain id otherwise (*, as Shopware's write results are);
deletes arrive as ``{entity}.deleted`` with ``updatedFields: []``. Headers:
``shopware-shop-signature`` (hex HMAC-SHA256 of the raw body with the shop secret), ``sw-version``,
``sw-context-language``, ``sw-user-language``, and the new outbox's ``X-Shopware-Event-Id``
(= ``source.eventId``, stable across retries), ``X-Shopware-Sequence`` (monotonic per shop, fixed
per message) and ``X-Shopware-Attempt`` (0-based). Retries follow ``webhook_retry_schedule``
(5 s, 30 s, 5 min, 30 min, 4 h). A subscription with ``onlyLiveVersion`` skips draft-version writes.
Stock moved by orders is written with plain SQL in Shopware 6.6, so it sends **no**
``product.written`` (*): integrations learn it from the order events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from random import Random
from typing import Any

from mocks.common.webhooks import WebhookDelivery, WebhookOutbox
from mocks.shopware.catalog import WriteResult
from mocks.shopware.constants import (
    LIVE_VERSION_ID,
    VERSIONED_ENTITIES,
    WEBHOOK_EVENTS,
    ShopwareSettings,
)
from mocks.shopware.errors import InvalidRequest
from mocks.shopware.records import IdFactory, WebhookSubscription


def sign(secret: str, body: bytes) -> str:
    """``shopware-shop-signature``: hex HMAC-SHA256 of the raw body."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def payload_row(result: WriteResult, version_id: str) -> dict[str, Any]:
    """One ``data.payload`` entry: ids and field names only."""
    key: Any = result.id
    if result.entity in VERSIONED_ENTITIES:
        key = {"id": result.id, "versionId": version_id}
    return {
        "entity": result.entity,
        "operation": result.operation,
        "primaryKey": key,
        "updatedFields": list(result.fields),
    }


class Notifier:
    """Webhook subscriptions and the messages written operations send."""

    def __init__(
        self, *, outbox: WebhookOutbox, settings: ShopwareSettings, secret: str, rng: Random
    ) -> None:
        self.outbox = outbox
        self.settings = settings
        self.secret = secret
        self._ids = IdFactory(rng)
        self.subscriptions: dict[str, WebhookSubscription] = {}
        self.sequence = 0
        """Last ``X-Shopware-Sequence`` handed out."""
        self.messages = 0
        """Messages queued since the last reset (all subscriptions)."""

    def reset(self) -> None:
        """Drop every subscription, then register the ones from the settings again."""
        self.subscriptions.clear()
        self.messages = 0
        for hook in self.settings.webhooks:
            self.subscribe(event=hook.event, url=hook.url, only_live_version=hook.only_live_version)

    def subscribe(
        self, *, event: str, url: str, name: str | None = None, only_live_version: bool = False
    ) -> WebhookSubscription:
        """Register ``url`` for ``event``; unknown events and non-http URLs are refused."""
        if event not in WEBHOOK_EVENTS:
            raise InvalidRequest(
                f'Unknown webhook event "{event}"; known: {", ".join(sorted(WEBHOOK_EVENTS))}',
                pointer="/event",
            )
        if not url.startswith(("http://", "https://")):
            raise InvalidRequest(f'The webhook url "{url}" must be http(s).', pointer="/url")
        sub = WebhookSubscription(
            id=self._ids.new(),
            name=name or f"{event}-{len(self.subscriptions) + 1}",
            event=event,
            url=url,
            only_live_version=only_live_version,
        )
        self.subscriptions[sub.id] = sub
        return sub

    def unsubscribe(self, sub_id: str) -> bool:
        """Remove one subscription; whether it existed."""
        return self.subscriptions.pop(sub_id, None) is not None

    def written(
        self, results: Iterable[WriteResult], *, now: float, version_id: str = LIVE_VERSION_ID
    ) -> int:
        """Send one message per ``{entity}.written`` / ``{entity}.deleted`` of one operation."""
        grouped: dict[str, list[dict[str, Any]]] = {}
        for result in results:
            suffix = "deleted" if result.operation == "delete" else "written"
            grouped.setdefault(f"{result.entity}.{suffix}", []).append(
                payload_row(result, version_id)
            )
        live = version_id == LIVE_VERSION_ID
        return sum(self.emit(event, rows, now=now, live=live) for event, rows in grouped.items())

    def emit(self, event: str, rows: list[dict[str, Any]], *, now: float, live: bool) -> int:
        """Queue ``rows`` as ``event`` to every active subscription of it."""
        queued = 0
        for sub in self.subscriptions.values():
            if sub.event != event or not sub.active or (sub.only_live_version and not live):
                continue
            event_id = self._ids.new()
            self.sequence += 1
            body = json.dumps(
                {
                    "data": {"payload": rows, "event": event},
                    "source": {
                        "url": self.settings.shop_url,
                        "appVersion": self.settings.app_version,
                        "shopId": self.settings.shop_id,
                        "eventId": event_id,
                    },
                    "timestamp": int(now),
                },
                separators=(",", ":"),
            ).encode()
            fixed = {
                "Content-Type": "application/json",
                "shopware-shop-signature": sign(self.secret, body),
                "sw-version": self.settings.shopware_version,
                "sw-context-language": self.settings.language_id,
                "sw-user-language": self.settings.user_language,
                "X-Shopware-Event-Id": event_id,
                "X-Shopware-Sequence": str(self.sequence),
            }

            def headers(delivery: WebhookDelivery, fixed: dict[str, str] = fixed) -> dict[str, str]:
                return {**fixed, "X-Shopware-Attempt": str(delivery.attempts)}

            self.outbox.enqueue(
                topic=event, address=sub.url, body=body, build_headers=headers, delivery_id=event_id
            )
            queued += 1
        self.messages += queued
        return queued
