"""The ERP mock over HTTP (in-process): auth, concurrency governance, wire shapes."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.erp.api import create_app
from simclock import VirtualClock, iso_utc

TOKEN = "secret-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
SO = "/services/rest/record/v1/salesOrder"
INV = "/services/rest/record/v1/inventoryItem"
START = 1_795_737_600.0  # 2026-11-27T00:00:00Z
SEED = {
    "locations": [{"id": "1", "name": "Main Warehouse"}],
    "items": [{"sku": "SKU-0001", "on_hand": {"1": 5}}, {"sku": "SKU-0002", "on_hand": {"1": 50}}],
}
NO_LATENCY = {"write_latency_median": 0, "read_latency_median": 0}
INVALID_LOGIN = {
    "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.2",
    "title": "Unauthorized",
    "status": 401,
    "o:errorDetails": [
        {
            "detail": "Invalid login attempt. For more details, see the Login Audit Trail in the "
            "NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.",
            "o:errorCode": "INVALID_LOGIN",
        }
    ],
}


class GateClock:
    """A clock whose ``sleep`` blocks until the test opens the gate: requests pile up in flight."""

    time_scale = 1.0

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.sleeping = 0

    def now(self) -> float:
        return START

    async def sleep(self, seconds: float) -> None:
        self.sleeping += 1
        try:
            await self.gate.wait()
        finally:
            self.sleeping -= 1


def body(eid: str, sku: str = "SKU-0001", qty: int = 2, **extra: Any) -> dict[str, Any]:
    return {
        "externalId": eid,
        "custbody_rh_channel": "shopify",
        "custbody_rh_channel_order_id": eid.removeprefix("shopify-"),
        "otherRefNum": "#1001",
        "tranDate": "2026-11-27",
        "currency": {"refName": "USD"},
        "entity": {"externalId": "a@example.com"},
        "location": {"id": "1"},
        "item": {
            "items": [
                {
                    "item": {"externalId": sku},
                    "quantity": qty,
                    "rate": "20.00",
                    "amount": f"{20 * qty}.00",
                    "discountAmount": "4.00",
                    "taxAmount": "2.88",
                }
            ]
        },
        "discountTotal": "4.00",
        "taxTotal": "2.88",
        "shippingCost": "5.00",
        **extra,
    }


def run(
    test: Callable[[httpx.AsyncClient, FastAPI], Awaitable[None]],
    *,
    clock: Any = None,
    settings: dict[str, Any] | None = None,
) -> None:
    async def main() -> None:
        app = create_app(
            settings=settings,
            clock=clock or VirtualClock(START),
            credentials={"access_token": TOKEN},
            seed=3,
        )
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://erp.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await test(client, app)

    asyncio.run(main())


def test_missing_or_wrong_token_gets_the_netsuite_401() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": TOKEN}):
            response = await client.get(INV, headers=headers)
            assert response.status_code == 401
            assert response.json() == INVALID_LOGIN
        assert (await client.get(INV, headers={"Authorization": f"bearer {TOKEN}"})).is_success
        stats = (await client.get("/_mock/stats")).json()
        assert stats["by_status"] == {"200": 1, "401": 3}
        assert stats["calls"] == 4

    run(check)


def test_request_over_the_concurrency_limit_gets_429_at_once_and_the_slot_comes_back() -> None:
    clock = GateClock()

    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        tasks = [asyncio.create_task(client.get(INV, headers=AUTH)) for _ in range(4)]
        done, pending = await asyncio.wait(tasks, timeout=5, return_when=asyncio.FIRST_COMPLETED)
        assert len(done) == 1 and clock.sleeping == 3
        rejected = done.pop().result()
        assert rejected.status_code == 429
        assert rejected.json() == {
            "type": "https://www.rfc-editor.org/rfc/rfc6585.html#section-4",
            "title": "Too Many Requests",
            "status": 429,
            "o:errorDetails": [
                {
                    "detail": "Concurrent request limit exceeded. Request blocked.",
                    "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED",
                }
            ],
        }
        assert app.state.limiter.in_flight == 3
        clock.gate.set()
        results = await asyncio.wait_for(asyncio.gather(*pending), timeout=5)
        assert [r.status_code for r in results] == [200, 200, 200]
        assert app.state.limiter.in_flight == 0
        assert (await client.get(INV, headers=AUTH)).status_code == 200
        stats = (await client.get("/_mock/stats")).json()
        assert (stats["rejected_concurrency"], stats["max_in_flight"]) == (1, 3)
        assert stats["by_status"] == {"200": 4, "429": 1}

    run(check, clock=clock, settings={"concurrency_limit": 3})


def test_upsert_three_times_makes_one_order_and_allocates_once() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        for _ in range(3):
            response = await client.put(
                f"{SO}/eid:shopify-5001", json=body("shopify-5001"), headers=AUTH
            )
            assert response.status_code == 204
            assert response.content == b""
        assert response.headers["location"] == f"http://erp.test{SO}/2001"
        state = (await client.get("/_mock/state")).json()
        assert len(state["sales_orders"]) == 1
        order = state["sales_orders"][0]
        assert order["channel_order_id"] == "5001" and order["created_ts"] == START
        assert (order["subtotal"], order["total"]) == ("40.00", "43.88")
        assert state["items"][0]["locations"] == [
            {"location_id": "1", "on_hand": 5, "committed": 2, "available": 3, "backordered": 0}
        ]
        assert state["stats"]["sales_orders"] == 1
        assert state["stats"]["latency"]["write"]["count"] == 3

    run(check, settings=NO_LATENCY)


def test_get_sales_order_record_and_404() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        await client.put(f"{SO}/eid:shopify-7", json=body("shopify-7", qty=7), headers=AUTH)
        record = (await client.get(f"{SO}/eid:shopify-7", headers=AUTH)).json()
        assert record["tranId"] == "SO1001" and record["externalId"] == "shopify-7"
        assert record["createdDate"] == "2026-11-27T00:00:00.000Z"
        assert (record["subtotal"], record["total"]) == ("140.00", "143.88")
        line = record["item"]["items"][0]
        assert (line["quantityCommitted"], line["quantityBackOrdered"]) == (5, 2)
        assert (await client.get(f"{SO}/{record['id']}", headers=AUTH)).json()["id"] == record["id"]
        missing = await client.get(f"{SO}/eid:nope", headers=AUTH)
        assert missing.status_code == 404
        assert missing.json()["o:errorDetails"][0]["o:errorCode"] == "NONEXISTENT_ID"

    run(check, settings=NO_LATENCY)


def test_unknown_item_is_400_and_nothing_is_stored() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        response = await client.put(f"{SO}/eid:x-1", json=body("x-1", sku="SKU-X"), headers=AUTH)
        assert response.status_code == 400
        assert response.json() == {
            "type": "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.1",
            "title": "Bad Request",
            "status": 400,
            "o:errorDetails": [
                {
                    "detail": "Invalid Field Value SKU-X for the following field: item",
                    "o:errorCode": "USER_ERROR",
                }
            ],
        }
        state = (await client.get("/_mock/state")).json()
        assert state["sales_orders"] == [] and state["customers"] == []

    run(check)


def test_malformed_bodies_are_invalid_content_naming_the_field() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        raw = json.dumps(body("m-1")).replace('"shippingCost": "5.00"', '"shippingCost": 5.5')
        cases = [
            (raw.encode(), "shippingCost"),
            (b"{not json", "not valid JSON"),
            (b"", "empty"),
            (json.dumps(body("other")).encode(), "externalId"),
        ]
        for content, needle in cases:
            response = await client.put(f"{SO}/eid:m-1", content=content, headers=AUTH)
            assert response.status_code == 400
            detail = response.json()["o:errorDetails"][0]
            assert detail["o:errorCode"] == "INVALID_CONTENT"
            assert needle in detail["detail"]
        put_by_id = await client.put(f"{SO}/2001", json=body("m-1"), headers=AUTH)
        assert put_by_id.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"
        assert (await client.get("/_mock/stats")).json()["sales_orders"] == 0

    run(check)


def test_inventory_paging_links_and_filter() -> None:
    clock = VirtualClock(START)

    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        extra = {"items": [{"sku": f"SKU-1{i:03d}", "on_hand": {"1": i}} for i in range(3)]}
        await client.post("/_mock/seed", json=extra)
        first = (await client.get(INV, params={"limit": 2}, headers=AUTH)).json()
        assert (first["count"], first["hasMore"], first["totalResults"]) == (2, True, 5)
        assert [i["itemId"] for i in first["items"]] == ["SKU-0001", "SKU-0002"]
        next_href = next(link["href"] for link in first["links"] if link["rel"] == "next")
        second = (await client.get(next_href, headers=AUTH)).json()
        assert second["offset"] == 2 and second["count"] == 2
        third = (await client.get(INV, params={"limit": 2, "offset": 4}, headers=AUTH)).json()
        assert third["hasMore"] is False and "next" not in {lk["rel"] for lk in third["links"]}
        # Seeded items were last modified at START; the reads above moved the clock on.
        q = f'lastModifiedDate ON_OR_AFTER "{iso_utc(clock.now())}"'
        await client.put(f"{SO}/eid:i-1", json=body("i-1", sku="SKU-0002"), headers=AUTH)
        changed = (await client.get(INV, params={"q": q}, headers=AUTH)).json()
        assert [i["itemId"] for i in changed["items"]] == ["SKU-0002"]
        levels = changed["items"][0]["locations"]["items"][0]
        assert (levels["quantityCommitted"], levels["quantityAvailable"]) == (2, 48)
        bad = await client.get(INV, params={"q": "itemId IS SKU-0001"}, headers=AUTH)
        assert bad.status_code == 400
        assert bad.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_PARAMETER"
        too_big = await client.get(INV, params={"limit": 1001}, headers=AUTH)
        assert "limit" in too_big.json()["o:errorDetails"][0]["detail"]

    run(check, clock=clock)


def test_stock_movement_409_422_and_no_auth_needed() -> None:
    async def check(client: httpx.AsyncClient, app: FastAPI) -> None:
        move = {"sku": "SKU-0001", "location_id": "1", "delta": -6, "reason": "other_channel"}
        refused = await client.post("/_sim/stock-movement", json=move)
        assert refused.status_code == 409
        assert refused.json()["available"] == 5
        ok = await client.post("/_sim/stock-movement", json={**move, "delta": -5})
        assert ok.status_code == 200 and ok.json()["available"] == 0
        unknown = await client.post("/_sim/stock-movement", json={**move, "sku": "NOPE"})
        assert unknown.status_code == 422 and unknown.json()["error"] == "unknown_sku"
        bad = await client.post("/_sim/stock-movement", json={**move, "delta": "1"})
        assert bad.status_code == 400 and bad.json()["field"] == "delta"
        bad_seed = await client.post(
            "/_mock/seed", json={"items": [{"sku": "Z", "on_hand": {"9": 1}}]}
        )
        assert bad_seed.status_code == 422 and "unknown location id '9'" in bad_seed.json()["error"]
        # /_sim/ is the warehouse, not the REST API: it never counts as an API call.
        assert (await client.get("/_mock/stats")).json()["calls"] == 0

    run(check)
