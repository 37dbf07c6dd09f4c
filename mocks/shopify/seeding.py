"""``POST /_mock/seed`` for the Shopify mock: locations, products and starting stock."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mocks.common.admin import SeedError
from mocks.common.money import round_cents, to_money
from mocks.shopify import constants as c
from mocks.shopify.records import InventoryLevel, Location, Product, Variant

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
    return {
        "locations": [{"name": loc.name, "id": loc.id} for loc in model.locations.values()],
        "variants": variants,
    }


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
