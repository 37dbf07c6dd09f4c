"""A channel order → the back-office order every back-office connector writes.

The rules, in the order they apply to each line:
1. ``promotion`` lines (Shopware's Rule Builder promotions carry no SKU) become the configured
   non-inventory ``discount_item``; without one the order is held (``PROMO_WITHOUT_ITEM``).
2. ``custom`` lines become ``custom_item`` or hold the order (``CUSTOM_LINE``).
3. Product SKUs are normalised and aliased (``skus.back_office_sku``).
4. A bundle SKU is expanded into its components; the line's amount, discount and tax are each
   split across the components by price weight to the cent (``allocation.allocate``), so the
   sales order's totals equal the channel's exactly.
5. Every product SKU must be in the back-office catalogue, or the order is held
   (``UNKNOWN_SKU``) with the line and SKU in the reason — never dropped, never half-written.
6. Lines with the same SKU, price and options are consolidated (or, with ``duplicate_sku:
   flag``, the order is held: ``DUPLICATE_SKU``).
Configurator options ride on the line. The customer key follows ``customers.customer_key``.

Every back-office order satisfies ``total = Σ line amounts − discount_total + tax_total +
shipping`` (NetSuite's and Fulfil's arithmetic): for tax-inclusive channels (Shopware's gross
prices) line amounts and shipping are made net, and a discount already carried by promotion
lines is not taken off the header again. An order whose own figures do not add up is held
(``TOTAL_MISMATCH``) rather than written with a drift.
"""

from __future__ import annotations

from collections.abc import Container
from dataclasses import dataclass, field, replace
from decimal import Decimal

from sync_engine.mapping.allocation import allocate
from sync_engine.mapping.customers import customer_key
from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.rules import MappingRules
from sync_engine.mapping.skus import back_office_sku, require_known
from sync_engine.model import Customer, Order, OrderLine

ZERO = Decimal("0")


@dataclass(frozen=True, kw_only=True)
class BackOfficeLine:
    """One sales-order line. ``amount`` is exact; ``rate`` is derived from it."""

    sku: str
    quantity: int
    amount: Decimal
    discount: Decimal
    tax: Decimal
    inventory: bool = True
    """False for non-inventory items (discount, custom): they move no stock."""
    description: str = ""
    options: tuple[tuple[str, str], ...] = ()
    channel_sku: str = ""
    """The SKU as the channel sold it (a bundle's SKU for its components)."""

    @property
    def rate(self) -> Decimal:
        """Unit price; may carry more than two decimals when a bundle share does not divide."""
        if self.quantity == 0:
            return self.amount
        rate = self.amount / self.quantity
        return rate.quantize(Decimal("0.01")) if rate * self.quantity == self.amount else rate


@dataclass(frozen=True, kw_only=True)
class BackOfficeOrder:
    """What a back-office connector writes for one channel order."""

    external_id: str
    channel: str
    channel_order_id: str
    number: str
    created_ts: float
    currency: str
    customer: Customer
    customer_key: str
    lines: tuple[BackOfficeLine, ...]
    discount_total: Decimal
    tax_total: Decimal
    shipping: Decimal
    total: Decimal
    shipping_address: dict[str, str] = field(default_factory=dict)
    version: int = 0

    @property
    def stock_lines(self) -> tuple[BackOfficeLine, ...]:
        return tuple(line for line in self.lines if line.inventory)


def _non_inventory(line: OrderLine, item: str | None, code: str, where: str) -> BackOfficeLine:
    if item is None:
        raise MappingError(
            code,
            f"{where}: {line.kind} line {line.name or line.sku!r} has no "
            "back-office item (set mapping.discount_item / custom_item)",
        )
    return BackOfficeLine(
        sku=item,
        quantity=line.quantity or 1,
        amount=line.amount,
        discount=line.discount,
        tax=line.tax,
        inventory=False,
        description=line.name,
        channel_sku=line.sku,
    )


def _expand_bundle(
    line: OrderLine, sku: str, rules: MappingRules, catalogue: Container[str], where: str
) -> list[BackOfficeLine]:
    components = rules.bundles[sku]
    weights = [c.price_weight if c.price_weight is not None else c.quantity for c in components]
    amounts = allocate(line.amount, weights)
    discounts = allocate(line.discount, weights)
    taxes = allocate(line.tax, weights)
    out = []
    for i, comp in enumerate(components):
        comp_sku = rules.normalise_key(comp.sku)
        require_known(comp_sku, comp.sku, catalogue, where=f"{where} (bundle {sku})")
        out.append(
            BackOfficeLine(
                sku=comp_sku,
                quantity=line.quantity * comp.quantity,
                amount=amounts[i],
                discount=discounts[i],
                tax=taxes[i],
                description=line.name,
                options=line.options,
                channel_sku=line.sku,
            )
        )
    return out


