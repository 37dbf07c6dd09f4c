"""Reconciliation inside the real engine (in process): lost webhooks are found and repaired,
changes the engine made are not mistaken for drift, and one it missed is put right."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.reconcile import (
    Cause,
    OrderReconciler,
    ReconcileSettings,
    Where,
    build_order_reconciler,
)
from sync_engine.reconcile.repair import StoreRepair
from sync_engine.reconcile.stock import ledger_key
from tests.harness import SHOPIFY_CREDS, System, build

LAG = 600.0
V = "/admin/api/2026-01"
AUTH = {"X-Shopify-Access-Token": SHOPIFY_CREDS["access_token"]}


def run(scenario: Callable[[System], Awaitable[None]]) -> None:
    async def go() -> None:
        system = await build(skus={"A": 500, "B": 500, "C": 500})
        try:
            await scenario(system)
        finally:
            await system.engine.stop()

    asyncio.run(go())


def wire(system: System) -> tuple[OrderReconciler, StoreRepair]:
    """How the engine wires it (see the report to the lead): its own connectors and store."""
    engine = system.engine
    settings = engine.config.all_channels["shopify"]
    channel, erp = engine.channels["shopify"], engine.erp
    assert isinstance(channel, ShopifyChannel) and isinstance(erp, NetSuiteRest)
    repair = StoreRepair(
        name="shopify",
        channel=engine.channels["shopify"],
        store=engine.store,
        clock=system.clock,
        sales_location=ledger_key("shopify", settings.sales_location),
        rules=engine.config.mapping,
        record_change=engine.order_changes.record,
    )
    reconciler = build_order_reconciler(
        channel=channel,
        back_office=erp,
        store=engine.store,
        clock=system.clock,
        rules=engine.config.mapping,
        repair=repair,
        settings=ReconcileSettings(lag=LAG),
        back_office_busy=lambda: len(engine.orders.in_flight) >= engine.orders.governor.allowed,
    )
    return reconciler, repair


async def sell(system: System, n: int) -> None:
    for i in range(n):
        lines = [{"sku": "ABC"[i % 3], "quantity": 1 + i % 2}]
        assert await system.checkout(lines, email=f"b{i}@example.com") == 201
        system.clock.advance(7)


async def shopify(system: System, method: str, path: str) -> httpx.Response:
    async with system.client(system.shopify, "http://shopify.test") as client:
        return await client.request(method, f"{V}/{path}", headers=AUTH)


def test_a_fifth_of_webhooks_dropped_silently_ends_with_every_order_found_and_repaired() -> None:
    async def scenario(system: System) -> None:
        await sell(system, 60)
        hooks = [
            h
            for h in await system.flush_webhooks()
            if h.headers.get("x-shopify-topic") == "orders/create"
        ]
        dropped = hooks[::5]
        for hook in hooks:
            if hook not in dropped:
                assert (await system.deliver(hook)).status_code == 200
        await system.engine.orders.drain()
        assert (await system.findings()).lost == len(dropped) == 12
        system.clock.advance(2 * LAG)
        reconciler, repair = wire(system)
        report = await reconciler.run_pass()
        assert report.complete
        assert {(f.cause, f.where) for f in report.findings} == {(Cause.MISSING, Where.ENGINE)}
        assert len(report.findings) == 12 and len(report.repaired) == 12
        assert repair.done == {"ingested": 12}
        await system.engine.orders.drain()
        after = await system.findings()
        assert after.lost == 0 and after.duplicated == 0 and after.amount_drift == 0
        again = await reconciler.run_pass()
        assert again.findings == [] and again.complete
        # A handful of calls: gaps located by order number, one grouped ERP query.
        assert sum(again.calls.values()) <= 4

    run(scenario)


def test_changes_the_engine_applied_are_not_drift_and_a_missed_cancel_is_repaired() -> None:
    async def scenario(system: System) -> None:
        await sell(system, 12)
        for hook in await system.flush_webhooks():
            await system.deliver(hook)
        await system.engine.orders.drain()
        shop, _ = await system.states()
        first, second = shop["orders"][2]["id"], shop["orders"][5]["id"]
        # Cancelled with the webhook delivered: the engine cancels the sales order itself.
        assert (await shopify(system, "POST", f"orders/{first}/cancel.json")).status_code == 200
        for hook in await system.flush_webhooks():
            await system.deliver(hook)
        assert await system.engine.order_changes.work_once() == 1
        # Cancelled with the webhook lost.
        assert (await shopify(system, "POST", f"orders/{second}/cancel.json")).status_code == 200
        await system.flush_webhooks()
        system.clock.advance(2 * LAG)
        reconciler, repair = wire(system)
        report = await reconciler.run_pass()
        assert [(f.cause, f.where, f.record_key) for f in report.findings] == [
            (Cause.CANCELLATION, Where.ENGINE, str(second))
        ]
        assert repair.done == {"change": 1}
        assert await system.engine.order_changes.work_once() == 1
        _, erp = await system.states()
        statuses = {so["channel_order_id"]: so["status"] for so in erp["sales_orders"]}
        assert statuses[str(first)] == statuses[str(second)] == "C"
        assert (await reconciler.run_pass()).findings == []

    run(scenario)


def test_a_synced_order_missing_from_the_back_office_is_requeued_once() -> None:
    async def scenario(system: System) -> None:
        await sell(system, 9)
        for hook in await system.flush_webhooks():
            await system.deliver(hook)
        await system.engine.orders.drain()
        # Someone deleted a sales order in the back office.
        model = system.erp.state.model
        victim = sorted(model.orders.by_external_id)[4]
        order = model.orders.by_external_id.pop(victim)
        del model.orders.by_id[order.id]
        system.clock.advance(2 * LAG)
        reconciler, repair = wire(system)
        report = await reconciler.run_pass()
        assert [(f.cause, f.where) for f in report.findings] == [(Cause.MISSING, Where.BACK_OFFICE)]
        assert repair.done == {"requeued": 1}
        await system.engine.orders.drain()
        assert victim in model.orders.by_external_id
        assert (await reconciler.run_pass()).findings == []
        (group,) = system.engine.store.exceptions(flow="orders")
        assert group["code"] == "RECONCILE_REPAIR" and group["state"] == "resolved"

    run(scenario)


def test_the_engine_loop_runs_every_reconciler_clean_after_a_synced_sale() -> None:
    from sync_engine.reconcile.wiring import build_engine_loop

    async def scenario(system: System) -> None:
        await sell(system, 6)
        for hook in await system.flush_webhooks():
            await system.deliver(hook)
        await system.engine.orders.drain()
        system.clock.advance(2 * LAG)
        wired = build_engine_loop(system.engine, settings=ReconcileSettings(lag=LAG))
        assert wired.skipped == {} and set(wired.repairs) == {"shopify"}
        reports = await wired.loop.run_once()
        assert [r.channel for r in reports] == ["shopify"] * 4 + ["stock"]
        assert [len(r.findings) for r in reports] == [0] * 5
        assert all(r.complete for r in reports)
        status = wired.loop.status()
        assert set(status["latest"]) == {
            "shopify",
            "shopify:refunds",
            "shopify:payouts",
            "shopify:fulfilments",
            "stock",
        }

    run(scenario)
