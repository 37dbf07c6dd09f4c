"""Shopify REST (pinned API version) as a :class:`ChannelConnector`: ``shopify-rest-<version>``.

A thin adapter over :class:`ShopifyRest`, which keeps the wire calls; this module only turns
ids into strings and webhooks into events. ``X-Shopify-Webhook-Id`` is the delivery id,
stable across Shopify's retries: the inbox deduplicates on it.

Webhooks: ``orders/create``, ``orders/updated``, ``orders/cancelled`` and ``refunds/create``.
Every ``orders/*`` body is the order (``cancelled`` and ``version`` from ``cancelled_at`` and
``updated_at``); ``orders/edited`` carries an edit, so its event names the order to fetch;
``refunds/create`` carries the refund, which :meth:`ShopifyChannel.refund_from_webhook`
reads (the refunds poll finds it too). Fulfilments, refunds and payouts: see
``shopify_post_purchase``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import replace
from decimal import Decimal
from typing import Any

from sync_engine.connectors import shopify_post_purchase as post
from sync_engine.connectors.channel import WebhookEvent
from sync_engine.connectors.http import json_exact
from sync_engine.connectors.shopify_rest import ShopifyRest, order_from_wire
from sync_engine.connectors.webhook_sig import b64_hmac_sha256, verify
from sync_engine.model import Order, Payout, Refund

WEBHOOK_TOPICS = ("orders/create", "orders/updated", "orders/cancelled", "refunds/create")
NOT_ORDER_BODIES = frozenset({"orders/edited", "orders/delete"})
"""``orders/*`` topics whose body is not the order."""
SHOPIFY_CARRIERS = (
    "4PX", "Amazon Logistics US", "Australia Post", "Canada Post", "DHL eCommerce",
    "DHL Express", "FedEx", "GLS", "La Poste", "Royal Mail", "UPS", "USPS", "Other",
)  # fmt: skip
"""A subset of Shopify's ``tracking_company`` list (names matched exactly, case-sensitive)."""


class ShopifyChannel:
    """One Shopify store, REST Admin API."""

    accepted_carriers: Collection[str] = SHOPIFY_CARRIERS

    def __init__(self, name: str, rest: ShopifyRest, *, webhook_secret: str) -> None:
        self.name = name
        self.rest = rest
        self.connector_id = f"shopify-rest-{rest.dest.api_version}"
        self._secret = webhook_secret.encode()

    async def aclose(self) -> None:
        await self.rest.aclose()

    def status(self) -> dict[str, Any]:
        return {
            "connector": self.connector_id,
            "bucket_used": self.rest.bucket_used,
            "bucket_max": self.rest.bucket_max,
            "budget": self.rest.budget.stats(),
            "circuit": self.rest.breaker.stats(),
        }

    async def ensure_webhooks(self, address: str) -> None:
        await self.rest.ensure_webhooks(WEBHOOK_TOPICS, address)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return verify(b64_hmac_sha256(self._secret, body), headers.get("X-Shopify-Hmac-Sha256"))

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        event_id = headers.get("X-Shopify-Webhook-Id")
        if not event_id:
            raise ValueError("X-Shopify-Webhook-Id header is missing")
        topic = headers.get("X-Shopify-Topic", "")
        if topic == "orders/edited":
            return WebhookEvent(event_id=event_id, topic=topic, order_id=_edited_order_id(body))
        if topic == "refunds/create":
            return WebhookEvent(
                event_id=event_id, topic=topic, refund=self.refund_from_webhook(body)
            )
        order = None
        if topic.startswith("orders/") and topic not in NOT_ORDER_BODIES:
            order = self._with_name(parse_order_json(body, "Shopify"))
        return WebhookEvent(event_id=event_id, topic=topic, order=order)

    def refund_from_webhook(self, body: bytes) -> Refund:
        """A verified ``refunds/create`` body as a canonical refund (``ValueError`` if not)."""
        try:
            wire = json.loads(body, parse_float=Decimal)
            return post.refund_from_wire(wire, channel=self.name)
        except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            raise ValueError(f"not a Shopify refund: {type(exc).__name__}: {exc}") from exc

    def _with_name(self, order: Order) -> Order:
        return order if order.channel == self.name else rename(order, self.name)

    async def fetch_order(self, order_id: str) -> Order:
        response = await self.rest.request("GET", f"orders/{order_id}.json")
        return self._with_name(order_from_wire(json_exact(response)["order"]))

    async def orders_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Order], str]]:
        since = int(cursor or 0)
        async for page in self.rest.orders_since(since):
            if not page:
                return
            since = max(since, *(int(o.order_id) for o in page))
            yield [self._with_name(o) for o in page], str(since)

    async def newest_order_seq(self) -> int:
        return await self.rest.newest_order_id()

    async def items_by_sku(self) -> dict[str, str]:
        return {sku: str(item) for sku, item in (await self.rest.variants_by_sku()).items()}

    async def levels(
        self, item_ids: list[str], location_ids: list[str]
    ) -> dict[tuple[str, str], int]:
        rows = await self.rest.inventory_levels(
            [int(i) for i in item_ids], [int(loc) for loc in location_ids]
        )
        return {
            (str(lv["inventory_item_id"]), str(lv["location_id"])): int(lv["available"])
            for lv in rows
        }

    async def adjust(self, item_id: str, location_id: str, delta: int) -> None:
        await self.rest.adjust(int(item_id), int(location_id), delta)

    # -- post-purchase -----------------------------------------------------------------------

    async def push_fulfilment(
        self,
        order_id: str,
        *,
        tracking_number: str,
        carrier: str,
        lines: list[tuple[str, int]] | None = None,
    ) -> None:
        """Fulfil ``lines`` ((sku, quantity); every unit left when None) with ``carrier``
        and the tracking number, idempotent by that number (see ``shopify_post_purchase``)."""
        await post.push_fulfilment(
            self.rest, order_id, tracking_number=tracking_number, carrier=carrier, lines=lines
        )

    async def refunds_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Refund], str]]:
        """Refunds created after ``cursor``, oldest first, a page at a time with cursors."""
        async for page, after in post.refunds_since(
            self.rest, self.name, cursor, page_size=self.rest.dest.page_limit
        ):
            yield page, after

    async def payouts_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Payout], str]]:
        """Paid Shopify Payments payouts after ``cursor``, oldest first, balanced exactly."""
        async for page, after in post.payouts_since(self.rest, self.name, cursor):
            yield page, after


def parse_order_json(body: bytes, platform: str) -> Order:
    try:
        return order_from_wire(json.loads(body, parse_float=Decimal))
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise ValueError(f"not a {platform} order: {type(exc).__name__}: {exc}") from exc


def rename(order: Order, channel: str) -> Order:
    return replace(order, channel=channel)


def _edited_order_id(body: bytes) -> str:
    try:
        return str(json.loads(body)["order_edit"]["order_id"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"not a Shopify order edit: {type(exc).__name__}: {exc}") from exc
