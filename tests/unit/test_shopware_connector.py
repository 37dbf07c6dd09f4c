"""Shopware 6 channel connector against the in-process Shopware mock (virtual clock, ASGI).

What an integration relies on: one token serves many calls and is renewed before it runs out,
a burst or a revocation costs one token call, webhooks are verified and name the order the
ingress then fetches, the canonical order's amounts add up exactly, paging by order number
resumes where it stopped, and stock writes that Shopware ignores or that race a checkout are
surfaced instead of being taken for done.
"""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp

from mocks.shopware.api import create_app
from simclock import VirtualClock
from sync_engine.config import ChannelSettings
from sync_engine.connectors.shopware_admin import StockRaced, StockWriteIgnored
from sync_engine.connectors.shopware_channel import (
    LOCATION_ID,
    ShopwareChannel,
    build_shopware_channel,
    order_from_wire,
)
from sync_engine.errors import AuthFailed, OutcomeUnknown, RecordRejected, Throttled
from sync_engine.metrics import Metrics
from sync_engine.model import Order

D = Decimal
CREDS = {"client_id": "SWIACONN", "client_secret": "conn-secret", "webhook_secret": "shop-secret"}
LIVE = "0fa91ce3e96a4bc2be4bd9ce752c3425"
SEED: dict[str, Any] = {
    "products": [
        {"productNumber": "TEE", "name": "Tee", "stock": 25, "price": "19.99"},
        {"productNumber": "CAP", "name": "Cap", "stock": 10, "price": "7.35"},
        {
            "productNumber": "LAST",
            "name": "Last pieces",
            "stock": 3,
            "price": "49.00",
            "isCloseout": True,
            "taxRate": "7",
        },
        {"productNumber": "SHIRT", "name": "Shirt", "stock": 0, "price": "25.00"},
        {
            "productNumber": "SHIRT-M",
            "parentNumber": "SHIRT",
            "stock": 5,
            "options": [{"group": "Size", "option": "M"}],
        },
    ],
    "promotions": [{"code": "FLASH10", "name": "Flash sale", "value": "10"}],
}


@dataclass
class Shop:
    """The mock, a client for its storefront and control routes, and a connector to it."""

    clock: VirtualClock
    app: Any
    mock: httpx.AsyncClient
    channel: ShopwareChannel
    hooks: list[httpx.Request] = field(default_factory=list)

    async def checkout(self, **body: Any) -> dict[str, Any]:
        r = await self.mock.post("/_sim/checkout", json=body)
        assert r.status_code == 201, r.text
        return dict(r.json()["order"])

    async def stats(self) -> dict[str, Any]:
        return dict((await self.mock.get("/_mock/stats")).json())

    async def state(self) -> dict[str, Any]:
        return dict((await self.mock.get("/_mock/state")).json())

    async def stock(self, number: str) -> int:
        products = (await self.state())["products"]
        return int(next(p["stock"] for p in products if p["productNumber"] == number))

    async def delivered(self) -> list[httpx.Request]:
        """Attempt every due webhook delivery; returns what reached the app server."""
        before = len(self.hooks)
        await self.mock.post("/_mock/webhooks/deliver")
        return self.hooks[before:]


def settings(**extra: Any) -> ChannelSettings:
    return ChannelSettings(
        platform="shopware",
        base_url="http://shopware.test",
        client_id=CREDS["client_id"],
        client_secret=CREDS["client_secret"],
        webhook_secret=CREDS["webhook_secret"],
        location_map={"1": LOCATION_ID},
        **extra,
    )


