"""Shopify mock over HTTP (in-process, httpx.ASGITransport) on a virtual clock."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from mocks.shopify.api import create_app
from simclock import VirtualClock

TOKEN = "shpat_test"
SECRET = "whsec_test"
AUTH = {"X-Shopify-Access-Token": TOKEN}
V = "/admin/api/2026-01"
INVALID_TOKEN = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
SEED = {
    "locations": [{"name": "Warehouse"}],
    "products": [
        {"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 100}},
        {"sku": "SKU-2", "title": "Cap", "price": "7.35", "inventory": {"Warehouse": 2}},
    ],
}

Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


def run(scenario: Scenario, *, settings: dict[str, Any] | None = None, **app_kwargs: Any) -> None:
    """Build a seeded app on a virtual clock and run ``scenario`` against it."""
    clock = VirtualClock()
    app = create_app(
        settings=settings or {},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": SECRET},
        seed=42,
        **app_kwargs,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, app, clock)

    asyncio.run(main())


async def checkout(client: httpx.AsyncClient, **body: Any) -> httpx.Response:
    body.setdefault("lines", [{"sku": "SKU-1", "quantity": 1}])
    return await client.post("/_sim/checkout", json=body)


def next_link(response: httpx.Response, rel: str = "next") -> str | None:
    for part in response.headers.get("link", "").split(", "):
        if part.endswith(f'rel="{rel}"'):
            return str(part[1 : part.index(">")])
    return None


# -- auth, bucket, versions -------------------------------------------------------------------


def test_missing_or_wrong_token_is_401_with_shopifys_body() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for headers in ({}, {"X-Shopify-Access-Token": "wrong"}):
            r = await client.get(f"{V}/orders.json", headers=headers)
            assert r.status_code == 401
            assert r.json() == INVALID_TOKEN
        assert (await client.get(f"{V}/orders.json", headers=AUTH)).status_code == 200

    run(scenario)


def test_bucket_40_then_429_then_refills_at_leak_rate() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for i in range(1, 41):
            r = await client.get(f"{V}/locations.json", headers=AUTH)
            assert r.status_code == 200
            assert r.headers["x-shopify-shop-api-call-limit"] == f"{i}/40"
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert r.status_code == 429
        assert r.headers["retry-after"] == "2.0"
        assert r.headers["x-shopify-shop-api-call-limit"] == "40/40"
        assert r.json() == {
            "errors": "Exceeded 2 calls per second for api client. "
            "Reduce request rates to resume uninterrupted service."
        }
        clock.advance(0.5)
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert r.status_code == 200
        assert r.headers["x-shopify-shop-api-call-limit"] == "40/40"
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 429
        # Storefront and control routes are never throttled.
        assert (await checkout(client)).status_code == 201
        stats = (await client.get("/_mock/stats")).json()
        assert stats["throttled"] == 2
        assert stats["calls"] == 43
        assert stats["by_status"] == {"200": 41, "429": 2}

    run(scenario)


def test_throttle_message_follows_the_leak_rate() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await client.get(f"{V}/locations.json", headers=AUTH)
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert r.status_code == 429
        assert r.json()["errors"].startswith("Exceeded 4 calls per second")

    run(scenario, settings={"bucket_size": 1, "leak_rate": 4})


def test_every_admin_response_names_the_answering_version_and_the_limit() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await client.get("/admin/api/2019-07/orders/999.json", headers=AUTH)
        assert r.status_code == 404
        assert r.json() == {"errors": "Not Found"}
        assert r.headers["x-shopify-api-version"] == "2025-10"  # fell forward
        assert r.headers["x-shopify-shop-api-call-limit"] == "1/40"
        r = await client.get("/admin/api/2026-04/nothing-here.json", headers=AUTH)
        assert r.status_code == 404
        assert r.headers["x-shopify-api-version"] == "2026-04"
        assert r.headers["x-shopify-shop-api-call-limit"] == "2/40"

    run(scenario)


# -- orders: pagination and filters -------------------------------------------------------------


def test_link_pagination_collects_every_order_exactly_once_newest_first() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for _ in range(7):
            assert (await checkout(client)).status_code == 201
            clock.advance(1.0)
        url: str | None = f"{V}/orders.json?status=any&limit=3"
        seen: list[int] = []
        pages = []
        while url is not None:
            r = await client.get(url, headers=AUTH)
            assert r.status_code == 200
            pages.append(r)
            seen += [o["id"] for o in r.json()["orders"]]
            url = next_link(r)
        assert seen == list(range(5007, 5000, -1))
        assert [len(p.json()["orders"]) for p in pages] == [3, 3, 1]
        assert next_link(pages[0], "previous") is None
        prev = next_link(pages[1], "previous")
        assert prev is not None and "limit=3" in prev and prev.startswith("http://shop.test/")
        r = await client.get(prev, headers=AUTH)
        assert [o["id"] for o in r.json()["orders"]] == [5007, 5006, 5005]

    run(scenario)


def test_single_page_has_no_link_and_since_id_lists_ascending() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for _ in range(4):
            await checkout(client)
        r = await client.get(f"{V}/orders.json", headers=AUTH)
        assert "link" not in r.headers
        r = await client.get(f"{V}/orders.json?since_id=5001&limit=2", headers=AUTH)
        assert [o["id"] for o in r.json()["orders"]] == [5002, 5003]
        r = await client.get(next_link(r) or "", headers=AUTH)
        assert [o["id"] for o in r.json()["orders"]] == [5004]

    run(scenario)


def test_status_defaults_to_open() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for _ in range(3):
            await checkout(client)
        app.state.model.orders[5002].cancelled_ts = clock.now()  # no cancel route yet

        async def ids(query: str) -> list[int]:
            r = await client.get(f"{V}/orders.json{query}", headers=AUTH)
            return sorted(o["id"] for o in r.json()["orders"])

        async def count(query: str) -> int:
            r = await client.get(f"{V}/orders/count.json{query}", headers=AUTH)
            return int(r.json()["count"])

        assert await ids("") == [5001, 5003]
        assert await ids("?status=any") == [5001, 5002, 5003]
        assert await ids("?status=cancelled") == [5002]
        assert (await count(""), await count("?status=any")) == (2, 3)

    run(scenario)


def test_created_at_min_includes_the_second_shown_on_the_order() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await checkout(client)
        clock.advance(10.4)
        second = (await checkout(client)).json()["order"]
        r = await client.get(
            f"{V}/orders.json", params={"created_at_min": second["created_at"]}, headers=AUTH
        )
        assert [o["id"] for o in r.json()["orders"]] == [second["id"]]
        r = await client.get(f"{V}/orders.json?created_at_min=yesterday", headers=AUTH)
        assert r.status_code == 400
        assert "created_at_min" in r.json()["errors"]

    run(scenario)


def test_filters_next_to_page_info_are_400() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for _ in range(3):
            await checkout(client)
        r = await client.get(f"{V}/orders.json?limit=1", headers=AUTH)
        url = next_link(r)
        assert url is not None
        r = await client.get(url + "&status=any", headers=AUTH)
        assert r.status_code == 400
        assert r.json() == {
            "errors": {"page_info": ["status cannot be passed when page_info is present"]}
        }
        r = await client.get(f"{V}/orders.json?page_info=garbage", headers=AUTH)
        assert r.status_code == 400
        assert list(r.json()["errors"]) == ["page_info"]
        r = await client.get(url + "&fields=id", headers=AUTH)  # fields is allowed
        assert r.status_code == 200
        assert r.json()["orders"] == [{"id": 5002}]

    run(scenario)


def test_limit_is_capped_at_250_and_validated() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await checkout(client)
        assert (await client.get(f"{V}/orders.json?limit=999", headers=AUTH)).status_code == 200
        r = await client.get(f"{V}/orders.json?limit=abc", headers=AUTH)
        assert r.status_code == 400
        assert "limit" in r.json()["errors"]

    run(scenario)


# -- checkout -------------------------------------------------------------------------------


def test_checkout_201_money_identities_and_state() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await checkout(
            client,
            lines=[{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 1}],
            email="a@example.com",
            discount_code="FLASH10",
            shipping="express",
        )
        assert r.status_code == 201
        o = json.loads(r.content, parse_float=Decimal)["order"]
        m = {k: Decimal(o[k]) for k in (
            "total_line_items_price", "total_discounts", "subtotal_price", "total_tax",
            "total_price",
        )}  # fmt: skip
        assert m["total_line_items_price"] == Decimal("47.35")
        assert m["total_discounts"] == Decimal("4.74")  # 10 % of 47.35, half-up
        lines = o["line_items"]
        assert sum(Decimal(li["total_discount"]) for li in lines) == m["total_discounts"]
        assert [li["discount_allocations"][0]["amount"] for li in lines] == ["4.00", "0.74"]
        assert [li["tax_lines"][0]["price"] for li in lines] == ["2.88", "0.53"]
        assert m["subtotal_price"] == m["total_line_items_price"] - m["total_discounts"]
        assert m["total_tax"] == Decimal("3.41")
        shipping = Decimal(o["total_shipping_price_set"]["shop_money"]["amount"])
        assert shipping == Decimal("15.00")
        assert m["total_price"] == m["subtotal_price"] + m["total_tax"] + shipping
        assert o["discount_codes"] == [{"code": "FLASH10", "amount": "4.74", "type": "percentage"}]
        state = (await client.get("/_mock/state")).json()
        [stored] = state["orders"]
        assert stored["id"] == o["id"] and stored["created_at_ts"] == clock.now()
        levels = {lv["sku"]: lv["available"] for lv in state["inventory_levels"]}
        assert levels == {"SKU-1": 98, "SKU-2": 1}

    run(scenario)


def test_checkout_is_all_or_nothing() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await checkout(
            client, lines=[{"sku": "SKU-1", "quantity": 5}, {"sku": "SKU-2", "quantity": 3}]
        )
        assert r.status_code == 409
        assert r.json() == {
            "error": "insufficient_inventory", "sku": "SKU-2", "requested": 3, "available": 2
        }  # fmt: skip
        state = (await client.get("/_mock/state")).json()
        assert {lv["sku"]: lv["available"] for lv in state["inventory_levels"]} == {
            "SKU-1": 100, "SKU-2": 2
        }  # fmt: skip
        assert state["orders"] == []
        r = await checkout(client, lines=[{"sku": "NOPE", "quantity": 1}])
        assert (r.status_code, r.json()) == (422, {"error": "unknown_sku", "sku": "NOPE"})

    run(scenario)


def test_bad_bodies_are_4xx_with_a_precise_message() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await client.post("/_sim/checkout", content=b"{not json")
        assert r.status_code == 400 and r.json()["error"] == "malformed_json"
        r = await checkout(client, lines=[{"sku": "SKU-1", "quantity": "2"}])
        assert r.status_code == 422 and "lines[0].quantity" in r.json()["detail"]
        r = await client.post(f"{V}/inventory_levels/set.json", content=b"[1]", headers=AUTH)
        assert r.status_code == 400 and "body" in r.json()["errors"]
        r = await client.post(
            f"{V}/inventory_levels/set.json",
            json={"location_id": 1, "inventory_item_id": 2, "available": "many"},
            headers=AUTH,
        )
        assert r.status_code == 400 and "available" in r.json()["errors"]

    run(scenario)


# -- inventory ----------------------------------------------------------------------------------


def test_inventory_levels_list_set_adjust() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        seeded = (await client.post("/_mock/seed", json={"products": []})).json()
        location = seeded["locations"][0]["id"]
        r = await client.get(f"{V}/inventory_levels.json", headers=AUTH)
        assert r.status_code == 422  # one of the id filters is required
        r = await client.get(f"{V}/inventory_levels.json?location_ids={location}", headers=AUTH)
        levels = r.json()["inventory_levels"]
        assert [lv["available"] for lv in levels] == [100, 2]
        item = levels[1]["inventory_item_id"]
        body = {"location_id": location, "inventory_item_id": item, "available": 40}
        r = await client.post(f"{V}/inventory_levels/set.json", json=body, headers=AUTH)
        assert r.status_code == 200 and r.json()["inventory_level"]["available"] == 40
        body = {"location_id": location, "inventory_item_id": item, "available_adjustment": -5}
        r = await client.post(f"{V}/inventory_levels/adjust.json", json=body, headers=AUTH)
        assert r.json()["inventory_level"]["available"] == 35
        body = {"location_id": location, "inventory_item_id": 1, "available": 1}
        r = await client.post(f"{V}/inventory_levels/set.json", json=body, headers=AUTH)
        assert r.status_code == 422
        r = await client.get(f"{V}/products.json?limit=1", headers=AUTH)
        assert r.json()["products"][0]["variants"][0]["sku"] == "SKU-1"
        r = await client.get(next_link(r) or "", headers=AUTH)
        assert r.json()["products"][0]["variants"][0]["inventory_quantity"] == 35

    run(scenario)


# -- webhooks -------------------------------------------------------------------------------


def test_orders_create_webhook_is_signed_and_carries_shopify_headers() -> None:
    received: list[tuple[dict[str, str], bytes]] = []
    receiver = FastAPI()

    @receiver.post("/webhooks/shopify")
    async def hook(request: Request) -> Response:
        received.append((dict(request.headers), await request.body()))
        return Response(status_code=500 if len(received) == 1 else 200)

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        sub = {"webhook": {"topic": "orders/create", "address": "http://engine/webhooks/shopify"}}
        r = await client.post("/admin/api/2026-04/webhooks.json", json=sub, headers=AUTH)
        assert r.status_code == 201
        assert r.json()["webhook"]["api_version"] == "2026-04"
        dup = await client.post("/admin/api/2026-04/webhooks.json", json=sub, headers=AUTH)
        assert dup.status_code == 422
        order = (await checkout(client)).json()["order"]
        outbox = app.state.outbox
        await outbox.deliver_due()  # 500
        clock.advance(10)
        await outbox.deliver_due()  # 200
        stats = (await client.get("/_mock/stats")).json()["webhooks"]
        assert (stats["delivered"], stats["failed_attempts"], stats["pending"]) == (1, 1, 0)
        listed = (await client.get(f"{V}/webhooks.json", headers=AUTH)).json()["webhooks"]
        assert len(listed) == 1
        path = f"{V}/webhooks/{listed[0]['id']}.json"
        assert (await client.delete(path, headers=AUTH)).status_code == 200
        assert (await client.delete(path, headers=AUTH)).status_code == 404
        await checkout(client)
        assert outbox.counters().queued == 1  # no subscription left
        assert json.loads(received[-1][1]) == order

    run(scenario, webhook_transport=httpx.ASGITransport(app=receiver))
    assert len(received) == 2
    (first, body), (second, body_again) = received
    assert body == body_again
    expected = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    assert first["x-shopify-hmac-sha256"] == expected
    assert first["x-shopify-topic"] == "orders/create"
    assert first["x-shopify-shop-domain"] == "rehearsal-shop.myshopify.com"
    assert first["x-shopify-api-version"] == "2026-04"
    for name in ("x-shopify-webhook-id", "x-shopify-event-id", "x-shopify-triggered-at"):
        assert first[name] and first[name] == second[name]  # stable across the retry
