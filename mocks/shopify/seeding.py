"""``POST /_mock/seed`` for the Shopify mock: locations, products, starting stock and history.

``orders`` seeds past orders in bulk (reconciliation benchmarks need 100k of them): each is a
checkout body (``lines``, ``email``, ``discount_code``, ``shipping``) plus ``created_at`` (ISO
or POSIX seconds) and optionally ``cancelled_at``. They are priced as a checkout would be and
get ids and numbers in list order and open fulfillment orders at the first location, but move
no stock, take no payment and announce nothing: history from before the mock started.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.admin import SeedError
from mocks.common.money import round_cents, to_money
from mocks.shopify import constants as c
from mocks.shopify.errors import ShopifyMockError
from mocks.shopify.orders import build_order, shopify_time
from mocks.shopify.placement import shipping_address
from mocks.shopify.pricing import price_order
from mocks.shopify.records import InventoryLevel, Location, Order, Product, StockUnit, Variant
from mocks.shopify.schemas import CheckoutRequest, parse_checkout
from simclock import parse_iso_utc

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel


def seed_catalog(model: ShopifyModel, payload: dict[str, Any]) -> dict[str, Any]:
    """Add ``payload``'s locations (by name, reused if present) and products to ``model``.

    Each product gets one variant; its inventory item is stocked at every location, with the
    quantity the seed names there and 0 elsewhere. Without any location a default one is made.
    """
    model.currency = str(payload.get("currency", model.currency))
    by_name = {loc.name: loc for loc in model.locations.values()}
    for raw in payload.get("locations", []):
        name = raw["name"]
        if not isinstance(name, str) or not name:
            raise SeedError(f"location name must be a non-empty string, got {name!r}")
        if name not in by_name:
            by_name[name] = Location(id=model.new_id("location"), name=name)
            model.locations[by_name[name].id] = by_name[name]
    if payload.get("products") and not by_name:
        loc = Location(id=model.new_id("location"), name=c.DEFAULT_LOCATION_NAME)
        model.locations[loc.id] = by_name[loc.name] = loc
    variants = []
    now = model.clock.now()
    for raw in payload.get("products", []):
        sku = raw["sku"]
        if not isinstance(sku, str) or not sku:
            raise SeedError(f"product sku must be a non-empty string, got {sku!r}")
        if sku in model.variants_by_sku:
            raise SeedError(f"duplicate sku {sku!r}")
        inventory = raw.get("inventory", {})
        for loc_name, qty in inventory.items():
            if loc_name not in by_name:
                raise SeedError(f"{sku}: unknown location {loc_name!r} in inventory")
            if isinstance(qty, bool) or not isinstance(qty, int):
                raise SeedError(f"{sku}: inventory at {loc_name!r} must be an integer")
        title = str(raw.get("title", sku))
        product = Product(id=model.new_id("product"), title=title, variants=[])
        variant = Variant(
            id=model.new_id("variant"),
            product_id=product.id,
            sku=sku,
            title="Default Title",
            product_title=title,
            price=round_cents(to_money(raw["price"], field=f"{sku}.price")),
            inventory_item_id=model.new_id("item"),
        )
        product.variants.append(variant)
        model.products[product.id] = product
        model.variants_by_sku[sku] = variant
        model.variants_by_item[variant.inventory_item_id] = variant
        # Stocked (connected) at every location, 0 where the seed says nothing.
        for loc in model.locations.values():
            model.levels[(variant.inventory_item_id, loc.id)] = InventoryLevel(
                inventory_item_id=variant.inventory_item_id,
                location_id=loc.id,
                available=int(inventory.get(loc.name, 0)),
                updated_ts=now,
            )
        variants.append(
            {
                "sku": sku,
                "variant_id": variant.id,
                "inventory_item_id": variant.inventory_item_id,
            }
        )
    for raw in payload.get("products", []):
        _seed_bundle(model, raw)
    orders = seed_orders(model, payload.get("orders", []))
    return {
        "locations": [{"name": loc.name, "id": loc.id} for loc in model.locations.values()],
        "variants": variants,
        **({"orders": orders} if orders else {}),
    }


def _seed_time(raw: Any, name: str, index: int) -> float:
    try:
        value = (
            float(raw)
            if isinstance(raw, (int, float, Decimal)) and not isinstance(raw, bool)
            else parse_iso_utc(str(raw))
        )
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise SeedError(f"orders[{index}].{name} must be an ISO timestamp or seconds, got {raw!r}")
    return value


def _seed_request(model: ShopifyModel, raw: Any, index: int) -> CheckoutRequest:
    if not isinstance(raw, dict):
        raise SeedError(f"orders[{index}] must be an object")
    try:
        req = parse_checkout(raw)
    except ShopifyMockError as exc:
        raise SeedError(f"orders[{index}]: {exc}") from exc
    for line in req.lines:
        if line.sku not in model.variants_by_sku:
            raise SeedError(f"orders[{index}]: unknown sku {line.sku!r}")
    if req.discount_code is not None and req.discount_code not in model.settings.discount_codes:
        raise SeedError(f"orders[{index}]: unknown discount_code {req.discount_code!r}")
    if req.shipping not in model.settings.shipping_rates:
        raise SeedError(f"orders[{index}]: unknown shipping {req.shipping!r}")
    return req


def seed_orders(model: ShopifyModel, raw_orders: Any) -> list[dict[str, Any]]:
    """Add past orders (see the module docstring); all are validated before any is added.

    Returns ``{"id", "name", "created_at"}`` per order, in list order."""
    if not isinstance(raw_orders, list):
        raise SeedError("orders must be a list of checkout bodies with created_at")
    if raw_orders and not model.locations:
        raise SeedError("orders need seeded products and a location")
    parsed = []
    for i, raw in enumerate(raw_orders):
        req = _seed_request(model, raw, i)
        created = _seed_time(raw.get("created_at"), "created_at", i)
        cancelled = raw.get("cancelled_at")
        parsed.append(
            (req, created, None if cancelled is None else _seed_time(cancelled, "cancelled_at", i))
        )
    primary = next(iter(model.locations), 0)
    made = []
    for req, created, cancelled in parsed:
        made.append(_seed_order(model, req, created, cancelled, primary))
    return made


def _seed_order(
    model: ShopifyModel,
    req: CheckoutRequest,
    created: float,
    cancelled: float | None,
    primary: int,
) -> dict[str, Any]:
    settings = model.settings
    variants = [model.variants_by_sku[line.sku] for line in req.lines]
    percent = settings.discount_codes.get(req.discount_code) if req.discount_code else None
    priced = price_order(
        lines=[(v.price, line.quantity) for v, line in zip(variants, req.lines, strict=True)],
        discount_percent=Decimal(percent) if percent is not None else None,
        tax_rate=settings.tax_rate,
        shipping=settings.shipping_rates[req.shipping],
    )
    order_id, number = model.new_id("order"), model.new_id("number")
    line_ids = [model.new_id("line") for _ in variants]
    resource = build_order(
        order_id=order_id,
        number=number,
        line_ids=line_ids,
        variants=variants,
        priced=priced,
        req=req,
        settings=settings,
        currency=model.currency,
        now=created,
        shipping_address=shipping_address(req.email),
    )
    order = Order(
        id=order_id,
        created_ts=created,
        updated_ts=cancelled if cancelled is not None else created,
        resource=resource,
        line_stock={
            line_id: (
                StockUnit(inventory_item_id=v.inventory_item_id, location_id=primary, per_unit=1),
            )
            for line_id, v in zip(line_ids, variants, strict=True)
        },
        discount_percent=Decimal(percent) if percent is not None else None,
        shipping_price=priced.shipping,
    )
    if cancelled is not None:
        order.cancelled_ts = cancelled
        resource["cancelled_at"] = resource["updated_at"] = shopify_time(cancelled)
        resource["cancel_reason"] = "other"
        for item in resource["line_items"]:
            item["fulfillable_quantity"] = 0
    model.orders[order_id] = order
    if cancelled is None:
        model.fulfillment_book.open_for(order)
    return {"id": order_id, "name": resource["name"], "created_at": resource["created_at"]}


def _seed_bundle(model: ShopifyModel, raw: dict[str, Any]) -> None:
    """``"bundle_components": {"SKU-1": 1, "SKU-2": 2}`` marks a product as a bundle."""
    components = raw.get("bundle_components")
    if components is None:
        return
    sku = raw["sku"]
    if not isinstance(components, dict) or not components:
        raise SeedError(f"{sku}: bundle_components must be an object of sku -> units")
    for component, units in components.items():
        if component not in model.variants_by_sku or component == sku:
            raise SeedError(f"{sku}: unknown bundle component {component!r}")
        if isinstance(units, bool) or not isinstance(units, int) or units < 1:
            raise SeedError(f"{sku}: units of {component!r} must be an integer >= 1")
    model.bundle_components[sku] = dict(components)
