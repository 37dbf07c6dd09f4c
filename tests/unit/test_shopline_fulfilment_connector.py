"""SHOPLINE fulfilments pushed by the channel connector, against the in-process mock.

``ShoplineChannel.push_fulfilment`` reads the order and its fulfilments and sends one
``POST orders/{id}/fulfillments.json``: idempotent by tracking number (also after a lost
answer), partial then the rest, (sku, qty) spread over lines sharing a SKU, and refusals
(over-fulfilment, cancelled order, nothing left) before any write. Virtual clock,
``httpx.ASGITransport``; faults come from a transport wrapper, never from sleeping.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from mocks.shopline.api import create_app
from simclock import VirtualClock
from sync_engine.connectors.shopline_channel import ShoplineChannel
from sync_engine.connectors.shopline_rest import ShoplineDestination, ShoplineRest
from sync_engine.errors import OutcomeUnknown, RecordRejected
from sync_engine.metrics import Metrics

TOKEN = "shpl_test"
SECRET = "whsec_test"
V = "/admin/openapi/v20250301"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
HOOKS = "https://engine.test/hooks"
SEED = {
    "locations": [{"name": "WH"}],
    "products": [
        {"sku": "TEE", "title": "Tee", "price": "19.99", "inventory": {"WH": 50}},
        {"sku": "CAP", "title": "Cap", "price": "7.35", "inventory": {"WH": 50}},
        {"sku": "TEE", "title": "Tee (outlet)", "price": "12.00", "inventory": {"WH": 50}},
    ],
}


class Wire(httpx.AsyncBaseTransport):
    """The mock's transport, logging what the connector sent; ``lose`` drops one answer."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[str] = []
        self.lose: Callable[[httpx.Request], bool] = lambda request: False
        self.rewrite: Callable[[httpx.Request, Any], Any] | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path.removeprefix(V + '/')}")
        response = await self.inner.handle_async_request(request)
        if self.lose(request):
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        if self.rewrite is not None and response.status_code == 200:
            await response.aread()
            body = self.rewrite(request, json.loads(response.content))
            headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
            return httpx.Response(200, headers=headers, json=body, request=request)
        return response


@dataclass
class Shop:
    channel: ShoplineChannel
    admin: httpx.AsyncClient
    wire: Wire
    app: Any
    hooks: list[httpx.Request] = field(default_factory=list)

    async def order(self, lines: list[dict[str, Any]]) -> dict[str, Any]:
        r = await self.admin.post("/_sim/checkout", json={"lines": lines})
        assert r.status_code == 201, r.text
        order: dict[str, Any] = r.json()["order"]
        return order

    async def fulfillments(self, order_id: str) -> list[dict[str, Any]]:
        r = await self.admin.get(f"{V}/orders/{order_id}/fulfillments.json", headers=AUTH)
        assert r.status_code == 200, r.text
        fulfillments: list[dict[str, Any]] = r.json()["fulfillments"]
        return fulfillments

    async def status(self, order_id: str) -> str:
        r = await self.admin.get(f"{V}/orders/{order_id}.json", headers=AUTH)
        return str(r.json()["order"]["fulfillment_status"])

    def writes(self) -> list[str]:
        return [s for s in self.wire.sent if s.startswith("POST")]


def run(scenario: Callable[[Shop], Awaitable[None]]) -> None:
    clock = VirtualClock()
    hooks: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        hooks.append(request)
        return httpx.Response(200)

    app = create_app(
        settings={},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": SECRET},
        webhook_transport=httpx.MockTransport(receive),
    )

    async def main() -> None:
        wire = Wire(httpx.ASGITransport(app=app))
        dest = ShoplineDestination(base_url="http://shopline.test", access_token=TOKEN)
        rest = ShoplineRest(dest, clock=clock, metrics=Metrics(), transport=wire)
        channel = ShoplineChannel("sl", rest, webhook_secret=SECRET)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shopline.test"
        ) as admin:
            assert (await admin.post("/_mock/seed", json=SEED)).status_code == 200
            try:
                await scenario(Shop(channel, admin, wire, app, hooks))
            finally:
                await channel.aclose()
        await app.state.outbox.aclose()

    asyncio.run(main())


