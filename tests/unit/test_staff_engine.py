"""Staff actions through the real engine, in process: an order the engine first sees already
cancelled (orders/cancelled delivered before orders/create, or found by the poller after the
cancel) must end cancelled in the ERP, not open — found by the staff-actions rehearsal."""

from __future__ import annotations

import asyncio

from tests.harness import System, build
from tests.unit.test_post_purchase_flows import deliver_changes


def test_an_order_first_seen_cancelled_is_cancelled_in_the_erp() -> None:
    async def scenario(system: System) -> None:
        assert await system.checkout([{"sku": "A", "quantity": 1}]) == 201
        assert await system.checkout([{"sku": "B", "quantity": 2}]) == 201
        hooks = await system.flush_webhooks()
        async with system.client(system.shopify, "http://shopify.test") as c:
            r = await c.post("/_sim/staff", json={"action": "cancel", "pick": 0})
            assert r.status_code == 200, r.text
            cancelled = r.json()["order_id"]
        # the cancellation's webhooks overtake the first order's orders/create
        late = [h for h in hooks if str(cancelled).encode() in h.body]
        for hook in [*await system.flush_webhooks(), *late]:
            await system.deliver(hook)
        for hook in hooks:
            if hook not in late:
                await system.deliver(hook)
        await system.engine.orders.drain()
        await deliver_changes(system)
        await system.engine.order_changes.work_once()
        _, erp = await system.states()
        status = {so["externalId"]: so["status"] for so in erp["sales_orders"]}
        assert status[f"shopify-{cancelled}"] == "C"
        assert sorted(status.values()) == ["B", "C"]
        assert system.engine.store.held_jobs() == []

    async def go() -> None:
        system = await build(skus={"A": 20, "B": 20})
        try:
            await scenario(system)
        finally:
            await system.engine.stop()

    asyncio.run(go())
