"""Wire shapes of the Shopware 6 mock: records in, Admin API JSON out (no state, no HTTP).

Field names are Shopware's (camelCase); ids are 32-hex; every amount is a Decimal string with
two places (the project rule: money is never a float, where Shopware itself sends floats *);
tax rates are decimal strings (``"19"``). Timestamps look like Shopware's
``2025-11-24T16:00:00.000+00:00``.

Associations (PLATFORMS 3.4 criteria): an order's to-many associations ``lineItems``,
``deliveries`` and ``transactions`` are ``null`` unless the read asks for them (``associations``
in the criteria), as Shopware's DAL loads no to-many association by default; the to-one
``stateMachineState``, ``orderCustomer`` and ``currency`` are always loaded (*).
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mocks.common.money import fmt
from mocks.shopware.constants import LIVE_VERSION_ID, ORDER_STATES, stable_id
from mocks.shopware.records import (
    CalculatedTax,
    Customer,
    Delivery,
    LineItem,
    OrderData,
    Product,
    Promotion,
    Tax,
    Transaction,
)

ORDER_TO_MANY = ("lineItems", "deliveries", "transactions")


def iso(ts: float | None) -> str | None:
    """Shopware's timestamp format, or None."""
    if ts is None:
        return None
    dt = datetime.fromtimestamp(ts, tz=UTC)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}+00:00"


def rate(value: Decimal) -> str:
    """A tax rate without trailing zeros: ``"19"``, ``"7.5"``."""
    text = format(value.normalize(), "f")
    return text


def taxes(items: list[CalculatedTax]) -> list[dict[str, str]]:
    """``calculatedTaxes``."""
    return [{"tax": fmt(t.tax), "taxRate": rate(t.tax_rate), "price": fmt(t.price)} for t in items]


def tax_rules(items: list[CalculatedTax]) -> list[dict[str, str]]:
    """``taxRules``: the rates with their share of the amount in percent."""
    total = sum((t.price for t in items), Decimal(0))
    rules = []
    for t in items:
        share = Decimal(100) if total == 0 else (t.price / total * 100).quantize(Decimal("0.01"))
        rules.append({"taxRate": rate(t.tax_rate), "percentage": rate(share)})
    return rules


def calculated_price(
    unit: Decimal, quantity: int, total: Decimal, items: list[CalculatedTax]
) -> dict[str, Any]:
    """A ``CalculatedPrice`` object."""
    return {
        "unitPrice": fmt(unit),
        "quantity": quantity,
        "totalPrice": fmt(total),
        "calculatedTaxes": taxes(items),
        "taxRules": tax_rules(items),
    }


def state_resource(technical_name: str) -> dict[str, Any]:
    """A ``stateMachineState`` (ids are stable per state)."""
    return {
        "id": stable_id(f"state:{technical_name}"),
        "technicalName": technical_name,
        "name": ORDER_STATES.get(technical_name, technical_name.replace("_", " ").title()),
    }


def product_resource(p: Product) -> dict[str, Any]:
    """``product``; a variant shows null for what it inherits (no ``sw-inheritance``)."""
    return {
        "id": p.id,
        "versionId": LIVE_VERSION_ID,
        "parentId": p.parent_id,
        "productNumber": p.product_number,
        "name": p.name or None,
        "stock": p.stock,
        "availableStock": p.stock,
        "available": (not p.is_closeout) or p.stock > 0,
        "isCloseout": p.is_closeout,
        "active": p.active,
        "price": [
            {
                "currencyId": e.currency_id,
                "gross": fmt(e.gross),
                "net": fmt(e.net),
                "linked": e.linked,
            }
            for e in p.price
        ]
        or None,
        "taxId": p.tax_id or None,
        "options": [dict(o) for o in p.options],
        "sales": p.sales,
        "customFields": p.custom_fields,
        "createdAt": iso(p.created_ts),
        "updatedAt": iso(p.updated_ts),
    }


def customer_resource(c: Customer) -> dict[str, Any]:
    """``customer``."""
    return {
        "id": c.id,
        "customerNumber": c.customer_number,
        "email": c.email,
        "firstName": c.first_name,
        "lastName": c.last_name,
        "guest": c.guest,
        "active": c.active,
        "customFields": c.custom_fields,
        "createdAt": iso(c.created_ts),
        "updatedAt": iso(c.updated_ts),
    }


def line_resource(li: LineItem, order: OrderData) -> dict[str, Any]:
    """``order_line_item``."""
    return {
        "id": li.id,
        "versionId": order.version_id,
        "orderId": order.id,
        "orderVersionId": order.version_id,
        "identifier": li.identifier,
        "referencedId": li.referenced_id,
        "productId": li.product_id,
        "parentId": li.parent_id,
        "type": li.type,
        "label": li.label,
        "quantity": li.quantity,
        "unitPrice": fmt(li.unit_price),
        "totalPrice": fmt(li.total_price),
        "price": calculated_price(li.unit_price, li.quantity, li.total_price, li.taxes),
        "payload": dict(li.payload),
        "good": li.good,
        "removable": li.type != "container" or li.parent_id is None,
        "stackable": li.type == "product",
        "position": li.position,
        "createdAt": iso(li.created_ts),
        "updatedAt": iso(li.updated_ts),
    }


