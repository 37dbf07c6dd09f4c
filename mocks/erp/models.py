"""The NetSuite-style ERP as plain Python: inventory, customers, sales orders, governance.

No HTTP here (moto's ``models.py`` shape): ``api.py`` reads the request, calls one operation
and serialises. Every operation is synchronous, so on one event loop each is atomic: two
concurrent upserts of one externalId can never both create.

Stock per item and location follows NetSuite's fields: ``on_hand`` (quantityOnHand),
``committed`` (quantityCommitted), ``backordered`` (quantityBackOrdered) and
``available = on_hand - committed`` (quantityAvailable, never negative). A sales order commits
``min(quantity, available)`` per line when it is created and backorders the rest; backordered
units are how the harness measures oversell, so allocation happens exactly once per order.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from mocks.common.concurrency import ConcurrencyLimiter
from mocks.common.rng import derive
from mocks.erp import constants as c
from mocks.erp.constants import ErpSettings
from mocks.erp.errors import (
    InsufficientStock,
    InvalidParameter,
    NonexistentId,
    UnknownLocation,
    UnknownSku,
    UserError,
)
from mocks.erp.records import (
    Customer,
    InventoryItem,
    SalesOrder,
    SalesOrderLine,
    StockLevel,
    inventory_record,
    iso_ms,
    item_state,
    order_state,
    sales_order_record,
)
from mocks.erp.schemas import (
    InventoryQuery,
    SalesOrderInput,
    parse_sales_order,
    parse_seed,
    parse_stock_movement,
)
from simclock import Clock

RequestKind = Literal["read", "write"]


@dataclass(frozen=True, kw_only=True)
class InventoryPage:
    """One page of an inventory query, before links are added by the HTTP layer."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows remain after this page."""
        return self.offset + len(self.items) < self.total


@dataclass
class _LatencyTotals:
    count: int = 0
    total_seconds: float = 0.0
    max_seconds: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total_seconds += seconds
        self.max_seconds = max(self.max_seconds, seconds)


@dataclass
class _Stats:
    calls: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    created: int = 0
    updated: int = 0
    latency: dict[str, _LatencyTotals] = field(
        default_factory=lambda: {"read": _LatencyTotals(), "write": _LatencyTotals()}
    )


