"""Shopify GraphQL Admin API connector: wire ↔ canonical, paced by a :class:`CostBudget`.

Every request reserves its estimated cost first (the budget waits until it fits), and every
answer's ``extensions.cost.throttleStatus`` corrects the budget. A ``THROTTLED`` answer comes
as HTTP 200; it is handed to the budget and raised as :class:`~sync_engine.errors.Throttled`
with the wait the budget computed. Retrying stays with the flows (``retry.py``).

Version rules for ``inventorySetQuantities`` (PLATFORMS.md 1.6): before 2026-04 the CAS value
is ``compareQuantity`` (or ``ignoreCompareQuantity: true``); from 2026-04 every quantity must
carry ``changeFromQuantity`` (an explicit ``null`` skips the check).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock, parse_iso_utc
from sync_engine.budgets import CostBudget
from sync_engine.config import ShopifyDestination
from sync_engine.connectors.http import classify, json_exact, send
from sync_engine.errors import RecordRejected, Throttled
from sync_engine.metrics import Metrics
from sync_engine.model import Order, OrderLine

DESTINATION = "shopify-graphql"
CHANNEL = "shopify"
CHANGE_FROM_QUANTITY_VERSION = "2026-04"
MAX_QUANTITIES_PER_CALL = 250
"""Shopify refuses any input array longer than this (PLATFORMS.md 1.3)."""
MUTATION_COST = 10
DEFAULT_QUERY_COST = 50
"""Reserved for a query never seen before; the answer's requestedQueryCost replaces it."""
ORDERS_PAGE = 5
LINES_PAGE = 10
"""Small pages: requested cost grows with first × lines, and one query may cost at most 1000."""

SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""

_MONEY = "shopMoney { amount currencyCode }"
ORDERS_SINCE = f"""
query OrdersSince($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: ID) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{
      legacyResourceId name email createdAt currencyCode
      totalPriceSet {{ {_MONEY} }}
      totalTaxSet {{ {_MONEY} }}
      totalDiscountsSet {{ {_MONEY} }}
      totalShippingPriceSet {{ {_MONEY} }}
      lineItems(first: {LINES_PAGE}) {{
        nodes {{
          sku quantity
          originalUnitPriceSet {{ {_MONEY} }}
          discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
          taxLines {{ priceSet {{ {_MONEY} }} }}
        }}
      }}
    }}
  }}
}}
"""


@dataclass(frozen=True, kw_only=True)
class QuantitySet:
    """Set one item's available quantity at one location."""

    item_id: int
    location_id: int
    quantity: int
    expected: int | None = None
    """What we believe the channel holds now (compare-and-swap); None skips the check."""


def _gid(kind: str, legacy_id: int) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def _money(bag: dict[str, Any] | None) -> Decimal:
    return Decimal(str(bag["shopMoney"]["amount"])) if bag else Decimal("0")


def order_from_graphql(node: dict[str, Any]) -> Order:
    """An ``Order`` node (as :data:`ORDERS_SINCE` selects it) as a canonical order."""
    lines = tuple(
        OrderLine(
            sku=str(item.get("sku") or ""),
            quantity=int(item["quantity"]),
            unit_price=_money(item["originalUnitPriceSet"]),
            discount=sum(
                (_money(a["allocatedAmountSet"]) for a in item.get("discountAllocations", [])),
                Decimal("0"),
            ),
            tax=sum((_money(t["priceSet"]) for t in item.get("taxLines", [])), Decimal("0")),
        )
        for item in node["lineItems"]["nodes"]
    )
    return Order(
        channel=CHANNEL,
        order_id=str(node["legacyResourceId"]),
        number=str(node.get("name") or node["legacyResourceId"]),
        created_ts=parse_iso_utc(str(node["createdAt"])),
        email=node.get("email"),
        currency=str(node.get("currencyCode") or "USD"),
        lines=lines,
        discount_total=_money(node.get("totalDiscountsSet")),
        tax_total=_money(node.get("totalTaxSet")),
        shipping=_money(node.get("totalShippingPriceSet")),
        total=_money(node["totalPriceSet"]),
    )


def _is_throttled(body: dict[str, Any]) -> bool:
    return any(
        (e.get("extensions") or {}).get("code") == "THROTTLED" for e in body.get("errors") or []
    )


