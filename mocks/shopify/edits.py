"""Post-purchase edits (``/_sim/edit-order``) and REST product creation with its daily quota.

Edits (quirk ``post_purchase_edits``): a customer-service agent changes the shipping address or
a line's quantity of an unfulfilled order. As on Shopify, a quantity edit leaves the line's
``quantity`` and the order's ``total_price`` as they were at checkout and changes
``current_quantity``, ``fulfillable_quantity`` and the ``current_*`` totals; a quantity edit
emits ``orders/edited`` (an ``order_edit`` body) and ``orders/updated``, an address change
``orders/updated`` only (on Shopify it is not an order edit). The seed failure: a connector that
reads ``quantity`` once at ``orders/create`` ships and invoices the original basket.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from mocks.common.money import MoneyError, round_cents, to_money
from mocks.shopify.errors import InvalidCheckout, MissingParameter, SimError, Unprocessable
from mocks.shopify.orders import shopify_time
from mocks.shopify.records import InventoryLevel, Order, Product, Variant

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

ADDRESS_FIELDS = ("first_name", "last_name", "address1", "address2", "city", "zip", "country_code")


class EditRefused(SimError):
    """409: the edit is not possible (fulfilled units, no stock, quirk switched off)."""

    status_code = 409

    def __init__(self, reason: str, **details: Any) -> None:
        super().__init__("edit_refused", reason=reason, **details)


class VariantLimitReached(Exception):
    """Raised to the API layer, which answers 429 with Shopify's daily-limit body."""


def edit_order(model: ShopifyModel, payload: Mapping[str, Any]) -> dict[str, Any]:
    """``POST /_sim/edit-order``: ``order_id`` plus ``shipping_address`` and/or
    ``line_item_id`` with the new ``quantity``."""
    if not model.settings.post_purchase_edits:
        raise EditRefused("post_purchase_edits is switched off for this scenario")
    order_id = payload.get("order_id")
    if not isinstance(order_id, int) or isinstance(order_id, bool):
        raise InvalidCheckout("order_id must be an integer")
    changes = model.order_changes
    order = changes.order(order_id)
    if order.cancelled_ts is not None:
        raise EditRefused("order is cancelled")
    address = payload.get("shipping_address")
    topics: list[str] = []
    if address is not None:
        if not isinstance(address, dict) or not set(address) <= set(ADDRESS_FIELDS):
            raise InvalidCheckout(f"shipping_address may only carry {', '.join(ADDRESS_FIELDS)}")
        if order.resource.get("fulfillment_status") is not None:
            raise EditRefused("order has fulfillments")
        order.resource["shipping_address"] = {**order.resource["shipping_address"], **address}
    edit: dict[str, Any] | None = None
    if "line_item_id" in payload:
        edit = _edit_quantity(model, order_id, payload)
        topics.append("orders/edited")
    if address is None and edit is None:
        raise InvalidCheckout("give shipping_address, or line_item_id and quantity")
    changes.touch(order)
    if edit is not None:
        model.publisher.publish("orders/edited", {"order_edit": edit})
    changes.announce(order)
    return order.resource


def _edit_quantity(
    model: ShopifyModel, order_id: int, payload: Mapping[str, Any]
) -> dict[str, Any]:
    order = model.order_changes.order(order_id)
    line_id, quantity = payload.get("line_item_id"), payload.get("quantity")
    if not isinstance(line_id, int) or not isinstance(quantity, int) or quantity < 0:
        raise InvalidCheckout("line_item_id and quantity (>= 0) must be integers")
    if order.line(line_id) is None:
        raise InvalidCheckout(f"order {order_id} has no line item {line_id}")
    delta = change_line_quantity(model, order, line_id, quantity)
    change = {"id": line_id, "delta": abs(delta)}
    return order_edit_resource(
        model,
        order,
        additions=[change] if delta > 0 else [],
        removals=[change] if delta < 0 else [],
    )


