"""Post-purchase flows end to end, in process (Shopify + ERP mocks, the engine, one virtual
clock): shipments close the channel's fulfilment, refunds become credit memos, payouts become
balanced journals, and changes flow until the picking cut-off — after it they are held."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.harness import SHOPIFY_CREDS, System, build

V = "/admin/api/2026-01"
AUTH = {"X-Shopify-Access-Token": SHOPIFY_CREDS["access_token"]}
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


def run(
    scenario: Callable[[System], Awaitable[None]],
    shopify_settings: dict[str, Any] | None = None,
    **overrides: Any,
) -> None:
    async def go() -> None:
        system = await build(
            skus={"A": 20, "B": 20},
            shopify_settings=shopify_settings,
            engine_overrides={**CARRIERS, **overrides},
        )
        try:
            await scenario(system)
        finally:
            await system.engine.stop()

    asyncio.run(go())


async def sold_and_synced(system: System, lines: list[dict[str, Any]]) -> dict[str, Any]:
    """One checkout, its webhook delivered, the order in the ERP; returns the Shopify order."""
    assert await system.checkout(lines) == 201
    for hook in await system.flush_webhooks():
        await system.deliver(hook)
    await system.engine.orders.drain()
    shop, _ = await system.states()
    order: dict[str, Any] = shop["orders"][-1]
    return order


async def shopify(system: System, method: str, path: str, **kw: Any) -> httpx.Response:
    async with system.client(system.shopify, "http://shopify.test") as c:
        return await c.request(method, f"{V}/{path}", headers=AUTH, **kw)


async def erp_post(system: System, path: str, body: dict[str, Any]) -> dict[str, Any]:
    async with system.client(system.erp, "http://erp.test") as c:
        r = await c.post(path, json=body)
        assert r.status_code == 200, r.text
        result: dict[str, Any] = r.json()
        return result


async def deliver_changes(system: System) -> None:
    for hook in await system.flush_webhooks():
        await system.deliver(hook)


def test_an_erp_shipment_closes_the_shopify_fulfilment_once_with_the_mapped_carrier() -> None:
    async def scenario(system: System) -> None:
        order = await sold_and_synced(system, [{"sku": "A", "quantity": 2}])
        await erp_post(system, "/_sim/ship", {})
        flow = system.engine.fulfilments
        assert await flow.discover() == 1
        assert await flow.work_once() == 1
        assert await flow.discover() == 0  # found once: the cursor moved with the job
        (fulfilment,) = (
            await shopify(system, "GET", f"orders/{order['id']}/fulfillments.json")
        ).json()["fulfillments"]
        assert fulfilment["tracking_company"] in ("UPS", "FedEx", "USPS")
        assert fulfilment["tracking_number"]
        _, erp = await system.states()
        assert system.engine.store.job_counts()["fulfilments"] == {"done": 1}
        assert erp["sales_orders"][0]["status"] in ("F", "E", "G")  # fulfilled in the ERP too

    run(scenario)


def test_an_unmapped_carrier_is_held_under_the_flag_rule() -> None:
    async def scenario(system: System) -> None:
        order = await sold_and_synced(system, [{"sku": "A", "quantity": 1}])
        # The warehouse ships with a local carrier Shopify does not know.
        async with system.client(system.erp, "http://erp.test") as c:
            r = await c.post(
                f"/services/rest/record/v1/salesOrder/eid:shopify-{order['id']}/!transform/itemFulfillment",
                json={"shipCarrier": "Bob's Vans", "trackingNumbers": "BV-1"},
                headers={"Authorization": "Bearer erp_test"},
            )
            assert r.status_code == 204, r.text
        flow = system.engine.fulfilments
        await flow.discover()
        assert await flow.work_once() == 0
        (held,) = system.engine.store.held_jobs()
        assert held["flow"] == "fulfilments" and "UNKNOWN_CARRIER" in held["reason"]
        (group,) = system.engine.store.exceptions(flow="fulfilments")
        assert group["code"] == "UNKNOWN_CARRIER"

    run(scenario, mapping={"unknown_carrier": "flag"})


def test_a_partial_refund_with_restock_becomes_one_credit_memo() -> None:
    async def scenario(system: System) -> None:
        order = await sold_and_synced(
            system, [{"sku": "A", "quantity": 2}, {"sku": "B", "quantity": 1}]
        )
        line = next(li for li in order["line_items"] if li["sku"] == "A")
        body = {
            "refund": {
                "refund_line_items": [
                    {"line_item_id": line["id"], "quantity": 1, "restock_type": "cancel"}
                ]
            }
        }
        calc = (
            await shopify(system, "POST", f"orders/{order['id']}/refunds/calculate.json", json=body)
        ).json()
        body["refund"]["transactions"] = [
            {"kind": "refund", "amount": calc["refund"]["transactions"][0]["amount"]}
        ]
        assert (
            await shopify(system, "POST", f"orders/{order['id']}/refunds.json", json=body)
        ).status_code == 201
        await deliver_changes(system)  # refunds/create reaches the engine as well as the poll
        flow = system.engine.refunds
        await flow.discover()
        assert await flow.work_once() == 1
        await flow.discover()
        assert await flow.work_once() == 0  # the webhook and the poll found the same refund
        _, erp = await system.states()
        (memo,) = erp["credit_memos"]
        assert memo["total"] == calc["refund"]["transactions"][0]["amount"]

    run(scenario)


def test_a_payout_becomes_one_balanced_journal_entry() -> None:
    async def scenario(system: System) -> None:
        await sold_and_synced(system, [{"sku": "A", "quantity": 3}])
        async with system.client(system.shopify, "http://shopify.test") as c:
            payout = (await c.post("/_sim/payout")).json()["payout"]
        flow = system.engine.payouts
        assert await flow.discover() == 1
        assert await flow.work_once() == 1
        _, erp = await system.states()
        (entry,) = erp["journal_entries"]
        debits = sum(float(line["debit"] or 0) for line in entry["lines"])
        credits = sum(float(line["credit"] or 0) for line in entry["lines"])
        assert round(debits, 2) == round(credits, 2)
        assert any(line["debit"] == payout["amount"] for line in entry["lines"])  # the bank's net

    run(scenario)


def test_a_cancellation_before_picking_cancels_the_sales_order() -> None:
    async def scenario(system: System) -> None:
        order = await sold_and_synced(system, [{"sku": "A", "quantity": 1}])
        assert (
            await shopify(system, "POST", f"orders/{order['id']}/cancel.json")
        ).status_code == 200
        await deliver_changes(system)
        assert await system.engine.order_changes.work_once() == 1
        _, erp = await system.states()
        assert erp["sales_orders"][0]["status"] == "C"

    run(scenario)


def test_a_cancellation_after_picking_is_held_as_past_cutoff_not_lost() -> None:
    async def scenario(system: System) -> None:
        order = await sold_and_synced(system, [{"sku": "A", "quantity": 1}])
        await erp_post(system, "/_sim/ship", {})
        assert (
            await shopify(system, "POST", f"orders/{order['id']}/cancel.json")
        ).status_code == 200
        await deliver_changes(system)
        assert await system.engine.order_changes.work_once() == 0
        (held,) = system.engine.store.held_jobs()
        assert held["flow"] == "order_changes" and "fulfilment has started" in held["reason"]
        (group,) = system.engine.store.exceptions(flow="order_changes")
        assert group["code"] == "PAST_CUTOFF"
        _, erp = await system.states()
        assert erp["sales_orders"][0]["status"] != "C"

    run(scenario)


def test_an_address_change_reaches_the_erp_before_picking_and_is_held_after() -> None:
    async def scenario(system: System) -> None:
        first = await sold_and_synced(system, [{"sku": "A", "quantity": 1}])
        second = await sold_and_synced(system, [{"sku": "B", "quantity": 1}])
        # The warehouse picks the first order only (the oldest open one).
        await erp_post(system, "/_sim/ship", {"max_orders": 1})
        for order, city in ((first, "Leeds"), (second, "York")):
            async with system.client(system.shopify, "http://shopify.test") as c:
                r = await c.post(
                    "/_sim/edit-order",
                    json={"order_id": order["id"], "shipping_address": {"city": city}},
                )
                assert r.status_code == 200, r.text
            system.clock.advance(1)  # a later update_at: a newer version
        await deliver_changes(system)
        assert await system.engine.order_changes.work_once() == 1
        _, erp = await system.states()
        sos = {so["externalId"]: so for so in erp["sales_orders"]}
        assert (sos[f"shopify-{second['id']}"]["ship_address"] or {}).get("city") == "York"
        assert (sos[f"shopify-{first['id']}"]["ship_address"] or {}).get("city") != "Leeds"
        (held,) = system.engine.store.held_jobs()
        assert held["record_key"].startswith(f"shopify-{first['id']}@")
        (group,) = system.engine.store.exceptions(flow="order_changes")
        assert group["code"] == "PAST_CUTOFF"

    run(scenario, shopify_settings={"post_purchase_edits": True})
