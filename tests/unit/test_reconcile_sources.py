"""The paid sides against the mocks: what one call asks and answers, and the seed support."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mocks.erp.api import create_app as create_erp
from mocks.shopify.api import create_app as create_shopify
from scenarios.bench_reconcile import CHANNEL, ERP_TOKEN, SHOP_TOKEN, build_world
from simclock import VirtualClock, iso_utc
from sync_engine.reconcile import BudgetSpent, Expectations, Meter, NetSuiteOrders, ShopifyOrders
from sync_engine.reconcile.ledger import StoreLedger
from sync_engine.reconcile.segments import LEVELS, Window, bucket_of, checksums_by_bucket

HOUR = LEVELS[1]


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def _call(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://mock.test"
    ) as client:
        return await client.request(method, path, **kwargs)


def test_shopify_windows_are_half_open_at_whole_seconds_and_each_page_is_a_call() -> None:
    async def go() -> None:
        world = await build_world(600, 0)
        rest, _ = world.connectors()
        meter = Meter()
        source = ShopifyOrders(rest, name=CHANNEL, meter=meter)
        a, b = world.orders[100], world.orders[101]
        assert a.created_ts < b.created_ts
        # [a, b): a is in, b is not (Shopify's max bound is inclusive: the adapter takes a
        # second off the end).
        inside = await source.orders(Window(a.created_ts, b.created_ts))
        assert a.order_id in {o.order_id for o in inside}
        assert b.order_id not in {o.order_id for o in inside}
        assert await source.count(Window(a.created_ts, b.created_ts + 1)) == len(
            [o for o in world.orders if a.created_ts <= o.created_ts < b.created_ts + 1]
        )
        meter.start_pass()
        everything = await source.orders(Window(0, world.clock.now()))
        assert len(everything) == 600 and meter.calls["channel"] == 3  # pages of 250
        after = await source.orders_after(a.order_id, 5)
        assert [o.order_id for o in after] == [o.order_id for o in world.orders[101:106]]
        await world.aclose()

    run(go())


def test_meter_refuses_the_call_after_the_budget_before_it_is_made() -> None:
    async def go() -> None:
        world = await build_world(300, 0)
        rest, _ = world.connectors()
        meter = Meter(limit=2)
        source = ShopifyOrders(rest, name=CHANNEL, meter=meter)
        before = rest.budget.calls
        await source.count(Window(0, 2e9))
        with pytest.raises(BudgetSpent):
            await source.orders(Window(0, 2e9))  # 2 pages: the second is refused
        assert meter.calls["channel"] == 2 and rest.budget.calls - before == 2
        meter.start_pass()
        assert meter.left() == 2 and meter.total_calls["channel"] == 2
        await world.aclose()

    run(go())


def test_erp_checksums_match_the_engines_own_for_a_synced_world() -> None:
    async def go() -> None:
        world = await build_world(1500, 0, cancelled_clean=3)
        _, erp = world.connectors()
        source = NetSuiteOrders(erp, meter=Meter())
        window = Window(0, world.clock.now())
        remote = await source.checksums(CHANNEL, HOUR, window, numeric_ids=True)
        recorded = StoreLedger(world.store).orders(CHANNEL, window)
        local = checksums_by_bucket(
            Expectations().summands(r.order for r in recorded), HOUR, numeric_ids=True
        )
        assert remote == local
        assert sum(c.count for c in remote.values()) == 1500
        assert sum(c.cancelled or 0 for c in remote.values()) == 3
        # Only inside the given parents.
        parent = sorted(remote)[3]
        day = bucket_of(world.orders[0].created_ts, LEVELS[0])
        minutes = await source.checksums(
            CHANNEL, LEVELS[3], window, parents=[parent], numeric_ids=True
        )
        assert all(key.startswith(parent) for key in minutes)
        assert sum(c.count for c in minutes.values()) == remote[parent].count
        assert all(k.startswith(day[:4]) for k in remote)
        await world.aclose()

    run(go())


def test_erp_rows_find_an_order_by_id_outside_the_listed_buckets() -> None:
    async def go() -> None:
        world = await build_world(400, 0)
        _, erp = world.connectors()
        source = NetSuiteOrders(erp, meter=Meter())
        window = Window(0, world.clock.now())
        first, last = world.orders[0], world.orders[-1]
        rows = await source.rows(
            CHANNEL,
            window,
            buckets=[bucket_of(first.created_ts, LEVELS[5])],
            order_ids=[last.order_id],
        )
        by_id = {r.order_id: r for r in rows}
        assert set(by_id) >= {first.order_id, last.order_id}
        row = by_id[last.order_id]
        assert row.external_id == last.external_id and row.status == "B"
        assert row.total == last.total and row.tax == last.tax_total
        assert row.shipping == last.shipping and row.created == iso_utc(last.created_ts)
        await world.aclose()

    run(go())


def test_the_erp_stores_and_exposes_the_channel_created_field() -> None:
    async def go() -> None:
        clock = VirtualClock()
        erp = create_erp(settings={}, clock=clock, credentials={"access_token": ERP_TOKEN})
        auth = {"Authorization": f"Bearer {ERP_TOKEN}"}
        seeded = await _call(
            erp,
            "POST",
            "/_mock/seed",
            json={"locations": [{"id": "1", "name": "WH"}], "items": [{"sku": "A"}]},
        )
        assert seeded.status_code == 200
        body = {
            "externalId": "shopify-1",
            "entity": {"externalId": "guest:1"},
            "location": {"id": "1"},
            "item": {"items": [{"item": {"externalId": "A"}, "quantity": 1, "rate": "2.50"}]},
            "custbody_rh_channel": "shopify",
            "custbody_rh_channel_order_id": "1",
            "custbody_rh_channel_created": "2026-11-27T10:00:01.000Z",
            "taxTotal": "0.20",
            "shippingCost": "5.00",
        }
        path = "/services/rest/record/v1/salesOrder/eid:shopify-1"
        assert (await _call(erp, "PUT", path, json=body, headers=auth)).status_code == 204
        record = (await _call(erp, "GET", path, headers=auth)).json()
        assert record["custbody_rh_channel_created"] == "2026-11-27T10:00:01.000Z"
        q = (
            "SELECT custbody_rh_channel_created AS c, taxtotal, shippingcost, discounttotal, "
            "foreigntotal FROM salesorder WHERE custbody_rh_channel_created >= '2026-11-27T10'"
        )
        answer = await _call(
            erp,
            "POST",
            "/services/rest/query/v1/suiteql",
            json={"q": q},
            headers={**auth, "Prefer": "transient"},
        )
        assert answer.json()["items"] == [
            {
                "links": [],
                "c": "2026-11-27T10:00:01.000Z",
                "taxtotal": "0.20",
                "shippingcost": "5.00",
                "discounttotal": "0.00",
                "foreigntotal": "7.70",
            }
        ]
        state = (await _call(erp, "GET", "/_mock/state")).json()
        assert state["sales_orders"][0]["channel_created"] == "2026-11-27T10:00:01.000Z"

    run(go())


def test_erp_seed_creates_sales_orders_in_bulk_or_none() -> None:
    async def go() -> None:
        clock = VirtualClock()
        erp = create_erp(settings={}, clock=clock, credentials={"access_token": ERP_TOKEN})

        def order(i: int, sku: str = "A") -> dict[str, Any]:
            return {
                "externalId": f"shopify-{i}",
                "entity": {"externalId": f"guest:{i}"},
                "location": {"id": "1"},
                "item": {"items": [{"item": {"externalId": sku}, "quantity": 2, "rate": "1.00"}]},
            }

        base = {
            "locations": [{"id": "1", "name": "WH"}],
            "items": [{"sku": "A", "on_hand": {"1": 3}}],
        }
        refused = await _call(
            erp, "POST", "/_mock/seed", json={**base, "sales_orders": [order(1), order(2, "NOPE")]}
        )
        assert refused.status_code == 422 and "sales_orders[1]" in refused.text
        twice = await _call(
            erp, "POST", "/_mock/seed", json={**base, "sales_orders": [order(1), order(1)]}
        )
        assert twice.status_code == 422 and "seeded twice" in twice.text
        made = await _call(
            erp, "POST", "/_mock/seed", json={**base, "sales_orders": [order(1), order(2)]}
        )
        assert made.status_code == 200 and made.json()["sales_orders"] == 2
        state = (await _call(erp, "GET", "/_mock/state")).json()
        assert [so["externalId"] for so in state["sales_orders"]] == ["shopify-1", "shopify-2"]
        # Allocated as an upsert would: 3 on hand, 2 + 2 ordered -> 1 backordered.
        assert [ln["backordered"] for so in state["sales_orders"] for ln in so["lines"]] == [0, 1]
        assert state["stats"]["calls"] == 0  # seeding is not API traffic
        again = await _call(erp, "POST", "/_mock/seed", json={"sales_orders": [order(2)]})
        assert again.status_code == 422 and "exists already" in again.text

    run(go())


def test_shopify_seed_places_past_orders_without_moving_stock_or_announcing() -> None:
    async def go() -> None:
        clock = VirtualClock()
        shop = create_shopify(settings={}, clock=clock, credentials={"access_token": SHOP_TOKEN})
        created = clock.now() - 3600
        payload = {
            "locations": [{"name": "WH"}],
            "products": [{"sku": "A", "price": "10.00", "inventory": {"WH": 5}}],
            "orders": [
                {
                    "lines": [{"sku": "A", "quantity": 2}],
                    "created_at": created,
                    "discount_code": "FLASH10",
                },
                {
                    "lines": [{"sku": "A", "quantity": 1}],
                    "created_at": iso_utc(created + 10),
                    "cancelled_at": created + 20,
                    "shipping": "express",
                },
            ],
        }
        seeded = (await _call(shop, "POST", "/_mock/seed", json=payload)).json()
        assert [o["name"] for o in seeded["orders"]] == ["#1001", "#1002"]
        headers = {"X-Shopify-Access-Token": SHOP_TOKEN}
        listed = (
            await _call(shop, "GET", "/admin/api/2026-01/orders.json?status=any", headers=headers)
        ).json()["orders"]
        first, second = sorted(listed, key=lambda o: o["id"])
        assert first["total_price"] == "24.44"  # 20.00 - 10% + 8% tax + 5.00 standard shipping
        assert Decimal(first["total_discounts"]) == Decimal("2.00")
        assert (
            second["cancelled_at"] is not None and second["shipping_lines"][0]["price"] == "15.00"
        )
        state = (await _call(shop, "GET", "/_mock/state")).json()
        assert [lv["available"] for lv in state["inventory_levels"]] == [5]
        bad = await _call(
            shop,
            "POST",
            "/_mock/seed",
            json={"orders": [{"lines": [{"sku": "Z", "quantity": 1}], "created_at": 1}]},
        )
        assert bad.status_code == 422 and "unknown sku" in bad.text

    run(go())
