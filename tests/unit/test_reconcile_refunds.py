"""Refunds against credit memos, in the real engine (in process): one aggregate call when all
is well; refund timing below the threshold, a missing or wrong credit memo above it."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx

from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.reconcile import Cause, Meter
from sync_engine.reconcile.refunds import PostingReconciler, RefundReconciler, payouts
from tests.harness import SHOPIFY_CREDS, System, build

V = "/admin/api/2026-01"
AUTH = {"X-Shopify-Access-Token": SHOPIFY_CREDS["access_token"]}
LAG = 600.0


async def shopify(system: System, method: str, path: str, **kw: Any) -> httpx.Response:
    async with system.client(system.shopify, "http://shopify.test") as client:
        return await client.request(method, f"{V}/{path}", headers=AUTH, **kw)


async def refund_one_unit(system: System, order: dict[str, Any]) -> None:
    line = order["line_items"][0]
    body: dict[str, Any] = {
        "refund": {"refund_line_items": [{"line_item_id": line["id"], "quantity": 1}]}
    }
    calc = (
        await shopify(system, "POST", f"orders/{order['id']}/refunds/calculate.json", json=body)
    ).json()
    amount = calc["refund"]["transactions"][0]["amount"]
    body["refund"]["transactions"] = [{"kind": "refund", "amount": amount}]
    created = await shopify(system, "POST", f"orders/{order['id']}/refunds.json", json=body)
    assert created.status_code == 201


def netsuite(system: System) -> NetSuiteRest:
    erp = system.engine.erp
    assert isinstance(erp, NetSuiteRest)
    return erp


def test_credit_memos_match_refunds_and_timing_missing_and_wrong_ones_are_told_apart() -> None:
    async def go() -> None:
        system = await build(skus={"A": 50, "B": 50})
        try:
            for i in range(3):
                assert await system.checkout([{"sku": "AB"[i % 2], "quantity": 2}]) == 201
            for hook in await system.flush_webhooks():
                await system.deliver(hook)
            await system.engine.orders.drain()
            shop, _ = await system.states()
            orders = shop["orders"]
            for order in orders[:2]:
                await refund_one_unit(system, order)
            flow = system.engine.refunds
            await flow.discover()
            assert await flow.work_once() == 2
            meter = Meter()
            check = RefundReconciler(
                channel="shopify",
                back_office=netsuite(system),
                store=system.engine.store,
                clock=system.clock,
                meter=meter,
                lag=LAG,
            )
            clean = await check.run_pass()
            assert clean.findings == [] and clean.calls == {"back_office": 1}
            # A third refund found by the engine but not applied yet: timing, not drift.
            await refund_one_unit(system, orders[2])
            await flow.discover()
            timing = await check.run_pass()
            [item] = timing.findings
            assert item.cause is Cause.REFUND_TIMING and not item.drift
            system.clock.advance(2 * LAG)
            late = await check.run_pass()
            assert [f.cause for f in late.findings] == [Cause.MISSING_CREDIT_MEMO]
            assert await flow.work_once() == 1
            # Someone voids one credit memo and edits another in the back office.
            book = system.erp.state.model.credit_memos
            memos = sorted(book.by_id.values(), key=lambda m: m.id)
            del book.by_id[memos[0].id]
            memos[1].shipping_cost += Decimal("1.00")
            broken = await check.run_pass()
            found = {(f.cause, f.record_key) for f in broken.findings}
            assert found == {
                (Cause.MISSING_CREDIT_MEMO, memos[0].external_id),
                (Cause.TOTAL, memos[1].external_id),
            }
            assert broken.calls == {"back_office": 2} and all(f.drift for f in broken.findings)
        finally:
            await system.engine.stop()

    asyncio.run(go())


def test_payout_journals_match_their_payouts_by_the_journal_rule() -> None:
    async def go() -> None:
        system = await build(skus={"A": 50})
        try:
            assert await system.checkout([{"sku": "A", "quantity": 3}]) == 201
            for hook in await system.flush_webhooks():
                await system.deliver(hook)
            await system.engine.orders.drain()
            async with system.client(system.shopify, "http://shopify.test") as client:
                assert (await client.post("/_sim/payout")).status_code == 200
            flow = system.engine.payouts
            await flow.discover()
            check = PostingReconciler(
                channel="shopify",
                back_office=netsuite(system),
                store=system.engine.store,
                clock=system.clock,
                meter=Meter(),
                posting=payouts(system.engine.config.accounts),
                lag=LAG,
            )
            queued = await check.run_pass()
            assert [(f.cause, f.drift) for f in queued.findings] == [(Cause.SYNC_LAG, False)]
            assert await flow.work_once() == 1
            clean = await check.run_pass()
            assert clean.findings == [] and clean.calls == {"back_office": 1}
            [entry] = system.erp.state.model.journal.by_id.values()
            entry.lines = entry.lines[1:]  # someone deleted a line: the totals move
            broken = await check.run_pass()
            assert [f.cause for f in broken.findings] == [Cause.TOTAL]
        finally:
            await system.engine.stop()

    asyncio.run(go())
