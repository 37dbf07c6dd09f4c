"""Shopify mock: store staff (``POST /_sim/staff``) edit addresses, cancel and refund orders
picked deterministically among the eligible ones, without spending the app's API bucket, with
the admin API's webhooks and state changes; 409 ``none_eligible`` when nothing qualifies."""

from __future__ import annotations

import asyncio
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.shopify.api import create_app
from simclock import VirtualClock
from tests.unit.test_shopify_quirks import AUTH, SEED, TOKEN, Receiver, Scenario, V, buy, subscribe


def run(scenario: Scenario, *, receiver: Receiver | None = None) -> None:
    clock = VirtualClock()
    app = create_app(
        settings={},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": "s"},
        seed=3,
        webhook_transport=httpx.ASGITransport(app=receiver.app) if receiver else None,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, app, clock)

    asyncio.run(main())


async def staff(
    client: httpx.AsyncClient, action: str, pick: float, **extra: Any
) -> httpx.Response:
    return await client.post("/_sim/staff", json={"action": action, "pick": pick, **extra})


async def orders(client: httpx.AsyncClient) -> dict[int, dict[str, Any]]:
    return {o["id"]: o for o in (await client.get("/_mock/state")).json()["orders"]}


def test_staff_actions_change_orders_like_the_admin_api_and_send_its_webhooks() -> None:
    receiver = Receiver()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "orders/updated", "orders/cancelled", "refunds/create")
        ids = [
            (await buy(client, ("SKU-1", 2), ("SKU-3", 1))).json()["order"]["id"] for _ in range(3)
        ]
        await app.state.outbox.deliver_due()
        receiver.received.clear()
        calls_before = (await client.get("/_mock/stats")).json()["calls"]

        # pick 0.5 of three eligible orders is the second one, in id order
        r = await staff(client, "cancel", 0.5)
        assert r.status_code == 200, r.text
        assert r.json()["order_id"] == ids[1]
        r = await staff(client, "edit-address", 0.0)
        assert r.status_code == 200, r.text
        assert r.json()["order_id"] == ids[0]
        r = await staff(client, "refund", 0.99, refund_share="full")
        assert r.status_code == 200, r.text
        assert r.json()["order_id"] == ids[2]  # the cancelled one is no longer eligible

        state = await orders(client)
        cancelled = state[ids[1]]
        assert cancelled["cancelled_at"] is not None and cancelled["cancel_reason"] == "staff"
        assert state[ids[0]]["shipping_address"]["address1"] == "1 Staff Lane"
        refunded = state[ids[2]]
        assert refunded["financial_status"] == "refunded"
        paid_back = sum(Decimal(t["amount"]) for t in refunded["refunds"][0]["transactions"])
        assert paid_back == Decimal(refunded["total_price"])
        # cancel restocked: 10 - 3 orders x 2 + 2 back
        levels = (await client.get("/_mock/state")).json()["inventory_levels"]
        assert sum(lv["available"] for lv in levels if lv["sku"] == "SKU-1") == 6

        await app.state.outbox.deliver_due()
        assert sorted(receiver.topics()) == sorted(
            [
                "orders/cancelled",
                "orders/updated",
                "orders/updated",
                "refunds/create",
                "orders/updated",
            ]
        )
        # staff use the admin UI: the app's API calls and bucket are untouched
        assert (await client.get("/_mock/stats")).json()["calls"] == calls_before
        counts = (await client.get("/_mock/state")).json()["staff"]
        assert {a: c["done"] for a, c in counts.items()} == {
            "edit-address": 1,
            "cancel": 1,
            "refund": 1,
        }
        assert counts["cancel"]["order_ids"] == [ids[1]]

    run(scenario, receiver=receiver)


def test_partial_refunds_take_a_share_of_units_and_add_up_to_the_order() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = (await buy(client, ("SKU-1", 2), ("SKU-3", 4))).json()["order"]
        r = await staff(client, "refund", 0.0, refund_share="0.5")
        assert r.status_code == 200, r.text
        units = {
            li["line_item_id"]: li["quantity"] for li in r.json()["refund"]["refund_line_items"]
        }
        assert sorted(units.values()) == [1, 2]
        assert (await orders(client))[order["id"]]["financial_status"] == "partially_refunded"
        r = await staff(client, "refund", 0.0, refund_share="partial")
        assert len(r.json()["refund"]["refund_line_items"]) == 1
        for _ in range(10):  # one unit at a time, then the shipping: never beyond the order
            if (await staff(client, "refund", 0.0, refund_share="partial")).status_code == 409:
                break
        got = (await orders(client))[order["id"]]
        assert got["financial_status"] == "refunded"
        paid_back = sum(
            Decimal(t["amount"]) for refund in got["refunds"] for t in refund["transactions"]
        )
        assert paid_back == Decimal(got["total_price"])

    run(scenario)


def test_none_eligible_is_409_naming_the_action_and_bad_bodies_are_422() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await staff(client, "cancel", 0.3)
        assert r.status_code == 409
        assert r.json() == {
            "error": "none_eligible",
            "action": "cancel",
            "reason": "no open, paid order without fulfilments",
        }
        order = (await buy(client, ("SKU-1", 1))).json()["order"]
        body = {"fulfillment": {"line_items_by_fulfillment_order": []}}
        fo = await client.get(f"{V}/orders/{order['id']}/fulfillment_orders.json", headers=AUTH)
        body["fulfillment"]["line_items_by_fulfillment_order"] = [
            {"fulfillment_order_id": fo.json()["fulfillment_orders"][0]["id"]}
        ]
        assert (
            await client.post(f"{V}/fulfillments.json", json=body, headers=AUTH)
        ).status_code == 201
        for action in ("cancel", "edit-address"):  # fulfilled orders are past staff's reach
            assert (await staff(client, action, 0.0)).status_code == 409
        assert (await staff(client, "refund", 0.0)).status_code == 200  # refunds still can
        for bad in (
            {"action": "delete", "pick": 0.1},
            {"action": "cancel", "pick": 1.0},
            {"action": "cancel", "pick": True},
            {"action": "cancel"},
            {"action": "refund", "pick": 0.1, "refund_share": "1.5"},
            {"action": "refund", "pick": 0.1, "refund_share": 0},
            {"action": "cancel", "pick": 0.1, "restock": "yes"},
        ):
            r = await client.post("/_sim/staff", json=bad)
            assert r.status_code == 422, bad
            assert r.json()["error"] == "invalid_request"
        counts = (await client.get("/_mock/state")).json()["staff"]
        assert (
            counts["cancel"]["none_eligible"] == 2 and counts["edit-address"]["none_eligible"] == 1
        )

    run(scenario)


def test_a_cancel_without_restock_leaves_the_units_off_sale() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await buy(client, ("SKU-1", 3))
        r = await staff(client, "cancel", 0.0, restock=False)
        assert r.status_code == 200, r.text
        assert r.json()["order"]["cancelled_at"] is not None
        levels = (await client.get("/_mock/state")).json()["inventory_levels"]
        assert sum(lv["available"] for lv in levels if lv["sku"] == "SKU-1") == 7

    run(scenario)
