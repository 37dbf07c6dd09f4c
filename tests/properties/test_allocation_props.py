"""Money allocation keeps every sum to the cent (bundles, discounts, tax)."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.allocation import allocate
from sync_engine.model import Order, OrderLine

cents = st.integers(min_value=-10_000_000, max_value=10_000_000).map(lambda c: Decimal(c) / 100)
weights = st.lists(st.integers(min_value=0, max_value=1000).map(Decimal), min_size=1, max_size=8)


@given(amount=cents, ws=weights)
def test_parts_sum_to_the_amount_and_stay_within_a_cent_of_their_share(
    amount: Decimal, ws: list[Decimal]
) -> None:
    parts = allocate(amount, ws)
    assert sum(parts, Decimal(0)) == amount
    total = sum(ws) or len(ws)
    for part, w in zip(parts, ws if sum(ws) else [Decimal(1)] * len(ws), strict=True):
        assert part == part.quantize(Decimal("0.01"))
        assert abs(part - amount * w / total) < Decimal("0.01")


@given(
    qty=st.integers(1, 50),
    price=st.integers(1, 100_000).map(lambda c: Decimal(c) / 100),
    discount_share=st.integers(0, 100),
    tax=st.integers(0, 50_000).map(lambda c: Decimal(c) / 100),
    comps=st.lists(
        st.tuples(st.integers(1, 5), st.integers(0, 9)), min_size=1, max_size=5, unique=True
    ),
)
def test_bundle_expansion_preserves_order_amounts(
    qty: int,
    price: Decimal,
    discount_share: int,
    tax: Decimal,
    comps: list[tuple[int, int]],
) -> None:
    components = [
        {"sku": f"C{i}", "quantity": q, "price_weight": str(w)} for i, (q, w) in enumerate(comps)
    ]
    rules = MappingRules(bundles={"BUNDLE": components})
    amount = price * qty
    discount = (amount * discount_share / 100).quantize(Decimal("0.01"))
    line = OrderLine(sku="BUNDLE", quantity=qty, unit_price=price, discount=discount, tax=tax)
    order = Order(
        channel="shopify",
        order_id="1",
        number="#1",
        created_ts=0,
        email=None,
        currency="USD",
        lines=(line,),
        discount_total=discount,
        tax_total=tax,
        shipping=Decimal(0),
        total=amount - discount + tax,
    )
    mapped = map_order(order, rules, {f"C{i}" for i in range(len(comps))})
    assert sum(ln.amount for ln in mapped.lines) == amount
    assert sum(ln.discount for ln in mapped.lines) == discount
    assert sum(ln.tax for ln in mapped.lines) == tax
    assert [ln.quantity for ln in mapped.lines] == [q * qty for q, _ in comps]
