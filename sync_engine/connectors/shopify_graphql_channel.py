"""Shopify GraphQL Admin API (pinned version) as a :class:`ChannelConnector`:
``shopify-graphql-<version>``, the v2 of the Shopify pair (v1: ``shopify_channel``, REST).

Orders, inventory items, levels and stock changes go through GraphQL
(:class:`~sync_engine.connectors.shopify_graphql.ShopifyGraphQL`), paced by calculated query
cost instead of the REST call bucket. Stock changes are relative
(``inventoryAdjustQuantities``), so they commute with checkouts landing meanwhile, and each
carries an ``@idempotent`` key (required from 2026-04). Orders are mapped by the REST
connector's own rule (``shopify_graphql.order_from_graphql``), so one order is one canonical
:class:`~sync_engine.model.Order` whichever connector read it.

Some pieces go through REST, as real Shopify apps mix the two: a composed
:class:`~sync_engine.connectors.shopify_rest.ShopifyRest` on the same transport, with its own
leaky bucket, each time because the GraphQL schema the mock serves
(``mocks/shopify/graphql/sdl*.py``) lacks what the piece needs:

- **the buyer of an order**: ``Order`` has no ``customer``, ``phone``, ``shippingAddress`` or
  ``billingAddress``, so those REST fields are read with one ``orders.json?ids=…&fields=…``
  call per page of orders (``orders/{id}.json?fields=…`` for :meth:`fetch_order`);
- **webhook subscriptions**: no ``webhookSubscriptionCreate``;
- **fulfilments**: ``Fulfillment`` has no ``fulfillmentLineItems``, and the units already
  shipped under a tracking number are what makes a push idempotent;
- **refunds**: ``Refund`` has no order adjustments, where the refunded shipping is;
- **payouts**: no Shopify Payments objects at all.

Webhooks are verified and parsed exactly as the REST connector does (its code, delegated
to): ``X-Shopify-Hmac-Sha256`` over the raw body; ``orders/*`` bodies are REST resources.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from typing import Any

import httpx

from simclock import Clock
from sync_engine.budgets import CostBudget
from sync_engine.config import ChannelSettings, ShopifyDestination
from sync_engine.connectors.channel import WebhookEvent
from sync_engine.connectors.shopify_channel import SHOPIFY_CARRIERS, ShopifyChannel, rename
from sync_engine.connectors.shopify_graphql import (
    QuantityAdjust,
    ShopifyGraphQL,
    order_from_graphql,
)
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.errors import RecordRejected
from sync_engine.metrics import Metrics
from sync_engine.model import Order, Payout, Refund

FAMILY = "shopify-graphql"
BUYER_FIELDS = "id,email,phone,customer,shipping_address,billing_address"
"""REST fields of an order that the mock's GraphQL ``Order`` does not have."""


