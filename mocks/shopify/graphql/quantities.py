"""Named inventory quantities over the REST model's state, so REST and GraphQL see one stock.

The model keeps one number per level, ``available`` (what REST's ``inventory_levels`` shows
and what checkouts decrement). Shopify's other names are derived from the model's public state:

- ``committed``: units of open (not cancelled), not yet fulfilled order lines, at the location
  each line took its stock from;
- ``on_hand`` = ``available + committed`` (nothing is reserved, incoming or damaged here);
- ``incoming``, ``reserved``, ``damaged``, ``quality_control``, ``safety_stock`` = 0.

Writes go through the model's own operations (``set_inventory_level`` /
``adjust_inventory_level``): changing ``on_hand`` by d changes ``available`` by d, as in
Shopify, where committed stock only moves with orders.
"""

from __future__ import annotations

from mocks.shopify.models import ShopifyModel
from mocks.shopify.schemas import InventoryChange

SETTABLE_NAMES = ("available", "on_hand")
ZERO_NAMES = ("incoming", "reserved", "damaged", "quality_control", "safety_stock")
QUANTITY_NAMES = (*SETTABLE_NAMES, "committed", *ZERO_NAMES)
MAX_QUANTITY = 1_000_000_000
"""Shopify: "The total quantity can't be higher than 1,000,000,000" (and not below -1e9)."""


def primary_location_id(model: ShopifyModel) -> int | None:
    """The first location created (where checkouts draw stock), if any."""
    return next(iter(model.locations), None)


def committed(model: ShopifyModel, item_id: int, location_id: int) -> int:
    """Units of open orders still to be fulfilled from ``location_id`` for ``item_id``.

    Each order line records where its stock came from (``Order.line_stock``: item, location,
    units per line unit — a bundle takes several); a line without that record drew its own
    variant's item from the primary location, one per unit.
    """
    primary = primary_location_id(model)
    item_of_variant = {v.id: v.inventory_item_id for v in model.variants_by_item.values()}
    total = 0
    for order in model.orders.values():
        if order.cancelled_ts is not None or order.resource.get("cancelled_at") is not None:
            continue
        for line in order.resource.get("line_items", []):
            # fulfillable_quantity falls as lines ship or are removed; absent: nothing shipped.
            open_units = int(line.get("fulfillable_quantity", line.get("quantity", 0)))
            if open_units <= 0:
                continue
            units = order.line_stock.get(line["id"])
            if units is None:
                variant_item = item_of_variant.get(line.get("variant_id", -1))
                if variant_item == item_id and location_id == primary:
                    total += open_units
                continue
            for unit in units:
                if (unit.inventory_item_id, unit.location_id) == (item_id, location_id):
                    total += unit.per_unit * open_units
    return total


def quantity(model: ShopifyModel, item_id: int, location_id: int, name: str) -> int:
    """The named quantity of one level (0 for a level that does not exist)."""
    level = model.levels.get((item_id, location_id))
    available = level.available if level is not None else 0
    if name == "available":
        return available
    if name == "committed":
        return committed(model, item_id, location_id)
    if name == "on_hand":
        return available + committed(model, item_id, location_id)
    return 0


def apply_delta(model: ShopifyModel, item_id: int, location_id: int, delta: int) -> None:
    """Move ``available`` (and so ``on_hand``) by ``delta`` through the model's own operation."""
    model.adjust_inventory_level(
        InventoryChange(location_id=location_id, inventory_item_id=item_id, value=delta)
    )


def set_quantity(model: ShopifyModel, item_id: int, location_id: int, name: str, value: int) -> int:
    """Set ``available`` or ``on_hand`` to ``value``; returns the delta applied."""
    delta = value - quantity(model, item_id, location_id, name)
    target_available = quantity(model, item_id, location_id, "available") + delta
    model.set_inventory_level(
        InventoryChange(location_id=location_id, inventory_item_id=item_id, value=target_available)
    )
    return delta
