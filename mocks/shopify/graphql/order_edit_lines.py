"""A model operation the REST mock lacks: add a new line (a variant) to a placed order.

``orderEditAddVariant`` needs it; ``/_sim/edit-order`` only changes existing lines, whose
operation (``mocks.shopify.edits.change_line_quantity``) the GraphQL commit reuses. This one
works on the model's public objects the same way a checkout line is built: the line resource in
Shopify's shape (priced at the variant's price, undiscounted, taxed at the shop rate), the stock
it takes (bundle components when bundles are on), and its units on an open fulfillment order
at that location (a new one if none is open). Callers check stock first (all or nothing) and
then announce the edit (``orders/edited``, ``orders/updated``) once for the whole commit.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mocks.common.money import fmt, round_cents
from mocks.shopify.fulfillments import FULFILLABLE, FulfillmentOrder, FulfillmentOrderLine
from mocks.shopify.placement import COMPONENTS_PROPERTY, components_of
from mocks.shopify.records import Order, StockUnit, Variant

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel


def stock_units(model: ShopifyModel, variant: Variant, location_id: int) -> tuple[StockUnit, ...]:
    """What one unit of ``variant`` takes from ``location_id`` (its components for a bundle)."""
    components = components_of(model, variant)
    if components:
        return tuple(
            StockUnit(
                inventory_item_id=model.variants_by_sku[sku].inventory_item_id,
                location_id=location_id,
                per_unit=n,
            )
            for sku, n in components.items()
        )
    return (
        StockUnit(inventory_item_id=variant.inventory_item_id, location_id=location_id, per_unit=1),
    )


def _line_resource(
    model: ShopifyModel, line_id: int, variant: Variant, quantity: int
) -> dict[str, Any]:
    line_price = round_cents(variant.price * quantity)
    tax = round_cents(line_price * model.settings.tax_rate)
    components = components_of(model, variant)
    properties = (
        [
            {
                "name": COMPONENTS_PROPERTY,
                "value": ", ".join(f"{sku} x{n}" for sku, n in components.items()),
            }
        ]
        if components
        else []
    )
    return {
        "id": line_id,
        "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
        "variant_id": variant.id,
        "product_id": variant.product_id,
        "sku": variant.sku,
        "title": variant.product_title,
        "name": variant.product_title,
        "variant_title": None,
        "quantity": quantity,
        "current_quantity": quantity,
        "fulfillable_quantity": quantity,
        "properties": properties,
        "requires_shipping": True,
        "price": fmt(variant.price),
        "total_discount": "0.00",
        "discount_allocations": [],
        "tax_lines": [
            {
                "title": model.settings.tax_title,
                "rate": str(model.settings.tax_rate),
                "price": fmt(tax),
            }
        ],
    }


def add_line(
    model: ShopifyModel, order: Order, variant: Variant, quantity: int, location_id: int
) -> int:
    """Append a line of ``quantity`` x ``variant`` from ``location_id``; returns its id.

    Takes the stock (``inventory_levels/update`` per level) and puts the units on a fulfillment
    order; does not touch the order's totals or publish order topics (the caller does, once).
    """
    now = model.clock.now()
    line_id = model.new_id("line")
    units = stock_units(model, variant, location_id)
    order.resource["line_items"].append(_line_resource(model, line_id, variant, quantity))
    order.line_stock[line_id] = units
    for unit in units:
        model.order_changes.change_stock(
            unit.inventory_item_id, unit.location_id, -unit.per_unit * quantity
        )
    book = model.fulfillment_book
    fo = next(
        (
            f
            for f in book.of_order(order)
            if f.location_id == location_id and f.status in FULFILLABLE
        ),
        None,
    )
    if fo is None:
        fo = FulfillmentOrder(
            id=model.new_id("fulfillment_order"),
            order_id=order.id,
            location_id=location_id,
            created_ts=now,
            updated_ts=now,
        )
        book.fulfillment_orders[fo.id] = fo
        book.fulfillment_orders_of.setdefault(order.id, []).append(fo.id)
    fo.lines.append(
        FulfillmentOrderLine(
            id=model.new_id("fulfillment_order_line"),
            line_item_id=line_id,
            inventory_item_id=variant.inventory_item_id,
            variant_id=variant.id,
            quantity=quantity,
            fulfillable_quantity=quantity,
        )
    )
    fo.updated_ts = now
    if order.resource.get("fulfillment_status") == "fulfilled":
        order.resource["fulfillment_status"] = "partial"
    return line_id
