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


@dataclass(kw_only=True)
class Order:
    """An order: its REST resource plus the float timestamps behind it."""

    id: int
    created_ts: float
    updated_ts: float
    resource: dict[str, Any]
    cancelled_ts: float | None = None
    closed_ts: float | None = None

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
            and (f.created_at_min is None or created >= f.created_at_min)
            and (f.created_at_max is None or created <= f.created_at_max)
            and (f.updated_at_min is None or updated >= f.updated_at_min)
            and (f.updated_at_max is None or updated <= f.updated_at_max)
        )


@dataclass(kw_only=True)
class WebhookSubscription:
    """A ``webhooks.json`` subscription; deliveries use the API version it was created with."""

    id: int
    topic: str
    address: str
    api_version: str
    created_ts: float
    format: str = "json"

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
