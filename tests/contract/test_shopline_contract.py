"""SHOPLINE Open API contract: the same tests in-process and against a live server."""

from __future__ import annotations

from tests.contract.conftest import Target

V = "/admin/openapi/v20250301"
OLD = "/admin/openapi/v20230901"


def auth(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.credentials['access_token']}"}


def seed(target: Target) -> None:
    target.request(
        "POST",
        "/_mock/seed",
        json={
            "locations": [{"name": "WH"}],
            "products": [
                {"sku": "TEE", "title": "Tee", "price": "19.99", "inventory": {"WH": 20}},
                {"sku": "TEE", "title": "Tee (outlet)", "price": "12.00", "inventory": {"WH": 4}},
            ],
        },
    ).raise_for_status()


def test_bearer_token_required(shopline: Target) -> None:
    r = shopline.request("GET", f"{V}/orders/count.json")
    assert r.status_code == 401 and isinstance(r.json()["errors"], str)
    assert r.headers.get("traceId") or r.headers.get("traceid")


def test_leaky_bucket_40_at_4_per_second(shopline: Target) -> None:
    for _ in range(40):
        assert (
            shopline.request("GET", f"{V}/orders/count.json", headers=auth(shopline)).status_code
            == 200
        )
    r = shopline.request("GET", f"{V}/orders/count.json", headers=auth(shopline))
    assert r.status_code == 429 and r.json() == {"errors": "Too many request"}
    shopline.advance(0.25)  # one request leaks out at 4/s
    assert (
        shopline.request("GET", f"{V}/orders/count.json", headers=auth(shopline)).status_code == 200
    )


def test_duplicate_skus_are_allowed_and_ids_are_strings(shopline: Target) -> None:
    seed(shopline)
    products = shopline.request("GET", f"{V}/products.json", headers=auth(shopline)).json()
    variants = [v for p in products["products"] for v in p["variants"]]
    assert [v["sku"] for v in variants] == ["TEE", "TEE"]
    assert all(isinstance(v["id"], str) for v in variants)


def test_updated_at_is_spelt_update_at_on_old_versions(shopline: Target) -> None:
    seed(shopline)
    r = shopline.request(
        "POST",
        "/_sim/checkout",
        json={"lines": [{"sku": "TEE", "quantity": 1}], "phone": "+15550001"},
    )
    assert r.status_code == 201
    new = shopline.request("GET", f"{V}/orders.json?status=any", headers=auth(shopline))
    old = shopline.request("GET", f"{OLD}/orders.json?status=any", headers=auth(shopline))
    assert "updated_at" in new.json()["orders"][0] and "update_at" not in new.json()["orders"][0]
    assert "update_at" in old.json()["orders"][0] and "updated_at" not in old.json()["orders"][0]


def test_link_pagination_and_count_agree(shopline: Target) -> None:
    seed(shopline)
    for i in range(5):
        shopline.request(
            "POST",
            "/_sim/checkout",
            json={"lines": [{"sku": "TEE", "quantity": 1}], "email": f"b{i}@example.com"},
        ).raise_for_status()
    seen: list[str] = []
    url = f"{V}/orders.json?status=any&limit=2"
    while url:
        r = shopline.request("GET", url, headers=auth(shopline))
        seen.extend(o["id"] for o in r.json()["orders"])
        url = r.links.get("next", {}).get("url", "")
    assert len(seen) == 5 == len(set(seen))
    count = shopline.request("GET", f"{V}/orders/count.json?status=any", headers=auth(shopline))
    assert count.json()["count"] == 5