def run(
    scenario: Callable[[Shop], Awaitable[None]],
    *,
    mock_settings: dict[str, Any] | None = None,
    wrap: Callable[[Any, httpx.AsyncBaseTransport], httpx.AsyncBaseTransport] | None = None,
    app_wrap: Callable[[Any], ASGIApp] | None = None,
    **channel_settings: Any,
) -> None:
    """Seed a mock on a virtual clock, build the connector through its factory, run."""
    clock = VirtualClock()
    hooks: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        hooks.append(request)
        return httpx.Response(200)

    app = create_app(
        settings=mock_settings,
        clock=clock,
        credentials=CREDS,
        seed=3,
        webhook_transport=httpx.MockTransport(receive),
    )

    async def main() -> None:
        served = app_wrap(app) if app_wrap else app
        transport: httpx.AsyncBaseTransport = httpx.ASGITransport(app=served)
        if wrap is not None:
            transport = wrap(app, transport)
        channel = build_shopware_channel(
            "sw", settings(**channel_settings), clock, Metrics(), transport
        )
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shopware.test"
        ) as mock:
            assert (await mock.post("/_mock/seed", json=SEED)).status_code == 200
            shop = Shop(clock=clock, app=app, mock=mock, channel=channel, hooks=hooks)
            try:
                await scenario(shop)
            finally:
                await channel.aclose()
        await app.state.outbox.aclose()

    asyncio.run(main())


def gross_identity(order: Order) -> None:
    """Shopware gross orders: lines and shipping include tax; promotions are lines."""
    assert sum((ln.amount for ln in order.lines), D(0)) + order.shipping == order.total
    others = sum((ln.amount for ln in order.lines if ln.kind != "promotion"), D(0))
    assert others - order.discount_total + order.shipping == order.total


# -- token ------------------------------------------------------------------------------------


def test_one_token_serves_many_calls_and_is_renewed_before_it_expires() -> None:
    async def scenario(shop: Shop) -> None:
        for _ in range(30):
            assert await shop.channel.newest_order_seq() == 0
        assert (await shop.stats())["oauth"]["tokens_issued"] == 1
        shop.clock.advance(569)  # renewal is due 30 s before the 600 s run out
        await shop.channel.newest_order_seq()
        assert (await shop.stats())["oauth"]["tokens_issued"] == 1
        shop.clock.advance(2)
        await shop.channel.newest_order_seq()
        stats = await shop.stats()
        # Renewed at 571 s: a new token, and the old one was never refused.
        assert stats["oauth"]["tokens_issued"] == 2 and stats["unauthorized"] == 0
        assert shop.channel.status()["tokens_fetched"] == 2

    run(scenario)


