"""Shopware 6 mock, app webhooks: what each write sends, signatures, versions, the outbox's
retry schedule. Deliveries go to an httpx.MockTransport; time moves on a virtual clock."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
from fastapi import FastAPI

from simclock import VirtualClock
from tests.unit.test_shopware_app import CREDENTIALS, headers, product_ids, run

LIVE = "0fa91ce3e96a4bc2be4bd9ce752c3425"


class Sink:
    """Records every delivery; answers ``status`` (a list is consumed in order)."""

    def __init__(self, status: int | list[int] = 200) -> None:
        self.requests: list[httpx.Request] = []
        self.status = status
        self.transport = httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if isinstance(self.status, list):
            return httpx.Response(self.status.pop(0) if self.status else 200)
        return httpx.Response(self.status)

    def messages(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    def events(self) -> list[str]:
        return [m["data"]["event"] for m in self.messages()]


async def subscribe(client: httpx.AsyncClient, *events: str, **extra: Any) -> None:
    for event in events:
        body = {"event": event, "url": "http://engine.test/hooks", **extra}
        assert (await client.post("/_mock/webhooks", json=body)).status_code == 201


async def deliver(client: httpx.AsyncClient) -> int:
    return int((await client.post("/_mock/webhooks/deliver")).json()["attempted"])


def test_checkout_sends_order_events_with_ids_only_and_no_product_written() -> None:
    sink = Sink()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "order.written", "order_line_item.written", "product.written")
        r = await client.post(
            "/_sim/checkout", json={"lines": [{"productNumber": "TEE", "quantity": 2}]}
        )
        order = r.json()["order"]
        assert await deliver(client) == 2
        assert sorted(sink.events()) == ["order.written", "order_line_item.written"]
        line_message = next(
            m for m in sink.messages() if m["data"]["event"] == "order_line_item.written"
        )
        assert line_message["data"]["payload"][0]["primaryKey"] == {
            "id": order["lineItems"][0]["id"],
            "versionId": LIVE,
        }
        for request in sink.requests:
            secret = CREDENTIALS["webhook_secret"].encode()
            signature = hmac.new(secret, request.content, hashlib.sha256).hexdigest()
            assert request.headers["shopware-shop-signature"] == signature
            assert request.headers["sw-version"] == "6.6.10.0"
            source = json.loads(request.content)["source"]
            assert source["shopId"] and source["eventId"] == request.headers["X-Shopware-Event-Id"]

    run(scenario, transport=sink.transport)


def test_product_writes_send_written_and_deleted_and_customers_plain_keys() -> None:
    sink = Sink()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "product.written", "product.deleted", "customer.written")
        h = await headers(client)
        tee = (await product_ids(client))["TEE"]
        await client.patch(f"/api/product/{tee}", headers=h, json={"stock": 3})
        await client.delete(f"/api/product/{tee}", headers=h)
        body = {"email": "a@example.com", "firstName": "A", "lastName": "B"}
        await client.post("/api/customer", headers=h, json=body)
        await deliver(client)
        written, deleted, customer = (m["data"] for m in sink.messages())
        assert written["event"] == "product.written"
        row = written["payload"][0]
        assert row["operation"] == "update" and {"stock", "availableStock"} <= set(
            row["updatedFields"]
        )
        assert deleted == {
            "event": "product.deleted",
            "payload": [
                {
                    "entity": "product",
                    "operation": "delete",
                    "primaryKey": {"id": tee, "versionId": LIVE},
                    "updatedFields": [],
                }
            ],
        }
        assert isinstance(customer["payload"][0]["primaryKey"], str)

    run(scenario, transport=sink.transport)


def test_one_sync_request_is_one_message_listing_every_record() -> None:
    sink = Sink()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "product.written")
        h = await headers(client)
        ids = await product_ids(client)
        payload = [{"id": ids["TEE"], "stock": 1}, {"id": ids["LAST"], "active": False}]
        body = {"s": {"entity": "product", "action": "upsert", "payload": payload}}
        assert (await client.post("/api/_action/sync", headers=h, json=body)).status_code == 200
        await deliver(client)
        (message,) = sink.messages()
        assert [r["primaryKey"]["id"] for r in message["data"]["payload"]] == [
            ids["TEE"],
            ids["LAST"],
        ]

    run(scenario, transport=sink.transport)


def test_closeout_ignored_stock_write_is_not_reported_as_written() -> None:
    sink = Sink()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "product.written")
        h = await headers(client)
        last = (await product_ids(client))["LAST"]
        await client.patch(f"/api/product/{last}", headers=h, json={"stock": 9, "active": True})
        await deliver(client)
        (message,) = sink.messages()
        assert "stock" not in message["data"]["payload"][0]["updatedFields"]

    run(scenario, transport=sink.transport)


def test_only_live_version_subscriptions_skip_draft_edits() -> None:
    sink = Sink()

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        r = await client.post(
            "/_sim/checkout", json={"lines": [{"productNumber": "TEE", "quantity": 1}]}
        )
        order_id = r.json()["order"]["id"]
        await subscribe(client, "order.written", onlyLiveVersion=True)
        await subscribe(client, "order.written")
        version = (await client.post(f"/api/_action/version/order/{order_id}", headers=h)).json()[
            "versionId"
        ]
        draft = {**h, "sw-version-id": version}
        await client.patch(
            f"/api/order/{order_id}", headers=draft, json={"customerComment": "gift"}
        )
        await deliver(client)
        (message,) = sink.messages()
        assert message["data"]["payload"][0]["primaryKey"] == {"id": order_id, "versionId": version}
        await client.post(f"/api/_action/version/merge/order/{version}", headers=h)
        await deliver(client)
        assert len(sink.requests) == 3  # the merge reaches both subscriptions

    run(scenario, transport=sink.transport)


def test_outbox_retries_on_the_new_outbox_schedule_then_abandons() -> None:
    sink = Sink(status=500)

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await subscribe(client, "order.written")
        await client.post(
            "/_sim/checkout", json={"lines": [{"productNumber": "TEE", "quantity": 1}]}
        )
        start = clock.now()
        times = []
        for delay in (0, 5, 30, 300, 1800, 14400):
            clock.advance(delay)
            assert await deliver(client) == 1
            times.append(clock.now() - start)
        clock.advance(86400)
        assert await deliver(client) == 0
        assert times == [0, 5, 35, 335, 2135, 16535]
        attempts = [r.headers["X-Shopware-Attempt"] for r in sink.requests]
        assert attempts == ["0", "1", "2", "3", "4", "5"]
        assert len({r.headers["X-Shopware-Event-Id"] for r in sink.requests}) == 1
        stats = (await client.get("/_mock/stats")).json()["webhooks"]
        assert (stats["abandoned"], stats["failed_attempts"]) == (1, 6)

    run(scenario, transport=sink.transport)


def test_webhooks_from_settings_survive_reset() -> None:
    sink = Sink()
    hooks = [{"event": "order.written", "url": "http://engine.test/hooks"}]

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await client.post("/_mock/reset")
        await client.post(
            "/_mock/seed",
            json={"products": [{"productNumber": "A", "name": "A", "stock": 1, "price": "1.00"}]},
        )
        await client.post("/_sim/checkout", json={"lines": [{"productNumber": "A", "quantity": 1}]})
        await deliver(client)
        assert sink.events() == ["order.written"]
        listed = (await client.get("/_mock/webhooks")).json()["webhooks"]
        assert [w["event"] for w in listed] == ["order.written"]
        bad = await client.post(
            "/_mock/webhooks", json={"event": "order.exploded", "url": "http://x"}
        )
        assert bad.status_code == 422

    run(scenario, settings={"webhooks": hooks}, transport=sink.transport)
