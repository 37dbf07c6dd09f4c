"""The exception queue: grouping by fingerprint, triage routes, replay, alerts (in-process)."""

from __future__ import annotations

import asyncio
import json

import httpx

from tests.harness import System, build

ALERTS = "http://alerts.test/alerts"


async def sell_unknown_sku(system: System, orders: int) -> None:
    """The channel sells GHOST, which the ERP has never heard of (the seeds' unknown SKU)."""
    async with system.client(system.shopify, "http://shopify.test") as c:
        r = await c.post(
            "/_mock/seed",
            json={
                "products": [
                    {"sku": "GHOST", "title": "g", "price": "5.00", "inventory": {"WH": 50}}
                ]
            },
        )
        r.raise_for_status()
    for i in range(orders):
        assert await system.checkout([{"sku": "GHOST", "quantity": 1}], f"g{i}@example.com") == 201
    for hook in await system.flush_webhooks():
        await system.deliver(hook)
    await system.engine.orders.drain()


def test_recurring_failure_groups_under_one_fingerprint_and_alerts_new_then_threshold() -> None:
    async def go() -> None:
        system = await build(
            skus={"A": 5}, engine_overrides={"alerts": {"url": ALERTS, "threshold": 3}}
        )
        received: list[dict[str, object]] = []

        def sink(request: httpx.Request) -> httpx.Response:
            received.append(json.loads(request.content))
            return httpx.Response(200)

        system.engine.alerts.transport = httpx.MockTransport(sink)
        await sell_unknown_sku(system, orders=4)
        await system.engine.alerts.drain()
        (held,) = system.engine.store.exceptions()
        assert held["count"] == 4 and held["state"] == "new" and held["flow"] == "orders"
        assert "GHOST" in held["reason"]
        assert [a["alert"] for a in received] == ["new", "threshold"]
        assert {a["fingerprint"] for a in received} == {held["fingerprint"]}
        findings = await system.findings()
        assert findings.lost == 4 and findings.unsurfaced_failures == 0
        await system.engine.stop()

    asyncio.run(go())


def test_replay_after_the_cause_is_fixed_syncs_the_held_orders_and_resolves() -> None:
    async def go() -> None:
        system = await build(skus={"A": 5})
        await sell_unknown_sku(system, orders=3)
        async with system.client(system.engine_app, "http://engine.test") as engine:
            listed = (await engine.get("/exceptions", params={"state": "new"})).json()
            (held,) = listed["exceptions"]
            fp = held["fingerprint"]
            assert (await engine.get("/exceptions", params={"state": "bogus"})).status_code == 400
            assert (await engine.post("/exceptions/nope/resolve")).status_code == 404
            # An operator adds the missing item to the ERP, then replays the group.
            async with system.client(system.erp, "http://erp.test") as erp:
                (
                    await erp.post(
                        "/_mock/seed", json={"items": [{"sku": "GHOST", "on_hand": {"1": 50}}]}
                    )
                ).raise_for_status()
            replay = (await engine.post(f"/exceptions/{fp}/replay")).json()
            assert replay == {"fingerprint": fp, "requeued": 3}
            await system.engine.orders.drain()
            (after,) = (await engine.get("/exceptions")).json()["exceptions"]
        assert after["state"] == "resolved"
        findings = await system.findings()
        assert findings.lost == 0 and findings.duplicated == 0
        await system.engine.stop()

    asyncio.run(go())


def test_ignore_marks_the_group_without_touching_its_orders() -> None:
    async def go() -> None:
        system = await build(skus={"A": 5})
        await sell_unknown_sku(system, orders=1)
        (held,) = system.engine.store.exceptions()
        async with system.client(system.engine_app, "http://engine.test") as engine:
            r = await engine.post(f"/exceptions/{held['fingerprint']}/ignore")
        assert r.json()["state"] == "ignored"
        assert system.engine.store.order_counts()["exception"] == 1
        await system.engine.stop()

    asyncio.run(go())
