"""Shopware 6 Admin API contract: the same tests in-process and against a live server.

Each test names the quirk a connector must survive. Time moves only through ``advance``; the
webhook test runs a real HTTP receiver, because both modes deliver over a socket.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from tests.contract.conftest import Target

HEX32 = set("0123456789abcdef")
LIVE = "0fa91ce3e96a4bc2be4bd9ce752c3425"


def token(target: Target, *, form: bool = False) -> str:
    creds = {
        "grant_type": "client_credentials",
        "client_id": target.credentials["client_id"],
        "client_secret": target.credentials["client_secret"],
    }
    r = (
        target.request("POST", "/api/oauth/token", data=creds)
        if form
        else target.request("POST", "/api/oauth/token", json=creds)
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 600
    return str(body["access_token"])


def auth(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(target)}"}


def seed(target: Target, **extra: Any) -> dict[str, str]:
    body = {
        "products": [
            {"productNumber": "TEE", "name": "Tee", "stock": 10, "price": "19.99"},
            {"productNumber": "CAP", "name": "Cap", "stock": 4, "price": "7.35"},
            {
                "productNumber": "LAST",
                "name": "Last pieces",
                "stock": 2,
                "price": "49.00",
                "isCloseout": True,
                "taxRate": "7",
            },
            {"productNumber": "SHIRT", "name": "Shirt", "stock": 0, "price": "25.00"},
            {
                "productNumber": "SHIRT-M",
                "parentNumber": "SHIRT",
                "stock": 5,
                "options": [{"group": "Size", "option": "M"}],
            },
        ],
        "promotions": [{"code": "FLASH10", "name": "Flash sale", "value": "10"}],
        **extra,
    }
    r = target.request("POST", "/_mock/seed", json=body)
    assert r.status_code == 200, r.text
    return {p["productNumber"]: p["id"] for p in r.json()["products"]}


def checkout(target: Target, **body: Any) -> dict[str, Any]:
    r = target.request("POST", "/_sim/checkout", json=body)
    assert r.status_code == 201, r.text
    return dict(r.json()["order"])


def stock(target: Target, number: str) -> int:
    products = target.request("GET", "/_mock/state").json()["products"]
    return int(next(p["stock"] for p in products if p["productNumber"] == number))


def money(value: str) -> Decimal:
    return Decimal(value)


# -- auth ---------------------------------------------------------------------------------------


def test_token_expires_after_600_seconds_and_a_new_one_works(shopware: Target) -> None:
    headers = {"Authorization": f"Bearer {token(shopware, form=True)}"}
    assert shopware.request("GET", "/api/product", headers=headers).status_code == 200
    shopware.advance(599)
    assert shopware.request("GET", "/api/product", headers=headers).status_code == 200
    shopware.advance(1)
    r = shopware.request("GET", "/api/product", headers=headers)
    assert r.status_code == 401
    error = r.json()["errors"][0]
    assert error["status"] == "401" and error["code"] == "9"
    assert shopware.request("GET", "/api/product", headers=auth(shopware)).status_code == 200
    assert shopware.request("GET", "/api/product").status_code == 401


def test_token_route_allows_10_per_minute_then_429_with_seconds(shopware: Target) -> None:
    for _ in range(10):
        token(shopware)
    shopware.advance(20)
    r = shopware.request(
        "POST",
        "/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": shopware.credentials["client_id"],
            "client_secret": shopware.credentials["client_secret"],
        },
    )
    assert r.status_code == 429
    error = r.json()["errors"][0]
    seconds = error["meta"]["parameters"]["seconds"]
    assert error["code"] == "FRAMEWORK__RATE_LIMIT_EXCEEDED" and error["status"] == "429"
    assert seconds == 40 and r.headers["Retry-After"] == "40"
    assert error["detail"] == "Too many requests, try again in 40 seconds."
    shopware.advance(seconds)
    token(shopware)
    stats = shopware.request("GET", "/_mock/stats").json()
    assert stats["oauth"]["throttled"] == 1 and stats["throttled"] == 1


def test_bad_client_secret_and_grant_type(shopware: Target) -> None:
    r = shopware.request(
        "POST",
        "/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "SWIACONTRACT",
            "client_secret": "no",
        },
    )
    assert r.status_code == 401 and r.json()["errors"][0]["code"] == "4"
    r = shopware.request("POST", "/api/oauth/token", data={"grant_type": "password"})
    assert r.status_code == 400 and r.json()["errors"][0]["code"] == "2"


def test_revoked_tokens_get_401_and_fresh_credentials_still_work(shopware: Target) -> None:
    headers = auth(shopware)
    assert shopware.request("POST", "/_mock/revoke").status_code == 200
    assert shopware.request("GET", "/api/order", headers=headers).status_code == 401
    assert shopware.request("GET", "/api/order", headers=auth(shopware)).status_code == 200


# -- errors -------------------------------------------------------------------------------------


def test_errors_carry_string_status_code_and_pointer(shopware: Target) -> None:
    headers = auth(shopware)
    r = shopware.request("POST", "/api/product", headers=headers, json={"stock": "many"})
    assert r.status_code == 400
    errors = r.json()["errors"]
    assert all(e["status"] == "400" and isinstance(e["status"], str) for e in errors)
    pointers = {e["source"]["pointer"]: e["code"] for e in errors}
    assert pointers["/stock"] == "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION"
    assert {"/productNumber", "/name", "/price", "/taxId"} <= set(pointers)
    r = shopware.request(
        "POST",
        "/api/search/product",
        headers={**headers, "Content-Type": "application/json"},
        content=b'{"limit": 1,',
    )
    assert r.status_code == 400 and r.json()["errors"][0] == {
        "code": "0",
        "status": "400",
        "title": "Bad Request",
        "detail": "The JSON payload is malformed.",
        "meta": {"parameters": {}},
    }
    missing = "0" * 32
    r = shopware.request("GET", f"/api/product/{missing}", headers=headers)
    error = r.json()["errors"][0]
    assert r.status_code == 404 and error["status"] == "404"
    assert error["code"] == "FRAMEWORK__RESOURCE_NOT_FOUND"
    assert error["meta"]["parameters"]["primaryKey"] == {"id": missing}
    r = shopware.request("GET", "/api/no-such-entity", headers=headers)
    assert r.status_code == 404
    assert r.json()["errors"][0]["code"] == "FRAMEWORK__DEFINITION_NOT_FOUND"


# -- search -------------------------------------------------------------------------------------


def numbers(response: httpx.Response) -> list[str]:
    assert response.status_code == 200, response.text
    return [p["productNumber"] for p in response.json()["data"]]


def test_search_filters_sort_ids_and_pages(shopware: Target) -> None:
    ids = seed(shopware)
    headers = auth(shopware)

    def search(**criteria: Any) -> httpx.Response:
        return shopware.request("POST", "/api/search/product", headers=headers, json=criteria)

    sort = [{"field": "productNumber", "order": "ASC"}]
    r = search(filter=[{"type": "equalsAny", "field": "productNumber", "value": ["CAP", "TEE"]}])
    assert sorted(numbers(r)) == ["CAP", "TEE"]
    assert numbers(
        search(filter=[{"type": "contains", "field": "name", "value": "SHIRT"}], sort=sort)
    ) == ["SHIRT"]
    stocked = search(
        filter=[{"type": "range", "field": "stock", "parameters": {"gte": 4, "lt": 10}}], sort=sort
    )
    assert numbers(stocked) == ["CAP", "SHIRT-M"]
    either = search(
        filter=[
            {
                "type": "multi",
                "operator": "OR",
                "queries": [
                    {"type": "equals", "field": "isCloseout", "value": True},
                    {"type": "equals", "field": "product.stock", "value": 0},
                ],
            }
        ],
        sort=sort,
    )
    assert numbers(either) == ["LAST", "SHIRT"]
    others = search(
        filter=[
            {
                "type": "not",
                "queries": [{"type": "prefix", "field": "productNumber", "value": "SH"}],
            }
        ],
        sort=[{"field": "stock", "order": "DESC"}],
    )
    assert numbers(others) == ["TEE", "CAP", "LAST"]
    page = search(sort=sort, limit=2, page=2, **{"total-count-mode": 1})
    assert numbers(page) == ["SHIRT", "SHIRT-M"] and page.json()["total"] == 5
    by_ids = search(ids=[ids["LAST"], ids["TEE"]])
    assert numbers(by_ids) == ["LAST", "TEE"]
    r = search(filter=[{"type": "equals", "field": "colour", "value": "red"}])
    assert r.status_code == 400
    assert r.json()["errors"][0]["code"] == "FRAMEWORK__UNMAPPED_FIELD"
    assert r.json()["errors"][0]["source"]["pointer"] == "/filter/0/field"
    listed = shopware.request(
        "GET", "/api/product?limit=2&page=3&sort=-stock&total-count-mode=1", headers=headers
    )
    assert numbers(listed) == ["SHIRT"] and listed.json()["total"] == 5
    assert listed.json()["aggregations"] == {}


def test_total_count_mode_none_exact_and_next_pages(shopware: Target) -> None:
    seed(
        shopware,
        taxes=[],
        customers=[{"email": f"c{i}@example.com"} for i in range(10)],
    )
    headers = auth(shopware)

    def total(**criteria: Any) -> int:
        r = shopware.request("POST", "/api/search/customer", headers=headers, json=criteria)
        assert r.status_code == 200, r.text
        return int(r.json()["total"])

    assert total(limit=1) == 1  # default mode 0: the rows on this page
    assert total(limit=1, **{"total-count-mode": 1}) == 10
    assert total(limit=1, **{"total-count-mode": 2}) == 7  # capped at limit * 6 + 1
    assert total(limit=1, page=8, **{"total-count-mode": "next-pages"}) == 3
    assert total(limit=4, page=3, **{"total-count-mode": "exact"}) == 10
    r = shopware.request(
        "POST", "/api/search/customer", headers=headers, json={"total-count-mode": 7}
    )
    assert (
        r.status_code == 400 and r.json()["errors"][0]["source"]["pointer"] == "/total-count-mode"
    )


# -- sync ---------------------------------------------------------------------------------------


def test_sync_upserts_by_id_and_deletes(shopware: Target) -> None:
    ids = seed(shopware)
    headers = auth(shopware)
    new_id = "a" * 32
    body = {
        "write-products": {
            "entity": "product",
            "action": "upsert",
            "payload": [
                {"id": ids["TEE"], "stock": 42},
                {
                    "id": new_id,
                    "productNumber": "NEW",
                    "name": "New",
                    "stock": 3,
                    "taxId": seed_tax(shopware, headers),
                    "price": [
                        {"currencyId": currency(shopware, headers), "gross": "9.99", "net": "8.39"}
                    ],
                },
            ],
        }
    }
    r = shopware.request("POST", "/api/_action/sync", headers=headers, json=body)
    assert r.status_code == 200, r.text
    result = r.json()
    assert result["success"] is True
    assert [x["entities"] for x in result["data"]["write-products"]["result"]] == [
        {"product": [ids["TEE"]]},
        {"product": [new_id]},
    ]
    assert stock(shopware, "TEE") == 42 and stock(shopware, "NEW") == 3
    listed = [{"key": "drop", "entity": "product", "action": "delete", "payload": [{"id": new_id}]}]
    r = shopware.request("POST", "/api/_action/sync", headers=headers, json=listed)
    assert r.status_code == 200 and r.json()["data"]["drop"]["result"][0]["entities"] == {
        "product": [new_id]
    }
    assert shopware.request("GET", f"/api/product/{new_id}", headers=headers).status_code == 404


def seed_tax(target: Target, headers: dict[str, str]) -> str:
    return str(target.request("GET", "/api/tax", headers=headers).json()["data"][0]["id"])


def currency(target: Target, headers: dict[str, str]) -> str:
    return str(target.request("GET", "/api/currency", headers=headers).json()["data"][0]["id"])


def test_sync_payload_limit_rejects_the_whole_request(shopware: Target) -> None:
    seed(shopware)
    headers = auth(shopware)
    tax, cur = seed_tax(shopware, headers), currency(shopware, headers)
    records = [
        {
            "productNumber": f"BULK-{i}",
            "name": "Bulk",
            "stock": 1,
            "taxId": tax,
            "price": [{"currencyId": cur, "gross": "1.00", "net": "0.84"}],
        }
        for i in range(501)
    ]
    body = {"bulk": {"entity": "product", "action": "upsert", "payload": records}}
    r = shopware.request("POST", "/api/_action/sync", headers=headers, json=body)
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["code"] == "FRAMEWORK__SYNC_PAYLOAD_TOO_LARGE"
    assert error["meta"]["parameters"] == {"count": 501, "limit": 500}
    count = shopware.request(
        "POST", "/api/search/product", headers=headers, json={"total-count-mode": 1, "limit": 1}
    )
    assert count.json()["total"] == 5
    body["bulk"]["payload"] = records[:500]
    assert (
        shopware.request("POST", "/api/_action/sync", headers=headers, json=body).status_code == 200
    )


def test_sync_fail_on_error_writes_nothing_and_points_at_the_record(shopware: Target) -> None:
    ids = seed(shopware)
    headers = auth(shopware)
    body = {
        "stock": {
            "entity": "product",
            "action": "upsert",
            "payload": [{"id": ids["TEE"], "stock": 1}],
        },
        "broken": {
            "entity": "product",
            "action": "upsert",
            "payload": [{"id": ids["CAP"], "stock": 2}, {"id": ids["LAST"], "stock": "x"}],
        },
    }
    r = shopware.request("POST", "/api/_action/sync", headers=headers, json=body)
    assert r.status_code == 400
    assert [e["source"]["pointer"] for e in r.json()["errors"]] == ["/broken/1/stock"]
    assert (stock(shopware, "TEE"), stock(shopware, "CAP")) == (10, 4)
    r = shopware.request(
        "POST", "/api/_action/sync", headers={**headers, "fail-on-error": "false"}, json=body
    )
    assert r.status_code == 200 and r.json()["success"] is False
    broken = r.json()["data"]["broken"]["result"]
    assert (
        broken[0]["errors"] == []
        and broken[1]["errors"][0]["source"]["pointer"] == "/broken/1/stock"
    )
    assert (stock(shopware, "TEE"), stock(shopware, "CAP")) == (1, 2)


# -- products -----------------------------------------------------------------------------------


def test_available_stock_is_write_protected(shopware: Target) -> None:
    ids = seed(shopware)
    headers = auth(shopware)
    r = shopware.request(
        "PATCH", f"/api/product/{ids['TEE']}", headers=headers, json={"availableStock": 99}
    )
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["source"]["pointer"] == "/availableStock" and "write-protected" in error["detail"]
    ok = shopware.request("PATCH", f"/api/product/{ids['TEE']}", headers=headers, json={"stock": 7})
    assert ok.status_code == 204 and ok.headers["Location"].endswith(f"/api/product/{ids['TEE']}")
    product = shopware.request("GET", f"/api/product/{ids['TEE']}", headers=headers).json()["data"]
    assert (product["stock"], product["availableStock"]) == (7, 7)


def test_closeout_stock_write_is_ignored_by_default_and_rejectable(shopware: Target) -> None:
    ids = seed(shopware)
    headers = auth(shopware)
    r = shopware.request(
        "PATCH", f"/api/product/{ids['LAST']}", headers=headers, json={"stock": 50}
    )
    assert r.status_code == 204 and stock(shopware, "LAST") == 2
    assert shopware.request("GET", "/_mock/stats").json()["closeout_stock_writes"]["ignored"] == 1
    switched = shopware.request("POST", "/_mock/settings", json={"closeout_stock_write": "reject"})
    assert switched.status_code == 200
    r = shopware.request(
        "PATCH", f"/api/product/{ids['LAST']}", headers=headers, json={"stock": 50}
    )
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["code"] == "CONTENT__PRODUCT_CLOSEOUT_STOCK_WRITE"
    assert error["source"]["pointer"] == "/stock" and stock(shopware, "LAST") == 2


# -- checkout and orders ------------------------------------------------------------------------


def test_closeout_refuses_oversell_while_normal_stock_goes_negative(shopware: Target) -> None:
    seed(shopware)
    r = shopware.request(
        "POST", "/_sim/checkout", json={"lines": [{"productNumber": "LAST", "quantity": 3}]}
    )
    assert r.status_code == 409
    assert r.json()["errors"][0]["meta"]["parameters"] == {
        "productNumber": "LAST",
        "requested": 3,
        "available": 2,
    }
    assert stock(shopware, "LAST") == 2
    checkout(shopware, lines=[{"productNumber": "TEE", "quantity": 12}])
    state = shopware.request("GET", "/_mock/state").json()
    assert state["oversold"] == {"TEE": 2}
    r = shopware.request(
        "POST", "/_sim/checkout", json={"lines": [{"productNumber": "NOPE", "quantity": 1}]}
    )
    assert (
        r.status_code == 422
        and r.json()["errors"][0]["source"]["pointer"] == "/lines/0/productNumber"
    )


def test_promotion_line_has_no_sku_and_amounts_add_up_exactly(shopware: Target) -> None:
    seed(shopware)
    order = checkout(
        shopware,
        lines=[{"productNumber": "TEE", "quantity": 2}, {"productNumber": "LAST", "quantity": 1}],
        promotion_code="FLASH10",
        custom_lines=[{"type": "custom", "label": "Gift wrap", "unitPrice": "2.50"}],
    )
    lines = order["lineItems"]
    promo = next(li for li in lines if li["type"] == "promotion")
    assert promo["productId"] is None and "productNumber" not in promo["payload"]
    assert promo["referencedId"] == "FLASH10" and money(promo["totalPrice"]) == Decimal("-8.90")
    top = [li for li in lines if li["parentId"] is None]
    assert money(order["positionPrice"]) == sum(money(li["totalPrice"]) for li in top)
    assert money(order["amountTotal"]) == money(order["positionPrice"]) + money(
        order["shippingTotal"]
    )
    taxes = sum(money(t["tax"]) for t in order["price"]["calculatedTaxes"])
    assert money(order["amountNet"]) == money(order["amountTotal"]) - taxes
    assert order["amountTotal"] == "87.57" and isinstance(order["amountTotal"], str)
    assert order["transactions"][0]["amount"]["totalPrice"] == order["amountTotal"]
    assert order["currency"]["isoCode"] == "EUR" and set(order["id"]) <= HEX32


def test_guest_checkouts_make_a_new_customer_each_time(shopware: Target) -> None:
    seed(shopware)
    line = [{"productNumber": "CAP", "quantity": 1}]
    first = checkout(shopware, lines=line, email="ann@example.com")
    second = checkout(shopware, lines=line, email="ann@example.com")
    assert first["orderCustomer"]["customerId"] != second["orderCustomer"]["customerId"]
    registered = [
        checkout(shopware, lines=line, email="bob@example.com", guest=False) for _ in range(2)
    ]
    assert (
        registered[0]["orderCustomer"]["customerId"] == registered[1]["orderCustomer"]["customerId"]
    )
    customers = shopware.request("GET", "/_mock/state").json()["customers"]
    assert sorted((c["email"], c["guest"]) for c in customers) == [
        ("ann@example.com", True),
        ("ann@example.com", True),
        ("bob@example.com", False),
    ]


def test_variant_lines_carry_configurator_options(shopware: Target) -> None:
    seed(shopware)
    order = checkout(
        shopware,
        lines=[{"productNumber": "SHIRT-M", "quantity": 1}],
        custom_lines=[
            {
                "type": "container",
                "label": "Bundle",
                "children": [{"productNumber": "CAP", "quantity": 2}],
            }
        ],
    )
    shirt = next(li for li in order["lineItems"] if li["payload"].get("productNumber") == "SHIRT-M")
    assert shirt["payload"]["options"] == [{"group": "Size", "option": "M"}]
    assert (shirt["label"], shirt["unitPrice"]) == ("Shirt", "25.00")
    bundle = next(li for li in order["lineItems"] if li["type"] == "container")
    child = next(li for li in order["lineItems"] if li["parentId"] == bundle["id"])
    assert (
        child["payload"]["productNumber"] == "CAP" and bundle["totalPrice"] == child["totalPrice"]
    )
    assert stock(shopware, "CAP") == 2


def test_order_reads_load_line_items_only_when_asked(shopware: Target) -> None:
    seed(shopware)
    order = checkout(shopware, lines=[{"productNumber": "TEE", "quantity": 1}])
    headers = auth(shopware)
    bare = shopware.request("GET", f"/api/order/{order['id']}", headers=headers).json()["data"]
    assert bare["lineItems"] is None and bare["orderCustomer"]["email"]
    full = shopware.request(
        "GET", f"/api/order/{order['id']}?associations[lineItems][]=", headers=headers
    ).json()["data"]
    assert [li["payload"]["productNumber"] for li in full["lineItems"]] == ["TEE"]
    found = shopware.request(
        "POST",
        "/api/search/order",
        headers=headers,
        json={
            "filter": [
                {"type": "equals", "field": "lineItems.payload.productNumber", "value": "TEE"}
            ],
            "associations": {"lineItems": {}, "deliveries": {}},
        },
    ).json()["data"]
    assert [o["id"] for o in found] == [order["id"]] and found[0]["deliveries"][0]["shippingCosts"]
    lines = shopware.request(
        "GET", f"/api/order-line-item?filter[orderId]={order['id']}", headers=headers
    ).json()["data"]
    assert [li["productId"] for li in lines] == [order["lineItems"][0]["productId"]]


def test_order_edits_go_through_a_version_and_merge(shopware: Target) -> None:
    seed(shopware)
    order = checkout(shopware, lines=[{"productNumber": "TEE", "quantity": 2}])
    headers = auth(shopware)
    line_id = order["lineItems"][0]["id"]
    r = shopware.request("POST", f"/api/_action/version/order/{order['id']}", headers=headers)
    version = r.json()["versionId"]
    assert r.status_code == 200 and version != LIVE and set(version) <= HEX32
    draft = {**headers, "sw-version-id": version}
    r = shopware.request(
        "PATCH",
        f"/api/order/{order['id']}",
        headers=draft,
        json={"lineItems": [{"id": line_id, "quantity": 5}]},
    )
    assert r.status_code == 204
    assoc = f"/api/order/{order['id']}?associations[lineItems][]="
    edited = shopware.request("GET", assoc, headers=draft).json()["data"]
    live = shopware.request("GET", assoc, headers=headers).json()["data"]
    assert (edited["versionId"], edited["lineItems"][0]["quantity"]) == (version, 5)
    assert edited["amountTotal"] == order["amountTotal"]  # stale until recalculated
    assert (live["versionId"], live["lineItems"][0]["quantity"]) == (LIVE, 2)
    assert stock(shopware, "TEE") == 8
    r = shopware.request("POST", f"/api/_action/order/{order['id']}/recalculate", headers=draft)
    assert r.status_code == 204
    recalculated = shopware.request("GET", assoc, headers=draft).json()["data"]
    assert recalculated["positionPrice"] == "99.95"
    r = shopware.request("POST", f"/api/_action/version/merge/order/{version}", headers=headers)
    assert r.status_code == 204
    merged = shopware.request("GET", assoc, headers=headers).json()["data"]
    assert (merged["versionId"], merged["lineItems"][0]["quantity"]) == (LIVE, 5)
    assert merged["positionPrice"] == "99.95" and stock(shopware, "TEE") == 5


def test_state_transitions_and_cancel_restores_stock(shopware: Target) -> None:
    seed(shopware)
    order = checkout(shopware, lines=[{"productNumber": "CAP", "quantity": 3}])
    headers = auth(shopware)
    base = f"/api/_action/order/{order['id']}/state"
    assert stock(shopware, "CAP") == 1
    r = shopware.request("POST", f"{base}/complete", headers=headers)
    assert r.status_code == 400
    error = r.json()["errors"][0]
    assert error["code"] == "SYSTEM__ILLEGAL_STATE_TRANSITION" and error["status"] == "400"
    assert error["meta"]["parameters"]["possibleTransitions"] == ["cancel", "process"]
    r = shopware.request("POST", f"{base}/process", headers=headers)
    assert r.json()["data"]["technicalName"] == "in_progress"
    shopware.request("POST", f"{base}/cancel", headers=headers).raise_for_status()
    assert stock(shopware, "CAP") == 4
    shopware.request("POST", f"{base}/reopen", headers=headers).raise_for_status()
    assert stock(shopware, "CAP") == 1
    got = shopware.request("GET", f"/api/order/{order['id']}", headers=headers).json()["data"]
    assert got["stateMachineState"]["technicalName"] == "open"
    missing = shopware.request(
        "POST", f"/api/_action/order/{'0' * 32}/state/cancel", headers=headers
    )
    assert (
        missing.status_code == 404
        and missing.json()["errors"][0]["code"] == "FRAMEWORK__ENTITY_NOT_FOUND"
    )


# -- webhooks -----------------------------------------------------------------------------------


class Receiver:
    """An app server on a real socket: answers 500 to the first ``fail_first`` requests."""

    def __init__(self, fail_first: int) -> None:
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.fail_first = fail_first
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append((dict(self.headers.items()), body))
                failing = len(receiver.requests) <= receiver.fail_first
                self.send_response(500 if failing else 200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, target: Target, count: int) -> None:
        """Drive due deliveries until ``count`` requests arrived (bounded wall-clock wait)."""
        deadline = time.monotonic() + 10
        while len(self.requests) < count:
            target.request("POST", "/_mock/webhooks/deliver").raise_for_status()
            if len(self.requests) >= count:
                break
            assert time.monotonic() < deadline, f"only {len(self.requests)} deliveries arrived"
            time.sleep(0.02)

    @staticmethod
    def wait_attempts(target: Target, attempts: int) -> None:
        """Wait until the mock has recorded ``attempts`` on every delivery (live mode answers
        the receiver before it books the outcome)."""
        deadline = time.monotonic() + 10
        while True:
            listed = target.request("GET", "/_mock/webhooks/deliveries").json()["deliveries"]
            if listed and all(d["attempts"] >= attempts for d in listed):
                return
            assert time.monotonic() < deadline, f"deliveries not settled: {listed}"
            time.sleep(0.02)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver(fail_first=1)
    yield server
    server.close()


def test_webhooks_are_signed_hex_carry_ids_only_and_keep_event_id(
    shopware: Target, receiver: Receiver
) -> None:
    seed(shopware)
    r = shopware.request(
        "POST", "/_mock/webhooks", json={"event": "order.written", "url": receiver.url}
    )
    assert r.status_code == 201
    order = checkout(shopware, lines=[{"productNumber": "TEE", "quantity": 1}])
    receiver.wait_for(shopware, 1)
    headers, body = receiver.requests[0]
    lower = {k.lower(): v for k, v in headers.items()}
    secret = shopware.credentials["webhook_secret"].encode()
    assert lower["shopware-shop-signature"] == hmac.new(secret, body, hashlib.sha256).hexdigest()
    assert lower["sw-version"] and lower["x-shopware-attempt"] == "0"
    message = json.loads(body)
    assert message["data"]["event"] == "order.written"
    assert message["data"]["payload"] == [
        {
            "entity": "order",
            "operation": "insert",
            "primaryKey": {"id": order["id"], "versionId": LIVE},
            "updatedFields": message["data"]["payload"][0]["updatedFields"],
        }
    ]
    assert lower["x-shopware-event-id"] == message["source"]["eventId"]
    receiver.wait_attempts(shopware, 1)
    shopware.advance(5)  # first retry of the outbox schedule
    receiver.wait_for(shopware, 2)
    retry_headers, retry_body = receiver.requests[1]
    retry = {k.lower(): v for k, v in retry_headers.items()}
    assert retry_body == body and retry["x-shopware-attempt"] == "1"
    assert retry["x-shopware-event-id"] == message["source"]["eventId"]
    assert retry["x-shopware-sequence"] == lower["x-shopware-sequence"]
    checkout(shopware, lines=[{"productNumber": "TEE", "quantity": 1}])
    receiver.wait_for(shopware, 3)
    receiver.wait_attempts(shopware, 1)
    third = {k.lower(): v for k, v in receiver.requests[2][0].items()}
    assert int(third["x-shopware-sequence"]) > int(lower["x-shopware-sequence"])
    assert third["x-shopware-event-id"] != message["source"]["eventId"]
    stats = shopware.request("GET", "/_mock/stats").json()["webhooks"]
    assert (stats["delivered"], stats["failed_attempts"]) == (2, 1)
