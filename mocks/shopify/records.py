"""Records of the Shopify mock's state: plain dataclasses, no behaviour beyond their REST shape."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from mocks.shopify.orders import shopify_time
from mocks.shopify.schemas import OrderFilters


@dataclass(kw_only=True)
class Location:
    """A place stock is held; the first one created is the primary (checkouts draw from it)."""

    id: int
    name: str
    active: bool = True


@dataclass(kw_only=True)
class Variant:
    """A sellable SKU; 1:1 with its inventory item."""

    id: int
    product_id: int
    sku: str
    title: str
    product_title: str
    price: Decimal
    inventory_item_id: int


@dataclass(kw_only=True)
class Product:
    """A product with its variants."""

    id: int
    title: str
    variants: list[Variant]


@dataclass(kw_only=True)
class InventoryLevel:
    """``available`` of one inventory item at one location."""

    inventory_item_id: int
    location_id: int
    available: int
    updated_ts: float


@dataclass(frozen=True, kw_only=True)
class StockUnit:
    """Where one unit of an order line took stock from: ``per_unit`` of an item at a location
    (a bundle line takes several components per unit)."""

    inventory_item_id: int
    location_id: int
    per_unit: int


@dataclass(kw_only=True)
class Order:
    """An order: its REST resource (canonical, every field of every version) plus the float
    timestamps and the bookkeeping behind it."""

    id: int
    created_ts: float
    updated_ts: float
    resource: dict[str, Any]
    cancelled_ts: float | None = None
    closed_ts: float | None = None
    line_stock: dict[int, tuple[StockUnit, ...]] = field(default_factory=dict)
    """Order line id -> the stock it took (restocks put it back there)."""
    discount_percent: Decimal | None = None
    shipping_price: Decimal = Decimal("0.00")

    def line(self, line_item_id: int) -> dict[str, Any] | None:
        """The resource's line item with this id."""
        return next((li for li in self.resource["line_items"] if li["id"] == line_item_id), None)

    def matches(self, f: OrderFilters) -> bool:
        """Whether the order passes a query's filters (timestamps compared at whole seconds,
        the precision the resource shows, so a bound copied from ``created_at`` includes it)."""
        status_ok = {
            "any": True,
            "open": self.cancelled_ts is None and self.closed_ts is None,
            "closed": self.closed_ts is not None,
            "cancelled": self.cancelled_ts is not None,
        }[f.status]
        created, updated = int(self.created_ts), int(self.updated_ts)
        return (
            status_ok
            and (f.since_id is None or self.id > f.since_id)
            and (f.ids is None or self.id in f.ids)
            and _within(created, f.created_at_min, f.created_at_max)
            and _within(updated, f.updated_at_min, f.updated_at_max)
            # Orders are processed when they are created in this mock.
            and _within(created, f.processed_at_min, f.processed_at_max)
            and self._financial_ok(f.financial_status)
            and self._fulfillment_ok(f.fulfillment_status)
        )

    def _financial_ok(self, wanted: str) -> bool:
        actual = self.resource.get("financial_status")
        if wanted == "unpaid":  # Shopify's alias for "not yet paid"
            return actual in {"authorized", "pending", "partially_paid"}
        return wanted == "any" or actual == wanted

    def _fulfillment_ok(self, wanted: str) -> bool:
        actual = self.resource.get("fulfillment_status")
        return {
            "any": True,
            "shipped": actual == "fulfilled",
            "partial": actual == "partial",
            "unshipped": actual is None,
            "unfulfilled": actual in {None, "partial"},
        }[wanted]


def _within(value: int, low: float | None, high: float | None) -> bool:
    return (low is None or value >= low) and (high is None or value <= high)


@dataclass(kw_only=True)
class WebhookSubscription:
    """A ``webhooks.json`` subscription; deliveries use the API version it was created with."""

    id: int
    topic: str
    address: str
    api_version: str
    created_ts: float
    format: str = "json"
    consecutive_failed_deliveries: int = 0
    """Deliveries abandoned in a row (Shopify deletes the subscription at 8)."""

    def resource(self) -> dict[str, Any]:
        """REST shape."""
        stamp = shopify_time(self.created_ts)
        return {
            "id": self.id,
            "address": self.address,
            "topic": self.topic,
            "created_at": stamp,
            "updated_at": stamp,
            "format": self.format,
            "fields": [],
            "metafield_namespaces": [],
            "api_version": self.api_version,
            "private_metafield_namespaces": [],
        }


@dataclass(kw_only=True)
class CallStats:
    """Counters behind ``/_mock/stats``."""

    calls: int = 0
    throttled: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    checkouts_accepted: int = 0
    checkouts_rejected: int = 0
