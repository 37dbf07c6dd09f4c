"""Shopify mock: quirks (one test each, named test_quirk_*) and webhooks for every topic."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from mocks.common.webhooks import WebhookOutbox
from mocks.shopify.api import create_app
from simclock import VirtualClock

TOKEN = "shpat_test"
AUTH = {"X-Shopify-Access-Token": TOKEN}
V = "/admin/api/2026-01"
SEED: dict[str, Any] = {
    "locations": [{"name": "Warehouse"}, {"name": "Store"}],
    "products": [
        {"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 10}},
        {
            "sku": "SKU-2",
            "title": "Cap",
            "price": "7.35",
            "inventory": {"Warehouse": 2, "Store": 5},
        },
        {"sku": "SKU-3", "title": "Pin", "price": "0.99", "inventory": {"Warehouse": 50}},
        {
            "sku": "KIT",
            "title": "Tee and two caps",
            "price": "30.00",
            "inventory": {"Warehouse": 100},
            "bundle_components": {"SKU-1": 1, "SKU-2": 2},
        },
    ],
}
Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


class Receiver:
    """A webhook endpoint that records deliveries and answers a chosen status."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[dict[str, str], bytes]] = []
        self.app = FastAPI()

        @self.app.post("/hooks")
        async def hook(request: Request) -> Response:
            self.received.append((dict(request.headers), await request.body()))
            return Response(status_code=self.status)

    def topics(self) -> list[str]:
        return [h["x-shopify-topic"] for h, _ in self.received]

    def bodies(self, topic: str) -> list[dict[str, Any]]:
        return [json.loads(b) for h, b in self.received if h["x-shopify-topic"] == topic]


