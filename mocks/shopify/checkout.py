"""The storefront checkout's all-or-nothing stock reservation and pricing."""

from __future__ import annotations

from collections.abc import Mapping

from mocks.shopify.constants import ShopifySettings
from mocks.shopify.errors import (
    InsufficientInventory,
    UnknownDiscountCode,
    UnknownShipping,
    UnknownSku,
)
from mocks.shopify.pricing import PricedOrder, price_order
from mocks.shopify.records import InventoryLevel, Variant
from mocks.shopify.schemas import CheckoutRequest


def reserve_and_price(
    *,
    req: CheckoutRequest,
    settings: ShopifySettings,
    variants_by_sku: Mapping[str, Variant],
    levels: Mapping[tuple[int, int], InventoryLevel],
    primary_location_id: int,
    now: float,
) -> tuple[PricedOrder, list[Variant]]:
    """Validate everything, check every line, then decrement every line at the primary location.

    Nothing is changed unless every check passes (the mock is single-threaded and nothing is
    awaited here, so check-then-decrement is atomic). Stock is checked per SKU against the *sum*
    of its lines, so a basket naming one SKU twice cannot pass two checks that each see the full
    quantity.
    """
    variants = []
    for line in req.lines:
        variant = variants_by_sku.get(line.sku)
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
    wanted: dict[str, int] = {}
    for line in req.lines:
        wanted[line.sku] = wanted.get(line.sku, 0) + line.quantity
    reserved: dict[str, InventoryLevel] = {}
    for sku, qty in wanted.items():
        level = levels.get((variants_by_sku[sku].inventory_item_id, primary_location_id))
        available = level.available if level is not None else 0
        if level is None or available < qty:
            raise InsufficientInventory(sku=sku, requested=qty, available=available)
        reserved[sku] = level
    for sku, qty in wanted.items():
        reserved[sku].available -= qty
        reserved[sku].updated_ts = now
    priced = price_order(
        lines=[(v.price, line.quantity) for v, line in zip(variants, req.lines, strict=True)],
        discount_percent=percent,
        tax_rate=settings.tax_rate,
        shipping=shipping,
    )
    return priced, variants