class ShopifyGraphQL:
    """Calls to one store's GraphQL Admin API."""

    def __init__(
        self,
        dest: ShopifyDestination,
        *,
        clock: Clock,
        metrics: Metrics,
        transport: httpx.AsyncBaseTransport | None = None,
        budget: CostBudget | None = None,
    ) -> None:
        self.dest = dest
        self.clock = clock
        self.metrics = metrics
        self.client = httpx.AsyncClient(
            base_url=f"{dest.base_url.rstrip('/')}/admin/api/{dest.api_version}/",
            headers={"X-Shopify-Access-Token": dest.access_token},
            transport=transport,
            timeout=httpx.Timeout(30.0),
            limits=httpx.Limits(max_connections=20),
        )
        self.budget = budget or CostBudget(clock=clock)

    async def aclose(self) -> None:
        await self.client.aclose()

    @property
    def uses_change_from(self) -> bool:
        """Whether this API version has the 2026-04 inventory rules."""
        version = self.dest.api_version
        return version == "unstable" or version >= CHANGE_FROM_QUANTITY_VERSION

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, cost: int | None = None
    ) -> dict[str, Any]:
        """Run one operation once the budget has room; returns ``data``.

        ``cost`` is the caller's estimate of the requested cost (learned per query after the
        first answer). THROTTLED raises ``Throttled``; top-level errors raise
        ``RecordRejected``; HTTP errors the usual classes.
        """
        estimate = self.budget.estimate(query, cost if cost is not None else DEFAULT_QUERY_COST)
        ticket = await self.budget.acquire(estimate)
        request = self.client.build_request(
            "POST", "graphql.json", json={"query": query, "variables": variables or {}}
        )
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
        if not response.is_success:
            self.budget.observe(ticket, cost=None, throttled=False)
            raise classify(
                response, f"shopify graphql {response.status_code}: {response.text[:300]}"
            )
        body = json_exact(response)
        throttled = _is_throttled(body)
        extensions = body.get("extensions") or {}
        self.budget.observe(ticket, cost=extensions.get("cost"), throttled=throttled, query=query)
        self.metrics.budget_utilisation.labels(DESTINATION).set(self.budget.utilisation())
        if throttled:
            self.metrics.throttled.labels(DESTINATION).inc()
            raise Throttled(
                "shopify graphql THROTTLED",
                retry_after=self.budget.retry_after(estimate),
                status=200,
            )
        if body.get("errors") and body.get("data") is None:
            first = body["errors"][0]
            code = (first.get("extensions") or {}).get("code")
            error = RecordRejected(f"shopify graphql: {first.get('message')}", status=200)
            error.code = str(code) if code else None
            raise error
        data: dict[str, Any] = body.get("data") or {}
        return data

    def _quantity(self, change: QuantitySet) -> dict[str, Any]:
        wire: dict[str, Any] = {
            "inventoryItemId": _gid("InventoryItem", change.item_id),
            "locationId": _gid("Location", change.location_id),
            "quantity": change.quantity,
        }
        if self.uses_change_from:
            wire["changeFromQuantity"] = change.expected  # explicit null skips the check
        elif change.expected is not None:
            wire["compareQuantity"] = change.expected
        return wire

    async def inventory_set(
        self, changes: Sequence[QuantitySet], *, reason: str = "correction"
    ) -> int:
        """Set available quantities, up to 250 per call; returns how many were set.

        A user error (e.g. ``CHANGE_FROM_QUANTITY_STALE``) raises ``RecordRejected`` with its
        code: the whole call is all-or-nothing, earlier calls of the same batch stand.
        """
        groups: list[list[QuantitySet]]
        if self.uses_change_from:
            groups = [list(changes)]
        else:
            # Before 2026-04 skipping the compare is one flag for the whole call, so checked
            # and unchecked quantities go in separate calls.
            groups = [
                [c for c in changes if c.expected is not None],
                [c for c in changes if c.expected is None],
            ]
        done = 0
        for group in groups:
            for start in range(0, len(group), MAX_QUANTITIES_PER_CALL):
                chunk = group[start : start + MAX_QUANTITIES_PER_CALL]
                payload: dict[str, Any] = {
                    "name": "available",
                    "reason": reason,
                    "quantities": [self._quantity(c) for c in chunk],
                }
                if not self.uses_change_from and chunk[0].expected is None:
                    payload["ignoreCompareQuantity"] = True
                data = await self.execute(SET_QUANTITIES, {"input": payload}, cost=MUTATION_COST)
                result = data.get("inventorySetQuantities") or {}
                errors = result.get("userErrors") or []
                if errors:
                    error = RecordRejected(f"inventorySetQuantities: {errors[0]['message']}")
                    error.code = errors[0].get("code")
                    raise error
                done += len(chunk)
        return done

    async def orders_since(self, since_id: int) -> AsyncIterator[list[Order]]:
        """Orders with a legacy id above ``since_id``, oldest first, a page at a time."""
        after: str | None = None
        while True:
            data = await self.execute(
                ORDERS_SINCE,
                {"first": ORDERS_PAGE, "after": after, "query": f"id:>{since_id}"},
            )
            connection = data["orders"]
            yield [order_from_graphql(node) for node in connection["nodes"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]