def run(
    scenario: Scenario, *, settings: dict[str, Any] | None = None, receiver: Receiver | None = None
) -> None:
    """A seeded app on a virtual clock, driven by ``scenario``."""
    clock = VirtualClock()
    app = create_app(
        settings=settings or {},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": "s"},
        seed=3,
        webhook_transport=httpx.ASGITransport(app=receiver.app) if receiver else None,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            r = await client.post("/_mock/seed", json=SEED)
            assert r.status_code == 200, r.text
            await scenario(client, app, clock)

    asyncio.run(main())


async def subscribe(client: httpx.AsyncClient, *topics: str, version: str = "2026-01") -> None:
    for topic in topics:
        body = {"webhook": {"topic": topic, "address": "http://engine/hooks"}}
        r = await client.post(f"/admin/api/{version}/webhooks.json", json=body, headers=AUTH)
        assert r.status_code == 201, r.text


async def buy(client: httpx.AsyncClient, *lines: tuple[str, int], **extra: Any) -> httpx.Response:
    body = {"lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}
    return await client.post("/_sim/checkout", json=body)


async def levels(client: httpx.AsyncClient) -> dict[tuple[str, str], int]:
    state = (await client.get("/_mock/state")).json()
    names = {loc["id"]: loc["name"] for loc in state["locations"]}
    return {
        (lv["sku"], names[lv["location_id"]]): lv["available"] for lv in state["inventory_levels"]
    }


# -- rate-limit quirks ------------------------------------------------------------------------


def test_quirk_variant_creation_daily_limit_429() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        def product(n: int) -> dict[str, Any]:
            return {
                "product": {"title": f"P{n}", "variants": [{"sku": f"NEW-{n}", "price": "1.00"}]}
            }

        for n in range(2):
            assert (
                await client.post(f"{V}/products.json", json=product(n), headers=AUTH)
            ).status_code == 201
        r = await client.post(f"{V}/products.json", json=product(2), headers=AUTH)
        assert r.status_code == 429
        assert r.json() == {
            "errors": {
                "product": [
                    "Daily variant creation limit reached. Please try again later. See "
                    "https://help.shopify.com/api/getting-started/api-call-limit for more "
                    "information about rate limits and how to avoid them."
                ]
            }
        }
        # The bucket is nearly empty: the call-limit header gives no hint of the real cause.
        assert r.headers["x-shopify-shop-api-call-limit"] == "3/40"
        assert "retry-after" not in r.headers
        clock.advance(86_400)  # a new UTC day, a new quota
        assert (
            await client.post(f"{V}/products.json", json=product(2), headers=AUTH)
        ).status_code == 201

    run(scenario, settings={"variant_creation_daily_limit": 2})


def test_quirk_422_too_many_requests_instead_of_429() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        statuses = [
            (await client.get(f"{V}/locations.json", headers=AUTH)).status_code for _ in range(20)
        ]
        assert 422 in statuses and 200 in statuses
        r = next(
            r
            for r in [await client.get(f"{V}/locations.json", headers=AUTH) for _ in range(15)]
            if r.status_code == 422
        )
        assert r.json() == {"errors": "Too many requests"}

    run(scenario, settings={"too_many_requests_422_rate": 0.5, "bucket_size": 100})


def test_quirk_423_locked_after_sustained_429s() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200
        statuses = [
            (await client.get(f"{V}/locations.json", headers=AUTH)).status_code for _ in range(4)
        ]
        assert statuses == [429, 429, 429, 423]  # the third 429 locked the shop
        clock.advance(10)  # the bucket has drained, but the shop is still locked
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 423
        assert (await client.get("/_mock/stats")).json()["shop_locks"] == 1
        clock.advance(60)
        assert (await client.get(f"{V}/locations.json", headers=AUTH)).status_code == 200

    run(
        scenario,
        settings={
            "bucket_size": 1,
            "lock_after_429s": 3,
            "lock_window_seconds": 5,
            "lock_seconds": 60,
        },
    )


def test_quirks_are_off_by_default() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for _ in range(45):
            await client.get(f"{V}/locations.json", headers=AUTH)
        statuses = (await client.get("/_mock/stats")).json()["by_status"]
        assert statuses == {"200": 40, "429": 5}  # never 422, never 423
        for n in range(3):
            body = {"product": {"title": f"P{n}", "variants": [{"sku": f"N{n}", "price": "1"}]}}
            clock.advance(30)
            assert (
                await client.post(f"{V}/products.json", json=body, headers=AUTH)
            ).status_code == 201

    run(scenario)


# -- order quirks -----------------------------------------------------------------------------


def test_quirk_cancel_refused_after_picking_started() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = (await buy(client, ("SKU-1", 1))).json()["order"]
        fos = (
            await client.get(f"{V}/orders/{order['id']}/fulfillment_orders.json", headers=AUTH)
        ).json()
        fo_id = fos["fulfillment_orders"][0]["id"]
        r = await client.post("/_sim/start-picking", json={"fulfillment_order_id": fo_id})
        assert r.json()["fulfillment_order"]["status"] == "in_progress"
        r = await client.post(f"{V}/orders/{order['id']}/cancel.json", json={}, headers=AUTH)
        assert r.status_code == 422
        assert r.json() == {
            "errors": {"base": ["Cannot cancel an order with fulfillment orders in progress"]}
        }

    run(scenario, settings={"cancel_refused_after_picking": True})


def test_quirk_cancel_after_picking_is_allowed_when_switched_off() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = (await buy(client, ("SKU-1", 1))).json()["order"]
        fos = (
            await client.get(f"{V}/orders/{order['id']}/fulfillment_orders.json", headers=AUTH)
        ).json()
        await client.post(
            "/_sim/start-picking", json={"fulfillment_order_id": fos["fulfillment_orders"][0]["id"]}
        )
        r = await client.post(f"{V}/orders/{order['id']}/cancel.json", json={}, headers=AUTH)
        assert r.status_code == 200

    run(scenario)


def test_quirk_bundle_sku_expands_to_components() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        before = await levels(client)
        r = await buy(client, ("KIT", 1))
        assert r.status_code == 201, r.text
        (line,) = r.json()["order"]["line_items"]
        assert line["sku"] == "KIT" and line["price"] == "30.00"
        assert line["properties"] == [{"name": "_components", "value": "SKU-1 x1, SKU-2 x2"}]
        after = await levels(client)
        assert after[("SKU-1", "Warehouse")] == before[("SKU-1", "Warehouse")] - 1
        assert after[("SKU-2", "Warehouse")] == before[("SKU-2", "Warehouse")] - 2
        assert after[("KIT", "Warehouse")] == before[("KIT", "Warehouse")]  # no own stock used
        # Only 0 caps left at the primary location: the next kit is refused there.
        refused = await buy(client, ("KIT", 1))
        assert refused.status_code == 409 and refused.json()["sku"] == "KIT"

    run(scenario, settings={"bundle_expansion": True})


def test_quirk_bundle_sells_as_plain_product_when_switched_off() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        before = await levels(client)
        (line,) = (await buy(client, ("KIT", 1))).json()["order"]["line_items"]
        assert line["properties"] == []
        after = await levels(client)
        assert after[("KIT", "Warehouse")] == before[("KIT", "Warehouse")] - 1
        assert after[("SKU-2", "Warehouse")] == before[("SKU-2", "Warehouse")]

    run(scenario)


def test_quirk_multi_location_takes_stock_from_first_location_with_enough() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await buy(client, ("SKU-1", 1), ("SKU-2", 4))  # Warehouse has only 2 caps
        assert r.status_code == 201, r.text
        order = r.json()["order"]
        after = await levels(client)
        assert after[("SKU-2", "Store")] == 1 and after[("SKU-2", "Warehouse")] == 2
        fos = (
            await client.get(f"{V}/orders/{order['id']}/fulfillment_orders.json", headers=AUTH)
        ).json()
        by_location = {fo["assigned_location"]["name"]: fo for fo in fos["fulfillment_orders"]}
        assert set(by_location) == {"Warehouse", "Store"}
        assert by_location["Store"]["line_items"][0]["line_item_id"] == order["line_items"][1]["id"]
        # A refund restocks where the units came from.
        body = {
            "refund": {
                "refund_line_items": [
                    {
                        "line_item_id": order["line_items"][1]["id"],
                        "quantity": 4,
                        "restock_type": "cancel",
                    }
                ]
            }
        }
        await client.post(f"{V}/orders/{order['id']}/refunds.json", json=body, headers=AUTH)
        assert (await levels(client))[("SKU-2", "Store")] == 5
        assert (await buy(client, ("SKU-2", 6))).status_code == 409  # no single place holds 6

    run(scenario, settings={"checkout_location_strategy": "first_with_stock"})


def test_quirk_multi_location_off_uses_only_the_primary() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await buy(client, ("SKU-2", 4))
        assert r.status_code == 409 and r.json()["available"] == 2

    run(scenario)


def test_quirk_post_purchase_quantity_edit_changes_current_quantity_only() -> None:
    receiver = Receiver()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "orders/edited", "orders/updated")
        order = (await buy(client, ("SKU-1", 3))).json()["order"]
        line = order["line_items"][0]
        r = await client.post(
            "/_sim/edit-order",
            json={"order_id": order["id"], "line_item_id": line["id"], "quantity": 1},
        )
        assert r.status_code == 200, r.text
        edited = r.json()["order"]
        assert edited["line_items"][0]["quantity"] == 3  # unchanged, as on Shopify
        assert edited["line_items"][0]["current_quantity"] == 1
        assert edited["total_price"] == order["total_price"]
        assert edited["current_total_price"] == "26.60"  # 20.00 + 8% + 5.00 shipping
        assert (await levels(client))[("SKU-1", "Warehouse")] == 9
        await app.state.outbox.deliver_due()
        assert receiver.topics() == ["orders/edited", "orders/updated"]
        (edit,) = receiver.bodies("orders/edited")
        assert edit["order_edit"]["line_items"]["removals"] == [{"id": line["id"], "delta": 2}]

    run(scenario, settings={"post_purchase_edits": True}, receiver=receiver)


def test_quirk_post_purchase_address_edit_and_switch() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = (await buy(client, ("SKU-1", 1))).json()["order"]
        r = await client.post(
            "/_sim/edit-order", json={"order_id": order["id"], "shipping_address": {"city": "Oslo"}}
        )
        assert r.status_code == 200
        got = (await client.get(f"{V}/orders/{order['id']}.json", headers=AUTH)).json()["order"]
        assert got["shipping_address"]["city"] == "Oslo"

    run(scenario, settings={"post_purchase_edits": True})

    async def switched_off(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = (await buy(client, ("SKU-1", 1))).json()["order"]
        r = await client.post(
            "/_sim/edit-order", json={"order_id": order["id"], "shipping_address": {"city": "Oslo"}}
        )
        assert r.status_code == 409

    run(switched_off)


def test_quirk_tax_rounds_per_line() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        # Per line: 7.35 x 8% = 0.588 -> 0.59 and 0.99 x 8% = 0.0792 -> 0.08, summed: 1.42.
        # On the order total it would be 17.67 x 8% = 1.4136 -> 1.41.
        lines = [("SKU-2", 1), ("SKU-2", 1), ("SKU-3", 1), ("SKU-3", 1), ("SKU-3", 1)]
        order = (await buy(client, *lines)).json()["order"]
        taxes = [li["tax_lines"][0]["price"] for li in order["line_items"]]
        assert taxes == ["0.59", "0.59", "0.08", "0.08", "0.08"]
        assert order["total_tax"] == "1.42"
        unrounded = Decimal(order["subtotal_price"]) * Decimal("0.08")
        assert unrounded.quantize(Decimal("0.01")) == Decimal("1.41")

    run(scenario)


def test_quirk_discount_allocations_across_lines() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = (
            await buy(client, ("SKU-2", 1), ("SKU-3", 1), ("SKU-3", 1), discount_code="FLASH10")
        ).json()["order"]
        shares = [Decimal(li["discount_allocations"][0]["amount"]) for li in order["line_items"]]
        assert sum(shares) == Decimal(order["total_discounts"]) == Decimal("0.93")
        assert shares == [Decimal("0.73"), Decimal("0.10"), Decimal("0.10")]

    run(scenario)


# -- webhooks -------------------------------------------------------------------------------------


def test_webhooks_for_every_lifecycle_topic_carry_shopify_headers() -> None:
    receiver = Receiver()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(
            client,
            "orders/create",
            "orders/updated",
            "orders/cancelled",
            "refunds/create",
            "fulfillments/create",
            "inventory_levels/update",
        )
        a = (await buy(client, ("SKU-1", 2))).json()["order"]
        b = (await buy(client, ("SKU-3", 1))).json()["order"]
        fos = (
            await client.get(f"{V}/orders/{a['id']}/fulfillment_orders.json", headers=AUTH)
        ).json()
        body = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {"fulfillment_order_id": fos["fulfillment_orders"][0]["id"]}
                ]
            }
        }
        assert (
            await client.post(f"{V}/fulfillments.json", json=body, headers=AUTH)
        ).status_code == 201
        body = {
            "refund": {
                "refund_line_items": [
                    {
                        "line_item_id": a["line_items"][0]["id"],
                        "quantity": 1,
                        "restock_type": "return",
                    }
                ]
            }
        }
        assert (
            await client.post(f"{V}/orders/{a['id']}/refunds.json", json=body, headers=AUTH)
        ).status_code == 201
        r = await client.post(
            f"{V}/orders/{b['id']}/cancel.json", json={"restock": True}, headers=AUTH
        )
        assert r.status_code == 200
        await app.state.outbox.deliver_due()
        topics = receiver.topics()
        for topic in ("orders/create", "fulfillments/create", "refunds/create", "orders/cancelled"):
            assert topic in topics
        assert topics.count("orders/updated") == 3  # fulfilled, refunded, cancelled
        # checkout a, checkout b, return restock, cancel restock
        assert topics.count("inventory_levels/update") == 4
        (cancelled,) = receiver.bodies("orders/cancelled")
        assert cancelled["id"] == b["id"] and cancelled["cancelled_at"]
        (refund,) = receiver.bodies("refunds/create")
        assert refund["refund_line_items"][0]["restock_type"] == "return"
        ids = set()
        for headers, _ in receiver.received:
            for name in (
                "hmac-sha256",
                "shop-domain",
                "api-version",
                "webhook-id",
                "event-id",
                "triggered-at",
            ):
                assert headers[f"x-shopify-{name}"]
            ids.add(headers["x-shopify-webhook-id"])
        assert len(ids) == len(receiver.received)

    run(scenario, receiver=receiver)


