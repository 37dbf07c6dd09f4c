"""Regression (found by schemathesis, issue 9): amounts that are not decimal amounts, or too
large to round to cents, escaped as 500s. They are refused with the platform's 4xx."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mocks.common.money import MoneyError, loads_exact, round_cents, to_money
from mocks.serve import build_app
from mocks.shopware.fields import FieldProblem, money
from tests.contract.conftest import CREDENTIALS, process_config

SHOPIFY = {"X-Shopify-Access-Token": CREDENTIALS["shopify"]["access_token"]}
API = "/admin/api/2026-04"


@pytest.mark.parametrize("raw", ["1e999", "-1e16", "1000000000000000"])
def test_amounts_too_large_to_round_to_cents_are_money_errors(raw: str) -> None:
    with pytest.raises(MoneyError, match="out of range"):
        to_money(raw)
    with pytest.raises(FieldProblem):
        money(loads_exact(f'{{"a": {raw}}}'.encode())["a"])


def test_the_largest_amount_still_rounds_exactly() -> None:
    assert round_cents(to_money("999999999999999.994")) == Decimal("999999999999999.99")


def _shopify() -> tuple[Any, int]:
    app = build_app("shopify", process_config("shopify"))
    seed = {
        "locations": [{"name": "WH"}],
        "products": [{"sku": "S", "title": "S", "price": "12.50", "inventory": {"WH": 9}}],
    }
    assert _call(app, "POST", "/_mock/seed", seed).status_code == 200
    r = _call(app, "POST", "/_sim/checkout", {"lines": [{"sku": "S", "quantity": 2}]})
    assert r.status_code == 201, r.text
    return app, int(r.json()["order"]["id"])


def _call(app: Any, method: str, path: str, body: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as c:
            return await c.request(method, path, json=body, headers=SHOPIFY)

    return asyncio.run(go())


@pytest.mark.parametrize(
    ("refund", "field"),
    [
        ({"shipping": {"amount": "0*"}}, "shipping.amount"),
        ({"shipping": {"amount": "1e999"}}, "shipping.amount"),
        ({"transactions": [{"amount": "abc"}]}, "transactions.amount"),
    ],
)
def test_a_refund_with_a_bad_amount_is_a_422_naming_the_field(
    refund: dict[str, Any], field: str
) -> None:
    app, order_id = _shopify()
    r = _call(app, "POST", f"{API}/orders/{order_id}/refunds.json", {"refund": refund})
    assert r.status_code == 422, r.text
    assert field in r.json()["errors"]


def test_a_product_with_a_bad_price_is_a_422_and_creates_nothing() -> None:
    app, _ = _shopify()
    body = {"product": {"title": "New", "variants": [{"sku": "N1", "price": "abc"}]}}
    r = _call(app, "POST", f"{API}/products.json", body)
    assert r.status_code == 422, r.text
    assert "variants.price" in r.json()["errors"]
    # Nothing was registered: the same SKU can be created once the price is right.
    body["product"]["variants"][0]["price"] = "5.00"
    assert _call(app, "POST", f"{API}/products.json", body).status_code == 201
