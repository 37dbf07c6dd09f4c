"""Shopify REST Admin API connector: wire ↔ canonical, nothing about retries.

Every call first waits for room in a :class:`~sync_engine.budgets.LeakyBucketBudget` and hands
it the answer afterwards (``X-Shopify-Shop-Api-Call-Limit``, status, ``Retry-After``), so calls
are paced to the bucket instead of discovering it through 429s.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock, iso_utc, parse_iso_utc
from sync_engine.budgets import LeakyBucketBudget, parse_call_limit
from sync_engine.circuit import CircuitBreaker
from sync_engine.config import ShopifyDestination
from sync_engine.connectors.http import classify, json_exact, link_pages, parse_retry_after, send
from sync_engine.errors import SyncError
from sync_engine.metrics import Metrics
from sync_engine.model import Customer, Order, OrderLine

DESTINATION = "shopify"
CALL_LIMIT_HEADER = "X-Shopify-Shop-Api-Call-Limit"
REFUNDED_STATUSES = ("partially_refunded", "refunded")
"""``financial_status`` values an order with refunded money has (one per query: the filter
takes a single value)."""


def version_of(stamp: str) -> int:
    """An order version from its ``updated_at``: epoch milliseconds, so a later edit compares
    greater (Shopify's REST timestamps have whole seconds: two edits in one second tie)."""
    return round(parse_iso_utc(stamp) * 1000)


def flat_address(raw: Any) -> dict[str, str]:
    """A Shopify address object as a flat dict of its non-empty scalar fields."""
    if not isinstance(raw, dict):
        return {}
    return {
        str(k): str(v)
        for k, v in raw.items()
        if v is not None and v != "" and not isinstance(v, (dict, list, bool))
    }


def customer_from_wire(wire: dict[str, Any]) -> Customer:
    """The buyer: the order's ``customer`` object, or a guest when it has none (named from
    the shipping, else billing, address)."""
    buyer = wire.get("customer")
    if isinstance(buyer, dict) and buyer:
        return Customer(
            email=buyer.get("email") or wire.get("email"),
            phone=buyer.get("phone") or wire.get("phone"),
            first_name=str(buyer.get("first_name") or ""),
            last_name=str(buyer.get("last_name") or ""),
        )
    address = wire.get("shipping_address") or wire.get("billing_address") or {}
    return Customer(
        email=wire.get("email"),
        phone=wire.get("phone"),
        guest=True,
        first_name=str(address.get("first_name") or ""),
        last_name=str(address.get("last_name") or ""),
    )


def order_from_wire(wire: dict[str, Any]) -> Order:
    """A Shopify REST order resource (or ``orders/*`` webhook body) as a canonical order.

    ``cancelled`` follows ``cancelled_at``; ``version`` is ``updated_at`` in epoch ms."""
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
        customer=customer_from_wire(wire),
        shipping_address=flat_address(wire.get("shipping_address")),
        cancelled=wire.get("cancelled_at") is not None,
        version=version_of(str(wire.get("updated_at") or wire["created_at"])),
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
                        result.setdefault(str(variant["sku"]), int(variant["inventory_item_id"]))
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

    async def count_orders(self, params: dict[str, Any]) -> int:
        """``GET orders/count.json`` with ``params`` (``status``, ``created_at_min``...): one
        call. Shopify caps counts (25,001 means "more than 25,000"); the caller decides."""
        response = await self.request("GET", "orders/count.json", params=params)
        return int(json_exact(response)["count"])

    async def order_pages(
        self,
        params: dict[str, Any],
        *,
        before_call: Callable[[], Awaitable[None]] | None = None,
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """``GET orders.json`` with ``params`` (filters, ``limit``), a page per call, as the
        wire gives them; ``before_call`` is awaited before each request (reconciliation
        meters its calls with it)."""

        async def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
            if before_call is not None:
                await before_call()
            return await self.request(method, url, **kwargs)

        async for page in link_pages(request, "orders.json", "orders", params):
            yield page

    async def ensure_webhooks(self, topics: tuple[str, ...], address: str) -> None:
        """Subscribe ``address`` to each topic it lacks: one listing, then one POST per gap."""
        have: set[tuple[str, str]] = set()
        async for page in self.pages("webhooks.json", "webhooks", {"limit": 250}):
            have |= {(str(h.get("topic")), str(h.get("address"))) for h in page}
        for topic in topics:
            if (topic, address) not in have:
                await self.request(
                    "POST",
                    "webhooks.json",
                    body={"webhook": {"topic": topic, "address": address, "format": "json"}},
                )

    # -- post-purchase ----------------------------------------------------------------------

    async def order_resource(self, order_id: str, fields: str) -> dict[str, Any]:
        """``GET orders/{id}.json`` with only ``fields`` (one call)."""
        response = await self.request("GET", f"orders/{order_id}.json", params={"fields": fields})
        order: dict[str, Any] = json_exact(response)["order"]
        return order

    async def fulfillment_orders(self, order_id: str) -> list[dict[str, Any]]:
        """``GET orders/{id}/fulfillment_orders.json``."""
        response = await self.request("GET", f"orders/{order_id}/fulfillment_orders.json")
        return list(json_exact(response)["fulfillment_orders"])

    async def create_fulfillment(self, fulfillment: dict[str, Any]) -> dict[str, Any]:
        """``POST fulfillments.json`` (fulfillment orders API); returns the fulfillment."""
        response = await self.request(
            "POST", "fulfillments.json", body={"fulfillment": fulfillment}
        )
        created: dict[str, Any] = json_exact(response)["fulfillment"]
        return created

    async def refunded_orders(
        self, updated_since: float | None
    ) -> AsyncIterator[list[dict[str, Any]]]:
        """Orders with refunded money updated at or after ``updated_since`` (whole seconds),
        with their ``refunds`` inline: one listing per refunded ``financial_status``."""
        for status in REFUNDED_STATUSES:
            params: dict[str, Any] = {
                "status": "any",
                "financial_status": status,
                "fields": "id,updated_at,refunds",
                "limit": self.dest.page_limit,
            }
            if updated_since:
                params["updated_at_min"] = iso_utc(int(updated_since), millis=False)
            async for page in self.pages("orders.json", "orders", params):
                yield page

    async def payouts(self, since_id: int) -> AsyncIterator[list[dict[str, Any]]]:
        """``GET shopify_payments/payouts.json`` above ``since_id`` (newest first per page)."""
        params: dict[str, Any] = {"limit": self.dest.page_limit}
        if since_id:
            params["since_id"] = since_id
        async for page in self.pages("shopify_payments/payouts.json", "payouts", params):
            yield page

    async def balance_transactions(self, payout_id: str) -> list[dict[str, Any]]:
        """Every balance transaction of one payout."""
        rows: list[dict[str, Any]] = []
        params = {"payout_id": payout_id, "limit": self.dest.page_limit}
        async for page in self.pages(
            "shopify_payments/balance/transactions.json", "transactions", params
        ):
            rows.extend(page)
        return rows

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
