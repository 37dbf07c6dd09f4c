"""Connectors paced by their budgets against the in-process mocks (virtual clock, ASGITransport).

The drivers are sequential: a VirtualClock with autojump moves time by each sleeper's wait,
so concurrent sleepers would add their waits up instead of overlapping.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from mocks.shopify.api import create_app as create_shopify
from mocks.shopline.api import create_app as create_shopline
from simclock import VirtualClock
from sync_engine.budgets import CostBudget, LeakyBucketBudget
from sync_engine.config import ShopifyDestination
from sync_engine.connectors.shopify_graphql import QuantitySet, ShopifyGraphQL
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.connectors.shopline_rest import ShoplineDestination, ShoplineRest
from sync_engine.errors import RecordRejected, Throttled
from sync_engine.metrics import Metrics

TOKEN = "tok_test"


async def _seed(app: Any, skus: int) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
    ) as client:
        payload = {
            "locations": [{"name": "WH"}],
            "products": [
                {"sku": f"S{i}", "title": f"S{i}", "price": "9.99", "inventory": {"WH": 1000}}
                for i in range(skus)
            ],
        }
        response = await client.post("/_mock/seed", json=payload)
        response.raise_for_status()
        seeded: dict[str, Any] = response.json()
        return seeded


async def _stats(app: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
    ) as client:
        result: dict[str, Any] = (await client.get("/_mock/stats")).json()
        return result


def _shopify(version: str = "2026-01") -> tuple[VirtualClock, Any, ShopifyDestination]:
    clock = VirtualClock()
    app = create_shopify(settings={}, clock=clock, credentials={"access_token": TOKEN}, seed=1)
    dest = ShopifyDestination(
        base_url="http://shop.test", access_token=TOKEN, webhook_secret="x", api_version=version
    )
    return clock, app, dest


def test_shopify_rest_adjusts_never_429_and_spend_the_bucket() -> None:
    async def go() -> None:
        clock, app, dest = _shopify()
        seeded = await _seed(app, 5)
        items = [int(v["inventory_item_id"]) for v in seeded["variants"]]
        location = int(seeded["locations"][0]["id"])
        rest = ShopifyRest(
            dest, clock=clock, metrics=Metrics(), transport=httpx.ASGITransport(app=app)
        )
        start = clock.now()
        for i in range(200):
            await rest.adjust(items[i % 5], location, 1)
        elapsed = clock.now() - start
        await rest.aclose()
        stats = await _stats(app)
        assert stats["by_status"].get("429", 0) == 0 and rest.budget.throttled == 0
        assert stats["by_status"]["200"] == 200
        # 38 at once (headroom 2), then one per 0.5 s: the bucket is spent, not wasted.
        assert elapsed == pytest.approx((200 - 38) / 2.0, abs=1.0)
        assert rest.bucket_max == 40 and rest.budget.capacity == 40

    asyncio.run(go())


def _graphql_fixture(version: str, skus: int) -> Any:
    clock, app, dest = _shopify(version)

    async def build() -> tuple[ShopifyGraphQL, list[int], int]:
        seeded = await _seed(app, skus)
        items = [int(v["inventory_item_id"]) for v in seeded["variants"]]
        gql = ShopifyGraphQL(
            dest,
            clock=clock,
            metrics=Metrics(),
            transport=httpx.ASGITransport(app=app),
            budget=CostBudget(clock=clock, maximum=1000, restore_rate=50),
        )
        return gql, items, int(seeded["locations"][0]["id"])

    return clock, app, build


def test_graphql_cost_budget_learns_and_is_never_throttled() -> None:
    async def go() -> None:
        clock, app, build = _graphql_fixture("2026-01", 3)
        gql, items, location = await build()
        start = clock.now()
        for i in range(300):  # 3000 points of fixed-cost mutations from a 2000-point bucket
            change = QuantitySet(item_id=items[i % 3], location_id=location, quantity=i)
            assert await gql.inventory_set([change]) == 1
        elapsed = clock.now() - start
        await gql.aclose()
        runtime = app.state.shopify_graphql
        assert runtime.stats.throttled == 0 and gql.budget.throttled == 0
        assert (gql.budget.maximum, gql.budget.restore_rate) == (2000, 100)
        assert elapsed == pytest.approx((3000 - 2000) / 100, abs=1.0)

    asyncio.run(go())


@pytest.mark.parametrize("version", ["2026-01", "2026-04"])
def test_graphql_inventory_set_batches_and_checks_by_version(version: str) -> None:
    async def go() -> None:
        _clock, _app, build = _graphql_fixture(version, 260)
        gql, items, location = await build()
        changes = [QuantitySet(item_id=i, location_id=location, quantity=7) for i in items]
        assert await gql.inventory_set(changes) == 260
        assert gql.budget.calls == 2  # 250 + 10: Shopify refuses longer input arrays
        # Compare-and-swap with the right expected value passes, a stale one is refused.
        ok = QuantitySet(item_id=items[0], location_id=location, quantity=9, expected=7)
        assert await gql.inventory_set([ok]) == 1
        stale = QuantitySet(item_id=items[0], location_id=location, quantity=5, expected=7)
        with pytest.raises(RecordRejected) as caught:
            await gql.inventory_set([stale])
        expected_code = (
            "CHANGE_FROM_QUANTITY_STALE" if version >= "2026-04" else ("COMPARE_QUANTITY_STALE")
        )
        assert caught.value.code == expected_code
        await gql.aclose()

    asyncio.run(go())


def test_shopline_budget_converges_to_at_most_the_real_rate_after_a_few_429s() -> None:
    async def go() -> None:
        clock = VirtualClock()
        app = create_shopline(settings={}, clock=clock, credentials={"access_token": TOKEN})
        seeded = await _seed(app, 5)
        items = [str(v["inventory_item_id"]) for v in seeded["variants"]]
        location = str(seeded["locations"][0]["id"])
        # A prior far above SHOPLINE's 4/s: only 429s can bring it down.
        budget = LeakyBucketBudget(clock=clock, capacity=40, leak_rate=8.0, headroom=3)
        rest = ShoplineRest(
            ShoplineDestination(base_url="http://shopline.test", access_token=TOKEN),
            clock=clock,
            metrics=Metrics(),
            transport=httpx.ASGITransport(app=app),
            budget=budget,
        )
        done = 0
        while done < 400:
            try:
                await rest.adjust(items[done % 5], location, 1)
                done += 1
            except Throttled:
                continue  # sent again; the budget, now knowing the bucket is full, paces it
        await rest.aclose()
        assert 1 <= budget.throttled <= 8
        assert 3.6 <= budget.leak_rate <= 4.2
        stats = await _stats(app)
        assert stats["throttled"] == budget.throttled

    asyncio.run(go())
