"""Shopware 6 mock, order arithmetic: exact Decimal identities over seeded random baskets."""

from __future__ import annotations

import random
from decimal import Decimal

from mocks.shopware.pricing import (
    allocate,
    line_taxes,
    order_totals,
    promotion_amount,
    reprice,
)
from mocks.shopware.records import LineItem

D = Decimal
ZERO = D("0.00")


def line(kind: str, unit: str, qty: int = 1, rate: str = "19", **extra: object) -> LineItem:
    return LineItem(
        id=f"{kind}-{unit}-{qty}-{extra.get('parent_id', '')}",
        identifier="x",
        type=kind,
        label=kind,
        quantity=qty,
        unit_price=D(unit),
        total_price=ZERO,
        taxes=[],
        tax_rate=D(rate),
        position=1,
        **extra,  # type: ignore[arg-type]
    )


def test_gross_line_tax_is_extracted_and_rounded_half_up() -> None:
    (tax,) = line_taxes(D("19.99"), D("19"))
    assert (tax.tax, tax.price) == (D("3.19"), D("19.99"))
    (half,) = line_taxes(D("0.05"), D("100"))  # 0.025: half away from zero, as PHP rounds
    assert half.tax == D("0.03")
    (negative,) = line_taxes(D("-8.90"), D("19"))
    assert negative.tax == D("-1.42")


def test_allocation_shares_always_sum_to_the_amount() -> None:
    rng = random.Random(11)
    for _ in range(200):
        weights = {D(r): D(rng.randint(1, 100_000)) / 100 for r in ("19", "7", "0")}
        amount = D(rng.randint(-50_000, 50_000)) / 100
        shares = allocate(amount, weights)
        assert sum(shares.values(), ZERO) == amount
    assert allocate(D("5.00"), {}) == {}


def test_promotion_is_percentage_of_goods_or_capped_absolute() -> None:
    assert promotion_amount("percentage", D("10"), D("88.98")) == D("8.90")
    assert promotion_amount("absolute", D("50"), D("20.00")) == D("20.00")
    assert promotion_amount("absolute", D("5"), ZERO) == ZERO


def test_identities_hold_for_random_baskets() -> None:
    rng = random.Random(5)
    for _ in range(150):
        lines = [
            line(
                "product",
                str(D(rng.randint(1, 20_000)) / 100),
                rng.randint(1, 5),
                rng.choice(["19", "7"]),
            )
            for _ in range(rng.randint(1, 5))
        ]
        container = line("container", "0")
        lines.append(container)
        lines.append(line("product", "3.33", 3, parent_id=container.id))
        if rng.random() < 0.5:
            lines.append(line("custom", "2.50", 2))
        if rng.random() < 0.5:
            lines.append(line("credit", "-1.99"))
        promo = line("promotion", "0")
        promo.payload = {"discountType": rng.choice(["percentage", "absolute"]), "value": "15"}
        lines.append(promo)
        reprice(lines, fallback_rate=D("19"))
        totals = order_totals(lines, D("4.99"), fallback_rate=D("19"))
        top = [li for li in lines if li.parent_id is None]
        assert totals.position_price == sum((li.total_price for li in top), ZERO)
        assert totals.amount_total == totals.position_price + totals.shipping_total
        assert totals.amount_net == totals.amount_total - sum((t.tax for t in totals.taxes), ZERO)
        assert sum((t.price for t in totals.taxes), ZERO) == totals.amount_total
        assert container.total_price == D("9.99")
        goods = sum((li.total_price for li in lines if li.type == "product"), ZERO)
        assert promo.total_price < 0 and -promo.total_price <= goods
        for li in lines:
            assert li.total_price == li.total_price.quantize(D("0.01"))
            assert sum((t.price for t in li.taxes), ZERO) == li.total_price