def delivery_resource(d: Delivery, order: OrderData) -> dict[str, Any]:
    """``order_delivery``."""
    return {
        "id": d.id,
        "versionId": order.version_id,
        "orderId": order.id,
        "orderVersionId": order.version_id,
        "shippingMethodId": stable_id(f"shipping:{d.shipping_method}"),
        "shippingMethod": {"technicalName": d.shipping_method},
        "shippingCosts": calculated_price(d.shipping_costs, 1, d.shipping_costs, d.taxes),
        "stateId": stable_id(f"state:delivery:{d.state}"),
        "stateMachineState": {"technicalName": d.state},
        "trackingCodes": list(d.tracking_codes),
    }


def transaction_resource(t: Transaction, order: OrderData) -> dict[str, Any]:
    """``order_transaction``."""
    return {
        "id": t.id,
        "versionId": order.version_id,
        "orderId": order.id,
        "orderVersionId": order.version_id,
        "paymentMethodId": stable_id(f"payment:{t.payment_method}"),
        "amount": calculated_price(t.amount, 1, t.amount, t.taxes),
        "stateId": stable_id(f"state:transaction:{t.state}"),
        "stateMachineState": {"technicalName": t.state},
    }


def order_resource(o: OrderData, *, associations: Collection[str] | None) -> dict[str, Any]:
    """``order``; ``associations=None`` loads every association (ground truth and search)."""
    every = associations is None
    price = {
        "netPrice": fmt(o.amount_net),
        "totalPrice": fmt(o.amount_total),
        "positionPrice": fmt(o.position_price),
        "rawTotal": fmt(o.amount_total),
        "taxStatus": "gross",
        "calculatedTaxes": taxes(o.taxes),
        "taxRules": tax_rules(o.taxes),
    }
    shipping_taxes = o.delivery.taxes
    body: dict[str, Any] = {
        "id": o.id,
        "versionId": o.version_id,
        "orderNumber": o.order_number,
        "orderDateTime": iso(o.order_ts),
        "orderDate": (iso(o.order_ts) or "")[:10],
        "currencyId": o.currency_id,
        "currency": {"id": o.currency_id, "isoCode": o.currency_iso},
        "price": price,
        "amountTotal": fmt(o.amount_total),
        "amountNet": fmt(o.amount_net),
        "positionPrice": fmt(o.position_price),
        "taxStatus": "gross",
        "shippingTotal": fmt(o.shipping_total),
        "shippingCosts": calculated_price(o.shipping_total, 1, o.shipping_total, shipping_taxes),
        "stateId": stable_id(f"state:{o.state}"),
        "stateMachineState": state_resource(o.state),
        "orderCustomer": {
            "id": o.customer.id,
            "customerId": o.customer.customer_id,
            "email": o.customer.email,
            "firstName": o.customer.first_name,
            "lastName": o.customer.last_name,
            "customerNumber": o.customer.customer_number,
        },
        "customerComment": o.customer_comment,
        "affiliateCode": o.affiliate_code,
        "campaignCode": o.campaign_code,
        "customFields": o.custom_fields,
        "createdAt": iso(o.created_ts),
        "updatedAt": iso(o.updated_ts),
    }
    wanted = set(ORDER_TO_MANY) if every else set(associations or ())
    body["lineItems"] = (
        [line_resource(li, o) for li in o.line_items] if "lineItems" in wanted else None
    )
    body["deliveries"] = [delivery_resource(o.delivery, o)] if "deliveries" in wanted else None
    body["transactions"] = (
        [transaction_resource(o.transaction, o)] if "transactions" in wanted else None
    )
    return body


def tax_resource(t: Tax) -> dict[str, Any]:
    """``tax``."""
    return {"id": t.id, "name": t.name, "taxRate": rate(t.rate)}


def currency_resource(currency_id: str, iso_code: str) -> dict[str, Any]:
    """``currency`` (the shop's one currency)."""
    return {"id": currency_id, "isoCode": iso_code, "factor": "1", "isSystemDefault": True}


def promotion_resource(p: Promotion) -> dict[str, Any]:
    """``promotion`` (a single code with one cart discount)."""
    return {
        "id": p.id,
        "name": p.name,
        "active": p.active,
        "useCodes": True,
        "code": p.code,
        "discounts": [{"scope": "cart", "type": p.discount_type, "value": fmt(p.value)}],
    }
