"""Regression (found by schemathesis, issue 9): ``str.isdigit()`` is true for '¹' and '①',
which ``int()`` refuses, so an id like ``/_mock/webhooks/¹`` passed the check and crashed the
handler with a 500. The mocks check ids with ``str.isdecimal()`` (exactly what ``int()``
reads), and such an id is an unknown record or a bad parameter: a 4xx."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from mocks.serve import build_app
from tests.contract.conftest import CREDENTIALS, process_config

SHOPIFY = {"X-Shopify-Access-Token": CREDENTIALS["shopify"]["access_token"]}
SHOPLINE = {"Authorization": f"Bearer {CREDENTIALS['shopline']['access_token']}"}
ERP = {"Authorization": f"Bearer {CREDENTIALS['erp']['access_token']}"}
FULFIL = {"x-api-key": CREDENTIALS["fulfil"]["api_key"]}

CASES = [
    ("fulfil", "DELETE", "/_mock/webhooks/¹", {}),
    ("fulfil", "GET", "/api/v2/model/sale.sale/①", FULFIL),
    ("fulfil", "PUT", "/api/v2/model/sale.sale/²/write", FULFIL),
    ("shopify", "GET", "/admin/api/2026-04/orders/¹.json", SHOPIFY),
    ("shopify", "DELETE", "/admin/api/2026-04/webhooks/¹.json", SHOPIFY),
    (
        "shopify",
        "GET",
        "/admin/api/2026-04/shopify_payments/balance/transactions.json?payout_id=¹",
        SHOPIFY,
    ),
    ("shopline", "GET", "/admin/openapi/v20250301/orders/¹.json", SHOPLINE),
    ("shopline", "GET", "/admin/openapi/v20250301/orders.json?limit=¹", SHOPLINE),
    ("shopline", "GET", "/admin/openapi/v20250301/customers/¹.json", SHOPLINE),
    ("erp", "GET", "/services/rest/record/v1/salesOrder/¹", ERP),
    ("erp", "GET", "/services/rest/record/v1/customer/¹", ERP),
]


@pytest.mark.parametrize(("platform", "method", "path", "headers"), CASES)
def test_a_superscript_digit_id_is_a_4xx(
    platform: str, method: str, path: str, headers: dict[str, str]
) -> None:
    app = build_app(platform, process_config(platform))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as c:
            return await c.request(method, path, headers=headers, json={})

    r = asyncio.run(go())
    assert 400 <= r.status_code < 500, (r.status_code, r.text)
