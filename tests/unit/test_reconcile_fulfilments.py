"""Fulfilments: back-office shipments and their tracking on the channel, in the real engine."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.reconcile import Cause, Meter
from sync_engine.reconcile.findings import Where
from sync_engine.reconcile.fulfilments import FulfilmentReconciler
from tests.harness import System, build

LAG = 600.0
CARRIERS = {
    "mapping": {
        "carriers": {
            "shopify": {
                "UPS Ground": "UPS",
                "FedEx Home Delivery": "FedEx",
                "USPS Priority Mail": "USPS",
            }
        }
    }
}


async def ship(system: System, max_orders: int) -> list[dict[str, Any]]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=system.erp), base_url="http://erp.test"
    ) as erp:
        made = await erp.post("/_sim/ship", json={"max_orders": max_orders})
        assert made.status_code == 200
        shipped: list[dict[str, Any]] = made.json()["fulfillments"]
        return shipped


def netsuite(system: System) -> NetSuiteRest:
    erp = system.engine.erp
    assert isinstance(erp, NetSuiteRest)
    return erp


def test_tracking_is_read_back_once_and_missing_or_unpicked_shipments_are_found() -> None:
    async def go() -> None:
        system = await build(skus={"A": 50, "B": 50}, engine_overrides=CARRIERS)
        try:
            for i in range(5):
                assert await system.checkout([{"sku": "AB"[i % 2], "quantity": 1}]) == 201
            for hook in await system.flush_webhooks():
                await system.deliver(hook)
            await system.engine.orders.drain()
            flow = system.engine.fulfilments
            assert len(await ship(system, 3)) == 3
            await flow.discover()
            assert await flow.work_once() == 3
            check = FulfilmentReconciler(
                channel="shopify",
                rest=system.engine.shopify,
                back_office=netsuite(system),
                store=system.engine.store,
                clock=system.clock,
                meter=Meter(),
                lag=LAG,
            )
            clean = await check.run_pass()
            assert clean.findings == [] and clean.calls == {"back_office": 1, "channel": 1}
            again = await check.run_pass()
            assert again.findings == [] and again.calls == {"back_office": 1}  # read once
            # One more shipment pushed, then lost on the channel; another never picked up.
            assert len(await ship(system, 1)) == 1
            await flow.discover()
            assert await flow.work_once() == 1
            model = system.shopify.state.model
            newest = max(
                (o for o in model.orders.values() if o.resource.get("fulfillments")),
                key=lambda o: max(f["id"] for f in o.resource["fulfillments"]),
            )
            newest.resource["fulfillments"] = []
            [unpicked] = await ship(system, 1)
            young = await check.run_pass()
            assert {(f.cause, f.where) for f in young.findings} == {
                (Cause.MISSING_TRACKING, Where.CHANNEL),
                (Cause.SYNC_LAG, Where.ENGINE),
            }
            system.clock.advance(2 * LAG)
            late = await check.run_pass()
            found = {(f.cause, f.where, f.record_key) for f in late.findings}
            assert (Cause.MISSING_TRACKING, Where.ENGINE, str(unpicked["id"])) in found
            assert all(f.drift for f in late.findings)
        finally:
            await system.engine.stop()

    asyncio.run(go())
