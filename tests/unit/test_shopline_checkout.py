"""SHOPLINE mock, the storefront and outbound side: checkout, customers, webhooks, reset.

In-process over httpx.ASGITransport on a virtual clock; nothing sleeps. Shares the app builder
and helpers of ``test_shopline_commerce``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from decimal import Decimal

import httpx
from fastapi import FastAPI

from simclock import VirtualClock
from tests.unit.test_shopline_commerce import AUTH, SECRET, V, levels, run

# -- checkout ---------------------------------------------------------------------------------


def test_checkout_money_identities_hold_exactly() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        body = {
            "lines": [{"sku": "TEE", "quantity": 3}, {"sku": "CAP", "quantity": 1}],
            "discount_code": "FLASH10",
            "shipping": "express",
            "email": "A@Example.com",
        }
        r = await client.post("/_sim/checkout", json=body)
        assert r.status_code == 201
        o = json.loads(r.content, parse_float=Decimal)["order"]
        d = {
            k: Decimal(o[k])
            for k in (
                "total_line_items_price",
                "total_discounts",
                "subtotal_price",
                "total_tax",
                "total_shipping_price",
                "total_price",
            )
        }
        lines = o["line_items"]
        assert (
            d["total_line_items_price"]
            == sum(Decimal(li["price"]) * li["quantity"] for li in lines)
            == Decimal("67.32")
        )
        assert (
            d["total_discounts"]
            == sum(Decimal(li["total_discount"]) for li in lines)
            == Decimal("6.73")
        )
        assert d["subtotal_price"] == d["total_line_items_price"] - d["total_discounts"]
        assert d["total_tax"] == sum(Decimal(li["tax_lines"][0]["price"]) for li in lines)
        assert d["total_shipping_price"] == Decimal("15.00")
        assert d["total_price"] == d["subtotal_price"] + d["total_tax"] + d["total_shipping_price"]
        assert all(isinstance(o[k], str) for k in d)
        assert o["email"] == "a@example.com" and o["customer"]["id"]
        tee, cap = (li["variant_id"] for li in lines)
        now = await levels(client)
        assert (now[(tee, "Warehouse")], now[(cap, "Warehouse")], now[(tee, "Store")]) == (7, 2, 2)

    run(scenario)


def test_checkout_is_all_or_nothing() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        before = await levels(client)
        r = await client.post(
            "/_sim/checkout",
            json={"lines": [{"sku": "TEE", "quantity": 2}, {"sku": "CAP", "quantity": 4}]},
        )
        assert (r.status_code, r.json()) == (
            409,
            {"error": "insufficient_inventory", "sku": "CAP", "requested": 4, "available": 3},
        )
        r = await client.post(
            "/_sim/checkout",
            json={"lines": [{"sku": "CAP", "quantity": 2}, {"sku": "CAP", "quantity": 2}]},
        )
        assert r.status_code == 409  # one SKU twice is checked against the sum
        r = await client.post(
            "/_sim/checkout",
            json={"lines": [{"sku": "TEE", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
        )
        assert (r.status_code, r.json()["error"]) == (422, "unknown_sku")
        r = await client.post(
            "/_sim/checkout", json={"lines": [{"sku": "TEE", "quantity": 1}], "location_id": "123"}
        )
        assert (r.status_code, r.json()["error"]) == (422, "unknown_location")
        assert await levels(client) == before
        stats = (await client.get("/_mock/stats")).json()
        assert stats["checkouts"] == {"accepted": 0, "rejected": 4}
        assert (await client.get("/_mock/state")).json()["orders"] == []

    run(scenario)


# -- customers --------------------------------------------------------------------------------


def test_checkout_matches_customers_by_phone_or_email() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        line = {"lines": [{"sku": "CAP", "quantity": 1}]}
        first = (
            await client.post("/_sim/checkout", json={**line, "phone": "+65 8123-4567"})
        ).json()["order"]
        assert first["email"] is None and first["phone"] == "+6581234567"
        second = (
            await client.post(
                "/_sim/checkout", json={**line, "phone": "+6581234567", "email": "Lee@Example.com"}
            )
        ).json()["order"]
        third = (
            await client.post("/_sim/checkout", json={**line, "email": "lee@example.com"})
        ).json()["order"]
        other = (
            await client.post(
                "/_sim/checkout",
                json={"lines": [{"sku": "TEE", "quantity": 1}], "email": "kim@example.com"},
            )
        ).json()["order"]
        cid = first["customer"]["id"]
        assert second["customer"]["id"] == third["customer"]["id"] == cid != other["customer"]["id"]
        by_email = await client.get(f"{V}/customers.json?email=LEE@example.com", headers=AUTH)
        by_phone = await client.get(f"{V}/customers.json?phone=%2B6581234567", headers=AUTH)
        [a], [b] = by_email.json()["customers"], by_phone.json()["customers"]
        assert a == b
        assert (a["id"], a["email"], a["phone"], a["orders_count"], a["total_spent"]) == (
            cid,
            "lee@example.com",
            "+6581234567",
            3,
            "38.82",  # 3 × (7.35 + 0.59 tax + 5.00 shipping)
        )
        r = await client.get(f"{V}/customers/{cid}.json", headers=AUTH)
        assert r.json()["customer"]["id"] == cid
        r = await client.get(f"{V}/customers.json?email=nobody@example.com", headers=AUTH)
        assert r.json() == {"customers": []}

    run(scenario)


# -- webhooks ---------------------------------------------------------------------------------


def test_orders_create_webhook_is_signed_and_keeps_its_id_on_retry() -> None:
    received: list[httpx.Request] = []

    def receiver(request: httpx.Request) -> httpx.Response:
        received.append(request)
        return httpx.Response(500 if len(received) == 1 else 200)

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        sub = {"webhook": {"topic": "orders/create", "address": "https://engine.test/hooks"}}
        r = await client.post("/admin/openapi/v20240301/webhooks.json", headers=AUTH, json=sub)
        assert r.status_code == 201 and r.json()["webhook"]["api_version"] == "v20240301"
        assert isinstance(r.json()["webhook"]["id"], str)
        order = (
            await client.post("/_sim/checkout", json={"lines": [{"sku": "CAP", "quantity": 1}]})
        ).json()["order"]
        outbox = app.state.outbox
        assert await outbox.deliver_due() == 1
        clock.advance(10)
        assert await outbox.deliver_due() == 1
        assert len(received) == 2
        first, retry = received
        assert first.headers["x-shopline-webhook-id"] == retry.headers["x-shopline-webhook-id"]
        assert first.content == retry.content
        for request in received:
            expected = base64.b64encode(
                hmac.new(SECRET.encode(), request.content, hashlib.sha256).digest()
            ).decode()
            assert hmac.compare_digest(request.headers["x-shopline-hmac-sha256"], expected)
            assert request.headers["x-shopline-topic"] == "orders/create"
            assert request.headers["x-shopline-shop-domain"] == "rehearsal.myshopline.com"
            assert request.headers["x-shopline-api-version"] == "v20240301"
        body = json.loads(first.content)
        assert body["id"] == order["id"]
        assert body["update_at"] == order["updated_at"]  # rendered in the subscription's version
        stats = (await client.get("/_mock/stats")).json()["webhooks"]
        assert (stats["delivered"], stats["failed_attempts"]) == (1, 1)

    run(scenario, webhook_transport=httpx.MockTransport(receiver))


def test_webhook_subscriptions_list_and_delete() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        body = {"webhook": {"topic": "orders/create", "address": "https://engine.test/a"}}
        created = (await client.post(f"{V}/webhooks.json", headers=AUTH, json=body)).json()[
            "webhook"
        ]
        dup = await client.post(f"{V}/webhooks.json", headers=AUTH, json=body)
        assert dup.status_code == 422 and isinstance(dup.json()["errors"], str)
        bad = {"webhook": {"topic": "orders/exploded", "address": "https://engine.test/a"}}
        assert (await client.post(f"{V}/webhooks.json", headers=AUTH, json=bad)).status_code == 422
        listed = (await client.get(f"{V}/webhooks.json", headers=AUTH)).json()["webhooks"]
        assert [w["id"] for w in listed] == [created["id"]]
        assert (
            await client.delete(f"{V}/webhooks/{created['id']}.json", headers=AUTH)
        ).status_code == 200
        assert (
            await client.delete(f"{V}/webhooks/{created['id']}.json", headers=AUTH)
        ).status_code == 404
        assert (await client.get(f"{V}/webhooks.json", headers=AUTH)).json() == {"webhooks": []}

    run(scenario)


def test_reset_empties_the_store_but_keeps_the_token() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await client.post("/_sim/checkout", json={"lines": [{"sku": "CAP", "quantity": 1}]})
        assert (await client.post("/_mock/reset")).status_code == 200
        state = (await client.get("/_mock/state")).json()
        assert (state["orders"], state["inventory_levels"], state["customers"]) == ([], [], [])
        assert (await client.get(f"{V}/orders.json", headers=AUTH)).json() == {"orders": []}

    run(scenario)
