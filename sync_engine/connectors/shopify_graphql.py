"""Shopify GraphQL Admin API connector: wire ↔ canonical, paced by a :class:`CostBudget`.

Every request reserves its requested cost first (the budget waits until it fits), and every
answer's ``extensions.cost.throttleStatus`` corrects the budget. A ``THROTTLED`` answer comes
as HTTP 200; it is handed to the budget and raised as :class:`~sync_engine.errors.Throttled`
with the wait the budget computed. Any other GraphQL error (top-level or on a field) raises
:class:`~sync_engine.errors.RecordRejected` with its code. Retrying stays with the flows.

The queries' requested costs are computed here from Shopify's rules (object 1, connection
2 + first × node, mutation 10) so the very first call reserves the right amount; the budget
replaces them by what Shopify reports afterwards.

Orders are read as REST-shaped dicts (:func:`wire_from_graphql`) and mapped by the REST
connector's :func:`~sync_engine.connectors.shopify_rest.order_from_wire`: one mapping rule for
both APIs, so the same order is the same canonical :class:`Order` whichever API read it.

Version rules (PLATFORMS.md 1.6): ``inventorySetQuantities`` checks ``compareQuantity`` (or
``ignoreCompareQuantity: true``) before 2026-04 and ``changeFromQuantity`` (explicit ``null``
skips it) from 2026-04; ``@idempotent(key:)`` exists from 2026-01 and is required on
``inventoryAdjustQuantities`` from 2026-04.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import httpx

from simclock import Clock
from sync_engine.budgets import CostBudget
from sync_engine.circuit import CircuitBreaker
from sync_engine.config import ShopifyDestination
from sync_engine.connectors.http import classify, json_exact, send
from sync_engine.connectors.shopify_rest import order_from_wire
from sync_engine.errors import RecordRejected, Throttled
from sync_engine.metrics import Metrics
from sync_engine.model import Order

DESTINATION = "shopify-graphql"
CHANNEL = "shopify"
CHANGE_FROM_QUANTITY_VERSION = "2026-04"
IDEMPOTENT_VERSION = "2026-01"
"""First version with the ``@idempotent`` directive (required on stock adjustments from 2026-04)."""
MAX_QUANTITIES_PER_CALL = 250
"""Shopify refuses any input array longer than this (PLATFORMS.md 1.3)."""
MAX_QUERY_COST = 1000
"""Shopify refuses a single query whose requested cost is above this (PLATFORMS.md 1.2)."""
MUTATION_COST = 10
DEFAULT_QUERY_COST = 50
"""Reserved for a query never seen before; the answer's requestedQueryCost replaces it."""
ITEMS_PAGE = 250
LEVEL_ITEMS_PER_CALL = 100
CENT = Decimal("0.01")

_MONEY = "shopMoney { amount currencyCode }"
_BAG_COST = 2  # the MoneyBag object and its shopMoney object
LINE_FIELDS = f"""
  sku quantity
  originalUnitPriceSet {{ {_MONEY} }}
  discountAllocations {{ allocatedAmountSet {{ {_MONEY} }} }}
  taxLines {{ priceSet {{ {_MONEY} }} }}
"""
LINE_COST = 1 + _BAG_COST + (1 + _BAG_COST) * 2
"""One line node: itself, its unit price bag, one allocation and one tax line (a plain list of
objects is priced like one object)."""
LINES_PAGE = 10
MORE_LINES_PAGE = 100
ORDERS_PAGE = 9
"""Orders per page: requested cost grows with first × lines, and one query may cost at most
1000 (:data:`ORDERS_SINCE_COST` = 911)."""


