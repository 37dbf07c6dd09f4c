"""``GET /_mock/state`` for the SHOPLINE mock: ground truth for checkers.

Shape (mirrors the Shopify mock's; ids as strings, resources in the newest spelling)::

    {"orders": [{...order resource, "created_at_ts": float, "updated_at_ts": float,
                 "fulfillments": [{...as GET orders/{id}/fulfillments.json}]}],
     "inventory_levels": [{"sku", "product_id", "variant_id", "inventory_item_id",
                           "location_id", "available", "updated_at_ts"}],
     "locations": [{"id", "name", "primary"}],
     "customers": [{...customer resource}],
     "stats": {...as /_mock/stats}}

With duplicate SKUs several ``inventory_levels`` rows share a ``sku`` at one location; checkers
that work per SKU sum them (or key on ``variant_id``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mocks.shopline.fulfillments import order_fulfillments
from mocks.shopline.resources import customer_resource

if TYPE_CHECKING:
    from mocks.shopline.models import ShoplineModel


def snapshot(model: ShoplineModel) -> dict[str, Any]:
    """Every order (with its fulfilments), inventory level, location and customer, plus the
    stats."""
    levels = []
    for lv in model.levels.values():
        variant = model.variants_by_item[lv.inventory_item_id]
        levels.append(
            {
                "sku": variant.sku,
                "product_id": str(variant.product_id),
                "variant_id": str(variant.id),
                "inventory_item_id": str(lv.inventory_item_id),
                "location_id": str(lv.location_id),
                "available": lv.available,
                "updated_at_ts": lv.updated_ts,
            }
        )
    return {
        "orders": [
            {
                **o.resource,
                "created_at_ts": o.created_ts,
                "updated_at_ts": o.updated_ts,
                "fulfillments": order_fulfillments(model, o),
            }
            for o in model.orders.values()
        ],
        "inventory_levels": levels,
        "locations": [
            {"id": str(loc.id), "name": loc.name, "primary": i == 0}
            for i, loc in enumerate(model.locations.values())
        ],
        "customers": [customer_resource(cu) for cu in model.customers.customers.values()],
        "stats": model.stats(),
    }
