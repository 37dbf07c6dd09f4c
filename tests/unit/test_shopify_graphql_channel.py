"""The Shopify GraphQL channel connector (v2) against the in-process Shopify mock.

The same orders read through v1 (REST) and v2 (GraphQL) are the same canonical objects; pages
and cursors; stock read and adjusted through GraphQL, relative and idempotent, correct with a
checkout landing mid-call; a burst of adjustments paced by the cost budget instead of being
throttled; webhooks as v1 verifies and parses them; status and the factory's pinned id.
Virtual clock, ``httpx.ASGITransport``; faults and races come from a transport wrapper.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mocks.shopify.api import create_app as create_shopify
from simclock import VirtualClock
from sync_engine.circuit import CircuitOpen
from sync_engine.config import ChannelSettings, ShopifyDestination
from sync_engine.connectors.channel import (
    ChannelConnector,
    FulfilmentTarget,
    PayoutSource,
    RefundSource,
)
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.connectors.shopify_graphql import (
    ADJUST_QUANTITIES,
    ADJUST_QUANTITIES_UNKEYED,
    INVENTORY_ITEMS,
    INVENTORY_ITEMS_COST,
    NEWEST_ORDER,
    NEWEST_ORDER_COST,
    ORDER_BY_ID,
    ORDER_COST,
    ORDER_LINES,
    ORDER_LINES_COST,
    ORDERS_PAGE,
    ORDERS_SINCE,
    ORDERS_SINCE_COST,
    QuantityAdjust,
    QuantitySet,
    ShopifyGraphQL,
)
from sync_engine.connectors.shopify_graphql_channel import (
    ShopifyGraphqlChannel,
    build_shopify_graphql_channel,
)
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.errors import RecordRejected, ServerError, Throttled
from sync_engine.metrics import Metrics

TOKEN, SECRET = "shpat_test", "whsec_test"
AUTH = {"X-Shopify-Access-Token": TOKEN}
HOOKS = "https://engine.test/webhooks/shop"
SKUS = [f"S{i:02d}" for i in range(1, 13)]
SEED = {
    "locations": [{"name": "Warehouse"}, {"name": "Store"}],
    "products": [
        {"sku": sku, "title": sku, "price": f"{i + 1}.35", "inventory": {"Warehouse": 100}}
        for i, sku in enumerate(SKUS)
    ]
    + [
        {"sku": "DUO", "title": "Duo", "price": "20.00", "inventory": {"Warehouse": 10, "Store": 4}}
    ],
}
Hook = Callable[[httpx.Request], Awaitable[None]]


class Wire(httpx.AsyncBaseTransport):
    """The mock's transport, logging GraphQL operations and REST paths; ``before`` runs
    ahead of each request (a race), ``fail`` answers a status without sending."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.sent: list[str] = []
        self.bodies: list[dict[str, Any]] = []
        self.before: Hook | None = None
        self.fail: int | None = None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/graphql.json"):
            body = json.loads(request.content)
            self.bodies.append(body)
            self.sent.append("gql " + body["query"].split("(")[0].split("{")[0].strip())
        else:
            self.sent.append(f"{request.method} {request.url.path.split('/', 4)[-1]}")
        if self.fail is not None:
            return httpx.Response(self.fail, json={"errors": "Service Unavailable"})
        if self.before is not None:
            await self.before(request)
        return await self.inner.handle_async_request(request)


@dataclass
class Shop:
    clock: VirtualClock
    app: Any
    admin: httpx.AsyncClient
    wire: Wire
    v1: ShopifyChannel
    v2: ShopifyGraphqlChannel
    items: dict[str, str]
    locations: dict[str, str]
    hooks: list[httpx.Request] = field(default_factory=list)

    async def checkout(self, *lines: tuple[str, int], **extra: Any) -> str:
        body = {"lines": [{"sku": s, "quantity": q} for s, q in lines], **extra}
        r = await self.admin.post("/_sim/checkout", json=body)
        assert r.status_code == 201, r.text
        return str(r.json()["order"]["id"])

    async def available(self, sku: str, location: str = "Warehouse") -> int:
        state = (await self.admin.get("/_mock/state")).json()
        (level,) = [
            lv
            for lv in state["inventory_levels"]
            if lv["sku"] == sku and str(lv["location_id"]) == self.locations[location]
        ]
        return int(level["available"])

    def graphql_throttled(self) -> int:
        return int(self.app.state.shopify_graphql.stats.throttled)


