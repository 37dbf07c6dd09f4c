"""SHOPLINE wire shapes (pure functions): timestamps, string ids and the version rename.

Resources are built once with the ``updated_at`` spelling; :func:`versioned` rewrites every
``updated_at`` key to ``update_at`` for versions before the cut-off, on the way out (API
responses and webhook bodies alike), so stored state never depends on who reads it.

Order resource (subset; money as decimal strings, ids as strings)::

    {"id": "2100000000000000001", "name": "#1001", "order_number": 1001,
     "email": "a@example.com", "phone": "+6581234567",
     "customer": {"id": "4200000000000000001", "email": ..., "phone": ...},
     "status": "open", "financial_status": "paid", "fulfillment_status": "unshipped",
     "order_source": "web", "location_id": "6100000000000000001", "currency": "USD",
     "created_at": "2026-11-27T00:00:01+00:00", "updated_at": "...", "cancelled_at": null,
     "total_line_items_price": "40.00", "total_discounts": "4.00", "subtotal_price": "36.00",
     "total_tax": "2.88", "total_shipping_price": "5.00", "total_price": "43.88",
     "discount_codes": [{"code", "amount", "type": "percentage"}],
     "line_items": [{"id", "product_id", "variant_id", "sku", "title", "quantity", "price",
                     "total_discount", "discount_allocations": [{"amount"}],
                     "tax_lines": [{"title", "rate", "price"}]}],
     "shipping_lines": [{"title", "code", "price"}], "tax_lines": [{"title", "rate", "price"}]}

Money identities are those of the Shopify mock's pricing (reused, not copied).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from mocks.common.money import fmt
from mocks.shopify.pricing import PricedOrder
from mocks.shopline.records import (
    Customer,
    Fulfillment,
    InventoryLevel,
    Location,
    Product,
    Variant,
    WebhookSubscription,
)
from mocks.shopline.schemas import CheckoutRequest


def shopline_time(ts: float) -> str:
    """ISO-8601 at whole seconds with an explicit offset: ``2026-11-27T00:00:01+00:00``."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def versioned(value: Any, *, old_spelling: bool) -> Any:
    """Deep copy of ``value`` with ``updated_at`` keys renamed ``update_at`` when asked."""
    if not old_spelling:
        return value
    if isinstance(value, dict):
        return {
            ("update_at" if k == "updated_at" else k): versioned(v, old_spelling=True)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [versioned(v, old_spelling=True) for v in value]
    return value


def location_resource(loc: Location) -> dict[str, Any]:
    """``locations.json`` entry."""
    return {"id": str(loc.id), "name": loc.name, "active": loc.active}


def variant_resource(v: Variant, quantity: int) -> dict[str, Any]:
    """A product's variant with its total ``inventory_quantity`` over all locations."""
    return {
        "id": str(v.id),
        "product_id": str(v.product_id),
        "title": v.title,
        "sku": v.sku,
        "price": fmt(v.price),
        "inventory_item_id": str(v.inventory_item_id),
        "inventory_quantity": quantity,
        "created_at": shopline_time(v.created_ts),
        "updated_at": shopline_time(v.updated_ts),
    }


def product_resource(p: Product, quantities: dict[int, int]) -> dict[str, Any]:
    """``products.json`` entry; ``quantities`` maps inventory item id to total available."""
    return {
        "id": str(p.id),
        "title": p.title,
        "status": "active",
        "created_at": shopline_time(p.created_ts),
        "updated_at": shopline_time(p.updated_ts),
        "variants": [
            variant_resource(v, quantities.get(v.inventory_item_id, 0)) for v in p.variants
        ],
    }


def level_resource(lv: InventoryLevel, variant: Variant) -> dict[str, Any]:
    """``inventory_level`` as set/adjust/list answer it (PLATFORMS 2.5)."""
    return {
        "inventory_item_id": str(lv.inventory_item_id),
        "location_id": str(lv.location_id),
        "variant_id": str(variant.id),
        "sku": variant.sku,
        "available": lv.available,
        "updated_at": shopline_time(lv.updated_ts),
    }


def customer_resource(cu: Customer) -> dict[str, Any]:
    """``customers.json`` entry."""
    return {
        "id": str(cu.id),
        "email": cu.email,
        "phone": cu.phone,
        "orders_count": cu.orders_count,
        "total_spent": fmt(cu.total_spent),
        "created_at": shopline_time(cu.created_ts),
        "updated_at": shopline_time(cu.updated_ts),
    }


def webhook_resource(sub: WebhookSubscription) -> dict[str, Any]:
    """``webhooks.json`` entry."""
    stamp = shopline_time(sub.created_ts)
    return {
        "id": str(sub.id),
        "topic": sub.topic,
        "address": sub.address,
        "api_version": sub.api_version,
        "created_at": stamp,
        "updated_at": stamp,
    }


def line_fulfillment_status(quantity: int, shipped: int) -> str:
    """SHOPLINE's ``unshipped`` / ``partial`` / ``shipped``, for a line or a whole order."""
    return "shipped" if shipped >= quantity else "partial" if shipped else "unshipped"


def fulfillment_resource(
    f: Fulfillment, order: Mapping[str, Any], shipped: Mapping[int, int]
) -> dict[str, Any]:
    """``orders/{id}/fulfillments.json`` entry. Line items carry the units of this fulfilment
    (``quantity`` = ``fulfillment_quantity``) and, as of now, the line's units still to ship
    (``fulfillable_quantity``) and its status; ``shipped`` maps line id to units in every
    fulfilment of the order. The first tracking entry also fills the single fields."""
    items = {int(li["id"]): li for li in order["line_items"]}
    first = f.tracking[0] if f.tracking else None
    line_items = []
    for line_id, units in f.lines.items():
        li = items[line_id]
        done = shipped.get(line_id, 0)
        line_items.append(
            {
                "id": str(line_id),
                "product_id": li["product_id"],
                "variant_id": li["variant_id"],
                "sku": li["sku"],
                "title": li["title"],
                "price": li["price"],
                "quantity": units,
                "fulfillment_quantity": units,
                "fulfillable_quantity": max(li["quantity"] - done, 0),
                "fulfillment_status": line_fulfillment_status(li["quantity"], done),
            }
        )
    return {
        "id": str(f.id),
        "order_id": str(f.order_id),
        "status": f.status,
        "created_at": shopline_time(f.created_ts),
        "updated_at": shopline_time(f.updated_ts),
        "notify_customer": f.notify_customer,
        "tracking_number": first.number if first else None,
        "tracking_company": first.company if first else None,
        "tracking_url": first.url if first else None,
        "tracking_numbers": [t.number for t in f.tracking if t.number],
        "tracking_info_list": [
            {"tracking_number": t.number, "tracking_company": t.company, "tracking_url": t.url}
            for t in f.tracking
        ],
        "line_items": line_items,
    }


def build_order(
    *,
    order_id: int,
    number: int,
    line_ids: Sequence[int],
    variants: Sequence[Variant],
    priced: PricedOrder,
    req: CheckoutRequest,
    customer: Customer | None,
    location_id: int,
    tax_rate: str,
    tax_title: str,
    currency: str,
    now: float,
) -> dict[str, Any]:
    """The order resource as ``orders.json`` and the ``orders/create`` webhook carry it."""
    stamp = shopline_time(now)
    line_items = [
        {
            "id": str(line_id),
            "product_id": str(variant.product_id),
            "variant_id": str(variant.id),
            "sku": variant.sku,
            "title": variant.product_title,
            "variant_title": variant.title,
            "quantity": line.quantity,
            "price": fmt(line.unit_price),
            "total_discount": fmt(line.discount),
            "discount_allocations": (
                [{"amount": fmt(line.discount)}] if req.discount_code is not None else []
            ),
            "tax_lines": [{"title": tax_title, "rate": tax_rate, "price": fmt(line.tax)}],
        }
        for line_id, variant, line in zip(line_ids, variants, priced.lines, strict=True)
    ]
    discount_codes = (
        [{"code": req.discount_code, "amount": fmt(priced.total_discounts), "type": "percentage"}]
        if req.discount_code is not None
        else []
    )
    return {
        "id": str(order_id),
        "name": f"#{number}",
        "order_number": number,
        "email": customer.email if customer else None,
        "phone": customer.phone if customer else None,
        "customer": (
            {"id": str(customer.id), "email": customer.email, "phone": customer.phone}
            if customer
            else None
        ),
        "status": "open",
        "financial_status": "paid",
        "fulfillment_status": "unshipped",
        "order_source": "web",
        "location_id": str(location_id),
        "currency": currency,
        "created_at": stamp,
        "updated_at": stamp,
        "processed_at": stamp,
        "cancelled_at": None,
        "total_line_items_price": fmt(priced.total_line_items_price),
        "total_discounts": fmt(priced.total_discounts),
        "subtotal_price": fmt(priced.subtotal_price),
        "total_tax": fmt(priced.total_tax),
        "total_shipping_price": fmt(priced.shipping),
        "total_price": fmt(priced.total_price),
        "discount_codes": discount_codes,
        "line_items": line_items,
        "shipping_lines": [
            {
                "title": req.shipping.replace("_", " ").title(),
                "code": req.shipping,
                "price": fmt(priced.shipping),
            }
        ],
        "tax_lines": [{"title": tax_title, "rate": tax_rate, "price": fmt(priced.total_tax)}],
    }
