"""Comparing one order's figures across two sides, and naming the cause of a difference."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from sync_engine.model import Order
from sync_engine.reconcile.findings import Cause

PARTS = (("tax", Cause.TAX), ("discount", Cause.DISCOUNT), ("shipping", Cause.SHIPPING))
"""Checked in this order; the first that differs names the cause (else the total does)."""


def order_money(order: Order) -> dict[str, Decimal | None]:
    """An order's header figures as the channel gave them."""
    return {
        "total": order.total,
        "tax": order.tax_total,
        "discount": order.discount_total,
        "shipping": order.shipping,
    }


def money_parts(side: str, order: Order) -> dict[str, str]:
    """``{"channel.total": "12.00", ...}`` for a report."""
    return {f"{side}.{k}": str(v) for k, v in order_money(order).items() if v is not None}


def money_cause(
    want: Mapping[str, Decimal | None], have: Mapping[str, Decimal | None]
) -> Cause | None:
    """The cause of the first figure both sides know that differs, or None if none does."""
    for part, cause in PARTS:
        a, b = want.get(part), have.get(part)
        if a is not None and b is not None and a != b:
            return cause
    a, b = want.get("total"), have.get("total")
    if a is not None and b is not None and a != b:
        return Cause.TOTAL
    return None


def values(
    want_side: str,
    want: Mapping[str, Decimal | None],
    have_side: str,
    have: Mapping[str, Decimal | None],
) -> dict[str, str]:
    """Both sides' figures, for a finding."""
    out = {f"{want_side}.{k}": str(v) for k, v in want.items() if v is not None}
    out.update({f"{have_side}.{k}": str(v) for k, v in have.items() if v is not None})
    return out


def stale_parts(mine: Order, channel: Order) -> tuple[Cause, dict[str, str]] | None:
    """How the engine's copy of an order differs from the channel's, if it does."""
    want, have = order_money(channel), order_money(mine)
    shown = values("channel", want, "engine", have)
    if channel.cancelled != mine.cancelled:
        shown.update(
            {"channel.cancelled": str(channel.cancelled), "engine.cancelled": str(mine.cancelled)}
        )
        return Cause.CANCELLATION, shown
    cause = money_cause(want, have)
    return None if cause is None else (cause, shown)