ORDER_FIELDS = f"""
  legacyResourceId name email createdAt updatedAt cancelledAt currencyCode
  totalPriceSet {{ {_MONEY} }}
  totalTaxSet {{ {_MONEY} }}
  totalDiscountsSet {{ {_MONEY} }}
  totalShippingPriceSet {{ {_MONEY} }}
  lineItems(first: {LINES_PAGE}) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {LINE_FIELDS} }}
  }}
"""
ORDER_COST = 1 + 4 * _BAG_COST + 2 + LINES_PAGE * LINE_COST
ORDERS_SINCE = f"""
query OrdersSince($first: Int!, $after: String, $query: String) {{
  orders(first: $first, after: $after, query: $query, sortKey: ID) {{
    pageInfo {{ hasNextPage endCursor }}
    nodes {{ {ORDER_FIELDS} }}
  }}
}}
"""
ORDERS_SINCE_COST = 2 + ORDERS_PAGE * ORDER_COST
ORDER_BY_ID = f"query OrderById($id: ID!) {{ order(id: $id) {{ {ORDER_FIELDS} }} }}"
ORDER_LINES = f"""
query OrderLines($id: ID!, $after: String) {{
  order(id: $id) {{
    lineItems(first: {MORE_LINES_PAGE}, after: $after) {{
      pageInfo {{ hasNextPage endCursor }}
      nodes {{ {LINE_FIELDS} }}
    }}
  }}
}}
"""
ORDER_LINES_COST = 1 + 2 + MORE_LINES_PAGE * LINE_COST
NEWEST_ORDER = """
query NewestOrder { orders(first: 1, sortKey: ID, reverse: true) { nodes { legacyResourceId } } }
"""
NEWEST_ORDER_COST = 2 + 1
INVENTORY_ITEMS = """
query InventoryItems($first: Int!, $after: String) {
  inventoryItems(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    nodes { legacyResourceId sku }
  }
}
"""
INVENTORY_ITEMS_COST = 2 + ITEMS_PAGE
SET_QUANTITIES = """
mutation SetQuantities($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { id }
    userErrors { field message code }
  }
}
"""
_ADJUST_PAYLOAD = """{
    inventoryAdjustmentGroup {
      changes(quantityNames: ["available"]) {
        quantityAfterChange item { legacyResourceId } location { legacyResourceId }
      }
    }
    userErrors { field message code }
  }"""
ADJUST_QUANTITIES = f"""
mutation AdjustQuantities($input: InventoryAdjustQuantitiesInput!, $key: String!) {{
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {_ADJUST_PAYLOAD}
}}
"""
ADJUST_QUANTITIES_UNKEYED = f"""
mutation AdjustQuantities($input: InventoryAdjustQuantitiesInput!) {{
  inventoryAdjustQuantities(input: $input) {_ADJUST_PAYLOAD}
}}
"""
"""For versions before the ``@idempotent`` directive existed."""


@dataclass(frozen=True, kw_only=True)
class QuantitySet:
    """Set one item's available quantity at one location."""

    item_id: int
    location_id: int
    quantity: int
    expected: int | None = None
    """What we believe the channel holds now (compare-and-swap); None skips the check."""


@dataclass(frozen=True, kw_only=True)
class QuantityAdjust:
    """Move one item's available quantity at one location by ``delta``."""

    item_id: int
    location_id: int
    delta: int


def _gid(kind: str, legacy_id: int | str) -> str:
    return f"gid://shopify/{kind}/{legacy_id}"


def levels_query(items: int, locations: int) -> tuple[str, int]:
    """Available of ``items`` × ``locations`` levels in one query (aliases ``i<n>``/``l<m>``,
    variables of the same names), and its requested cost."""
    names = [f"$i{i}: ID!" for i in range(items)] + [f"$l{j}: ID!" for j in range(locations)]
    levels = " ".join(
        f'l{j}: inventoryLevel(locationId: $l{j}) {{ quantities(names: ["available"]) '
        "{ quantity } }"
        for j in range(locations)
    )
    body = " ".join(
        f"i{i}: inventoryItem(id: $i{i}) {{ legacyResourceId {levels} }}" for i in range(items)
    )
    return f"query Levels({', '.join(names)}) {{ {body} }}", items * (1 + 2 * locations)


def _amount(bag: dict[str, Any] | None) -> Decimal:
    """A MoneyBag's shop amount, shown with (at least) cents like REST: GraphQL's ``"20.0"``
    becomes ``20.00`` (never rounded: a finer amount keeps its digits)."""
    if not bag:
        return Decimal("0.00")
    value = Decimal(str(bag["shopMoney"]["amount"]))
    exponent = value.as_tuple().exponent
    return value.quantize(CENT) if isinstance(exponent, int) and exponent > -2 else value


def _line_wire(item: dict[str, Any]) -> dict[str, Any]:
    return {
        "sku": item.get("sku"),
        "quantity": item["quantity"],
        "price": _amount(item["originalUnitPriceSet"]),
        "discount_allocations": [
            {"amount": _amount(a["allocatedAmountSet"])}
            for a in item.get("discountAllocations") or []
        ],
        "tax_lines": [{"price": _amount(t["priceSet"])} for t in item.get("taxLines") or []],
    }


