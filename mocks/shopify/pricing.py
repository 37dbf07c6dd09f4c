"""Checkout money arithmetic, exact to the cent (pure functions, no state).

Identities that always hold (docs/contracts.md):
``total_line_items_price = sum(price * qty)``, ``total_discounts = sum(line discounts)``,
``subtotal = total_line_items_price - total_discounts``, ``total_tax = sum(line tax)`` (tax on
the discounted line amount, rounded half-up per line), ``total = subtotal + tax + shipping``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal

from mocks.common.money import CENT, round_cents

ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True, kw_only=True)
class PricedLine:
    """One basket line with its discount share and tax."""

    unit_price: Decimal
    quantity: int
    line_price: Decimal
    discount: Decimal
    tax: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class PricedOrder:
    """All order-level amounts; every one is a sum of, or derived from, the lines."""

    lines: tuple[PricedLine, ...]
    total_line_items_price: Decimal
    total_discounts: Decimal
    subtotal_price: Decimal
    total_tax: Decimal
    shipping: Decimal
    total_price: Decimal


def allocate_discount(line_prices: Sequence[Decimal], percent: Decimal) -> list[Decimal]:
    """Split a percentage discount over lines so the shares sum exactly to the order discount.

    The order discount is ``round_half_up(total * percent / 100)``. Each line first gets its
    exact share truncated to cents; the cents left over go one each to the lines with the
    largest truncated remainders (ties to the earlier line), the largest-remainder method, so
    no line is ever off by more than a cent from its exact share.
    """
    total = sum(line_prices, ZERO)
    order_discount = round_cents(total * percent / 100)
    exact = [price * percent / 100 for price in line_prices]
    shares = [value.quantize(CENT, rounding=ROUND_DOWN) for value in exact]
    leftover_cents = int((order_discount - sum(shares, ZERO)) / CENT)
    by_remainder = sorted(range(len(line_prices)), key=lambda i: (-(exact[i] - shares[i]), i))
    for i in by_remainder[:leftover_cents]:
        shares[i] += CENT
    # A share can never exceed its line: the percentage is at most 100.
    return shares


def price_order(
    *,
    lines: Sequence[tuple[Decimal, int]],
    discount_percent: Decimal | None,
    tax_rate: Decimal,
    shipping: Decimal,
) -> PricedOrder:
    """Price a basket of ``(unit_price, quantity)`` lines."""
    line_prices = [round_cents(price * qty) for price, qty in lines]
    discounts = (
        allocate_discount(line_prices, discount_percent)
        if discount_percent is not None
        else [ZERO for _ in line_prices]
    )
    priced = tuple(
        PricedLine(
            unit_price=round_cents(price),
            quantity=qty,
            line_price=line_price,
            discount=discount,
            tax=round_cents((line_price - discount) * tax_rate),
        )
        for (price, qty), line_price, discount in zip(lines, line_prices, discounts, strict=True)
    )
    total_line_items = sum((line.line_price for line in priced), ZERO)
    total_discounts = sum((line.discount for line in priced), ZERO)
    subtotal = total_line_items - total_discounts
    total_tax = sum((line.tax for line in priced), ZERO)
    shipping = round_cents(shipping)
    return PricedOrder(
        lines=priced,
        total_line_items_price=total_line_items,
        total_discounts=total_discounts,
        subtotal_price=subtotal,
        total_tax=total_tax,
        shipping=shipping,
        total_price=subtotal + total_tax + shipping,
    )
