"""SHOPLINE mock, the gate: bearer tokens, leaky bucket, versions, store lock, faults.

In-process over httpx.ASGITransport on a virtual clock; nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mocks.shopline.api import create_app
from mocks.shopline.constants import ShoplineSettings
from simclock import VirtualClock

TOKEN = "shpl_test"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
V = "/admin/openapi/v20250301"
OLD = "/admin/openapi/v20240301"
SEED = {
    "locations": [{"name": "Warehouse"}],
    "products": [{"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 9}}],
}

Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


def run(scenario: Scenario, *, settings: dict[str, Any] | None = None, seed: int = 42) -> None:
    """Build a seeded app on a virtual clock and run ``scenario`` against it."""
    clock = VirtualClock()
    app = create_app(
        settings=settings or {},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": "s"},
        seed=seed,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, app, clock)

    asyncio.run(main())


# -- bucket -----------------------------------------------------------------------------------


def test_bucket_is_40_at_4_per_second_with_shoplines_429_body() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        traces = set()
        for _ in range(40):
            r = await client.get(f"{V}/locations.json", headers=AUTH)
            assert r.status_code == 200
            traces.add(r.headers["traceid"])
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert r.status_code == 429
        assert r.content == b'{"errors":"Too many request"}'
        assert "retry-after" not in r.headers  # SHOPLINE documents none
        traces.add(r.headers["traceid"])
        assert len(traces) == 41  # every response, refusals included, has its own traceId
        clock.advance(0.249)  # 0.996 of a call leaked at 4/s: still full
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 429
        clock.advance(0.001)  # 0.25 s after the refusal: exactly one call has leaked
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 429
        assert (
            await client.post("/_sim/checkout", json={"lines": [{"sku": "SKU-1", "quantity": 1}]})
        ).status_code == 201
        stats = (await client.get("/_mock/stats")).json()
        assert stats["by_status"] == {"200": 41, "429": 3}
        assert (stats["calls"], stats["throttled"]) == (44, 3)

    run(scenario)


# -- tokens -----------------------------------------------------------------------------------


def test_missing_wrong_and_malformed_authorization_are_401() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        cases = [
            ({}, "Missing access token"),
            ({"Authorization": TOKEN}, "Missing access token"),  # no Bearer scheme
            ({"Authorization": "Bearer nope"}, "Invalid access token"),
            ({"X-Shopify-Access-Token": TOKEN}, "Missing access token"),
        ]
        for headers, message in cases:
            r = await client.get(f"{V}/orders.json", headers=headers)
            assert (r.status_code, r.json()) == (401, {"errors": message})
            assert r.headers["traceid"]
        r = await client.get(f"{V}/orders.json", headers={"Authorization": f"bearer {TOKEN}"})
        assert r.status_code == 200
        assert app.state.model.bucket.level() == pytest.approx(1.0)  # 401s spent no budget

    run(scenario)


def test_token_expires_at_exactly_ten_hours() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        clock.advance(36_000 - 0.001)
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
        clock.advance(0.001)
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert (r.status_code, r.json()) == (401, {"errors": "Access token has expired"})

    run(scenario)


def test_token_ttl_is_a_setting() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        clock.advance(60)
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 401

    run(scenario, settings={"token_ttl_seconds": 60})


def test_rotation_keeps_the_old_token_for_the_grace_period_only() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        clock.advance(1000)
        r = await client.post("/_mock/token", json={})
        assert r.status_code == 200
        body = r.json()
        new = {"Authorization": f"Bearer {body['access_token']}"}
        assert body["access_token"] != TOKEN
        assert body["expires_in"] == 36_000
        assert body["previous"]["access_token"] == TOKEN
        assert body["previous"]["expires_in"] == 300
        clock.advance(300 - 0.001)
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
        clock.advance(0.001)
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert (r.status_code, r.json()["errors"]) == (401, "Access token has expired")
        assert (await client.get(f"{V}/locations.json", headers=new)).status_code == 200
        # The new token has its own 10 h from the rotation.
        clock.advance(36_000 - 300)
        assert (await client.get(f"{V}/locations.json", headers=new)).status_code == 401
        # A chosen value can be installed, e.g. to match an engine's config.
        r = await client.post("/_mock/token", json={"access_token": "fresh"})
        assert r.json()["access_token"] == "fresh"
        ok = {"Authorization": "Bearer fresh"}
        assert (await client.get(f"{V}/locations.json", headers=ok)).status_code == 200

    run(scenario)


def test_rotation_grace_never_extends_an_expiring_token() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        clock.advance(36_000 - 10)
        await client.post("/_mock/token", json={})
        clock.advance(10)
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 401

    run(scenario)


# -- versions ---------------------------------------------------------------------------------


def test_update_at_before_the_cutoff_and_updated_at_from_it() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await client.get(f"{V}/inventory_levels.json", headers=AUTH)
        item = r.json()["inventory_levels"][0]
        body = {"inventory_item_id": item["inventory_item_id"], "location_id": item["location_id"]}

        async def set_level(version: str) -> dict[str, Any]:
            url = f"/admin/openapi/{version}/inventory_levels/set.json"
            r = await client.post(url, headers=AUTH, json={**body, "available": 3})
            assert r.status_code == 200
            level: dict[str, Any] = r.json()["inventory_level"]
            return level

        for version in ("v20230901", "v20240301"):
            level = await set_level(version)
            assert "update_at" in level and "updated_at" not in level
        for version in ("v20240901", "v20250301", "v20991231"):  # last: unsupported -> newest
            level = await set_level(version)
            assert "updated_at" in level and "update_at" not in level
        await client.post("/_sim/checkout", json={"lines": [{"sku": "SKU-1", "quantity": 1}]})
        old = (await client.get(f"{OLD}/orders.json", headers=AUTH)).json()["orders"][0]
        new = (await client.get(f"{V}/orders.json", headers=AUTH)).json()["orders"][0]
        assert old["update_at"] == new["updated_at"]
        assert "updated_at" not in old
        product = (await client.get(f"{OLD}/products.json", headers=AUTH)).json()["products"][0]
        assert "update_at" in product and "update_at" in product["variants"][0]
        r = await client.get("/admin/openapi/2024-09/orders.json", headers=AUTH)
        assert (r.status_code, r.json()) == (404, {"errors": "Not Found"})

    run(scenario)


def test_cutoff_is_a_setting() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await client.get(f"{V}/products.json", headers=AUTH)
        assert "update_at" in r.json()["products"][0]

    run(scenario, settings={"updated_at_cutoff_version": "v20990101"})


# -- store lock and faults --------------------------------------------------------------------


def test_sustained_429s_lock_the_store_with_423_for_a_while() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        statuses = [
            (await client.get(f"{V}/locations.json", headers=AUTH)).status_code for _ in range(10)
        ]
        assert statuses == [200, 200] + [429] * 5 + [423] * 3
        r = await client.get(f"{V}/locations.json", headers=AUTH)
        assert r.json() == {
            "errors": "The store is locked because API limits were exceeded repeatedly"
        }
        clock.advance(299.9)  # the bucket has long drained; the lock has not lapsed
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 423
        clock.advance(0.1)
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
        stats = (await client.get("/_mock/stats")).json()
        assert (stats["store_locks"], stats["locked"], stats["store_locked"]) == (1, 5, False)

    run(scenario, settings={"bucket_size": 2, "lock_threshold": 5, "lock_window_seconds": 60})


def test_429s_spread_beyond_the_window_never_lock() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for _ in range(20):
            assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
            assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 429
            clock.advance(30.0)
        assert (await client.get("/_mock/stats")).json()["store_locks"] == 0

    run(scenario, settings={"bucket_size": 1, "lock_threshold": 3, "lock_window_seconds": 60})


def test_fault_switched_on_for_one_route_via_the_shared_fault_plan() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        orders = r"^/admin/openapi/v\d{8}/orders"
        rule = {"kind": "error", "statuses": [402], "routes": [orders]}
        r = await client.put("/_mock/faults", json={"rules": [rule]})
        assert r.status_code == 200
        for path in ("orders.json", "orders/count.json"):
            r = await client.get(f"{V}/{path}", headers=AUTH)
            assert r.status_code == 402
            assert r.json() == {"errors": "The store is frozen because of unpaid fees"}
            assert r.headers["traceid"]
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
        assert app.state.model.bucket.level() == pytest.approx(1.0)  # faults spent no budget
        bad = await client.put("/_mock/faults", json={"rules": [{**rule, "statuses": [200]}]})
        assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "statuses[0]"
        await client.delete("/_mock/faults")
        assert (await client.get(f"{V}/orders.json", headers=AUTH)).status_code == 200
        shown = (await client.get("/_mock/faults")).json()
        assert (shown["rules"], shown["counts"]["error"], shown["injected"]) == ([], 2, 2)
        assert (await client.get("/_mock/stats")).json()["faults"]["error"] == 2

    run(scenario)


def test_global_fault_from_settings_at_a_seeded_rate_repeats_per_seed() -> None:
    def statuses(seed: int) -> list[int]:
        seen: list[int] = []

        async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
            for _ in range(30):
                seen.append((await client.get(f"{V}/locations.json", headers=AUTH)).status_code)

        run(scenario, settings={"faults": [{"status": 436, "rate": 0.5}]}, seed=seed)
        return seen

    first = statuses(7)
    assert set(first) == {200, 436}
    assert first == statuses(7)
    assert first != statuses(8)


def test_settings_refuse_unknown_keys_and_bad_faults() -> None:
    with pytest.raises(ValueError, match="leak_rte"):
        ShoplineSettings.from_overrides({"leak_rte": 4})
    with pytest.raises(ValueError, match="fault status"):
        ShoplineSettings.from_overrides({"faults": [{"status": 429}]})
    assert ShoplineSettings.from_overrides({}).leak_rate == 4.0
