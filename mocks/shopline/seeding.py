"""``POST /_mock/seed`` for the SHOPLINE mock: locations, products, stock and customers.

Body (a superset of the Shopify mock's)::

    {"currency": "USD",
     "locations": [{"name": "Warehouse"}, {"name": "Store"}],
     "products": [{"sku": "TEE", "title": "Tee", "price": "19.99",
                   "inventory": {"Warehouse": 25, "Store": 3}},
                  {"title": "Bundle", "variants": [{"sku": "TEE", "price": "18.00",
                                                    "inventory": {"Warehouse": 5}}]}],
     "customers": [{"email": "a@example.com", "phone": "+6581234567"}]}

SKUs are *not* required to be unique: two products may carry the same SKU (SHOPLINE allows it),
and both are listed, stocked and visible in ``/_mock/state``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mocks.common.admin import SeedError
from mocks.common.money import round_cents, to_money
from mocks.shopline import constants as c
from mocks.shopline.records import InventoryLevel, Location, Product, Variant

if TYPE_CHECKING:
    from mocks.shopline.models import ShoplineModel


def _variant_specs(raw: dict[str, Any]) -> list[dict[str, Any]]:
    specs = raw.get("variants")
    if specs is None:
        return [raw]
    if not isinstance(specs, list) or not specs:
        raise SeedError("product variants must be a non-empty list")
    return specs


def seed_catalog(model: ShoplineModel, payload: dict[str, Any]) -> dict[str, Any]:
    """Add ``payload``'s locations (reused by name), products and customers to ``model``."""
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
    now = model.clock.now()
    seeded = []
    for raw in payload.get("products", []):
        specs = _variant_specs(raw)
        title = str(raw.get("title") or specs[0].get("sku") or "Product")
        product = Product(
            id=model.new_id("product"), title=title, variants=[], created_ts=now, updated_ts=now
        )
        for spec in specs:
            sku = spec["sku"]
            if not isinstance(sku, str) or not sku:
                raise SeedError(f"variant sku must be a non-empty string, got {sku!r}")
            inventory = spec.get("inventory", {})
            for loc_name, qty in inventory.items():
                if loc_name not in by_name:
                    raise SeedError(f"{sku}: unknown location {loc_name!r} in inventory")
                if isinstance(qty, bool) or not isinstance(qty, int):
                    raise SeedError(f"{sku}: inventory at {loc_name!r} must be an integer")
            variant = Variant(
                id=model.new_id("variant"),
                product_id=product.id,
                sku=sku,
                title=str(spec.get("option_title", "Default Title")),
                product_title=title,
                price=round_cents(to_money(spec["price"], field=f"{sku}.price")),
                inventory_item_id=model.new_id("item"),
                created_ts=now,
                updated_ts=now,
            )
            product.variants.append(variant)
            model.variants[variant.id] = variant
            model.variants_by_item[variant.inventory_item_id] = variant
            for loc in model.locations.values():  # stocked at every location, 0 if unnamed
                model.levels[(variant.inventory_item_id, loc.id)] = InventoryLevel(
                    inventory_item_id=variant.inventory_item_id,
                    location_id=loc.id,
                    available=int(inventory.get(loc.name, 0)),
                    updated_ts=now,
                )
            seeded.append(
                {
                    "sku": sku,
                    "product_id": str(product.id),
                    "variant_id": str(variant.id),
                    "inventory_item_id": str(variant.inventory_item_id),
                }
            )
        model.products[product.id] = product
    customers = []
    for raw in payload.get("customers", []):
        email, phone = raw.get("email"), raw.get("phone")
        if email is None and phone is None:
            raise SeedError("a customer needs an email or a phone")
        customer = model.find_or_create_customer(email=email, phone=phone)
        customers.append({"id": str(customer.id), "email": customer.email, "phone": customer.phone})
    return {
        "locations": [{"name": loc.name, "id": str(loc.id)} for loc in model.locations.values()],
        "variants": seeded,
        "customers": customers,
    }