def run(
    scenario: Callable[[Shop], Awaitable[None]],
    *,
    version: str = "2026-04",
    settings: dict[str, Any] | None = None,
) -> None:
    clock = VirtualClock()
    hooks: list[httpx.Request] = []

    def receive(request: httpx.Request) -> httpx.Response:
        hooks.append(request)
        return httpx.Response(200)

    app = create_shopify(
        settings=settings or {},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": SECRET},
        seed=3,
        webhook_transport=httpx.MockTransport(receive),
    )

    async def main() -> None:
        wire = Wire(httpx.ASGITransport(app=app))
        dest = ShopifyDestination(
            base_url="http://shop.test", access_token=TOKEN, webhook_secret=SECRET
        )
        v1 = ShopifyChannel(
            "shop",
            ShopifyRest(dest, clock=clock, metrics=Metrics(), transport=wire),
            webhook_secret=SECRET,
        )
        channel = ChannelSettings(
            platform="shopify",
            connector="shopify-graphql",
            base_url="http://shop.test",
            api_version=version,
            access_token=TOKEN,
            webhook_secret=SECRET,
            location_map={"1": "0"},
        )
        v2 = build_shopify_graphql_channel("shop", channel, clock, Metrics(), wire)
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://shop.test"
        ) as admin:
            seeded = (await admin.post("/_mock/seed", json=SEED)).json()
            items = {v["sku"]: str(v["inventory_item_id"]) for v in seeded["variants"]}
            locations = {loc["name"]: str(loc["id"]) for loc in seeded["locations"]}
            shop = Shop(clock, app, admin, wire, v1, v2, items, locations, hooks)
            try:
                await scenario(shop)
            finally:
                await v1.aclose()
                await v2.aclose()
        await app.state.outbox.aclose()

    asyncio.run(main())


async def collect(iterator: Any) -> list[tuple[list[Any], str]]:
    return [(page, cursor) async for page, cursor in iterator]


# -- orders -----------------------------------------------------------------------------------


@pytest.mark.parametrize("version", ["2026-01", "2026-04"])
def test_an_order_is_the_same_canonical_order_over_rest_and_graphql(version: str) -> None:
    async def scenario(shop: Shop) -> None:
        big = await shop.checkout(
            *[(sku, i + 1) for i, sku in enumerate(SKUS)],  # 12 lines: past the first page
            email="ada@example.com",
            discount_code="FLASH10",
            shipping="express",
        )
        small = await shop.checkout(("S03", 2), email="bob@example.com")
        r = await shop.admin.post(
            f"/admin/api/{version}/orders/{small}/cancel.json", json={}, headers=AUTH
        )
        assert r.status_code == 200, r.text
        for order_id in (big, small):
            rest, gql = await shop.v1.fetch_order(order_id), await shop.v2.fetch_order(order_id)
            assert gql == rest
            assert gql.to_json() == rest.to_json()  # money exact to the digit: "7.35", "5.00"
        rest = await shop.v1.fetch_order(big)
        assert len(rest.lines) == 12 and rest.discount_total > 0 and rest.shipping == Decimal("15")
        assert rest.customer is not None and rest.customer.guest and rest.shipping_address
        assert (await shop.v1.fetch_order(small)).cancelled
        v1_pages = await collect(shop.v1.orders_since(None))
        v2_pages = await collect(shop.v2.orders_since(None))
        assert [o for page, _ in v2_pages for o in page] == [
            o for page, _ in v1_pages for o in page
        ]
        assert v2_pages[-1][1] == v1_pages[-1][1] == small

    run(scenario, version=version)


def test_orders_since_pages_oldest_first_and_resumes_from_any_cursor() -> None:
    async def scenario(shop: Shop) -> None:
        assert await shop.v2.newest_order_seq() == 0
        assert await collect(shop.v2.orders_since(None)) == []
        ids = [await shop.checkout(("S01", 1)) for _ in range(2 * ORDERS_PAGE + 2)]
        shop.wire.sent.clear()
        pages = await collect(shop.v2.orders_since(None))
        assert [len(p) for p, _ in pages] == [ORDERS_PAGE, ORDERS_PAGE, 2]
        assert [o.order_id for p, _ in pages for o in p] == ids
        assert [c for _, c in pages] == [ids[ORDERS_PAGE - 1], ids[-3], ids[-1]]
        assert all(o.channel == "shop" for p, _ in pages for o in p)
        # Per page: one GraphQL query, one REST read of the buyers.
        assert shop.wire.sent == ["gql query OrdersSince", "GET orders.json"] * 3
        rest = await collect(shop.v2.orders_since(pages[0][1]))
        assert [o.order_id for p, _ in rest for o in p] == ids[ORDERS_PAGE:]
        newest = await shop.checkout(("S02", 1))
        (only,) = await collect(shop.v2.orders_since(pages[-1][1]))
        assert [o.order_id for o in only[0]] == [newest] and only[1] == newest
        assert await shop.v2.newest_order_seq() == int(newest)
        with pytest.raises(RecordRejected) as missing:
            await shop.v2.fetch_order("999999")
        assert missing.value.status == 404

    run(scenario)


