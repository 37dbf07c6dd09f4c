"""Credit memos and journal entries for the NetSuite-style record API, as bodies.

Both are written with ``PUT {record}/eid:{external id}``: a credit memo's repeat changes only
its memo text and never credits twice; a journal entry's repeat replaces its lines. Nothing
here calls the API.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync_engine.connectors.back_office import JournalLine
from sync_engine.connectors.netsuite_orders import money
from sync_engine.errors import RecordRejected
from sync_engine.mapping.allocation import allocate
from sync_engine.model import Refund

ZERO = Decimal(0)


def _restock_split(
    sku: str, quantity: int, amount: Decimal, restock_left: Counter[str]
) -> list[tuple[int, Decimal, bool]]:
    """(quantity, amount, restock) parts of one refunded line: the units the refund puts
    back on the shelf first, the rest after, the amount split by units to the cent."""
    back = min(quantity, restock_left[sku])
    restock_left[sku] -= back
    if back == 0 or back == quantity:
        return [(quantity, amount, back > 0)]
    kept = quantity - back
    amount_back, amount_kept = allocate(amount, [back, kept])
    return [(back, amount_back, True), (kept, amount_kept, False)]


def credit_memo_body(
    refund: Refund,
    amount_lines: list[tuple[str, int, Decimal]],
    *,
    tran_date: str,
    shipped: Mapping[str, int] | None = None,
) -> dict[str, Any]:
    """A credit memo whose total is exactly ``refund.amount``.

    Lines credit (sku, quantity, amount) against the sales order ``{channel}-{order_id}``,
    restocking as many units per SKU as ``refund.lines`` say. Refunded shipping is
    ``shippingCost``; what the lines and shipping leave of the refund (its tax) is
    ``taxTotal``. Lines worth more than the refund leaves them (an order-level discount
    shared out) are reduced in proportion, to the cent, so a full refund of a discounted
    order is not refused as an over-refund.
    """
    source = f"{refund.channel}-{refund.order_id}"
    for_lines = refund.amount - refund.shipping
    if for_lines < 0 or refund.shipping < 0:
        raise RecordRejected(
            f"erp: refund {refund.external_id}: shipping {refund.shipping} is more than the "
            f"refund's amount {refund.amount}",
            code="REFUND_MISMATCH",
        )
    lines = [(sku, qty, amount) for sku, qty, amount in amount_lines if qty or amount]
    itemised = sum((amount for _, _, amount in lines), ZERO)
    if itemised > for_lines and lines:
        reduced = allocate(for_lines, [amount for _, _, amount in lines])
        lines = [(sku, qty, new) for (sku, qty, _), new in zip(lines, reduced, strict=True)]
        itemised = for_lines
    restock_left: Counter[str] = Counter()
    for sku, quantity, restock in refund.lines:
        if restock:
            restock_left[sku] += quantity
    if shipped is not None:
        # Only shipped units can come back to the shelf; units refunded before they shipped
        # were never taken off it (the channel's "cancel" restock).
        for sku in restock_left:
            restock_left[sku] = min(restock_left[sku], shipped.get(sku, 0))
    items = [
        {
            "item": {"externalId": sku},
            "quantity": part_qty,
            "amount": money(part_amount),
            "restock": restock,
        }
        for sku, qty, amount in lines
        for part_qty, part_amount, restock in _restock_split(sku, qty, amount, restock_left)
    ]
    return {
        "createdFrom": {"externalId": source},
        "tranDate": tran_date,
        "memo": f"Refund {refund.refund_id} of {source}",
        "item": {"items": items},
        "shippingCost": money(refund.shipping),
        "taxTotal": money(for_lines - itemised),
    }


def journal_body(
    external_id: str, *, date: str, memo: str, currency: str, lines: list[JournalLine]
) -> dict[str, Any]:
    """A balanced journal entry, or ``RecordRejected`` before any call is spent.

    ``UNBALANCED`` when debits and credits differ; ``EMPTY`` when every line is zero. A
    line is sent on the side its net amount falls (a negative debit is a credit), as the
    API takes exactly one positive side per line.
    """
    debits = sum((ln.debit for ln in lines), ZERO)
    credits = sum((ln.credit for ln in lines), ZERO)
    if debits != credits:
        raise RecordRejected(
            f"erp: journal entry {external_id} is out of balance: debits {debits}, credits "
            f"{credits} (difference {abs(debits - credits)}); not sent",
            code="UNBALANCED",
        )
    items: list[dict[str, Any]] = []
    for ln in lines:
        net = ln.debit - ln.credit
        if net == 0:
            continue
        side = "debit" if net > 0 else "credit"
        items.append(
            {
                "account": {"id": ln.account},
                side: money(abs(net)),
                **({"memo": ln.memo} if ln.memo else {}),
            }
        )
    if not items:
        raise RecordRejected(
            f"erp: journal entry {external_id} has no non-zero line; not sent", code="EMPTY"
        )
    return {
        "externalId": external_id,
        "tranDate": date[:10],
        **({"memo": memo} if memo else {}),  # the API refuses an empty string
        "currency": {"refName": currency},
        "line": {"items": items},
    }
