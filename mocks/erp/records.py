"""Records of the ERP mock and their two serialisations: NetSuite's wire shape and ``/_mock/``.

Plain dataclasses, no HTTP. Money stays ``Decimal`` and leaves as a two-decimal string;
timestamps leave as NetSuite's millisecond ISO form on platform routes and as ``*_ts`` floats
on control routes. Customers, fulfilments, credit memos and journal entries serialise in their
own modules.

Per sales-order line the quantities obey (and the level of the line's item and location sums
them): ``committed`` = allocated and not yet shipped or released, ``backordered`` = ordered
but never allocated (how the harness measures oversell), ``fulfilled`` = on an item
fulfilment, ``shipped`` = on a shipped one (stock has left), so
``fulfilled - shipped <= committed`` always.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TypeVar

from mocks.common.money import fmt
from mocks.erp import constants as c
from mocks.erp.errors import InvalidParameter, NonexistentId

NOT_FOUND = "The record instance does not exist. Provide a valid record instance ID."
T = TypeVar("T")


def find_record(ref: str, by_id: Mapping[int, T], by_external_id: Mapping[str, T]) -> T:
    """The record a URL names: an internal id or ``eid:{externalId}`` (404/400 otherwise)."""
    if ref.startswith("eid:"):
        found = by_external_id.get(ref[4:])
    elif ref.isdecimal():
        found = by_id.get(int(ref))
    else:
        raise InvalidParameter(
            f"Invalid record reference {ref!r}: use an internal id or eid:{{externalId}}."
        )
    if found is None:
        raise NonexistentId(NOT_FOUND)
    return found


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as NetSuite's ISO form, ``2026-11-27T00:00:01.123Z`` (exact, no float)."""
    stamp = datetime.fromtimestamp(ms // 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{stamp}.{ms % 1000:03d}Z"


class NumberSeries:
    """Internal ids shared by every transaction type, and a ``tranId`` series per prefix."""

    def __init__(self) -> None:
        self._next_id = c.FIRST_TRANSACTION_ID
        self._next_number: dict[str, int] = {}

    def next(self, prefix: str) -> tuple[int, str]:
        """``(internal id, tranId)`` for a new transaction, e.g. ``(2001, "SO1001")``."""
        number = self._next_number.get(prefix, c.FIRST_TRAN_NUMBER)
        self._next_number[prefix] = number + 1
        tx_id = self._next_id
        self._next_id += 1
        return tx_id, f"{prefix}{number}"


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
    stocked: bool = True
    """False for a non-inventory sale item (a discount or service line): it can be sold on an
    order but holds no stock and is not an ``inventoryItem`` record."""


@dataclass(kw_only=True)
class Customer:
    """A customer. Nothing stops two customers sharing an e-mail or phone (NetSuite does not)."""

    id: int
    external_id: str | None
    created_ts: float
    entity_id: str = ""
    email: str | None = None
    phone: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    company_name: str | None = None
    is_person: bool = True
    last_modified_ts: float = 0.0


@dataclass(kw_only=True)
class SalesOrderLine:
    """A sales-order line with its allocation and how much of it was fulfilled or credited."""

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
    fulfilled: int = 0
    shipped: int = 0
    credited: int = 0
    """Units on credit memos."""
    restocked: int = 0
    """Units put back on hand by credit memos."""

    @property
    def fulfillable(self) -> int:
        """Committed units not yet on any item fulfilment."""
        return self.committed - (self.fulfilled - self.shipped)


@dataclass(kw_only=True)
class SalesOrder:
    """A sales order; lines change only by an edit before fulfilment, never by a re-upsert."""

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
    held_status: str | None = None
    """"A" (pending approval), "C" (cancelled) or "H" (closed); otherwise derived from lines."""
    memo: str | None = None
    ship_address: dict[str, str] | None = None
    channel_created: str | None = None
    """``custbody_rh_channel_created``*: when the channel created the order (ISO text, as the
    integration wrote it), so reconciliation can segment both sides by the same time."""
    fulfillment_ids: list[int] = field(default_factory=list)
    credit_memo_ids: list[int] = field(default_factory=list)
    credited_total: Decimal = Decimal(0)
    """Sum of the totals of the credit memos created from this order."""

    @property
    def status(self) -> str:
        """NetSuite's status letter: B until a fulfilment, D while partly, F when all fulfilled."""
        if self.held_status is not None:
            return self.held_status
        if not any(line.fulfilled for line in self.lines):
            return "B"
        if all(line.fulfilled >= line.quantity for line in self.lines):
            return "F"
        return "D"

    @property
    def refundable(self) -> Decimal:
        """What credit memos may still give back: the total less what was credited."""
        return self.total - self.credited_total

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
        "status": {"id": order.status, "refName": c.SALES_ORDER_STATUSES[order.status]},
        "orderStatus": {"id": order.status, "refName": c.SALES_ORDER_STATUSES[order.status]},
        "otherRefNum": order.other_ref_num,
        "memo": order.memo,
        "shippingAddress": dict(order.ship_address) if order.ship_address else None,
        "custbody_rh_channel": order.channel,
        "custbody_rh_channel_order_id": order.channel_order_id,
        "custbody_rh_channel_created": order.channel_created,
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
                    "quantityFulfilled": ln.fulfilled,
                    "isClosed": order.status in ("C", "H"),
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
        "channel_created": order.channel_created,
        "customer_external_id": order.customer.external_id,
        "customer_id": str(order.customer.id),
        "status": order.status,
        "status_name": c.SALES_ORDER_STATUSES[order.status],
        "location_id": order.location_id,
        "created_ts": order.created_ts,
        "last_modified_ts": order.last_modified_ts,
        "currency": order.currency,
        "subtotal": fmt(order.subtotal),
        "discount_total": fmt(order.discount_total),
        "tax_total": fmt(order.tax_total),
        "shipping_cost": fmt(order.shipping_cost),
        "total": fmt(order.total),
        "credited_total": fmt(order.credited_total),
        "ship_address": dict(order.ship_address) if order.ship_address else None,
        "fulfillments": [str(i) for i in order.fulfillment_ids],
        "credit_memos": [str(i) for i in order.credit_memo_ids],
        "lines": [
            {
                "line": ln.line,
                "sku": ln.sku,
                "quantity": ln.quantity,
                "committed": ln.committed,
                "backordered": ln.backordered,
                "fulfilled": ln.fulfilled,
                "shipped": ln.shipped,
                "credited": ln.credited,
                "restocked": ln.restocked,
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