def test_every_query_reserves_what_shopify_will_ask_for_it() -> None:
    """The computed requested costs equal the mock's ``requestedQueryCost``: the first call
    of each query already reserves the right amount."""

    async def scenario(shop: Shop) -> None:
        order_id = await shop.checkout(*[(sku, 1) for sku in SKUS])
        await shop.v2.fetch_order(order_id)
        await collect(shop.v2.orders_since(None))
        await shop.v2.newest_order_seq()
        await shop.v2.items_by_sku()
        hints = shop.v2.graphql.budget.cost_hints
        assert hints[ORDERS_SINCE] == ORDERS_SINCE_COST <= 1000
        assert hints[ORDER_BY_ID] == ORDER_COST
        assert hints[ORDER_LINES] == ORDER_LINES_COST <= 1000
        assert hints[NEWEST_ORDER] == NEWEST_ORDER_COST
        assert hints[INVENTORY_ITEMS] == INVENTORY_ITEMS_COST

    run(scenario)


# -- inventory --------------------------------------------------------------------------------


def test_items_and_levels_read_through_graphql_match_rest() -> None:
    async def scenario(shop: Shop) -> None:
        items = await shop.v2.items_by_sku()
        assert items == await shop.v1.items_by_sku() == shop.items
        ids, locations = [*items.values(), "999999"], list(shop.locations.values())
        await shop.checkout(("DUO", 3))
        shop.wire.sent.clear()
        levels = await shop.v2.levels(ids, locations)
        assert shop.wire.sent == ["gql query Levels"]  # 14 items × 2 locations in one query
        assert levels == await shop.v1.levels(ids, locations)
        store, warehouse = shop.locations["Store"], shop.locations["Warehouse"]
        assert levels[(items["DUO"], warehouse)] == 7 and levels[(items["DUO"], store)] == 4
        assert levels[(items["S01"], store)] == 0 and len(levels) == 13 * 2  # unknown: none

    run(scenario)


@pytest.mark.parametrize("version", ["2025-10", "2026-01", "2026-04"])
def test_an_adjustment_commutes_with_a_checkout_landing_while_it_is_sent(version: str) -> None:
    async def scenario(shop: Shop) -> None:
        item, location = shop.items["DUO"], shop.locations["Warehouse"]
        (seen,) = (await shop.v2.levels([item], [location])).values()
        assert seen == 10

        async def shopper_buys_first(request: httpx.Request) -> None:
            if b"AdjustQuantities" in request.content:
                shop.wire.before = None
                await shop.checkout(("DUO", 3))

        shop.wire.before = shopper_buys_first
        await shop.v2.adjust(item, location, +5)  # decided on 10; a shopper took 3 meanwhile
        assert await shop.available("DUO") == 10 - 3 + 5
        (sent,) = [b["query"] for b in shop.wire.bodies if "AdjustQuantities" in b["query"]]
        assert ("@idempotent" in sent) == (version >= "2026-01")  # the directive's first version
        # An absolute write decided on a read that a checkout overtook is refused by the
        # compare-and-set rather than putting the sold unit back.
        (seen,) = (await shop.v2.levels([item], [location])).values()
        await shop.checkout(("DUO", 1))
        stale = QuantitySet(
            item_id=int(item), location_id=int(location), quantity=seen + 3, expected=seen
        )
        with pytest.raises(RecordRejected) as refused:
            await shop.v2.graphql.inventory_set([stale])
        assert refused.value.code in ("CHANGE_FROM_QUANTITY_STALE", "COMPARE_QUANTITY_STALE")
        assert await shop.available("DUO") == seen - 1

    run(scenario, version=version)


