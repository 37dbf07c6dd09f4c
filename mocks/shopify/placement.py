"""Where a checkout takes its stock from: the primary location, or (quirks) elsewhere.

The contract's default, every line from the primary location, is the original
:func:`~mocks.shopify.checkout.reserve_and_price`, untouched. Two quirks take another path:
- ``checkout_location_strategy = "first_with_stock"``: each line comes from the first location
  (in creation order) that still holds enough for it, so one order may ship from two places;
- ``bundle_expansion``: a product seeded with ``bundle_components`` takes its components'
  stock (``per_unit`` of each per bundle) and its order line lists them in ``properties``.
Either way all lines are checked before anything is decremented (all or nothing).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mocks.shopify.checkout import reserve_and_price
from mocks.shopify.errors import (
    InsufficientInventory,
    UnknownDiscountCode,
    UnknownShipping,
    UnknownSku,
)
from mocks.shopify.pricing import PricedOrder, price_order
from mocks.shopify.records import StockUnit, Variant
from mocks.shopify.schemas import CheckoutRequest

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

COMPONENTS_PROPERTY = "_components"


@dataclass(frozen=True, kw_only=True)
class Placement:
    """A priced, reserved basket: per line its variant, stock units and extra properties."""

    priced: PricedOrder
    variants: list[Variant]
    stock: list[tuple[StockUnit, ...]]
    properties: list[list[dict[str, str]]]


def components_of(model: ShopifyModel, variant: Variant) -> Mapping[str, int] | None:
    """A bundle's components (sku -> units per bundle) when bundles are switched on."""
    if not model.settings.bundle_expansion:
        return None
    return model.bundle_components.get(variant.sku)


def place(model: ShopifyModel, req: CheckoutRequest) -> Placement:
    """Reserve and price ``req``; raises the storefront errors (409/422) and changes nothing."""
    primary = next(iter(model.locations))
    simple = model.settings.checkout_location_strategy == "primary" and not any(
        (v := model.variants_by_sku.get(line.sku)) is not None and components_of(model, v)
        for line in req.lines
    )
    if simple:
        priced, variants = reserve_and_price(
            req=req,
            settings=model.settings,
            variants_by_sku=model.variants_by_sku,
            levels=model.levels,
            primary_location_id=primary,
            now=model.clock.now(),
        )
        stock: list[tuple[StockUnit, ...]] = [
            (StockUnit(inventory_item_id=v.inventory_item_id, location_id=primary, per_unit=1),)
            for v in variants
        ]
        return Placement(
            priced=priced, variants=variants, stock=stock, properties=[[] for _ in variants]
        )
    return _place_anywhere(model, req, primary)


def _place_anywhere(model: ShopifyModel, req: CheckoutRequest, primary: int) -> Placement:
    settings = model.settings
    variants = []
    for line in req.lines:
        variant = model.variants_by_sku.get(line.sku)
        if variant is None:
            raise UnknownSku(line.sku)
        variants.append(variant)
    percent = None
    if req.discount_code is not None:
        percent = settings.discount_codes.get(req.discount_code)
        if percent is None:
            raise UnknownDiscountCode(req.discount_code)
    shipping = settings.shipping_rates.get(req.shipping)
    if shipping is None:
        raise UnknownShipping(req.shipping)
    candidates = (
        list(model.locations) if settings.checkout_location_strategy != "primary" else [primary]
    )
    taken: dict[tuple[int, int], int] = {}  # (item, location) -> units this basket already holds
    stock: list[tuple[StockUnit, ...]] = []
    properties: list[list[dict[str, str]]] = []
    for line, variant in zip(req.lines, variants, strict=True):
        components = components_of(model, variant)
        needs = (
            [(model.variants_by_sku[sku].inventory_item_id, n) for sku, n in components.items()]
            if components
            else [(variant.inventory_item_id, 1)]
        )

        def room(location: int, needs: list[tuple[int, int]] = needs) -> int:
            """Whole units of this line the location can still supply."""
            return min(
                _available(model, item, location, taken) // per_unit for item, per_unit in needs
            )

        chosen = next((loc for loc in candidates if room(loc) >= line.quantity), None)
        if chosen is None:
            best = max(room(loc) for loc in candidates)
            raise InsufficientInventory(sku=line.sku, requested=line.quantity, available=best)
        for item, per_unit in needs:
            taken[(item, chosen)] = taken.get((item, chosen), 0) + per_unit * line.quantity
        stock.append(
            tuple(
                StockUnit(inventory_item_id=item, location_id=chosen, per_unit=per_unit)
                for item, per_unit in needs
            )
        )
        properties.append(
            [
                {
                    "name": COMPONENTS_PROPERTY,
                    "value": ", ".join(f"{sku} x{n}" for sku, n in components.items()),
                }
            ]
            if components
            else []
        )
    now = model.clock.now()
    for (item, location), units in taken.items():
        level = model.levels[(item, location)]
        level.available -= units
        level.updated_ts = now
    priced = price_order(
        lines=[(v.price, line.quantity) for v, line in zip(variants, req.lines, strict=True)],
        discount_percent=percent,
        tax_rate=settings.tax_rate,
        shipping=shipping,
    )
    return Placement(priced=priced, variants=variants, stock=stock, properties=properties)


def _available(
    model: ShopifyModel, item: int, location: int, taken: Mapping[tuple[int, int], int]
) -> int:
    level = model.levels.get((item, location))
    return 0 if level is None else level.available - taken.get((item, location), 0)


def touched_levels(placement: Placement) -> list[tuple[int, int]]:
    """Every (item, location) the checkout decremented, once each."""
    return list(
        dict.fromkeys(
            (u.inventory_item_id, u.location_id) for units in placement.stock for u in units
        )
    )


def shipping_address(email: str | None) -> dict[str, Any]:
    """A deterministic default address (the storefront sends none)."""
    name = (email or "guest@example.com").split("@")[0]
    return {
        "first_name": name,
        "last_name": "Shopper",
        "address1": "1 Main Street",
        "address2": None,
        "city": "Springfield",
        "zip": "10001",
        "country_code": "US",
    }
