"""Shopify REST contract: the same tests in-process and against a live server."""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import Target

API = "/admin/api/2026-01"


def seed(target: Target, skus: int = 3, stock: int = 10) -> dict[str, Any]:
    body = {
        "locations": [{"name": "WH"}],
        "products": [
            {"sku": f"S-{i}", "title": f"P{i}", "price": "12.50", "inventory": {"WH": stock}}
            for i in range(skus)
        ],
    }
    response = target.request("POST", "/_mock/seed", json=body)
    response.raise_for_status()
    result: dict[str, Any] = response.json()
    return result


def auth(target: Target) -> dict[str, str]:
    return {"X-Shopify-Access-Token": target.credentials["access_token"]}


def test_admin_api_needs_the_access_token(shopify: Target) -> None:
    for headers in ({}, {"X-Shopify-Access-Token": "wrong"}):
        r = shopify.request("GET", f"{API}/orders/count.json", headers=headers)
        assert r.status_code == 401
        assert r.json() == {
            "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
        }


def test_leaky_bucket_40_at_2_per_second_exactly(shopify: Target) -> None:
    seed(shopify)
    for n in range(1, 41):
        r = shopify.request("GET", f"{API}/orders/count.json", headers=auth(shopify))
        assert r.status_code == 200
        assert r.headers["X-Shopify-Shop-Api-Call-Limit"] == f"{n}/40"
    r = shopify.request("GET", f"{API}/orders/count.json", headers=auth(shopify))
    assert r.status_code == 429
    assert r.headers["Retry-After"] == "2.0"
    assert r.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"
    assert "Exceeded 2 calls per second" in r.json()["errors"]
    shopify.advance(0.5)  # one call leaks out
    r = shopify.request("GET", f"{API}/orders/count.json", headers=auth(shopify))
    assert r.status_code == 200 and r.headers["X-Shopify-Shop-Api-Call-Limit"] == "40/40"


def test_unknown_version_falls_forward_to_the_oldest_supported(shopify: Target) -> None:
    r = shopify.request("GET", "/admin/api/2019-01/orders/count.json", headers=auth(shopify))
    assert r.status_code == 200
    supported = r.headers["X-Shopify-API-Version"]
    assert supported > "2019-01"
    r2 = shopify.request("GET", f"/admin/api/{supported}/orders/count.json", headers=auth(shopify))
    assert r2.headers["X-Shopify-API-Version"] == supported


def test_checkout_then_link_pagination_returns_every_order_once(shopify: Target) -> None:
    seed(shopify, skus=3, stock=50)
    for i in range(7):
        r = shopify.request(
            "POST",
            "/_sim/checkout",
            json={"lines": [{"sku": f"S-{i % 3}", "quantity": 1}], "email": f"c{i}@example.com"},
        )
        assert r.status_code == 201
    seen: list[int] = []
    url = f"{API}/orders.json?status=any&limit=3"
    while url:
        r = shopify.request("GET", url, headers=auth(shopify))
        assert r.status_code == 200
        seen.extend(o["id"] for o in r.json()["orders"])
        url = r.links.get("next", {}).get("url", "")
    assert len(seen) == 7 and len(set(seen)) == 7
    count = shopify.request("GET", f"{API}/orders/count.json?status=any", headers=auth(shopify))
    assert count.json() == {"count": 7}


def test_sold_out_basket_is_refused_whole(shopify: Target) -> None:
    seed(shopify, skus=2, stock=1)
    basket = {"lines": [{"sku": "S-0", "quantity": 1}, {"sku": "S-1", "quantity": 2}]}
    r = shopify.request("POST", "/_sim/checkout", json=basket)
    assert r.status_code == 409 and r.json()["sku"] == "S-1"
    levels = {
        lv["sku"]: lv["available"]
        for lv in shopify.request("GET", "/_mock/state").json()["inventory_levels"]
    }
    assert levels == {"S-0": 1, "S-1": 1}


def test_inventory_adjust_and_set(shopify: Target) -> None:
    ids = seed(shopify, skus=1, stock=10)
    item = ids["variants"][0]["inventory_item_id"]
    location = ids["locations"][0]["id"]
    r = shopify.request(
        "POST",
        f"{API}/inventory_levels/adjust.json",
        headers=auth(shopify),
        json={"location_id": location, "inventory_item_id": item, "available_adjustment": -3},
    )
    assert r.status_code == 200 and r.json()["inventory_level"]["available"] == 7
    r = shopify.request(
        "POST",
        f"{API}/inventory_levels/set.json",
        headers=auth(shopify),
        json={"location_id": location, "inventory_item_id": item, "available": 42},
    )
    assert r.json()["inventory_level"]["available"] == 42


def test_subscription_queues_an_orders_create_delivery(shopify: Target) -> None:
    seed(shopify, skus=1, stock=5)
    r = shopify.request(
        "POST",
        f"{API}/webhooks.json",
        headers=auth(shopify),
        json={
            "webhook": {
                "topic": "orders/create",
                "address": "http://127.0.0.1:9/hook",
                "format": "json",
            }
        },
    )
    assert r.status_code == 201
    listed = shopify.request("GET", f"{API}/webhooks.json", headers=auth(shopify)).json()
    assert [w["topic"] for w in listed["webhooks"]] == ["orders/create"]
    shopify.request("POST", "/_sim/checkout", json={"lines": [{"sku": "S-0", "quantity": 1}]})
    assert shopify.request("GET", "/_mock/stats").json()["webhooks"]["queued"] == 1