def _consolidate(lines: list[BackOfficeLine], rules: MappingRules) -> list[BackOfficeLine]:
    """Merge product lines with the same SKU, rate and options (or refuse, per the rule)."""
    out: list[BackOfficeLine] = []
    index: dict[tuple[str, Decimal, tuple[tuple[str, str], ...]], int] = {}
    seen: set[str] = set()
    for line in lines:
        if not line.inventory:
            out.append(line)
            continue
        if line.sku in seen and rules.duplicate_sku == "flag":
            raise MappingError(
                "DUPLICATE_SKU", f"SKU {line.sku!r} appears on more than one line of the order"
            )
        seen.add(line.sku)
        key = (line.sku, line.rate, line.options)
        if key not in index:
            index[key] = len(out)
            out.append(line)
            continue
        prior = out[index[key]]
        out[index[key]] = replace(
            prior,
            quantity=prior.quantity + line.quantity,
            amount=prior.amount + line.amount,
            discount=prior.discount + line.discount,
            tax=prior.tax + line.tax,
        )
    return out


def _back_office_amounts(
    order: Order, lines: list[BackOfficeLine]
) -> tuple[list[BackOfficeLine], Decimal, Decimal]:
    """Lines, header discount and shipping in the back office's tax-exclusive arithmetic."""
    promo_lines = sum((ln.amount for ln in order.lines if ln.kind == "promotion"), ZERO)
    shipping = order.shipping
    if order.taxes_included:
        # Tax not on any line is the shipping's (Shopware taxes shipping like a line).
        shipping -= order.tax_total - sum((ln.tax for ln in order.lines), ZERO)
        lines = [replace(ln, amount=ln.amount - ln.tax) for ln in lines]
    # Promotion lines became discount-item lines: the header keeps only the rest.
    discount = order.discount_total + promo_lines
    computed = sum((ln.amount for ln in lines), ZERO) - discount + order.tax_total + shipping
    if computed != order.total:
        raise MappingError(
            "TOTAL_MISMATCH",
            f"order {order.number}: lines − discount + tax + shipping = {computed}, "
            f"but the channel's total is {order.total}",
        )
    return lines, discount, shipping


def map_order(order: Order, rules: MappingRules, catalogue: Container[str]) -> BackOfficeOrder:
    """The back-office order for ``order``; ``MappingError`` (permanent) when a rule refuses."""
    lines: list[BackOfficeLine] = []
    for index, line in enumerate(order.lines, start=1):
        where = f"order {order.number} line {index}"
        if line.kind == "promotion":
            lines.append(_non_inventory(line, rules.discount_item, "PROMO_WITHOUT_ITEM", where))
            continue
        if line.kind in ("custom", "credit", "gift_card"):
            lines.append(_non_inventory(line, rules.custom_item, "CUSTOM_LINE", where))
            continue
        if not line.sku.strip():
            raise MappingError("UNKNOWN_SKU", f"{where}: product line {line.name!r} has no SKU")
        sku = back_office_sku(line.sku, rules)
        if sku in rules.bundles:
            lines.extend(_expand_bundle(line, sku, rules, catalogue, where))
            continue
        require_known(sku, line.sku, catalogue, where=where)
        lines.append(
            BackOfficeLine(
                sku=sku,
                quantity=line.quantity,
                amount=line.amount,
                discount=line.discount,
                tax=line.tax,
                description=line.name,
                options=line.options,
                channel_sku=line.sku,
            )
        )
    if not lines:
        raise MappingError("EMPTY_ORDER", f"order {order.number} has no lines")
    lines, discount, shipping = _back_office_amounts(order, lines)
    buyer = order.buyer
    return BackOfficeOrder(
        external_id=order.external_id,
        channel=order.channel,
        channel_order_id=order.order_id,
        number=order.number,
        created_ts=order.created_ts,
        currency=order.currency,
        customer=buyer,
        customer_key=customer_key(buyer, channel=order.channel, order_id=order.order_id),
        lines=tuple(_consolidate(lines, rules)),
        discount_total=discount,
        tax_total=order.tax_total,
        shipping=shipping,
        total=order.total,
        shipping_address=dict(order.shipping_address),
        version=order.version,
    )
