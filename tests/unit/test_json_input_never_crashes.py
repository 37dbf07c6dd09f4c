"""Regression (found by schemathesis-style fuzzing, issue 9): JSON nested past the recursion
limit and lone UTF-16 surrogate escapes used to escape the mocks' parsers as 500s. They are
bad input: each platform answers 400 in its own error shape."""

from __future__ import annotations

import asyncio
import base64
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mocks.common import jsonsafe
from mocks.common.money import loads_exact
from mocks.serve import build_app
from tests.contract.conftest import CREDENTIALS, process_config

DEEP = b"[" * 5000 + b"]" * 5000
SURROGATE = b'{"\\ud800": 1, "lines": "\\udfff"}'


def test_too_deep_and_lone_surrogates_are_decode_errors() -> None:
    for raw in (DEEP, SURROGATE, DEEP.decode()):
        with pytest.raises(json.JSONDecodeError):
            jsonsafe.loads(raw)
    with pytest.raises(ValueError):
        loads_exact(DEEP)


def test_valid_json_is_unchanged_including_surrogate_pairs() -> None:
    assert jsonsafe.loads(b'{"e": "\\ud83d\\ude00", "n": [1, [2]]}') == {"e": "😀", "n": [1, [2]]}
    assert loads_exact(b'{"price": 19.99}') == {"price": Decimal("19.99")}
    assert jsonsafe.loads(b"[" * 200 + b"]" * 200) is not None


def _send(platform: str, method: str, path: str, body: bytes, headers: dict[str, str]) -> Any:
    app = build_app(platform, process_config(platform))

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as c:
            return await c.request(
                method, path, content=body, headers={**headers, "content-type": "application/json"}
            )

    return asyncio.run(go())


SHOPIFY = {"X-Shopify-Access-Token": CREDENTIALS["shopify"]["access_token"]}
SHOPLINE = {"Authorization": f"Bearer {CREDENTIALS['shopline']['access_token']}"}
ERP = {"Authorization": f"Bearer {CREDENTIALS['erp']['access_token']}"}
FULFIL = {"x-api-key": CREDENTIALS["fulfil"]["api_key"]}

CASES = [
    ("shopify", "POST", "/admin/api/2026-04/inventory_levels/set.json", SHOPIFY, "errors"),
    ("shopify", "POST", "/admin/api/2026-04/graphql.json", SHOPIFY, "errors"),
    ("shopify", "POST", "/_sim/checkout", {}, "error"),
    ("shopline", "POST", "/admin/openapi/v20250301/webhooks.json", SHOPLINE, "errors"),
    ("shopware", "POST", "/_sim/checkout", {}, "errors"),
    ("fulfil", "PUT", "/api/v2/model/product.product/search_read", FULFIL, "message"),
    ("erp", "PUT", "/services/rest/record/v1/salesOrder/eid:shopify-1", ERP, "o:errorDetails"),
    ("erp", "POST", "/_mock/faults", {}, None),
]


@pytest.mark.parametrize("body", [DEEP, SURROGATE], ids=["deep", "surrogate"])
@pytest.mark.parametrize(("platform", "method", "path", "headers", "key"), CASES)
def test_mocks_answer_400_in_their_own_shape(
    platform: str, method: str, path: str, headers: dict[str, str], key: str | None, body: bytes
) -> None:
    r = _send(platform, method, path, body, headers)
    assert r.status_code == 400, r.text
    if key is not None:
        assert key in r.json(), r.text


def test_a_page_info_cursor_nested_too_deep_is_a_400() -> None:
    token = base64.urlsafe_b64encode(DEEP).decode().rstrip("=")
    path = f"/admin/api/2026-04/orders.json?page_info={token}"
    r = _send("shopify", "GET", path, b"", SHOPIFY)
    assert r.status_code == 400, r.text
    assert "errors" in r.json()