class ErpModel:
    """State and operations of one ERP account; implements the ``/_mock/`` ``Controllable``."""

    def __init__(self, *, settings: ErpSettings, clock: Clock, seed: int) -> None:
        self.settings = settings
        """Behaviour knobs, fixed for the life of the model."""
        self.clock = clock
        """Source of simulated time for timestamps."""
        self.seed_value = seed
        """Root seed of the latency stream (re-derived on reset, so runs replay exactly)."""
        self.limiter = ConcurrencyLimiter(settings.concurrency_limit)
        """The account's concurrency governance, shared by every /services/rest/ request."""
        self.reset()

    # ----------------------------------------------------------------- control (/_mock/)
    def reset(self) -> None:
        """Forget all records and counters; slots held by in-flight requests stay held."""
        self.locations: dict[str, str] = {}
        self.items: dict[str, InventoryItem] = {}
        self.customers: dict[str, Customer] = {}
        self.sales_orders: dict[str, SalesOrder] = {}
        self._orders_by_id: dict[int, SalesOrder] = {}
        self._next_item_id = c.FIRST_ITEM_ID
        self._next_customer_id = c.FIRST_CUSTOMER_ID
        self._next_order_id = c.FIRST_SALES_ORDER_ID
        self._next_tran_number = c.FIRST_TRAN_NUMBER
        self._latency_rng = derive(self.seed_value, "erp.latency")
        self._stats = _Stats()
        self.limiter.reset_stats()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add locations and items with on-hand stock; validated whole before anything changes."""
        locations, items = parse_seed(payload, known_locations=set(self.locations))
        self.locations.update(locations)
        now_ms = self._now_ms()
        for sku, name, levels in items:
            existing = self.items.get(sku)
            if existing is None:
                existing = InventoryItem(self._next_item_id, sku, name, {}, now_ms)
                self._next_item_id += 1
                self.items[sku] = existing
            for loc_id, units in levels.items():
                existing.levels.setdefault(loc_id, StockLevel()).on_hand = units
            existing.last_modified_ms = now_ms
        return {
            "locations": [{"id": k, "name": v} for k, v in self.locations.items()],
            "items": [{"sku": sku, "id": str(self.items[sku].id)} for sku, _, _ in items],
        }

    def state(self) -> dict[str, Any]:
        """Ground truth for the checkers (money as decimal strings, times as ``*_ts`` floats)."""
        orders = sorted(self.sales_orders.values(), key=lambda so: so.id)
        return {
            "sales_orders": [order_state(so) for so in orders],
            "items": [item_state(item) for item in self.items.values()],
            "customers": [
                {"id": str(cu.id), "externalId": cu.external_id, "created_ts": cu.created_ts}
                for cu in self.customers.values()
            ],
            "stats": self.stats(),
        }

    def stats(self) -> dict[str, Any]:
        """Call counters, concurrency governance and simulated latency totals."""
        s = self._stats
        return {
            "calls": s.calls,
            "rejected_concurrency": self.limiter.rejected,
            "max_in_flight": self.limiter.max_in_flight,
            "in_flight": self.limiter.in_flight,
            "concurrency_limit": self.limiter.limit,
            "by_status": dict(sorted(s.by_status.items())),
            "sales_orders": len(self.sales_orders),
            "upserts": {"created": s.created, "updated": s.updated},
            "customers": len(self.customers),
            "latency": {
                kind: {
                    "count": t.count,
                    "total_seconds": t.total_seconds,
                    "max_seconds": t.max_seconds,
                }
                for kind, t in s.latency.items()
            },
        }

    # ------------------------------------------------------------------ governance
    def draw_latency(self, kind: RequestKind) -> float:
        """Simulated seconds one request takes: lognormal around the median, capped."""
        s = self.settings
        if kind == "write":
            median, sigma, cap = s.write_latency_median, s.write_latency_sigma, s.write_latency_max
        else:
            median, sigma, cap = s.read_latency_median, s.read_latency_sigma, s.read_latency_max
        if median <= 0:
            return 0.0
        return min(self._latency_rng.lognormvariate(math.log(median), sigma), cap)

    def record_call(self, status: int, kind: RequestKind, latency: float | None) -> None:
        """Count one /services/rest/ response (rejected ones too, with ``latency=None``)."""
        self._stats.calls += 1
        key = str(status)
        self._stats.by_status[key] = self._stats.by_status.get(key, 0) + 1
        if latency is not None:
            self._stats.latency[kind].add(latency)

    # ------------------------------------------------------------------ sales orders
    def upsert_sales_order(self, external_id: str, body: Any) -> tuple[SalesOrder, bool]:
        """PUT salesOrder/eid:{externalId}: create and allocate once, or update the header.

        Returns the order and whether it was created. Nothing changes when the body is refused.
        """
        existing = self.sales_orders.get(external_id)
        order_in = parse_sales_order(external_id, body, creating=existing is None)
        if order_in.location_id is not None and order_in.location_id not in self.locations:
            raise UserError(
                f"Invalid Field Value {order_in.location_id} for the following field: location"
            )
        for line in order_in.lines or ():
            if line.sku not in self.items:
                raise UserError(f"Invalid Field Value {line.sku} for the following field: item")
        if existing is None:
            return self._create_order(order_in), True
        self._update_header(existing, order_in)
        self._stats.updated += 1
        return existing, False

    def get_sales_order(self, ref: str) -> SalesOrder:
        """A sales order by ``eid:{externalId}`` or by internal id."""
        if ref.startswith("eid:"):
            order = self.sales_orders.get(ref[4:])
        elif ref.isdigit():
            order = self._orders_by_id.get(int(ref))
        else:
            raise InvalidParameter(
                f"Invalid record reference {ref!r}: use an internal id or eid:{{externalId}}."
            )
        if order is None:
            raise NonexistentId(
                "The record instance does not exist. Provide a valid record instance ID."
            )
        return order

    def sales_order_record(self, order: SalesOrder) -> dict[str, Any]:
        """The record as ``GET salesOrder`` returns it."""
        return sales_order_record(order, self.locations)

    def _customer(self, external_id: str, now: float) -> Customer:
        customer = self.customers.get(external_id)
        if customer is None:
            customer = Customer(id=self._next_customer_id, external_id=external_id, created_ts=now)
            self._next_customer_id += 1
            self.customers[external_id] = customer
        return customer

    def _create_order(self, order_in: SalesOrderInput) -> SalesOrder:
        # parse_sales_order(creating=True) guarantees these; asserted for the type checker.
        assert order_in.lines is not None and order_in.location_id is not None
        assert order_in.customer_external_id is not None
        now, now_ms, location_id = self.clock.now(), self._now_ms(), order_in.location_id
        lines: list[SalesOrderLine] = []
        for number, line in enumerate(order_in.lines, start=1):
            item = self.items[line.sku]
            # An item never stocked at this location has nothing available: all backordered.
            level = item.levels.setdefault(location_id, StockLevel())
            committed = min(line.quantity, level.available)
            level.committed += committed
            level.backordered += line.quantity - committed
            item.last_modified_ms = now_ms
            lines.append(
                SalesOrderLine(
                    line=number,
                    sku=line.sku,
                    item_id=item.id,
                    quantity=line.quantity,
                    committed=committed,
                    backordered=line.quantity - committed,
                    rate=line.rate,
                    amount=line.amount,
                    discount_amount=line.discount_amount,
                    tax_amount=line.tax_amount,
                )
            )
        order = SalesOrder(
            id=self._next_order_id,
            external_id=order_in.external_id,
            tran_id=f"SO{self._next_tran_number}",
            customer=self._customer(order_in.customer_external_id, now),
            location_id=location_id,
            lines=tuple(lines),
            channel=order_in.channel,
            channel_order_id=order_in.channel_order_id,
            other_ref_num=order_in.other_ref_num,
            tran_date=order_in.tran_date or datetime.fromtimestamp(now, tz=UTC).date().isoformat(),
            currency=order_in.currency or self.settings.default_currency,
            discount_total=order_in.discount_total or Decimal(0),
            tax_total=order_in.tax_total or Decimal(0),
            shipping_cost=order_in.shipping_cost or Decimal(0),
            created_ts=now,
            last_modified_ts=now,
        )
        self._next_order_id += 1
        self._next_tran_number += 1
        self.sales_orders[order.external_id] = order
        self._orders_by_id[order.id] = order
        self._stats.created += 1
        return order

    def _update_header(self, order: SalesOrder, order_in: SalesOrderInput) -> None:
        # Lines and location are deliberately left alone: re-allocating on a retried PUT is
        # exactly the double-commit the harness exists to catch.
        if order_in.customer_external_id is not None:
            order.customer = self._customer(order_in.customer_external_id, self.clock.now())
        for attr in (
            "channel",
            "channel_order_id",
            "other_ref_num",
            "tran_date",
            "currency",
            "discount_total",
            "tax_total",
            "shipping_cost",
        ):
            value = getattr(order_in, attr)
            if value is not None:
                setattr(order, attr, value)
        order.last_modified_ts = self.clock.now()

    # ------------------------------------------------------------------ inventory
    def query_inventory(self, query: InventoryQuery) -> InventoryPage:
        """Items matching the lastModifiedDate filter, oldest change first, one page."""
        since = query.since_ms
        matching = [
            item
            for item in self.items.values()
            if since is None
            or (
                item.last_modified_ms >= since if query.inclusive else item.last_modified_ms > since
            )
        ]
        matching.sort(key=lambda item: (item.last_modified_ms, item.id))
        page = matching[query.offset : query.offset + query.limit]
        return InventoryPage(
            items=[inventory_record(item, self.locations) for item in page],
            total=len(matching),
            offset=query.offset,
            limit=query.limit,
        )

    def stock_movement(self, body: Any) -> dict[str, Any]:
        """Stock received or sold elsewhere; other channels may not take more than available."""
        move = parse_stock_movement(body)
        item = self.items.get(move.sku)
        if item is None:
            raise UnknownSku(f"unknown sku {move.sku!r}", sku=move.sku)
        if move.location_id not in self.locations:
            raise UnknownLocation(
                f"unknown location {move.location_id!r}", location_id=move.location_id
            )
        level = item.levels.setdefault(move.location_id, StockLevel())
        if move.delta < 0 and -move.delta > level.available:
            raise InsufficientStock(
                f"cannot remove {-move.delta} units of {move.sku} at location "
                f"{move.location_id}: only {level.available} available",
                sku=move.sku,
                location_id=move.location_id,
                requested=-move.delta,
                available=level.available,
            )
        if move.delta:
            level.on_hand += move.delta
            item.last_modified_ms = self._now_ms()
        return {
            "sku": item.sku,
            "location_id": move.location_id,
            "reason": move.reason,
            "delta": move.delta,
            "on_hand": level.on_hand,
            "committed": level.committed,
            "available": level.available,
            "backordered": level.backordered,
            "lastModifiedDate": iso_ms(item.last_modified_ms),
        }

    def _now_ms(self) -> int:
        return math.floor(self.clock.now() * 1000)
