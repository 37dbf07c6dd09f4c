"""The Order REST resource: Shopify's wire shape built from a priced checkout (pure functions)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.money import fmt
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.pricing import PricedOrder
from mocks.shopify.schemas import CheckoutRequest

if TYPE_CHECKING:
    from mocks.shopify.records import Variant


def shopify_time(ts: float) -> str:
    """Shopify's REST timestamp style at whole seconds: ``2026-11-27T00:00:01-00:00``."""
    return datetime.fromtimestamp(int(ts), tz=UTC).strftime("%Y-%m-%dT%H:%M:%S-00:00")


def _money_set(amount: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": fmt(amount), "currency_code": currency}
    return {"shop_money": money, "presentment_money": dict(money)}


def build_order(
    *,
    order_id: int,
    number: int,
    line_ids: Sequence[int],
    variants: Sequence[Variant],
    priced: PricedOrder,
    req: CheckoutRequest,
    settings: ShopifySettings,
    currency: str,
    now: float,
    properties: Sequence[list[dict[str, str]]] | None = None,
    shipping_address: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The order resource as ``orders.json`` and the ``orders/create`` webhook carry it.

    This is the canonical resource holding the fields of every supported version;
    ``versions.render_order`` shows it per version.
    """
    props = list(properties) if properties is not None else [[] for _ in line_ids]
    stamp = shopify_time(now)
    rate = str(settings.tax_rate)
    line_items = []
    for line_id, variant, line, line_props in zip(
        line_ids, variants, priced.lines, props, strict=True
    ):
        line_items.append(
            {
                "id": line_id,
                "admin_graphql_api_id": f"gid://shopify/LineItem/{line_id}",
                "variant_id": variant.id,
                "product_id": variant.product_id,
                "sku": variant.sku,
                "title": variant.product_title,
                "name": variant.product_title,
                "variant_title": None,
                "quantity": line.quantity,
                "current_quantity": line.quantity,
                "fulfillable_quantity": line.quantity,
                "properties": line_props,
                "requires_shipping": True,
                "price": fmt(line.unit_price),
                "total_discount": fmt(line.discount),
                "discount_allocations": (
                    [{"amount": fmt(line.discount)}] if req.discount_code is not None else []
                ),
                "tax_lines": [{"title": settings.tax_title, "rate": rate, "price": fmt(line.tax)}],
            }
        )
    discount_codes = (
        [{"code": req.discount_code, "amount": fmt(priced.total_discounts), "type": "percentage"}]
        if req.discount_code is not None
        else []
    )
    return {
        "id": order_id,
        "admin_graphql_api_id": f"gid://shopify/Order/{order_id}",
        "name": f"#{number}",
        "order_number": number,
        "number": number - 1000,
        "email": req.email,
        "created_at": stamp,
        "updated_at": stamp,
        "processed_at": stamp,
        "closed_at": None,
        "cancelled_at": None,
        "cancel_reason": None,
        "currency": currency,
        "presentment_currency": currency,
        "financial_status": "paid",
        "fulfillment_status": None,
        "confirmed": True,
        "test": False,
        "subtotal_price": fmt(priced.subtotal_price),
        "total_line_items_price": fmt(priced.total_line_items_price),
        "total_discounts": fmt(priced.total_discounts),
        "total_discounts_set": _money_set(priced.total_discounts, currency),
        "total_tax": fmt(priced.total_tax),
        "total_price": fmt(priced.total_price),
        "current_subtotal_price": fmt(priced.subtotal_price),
        "current_total_discounts": fmt(priced.total_discounts),
        "current_total_tax": fmt(priced.total_tax),
        "current_total_price": fmt(priced.total_price),
        "taxes_included": False,
        "total_shipping_price_set": _money_set(priced.shipping, currency),
        "total_price_set": _money_set(priced.total_price, currency),
        "discount_codes": discount_codes,
        "line_items": line_items,
        "shipping_lines": [
            {
                "title": req.shipping.replace("_", " ").title(),
                "code": req.shipping,
                "price": fmt(priced.shipping),
            }
        ],
        "tax_lines": [{"title": settings.tax_title, "rate": rate, "price": fmt(priced.total_tax)}],
        "shipping_address": shipping_address,
        "fulfillments": [],
        "refunds": [],
    }
