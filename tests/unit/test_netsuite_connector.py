"""The NetSuite-style back-office connector (netsuite-rest-v1) against the in-process ERP mock.

Virtual clock, no latency; ground truth is the mock's ``/_mock/state`` and ``/_mock/stats``,
never the connector's own account. A "fresh connector" stands for another engine process:
same ERP, empty customer cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
import pytest

from mocks.erp.api import create_app
from simclock import VirtualClock
from sync_engine.config import ErpDestination
from sync_engine.connectors.back_office import JournalLine, payout_journal
from sync_engine.connectors.netsuite_books import credit_memo_body
from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.errors import RecordRejected
from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.order_map import BackOfficeOrder
from sync_engine.mapping.rules import BundleComponent
from sync_engine.mapping.skus import ANY_SKU
from sync_engine.metrics import Metrics
from sync_engine.model import Customer, Order, OrderLine, Payout, Refund

D = Decimal
TOKEN = "erp_unit"
START = 1_764_000_000.0
BASE = "http://erp.test"
REC = "/services/rest/record/v1"
ADA = Customer(email="Ada@Example.com", first_name="Ada", last_name="Lovelace")
ACCOUNTS = {
    "bank": "1000",
    "clearing": "1100",
    "adjustments": "1200",
    "refunds": "4900",
    "fees": "6100",
}


class Env:
    """One ERP mock, one connector, one virtual clock."""

    def __init__(self, **dest: Any) -> None:
        self.clock = VirtualClock(START)
        self.app = create_app(
            settings={"write_latency_median": 0, "read_latency_median": 0},
            clock=self.clock,
            credentials={"access_token": TOKEN},
            seed=7,
        )
        self.dest = dest
        self.erp = self.connector()
        self.others: list[NetSuiteRest] = []

    def connector(self) -> NetSuiteRest:
        return NetSuiteRest(
            ErpDestination(base_url=BASE, access_token=TOKEN, **self.dest),
            clock=self.clock,
            metrics=Metrics(),
            transport=httpx.ASGITransport(app=self.app),
        )

    def fresh(self) -> NetSuiteRest:
        """Another engine process: same ERP, nothing cached."""
        other = self.connector()
        self.others.append(other)
        return other

    async def admin(self, method: str, path: str, body: Any = None, **kw: Any) -> Any:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=self.app), base_url=BASE
        ) as client:
            response = await client.request(method, path, json=body, **kw)
            assert response.is_success, response.text
            return response.json() if response.content else None

    async def seed(self, customers: list[dict[str, Any]] | None = None) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin(
            "POST",
            "/_mock/seed",
            {
                "locations": [{"id": "1", "name": "WH"}],
                "items": [{"sku": "A", "on_hand": {"1": 20}}, {"sku": "B", "on_hand": {"1": 20}}],
                "customers": customers or [],
            },
        )
        return result

    async def state(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "/_mock/state")
        return result

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self.admin("GET", "/_mock/stats")
        return result

    async def sales_order(self, external_id: str) -> dict[str, Any]:
        (so,) = [s for s in (await self.state())["sales_orders"] if s["externalId"] == external_id]
        result: dict[str, Any] = so
        return result

    async def ship(self, **body: Any) -> list[dict[str, Any]]:
        result: list[dict[str, Any]] = (await self.admin("POST", "/_sim/ship", body))[
            "fulfillments"
        ]
        return result


def run(test: Callable[[Env], Awaitable[None]], **dest: Any) -> None:
    async def go() -> None:
        env = Env(**dest)
        await env.seed()
        try:
            await test(env)
        finally:
            for connector in (env.erp, *env.others):
                await connector.aclose()

    asyncio.run(go())


def line(sku: str, qty: int = 1, price: str = "10.00", tax: str = "0", **kw: Any) -> OrderLine:
    return OrderLine(sku=sku, quantity=qty, unit_price=D(price), discount=D(0), tax=D(tax), **kw)


def order(
    *lines: OrderLine,
    oid: str = "1001",
    channel: str = "shopify",
    customer: Customer = ADA,
    shipping: str = "0",
    address: dict[str, str] | None = None,
    rules: MappingRules | None = None,
) -> BackOfficeOrder:
    lines = lines or (line("A"),)
    tax = sum((ln.tax for ln in lines), D(0))
    subtotal = sum((ln.amount for ln in lines), D(0))
    promo = sum((ln.amount for ln in lines if ln.kind == "promotion"), D(0))
    channel_order = Order(
        channel=channel,
        order_id=oid,
        number=f"#{oid}",
        created_ts=START,
        email=customer.email,
        currency="USD",
        lines=tuple(lines),
        discount_total=-promo,
        tax_total=tax,
        shipping=D(shipping),
        total=subtotal + tax + D(shipping),
        customer=customer,
        shipping_address=address or {},
    )
    return map_order(channel_order, rules or MappingRules(), ANY_SKU)


# --------------------------------------------------------------------------- customers
def test_one_shopper_on_two_channels_is_one_customer_even_across_processes() -> None:
    async def t(e: Env) -> None:
        await e.erp.upsert_sales_order(order(oid="1001"), location_id="1")
        await e.erp.upsert_sales_order(
            order(oid="77", channel="shopline", customer=Customer(email="ada@example.com")),
            location_id="1",
        )
        # Another engine process, nothing cached: found by e-mail, not created again.
        other = e.fresh()
        await other.upsert_sales_order(order(oid="9", channel="shopware"), location_id="1")
        truth = await e.state()
        assert len(truth["customers"]) == 1 and truth["duplicate_customers"] == 0
        (customer,) = truth["customers"]
        assert (customer["email"], customer["first_name"]) == ("Ada@Example.com", "Ada")
        assert customer["externalId"] == "email:ada@example.com"
        assert {so["customer_id"] for so in truth["sales_orders"]} == {customer["id"]}
        # The repeat buyer cost the first connector no second lookup.
        assert e.erp.status()["customers"] == {
            "matched": 0,
            "created": 1,
            "cache_hits": 1,
            "cached": 1,
        }
        assert e.erp.status()["calls"] == {
            "customer.lookup": 1,
            "customer.upsert": 1,
            "salesOrder.upsert": 2,
        }
        assert other.status()["customers"]["matched"] == 1
        assert e.erp.status()["connector"] == "netsuite-rest-v1" and e.erp.name == "erp"
        assert e.erp.status()["circuit"]["state"] == "closed"

    run(t)


def test_a_customer_made_in_the_erp_is_matched_by_email_not_duplicated() -> None:
    async def t(e: Env) -> None:
        seeded = await e.seed(customers=[{"email": "GRACE@example.com", "firstName": "Grace"}])
        (grace_id,) = [c["id"] for c in seeded["customers"]]
        grace = Customer(email="grace@example.com ", first_name="Grace", last_name="Hopper")
        await e.erp.upsert_sales_order(order(customer=grace), location_id="1")
        truth = await e.state()
        assert [c["id"] for c in truth["customers"]] == [grace_id]
        assert truth["sales_orders"][0]["customer_id"] == grace_id
        assert truth["duplicate_customers"] == 0

    run(t)


def test_guests_are_never_merged_and_a_retried_guest_order_makes_one_customer() -> None:
    async def t(e: Env) -> None:
        guest = Customer(email="noreply@shop.test", guest=True)
        first, second = order(oid="2001", customer=guest), order(oid="2002", customer=guest)
        await e.erp.upsert_sales_order(first, location_id="1")
        await e.erp.upsert_sales_order(second, location_id="1")
        await e.fresh().upsert_sales_order(first, location_id="1")  # retried elsewhere
        truth = await e.state()
        ids = {so["externalId"]: so["customer_id"] for so in truth["sales_orders"]}
        assert len(truth["sales_orders"]) == 2 and ids["shopify-2001"] != ids["shopify-2002"]
        assert sorted(c["externalId"] for c in truth["customers"]) == [
            "guest:shopify-2001",
            "guest:shopify-2002",
        ]
        assert "customer.lookup" not in e.erp.status()["calls"]  # guests are never looked up

    run(t)


def test_a_phone_only_buyer_matches_a_customer_stored_as_bare_digits() -> None:
    async def t(e: Env) -> None:
        seeded = await e.seed(customers=[{"phone": "5550100000", "lastName": "Byron"}])
        (byron_id,) = [c["id"] for c in seeded["customers"]]
        buyer = Customer(phone="+1 (555) 010-0000")
        bo = order(customer=buyer)
        assert bo.customer_key == "phone:+15550100000"
        await e.erp.upsert_sales_order(bo, location_id="1")
        truth = await e.state()
        assert [c["id"] for c in truth["customers"]] == [byron_id]
        assert truth["sales_orders"][0]["customer_id"] == byron_id

    run(t)


def test_an_email_buyer_takes_a_phone_only_record_but_never_someone_elses() -> None:
    async def t(e: Env) -> None:
        seeded = await e.seed(
            customers=[
                {"phone": "+44 20 7946 0000"},  # the same shopper, first known by phone
                {"email": "sibling@example.com", "phone": "+1 555 010 9999"},
            ]
        )
        phone_only, sibling = (c["id"] for c in seeded["customers"])
        me = Customer(email="me@example.com", phone="+44 20 7946 0000")
        housemate = Customer(email="housemate@example.com", phone="+1 555 010 9999")
        await e.erp.upsert_sales_order(order(oid="1", customer=me), location_id="1")
        await e.erp.upsert_sales_order(order(oid="2", customer=housemate), location_id="1")
        truth = await e.state()
        by_order = {so["externalId"]: so["customer_id"] for so in truth["sales_orders"]}
        assert by_order["shopify-1"] == phone_only
        assert by_order["shopify-2"] not in (phone_only, sibling)  # a new customer
        assert e.erp.status()["customers"]["matched"] == 1

    run(t)


# --------------------------------------------------------------------------- sales orders
def test_a_rate_with_more_than_cents_is_rounded_while_the_amount_stays_exact() -> None:
    async def t(e: Env) -> None:
        rules = MappingRules(bundles={"KIT": [BundleComponent(sku="A", quantity=3)]})
        await e.erp.upsert_sales_order(order(line("KIT"), rules=rules), location_id="1")
        (so_line,) = (await e.sales_order("shopify-1001"))["lines"]
        assert (so_line["quantity"], so_line["rate"], so_line["amount"]) == (3, "3.33", "10.00")

    run(t)


def test_cancel_before_picking_is_idempotent_and_refused_with_the_erps_reason_after() -> None:
    async def t(e: Env) -> None:
        await e.erp.upsert_sales_order(order(oid="1"), location_id="1")
        await e.erp.upsert_sales_order(order(oid="2"), location_id="1")
        await e.erp.cancel_sales_order("shopify-1")
        await e.erp.cancel_sales_order("shopify-1")  # a retry: nothing happens
        assert (await e.sales_order("shopify-1"))["status"] == "C"
        assert (await e.stats())["order_edits"]["cancelled"] == 1
        (shipped,) = await e.ship()
        assert shipped["sales_order_external_id"] == "shopify-2"
        with pytest.raises(RecordRejected) as refused:
            await e.erp.cancel_sales_order("shopify-2")
        assert refused.value.code == "PAST_CUTOFF"
        assert "fulfilment has started" in str(refused.value)
        assert (await e.sales_order("shopify-2"))["status"] == "F"
        with pytest.raises(RecordRejected) as unknown:
            await e.erp.cancel_sales_order("shopify-404")
        assert unknown.value.code == "NOT_FOUND"

    run(t)


def test_an_edit_changes_address_and_lines_once_and_is_refused_past_the_cutoff() -> None:
    async def t(e: Env) -> None:
        home = {"name": "Ada Lovelace", "address1": "1 St James's Sq", "city": "London"}
        await e.erp.upsert_sales_order(order(line("A", 2), address=home), location_id="1")
        assert (await e.sales_order("shopify-1001"))["ship_address"] == {
            "addressee": "Ada Lovelace",
            "addr1": "1 St James's Sq",
            "city": "London",
        }
        moved = {**home, "city": "Oxford", "zip": "OX1 1AA"}
        edited = order(line("A", 1), line("B", 3), address=moved)
        await e.erp.update_sales_order(edited)
        await e.erp.update_sales_order(edited)  # a retry: already so, nothing sent
        so = await e.sales_order("shopify-1001")
        assert so["ship_address"]["city"] == "Oxford" and so["ship_address"]["zip"] == "OX1 1AA"
        assert [(ln["sku"], ln["quantity"], ln["committed"]) for ln in so["lines"]] == [
            ("A", 1, 1),
            ("B", 3, 3),
        ]
        assert so["total"] == "40.00"
        assert (await e.stats())["order_edits"]["applied"] == 1
        assert e.erp.status()["calls"]["salesOrder.edit"] == 1
        await e.ship()
        with pytest.raises(RecordRejected) as refused:
            await e.erp.update_sales_order(order(line("A", 1), address=moved))
        assert refused.value.code == "PAST_CUTOFF"
        assert e.erp.status()["calls"]["salesOrder.edit"] == 1  # no call spent on it
        await e.erp.update_sales_order(edited)  # the applied version is still no refusal

    run(t)


# --------------------------------------------------------------------------- shipments
@pytest.mark.parametrize("query_limit", [1000, 1])
def test_shipments_come_once_each_with_lines_carrier_and_tracking(query_limit: int) -> None:
    async def t(e: Env) -> None:
        promo = line("", 1, "-2.00", kind="promotion", name="Spring sale")
        await e.erp.upsert_sales_order(order(line("A", 2), promo, oid="1"), location_id="1")
        await e.erp.upsert_sales_order(order(line("B"), oid="2"), location_id="1")
        await e.erp.upsert_sales_order(order(line("A"), line("B", 2), oid="3"), location_id="1")
        made = await e.ship(max_orders=2)
        assert len({f["created_ts"] for f in made}) == 1  # two fulfilments, one instant
        first, cursor = await e.erp.shipments_since(None)
        assert [(s.channel, s.order_id) for s in first] == [("shopify", "1"), ("shopify", "2")]
        by_id = {f["id"]: f for f in made}
        for shipment in first:
            truth = by_id[shipment.shipment_id]
            assert shipment.tracking_number == truth["tracking_numbers"][0]
            assert shipment.carrier == truth["ship_carrier"]
        assert first[0].lines == (("A", 2),)  # the discount line is nothing to ship
        assert first[1].lines == (("B", 1),)
        again, cursor_again = await e.erp.shipments_since(cursor)
        assert again == [] and cursor_again == cursor
        await e.ship()
        last, _ = await e.erp.shipments_since(cursor)
        assert [(s.order_id, s.lines) for s in last] == [("3", (("A", 1), ("B", 2)))]

    run(t, query_limit=query_limit)


def test_a_fulfilment_picked_first_is_returned_once_when_it_ships() -> None:
    async def t(e: Env) -> None:
        await e.erp.upsert_sales_order(order(oid="1"), location_id="1")
        (picked,) = await e.ship(ship_status="A")
        none_yet, cursor = await e.erp.shipments_since(None)
        assert none_yet == []
        await e.erp.upsert_sales_order(order(oid="2"), location_id="1")
        await e.ship()
        await e.admin(
            "PATCH",
            f"{REC}/itemFulfillment/{picked['id']}",
            {"shipStatus": {"id": "C"}},
            headers={"Authorization": f"Bearer {TOKEN}"},
        )
        both, cursor = await e.erp.shipments_since(cursor)
        assert [s.order_id for s in both] == ["1", "2"]  # oldest first
        assert (await e.erp.shipments_since(cursor))[0] == []

    run(t)


# --------------------------------------------------------------------------- credit memos
def refund(
    refund_id: str, lines: tuple[tuple[str, int, bool], ...], amount: str, **kw: Any
) -> Refund:
    return Refund(
        refund_id=refund_id, channel="shopify", order_id="1001", lines=lines, amount=D(amount), **kw
    )


def test_a_credit_memo_restocks_what_the_refund_says_and_a_retry_never_credits_twice() -> None:
    async def t(e: Env) -> None:
        bo = order(line("A", 3, "10.00", tax="2.40"), shipping="5.00")
        await e.erp.upsert_sales_order(bo, location_id="1")
        await e.ship()
        partly = refund("77", (("A", 1, True), ("A", 1, False)), "21.60")
        for _ in range(2):  # the second is a retry after a lost answer
            await e.erp.credit_memo(partly, amount_lines=[("A", 2, D("20.00"))])
        truth = await e.state()
        (memo,) = truth["credit_memos"]
        assert memo["externalId"] == "shopify-refund-77" and memo["total"] == "21.60"
        assert [(ln["quantity"], ln["amount"], ln["restock"]) for ln in memo["lines"]] == [
            (1, "10.00", True),
            (1, "10.00", False),
        ]
        assert (memo["tax_total"], memo["shipping_cost"]) == ("1.60", "0.00")
        (item,) = [i for i in truth["items"] if i["sku"] == "A"]
        stats = await e.stats()
        assert stats["credit_memos"]["repeated"] == 1
        assert stats["credit_memos"]["restocked_units"] == 1
        assert (await e.sales_order("shopify-1001"))["credited_total"] == "21.60"
        too_much = refund("79", (("A", 1, False),), "16.00", shipping=D("5.00"))
        with pytest.raises(RecordRejected) as over:  # 15.80 is all that is left
            await e.erp.credit_memo(too_much, amount_lines=[("A", 1, D("10.00"))])
        assert over.value.code == "USER_ERROR" and "exceeds" in str(over.value)
        rest = refund("78", (("A", 1, False),), "15.80", shipping=D("5.00"))
        await e.erp.credit_memo(rest, amount_lines=[("A", 1, D("10.00"))])
        assert (await e.sales_order("shopify-1001"))["credited_total"] == "37.40"
        assert len((await e.state())["credit_memos"]) == 2
        assert [i for i in (await e.state())["items"] if i["sku"] == "A"] == [item]

    run(t)


def test_lines_worth_more_than_the_refund_are_reduced_to_it_to_the_cent() -> None:
    body = credit_memo_body(
        refund("80", (("A", 2, False), ("B", 1, False)), "27.00"),
        [("A", 2, D("20.00")), ("B", 1, D("10.00"))],
        tran_date="2025-11-24",
    )
    amounts = [item["amount"] for item in body["item"]["items"]]
    assert amounts == ["18.00", "9.00"] and body["taxTotal"] == "0.00"


# --------------------------------------------------------------------------- journals
def test_a_payout_journal_is_accepted_once_and_an_unbalanced_one_never_sent() -> None:
    async def t(e: Env) -> None:
        payout = Payout(
            payout_id="5",
            channel="shopify",
            currency="USD",
            date="2025-11-28",
            gross=D("1000.00"),
            refunds=D("50.00"),
            fees=D("29.30"),
            net=D("915.70"),
            adjustments=D("-5.00"),
        )
        lines = payout_journal(payout, accounts=ACCOUNTS)
        for _ in range(2):  # the second is a retry
            await e.erp.journal_entry(
                payout.external_id, date=payout.date, memo="payout 5", currency="USD", lines=lines
            )
        (entry,) = (await e.state())["journal_entries"]
        assert entry["externalId"] == "shopify-payout-5" and entry["total"] == "1000.00"
        assert {(ln["account"], ln["debit"], ln["credit"]) for ln in entry["lines"]} == {
            ("1000", "915.70", None),
            ("6100", "29.30", None),
            ("4900", "50.00", None),
            ("1200", "5.00", None),
            ("1100", None, "1000.00"),
        }
        calls = (await e.stats())["calls"]
        unbalanced = [
            JournalLine(account="1000", debit=D("100.00")),
            JournalLine(account="1100", credit=D("99.99")),
        ]
        with pytest.raises(RecordRejected) as local:
            await e.erp.journal_entry(
                "x-1", date="2025-11-28", memo="", currency="USD", lines=unbalanced
            )
        assert local.value.code == "UNBALANCED"
        assert (await e.stats())["calls"] == calls  # refused before any call
        unknown = [
            JournalLine(account="9999", debit=D("1.00")),
            JournalLine(account="1100", credit=D("1.00")),
        ]
        with pytest.raises(RecordRejected) as remote:
            await e.erp.journal_entry(
                "x-2", date="2025-11-28", memo="", currency="USD", lines=unknown
            )
        assert remote.value.code == "USER_ERROR" and "account" in str(remote.value)
        assert len((await e.state())["journal_entries"]) == 1

    run(t)


def test_two_engines_racing_on_a_new_shopper_make_one_customer() -> None:
    async def t(e: Env) -> None:
        other = e.fresh()
        await asyncio.gather(
            e.erp.upsert_sales_order(order(oid="1"), location_id="1"),
            other.upsert_sales_order(order(oid="2", channel="shopline"), location_id="1"),
        )
        # Both looked up before either created: both created, by the same external id.
        assert e.erp.status()["customers"]["created"] == 1
        assert other.status()["customers"]["created"] == 1
        truth = await e.state()
        assert len(truth["customers"]) == 1 and len(truth["sales_orders"]) == 2
        assert truth["duplicate_customers"] == 0

    run(t)