def wire_from_graphql(node: dict[str, Any], buyer: dict[str, Any] | None = None) -> dict[str, Any]:
    """An ``Order`` node (as :data:`ORDER_FIELDS` selects it, every line present) as the REST
    order resource, with ``buyer``'s REST fields (``customer``, addresses, ``phone``) merged."""
    wire: dict[str, Any] = {
        "id": int(node["legacyResourceId"]),
        "name": node.get("name"),
        "email": node.get("email"),
        "created_at": node["createdAt"],
        "updated_at": node.get("updatedAt"),
        "cancelled_at": node.get("cancelledAt"),
        "currency": node.get("currencyCode"),
        "line_items": [_line_wire(item) for item in node["lineItems"]["nodes"]],
        "shipping_lines": [{"price": _amount(node.get("totalShippingPriceSet"))}],
        "total_discounts": _amount(node.get("totalDiscountsSet")),
        "total_tax": _amount(node.get("totalTaxSet")),
        "total_price": _amount(node["totalPriceSet"]),
    }
    for key, value in (buyer or {}).items():
        if key not in wire:
            wire[key] = value
    return wire


def order_from_graphql(node: dict[str, Any], buyer: dict[str, Any] | None = None) -> Order:
    """An ``Order`` node as a canonical order (the REST mapping, see :func:`wire_from_graphql`)."""
    return order_from_wire(wire_from_graphql(node, buyer))


def _is_throttled(body: dict[str, Any]) -> bool:
    return any(
        (e.get("extensions") or {}).get("code") == "THROTTLED" for e in body.get("errors") or []
    )