def test_push_ships_every_unit_left_in_one_post_and_announces_orders_fulfilled() -> None:
    async def scenario(shop: Shop) -> None:
        r = await shop.admin.post(
            f"{V}/webhooks.json",
            headers=AUTH,
            json={"webhook": {"topic": "orders/fulfilled", "address": HOOKS}},
        )
        assert r.status_code == 201, r.text
        order = await shop.order([{"sku": "CAP", "quantity": 2}])
        oid = order["id"]
        await shop.channel.push_fulfilment(oid, tracking_number="SF1", carrier="SF Express")
        assert shop.wire.sent == [
            f"GET orders/{oid}.json",
            f"GET orders/{oid}/fulfillments.json",
            f"POST orders/{oid}/fulfillments.json",
        ]
        (f,) = await shop.fulfillments(oid)
        assert (f["tracking_number"], f["tracking_company"]) == ("SF1", "SF Express")
        assert f["notify_customer"] is False
        assert [(li["sku"], li["quantity"]) for li in f["line_items"]] == [("CAP", 2)]
        assert await shop.status(oid) == "shipped"
        await shop.app.state.outbox.deliver_due()
        (hook,) = shop.hooks
        assert hook.headers["X-Shopline-Topic"] == "orders/fulfilled"
        assert shop.channel.verify_webhook(hook.headers, hook.content)
        assert json.loads(hook.content)["fulfillment_status"] == "shipped"

    run(scenario)


def test_retry_after_a_lost_answer_creates_no_second_fulfilment() -> None:
    async def scenario(shop: Shop) -> None:
        oid = (await shop.order([{"sku": "CAP", "quantity": 1}]))["id"]
        shop.wire.lose = lambda request: request.method == "POST"
        with pytest.raises(OutcomeUnknown):
            await shop.channel.push_fulfilment(oid, tracking_number="1Z1", carrier="UPS")
        shop.wire.lose = lambda request: False
        await shop.channel.push_fulfilment(oid, tracking_number="1Z1", carrier="UPS")
        await shop.channel.push_fulfilment(
            oid, tracking_number="1Z1", carrier="UPS", lines=[("CAP", 1)]
        )
        assert len(shop.writes()) == 1  # only the push whose answer was lost wrote
        assert [f["tracking_number"] for f in await shop.fulfillments(oid)] == ["1Z1"]

    run(scenario)


def test_partial_then_the_rest_under_another_number() -> None:
    async def scenario(shop: Shop) -> None:
        order = await shop.order([{"sku": "CAP", "quantity": 3}, {"sku": "TEE", "quantity": 1}])
        oid = order["id"]
        await shop.channel.push_fulfilment(
            oid, tracking_number="A1", carrier="DHL", lines=[("CAP", 2)]
        )
        assert await shop.status(oid) == "partial"
        await shop.channel.push_fulfilment(oid, tracking_number="B2", carrier="DHL")
        assert await shop.status(oid) == "shipped"
        first, rest = await shop.fulfillments(oid)
        assert [(li["sku"], li["quantity"]) for li in first["line_items"]] == [("CAP", 2)]
        assert sorted((li["sku"], li["quantity"]) for li in rest["line_items"]) == [
            ("CAP", 1),
            ("TEE", 1),
        ]
        await shop.channel.push_fulfilment(oid, tracking_number="B2", carrier="DHL")
        with pytest.raises(RecordRejected) as nothing_left:
            await shop.channel.push_fulfilment(oid, tracking_number="C3", carrier="DHL")
        assert nothing_left.value.code == "SHOPLINE_NOTHING_TO_FULFIL"
        assert len(shop.writes()) == 2

    run(scenario)


