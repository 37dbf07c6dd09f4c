"""Every platform's ``/_mock/state`` read into one shape, so the invariants are defined once.

Channels (Shopify, SHOPLINE, Shopware) become a :class:`ChannelView`: the orders they accepted
with the amounts they charged, and the stock they show per (SKU, location). Back offices (the
NetSuite-style ERP, Fulfil) become a :class:`BackOfficeView`: the orders they hold by external
id (``{channel}-{order id}``, the engine's idempotency key), their available-to-sell per (SKU,
location) and the units they could not allocate. Amounts are compared only where both sides
carry the figure with the same meaning (:data:`AMOUNTS`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

AMOUNTS = ("total", "tax", "discount", "shipping")
"""Canonical amount names. Shopify and SHOPLINE carry all four, net of tax; Shopware's line
and shipping amounts include tax, so only its ``total`` and ``tax`` compare with a back
office's; Fulfil books discount and shipping as lines and reports ``total`` and ``tax``."""

ADDRESS_KEYS = {"address1": "addr1", "city": "city", "zip": "zip", "country_code": "country"}
"""Shopify address field → the back office's (NetSuite ``shippingAddress``): the fields a
staff address edit changes and the engine must carry."""

ERP_CANCELLED = "C"
"""The ERP sales order status Cancelled."""

SHOPWARE_LOCATION = "default"
"""Shopware has one stock per product: the location every back-office location maps to."""


@dataclass(frozen=True, kw_only=True)
class ChannelOrderView:
    """One order a channel accepted."""

    order_id: str
    created_ts: float
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    units: Mapping[str, int] = field(default_factory=dict)
    """Units ordered per SKU (stocked lines only)."""
    cancelled: bool = False
    refunded: Decimal | None = None
    """Money paid back (successful refund transactions); None: the reader does not know."""
    refund_ids: tuple[str, ...] = ()
    address: Mapping[str, str] | None = None
    """Shipping address in back-office terms (:data:`ADDRESS_KEYS`); None: not compared."""


@dataclass(frozen=True, kw_only=True)
class ChannelView:
    """What one channel accepted and what stock it shows."""

    name: str
    platform: str
    orders: tuple[ChannelOrderView, ...]
    levels: Mapping[tuple[str, str], int]
    """Available per (SKU, channel location id); repeated SKUs summed."""


@dataclass(frozen=True, kw_only=True)
class BackOfficeOrderView:
    """One sales order in the back office."""

    external_id: str
    created_ts: float
    amounts: Mapping[str, Decimal] = field(default_factory=dict)
    cancelled: bool | None = None
    """None: the reader does not know (cancellations are not compared)."""
    credited: Decimal | None = None
    """Credit memos' total against the order; None: not compared."""
    address: Mapping[str, str] | None = None


@dataclass(frozen=True, kw_only=True)
class BackOfficeView:
    """What the back office holds."""

    platform: str
    orders: tuple[BackOfficeOrderView, ...]
    ats: Mapping[tuple[str, str], int]
    """Available to sell per (SKU, back-office location id)."""
    oversold: Mapping[str, int]
    """Per SKU, units of accepted orders the back office could not allocate."""


def _money(value: Any) -> Decimal:
    return Decimal(str(value))


def _levels(rows: list[dict[str, Any]], location: Any = None) -> dict[tuple[str, str], int]:
    levels: Counter[tuple[str, str]] = Counter()
    for row in rows:
        where = location if location is not None else row["location_id"]
        levels[(str(row["sku"]), str(where))] += int(row["available"])
    return dict(levels)


def _units(pairs: list[tuple[Any, Any]]) -> dict[str, int]:
    units: Counter[str] = Counter()
    for sku, quantity in pairs:
        if sku:
            units[str(sku)] += int(quantity)
    return dict(units)


def _refunded(order: dict[str, Any]) -> Decimal:
    return sum(
        (
            _money(t["amount"])
            for refund in order.get("refunds") or []
            for t in refund.get("transactions") or []
            if t.get("kind") == "refund" and t.get("status", "success") == "success"
        ),
        Decimal(0),
    )


def _channel_address(raw: Any) -> dict[str, str] | None:
    if not isinstance(raw, dict):
        return None
    return {bo: str(raw[key]) for key, bo in ADDRESS_KEYS.items() if raw.get(key)}