def test_webhook_body_follows_the_subscription_version() -> None:
    receiver = Receiver()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "orders/create", version="2026-07")
        await buy(client, ("SKU-1", 1), discount_code="FLASH10")
        await app.state.outbox.deliver_due()
        (body,) = receiver.bodies("orders/create")
        assert "total_discounts" not in body
        assert body["total_discounts_set"]["shop_money"]["amount"] == "2.00"
        assert receiver.received[0][0]["x-shopify-api-version"] == "2026-07"

    run(scenario, receiver=receiver)


def test_webhook_subscription_removed_after_8_consecutive_failed_deliveries() -> None:
    receiver = Receiver()
    receiver.status = 500

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "orders/create")
        outbox = app.state.outbox
        for n in range(8):
            assert (await buy(client, ("SKU-3", 1))).status_code == 201
            for _ in range(9):  # the first attempt and 8 retries, all failing
                await outbox.deliver_due()
                clock.advance(8000)
            subs = (await client.get(f"{V}/webhooks.json", headers=AUTH)).json()["webhooks"]
            assert len(subs) == (1 if n < 7 else 0), n
        assert outbox.counters().abandoned == 8
        assert (await client.get("/_mock/stats")).json()["webhooks"]["subscriptions_removed"] == 1
        await buy(client, ("SKU-3", 1))
        assert outbox.counters().queued == 8  # nobody is listening any more

    run(scenario, receiver=receiver)


