"""``POST /_mock/seed`` for the Shopware 6 mock: taxes, products, customers, promotions, webhooks.

Body (the shape of the other mocks' seeds, in Shopware's field names)::

    {"taxes": [{"name": "Reduced rate", "taxRate": "7"}],
     "products": [{"productNumber": "TEE", "name": "Tee", "stock": 25, "price": "19.99"},
                  {"productNumber": "TEE-M", "parentNumber": "TEE", "stock": 5,
                   "options": [{"group": "Size", "option": "M"}]},
                  {"productNumber": "LAST", "name": "Last pieces", "stock": 3,
                   "price": "49.00", "isCloseout": true, "taxRate": "7"}],
     "customers": [{"email": "a@example.com", "firstName": "Ada", "lastName": "Lovelace"}],
     "promotions": [{"code": "FLASH10", "name": "Flash sale", "type": "percentage",
                     "value": "10"},
                    {"code": "FIVEOFF", "type": "absolute", "value": "5.00"}],
     "webhooks": [{"event": "order.written", "url": "http://engine/webhooks/shopware",
                   "onlyLiveVersion": true}]}

``price`` is the gross price in the shop's currency (net is derived at the product's tax
rate) or Shopware's full list ``[{"currencyId", "gross", "net", "linked"}]``. ``taxRate``
picks (or creates) a tax with that rate; default the standard rate. ``parentNumber`` makes a
variant that inherits name, price and tax from its parent. ``id`` may be given (32-hex) for
deterministic ids. Products go through the same validation as the Admin API; seeding sends
no webhooks. The answer lists every created id by productNumber / e-mail / code.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.admin import SeedError
from mocks.common.money import round_cents, to_money
from mocks.shopware.catalog import UnitOfWork
from mocks.shopware.errors import ShopwareError, WriteViolations
from mocks.shopware.records import Promotion, Tax
from mocks.shopware.writes import write_customer, write_product

if TYPE_CHECKING:
    from mocks.shopware.models import ShopwareModel

PROMOTION_TYPES = ("percentage", "absolute")


def _tax_for(model: ShopwareModel, raw: Any) -> Tax:
    if raw is None:
        return model.catalog.taxes[model.settings.standard_tax_id]
    rate = to_money(raw, field="taxRate")
    for tax in model.catalog.taxes.values():
        if tax.rate == rate:
            return tax
    tax = Tax(id=model.ids.new(), name=f"{rate} %", rate=rate)
    model.catalog.taxes[tax.id] = tax
    return tax


def _product_payload(model: ShopwareModel, raw: dict[str, Any]) -> dict[str, Any]:
    payload = {k: v for k, v in raw.items() if k not in ("price", "taxRate", "parentNumber")}
    parent_number = raw.get("parentNumber")
    if parent_number is not None:
        parent = model.catalog.product_by_number(str(parent_number))
        if parent is None:
            raise SeedError(f"{raw.get('productNumber')}: unknown parentNumber {parent_number!r}")
        payload["parentId"] = parent.id
    if raw.get("taxRate") is not None or (parent_number is None and "taxId" not in raw):
        payload["taxId"] = _tax_for(model, raw.get("taxRate")).id
    price = raw.get("price")
    if isinstance(price, (str, int, Decimal)) and not isinstance(price, bool):
        gross = round_cents(to_money(price, field=f"{raw.get('productNumber')}.price"))
        tax_id = payload.get("taxId") or model.catalog.products[payload["parentId"]].tax_id
        rate = model.catalog.taxes[tax_id].rate
        net = round_cents(gross / (1 + rate / 100))
        payload["price"] = [
            {"currencyId": model.settings.currency_id, "gross": gross, "net": net, "linked": True}
        ]
    elif price is not None:
        payload["price"] = price
    return payload


def _explain(exc: ShopwareError) -> str:
    return "; ".join(
        f"{e.get('source', {}).get('pointer', '')}: {e['detail']}" for e in exc.errors()
    )


def _objects(payload: dict[str, Any], key: str) -> list[dict[str, Any]]:
    items = payload.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise SeedError(f"{key} must be a list of objects")
    return items


def seed_shop(model: ShopwareModel, payload: dict[str, Any]) -> dict[str, Any]:
    """Apply ``payload`` (see the module docstring); SeedError names what is wrong."""
    for raw in _objects(payload, "taxes"):
        if raw.get("taxRate") is None:
            raise SeedError("a tax needs a taxRate")
        _tax_for(model, raw["taxRate"])
    ctx = model.write_context()
    products = []
    for raw in _objects(payload, "products"):
        try:
            result = write_product(
                model.catalog,
                _product_payload(model, raw),
                pointer="",
                mode="create",
                uow=UnitOfWork(model.catalog),
                ctx=ctx,
            )
        except WriteViolations as exc:
            raise SeedError(f"product {raw.get('productNumber')!r}: {_explain(exc)}") from None
        products.append({"productNumber": raw["productNumber"], "id": result.id})
    customers = []
    for raw in _objects(payload, "customers"):
        body = {"firstName": "Seeded", "lastName": "Customer", **raw}
        try:
            result = write_customer(
                model.catalog,
                body,
                pointer="",
                mode="create",
                uow=UnitOfWork(model.catalog),
                ctx=ctx,
            )
        except WriteViolations as exc:
            raise SeedError(f"customer {raw.get('email')!r}: {_explain(exc)}") from None
        customers.append({"email": raw.get("email"), "id": result.id})
    promotions = []
    for raw in _objects(payload, "promotions"):
        code, kind = raw.get("code"), raw.get("type", "percentage")
        if not isinstance(code, str) or not code:
            raise SeedError(f"a promotion needs a code, got {code!r}")
        if kind not in PROMOTION_TYPES:
            raise SeedError(f"promotion {code}: type must be percentage or absolute")
        value = to_money(raw.get("value"), field=f"promotion {code}.value")
        if value <= 0 or (kind == "percentage" and value > 100):
            raise SeedError(f"promotion {code}: value out of range")
        promotion = Promotion(
            id=raw.get("id") or model.ids.new(),
            name=str(raw.get("name") or code),
            code=code,
            discount_type=kind,
            value=value,
        )
        model.promotions[code.casefold()] = promotion
        promotions.append({"code": code, "id": promotion.id})
    webhooks = []
    for raw in _objects(payload, "webhooks"):
        try:
            sub = model.notifier.subscribe(
                event=str(raw.get("event")),
                url=str(raw.get("url")),
                name=raw.get("name"),
                only_live_version=bool(raw.get("onlyLiveVersion", False)),
            )
        except ShopwareError as exc:
            raise SeedError(exc.detail) from None
        webhooks.append({"event": sub.event, "url": sub.url, "id": sub.id})
    return {
        "currencyId": model.settings.currency_id,
        "taxes": [{"id": t.id, "taxRate": str(t.rate)} for t in model.catalog.taxes.values()],
        "products": products,
        "customers": customers,
        "promotions": promotions,
        "webhooks": webhooks,
    }