class Yielding(httpx.AsyncBaseTransport):
    """Gives the event loop a turn before and after each request, so concurrent callers
    really overlap (the in-process ASGI app alone answers without ever suspending)."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.peak = self.now = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.now += 1
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0)
            response = await self.inner.handle_async_request(request)
            await asyncio.sleep(0)
            return response
        finally:
            self.now -= 1


def test_twenty_concurrent_calls_share_one_token_call_fresh_expired_and_revoked() -> None:
    overlap: list[Yielding] = []

    def wrap(app: Any, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        overlap.append(Yielding(inner))
        return overlap[0]

    async def burst(shop: Shop) -> None:
        results = await asyncio.gather(*(shop.channel.newest_order_seq() for _ in range(20)))
        assert results == [0] * 20
        assert overlap[0].peak == 8  # the in-flight cap, reached: the calls did overlap

    async def scenario(shop: Shop) -> None:
        await burst(shop)  # no token yet
        assert (await shop.stats())["oauth"]["tokens_issued"] == 1
        assert shop.channel.admin.budget.stats()["successes"] == 20
        shop.clock.advance(600)  # expired: due for renewal
        await burst(shop)
        assert (await shop.stats())["oauth"]["tokens_issued"] == 2
        assert (await shop.mock.post("/_mock/revoke")).status_code == 200
        await burst(shop)  # every call in flight gets a 401; one renewal serves them all
        stats = await shop.stats()
        assert stats["oauth"]["tokens_issued"] == 3 and stats["oauth"]["throttled"] == 0
        assert 1 <= stats["unauthorized"] <= 8  # at most the in-flight cap were refused

    run(scenario, wrap=wrap)


def test_revoked_token_is_renewed_once_and_the_call_succeeds() -> None:
    async def scenario(shop: Shop) -> None:
        await shop.checkout(lines=[{"productNumber": "TEE", "quantity": 1}])
        assert await shop.channel.newest_order_seq() == 10000
        await shop.mock.post("/_mock/revoke")
        assert await shop.channel.newest_order_seq() == 10000
        stats = await shop.stats()
        assert stats["unauthorized"] == 1 and stats["oauth"]["tokens_issued"] == 2

    run(scenario)


def test_wrong_secret_is_auth_failed_and_token_route_429_is_throttled_with_seconds() -> None:
    async def scenario(shop: Shop) -> None:
        await shop.channel.newest_order_seq()  # the one token call the window allows
        other = build_shopware_channel(
            "sw2",
            settings(),
            shop.clock,
            Metrics(),
            httpx.ASGITransport(app=shop.app),
        )
        with pytest.raises(Throttled) as throttled:
            await other.newest_order_seq()
        assert throttled.value.code == "FRAMEWORK__RATE_LIMIT_EXCEEDED"
        assert throttled.value.retry_after == 60
        shop.clock.advance(60)
        assert await other.newest_order_seq() == 0
        await other.aclose()
        shop.clock.advance(60)
        wrong = ChannelSettings(**{**settings().model_dump(), "client_secret": "nope"})
        bad = build_shopware_channel(
            "sw3", wrong, shop.clock, Metrics(), httpx.ASGITransport(app=shop.app)
        )
        with pytest.raises(AuthFailed) as refused:
            await bad.newest_order_seq()
        assert refused.value.code == "4" and refused.value.status == 401
        await bad.aclose()

    run(scenario, mock_settings={"oauth_rate_limit": 1})


def test_shopware_errors_carry_their_code() -> None:
    async def scenario(shop: Shop) -> None:
        with pytest.raises(RecordRejected) as bad:
            await shop.channel.admin.search(
                "order", {"filter": [{"type": "equals", "field": "nope", "value": 1}]}
            )
        assert bad.value.code == "FRAMEWORK__UNMAPPED_FIELD" and bad.value.status == 400
        with pytest.raises(RecordRejected) as missing:
            await shop.channel.fetch_order("0" * 32)
        assert missing.value.code == "SHOPWARE_ORDER_NOT_FOUND"

    run(scenario)


# -- webhooks and orders ----------------------------------------------------------------------


def test_webhook_signature_is_verified_and_a_forgery_refused() -> None:
    async def scenario(shop: Shop) -> None:
        await shop.mock.post(
            "/_mock/webhooks", json={"event": "order.written", "url": "http://engine.test/sw"}
        )
        await shop.checkout(lines=[{"productNumber": "TEE", "quantity": 1}])
        (hook,) = await shop.delivered()
        headers, body = dict(hook.headers), hook.content
        assert shop.channel.verify_webhook(headers, body)
        assert not shop.channel.verify_webhook(headers, body + b" ")
        assert not shop.channel.verify_webhook({}, body)
        forged = json.loads(body)
        forged["data"]["payload"][0]["primaryKey"]["id"] = "f" * 32
        assert not shop.channel.verify_webhook(headers, json.dumps(forged).encode())

    run(scenario)


def test_ids_only_webhook_is_fetched_into_an_exact_canonical_order() -> None:
    async def scenario(shop: Shop) -> None:
        await shop.mock.post(
            "/_mock/webhooks",
            json={"event": "order.written", "url": "http://e.test/sw", "onlyLiveVersion": True},
        )
        placed = await shop.checkout(
            lines=[
                {"productNumber": "TEE", "quantity": 3},
                {"productNumber": "LAST", "quantity": 1},
                {"productNumber": "SHIRT-M", "quantity": 1},
            ],
            custom_lines=[
                {"type": "custom", "label": "Gift wrap", "unitPrice": "2.50"},
                {
                    "type": "container",
                    "label": "Bundle",
                    "children": [{"productNumber": "CAP", "quantity": 2}],
                },
            ],
            promotion_code="FLASH10",
            email="ann@example.com",
            shipping="express",
        )
        (hook,) = await shop.delivered()
        headers = dict(hook.headers)
        assert shop.channel.verify_webhook(headers, hook.content)
        event = shop.channel.parse_webhook(headers, hook.content)
        assert (event.topic, event.order, event.order_id) == ("order.written", None, placed["id"])
        assert event.event_id == headers["x-shopware-event-id"]

        order = await shop.channel.fetch_order(event.order_id or "")
        assert (order.channel, order.order_id, order.number) == ("sw", placed["id"], "10000")
        assert order.sequence == order.seq == 10000 and order.currency == "EUR"
        assert order.customer is not None and order.customer.guest is True
        assert order.email == order.customer.email == "ann@example.com"
        by_kind = {ln.kind: ln for ln in order.lines}
        promo = by_kind["promotion"]
        assert promo.sku == "" and promo.amount < 0 and promo.name == "Flash sale"
        assert by_kind["custom"].sku == "" and by_kind["custom"].amount == D("2.50")
        skus = [(ln.sku, ln.quantity, ln.options) for ln in order.lines if ln.kind == "product"]
        # The container is replaced by its child; the variant carries its options.
        assert skus == [
            ("TEE", 3, ()),
            ("LAST", 1, ()),
            ("SHIRT-M", 1, (("Size", "M"),)),
            ("CAP", 2, ()),
        ]
        assert all(ln.discount == 0 for ln in order.lines)
        gross_identity(order)
        totals = next(o for o in (await shop.state())["orders"] if o["id"] == placed["id"])[
            "totals"
        ]
        assert (order.total, order.tax_total, order.shipping, order.discount_total) == (
            D(totals["total"]),
            D(totals["tax"]),
            D(totals["shipping"]),
            D(totals["discount"]),
        )
        assert order.discount_total == -promo.amount > 0 and order.shipping == D("9.99")
        line_taxes = {ln.sku: ln.tax for ln in order.lines if ln.kind == "product"}
        assert line_taxes["LAST"] == D("3.21")  # 49.00 at 7 %

    run(scenario)


def test_registered_buyer_is_no_guest_and_cancelled_orders_say_so() -> None:
    async def scenario(shop: Shop) -> None:
        placed = await shop.checkout(
            lines=[{"productNumber": "CAP", "quantity": 1}], email="bob@example.com", guest=False
        )
        order = await shop.channel.fetch_order(placed["id"])
        assert order.customer is not None and order.customer.guest is False
        assert not order.cancelled
        await shop.channel.admin.request("POST", f"/api/_action/order/{placed['id']}/state/cancel")
        assert (await shop.channel.fetch_order(placed["id"])).cancelled

    run(scenario)


def test_non_order_draft_and_malformed_webhooks() -> None:
    async def scenario(shop: Shop) -> None:
        parse = shop.channel.parse_webhook

        def body(event: str, *rows: dict[str, Any], event_id: str | None = "e1") -> bytes:
            source = {"eventId": event_id} if event_id else {}
            return json.dumps(
                {"data": {"payload": list(rows), "event": event}, "source": source}
            ).encode()

        product = {"entity": "product", "operation": "update", "primaryKey": {"id": "a" * 32}}
        event = parse({}, body("product.written", product))
        assert (event.topic, event.order_id, event.order) == ("product.written", None, None)
        draft = {"entity": "order", "primaryKey": {"id": "b" * 32, "versionId": "c" * 32}}
        live = {"entity": "order", "primaryKey": {"id": "d" * 32, "versionId": LIVE}}
        assert parse({}, body("order.written", draft)).order_id is None
        assert parse({}, body("order.written", draft, live)).order_id == "d" * 32
        plain = {"entity": "order", "primaryKey": "e" * 32}  # unversioned spelling
        assert parse({}, body("order.written", plain)).order_id == "e" * 32
        from_header = parse({"X-Shopware-Event-Id": "h1"}, body("order.written", event_id=None))
        assert from_header.event_id == "h1"
        with pytest.raises(ValueError, match="eventId"):
            parse({}, body("order.written", live, event_id=None))
        with pytest.raises(ValueError, match="not a Shopware webhook"):
            parse({}, b'{"nope": 1}')

    run(scenario)


def test_orders_since_pages_by_order_number_and_resumes() -> None:
    async def scenario(shop: Shop) -> None:
        ids = [
            (await shop.checkout(lines=[{"productNumber": "TEE", "quantity": 1}]))["id"]
            for _ in range(5)
        ]
        await shop.channel.newest_order_seq()  # the token call, out of the count below
        before = (await shop.stats())["calls"]
        pages = [(page, cursor) async for page, cursor in shop.channel.orders_since(None)]
        # Three order pages (the short last one ends the scan) and one guest-flag read each.
        assert (await shop.stats())["calls"] - before == 3 + 3
        assert [[o.order_id for o in page] for page, _ in pages] == [ids[:2], ids[2:4], ids[4:]]
        assert [cursor for _, cursor in pages] == ["10001", "10003", "10004"]
        assert all(o.channel == "sw" and o.lines for page, _ in pages for o in page)
        resumed = [p async for p, _ in shop.channel.orders_since("10003")]
        assert [[o.number for o in page] for page in resumed] == [["10004"]]
        assert [p async for p in shop.channel.orders_since("10004")] == []
        assert await shop.channel.newest_order_seq() == 10004

    run(scenario, page_limit=2)


def test_net_order_amounts_add_tax_and_containers_expand() -> None:
    def item(kind: str, total: str, tax: str, **extra: Any) -> dict[str, Any]:
        qty = extra.pop("quantity", 1)
        return {
            "id": extra.pop("id", f"{kind}-{total}"),
            "type": kind,
            "label": kind,
            "quantity": qty,
            "unitPrice": str(D(total) / qty),
            "totalPrice": total,
            "price": {"calculatedTaxes": [{"tax": tax, "taxRate": "19", "price": total}]},
            "payload": extra.pop("payload", {}),
            "parentId": extra.pop("parentId", None),
            "position": extra.pop("position", 1),
        }

    wire = {
        "id": "f" * 32,
        "orderNumber": "10042",
        "orderDateTime": "2025-11-24T16:00:00.000+00:00",
        "currency": {"isoCode": "EUR"},
        "taxStatus": "net",
        "price": {"calculatedTaxes": [{"tax": "5.51", "taxRate": "19", "price": "29.00"}]},
        "amountTotal": "34.51",
        "shippingTotal": "4.00",
        "orderCustomer": {"email": "n@example.com", "customer": {"guest": False}},
        "stateMachineState": {"technicalName": "open"},
        "lineItems": [
            item("product", "20.00", "3.80", quantity=2, payload={"productNumber": "A"}),
            item("container", "10.00", "1.90", id="box", position=2),
            item("product", "10.00", "1.90", parentId="box", payload={"productNumber": "B"}),
            item("promotion", "-5.00", "-0.95", position=3),
        ],
    }
    order = order_from_wire(wire, channel="sw")
    assert [(ln.sku, ln.kind, ln.amount) for ln in order.lines] == [
        ("A", "product", D("20.00")),
        ("B", "product", D("10.00")),
        ("", "promotion", D("-5.00")),
    ]
    assert order.customer is not None and order.customer.guest is False
    assert order.created_ts == 1764000000.0 and order.sequence == 10042
    lines = sum((ln.amount for ln in order.lines), D(0))
    assert lines + order.shipping + order.tax_total == order.total == D("34.51")
    assert order.discount_total == D("5.00")
    with pytest.raises(ValueError, match="lineItems"):
        order_from_wire({**wire, "lineItems": None}, channel="sw")
    with pytest.raises(ValueError, match="not an integer"):
        order_from_wire({**wire, "orderNumber": "SO-42"}, channel="sw")


# -- stock ------------------------------------------------------------------------------------


def test_items_levels_and_adjust_round_trip() -> None:
    async def scenario(shop: Shop) -> None:
        items = await shop.channel.items_by_sku()
        assert sorted(items) == ["CAP", "LAST", "SHIRT", "SHIRT-M", "TEE"]
        tee, cap = items["TEE"], items["CAP"]
        levels = await shop.channel.levels([tee, cap], [LOCATION_ID])
        assert levels == {(tee, LOCATION_ID): 25, (cap, LOCATION_ID): 10}
        await shop.channel.adjust(tee, LOCATION_ID, 5)
        await shop.channel.adjust(cap, LOCATION_ID, -3)
        await shop.checkout(lines=[{"productNumber": "TEE", "quantity": 4}])
        assert await shop.stock("TEE") == 26 and await shop.stock("CAP") == 7
        levels = await shop.channel.levels([tee, cap], [LOCATION_ID])
        assert levels == {(tee, LOCATION_ID): 26, (cap, LOCATION_ID): 7}
        with pytest.raises(ValueError, match="one stock per product"):
            await shop.channel.adjust(tee, "warehouse-2", 1)
        assert shop.channel.status()["stock"]["writes"] == 2

    run(scenario, page_limit=2)  # items come over three pages


def test_closeout_stock_write_ignored_is_surfaced_not_taken_for_done() -> None:
    async def scenario(shop: Shop) -> None:
        last = (await shop.channel.items_by_sku())["LAST"]
        with pytest.raises(StockWriteIgnored) as ignored:
            await shop.channel.adjust(last, LOCATION_ID, 7)
        assert isinstance(ignored.value, RecordRejected)
        assert ignored.value.code == "SHOPWARE_STOCK_WRITE_IGNORED"
        assert "closeout" in str(ignored.value)
        assert await shop.stock("LAST") == 3
        assert (await shop.stats())["closeout_stock_writes"]["ignored"] == 1
        assert shop.channel.status()["stock"]["ignored"] == 1
        await shop.mock.post("/_mock/settings", json={"closeout_stock_write": "reject"})
        with pytest.raises(RecordRejected) as rejected:
            await shop.channel.adjust(last, LOCATION_ID, 7)
        assert not isinstance(rejected.value, StockWriteIgnored)
        assert rejected.value.code == "CONTENT__PRODUCT_CLOSEOUT_STOCK_WRITE"
        assert shop.channel.status()["stock"]["rejected"] == 1

    run(scenario)


class Interleave(httpx.AsyncBaseTransport):
    """Runs ``action`` just before the first request matching ``method`` and ``path``."""

    def __init__(
        self,
        inner: httpx.AsyncBaseTransport,
        method: str,
        path: str,
        action: Callable[[], Awaitable[None]],
    ) -> None:
        self.inner, self.method, self.path, self.action = inner, method, path, action
        self.fired = False

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        matches = request.method == self.method and re.fullmatch(self.path, request.url.path)
        if matches and not self.fired:
            self.fired = True
            await self.action()
        return await self.inner.handle_async_request(request)


async def _sim_checkout(app: Any, number: str, quantity: int) -> None:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://shopware.test"
    ) as client:
        body = {"lines": [{"productNumber": number, "quantity": quantity}]}
        assert (await client.post("/_sim/checkout", json=body)).status_code == 201


def test_checkout_between_read_and_write_is_overwritten_and_detected() -> None:
    """The race Shopware's absolute stock write cannot close: the direction is NOT
    conservative (the overwritten checkout's units are for sale again)."""

    def wrap(app: Any, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        return Interleave(inner, "PATCH", r"/api/product/\w+", lambda: _sim_checkout(app, "TEE", 2))

    async def scenario(shop: Shop) -> None:
        tee = (await shop.channel.items_by_sku())["TEE"]
        with pytest.raises(StockRaced) as raced:
            await shop.channel.adjust(tee, LOCATION_ID, -5)
        assert isinstance(raced.value, OutcomeUnknown) and raced.value.lost_units == 2
        # True level: 25 - 2 sold - 5 = 18. The shop shows 20: two units oversellable.
        assert await shop.stock("TEE") == 20
        assert shop.channel.status()["stock"] == {
            "writes": 1,
            "races": 1,
            "lost_units": 2,
            "ignored": 0,
            "rejected": 0,
        }

    run(scenario, wrap=wrap)


def test_checkout_after_the_write_is_kept_and_not_reported() -> None:
    def wrap(app: Any, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        patched = {"done": False}

        class AfterPatch(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if patched["done"] and request.url.path == "/api/search/product":
                    patched["done"] = False
                    await _sim_checkout(app, "TEE", 2)
                response = await inner.handle_async_request(request)
                patched["done"] = patched["done"] or request.method == "PATCH"
                return response

        return AfterPatch()

    async def scenario(shop: Shop) -> None:
        tee = (await shop.channel.items_by_sku())["TEE"]
        await shop.channel.adjust(tee, LOCATION_ID, -5)
        assert await shop.stock("TEE") == 18
        assert shop.channel.status()["stock"]["races"] == 0

    run(scenario, wrap=wrap)


# -- fulfilment -------------------------------------------------------------------------------


def test_push_fulfilment_tracks_ships_and_completes_once() -> None:
    sent: list[str] = []

    def wrap(app: Any, inner: httpx.AsyncBaseTransport) -> httpx.AsyncBaseTransport:
        class Recording(httpx.AsyncBaseTransport):
            async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
                if request.method != "POST" or "/search/" not in request.url.path:
                    sent.append(f"{request.method} {request.url.path}")
                return await inner.handle_async_request(request)

        return Recording()

    async def scenario(shop: Shop) -> None:
        placed = await shop.checkout(lines=[{"productNumber": "TEE", "quantity": 1}])
        oid, did = placed["id"], placed["deliveries"][0]["id"]
        await shop.channel.push_fulfilment(oid, tracking_number="1Z9", carrier="UPS")
        assert sent == [
            "POST /api/oauth/token",
            f"PATCH /api/order-delivery/{did}",
            f"POST /api/_action/order_delivery/{did}/state/ship",
            f"POST /api/_action/order/{oid}/state/process",
            f"POST /api/_action/order/{oid}/state/complete",
        ]
        order = next(o for o in (await shop.state())["orders"] if o["id"] == oid)
        assert order["stateMachineState"]["technicalName"] == "completed"
        assert order["deliveries"][0]["trackingCodes"] == ["1Z9"]
        assert order["deliveries"][0]["stateMachineState"]["technicalName"] == "shipped"
        sent.clear()
        await shop.channel.push_fulfilment(oid, tracking_number="1Z9", carrier="UPS")
        assert sent == []  # a retried push changes nothing twice

    run(scenario, wrap=wrap)


# -- factory ----------------------------------------------------------------------------------


def test_factory_pins_the_version_and_refuses_incomplete_settings() -> None:
    clock, metrics = VirtualClock(), Metrics()
    channel = build_shopware_channel("sw", settings(), clock, metrics, None)
    assert channel.connector_id == "shopware-admin-6.6" and channel.name == "sw"
    assert "UPS" in channel.accepted_carriers and "Other" in channel.accepted_carriers
    asyncio.run(channel.aclose())
    pinned = build_shopware_channel("sw", settings(api_version="6.7"), clock, metrics, None)
    assert pinned.connector_id == "shopware-admin-6.7"
    asyncio.run(pinned.aclose())
    no_secret = ChannelSettings(**{**settings().model_dump(), "client_secret": None})
    with pytest.raises(ValueError, match="client_secret"):
        build_shopware_channel("sw", no_secret, clock, metrics, None)
    odd = ChannelSettings(**{**settings().model_dump(), "location_map": {"1": "main"}})
    with pytest.raises(ValueError, match="'main'"):
        build_shopware_channel("sw", odd, clock, metrics, None)
