"""The engine against both mocks in one process (virtual clock, httpx.ASGITransport)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.harness import System, build


def run(coro: Any) -> Any:
    return asyncio.run(coro)


async def erp_move(system: System, sku: str, delta: int) -> None:
    async with system.client(system.erp, "http://erp.test") as c:
        r = await c.post(
            "/_sim/stock-movement",
            json={
                "sku": sku,
                "location_id": "1",
                "delta": delta,
                "reason": "receipt" if delta > 0 else "other_channel",
            },
        )
        r.raise_for_status()


def channel_levels(shop_state: dict[str, Any]) -> dict[str, int]:
    return {lv["sku"]: lv["available"] for lv in shop_state["inventory_levels"]}


def test_wrong_hmac_gets_401_and_changes_nothing() -> None:
    async def go() -> None:
        system = await build(skus={"A": 5})
        assert await system.checkout([{"sku": "A", "quantity": 1}]) == 201
        (hook,) = await system.flush_webhooks()
        response = await system.deliver(hook, tamper=True)
        assert response.status_code == 401
        assert system.engine.store.order_counts() == {"pending": 0, "synced": 0, "exception": 0}
        forged = dict(hook.headers, **{"x-shopify-hmac-sha256": "AAAA"})
        async with system.client(system.engine_app, "http://engine.test") as c:
            r = await c.post("/webhooks/shopify", content=hook.body, headers=forged)
        assert r.status_code == 401
        assert system.engine.store.order_counts()["pending"] == 0
        # The genuine delivery is accepted once; its retry is recognised as a duplicate.
        assert (await system.deliver(hook)).json() == {"status": "accepted"}
        assert (await system.deliver(hook)).json() == {"status": "duplicate"}
        assert system.engine.store.order_counts()["pending"] == 1
        await system.engine.stop()

    run(go())


def test_signed_but_malformed_body_is_refused_with_a_reason() -> None:
    async def go() -> None:
        system = await build(skus={"A": 5})
        from sync_engine.connectors.webhook_sig import b64_hmac_sha256

        body = b'{"id": 1, "line_items": "nope"}'
        headers = {
            "X-Shopify-Topic": "orders/create",
            "X-Shopify-Webhook-Id": "w-1",
            "X-Shopify-Hmac-Sha256": b64_hmac_sha256(b"whsec_test", body),
        }
        async with system.client(system.engine_app, "http://engine.test") as c:
            r = await c.post("/webhooks/shopify", content=body, headers=headers)
        assert r.status_code == 422 and "not a Shopify order" in r.json()["error"]
        assert system.engine.store.order_counts()["pending"] == 0
        await system.engine.stop()

    run(go())


def test_erp_stock_changes_reach_the_channel_minus_the_buffer() -> None:
    async def go() -> None:
        system = await build(skus={"A": 20, "B": 20}, engine_overrides={"stock_buffer": 2})
        await system.engine.inventory.push_once()
        await erp_move(system, "A", +7)
        await erp_move(system, "B", -5)
        system.clock.advance(3)
        await system.engine.inventory.poll_erp()
        await system.engine.inventory.push_once()
        shop, _ = await system.states()
        assert channel_levels(shop) == {"A": 25, "B": 13}
        await system.engine.stop()

    run(go())


def test_push_commutes_with_checkouts_in_flight() -> None:
    """A checkout between our reading and our push must not be undone by the push."""

    async def go() -> None:
        system = await build(skus={"A": 10})
        await erp_move(system, "A", +5)
        await system.engine.inventory.poll_erp()
        # A shopper buys 3 before the engine hears of it (webhook still in the outbox).
        assert await system.checkout([{"sku": "A", "quantity": 3}]) == 201
        await system.engine.inventory.push_once()
        shop, _ = await system.states()
        assert channel_levels(shop) == {"A": 12}  # 15 in the ERP, 3 of them already sold
        for hook in await system.flush_webhooks():
            await system.deliver(hook)
        await system.engine.orders.drain()
        system.clock.advance(3)
        await system.engine.inventory.poll_erp()
        await system.engine.inventory.push_once()
        findings = await system.findings()
        assert findings.stock_drift_units == 0 and findings.oversold_units == 0
        await system.engine.stop()

    run(go())


def test_unknown_sku_is_held_as_an_exception_not_dropped() -> None:
    async def go() -> None:
        system = await build(skus={"A": 5})
        # The channel sells a SKU the ERP has never heard of.
        async with system.client(system.shopify, "http://shopify.test") as c:
            r = await c.post(
                "/_mock/seed",
                json={
                    "products": [
                        {"sku": "GHOST", "title": "g", "price": "5.00", "inventory": {"WH": 3}}
                    ]
                },
            )
            r.raise_for_status()
        assert await system.checkout([{"sku": "GHOST", "quantity": 1}]) == 201
        for hook in await system.flush_webhooks():
            await system.deliver(hook)
        await system.engine.orders.drain()
        (exception,) = system.engine.store.exceptions()
        # The mapping catches it against the catalogue, before an ERP call is spent on it.
        assert "GHOST" in exception["reason"] and exception["code"] == "UNKNOWN_SKU"
        findings = await system.findings()
        assert findings.lost == 1 and findings.unsurfaced_failures == 0
        await system.engine.stop()

    run(go())


def test_engine_http_surface() -> None:
    async def go() -> None:
        system = await build(skus={"A": 5})
        async with system.client(system.engine_app, "http://engine.test") as c:
            status = (await c.get("/status")).json()
            metrics = (await c.get("/metrics")).text
        assert status["ready"] and status["orders"]["pending"] == 0
        assert 'rehearsal_engine_calls_total{destination="shopify",status="200"}' in metrics
        await system.engine.stop()

    run(go())