def test_more_lines_under_a_number_already_used_ship_only_what_it_does_not_cover() -> None:
    async def scenario(shop: Shop) -> None:
        order = await shop.order([{"sku": "CAP", "quantity": 2}, {"sku": "TEE", "quantity": 1}])
        oid = order["id"]
        await shop.channel.push_fulfilment(
            oid, tracking_number="P1", carrier="UPS", lines=[("CAP", 1)]
        )
        await shop.channel.push_fulfilment(
            oid, tracking_number="P1", carrier="UPS", lines=[("CAP", 1), ("TEE", 1)]
        )
        _, second = await shop.fulfillments(oid)
        assert [(li["sku"], li["quantity"]) for li in second["line_items"]] == [("TEE", 1)]
        assert await shop.status(oid) == "partial"  # one CAP is left for another parcel

    run(scenario)


def test_a_sku_on_two_lines_fills_them_in_order() -> None:
    async def scenario(shop: Shop) -> None:
        products = (await shop.admin.get(f"{V}/products.json", headers=AUTH)).json()["products"]
        tees = [v["id"] for p in products for v in p["variants"] if v["sku"] == "TEE"]
        order = await shop.order([{"variant_id": v, "quantity": 2} for v in tees])
        oid, lines = order["id"], order["line_items"]
        await shop.channel.push_fulfilment(
            oid, tracking_number="Y1", carrier="YunExpress", lines=[("TEE", 3)]
        )
        (f,) = await shop.fulfillments(oid)
        assert [(li["id"], li["quantity"]) for li in f["line_items"]] == [
            (lines[0]["id"], 2),
            (lines[1]["id"], 1),
        ]

    run(scenario)


def test_over_fulfilment_and_unknown_skus_are_refused_before_any_write() -> None:
    async def scenario(shop: Shop) -> None:
        oid = (await shop.order([{"sku": "CAP", "quantity": 2}]))["id"]
        for lines in ([("CAP", 3)], [("CAP", 1), ("MUG", 1)]):
            with pytest.raises(RecordRejected) as refused:
                await shop.channel.push_fulfilment(
                    oid, tracking_number="X1", carrier="UPS", lines=lines
                )
            assert refused.value.code == "SHOPLINE_UNITS_NOT_FULFILLABLE"
        assert shop.writes() == [] and await shop.fulfillments(oid) == []

    run(scenario)


def test_the_mock_refuses_over_fulfilment_when_the_connector_read_is_stale() -> None:
    async def scenario(shop: Shop) -> None:
        order = await shop.order([{"sku": "CAP", "quantity": 1}])
        oid = order["id"]
        r = await shop.admin.post(
            f"{V}/orders/{oid}/fulfillments.json",
            headers=AUTH,
            json={"fulfillment": {"tracking_number": "OTHER"}},  # shipped behind our back
        )
        assert r.status_code == 200, r.text

        def stale(request: httpx.Request, body: Any) -> Any:
            return {"fulfillments": []} if "fulfillments" in body else body

        shop.wire.rewrite = stale
        with pytest.raises(RecordRejected) as refused:
            await shop.channel.push_fulfilment(oid, tracking_number="MINE", carrier="UPS")
        assert refused.value.status == 422 and "exceeds" in str(refused.value)
        assert [f["tracking_number"] for f in await shop.fulfillments(oid)] == ["OTHER"]

    run(scenario)


def test_a_cancelled_order_is_refused_before_any_write() -> None:
    async def scenario(shop: Shop) -> None:
        oid = (await shop.order([{"sku": "CAP", "quantity": 1}]))["id"]
        assert (await shop.admin.post(f"/_sim/orders/{oid}/cancel")).status_code == 200
        with pytest.raises(RecordRejected) as refused:
            await shop.channel.push_fulfilment(oid, tracking_number="Z1", carrier="UPS")
        assert refused.value.code == "SHOPLINE_ORDER_CANCELLED"
        assert shop.writes() == []

    run(scenario)