def shopify_like_channel(name: str, platform: str, state: dict[str, Any]) -> ChannelView:
    """Shopify's and SHOPLINE's state (SHOPLINE mirrors Shopify's shape, ids as strings).
    Refunds and addresses are read from Shopify only (the staff actions' platform)."""
    shopify = platform == "shopify"
    orders = tuple(
        ChannelOrderView(
            order_id=str(o["id"]),
            created_ts=float(o["created_at_ts"]),
            amounts={
                "total": _money(o["total_price"]),
                "tax": _money(o["total_tax"]),
                "discount": _money(o["total_discounts"]),
                "shipping": sum(
                    (_money(s["price"]) for s in o.get("shipping_lines", [])), Decimal(0)
                ),
            },
            units=_units([(li.get("sku"), li["quantity"]) for li in o.get("line_items", [])]),
            cancelled=o.get("cancelled_at") is not None,
            refunded=_refunded(o) if shopify else None,
            refund_ids=tuple(str(r["id"]) for r in o.get("refunds") or []),
            address=_channel_address(o.get("shipping_address")) if shopify else None,
        )
        for o in state["orders"]
    )
    return ChannelView(
        name=name, platform=platform, orders=orders, levels=_levels(state["inventory_levels"])
    )


def shopware_channel(name: str, platform: str, state: dict[str, Any]) -> ChannelView:
    """Shopware's state: UUID order ids, gross ``totals``, one stock per product."""
    orders = tuple(
        ChannelOrderView(
            order_id=str(o["id"]),
            created_ts=float(o["created_at_ts"]),
            amounts={"total": _money(o["totals"]["total"]), "tax": _money(o["totals"]["tax"])},
            units=_units(
                [
                    ((li.get("payload") or {}).get("productNumber"), li["quantity"])
                    for li in o.get("lineItems") or []
                    if li.get("type") == "product"
                ]
            ),
        )
        for o in state["orders"]
    )
    levels = _levels(state["inventory_levels"], location=SHOPWARE_LOCATION)
    return ChannelView(name=name, platform=platform, orders=orders, levels=levels)


CHANNEL_READERS = {
    "shopify": shopify_like_channel,
    "shopline": shopify_like_channel,
    "shopware": shopware_channel,
}


def read_channel(name: str, platform: str, state: dict[str, Any]) -> ChannelView:
    """A channel mock's ``/_mock/state`` as a :class:`ChannelView`."""
    try:
        reader = CHANNEL_READERS[platform]
    except KeyError:
        raise ValueError(f"no state reader for channel platform {platform!r}") from None
    return reader(name, platform, state)


def erp_back_office(state: dict[str, Any]) -> BackOfficeView:
    """The ERP's state: sales orders by ``externalId``; oversold = backordered units."""
    orders = []
    oversold: Counter[str] = Counter()
    for so in state["sales_orders"]:
        external_id = so.get("externalId") or (
            f"{so.get('channel') or 'shopify'}-{so['channel_order_id']}"
        )
        orders.append(
            BackOfficeOrderView(
                external_id=str(external_id),
                created_ts=float(so["created_ts"]),
                amounts={
                    "total": _money(so["total"]),
                    "tax": _money(so["tax_total"]),
                    "discount": _money(so["discount_total"]),
                    "shipping": _money(so["shipping_cost"]),
                },
                cancelled=so.get("status") == ERP_CANCELLED,
                credited=_money(so.get("credited_total") or "0"),
                address=dict(so.get("ship_address") or {}),
            )
        )
        for line in so["lines"]:
            if int(line.get("backordered", 0)):
                oversold[str(line["sku"])] += int(line["backordered"])
    ats: Counter[tuple[str, str]] = Counter()
    for item in state["items"]:
        for loc in item["locations"]:
            ats[(str(item["sku"]), str(loc["location_id"]))] += int(loc["available"])
    return BackOfficeView(platform="erp", orders=tuple(orders), ats=dict(ats), oversold=oversold)


def fulfil_back_office(state: dict[str, Any]) -> BackOfficeView:
    """Fulfil's state: sales by ``channel_identifier``; available = on hand − reserved, and
    what confirmed sales reserved beyond the stock on hand (negative availability: shipments
    left waiting for stock) is oversold."""
    orders = tuple(
        BackOfficeOrderView(
            external_id=str(sale["channel_identifier"]),
            created_ts=float(sale["create_ts"]),
            amounts={"total": _money(sale["total_amount"]), "tax": _money(sale["tax_amount"])},
        )
        for sale in state["sales"]
        if sale.get("channel_identifier")
    )
    ats: dict[tuple[str, str], int] = {}
    oversold: Counter[str] = Counter()
    for product in state["products"]:
        for loc in product["locations"]:
            available = int(loc["available"])
            ats[(str(product["code"]), str(loc["location_id"]))] = available
            if available < 0:
                oversold[str(product["code"])] += -available
    return BackOfficeView(platform="fulfil", orders=orders, ats=ats, oversold=oversold)


BACK_OFFICE_READERS = {"erp": erp_back_office, "fulfil": fulfil_back_office}


def read_back_office(platform: str, state: dict[str, Any]) -> BackOfficeView:
    """A back-office mock's ``/_mock/state`` as a :class:`BackOfficeView`."""
    try:
        reader = BACK_OFFICE_READERS[platform]
    except KeyError:
        raise ValueError(f"no state reader for back office {platform!r}") from None
    return reader(state)
