"""Which later versions of an order are sent to the back office as a change."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from sync_engine.flows.order_changes import changed_for_back_office
from sync_engine.model import Order, OrderLine

ORDER = Order(
    channel="shopify",
    order_id="1001",
    number="#1001",
    created_ts=1_764_000_000.0,
    email="a@example.com",
    currency="USD",
    lines=(
        OrderLine(
            sku="A",
            quantity=2,
            unit_price=Decimal("9.99"),
            discount=Decimal(0),
            tax=Decimal("1.60"),
        ),
    ),
    discount_total=Decimal(0),
    tax_total=Decimal("1.60"),
    shipping=Decimal("5.00"),
    total=Decimal("26.58"),
    shipping_address={"address1": "1 Main St", "city": "Springfield"},
    version=1,
)


def test_a_version_bump_alone_is_not_a_change() -> None:
    # A fulfilment or a tag bumps the channel's updated_at: nothing the back office keeps.
    assert not changed_for_back_office(replace(ORDER, version=5), ORDER)


def test_address_lines_and_cancellation_are_changes() -> None:
    moved = replace(ORDER, version=2, shipping_address={"address1": "2 Elm St", "city": "X"})
    assert changed_for_back_office(moved, ORDER)
    fewer = replace(ORDER, version=2, lines=(replace(ORDER.lines[0], quantity=1),))
    assert changed_for_back_office(fewer, ORDER)
    assert changed_for_back_office(replace(ORDER, cancelled=True), ORDER)


def test_an_older_version_is_never_a_change_unless_it_cancels() -> None:
    newer = replace(ORDER, version=3)
    stale = replace(ORDER, version=2, shipping_address={"address1": "old"})
    assert not changed_for_back_office(stale, newer)
    assert changed_for_back_office(replace(stale, cancelled=True), newer)
