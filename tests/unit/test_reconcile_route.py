"""``POST /reconcile``: a webhook the engine never got is found by reconciliation (not by the
poller: it is switched off here) and repaired, so the order reaches the ERP."""

from __future__ import annotations

import asyncio

from tests.harness import build


def test_a_dropped_webhook_is_found_and_repaired_on_demand() -> None:
    async def go() -> None:
        system = await build(skus={"A": 20})
        try:
            for _ in range(3):
                assert await system.checkout([{"sku": "A", "quantity": 1}]) == 201
            hooks = await system.flush_webhooks()
            for hook in hooks[1:]:  # the first delivery is lost
                await system.deliver(hook)
            await system.engine.orders.drain()
            system.clock.advance(system.engine.config.reconcile.lag + 60)
            async with system.client(system.engine_app, "http://engine.test") as c:
                found = (await c.post("/reconcile")).json()
                assert found["drift"] >= 1
                assert (
                    found["by_cause"].get("missing_order", 0)
                    + found["by_cause"].get("unmapped_order", 0)
                    >= 1
                ), found["by_cause"]
                await system.engine.orders.drain()
                again = (await c.post("/reconcile")).json()
                assert again["drift"] == 0, again["by_cause"]
                assert (await c.get("/reconcile")).json()["drift"] == 0
            findings = await system.findings()
            assert findings.lost == 0 and findings.duplicated == 0
        finally:
            await system.engine.stop()

    asyncio.run(go())
