"""Order money arithmetic, exact to the cent (pure functions over line items, no state).

Shopware B2C prices are gross (tax included, ``taxStatus: gross``); tax is extracted per line:
``tax = round(total * rate / (100 + rate))``, half away from zero like PHP's ``round`` (the same
:func:`mocks.common.money.round_cents` every mock uses). Identities that always hold:
- product/custom line: ``totalPrice = round(unitPrice * quantity)``;
- container: ``totalPrice`` and taxes are the sums of its children;
- promotion: one negative line; percentage of, or a fixed amount up to, the product total;
  its (negative) tax is split over the product lines' tax rates in proportion to their totals;
- credit: a negative line, taxed proportionally like a promotion;
- shipping: gross costs, tax split proportionally over the product rates ("auto" tax type);
- ``positionPrice = sum(top-level line totals)``, ``amountTotal = positionPrice + shippingTotal``,
  ``calculatedTaxes`` = per-rate sums of top-level lines and shipping,
  ``amountNet = amountTotal - sum(calculatedTaxes.tax)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from mocks.common.money import round_cents
from mocks.shopware.records import CalculatedTax, LineItem

ZERO = Decimal("0.00")
PROPORTIONAL_TYPES = ("promotion", "credit", "discount")


def line_taxes(total: Decimal, rate: Decimal) -> list[CalculatedTax]:
    """The tax contained in a gross ``total`` at ``rate`` percent."""
    tax = round_cents(total * rate / (Decimal(100) + rate))
    return [CalculatedTax(tax=tax, tax_rate=rate, price=total)]


def allocate(amount: Decimal, weights: dict[Decimal, Decimal]) -> dict[Decimal, Decimal]:
    """Split ``amount`` over tax rates in proportion to ``weights``; shares sum exactly."""
    base = sum(weights.values(), ZERO)
    rates = [r for r, w in weights.items() if w != 0]
    if not rates or base == 0:
        return {}
    shares: dict[Decimal, Decimal] = {}
    for rate in rates[:-1]:
        shares[rate] = round_cents(amount * weights[rate] / base)
    shares[rates[-1]] = amount - sum(shares.values(), ZERO)
    return shares


def proportional_taxes(
    amount: Decimal, weights: dict[Decimal, Decimal], fallback_rate: Decimal
) -> list[CalculatedTax]:
    """Taxes of a gross ``amount`` split like ``weights`` (at ``fallback_rate`` if none)."""
    shares = allocate(amount, weights) or {fallback_rate: amount}
    return [t for rate, share in shares.items() for t in line_taxes(share, rate)]


def aggregate(taxes: Iterable[CalculatedTax]) -> list[CalculatedTax]:
    """Per-rate sums, in first-seen rate order."""
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for t in taxes:
        tax, price = sums.get(t.tax_rate, (ZERO, ZERO))
        sums[t.tax_rate] = (tax + t.tax, price + t.price)
    return [CalculatedTax(tax=tax, tax_rate=r, price=price) for r, (tax, price) in sums.items()]


def promotion_amount(discount_type: str, value: Decimal, base: Decimal) -> Decimal:
    """The (positive) discount of a promotion on a product total ``base``."""
    if base <= 0:
        return ZERO
    if discount_type == "percentage":
        return round_cents(base * value / Decimal(100))
    return min(round_cents(value), base)


def product_weights(lines: Sequence[LineItem]) -> dict[Decimal, Decimal]:
    """Product line totals per tax rate (container children included)."""
    weights: dict[Decimal, Decimal] = {}
    for line in lines:
        if line.type == "product":
            weights[line.tax_rate] = weights.get(line.tax_rate, ZERO) + line.total_price
    return weights


def reprice(lines: Sequence[LineItem], *, fallback_rate: Decimal) -> None:
    """Recompute every line's totals and taxes in place, children before containers,
    goods before the proportional (promotion/credit) lines."""
    for line in lines:
        if line.type in ("product", "custom"):
            line.total_price = round_cents(line.unit_price * line.quantity)
            line.taxes = line_taxes(line.total_price, line.tax_rate)
    for line in lines:
        if line.type == "container":
            children = [c for c in lines if c.parent_id == line.id]
            line.total_price = sum((c.total_price for c in children), ZERO)
            line.unit_price = line.total_price
            line.quantity = 1
            line.taxes = aggregate(t for c in children for t in c.taxes)
    weights = product_weights(lines)
    base = sum(weights.values(), ZERO)
    for line in lines:
        if line.type == "promotion":
            discount = promotion_amount(
                str(line.payload.get("discountType", "percentage")),
                Decimal(str(line.payload.get("value", "0"))),
                base,
            )
            line.unit_price = line.total_price = -discount
            line.taxes = proportional_taxes(-discount, weights, fallback_rate)
        elif line.type in ("credit", "discount"):
            line.total_price = round_cents(line.unit_price * line.quantity)
            line.taxes = proportional_taxes(line.total_price, weights, line.tax_rate)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderTotals:
    """Every order-level amount, derived from the top-level lines and shipping."""

    position_price: Decimal
    shipping_total: Decimal
    shipping_taxes: list[CalculatedTax]
    amount_total: Decimal
    amount_net: Decimal
    taxes: list[CalculatedTax]


def order_totals(
    lines: Sequence[LineItem], shipping: Decimal, *, fallback_rate: Decimal
) -> OrderTotals:
    """Totals of an already repriced set of lines plus gross ``shipping`` costs."""
    top = [line for line in lines if line.parent_id is None]
    position = sum((line.total_price for line in top), ZERO)
    shipping = round_cents(shipping)
    shipping_taxes = proportional_taxes(shipping, product_weights(lines), fallback_rate)
    taxes = aggregate([*(t for line in top for t in line.taxes), *shipping_taxes])
    total = position + shipping
    return OrderTotals(
        position_price=position,
        shipping_total=shipping,
        shipping_taxes=shipping_taxes,
        amount_total=total,
        amount_net=total - sum((t.tax for t in taxes), ZERO),
        taxes=taxes,
    )
