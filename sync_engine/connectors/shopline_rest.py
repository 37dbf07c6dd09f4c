"""SHOPLINE Open API (REST) connector: wire ↔ canonical, paced by a header-less bucket budget.

SHOPLINE meters REST calls with a leaky bucket (40 at 4/s per app per store, PLATFORMS.md 2.2)
but sends no level header and no ``Retry-After``: a 429 is the only thing it says. The
connector's :class:`~sync_engine.budgets.LeakyBucketBudget` therefore learns the rate from 429s
alone (full-to-full measurement around AIMD). Retrying stays with the flows.

Ids are strings on the wire (19 digits) and stay strings here. Fulfilments use SHOPLINE's
order-level routes (``orders/{id}/fulfillments.json``, GET and POST), whose body mirrors
Shopify's legacy REST one.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from simclock import Clock
from sync_engine.budgets import LeakyBucketBudget
from sync_engine.connectors.http import classify, json_exact, link_pages, parse_retry_after, send
from sync_engine.connectors.shopify_rest import order_from_wire as shopify_order_from_wire
from sync_engine.metrics import Metrics
from sync_engine.model import Order

DESTINATION = "shopline"
DEFAULT_API_VERSION = "v20250301"
DEFAULT_CAPACITY = 40
HEADERLESS_HEADROOM = 3.0
"""More than Shopify's 2: without a header the level is only ever an estimate."""


@dataclass(frozen=True, kw_only=True)
class ShoplineDestination:
    """A SHOPLINE store (until the engine config grows a SHOPLINE section, built by callers)."""

    base_url: str
    access_token: str = field(repr=False)
    api_version: str = DEFAULT_API_VERSION
    page_limit: int = 250
    bucket_headroom: float = HEADERLESS_HEADROOM


def order_from_wire(wire: dict[str, Any]) -> Order:
    """A SHOPLINE order resource as a canonical order (its fields mirror Shopify REST's).

    ``version`` reads ``updated_at`` or, before v20240901, ``update_at``; an order is
    cancelled when ``cancelled_at`` is set or its ``status`` says so. The ``customer`` object
    (id, e-mail, phone) makes a registered buyer; an order without one is a guest's."""
    stamp = wire.get("updated_at") or wire.get("update_at") or wire["created_at"]
    order = shopify_order_from_wire({**wire, "updated_at": stamp})
    return dataclasses.replace(
        order,
        channel=DESTINATION,
        cancelled=order.cancelled or wire.get("status") == "cancelled",
    )


class ShoplineRest:
    """Calls to one SHOPLINE store's Open API."""

    def __init__(
        self,
        dest: ShoplineDestination,
        *,
        clock: Clock,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: LeakyBucketBudget | None = None,
    ) -> None:
        self.dest = dest
        self.clock = clock
        self.metrics = metrics
        self.client = httpx.AsyncClient(
            base_url=f"{dest.base_url.rstrip('/')}/admin/openapi/{dest.api_version}/",
            headers={
                "Authorization": f"Bearer {dest.access_token}",
                "Content-Type": "application/json; charset=utf-8",
            },
            transport=transport,
            timeout=httpx.Timeout(30.0),
            limits=httpx.Limits(max_connections=20),
        )
        self.budget = budget or LeakyBucketBudget(
            clock=clock, capacity=DEFAULT_CAPACITY, headroom=dest.bucket_headroom
        )

    async def aclose(self) -> None:
        await self.client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, Any] | None = None,
        body: dict[str, Any] | None = None,
    ) -> httpx.Response:
        """One call, once the budget has room; a non-2xx becomes the matching error."""
        request = self.client.build_request(method, url, params=params, json=body)
        ticket = await self.budget.acquire()
        try:
            response = await send(
                self.client,
                request,
                destination=DESTINATION,
                clock=self.clock,
                metrics=self.metrics,
            )
        except BaseException:
            self.budget.release(ticket)
            raise
        self.budget.observe(
            ticket,
            status=response.status_code,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        self.metrics.budget_utilisation.labels(DESTINATION).set(self.budget.utilisation())
        if response.is_success:
            return response
        raise classify(response, f"shopline {response.status_code}: {response.text[:300]}")

    async def pages(
        self, url: str, key: str, params: dict[str, Any]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Follow the ``link: rel="next"`` cursor; no header means a single page."""
        async for page in link_pages(self.request, url, key, params):
            yield page

    async def locations(self) -> list[dict[str, Any]]:
        response = await self.request("GET", "locations.json")
        return list(json_exact(response)["locations"])

    async def variants_by_sku(self) -> dict[str, str]:
        """SKU → inventory item id (SHOPLINE allows duplicate SKUs: the first one wins)."""
        result: dict[str, str] = {}
        async for page in self.pages("products.json", "products", {"limit": self.dest.page_limit}):
            for product in page:
                for variant in product.get("variants", []):
                    sku = variant.get("sku")
                    if sku and sku not in result:
                        result[str(sku)] = str(variant["inventory_item_id"])
        return result

    async def adjust(self, item_id: str, location_id: str, delta: int) -> int:
        """Relative change (commutes with checkouts in flight); returns the new available."""
        response = await self.request(
            "POST",
            "inventory_levels/adjust.json",
            body={
                "inventory_item_id": item_id,
                "location_id": location_id,
                "available_adjustment": delta,
            },
        )
        return int(json_exact(response)["inventory_level"]["available"])

    async def orders_since(self, since_id: str) -> AsyncIterator[list[Order]]:
        """Orders with an id above ``since_id`` (any status), oldest first, a page at a time."""
        params: dict[str, Any] = {"status": "any", "limit": self.dest.page_limit}
        if since_id:
            params["since_id"] = since_id
        async for page in self.pages("orders.json", "orders", params):
            yield [order_from_wire(o) for o in page]

    async def order_resource(self, order_id: str) -> dict[str, Any]:
        """``GET orders/{id}.json`` as the wire has it (line items, status)."""
        response = await self.request("GET", f"orders/{order_id}.json")
        order: dict[str, Any] = json_exact(response)["order"]
        return order

    async def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        """``GET orders/{id}/fulfillments.json``: every fulfilment of the order."""
        response = await self.request("GET", f"orders/{order_id}/fulfillments.json")
        return list(json_exact(response)["fulfillments"])

    async def create_fulfillment(
        self, order_id: str, fulfillment: dict[str, Any]
    ) -> dict[str, Any]:
        """``POST orders/{id}/fulfillments.json``; returns the fulfilment created."""
        response = await self.request(
            "POST", f"orders/{order_id}/fulfillments.json", body={"fulfillment": fulfillment}
        )
        created: dict[str, Any] = json_exact(response)["fulfillment"]
        return created