class ShopifyGraphqlChannel:
    """One Shopify store, GraphQL Admin API (with REST for what GraphQL lacks)."""

    accepted_carriers: Collection[str] = SHOPIFY_CARRIERS

    def __init__(
        self, name: str, graphql: ShopifyGraphQL, rest: ShopifyRest, *, webhook_secret: str
    ) -> None:
        self.name = name
        self.graphql = graphql
        self.rest = rest
        self.connector_id = f"{FAMILY}-{graphql.dest.api_version}"
        self.rest_part = ShopifyChannel(name, rest, webhook_secret=webhook_secret)
        """The REST connector over the same store: webhooks and post-purchase go through it."""

    async def aclose(self) -> None:
        await self.graphql.aclose()
        await self.rest.aclose()

    def status(self) -> dict[str, Any]:
        budget = self.graphql.budget
        return {
            "connector": self.connector_id,
            "points_spent": budget.points_spent,
            "restore_rate": budget.restore_rate,
            "throttled": budget.throttled,
            "budget": budget.stats(),
            "circuit": self.graphql.breaker.stats(),
            "rest": {
                "bucket_used": self.rest.bucket_used,
                "bucket_max": self.rest.bucket_max,
                "budget": self.rest.budget.stats(),
                "circuit": self.rest.breaker.stats(),
            },
        }

    # -- webhooks (REST) ---------------------------------------------------------------------

    async def ensure_webhooks(self, address: str) -> None:
        await self.rest_part.ensure_webhooks(address)

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        return self.rest_part.verify_webhook(headers, body)

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        return self.rest_part.parse_webhook(headers, body)

    # -- orders (GraphQL; buyer fields by REST) ----------------------------------------------

    def _order(self, node: dict[str, Any], buyer: dict[str, Any] | None) -> Order:
        return rename(order_from_graphql(node, buyer), self.name)

    async def _buyers(self, order_ids: list[str]) -> dict[str, dict[str, Any]]:
        params = {
            "ids": ",".join(order_ids),
            "status": "any",
            "fields": BUYER_FIELDS,
            "limit": self.rest.dest.page_limit,
        }
        found: dict[str, dict[str, Any]] = {}
        async for page in self.rest.pages("orders.json", "orders", params):
            found.update({str(o["id"]): o for o in page})
        return found

    async def fetch_order(self, order_id: str) -> Order:
        node = await self.graphql.order_node(order_id)
        if node is None:
            raise RecordRejected(f"shopify graphql: order {order_id} not found", status=404)
        return self._order(node, await self.rest.order_resource(order_id, BUYER_FIELDS))

    async def orders_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Order], str]]:
        since = int(cursor or 0)
        async for nodes in self.graphql.order_nodes_since(since):
            if not nodes:
                return
            buyers = await self._buyers([str(n["legacyResourceId"]) for n in nodes])
            page = [self._order(n, buyers.get(str(n["legacyResourceId"]))) for n in nodes]
            since = max(since, *(int(o.order_id) for o in page))
            yield page, str(since)

    async def newest_order_seq(self) -> int:
        return await self.graphql.newest_order_id()

    # -- inventory (GraphQL) -----------------------------------------------------------------

    async def items_by_sku(self) -> dict[str, str]:
        return {sku: str(item) for sku, item in (await self.graphql.items_by_sku()).items()}

    async def levels(
        self, item_ids: list[str], location_ids: list[str]
    ) -> dict[tuple[str, str], int]:
        found = await self.graphql.inventory_levels(
            [int(i) for i in item_ids], [int(loc) for loc in location_ids]
        )
        return {(str(item), str(loc)): available for (item, loc), available in found.items()}

    async def adjust(self, item_id: str, location_id: str, delta: int) -> None:
        change = QuantityAdjust(item_id=int(item_id), location_id=int(location_id), delta=delta)
        await self.graphql.inventory_adjust([change])

    # -- post-purchase (REST) ----------------------------------------------------------------

    async def push_fulfilment(
        self,
        order_id: str,
        *,
        tracking_number: str,
        carrier: str,
        lines: list[tuple[str, int]] | None = None,
    ) -> None:
        """Fulfil ``lines`` ((sku, quantity); every unit left when None), idempotent by the
        tracking number (``shopify_post_purchase.push_fulfilment``)."""
        await self.rest_part.push_fulfilment(
            order_id, tracking_number=tracking_number, carrier=carrier, lines=lines
        )

    async def refunds_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Refund], str]]:
        """Refunds created after ``cursor``, oldest first, a page at a time with cursors."""
        async for page, after in self.rest_part.refunds_since(cursor):
            yield page, after

    async def payouts_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Payout], str]]:
        """Paid Shopify Payments payouts after ``cursor``, oldest first, balanced exactly."""
        async for page, after in self.rest_part.payouts_since(cursor):
            yield page, after


def build_shopify_graphql_channel(
    name: str,
    settings: ChannelSettings,
    clock: Clock,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ShopifyGraphqlChannel:
    """The ``shopify-graphql`` family's factory: the version ``settings.api_version`` pins
    (the REST default when absent); ``bucket_headroom`` is in GraphQL cost points here."""
    if not settings.access_token:
        raise ValueError(f"channels.{name}.access_token is required for {settings.platform}")
    dest = ShopifyDestination(
        base_url=settings.base_url,
        access_token=settings.access_token,
        webhook_secret=settings.webhook_secret,
        page_limit=settings.page_limit,
        **({"api_version": settings.api_version} if settings.api_version else {}),
    )
    headroom = settings.bucket_headroom
    budget = CostBudget(clock=clock, **({"headroom": headroom} if headroom is not None else {}))
    graphql = ShopifyGraphQL(dest, clock=clock, metrics=metrics, transport=transport, budget=budget)
    rest = ShopifyRest(dest, clock=clock, metrics=metrics, transport=transport)
    return ShopifyGraphqlChannel(name, graphql, rest, webhook_secret=settings.webhook_secret)
