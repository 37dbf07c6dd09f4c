"""Stock reconciliation against the whole system in process (engine prepared, mocks seeded)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sync_engine.reconcile import Cause
from sync_engine.reconcile.findings import Where
from sync_engine.reconcile.stock import StockReconciler, StockShelf
from tests.harness import System, build

SKUS = {"A": 30, "B": 12, "C": 5}


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def reconciler(system: System, resynced: list[list[str]] | None = None) -> StockReconciler:
    engine = system.engine
    shelves = [
        StockShelf(
            name=name,
            connector=engine.channels[name],
            location_map=settings.location_map,
            sales_location=settings.sales_location,
            buffer=engine.config.stock_buffer,
        )
        for name, settings in engine.config.all_channels.items()
    ]
    return StockReconciler(
        shelves=shelves,
        back_office=engine.erp,
        store=engine.store,
        clock=system.clock,
        resync=None if resynced is None else resynced.append,
    )


async def _set_channel_level(system: System, sku: str, available: int) -> None:
    model = system.shopify.state.model
    item = model.variants_by_sku[sku].inventory_item_id
    location = next(iter(model.locations))
    model.levels[(item, location)].available = available


def test_clean_stock_has_no_findings_and_a_drift_is_found_and_resynced() -> None:
    async def go() -> None:
        system = await build(skus=SKUS, engine_overrides={"stock_buffer": 2})
        resynced: list[list[str]] = []
        check = reconciler(system, resynced)
        system.clock.advance(3600)  # the seeded ATS is old news by now
        clean = await check.run_pass()
        assert clean.complete and clean.findings == [] and clean.orders_compared == 3
        assert clean.calls["channel"] >= 1 and clean.calls["back_office"] >= 1
        await _set_channel_level(system, "B", 40)  # someone edited stock in the admin
        drifted = await check.run_pass()
        [item] = drifted.findings
        assert (item.cause, item.where, item.channel) == (
            Cause.STOCK_DRIFT,
            Where.CHANNEL,
            "shopify",
        )
        assert item.record_key.startswith("B@")
        assert item.values == {"channel": "40", "expected": str(12 - 2)}
        assert resynced == [["shopify"]] and drifted.repaired == ["shopify"]
        await system.engine.stop()

    run(go())


def test_a_fresh_back_office_change_is_lag_not_drift() -> None:
    async def go() -> None:
        system = await build(skus=SKUS)
        system.clock.advance(3600)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=system.erp), base_url="http://erp.test"
        ) as erp:
            moved = await erp.post(
                "/_sim/stock-movement",
                json={"sku": "C", "location_id": "1", "delta": 7, "reason": "receipt"},
            )
            assert moved.status_code == 200
        report = await reconciler(system).run_pass()
        [item] = report.findings
        assert item.cause is Cause.SYNC_LAG and not item.drift
        assert item.values == {"channel": "5", "expected": "12"}
        await system.engine.stop()

    run(go())


def test_units_of_orders_not_yet_in_the_back_office_are_not_drift() -> None:
    async def go() -> None:
        system = await build(skus=SKUS)
        system.clock.advance(3600)
        assert await system.checkout([{"sku": "A", "quantity": 4}]) == 201
        for hook in await system.flush_webhooks():
            await system.deliver(hook)  # recorded, not yet synced: the ERP still has 30
        system.clock.advance(3600)
        queued = await reconciler(system).run_pass()
        assert queued.findings == []
        await system.engine.orders.drain()  # now the ERP allocated it: 26 everywhere
        system.clock.advance(3600)
        synced = await reconciler(system).run_pass()
        assert synced.findings == [] and synced.orders_compared == 3
        await system.engine.stop()

    run(go())
