"""The Fulfil v2 back-office connector against the in-process Fulfil mock on a virtual clock.

Ground truth is read from the mock's ``/_mock/state`` and ``/_mock/stats``, never from the
connector. Drivers are sequential (the VirtualClock autojumps each sleeper's wait).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mocks.fulfil.api import create_app
from simclock import VirtualClock, iso_utc
from sync_engine.connectors.back_office import JournalLine
from sync_engine.connectors.fulfil_v2 import FulfilBackOffice, FulfilDestination
from sync_engine.errors import OutcomeUnknown, RecordRejected, Throttled
from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.order_map import BackOfficeOrder
from sync_engine.mapping.rules import BundleComponent
from sync_engine.mapping.skus import ANY_SKU
from sync_engine.metrics import Metrics
from sync_engine.model import Customer, Order, OrderLine, Refund

D = Decimal
KEY = "fulfil_unit"
START = 1_764_000_000.0
ADA = Customer(email="ada@example.com", first_name="Ada", last_name="Lovelace")
SEED = {
    "warehouses": [{"name": "Main", "code": "MAIN"}, {"name": "East", "code": "EAST"}],
    "products": [
        {"code": "SKU1", "name": "Tee", "list_price": "19.99", "stock": {"MAIN": 10}},
        {"code": "SKU2", "name": "Mug", "list_price": "8.50", "stock": {"MAIN": 3, "EAST": 4}},
        {"code": "HAT-RED", "name": "Red hat", "list_price": "25.00", "stock": {}},
    ],
    "parties": [
        {"name": "Ada Lovelace", "email": "ada@example.com", "phone": "+15550001"},
        {"name": "Bob Phone", "phone": "+15550002"},
    ],
}


class Wire(httpx.AsyncBaseTransport):
    """The in-process mock as a network: every request lets other tasks run first (as a
    socket would), and ``sale.sale/create`` is delivered but its answer lost ``lose`` times."""

    def __init__(self, inner: httpx.AsyncBaseTransport) -> None:
        self.inner = inner
        self.lose = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        await asyncio.sleep(0)
        response = await self.inner.handle_async_request(request)
        if self.lose and request.url.path.endswith("/sale.sale/create"):
            self.lose -= 1
            await response.aread()
            raise httpx.ReadTimeout("answer lost", request=request)
        return response


class Env:
    """One mock, one connector, one clock."""

    def __init__(self, *, mock_rpm: int = 1000, **dest: Any) -> None:
        self.clock = VirtualClock(START)
        self.app = create_app(
            settings={"requests_per_minute": mock_rpm},
            clock=self.clock,
            credentials={"api_key": KEY},
            seed=5,
        )
        self.transport = Wire(httpx.ASGITransport(app=self.app))
        self.bo = FulfilBackOffice(
            FulfilDestination(base_url="http://fulfil.test", api_key=KEY, **dest),
            clock=self.clock,
            metrics=Metrics(),
            transport=self.transport,
        )

    async def admin(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url="http://fulfil.test"
        ) as client:
            response = await client.request(method, path, json=body)
            assert response.is_success, response.text
            return response.json()

    async def seed(self) -> None:
        await self.admin("POST", "/_mock/seed", SEED)

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "/_mock/state")
        return result

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "/_mock/stats")
        return result

    async def sale(self, channel_identifier: str) -> dict[str, Any]:
        sales = (await self.state())["sales"]
        (sale,) = [s for s in sales if s["channel_identifier"] == channel_identifier]
        result: dict[str, Any] = sale
        return result

    async def available(self, sku: str, location: int = 1) -> int:
        product = next(p for p in (await self.state())["products"] if p["code"] == sku)
        return int(
            next(r for r in product["locations"] if r["location_id"] == location)["available"]
        )


def run(test: Callable[[Env], Awaitable[None]], **env: Any) -> None:
    async def go() -> None:
        e = Env(**env)
        await e.seed()
        try:
            await test(e)
        finally:
            await e.bo.aclose()

    asyncio.run(go())


def line(sku: str, qty: int = 1, price: str = "19.99", tax: str = "0", **kw: Any) -> OrderLine:
    return OrderLine(sku=sku, quantity=qty, unit_price=D(price), discount=D("0"), tax=D(tax), **kw)


def order(
    *lines: OrderLine,
    oid: str = "1001",
    customer: Customer = ADA,
    discount: str = "0",
    shipping: str = "0",
    tax: str | None = None,
    total: str | None = None,
    rules: MappingRules | None = None,
) -> BackOfficeOrder:
    tax_total = D(tax) if tax is not None else sum((ln.tax for ln in lines), D(0))
    subtotal = sum((ln.amount for ln in lines), D(0))
    promo = sum((ln.amount for ln in lines if ln.kind == "promotion"), D(0))
    computed = subtotal - D(discount) + tax_total + D(shipping)
    channel_order = Order(
        channel="shopify",
        order_id=oid,
        number=f"#{oid}",
        created_ts=START,
        email=customer.email,
        currency="USD",
        lines=tuple(lines),
        discount_total=D(discount) - promo,  # promotion lines count as discounts too
        tax_total=tax_total,
        shipping=D(shipping),
        total=D(total) if total is not None else computed,
        customer=customer,
    )
    return map_order(channel_order, rules or MappingRules(), ANY_SKU)


def test_order_round_trip_books_the_channel_total_tax_discount_and_shipping_exactly() -> None:
    async def t(e: Env) -> None:
        bo = order(
            line("SKU1", 2, "19.99", "3.20"),
            line("SKU2", 1, "8.50", "0.68"),
            discount="2.00",
            shipping="5.00",
            tax="4.28",  # 0.40 of it is tax on shipping, which no product line carries
        )
        assert bo.total == D("55.76")
        await e.bo.upsert_sales_order(bo, location_id="1")
        sale = await e.sale("shopify-1001")
        assert (sale["total_amount"], sale["tax_amount"]) == ("55.76", "4.28")
        assert sale["state"] == "processing" and len(sale["shipments"]) == 1
        assert (sale["party"], sale["warehouse"], sale["currency"]) == (1, 1, "USD")
        by_sku = {ln["sku"]: ln for ln in sale["lines"] if ln["sku"]}
        assert by_sku["SKU1"]["unit_price"] == "19.99" and by_sku["SKU1"]["amount"] == "39.98"
        assert by_sku["SKU1"]["tax_amount"] == "3.20"
        extra = {ln["description"]: ln for ln in sale["lines"] if not ln["sku"]}
        assert extra["Discount"]["amount"] == "-2.00"
        assert (extra["Shipping"]["amount"], extra["Shipping"]["tax_amount"]) == ("5.00", "0.40")
        assert await e.available("SKU1") == 8  # confirmed: reserved, not yet shipped

    run(t)


def test_a_rate_fulfil_cannot_hold_is_split_so_amounts_stay_exact() -> None:
    async def t(e: Env) -> None:
        rules = MappingRules(bundles={"KIT": [BundleComponent(sku="SKU2", quantity=3)]})
        bo = order(line("KIT", 1, "10.00"), rules=rules)  # 3 mugs for 10.00: 3.333... each
        await e.bo.upsert_sales_order(bo, location_id="1")
        sale = await e.sale("shopify-1001")
        prices = sorted((ln["quantity"], ln["unit_price"]) for ln in sale["lines"])
        assert prices == [(1, "3.34"), (2, "3.33")]
        assert sale["total_amount"] == "10.00"

    run(t)


def test_second_upsert_creates_nothing_and_costs_one_call() -> None:
    async def t(e: Env) -> None:
        bo = order(line("SKU1", 2))
        await e.bo.upsert_sales_order(bo, location_id="1")
        calls = e.bo.budget.calls
        await e.bo.upsert_sales_order(bo, location_id="1")
        assert e.bo.budget.calls - calls == 1  # the search by channel identifier, nothing else
        stats = await e.stats()
        assert stats["sales"] == 1 and stats["by_method"]["sale.sale.create"] == 1
        assert "party.party.create" not in stats["by_method"]

    run(t)


def test_retry_after_a_lost_create_answer_finds_the_sale_and_finishes_it() -> None:
    async def t(e: Env) -> None:
        bo = order(line("SKU1", 2), line("SKU2", 1, "8.50"))
        e.transport.lose = 1
        with pytest.raises(OutcomeUnknown):
            await e.bo.upsert_sales_order(bo, location_id="1")
        assert (await e.sale("shopify-1001"))["state"] == "draft"  # it landed
        await e.bo.upsert_sales_order(bo, location_id="1")
        stats = await e.stats()
        assert stats["sales"] == 1 and stats["by_method"]["sale.sale.create"] == 1
        sale = await e.sale("shopify-1001")
        assert sale["state"] == "processing" and sale["total_amount"] == "48.48"

    run(t)


def test_two_engines_upserting_one_order_at_once_make_one_sale() -> None:
    async def t(e: Env) -> None:
        other = FulfilBackOffice(
            FulfilDestination(base_url="http://fulfil.test", api_key=KEY),
            clock=e.clock,
            metrics=Metrics(),
            transport=Wire(httpx.ASGITransport(app=e.app)),
        )
        bo = order(line("SKU1", 2))
        await asyncio.gather(
            e.bo.upsert_sales_order(bo, location_id="1"),
            other.upsert_sales_order(bo, location_id="1"),
        )
        await other.aclose()
        stats = await e.stats()
        # Both searched before either created: the second create was refused (one sale per
        # channel identifier) and that engine carried on with the first one's sale.
        assert stats["by_method"]["sale.sale.create"] == 2 and stats["user_errors"] >= 1
        assert stats["sales"] == 1
        assert (await e.sale("shopify-1001"))["state"] == "processing"
        assert await e.available("SKU1") == 8  # confirmed once, reserved once

    run(t)


def test_a_draft_left_by_an_older_version_gets_this_versions_lines() -> None:
    async def t(e: Env) -> None:
        stale = order(line("SKU1", 1))
        e.transport.lose = 1
        with pytest.raises(OutcomeUnknown):
            await e.bo.upsert_sales_order(stale, location_id="1")
        edited = order(line("SKU1", 3), line("HAT-RED", 1, "25.00"))
        await e.bo.upsert_sales_order(edited, location_id="1")
        sale = await e.sale("shopify-1001")
        assert sorted((ln["sku"], ln["quantity"]) for ln in sale["lines"]) == [
            ("HAT-RED", 1),
            ("SKU1", 3),
        ]
        assert sale["total_amount"] == "84.97" and sale["state"] == "processing"

    run(t)


def test_a_confirmed_sale_is_not_edited_and_a_different_total_is_locked() -> None:
    async def t(e: Env) -> None:
        await e.bo.upsert_sales_order(order(line("SKU1", 2)), location_id="1")
        with pytest.raises(RecordRejected) as caught:
            await e.bo.upsert_sales_order(order(line("SKU1", 3)), location_id="1")
        assert caught.value.code == "LOCKED"
        assert (await e.sale("shopify-1001"))["total_amount"] == "39.98"

    run(t)


def test_guests_always_get_a_new_party_and_are_never_matched_later() -> None:
    async def t(e: Env) -> None:
        guest = Customer(email="ada@example.com", guest=True)
        await e.bo.upsert_sales_order(order(line("SKU1"), oid="1", customer=guest), location_id="1")
        await e.bo.upsert_sales_order(order(line("SKU1"), oid="2", customer=guest), location_id="1")
        one, two = await e.sale("shopify-1"), await e.sale("shopify-2")
        assert len({one["party"], two["party"], 1}) == 3  # not Ada, not each other
        # A guest's e-mail never makes a registered buyer one of the guests: Carol checked
        # out as a guest first, then registered, and gets a party of her own.
        carol = Customer(email="carol@example.com", guest=True)
        await e.bo.upsert_sales_order(order(line("SKU1"), oid="3", customer=carol), location_id="1")
        registered = Customer(email="carol@example.com", first_name="Carol")
        await e.bo.upsert_sales_order(
            order(line("SKU1"), oid="4", customer=registered), location_id="1"
        )
        guest_party, own_party = [(await e.sale(f"shopify-{i}"))["party"] for i in (3, 4)]
        assert guest_party != own_party
        parties = {p["id"]: p for p in (await e.state())["parties"]}
        assert len(parties) == 2 + 4 and parties[own_party]["name"] == "Carol"

    run(t)


def test_registered_customer_matched_by_email_in_any_case_then_by_phone() -> None:
    async def t(e: Env) -> None:
        shouty = Customer(email="ADA@Example.COM")
        await e.bo.upsert_sales_order(
            order(line("SKU1"), oid="1", customer=shouty), location_id="1"
        )
        phone_only = Customer(phone="+1 (555) 0001")
        await e.bo.upsert_sales_order(
            order(line("SKU1"), oid="2", customer=phone_only), location_id="1"
        )
        assert [(await e.sale(f"shopify-{i}"))["party"] for i in (1, 2)] == [1, 1]
        # Bob has only a phone: found by it, his e-mail is recorded, then found by e-mail.
        bob = Customer(email="bob@example.com", phone="+1 555 0002")
        await e.bo.upsert_sales_order(order(line("SKU1"), oid="3", customer=bob), location_id="1")
        await e.bo.upsert_sales_order(
            order(line("SKU1"), oid="4", customer=Customer(email="Bob@Example.com")),
            location_id="1",
        )
        assert [(await e.sale(f"shopify-{i}"))["party"] for i in (3, 4)] == [2, 2]
        state = await e.state()
        assert len(state["parties"]) == 2
        assert {"type": "email", "value": "bob@example.com"} in state["parties"][1][
            "contact_mechanisms"
        ]

    run(t)


def test_unknown_sku_is_rejected_naming_it_and_leaves_no_sale() -> None:
    async def t(e: Env) -> None:
        with pytest.raises(RecordRejected) as caught:
            await e.bo.upsert_sales_order(order(line("SKU1"), line("GHOST-9")), location_id="1")
        assert caught.value.code == "UserError" and "GHOST-9" in str(caught.value)
        assert (await e.stats())["sales"] == 0

    run(t)


def test_promotion_discount_line_is_booked_without_moving_stock() -> None:
    async def t(e: Env) -> None:
        promo = line("", 1, "-5.00", kind="promotion", name="Rule Builder 10% off")
        bo = order(line("SKU1", 2, "19.99", "2.80"), promo)
        assert [ln.inventory for ln in bo.lines] == [True, False]
        await e.bo.upsert_sales_order(bo, location_id="1")
        sale = await e.sale("shopify-1001")
        (discount,) = [ln for ln in sale["lines"] if ln["sku"] is None]
        assert discount["amount"] == "-5.00" and discount["description"].startswith("DISCOUNT")
        assert sale["total_amount"] == "37.78"  # 39.98 - 5.00 + 2.80
        e.clock.advance(960)  # assign, pack, ship: nothing waits for DISCOUNT stock
        (shipment,) = (await e.state())["shipments"]
        assert shipment["state"] == "done"
        assert [(m["sku"], m["quantity"]) for m in shipment["moves"]] == [("SKU1", 2)]

    run(t)


def test_an_order_whose_total_does_not_add_up_is_refused_before_any_call() -> None:
    async def t(e: Env) -> None:
        with pytest.raises(RecordRejected) as caught:
            # map_order holds such a channel order (TOTAL_MISMATCH); the connector checks again.
            broken = dataclasses.replace(order(line("SKU1")), total=D("20.00"))
            await e.bo.upsert_sales_order(broken, location_id="1")
        assert caught.value.code == "AMOUNT_MISMATCH" and e.bo.budget.calls == 0

    run(t)


def test_calls_are_paced_to_requests_per_minute_with_no_429() -> None:
    async def t(e: Env) -> None:
        start = e.clock.now()
        for _ in range(40):  # 3 calls each: warehouses, a product page, their quantities
            await e.bo.inventory(None)
        elapsed = e.clock.now() - start
        stats = await e.stats()
        assert stats["calls"] == 120 and stats["throttled"] == 0 and e.bo.budget.throttled == 0
        # 30 at once, then 30 more each time the first of the window is a minute old.
        assert 180 <= elapsed <= 181

    run(t, mock_rpm=30, requests_per_minute=30, headroom=0)


def test_a_429_from_a_shared_key_is_throttled_with_retry_after_and_then_waited_out() -> None:
    async def t(e: Env) -> None:
        # The connector believes 1000/min; the key really has 30 (others spend it too).
        for _ in range(30):
            await e.bo.rpc("stock.location", "search_count", [])
        with pytest.raises(Throttled) as caught:
            await e.bo.rpc("stock.location", "search_count", [])
        assert caught.value.retry_after == 60 and caught.value.code == "RateLimitError"
        before = e.clock.now()
        assert await e.bo.rpc("stock.location", "search_count", []) == 2
        assert e.clock.now() - before >= 60
        assert (await e.stats())["throttled"] == 1 and e.bo.status()["budget"]["throttled"] == 1

    run(t, mock_rpm=30)


def test_inventory_is_on_hand_minus_reserved_per_product_and_warehouse_paged() -> None:
    async def t(e: Env) -> None:
        await e.bo.upsert_sales_order(
            order(line("SKU1", 3), line("SKU2", 1, "8.50")), location_id="1"
        )
        levels = await e.bo.inventory("2025-01-01T00:00:00.000Z")  # no narrowing: full read
        got = {(lv.sku, lv.location): lv.available for lv, _ in levels}
        assert got == {
            ("SKU1", "1"): 7,
            ("SKU1", "2"): 0,
            ("SKU2", "1"): 2,
            ("SKU2", "2"): 4,
            ("HAT-RED", "1"): 0,
            ("HAT-RED", "2"): 0,
        }
        assert {stamp for _, stamp in levels} == {iso_utc(e.clock.now())}
        assert (await e.stats())["by_method"]["product.product.get_product_inventory"] == 2

    run(t, per_page=2)


def test_shipments_since_reads_carrier_tracking_and_resumes_from_the_cursor() -> None:
    async def t(e: Env) -> None:
        await e.bo.upsert_sales_order(
            order(line("SKU1", 2), line("SKU2", 1, "8.50")), location_id="1"
        )
        await e.bo.upsert_sales_order(order(line("SKU1"), oid="1002"), location_id="1")
        assert await e.bo.shipments_since(None) == ([], None)
        e.clock.advance(960)  # both are shipped at the same instant: ids break the tie
        shipments, cursor = await e.bo.shipments_since(None)
        truth = {s["id"]: s for s in (await e.state())["shipments"]}
        assert [(s.channel, s.order_id) for s in shipments] == [
            ("shopify", "1001"),
            ("shopify", "1002"),
        ]
        first = shipments[0]
        assert first.lines == (("SKU1", 2), ("SKU2", 1))
        assert first.carrier == truth[int(first.shipment_id)]["carrier"] != ""
        assert first.tracking_number == truth[int(first.shipment_id)]["tracking_number"]
        assert cursor is not None
        assert await e.bo.shipments_since(cursor) == ([], cursor)
        # Resuming right after the first (same done time, lower id) yields only the second.
        after_first = cursor.rsplit("|", 1)[0] + f"|{first.shipment_id}"
        assert [s.order_id for s in (await e.bo.shipments_since(after_first))[0]] == ["1002"]

    run(t, per_page=1)


def test_cancel_before_the_cutoff_releases_stock_and_repeats_harmlessly() -> None:
    async def t(e: Env) -> None:
        await e.bo.upsert_sales_order(order(line("SKU1", 4)), location_id="1")
        e.clock.advance(60)  # the shipment is assigned (picking), not yet packed
        assert await e.available("SKU1") == 6
        await e.bo.cancel_sales_order("shopify-1001")
        await e.bo.cancel_sales_order("shopify-1001")
        sale = await e.sale("shopify-1001")
        assert sale["state"] == "cancelled" and await e.available("SKU1") == 10
        assert (await e.stats())["by_method"]["sale.sale.cancel"] == 1
        with pytest.raises(RecordRejected) as caught:
            await e.bo.cancel_sales_order("shopify-404")
        assert caught.value.code == "NOT_FOUND"

    run(t)


def test_cancel_after_packing_is_past_the_cutoff_and_changes_nothing() -> None:
    async def t(e: Env) -> None:
        await e.bo.upsert_sales_order(order(line("SKU1", 4)), location_id="1")
        e.clock.advance(360)  # assigned after 60 s, packed 300 s later
        with pytest.raises(RecordRejected) as caught:
            await e.bo.cancel_sales_order("shopify-1001")
        assert caught.value.code == "PAST_CUTOFF"
        assert (await e.sale("shopify-1001"))["state"] == "processing"
        assert "sale.sale.cancel" not in (await e.stats())["by_method"]

    run(t)


def test_credit_memo_is_a_return_sale_for_the_refund_idempotent_by_external_id() -> None:
    async def t(e: Env) -> None:
        await e.bo.upsert_sales_order(order(line("SKU1", 2, "19.99", "1.60")), location_id="1")
        refund = Refund(
            refund_id="77",
            channel="shopify",
            order_id="1001",
            lines=(("SKU1", 1, True),),
            amount=D("24.59"),
            shipping=D("3.00"),
        )
        for _ in range(2):
            await e.bo.credit_memo(refund, amount_lines=[("SKU1", 1, D("21.59"))])
        memo = await e.sale("shopify-refund-77")
        assert (memo["total_amount"], memo["state"], memo["party"]) == ("-24.59", "done", 1)
        assert memo["shipments"] == []  # nothing moves: the API cannot restock
        assert (await e.stats())["sales"] == 2
        with pytest.raises(RecordRejected) as caught:
            await e.bo.credit_memo(
                Refund(refund_id="8", channel="shopify", order_id="9", lines=(), amount=D("1")),
                amount_lines=[],
            )
        assert caught.value.code == "NOT_FOUND"

    run(t)


def test_journal_entry_is_unsupported_and_sends_nothing() -> None:
    async def t(e: Env) -> None:
        with pytest.raises(RecordRejected) as caught:
            await e.bo.journal_entry(
                "shopify-payout-5",
                date="2025-11-28",
                memo="payout",
                currency="USD",
                lines=[JournalLine(account="bank", debit=D("1")), JournalLine(account="c")],
            )
        assert caught.value.code == "UNSUPPORTED" and e.bo.budget.calls == 0
        status = e.bo.status()
        assert status["connector"] == "fulfil-v2" and status["circuit"]["state"] == "closed"

    run(t)