def test_webhook_success_resets_the_consecutive_failure_count() -> None:
    receiver = Receiver()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "orders/create")
        outbox = app.state.outbox
        for n in range(12):
            receiver.status = 200 if n == 6 else 500
            await buy(client, ("SKU-3", 1))
            for _ in range(9):
                await outbox.deliver_due()
                clock.advance(8000)
        subs = (await client.get(f"{V}/webhooks.json", headers=AUTH)).json()["webhooks"]
        assert len(subs) == 1 and outbox.counters().abandoned == 11

    run(scenario, receiver=receiver)


def test_outbox_delay_and_reorder_hold_deliveries_back() -> None:
    clock = VirtualClock()

    def outbox(**rates: float) -> WebhookOutbox:
        return WebhookOutbox(clock=clock, seed=1, **rates)

    def held(box: WebhookOutbox) -> list[float]:
        return [
            box.enqueue(
                topic="t", address="http://x/", body=b"{}", build_headers=lambda d: {}
            ).held_for
            for _ in range(200)
        ]

    delayed = held(outbox(delay_rate=0.25, delay_max_seconds=86_400))
    assert 20 < sum(1 for h in delayed if h > 0) < 80
    assert max(delayed) > 3600  # up to a day late
    reordered = held(outbox(reorder_rate=1.0, reorder_max_seconds=30))
    assert all(0 <= h <= 30 for h in reordered) and len(set(reordered)) > 100
    plain = outbox()
    assert held(plain) == [0.0] * 200
    # The knobs draw from their own stream: delivery ids are the same with or without them.
    a, b = outbox(), outbox(reorder_rate=1.0)
    ids_a = [
        a.enqueue(topic="t", address="x", body=b"", build_headers=lambda d: {}).delivery_id
        for _ in range(5)
    ]
    ids_b = [
        b.enqueue(topic="t", address="x", body=b"", build_headers=lambda d: {}).delivery_id
        for _ in range(5)
    ]
    assert ids_a == ids_b


def test_webhook_reorder_lets_a_later_event_overtake() -> None:
    receiver = Receiver()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "orders/create")
        for _ in range(10):
            await buy(client, ("SKU-3", 1))
        for _ in range(61):
            await app.state.outbox.deliver_due()
            clock.advance(1)
        order_ids = [body["id"] for body in receiver.bodies("orders/create")]
        assert sorted(order_ids) == list(range(order_ids and min(order_ids), min(order_ids) + 10))
        assert order_ids != sorted(order_ids)

    run(
        scenario,
        settings={"webhook_reorder_rate": 0.5, "webhook_reorder_max_seconds": 60},
        receiver=receiver,
    )
