"""Shopify REST Admin API connector: wire ↔ canonical, nothing about retries.

Every call first waits for room in a :class:`~sync_engine.budgets.LeakyBucketBudget` and hands
it the answer afterwards (``X-Shopify-Shop-Api-Call-Limit``, status, ``Retry-After``), so calls
are paced to the bucket instead of discovering it through 429s.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock, parse_iso_utc
from sync_engine.budgets import LeakyBucketBudget, parse_call_limit
from sync_engine.circuit import CircuitBreaker
from sync_engine.config import ShopifyDestination
from sync_engine.connectors.http import classify, json_exact, link_pages, parse_retry_after, send
from sync_engine.errors import SyncError
from sync_engine.metrics import Metrics
from sync_engine.model import Order, OrderLine

DESTINATION = "shopify"
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"


def order_from_wire(wire: dict[str, Any]) -> Order:
    """A Shopify REST order resource (or ``orders/create`` body) as a canonical order."""
    lines = tuple(
        OrderLine(
            sku=str(item.get("sku") or ""),
            quantity=int(item["quantity"]),
            unit_price=Decimal(str(item["price"])),
            discount=sum(
                (Decimal(str(a["amount"])) for a in item.get("discount_allocations", [])),
                Decimal("0"),
            ),
            tax=sum((Decimal(str(t["price"])) for t in item.get("tax_lines", [])), Decimal("0")),
        )
        for item in wire["line_items"]
    )
    shipping = sum((Decimal(str(s["price"])) for s in wire.get("shipping_lines", [])), Decimal("0"))
    return Order(
        channel=DESTINATION,
        order_id=str(wire["id"]),
        number=str(wire.get("name") or wire["id"]),
        created_ts=parse_iso_utc(str(wire["created_at"])),
        email=wire.get("email"),
        currency=str(wire.get("currency") or "USD"),
        lines=lines,
        discount_total=Decimal(str(wire.get("total_discounts", "0"))),
        tax_total=Decimal(str(wire.get("total_tax", "0"))),
        shipping=shipping,
        total=Decimal(str(wire["total_price"])),
    )


def parse_order_body(body: bytes) -> Order:
    """Parse a webhook body; raises ``ValueError`` with the reason when it is not an order."""
    try:
        wire = json.loads(body, parse_float=Decimal)
        return order_from_wire(wire)
    except (KeyError, TypeError, ValueError, AttributeError, ArithmeticError) as exc:
        raise ValueError(f"not a Shopify order: {type(exc).__name__}: {exc}") from exc


class ShopifyRest:
    """Calls to one store's REST Admin API."""

    def __init__(
        self,
        dest: ShopifyDestination,
        *,
        clock: Clock,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: LeakyBucketBudget | None = None,
    ) -> None:
        self.dest = dest
        self.clock = clock
        self.metrics = metrics
        self.breaker = CircuitBreaker(DESTINATION, clock=clock)
        self.client = httpx.AsyncClient(
            base_url=f"{dest.base_url.rstrip('/')}/admin/api/{dest.api_version}/",
            headers={"X-Shopify-Access-Token": dest.access_token},
            transport=transport,
            timeout=httpx.Timeout(30.0),
            limits=httpx.Limits(max_connections=20),
        )
        self.budget = budget or LeakyBucketBudget(clock=clock, headroom=dest.bucket_headroom)
        """Shared by every caller of this store (pushes, poller, full syncs)."""
        self.bucket_used = 0
        """Last ``used`` the store reported."""
        self.bucket_max = 40
        self.bucket_seen_at = clock.now()

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
                breaker=self.breaker,
            )
        except BaseException:
            # No answer (or cancelled): the budget keeps the pour but stops waiting for it.
            self.budget.release(ticket)
            raise
        limit = parse_call_limit(response.headers.get(CALL_LIMIT_HEADER))
        self.budget.observe(
            ticket,
            status=response.status_code,
            call_limit=limit,
            retry_after=parse_retry_after(response.headers.get("Retry-After")),
        )
        self.metrics.budget_utilisation.labels(DESTINATION).set(self.budget.utilisation())
        if limit is not None:
            self.bucket_used, self.bucket_max = limit
            self.bucket_seen_at = self.clock.now()
            self.metrics.bucket_used.labels(DESTINATION).set(self.bucket_used)
        if response.is_success:
            return response
        raise self._error(response)

    @staticmethod
    def _error(response: httpx.Response) -> SyncError:
        return classify(response, f"shopify {response.status_code}: {response.text[:300]}")

    async def pages(
        self, url: str, key: str, params: dict[str, Any]
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Follow ``Link: rel="next"`` cursors; each page is yielded as it arrives."""
        async for page in link_pages(self.request, url, key, params):
            yield page

    async def locations(self) -> list[dict[str, Any]]:
        response = await self.request("GET", "locations.json")
        return list(json_exact(response)["locations"])

    async def variants_by_sku(self) -> dict[str, int]:
        """SKU → inventory item id, for every variant in the store."""
        result: dict[str, int] = {}
        async for page in self.pages("products.json", "products", {"limit": self.dest.page_limit}):
            for product in page:
                for variant in product.get("variants", []):
                    if variant.get("sku"):
                        result[str(variant["sku"])] = int(variant["inventory_item_id"])
        return result

    async def inventory_levels(
        self, item_ids: list[int], location_ids: list[int]
    ) -> list[dict[str, Any]]:
        levels: list[dict[str, Any]] = []
        step = self.dest.ids_per_filter
        for start in range(0, len(item_ids), step):
            params = {
                "inventory_item_ids": ",".join(str(i) for i in item_ids[start : start + step]),
                "location_ids": ",".join(str(i) for i in location_ids),
                "limit": self.dest.page_limit,
            }
            async for page in self.pages("inventory_levels.json", "inventory_levels", params):
                levels.extend(page)
        return levels

    async def adjust(self, item_id: int, location_id: int, delta: int) -> int:
        """Relative change, which commutes with the checkouts happening meanwhile."""
        response = await self.request(
            "POST",
            "inventory_levels/adjust.json",
            body={
                "location_id": location_id,
                "inventory_item_id": item_id,
                "available_adjustment": delta,
            },
        )
        return int(json_exact(response)["inventory_level"]["available"])

    async def newest_order_id(self) -> int:
        response = await self.request(
            "GET", "orders.json", params={"status": "any", "limit": 1, "fields": "id"}
        )
        orders = json_exact(response)["orders"]
        return int(orders[0]["id"]) if orders else 0

    async def orders_since(self, since_id: int) -> AsyncIterator[list[Order]]:
        params = {"status": "any", "since_id": since_id, "limit": self.dest.page_limit}
        async for page in self.pages("orders.json", "orders", params):
            yield [order_from_wire(o) for o in page]

    async def ensure_webhook(self, topic: str, address: str) -> None:
        """Subscribe once: an existing subscription with the same address is kept."""
        response = await self.request("GET", "webhooks.json", params={"topic": topic})
        for hook in json_exact(response).get("webhooks", []):
            if hook.get("address") == address and hook.get("topic") == topic:
                return
        await self.request(
            "POST",
            "webhooks.json",
            body={"webhook": {"topic": topic, "address": address, "format": "json"}},
        )
