"""Records of the SHOPLINE mock's state: plain dataclasses (ids are ints inside, strings on the
wire)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mocks.shopline.schemas import OrderFilters, TrackingInfo


@dataclass(kw_only=True)
class Location:
    """A place stock is held; the first one is the primary (default checkout location)."""

    id: int
    name: str
    active: bool = True


@dataclass(kw_only=True)
class Variant:
    """A sellable variant; 1:1 with its inventory item. SKUs need not be unique."""

    id: int
    product_id: int
    sku: str
    title: str
    product_title: str
    price: Decimal
    inventory_item_id: int
    created_ts: float
    updated_ts: float


@dataclass(kw_only=True)
class Product:
    """A product with its variants."""

    id: int
    title: str
    variants: list[Variant]
    created_ts: float
    updated_ts: float


@dataclass(kw_only=True)
class InventoryLevel:
    """``available`` of one inventory item at one location."""

    inventory_item_id: int
    location_id: int
    available: int
    updated_ts: float


@dataclass(kw_only=True)
class Customer:
    """A customer, identified by e-mail and/or mobile number (either may be missing)."""

    id: int
    email: str | None
    phone: str | None
    created_ts: float
    updated_ts: float
    orders_count: int = 0
    total_spent: Decimal = Decimal("0.00")


@dataclass(kw_only=True)
class Order:
    """An order: its resource (``updated_at`` spelling, rewritten per version on the way out)
    plus the float timestamps and the fields its filters read."""

    id: int
    created_ts: float
    updated_ts: float
    resource: dict[str, Any]
    status: str = "open"
    financial_status: str = "paid"
    fulfillment_status: str = "unshipped"
    order_source: str = "web"

    def matches(self, f: OrderFilters) -> bool:
        """Whether the order passes a list/count query (timestamps compared at whole seconds,
        the precision the resource shows, so a bound copied from ``created_at`` includes it)."""
        created, updated = int(self.created_ts), int(self.updated_ts)
        return (
            f.status in ("any", self.status)
            and f.financial_status in ("any", self.financial_status)
            and f.fulfillment_status in ("any", self.fulfillment_status)
            and f.order_source in ("any", self.order_source)
            and (f.since_id is None or self.id > f.since_id)
            and (f.created_at_min is None or created >= f.created_at_min)
            and (f.created_at_max is None or created <= f.created_at_max)
            and (f.updated_at_min is None or updated >= f.updated_at_min)
            and (f.updated_at_max is None or updated <= f.updated_at_max)
        )


@dataclass(kw_only=True)
class Fulfillment:
    """Units of an order's lines sent out under one set of tracking numbers."""

    id: int
    order_id: int
    lines: dict[int, int]
    """Line item id -> units shipped in this fulfilment."""
    tracking: tuple[TrackingInfo, ...]
    notify_customer: bool
    created_ts: float
    updated_ts: float
    status: str = "success"


@dataclass(kw_only=True)
class WebhookSubscription:
    """A webhook subscription; deliveries use the API version it was created with."""

    id: int
    topic: str
    address: str
    api_version: str
    created_ts: float


@dataclass(kw_only=True)
class CallStats:
    """Counters behind ``/_mock/stats``."""

    calls: int = 0
    throttled: int = 0
    locked: int = 0
    unauthorized: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    checkouts_accepted: int = 0
    checkouts_rejected: int = 0