def change_line_quantity(
    model: ShopifyModel, order: Order, line_id: int, quantity: int, *, restock: bool = True
) -> int:
    """Set a line's ``current_quantity``: stock, fulfillment-order units and
    ``fulfillable_quantity`` follow; returns the delta. Raises :class:`EditRefused` (shipped
    units, not enough stock) before changing anything. ``restock=False`` leaves removed units
    out of stock (GraphQL ``orderEditSetQuantity(restock: false)``)."""
    item = order.line(line_id)
    if item is None:
        raise EditRefused("unknown line item", line_item_id=line_id)
    delta: int = quantity - item["current_quantity"]
    if -delta > item["fulfillable_quantity"]:
        raise EditRefused("only unfulfilled units can be removed", line_item_id=line_id)
    if delta > 0:
        for unit in order.line_stock[line_id]:
            level = model.levels[(unit.inventory_item_id, unit.location_id)]
            if level.available < unit.per_unit * delta:
                raise EditRefused("insufficient inventory", line_item_id=line_id)
        for unit in order.line_stock[line_id]:
            model.order_changes.change_stock(
                unit.inventory_item_id, unit.location_id, -unit.per_unit * delta
            )
        model.fulfillment_book.add_units(order, line_id, delta)
    elif delta < 0:
        if restock:
            model.order_changes.restock(order, line_id, -delta)
        model.fulfillment_book.remove_units(order, line_id, -delta)
    item["current_quantity"] = quantity
    item["fulfillable_quantity"] += delta
    return delta


def order_edit_resource(
    model: ShopifyModel,
    order: Order,
    *,
    additions: list[dict[str, int]],
    removals: list[dict[str, int]],
    notify_customer: bool = False,
    staff_note: str = "",
) -> dict[str, Any]:
    """The ``order_edit`` body of ``orders/edited`` (``{id, delta}`` per changed line)."""
    return {
        "id": model.new_id("order_edit"),
        "app_id": None,
        "created_at": shopify_time(model.clock.now()),
        "notify_customer": notify_customer,
        "order_id": order.id,
        "staff_note": staff_note,
        "user_id": None,
        "line_items": {"additions": additions, "removals": removals},
    }


def create_product(model: ShopifyModel, body: Mapping[str, Any]) -> dict[str, Any]:
    """``POST products.json`` ``{"product": {"title", "variants": [{"sku", "price"}]}}``.

    Counts against ``variant_creation_daily_limit``; beyond it :class:`VariantLimitReached`.
    """
    raw = body.get("product")
    if not isinstance(raw, dict) or not isinstance(raw.get("title"), str) or not raw["title"]:
        raise MissingParameter("product", "expected an object with a title")
    variants = raw.get("variants") or [{"sku": "", "price": "0.00"}]
    if not isinstance(variants, list) or not all(isinstance(v, dict) for v in variants):
        raise MissingParameter("variants", "expected a list of objects")
    if len(variants) > 100:  # REST product APIs are capped at 100 variants
        raise Unprocessable({"variants": ["exceeds 100 variants"]})
    skus = [str(v.get("sku") or "") for v in variants]
    taken = [s for s in skus if s and s in model.variants_by_sku]
    if taken or len(set(skus)) != len(skus):
        raise Unprocessable({"variants.sku": [f"has already been taken: {', '.join(taken)}"]})
    try:  # every price is checked before anything is spent or registered
        prices = [round_cents(to_money(v.get("price", "0.00"), field="price")) for v in variants]
    except MoneyError as exc:
        raise Unprocessable({"variants.price": [str(exc)]}) from exc
    if not model.variant_quota.allows(len(variants)):
        raise VariantLimitReached()
    model.variant_quota.spend(len(variants))
    product = Product(id=model.new_id("product"), title=raw["title"], variants=[])
    now = model.clock.now()
    for sku, v, price in zip(skus, variants, prices, strict=True):
        variant = Variant(
            id=model.new_id("variant"),
            product_id=product.id,
            sku=sku,
            title=str(v.get("title") or "Default Title"),
            product_title=product.title,
            price=price,
            inventory_item_id=model.new_id("item"),
        )
        product.variants.append(variant)
        if sku:
            model.variants_by_sku[sku] = variant
        model.variants_by_item[variant.inventory_item_id] = variant
        for loc in model.locations.values():  # connected everywhere with nothing on hand
            model.levels[(variant.inventory_item_id, loc.id)] = InventoryLevel(
                inventory_item_id=variant.inventory_item_id,
                location_id=loc.id,
                available=0,
                updated_ts=now,
            )
    model.products[product.id] = product
    resource = {
        "id": product.id,
        "title": product.title,
        "created_at": shopify_time(now),
        "variants": [model._variant_resource(v, 0) for v in product.variants],
    }
    model.publisher.publish("products/create", resource)
    return resource
