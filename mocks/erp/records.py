"""Records of the ERP mock and their two serialisations: NetSuite's wire shape and ``/_mock/``.

Plain dataclasses, no HTTP. Money stays ``Decimal`` and leaves as a two-decimal string;
timestamps leave as NetSuite's millisecond ISO form on platform routes and as ``*_ts`` floats
on control routes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mocks.common.money import fmt
from mocks.erp import constants as c


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as NetSuite's ISO form, ``2026-11-27T00:00:01.123Z`` (exact, no float)."""
    stamp = datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}Z"


@dataclass
class StockLevel:
    """One item's quantities at one location."""

    on_hand: int = 0
    committed: int = 0
    backordered: int = 0

    @property
    def available(self) -> int:
        """On hand and not committed to any sales order."""
        return max(0, self.on_hand - self.committed)


@dataclass
class InventoryItem:
    """An inventory item; its externalId and itemId are the SKU."""

    id: int
    sku: str
    name: str
    levels: dict[str, StockLevel]
    last_modified_ms: int


@dataclass(frozen=True, kw_only=True)
class Customer:
    """A customer, created on first reference by its externalId (the shopper's email)."""

    id: int
    external_id: str
    created_ts: float


@dataclass(frozen=True, kw_only=True)
class SalesOrderLine:
    """A sales-order line with the allocation made when the order was created."""

    line: int
    sku: str
    item_id: int
    quantity: int
    committed: int
    backordered: int
    rate: Decimal
    amount: Decimal
    discount_amount: Decimal
    tax_amount: Decimal


@dataclass(kw_only=True)
class SalesOrder:
    """A sales order; lines are fixed at creation, header fields follow the latest upsert."""

    id: int
    external_id: str
    tran_id: str
    customer: Customer
    location_id: str
    lines: tuple[SalesOrderLine, ...]
    channel: str | None
    channel_order_id: str | None
    other_ref_num: str | None
    tran_date: str
    currency: str
    discount_total: Decimal
    tax_total: Decimal
    shipping_cost: Decimal
    created_ts: float
    last_modified_ts: float

    @property
    def subtotal(self) -> Decimal:
        """Sum of line amounts (before the order-level discount, tax and shipping)."""
        return sum((line.amount for line in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """``subtotal - discountTotal + taxTotal + shippingCost``, exactly."""
        return self.subtotal - self.discount_total + self.tax_total + self.shipping_cost


def sales_order_record(order: SalesOrder, locations: dict[str, str]) -> dict[str, Any]:
    """The record as ``GET salesOrder`` returns it (NetSuite field names, money as strings)."""
    return {
        "id": str(order.id),
        "externalId": order.external_id,
        "tranId": order.tran_id,
        "createdDate": iso_ms(math.floor(order.created_ts * 1000)),
        "lastModifiedDate": iso_ms(math.floor(order.last_modified_ts * 1000)),
        "tranDate": order.tran_date,
        "status": dict(c.SALES_ORDER_STATUS),
        "otherRefNum": order.other_ref_num,
        "custbody_rh_channel": order.channel,
        "custbody_rh_channel_order_id": order.channel_order_id,
        "currency": {"refName": order.currency},
        "entity": {"id": str(order.customer.id), "externalId": order.customer.external_id},
        "location": {
            "id": order.location_id,
            "refName": locations.get(order.location_id, order.location_id),
        },
        "subtotal": fmt(order.subtotal),
        "discountTotal": fmt(order.discount_total),
        "taxTotal": fmt(order.tax_total),
        "shippingCost": fmt(order.shipping_cost),
        "total": fmt(order.total),
        "item": {
            "items": [
                {
                    "line": ln.line,
                    "item": {"id": str(ln.item_id), "externalId": ln.sku, "refName": ln.sku},
                    "quantity": ln.quantity,
                    "quantityCommitted": ln.committed,
                    "quantityBackOrdered": ln.backordered,
                    "rate": fmt(ln.rate),
                    "amount": fmt(ln.amount),
                    "discountAmount": fmt(ln.discount_amount),
                    "taxAmount": fmt(ln.tax_amount),
                }
                for ln in order.lines
            ],
            "totalResults": len(order.lines),
        },
    }


def order_state(order: SalesOrder) -> dict[str, Any]:
    """A sales order as ``/_mock/state`` reports it (snake_case, ``*_ts`` floats)."""
    return {
        "id": str(order.id),
        "externalId": order.external_id,
        "tranId": order.tran_id,
        "channel": order.channel,
        "channel_order_id": order.channel_order_id,
        "customer_external_id": order.customer.external_id,
        "location_id": order.location_id,
        "created_ts": order.created_ts,
        "last_modified_ts": order.last_modified_ts,
        "currency": order.currency,
        "subtotal": fmt(order.subtotal),
        "discount_total": fmt(order.discount_total),
        "tax_total": fmt(order.tax_total),
        "shipping_cost": fmt(order.shipping_cost),
        "total": fmt(order.total),
        "lines": [
            {
                "sku": ln.sku,
                "quantity": ln.quantity,
                "committed": ln.committed,
                "backordered": ln.backordered,
                "rate": fmt(ln.rate),
                "amount": fmt(ln.amount),
                "discount_amount": fmt(ln.discount_amount),
                "tax_amount": fmt(ln.tax_amount),
            }
            for ln in order.lines
        ],
    }


def inventory_record(item: InventoryItem, locations: dict[str, str]) -> dict[str, Any]:
    """An inventory item with its per-location quantities, NetSuite field names."""
    return {
        "id": str(item.id),
        "externalId": item.sku,
        "itemId": item.sku,
        "displayName": item.name,
        "lastModifiedDate": iso_ms(item.last_modified_ms),
        "locations": {
            "items": [
                {
                    "location": {"id": loc_id, "refName": locations.get(loc_id, loc_id)},
                    "quantityOnHand": level.on_hand,
                    "quantityCommitted": level.committed,
                    "quantityAvailable": level.available,
                    "quantityBackOrdered": level.backordered,
                }
                for loc_id, level in item.levels.items()
            ]
        },
    }


def item_state(item: InventoryItem) -> dict[str, Any]:
    """An item's per-location quantities as ``/_mock/state`` reports them."""
    return {
        "sku": item.sku,
        "id": str(item.id),
        "last_modified_ts": item.last_modified_ms / 1000,
        "locations": [
            {
                "location_id": loc_id,
                "on_hand": level.on_hand,
                "committed": level.committed,
                "available": level.available,
                "backordered": level.backordered,
            }
            for loc_id, level in item.levels.items()
        ],
    }