def _user_errors(name: str, result: dict[str, Any] | None) -> None:
    errors = (result or {}).get("userErrors") or []
    if errors:
        raise RecordRejected(f"{name}: {errors[0]['message']}", code=errors[0].get("code"))


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
        breaker: CircuitBreaker | None = None,
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
        """Shared by every caller of this store's GraphQL API."""
        self.breaker = breaker or CircuitBreaker(DESTINATION, clock=clock)

    async def aclose(self) -> None:
        await self.client.aclose()

    def _at_least(self, version: str) -> bool:
        return self.dest.api_version == "unstable" or self.dest.api_version >= version

    @property
    def uses_change_from(self) -> bool:
        """Whether this API version has the 2026-04 inventory rules."""
        return self._at_least(CHANGE_FROM_QUANTITY_VERSION)

    async def execute(
        self, query: str, variables: dict[str, Any] | None = None, *, cost: int | None = None
    ) -> dict[str, Any]:
        """Run one operation once the budget has room; returns ``data``.

        ``cost`` is the caller's estimate of the requested cost (learned per query after the
        first answer). THROTTLED raises ``Throttled``; any other GraphQL error raises
        ``RecordRejected`` with its code; HTTP errors the usual classes.
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
                breaker=self.breaker,
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
        if body.get("errors"):
            # Top-level (validation, MAX_COST_EXCEEDED) or on a field (a missing @idempotent
            # leaves the mutation null): either way the request did not do what was asked.
            first = body["errors"][0]
            code = (first.get("extensions") or {}).get("code")
            raise RecordRejected(
                f"shopify graphql: {first.get('message')}",
                status=200,
                code=str(code) if code else None,
            )
        data: dict[str, Any] = body.get("data") or {}
        return data

    # -- orders ------------------------------------------------------------------------------

    async def _complete_lines(self, node: dict[str, Any]) -> dict[str, Any]:
        """``node`` with every line: lines past the first page are read a page at a time."""
        page = node["lineItems"]
        lines = list(page["nodes"])
        while page["pageInfo"]["hasNextPage"]:
            data = await self.execute(
                ORDER_LINES,
                {
                    "id": _gid("Order", node["legacyResourceId"]),
                    "after": page["pageInfo"]["endCursor"],
                },
                cost=ORDER_LINES_COST,
            )
            page = data["order"]["lineItems"]
            lines.extend(page["nodes"])
        return {**node, "lineItems": {"nodes": lines}}

    async def order_nodes_since(self, since_id: int) -> AsyncIterator[list[dict[str, Any]]]:
        """Order nodes with a legacy id above ``since_id``, oldest first, a page at a time,
        each with all its lines."""
        after: str | None = None
        while True:
            data = await self.execute(
                ORDERS_SINCE,
                {"first": ORDERS_PAGE, "after": after, "query": f"id:>{since_id}"},
                cost=ORDERS_SINCE_COST,
            )
            connection = data["orders"]
            yield [await self._complete_lines(node) for node in connection["nodes"]]
            if not connection["pageInfo"]["hasNextPage"]:
                return
            after = connection["pageInfo"]["endCursor"]

    async def orders_since(self, since_id: int) -> AsyncIterator[list[Order]]:
        """Orders with a legacy id above ``since_id``, oldest first, a page at a time (without
        the buyer fields GraphQL is not asked for: see ``shopify_graphql_channel``)."""
        async for nodes in self.order_nodes_since(since_id):
            yield [order_from_graphql(node) for node in nodes]

    async def order_node(self, order_id: str) -> dict[str, Any] | None:
        """One order node with all its lines; None when the store has no such order."""
        data = await self.execute(ORDER_BY_ID, {"id": _gid("Order", order_id)}, cost=ORDER_COST)
        node = data.get("order")
        return None if node is None else await self._complete_lines(node)

    async def newest_order_id(self) -> int:
        """Legacy id of the newest order (0 when there is none)."""
        data = await self.execute(NEWEST_ORDER, cost=NEWEST_ORDER_COST)
        nodes = data["orders"]["nodes"]
        return int(nodes[0]["legacyResourceId"]) if nodes else 0

    # -- inventory ---------------------------------------------------------------------------

    async def items_by_sku(self) -> dict[str, int]:
        """SKU → inventory item id for every item with a SKU; the lowest id wins a duplicate."""
        result: dict[str, int] = {}
        after: str | None = None
        while True:
            data = await self.execute(
                INVENTORY_ITEMS, {"first": ITEMS_PAGE, "after": after}, cost=INVENTORY_ITEMS_COST
            )
            connection = data["inventoryItems"]
            for node in connection["nodes"]:
                if node.get("sku"):
                    result.setdefault(str(node["sku"]), int(node["legacyResourceId"]))
            if not connection["pageInfo"]["hasNextPage"]:
                return result
            after = connection["pageInfo"]["endCursor"]

    async def inventory_levels(
        self, item_ids: Sequence[int], location_ids: Sequence[int]
    ) -> dict[tuple[int, int], int]:
        """Available per (item id, location id), for the levels that exist."""
        result: dict[tuple[int, int], int] = {}
        locations = list(dict.fromkeys(location_ids))
        loc_step = (MAX_QUERY_COST - 1) // 2
        for loc_start in range(0, len(locations), loc_step):
            locs = locations[loc_start : loc_start + loc_step]
            step = max(1, min(LEVEL_ITEMS_PER_CALL, MAX_QUERY_COST // (1 + 2 * len(locs))))
            for start in range(0, len(item_ids), step):
                items = item_ids[start : start + step]
                query, cost = levels_query(len(items), len(locs))
                variables = {f"i{i}": _gid("InventoryItem", item) for i, item in enumerate(items)}
                variables |= {f"l{j}": _gid("Location", loc) for j, loc in enumerate(locs)}
                data = await self.execute(query, variables, cost=cost)
                for i, item in enumerate(items):
                    node = data.get(f"i{i}")
                    for j, loc in enumerate(locs):
                        level = (node or {}).get(f"l{j}")
                        if level is not None:
                            result[(item, loc)] = int(level["quantities"][0]["quantity"])
        return result

    async def inventory_adjust(
        self,
        changes: Sequence[QuantityAdjust],
        *,
        idempotency_key: str | None = None,
        reason: str = "correction",
    ) -> dict[tuple[int, int], int]:
        """Move available quantities by their deltas, up to 250 per call (each call is all or
        nothing); returns available after the change per (item id, location id).

        Relative changes commute with checkouts landing meanwhile. Each call carries an
        ``@idempotent`` key (from 2026-01): ``idempotency_key`` (suffixed per call of a batch)
        or a fresh one, so a call sent again with the same key is applied once.
        """
        key = idempotency_key or uuid.uuid4().hex
        keyed = self._at_least(IDEMPOTENT_VERSION)
        after: dict[tuple[int, int], int] = {}
        for start in range(0, len(changes), MAX_QUANTITIES_PER_CALL):
            chunk = changes[start : start + MAX_QUANTITIES_PER_CALL]
            wire_changes = []
            for change in chunk:
                wire: dict[str, Any] = {
                    "inventoryItemId": _gid("InventoryItem", change.item_id),
                    "locationId": _gid("Location", change.location_id),
                    "delta": change.delta,
                }
                if self.uses_change_from:
                    wire["changeFromQuantity"] = None  # relative: no compare
                wire_changes.append(wire)
            variables: dict[str, Any] = {
                "input": {"name": "available", "reason": reason, "changes": wire_changes}
            }
            if keyed:
                variables["key"] = key if start == 0 else f"{key}-{start}"
            query = ADJUST_QUANTITIES if keyed else ADJUST_QUANTITIES_UNKEYED
            data = await self.execute(query, variables, cost=MUTATION_COST)
            result = data.get("inventoryAdjustQuantities")
            _user_errors("inventoryAdjustQuantities", result)
            group = (result or {}).get("inventoryAdjustmentGroup") or {}
            for entry in group.get("changes") or []:
                pair = (
                    int(entry["item"]["legacyResourceId"]),
                    int(entry["location"]["legacyResourceId"]),
                )
                after[pair] = int(entry["quantityAfterChange"])
        return after

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
                _user_errors("inventorySetQuantities", data.get("inventorySetQuantities"))
                done += len(chunk)
        return done
