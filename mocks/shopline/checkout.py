"""The storefront checkout: variant resolution, all-or-nothing reservation at one location,
exact pricing (the Shopify mock's :func:`~mocks.shopify.pricing.price_order`, reused)."""

from __future__ import annotations

from collections.abc import Mapping

from mocks.shopify.pricing import PricedOrder, price_order
from mocks.shopline.constants import ShoplineSettings
from mocks.shopline.errors import (
    InsufficientInventory,
    UnknownDiscountCode,
    UnknownShipping,
    UnknownSku,
)
from mocks.shopline.records import InventoryLevel, Variant
from mocks.shopline.schemas import CheckoutRequest


def resolve_variant(
    *, sku: str | None, variant_id: int | None, variants: Mapping[int, Variant]
) -> Variant:
    """The variant a line names. SKUs may repeat across products (SHOPLINE allows it): a SKU
    line takes the *first created* variant with that SKU; ``variant_id`` is unambiguous."""
    if variant_id is not None:
        variant = variants.get(variant_id)
        if variant is None:
            raise UnknownSku(str(variant_id))
        return variant
    match = next((v for v in variants.values() if v.sku == sku), None)  # ids ascend by creation
    if match is None:
        raise UnknownSku(sku or "")
    return match


def reserve_and_price(
    *,
    req: CheckoutRequest,
    settings: ShoplineSettings,
    variants: Mapping[int, Variant],
    levels: Mapping[tuple[int, int], InventoryLevel],
    location_id: int,
    now: float,
) -> tuple[PricedOrder, list[Variant]]:
    """Validate everything, check every line, then decrement every line at ``location_id``.

    Nothing changes unless every check passes (nothing is awaited here, so check-then-decrement
    is atomic). Stock is checked per variant against the *sum* of its lines, so one variant named
    twice cannot pass two checks that each see the full quantity.
    """
    chosen = [
        resolve_variant(sku=line.sku, variant_id=line.variant_id, variants=variants)
        for line in req.lines
    ]
    percent = None
    if req.discount_code is not None:
        percent = settings.discount_codes.get(req.discount_code)
        if percent is None:
            raise UnknownDiscountCode(req.discount_code)
    shipping = settings.shipping_rates.get(req.shipping)
    if shipping is None:
        raise UnknownShipping(req.shipping)
    wanted: dict[int, int] = {}
    for variant, line in zip(chosen, req.lines, strict=True):
        wanted[variant.id] = wanted.get(variant.id, 0) + line.quantity
    reserved: list[tuple[InventoryLevel, int]] = []
    for vid, qty in wanted.items():
        level = levels.get((variants[vid].inventory_item_id, location_id))
        available = level.available if level is not None else 0
        if level is None or available < qty:
            raise InsufficientInventory(sku=variants[vid].sku, requested=qty, available=available)
        reserved.append((level, qty))
    for level, qty in reserved:
        level.available -= qty
        level.updated_ts = now
    priced = price_order(
        lines=[(v.price, line.quantity) for v, line in zip(chosen, req.lines, strict=True)],
        discount_percent=percent,
        tax_rate=settings.tax_rate,
        shipping=shipping,
    )
    return priced, chosen