def test_adjustments_carry_idempotency_keys_and_a_replayed_key_applies_once() -> None:
    async def scenario(shop: Shop) -> None:
        item, location = int(shop.items["S05"]), int(shop.locations["Warehouse"])
        gql = shop.v2.graphql
        change = QuantityAdjust(item_id=item, location_id=location, delta=-4)
        first = await gql.inventory_adjust([change], idempotency_key="push-1")
        again = await gql.inventory_adjust([change], idempotency_key="push-1")  # a retry
        assert first == again == {(item, location): 96}
        assert await shop.available("S05") == 96
        shop.wire.bodies.clear()
        await shop.v2.adjust(str(item), str(location), 1)
        await shop.v2.adjust(str(item), str(location), 1)
        keys = [b["variables"]["key"] for b in shop.wire.bodies]
        assert len(set(keys)) == 2 and all(keys)  # a fresh key per call: both land
        assert await shop.available("S05") == 98
        # From 2026-04 Shopify refuses an adjustment without the directive, applying nothing.
        variables = {"input": {"name": "available", "reason": "correction", "changes": []}}
        with pytest.raises(RecordRejected, match="@idempotent"):
            await gql.execute(ADJUST_QUANTITIES_UNKEYED, variables)

    run(scenario)


def test_a_burst_of_adjustments_is_paced_by_the_cost_budget_not_throttled() -> None:
    async def scenario(shop: Shop) -> None:
        location = shop.locations["Warehouse"]
        start, n = shop.clock.now(), 240  # 2400 points from a 2000-point bucket at 100/s
        for i in range(n):
            await shop.v2.adjust(shop.items[SKUS[i % 4]], location, 1)
        elapsed = shop.clock.now() - start
        throttled = shop.graphql_throttled()
        assert throttled == 0, f"{throttled}/{n} adjustments THROTTLED"
        assert elapsed == pytest.approx((2400 - 2000) / 100, abs=0.5)
        # Concurrent callers share the budget, which reserves before sending.
        m = 160
        results = await asyncio.gather(
            *(shop.v2.adjust(shop.items[SKUS[i % 4]], location, 1) for i in range(m)),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, BaseException)]
        throttled = shop.graphql_throttled()
        assert throttled <= 3, f"{throttled}/{m} concurrent adjustments THROTTLED"
        assert len(failed) == throttled and all(isinstance(f, Throttled) for f in failed)
        levels = [await shop.available(sku) for sku in SKUS[:4]]
        assert sum(levels) == 4 * (100 + n // 4) + m - throttled
        status = shop.v2.status()
        assert status["points_spent"] == 10 * (n + m - throttled)
        assert status["restore_rate"] == 100 and status["throttled"] == throttled
        assert status["circuit"]["state"] == "closed"

    run(scenario)


def test_points_another_app_spent_are_learned_from_a_throttled_answer() -> None:
    async def scenario(shop: Shop) -> None:
        item, location = shop.items["S01"], shop.locations["Warehouse"]
        await shop.v2.adjust(item, location, 1)  # the budget has seen the 100-point bucket
        other = {"input": {"name": "available", "reason": "correction", "changes": []}}
        for i in range(9):  # another app on the same token spends 90 points behind our back
            r = await shop.admin.post(
                "/admin/api/2026-04/graphql.json",
                json={"query": ADJUST_QUANTITIES, "variables": {**other, "key": f"o{i}"}},
                headers=AUTH,
            )
            assert "errors" not in r.json(), r.text
        with pytest.raises(Throttled) as caught:
            await shop.v2.adjust(item, location, 1)
        assert caught.value.status == 200 and caught.value.retry_after is not None
        assert caught.value.retry_after > 0 and shop.v2.status()["throttled"] == 1
        await shop.clock.sleep(caught.value.retry_after)
        await shop.v2.adjust(item, location, 1)  # the wait the budget computed was enough
        assert await shop.available("S01") == 102 and shop.graphql_throttled() == 1

    run(scenario, settings={"graphql": {"bucket_size": 100, "restore_rate": 10}})


# -- webhooks, post-purchase, status, factory -------------------------------------------------


def test_webhooks_are_subscribed_verified_and_parsed_as_rest_does() -> None:
    async def scenario(shop: Shop) -> None:
        await shop.v2.ensure_webhooks(HOOKS)
        await shop.v2.ensure_webhooks(HOOKS)  # idempotent
        r = await shop.admin.get("/admin/api/2026-04/webhooks.json", headers=AUTH)
        assert sorted(h["topic"] for h in r.json()["webhooks"]) == sorted(
            ("orders/create", "orders/updated", "orders/cancelled", "refunds/create")
        )
        order_id = await shop.checkout(("S02", 2), email="cy@example.com")
        await shop.app.state.outbox.deliver_due()
        (hook,) = [h for h in shop.hooks if h.headers["X-Shopify-Topic"] == "orders/create"]
        headers, body = hook.headers, hook.content
        digest = hmac.new(SECRET.encode(), body, hashlib.sha256).digest()
        assert headers["x-shopify-hmac-sha256"] == base64.b64encode(digest).decode()
        assert shop.v2.verify_webhook(headers, body)
        assert not shop.v2.verify_webhook(headers, body + b" ")
        assert not shop.v2.verify_webhook({}, body)
        event = shop.v2.parse_webhook(headers, body)
        assert event == shop.v1.parse_webhook(headers, body)
        assert event.event_id == headers["x-shopify-webhook-id"]
        assert event.order == await shop.v2.fetch_order(order_id)
        with pytest.raises(ValueError, match="X-Shopify-Webhook-Id"):
            shop.v2.parse_webhook({"X-Shopify-Topic": "orders/create"}, body)
        with pytest.raises(ValueError, match="not a Shopify order"):
            shop.v2.parse_webhook(headers, b"{}")

    run(scenario)


def test_fulfilment_and_refunds_go_through_the_rest_part() -> None:
    async def scenario(shop: Shop) -> None:
        order_id = await shop.checkout(("S01", 2))
        for _ in range(2):  # the second push finds the tracking number and sends nothing
            await shop.v2.push_fulfilment(order_id, tracking_number="1Z9", carrier="UPS")
        r = await shop.admin.get(f"/admin/api/2026-04/orders/{order_id}.json", headers=AUTH)
        (fulfilment,) = r.json()["order"]["fulfillments"]
        assert fulfilment["tracking_number"] == "1Z9"
        assert await collect(shop.v2.refunds_since(None)) == []
        assert await collect(shop.v2.payouts_since(None)) == []

    run(scenario)


def test_status_shows_the_cost_budget_and_the_circuit_opens_on_server_errors() -> None:
    async def scenario(shop: Shop) -> None:
        await shop.v2.items_by_sku()
        status = shop.v2.status()
        assert status["connector"] == "shopify-graphql-2026-04"
        assert status["budget"]["maximum"] == 2000 and status["restore_rate"] == 100
        assert status["points_spent"] > 0 and status["throttled"] == 0
        assert status["rest"]["budget"]["calls"] == 0  # stock reads spend no REST calls
        shop.wire.fail = 503
        for _ in range(5):
            with pytest.raises(ServerError):
                await shop.v2.newest_order_seq()
        assert shop.v2.status()["circuit"]["state"] == "open"
        shop.wire.sent.clear()
        with pytest.raises(CircuitOpen):
            await shop.v2.newest_order_seq()
        assert shop.wire.sent == []  # nothing sent while open

    run(scenario)


def test_factory_pins_the_version_and_builds_every_protocol() -> None:
    clock = VirtualClock()
    settings = ChannelSettings(
        platform="shopify",
        connector="shopify-graphql",
        base_url="http://shop.test",
        api_version="2026-07",
        access_token=TOKEN,
        webhook_secret=SECRET,
        location_map={"1": "1"},
        bucket_headroom=25,
    )
    channel = build_shopify_graphql_channel("eu", settings, clock, Metrics(), None)
    connector: ChannelConnector = channel
    assert connector.connector_id == "shopify-graphql-2026-07" and connector.name == "eu"
    assert str(channel.graphql.client.base_url).endswith("/admin/api/2026-07/")
    assert channel.rest.dest.api_version == "2026-07" and channel.graphql.budget.headroom == 25
    assert isinstance(channel.graphql, ShopifyGraphQL)
    for protocol in (FulfilmentTarget, RefundSource, PayoutSource):
        assert isinstance(channel, protocol)
    default = build_shopify_graphql_channel(
        "us", settings.model_copy(update={"api_version": None}), clock, Metrics(), None
    )
    assert (
        default.connector_id
        == f"shopify-graphql-{ShopifyDestination.model_fields['api_version'].default}"
    )
    with pytest.raises(ValueError, match=r"channels\.us\.access_token"):
        build_shopify_graphql_channel(
            "us", settings.model_copy(update={"access_token": None}), clock, Metrics(), None
        )
    asyncio.run(channel.aclose())
    asyncio.run(default.aclose())
