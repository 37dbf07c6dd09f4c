"""SHOPLINE mock, the store: link pagination, catalogue (duplicate SKUs), multi-location stock.

In-process over httpx.ASGITransport on a virtual clock; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.shopline.api import create_app
from mocks.shopline.schemas import CheckoutLine, CheckoutRequest
from simclock import VirtualClock

TOKEN = "shpl_test"
SECRET = "app_secret"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
V = "/admin/openapi/v20250301"
SEED = {
    "locations": [{"name": "Warehouse"}, {"name": "Store"}],
    "products": [
        {
            "sku": "TEE",
            "title": "Tee",
            "price": "19.99",
            "inventory": {"Warehouse": 10, "Store": 2},
        },
        {"sku": "CAP", "title": "Cap", "price": "7.35", "inventory": {"Warehouse": 3}},
        {"sku": "TEE", "title": "Tee (outlet)", "price": "12.00", "inventory": {"Warehouse": 4}},
    ],
}

Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


def run(scenario: Scenario, *, settings: dict[str, Any] | None = None, **kwargs: Any) -> None:
    """Build a seeded app on a virtual clock and run ``scenario`` against it."""
    clock = VirtualClock()
    app = create_app(
        settings={"bucket_size": 10_000, **(settings or {})},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": SECRET},
        seed=42,
        **kwargs,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, app, clock)

    asyncio.run(main())


def next_link(response: httpx.Response, rel: str = "next") -> str | None:
    for part in response.headers.get("link", "").split(", "):
        if part.endswith(f'rel="{rel}"'):
            return str(part[1 : part.index(">")])
    return None


async def levels(client: httpx.AsyncClient) -> dict[tuple[str, str], int]:
    """(variant_id, location name) -> available, from ground truth."""
    state = (await client.get("/_mock/state")).json()
    names = {loc["id"]: loc["name"] for loc in state["locations"]}
    return {
        (row["variant_id"], names[row["location_id"]]): row["available"]
        for row in state["inventory_levels"]
    }


# -- pagination -------------------------------------------------------------------------------


def test_link_pagination_collects_every_order_once_with_limit_1000() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        model = app.state.model
        await client.post(
            "/_mock/seed",
            json={"products": [{"sku": "BULK", "price": "1.00", "inventory": {"Warehouse": 5000}}]},
        )
        for _ in range(2345):
            model.checkout(
                CheckoutRequest(lines=(CheckoutLine(sku="BULK", variant_id=None, quantity=1),))
            )
        url: str | None = f"{V}/orders.json?status=any&limit=1000"
        seen: list[str] = []
        sizes = []
        while url is not None:
            r = await client.get(url, headers=AUTH)
            assert r.status_code == 200
            sizes.append(len(r.json()["orders"]))
            seen += [o["id"] for o in r.json()["orders"]]
            url = next_link(r)
        assert sizes == [1000, 1000, 345]
        assert len(seen) == len(set(seen)) == 2345
        assert all(isinstance(i, str) for i in seen)
        assert seen == sorted(seen, key=int)
        assert set(seen) == {o["id"] for o in (await client.get("/_mock/state")).json()["orders"]}
        count = (await client.get(f"{V}/orders/count.json?status=any", headers=AUTH)).json()
        assert count == {"count": 2345}
        r = await client.get(f"{V}/orders.json?limit=1001", headers=AUTH)
        assert r.status_code == 400 and "1000" in r.json()["errors"]

    run(scenario)


def test_link_pages_keep_their_filters_and_go_back() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        cap = {"lines": [{"sku": "TEE", "quantity": 1}]}
        for _ in range(5):
            r = await client.post("/_sim/checkout", json=cap)
            assert r.status_code == 201
            clock.advance(10)
        ids = [o["id"] for o in (await client.get("/_mock/state")).json()["orders"]]
        since = f"since_id={ids[0]}&created_at_max=2025-11-24T16:00:30%2B00:00&limit=2"
        r = await client.get(f"{V}/orders.json?{since}", headers=AUTH)
        assert [o["id"] for o in r.json()["orders"]] == ids[1:3]
        assert next_link(r, "previous") is None
        nxt = next_link(r)
        assert nxt is not None and nxt.startswith("http://shop.test/admin/openapi/v20250301/")
        r2 = await client.get(nxt, headers=AUTH)
        assert [o["id"] for o in r2.json()["orders"]] == ids[3:4]  # created_at_max kept
        assert next_link(r2) is None
        back = await client.get(next_link(r2, "previous") or "", headers=AUTH)
        assert [o["id"] for o in back.json()["orders"]] == ids[1:3]
        count = await client.get(f"{V}/orders/count.json?{since}", headers=AUTH)
        assert count.json() == {"count": 3}
        mixed = await client.get(f"{nxt}&status=any", headers=AUTH)
        assert mixed.status_code == 400
        r = await client.get(f"{V}/orders/{ids[0]}.json", headers=AUTH)
        assert r.json()["order"]["id"] == ids[0]
        r = await client.get(f"{V}/orders/1.json", headers=AUTH)
        assert (r.status_code, r.json()) == (404, {"errors": "The order does not exist."})

    run(scenario)


# -- catalogue and inventory ------------------------------------------------------------------


def test_duplicate_skus_across_products_are_allowed_and_both_visible() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        products = (await client.get(f"{V}/products.json", headers=AUTH)).json()["products"]
        tees = [v for p in products for v in p["variants"] if v["sku"] == "TEE"]
        assert len(tees) == 2
        assert tees[0]["id"] != tees[1]["id"] and tees[0]["product_id"] != tees[1]["product_id"]
        assert [t["price"] for t in tees] == ["19.99", "12.00"]
        assert [t["inventory_quantity"] for t in tees] == [12, 4]
        state = (await client.get("/_mock/state")).json()
        rows = [r for r in state["inventory_levels"] if r["sku"] == "TEE" and r["available"]]
        assert len({r["variant_id"] for r in rows}) == 2
        # A SKU line takes the first variant; variant_id picks the other one.
        by_sku = await client.post(
            "/_sim/checkout", json={"lines": [{"sku": "TEE", "quantity": 1}]}
        )
        assert by_sku.json()["order"]["line_items"][0]["variant_id"] == tees[0]["id"]
        by_id = await client.post(
            "/_sim/checkout", json={"lines": [{"variant_id": tees[1]["id"], "quantity": 1}]}
        )
        line = by_id.json()["order"]["line_items"][0]
        assert (line["variant_id"], line["sku"], line["price"]) == (tees[1]["id"], "TEE", "12.00")
        now = await levels(client)
        assert (now[(tees[0]["id"], "Warehouse")], now[(tees[1]["id"], "Warehouse")]) == (9, 3)

    run(scenario)


def test_multi_location_set_and_adjust() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        locs = (await client.get(f"{V}/locations.json", headers=AUTH)).json()["locations"]
        wh, store = (loc["id"] for loc in locs)
        tee = (await client.get(f"{V}/products.json", headers=AUTH)).json()["products"][0][
            "variants"
        ][0]
        item = tee["inventory_item_id"]
        r = await client.post(
            f"{V}/inventory_levels/set.json",
            headers=AUTH,
            json={"inventory_item_id": item, "location_id": store, "available": 7},
        )
        level = r.json()["inventory_level"]
        assert (level["location_id"], level["available"], level["variant_id"]) == (
            store,
            7,
            tee["id"],
        )
        r = await client.post(
            f"{V}/inventory_levels/adjust.json",
            headers=AUTH,
            json={"inventory_item_id": item, "location_id": wh, "available_adjustment": -4},
        )
        assert r.json()["inventory_level"]["available"] == 6
        r = await client.post(
            f"{V}/inventory_levels/adjust.json",
            headers=AUTH,
            json={"inventory_item_id": item, "location_id": store, "available_adjustment": 5},
        )
        assert r.json()["inventory_level"]["available"] == 12
        only_store = await client.get(
            f"{V}/inventory_levels.json?inventory_item_ids={item}&location_ids={store}",
            headers=AUTH,
        )
        assert [lv["available"] for lv in only_store.json()["inventory_levels"]] == [12]
        now = await levels(client)
        assert (now[(tee["id"], "Warehouse")], now[(tee["id"], "Store")]) == (6, 12)
        # Checkout at a named location draws from that location only.
        r = await client.post(
            "/_sim/checkout", json={"lines": [{"sku": "TEE", "quantity": 12}], "location_id": store}
        )
        assert r.status_code == 201 and r.json()["order"]["location_id"] == store
        now = await levels(client)
        assert (now[(tee["id"], "Warehouse")], now[(tee["id"], "Store")]) == (6, 0)
        r = await client.post(
            f"{V}/inventory_levels/set.json",
            headers=AUTH,
            json={"inventory_item_id": item, "location_id": "999", "available": 1},
        )
        assert (r.status_code, r.json()) == (404, {"errors": "The location does not exist."})
        r = await client.post(
            f"{V}/inventory_levels/set.json",
            headers=AUTH,
            json={"inventory_item_id": item, "location_id": wh},
        )
        assert r.status_code == 400 and "available" in r.json()["errors"]

    run(scenario)
