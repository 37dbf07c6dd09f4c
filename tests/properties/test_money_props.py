"""Money stays exact to the cent through discounts, bundles and the mocks' rounding.

For any prices, quantities, discounts and bundle weights: the back-office order's lines,
discount, tax and shipping add up to the channel's total exactly; discounts and tax split
across lines and bundle components keep their sums; no line ends up negative; and the
mocks' money helpers round per line and refuse floats.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mocks.common.money import MoneyError, fmt, loads_exact, round_cents, to_money
from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.allocation import allocate
from sync_engine.model import Order, OrderLine

CENT = Decimal("0.01")
ZERO = Decimal(0)


def money(low: int = 0, high: int = 1_000_000) -> st.SearchStrategy[Decimal]:
    return st.integers(min_value=low, max_value=high).map(lambda c: Decimal(c) * CENT)


@given(
    lines=st.lists(money(1), min_size=1, max_size=10),
    share=st.integers(min_value=0, max_value=100),
)
def test_an_order_discount_split_by_line_amounts_never_makes_a_line_negative(
    lines: list[Decimal], share: int
) -> None:
    total = sum(lines, ZERO)
    discount = (total * share / 100).quantize(CENT)
    parts = allocate(discount, lines)
    assert sum(parts, ZERO) == discount
    for line, part in zip(lines, parts, strict=True):
        assert ZERO <= part <= line
        assert part == part.quantize(CENT)


@given(amount=money(-1_000_000, 1_000_000), n=st.integers(1, 12))
def test_an_equal_split_differs_by_at_most_a_cent(amount: Decimal, n: int) -> None:
    parts = allocate(amount, [0] * n)
    assert sum(parts, ZERO) == amount
    assert max(parts) - min(parts) <= CENT
    assert all((p <= 0) if amount < 0 else (p >= 0) for p in parts)


product_line = st.builds(
    lambda qty, price, share, tax, bundle: (qty, price, share, tax, bundle),
    st.integers(1, 20),
    money(1, 50_000),
    st.integers(0, 100),
    money(0, 5_000),
    st.booleans(),
)


@given(
    specs=st.lists(product_line, min_size=1, max_size=6),
    weights=st.lists(
        st.tuples(st.integers(1, 4), st.integers(0, 9)), min_size=1, max_size=4, unique=True
    ),
    promotion=money(0, 2_000),
    header_discount=money(0, 2_000),
    shipping=money(0, 3_000),
)
def test_orders_with_bundles_and_discounts_keep_every_sum_to_the_cent(
    specs: list[tuple[int, Decimal, int, Decimal, bool]],
    weights: list[tuple[int, int]],
    promotion: Decimal,
    header_discount: Decimal,
    shipping: Decimal,
) -> None:
    components = [
        {"sku": f"C{i}", "quantity": q, "price_weight": str(w)} for i, (q, w) in enumerate(weights)
    ]
    rules = MappingRules(bundles={"BUNDLE": components}, discount_item="DISCOUNT")
    lines: list[OrderLine] = []
    for i, (qty, price, share, tax, bundle) in enumerate(specs):
        discount = (price * qty * share / 100).quantize(CENT)
        sku = "BUNDLE" if bundle else f"P{i}"
        lines.append(OrderLine(sku=sku, quantity=qty, unit_price=price, discount=discount, tax=tax))
    if promotion:
        lines.append(
            OrderLine(
                sku="",
                quantity=1,
                unit_price=-promotion,
                discount=ZERO,
                tax=ZERO,
                kind="promotion",
                name="FLASH10",
            )
        )
    products = [ln for ln in lines if ln.kind == "product"]
    line_discounts = sum((ln.discount for ln in products), ZERO)
    tax_total = sum((ln.tax for ln in products), ZERO)
    discount_total = line_discounts + header_discount + promotion
    subtotal = sum((ln.amount for ln in products), ZERO)
    total = subtotal - discount_total + tax_total + shipping
    order = Order(
        channel="shopify",
        order_id="1",
        number="#1",
        created_ts=0,
        email=None,
        currency="USD",
        lines=tuple(lines),
        discount_total=discount_total,
        tax_total=tax_total,
        shipping=shipping,
        total=total,
    )
    catalogue = {f"P{i}" for i in range(len(specs))} | {f"C{i}" for i in range(len(weights))}
    mapped = map_order(order, rules, catalogue)

    amounts = sum((ln.amount for ln in mapped.lines), ZERO)
    assert amounts - mapped.discount_total + mapped.tax_total + mapped.shipping == total
    stock = [ln for ln in mapped.lines if ln.inventory]
    assert sum((ln.amount for ln in stock), ZERO) == subtotal
    assert sum((ln.discount for ln in stock), ZERO) == line_discounts
    assert sum((ln.tax for ln in mapped.lines), ZERO) == tax_total
    for ln in stock:
        assert ln.amount - ln.discount >= 0, ln
        assert ln.tax >= 0
        for value in (ln.amount, ln.discount, ln.tax):
            assert value == value.quantize(CENT)
    promos = [ln for ln in mapped.lines if ln.sku == "DISCOUNT"]
    assert sum((ln.amount for ln in promos), ZERO) == -promotion
    bundled = sum(qty for qty, _, _, _, bundle in specs if bundle)
    for i, (q, _) in enumerate(weights):
        got = sum((ln.quantity for ln in stock if ln.sku == f"C{i}"), 0)
        assert got == bundled * q


@given(
    prices=st.lists(money(1, 100_000), min_size=1, max_size=8),
    rate=st.integers(0, 2_500).map(lambda bp: Decimal(bp) / 10_000),
)
def test_tax_rounded_per_line_stays_within_half_a_cent_per_line(
    prices: list[Decimal], rate: Decimal
) -> None:
    per_line = [round_cents(p * rate) for p in prices]
    exact = sum((p * rate for p in prices), ZERO)
    assert all(t == t.quantize(CENT) for t in per_line)
    assert abs(sum(per_line, ZERO) - exact) <= len(prices) * CENT / 2


@given(amount=money(-10_000_000, 10_000_000))
def test_wire_form_round_trips_exactly(amount: Decimal) -> None:
    wire = fmt(amount)
    assert len(wire.split(".")[1]) == 2
    assert to_money(wire) == amount
    assert loads_exact(f'{{"price": {wire}}}'.encode())["price"] == amount


@given(value=st.floats(allow_nan=True, allow_infinity=True) | st.booleans())
def test_floats_are_never_money(value: float | bool) -> None:
    with pytest.raises(MoneyError):
        to_money(value)
