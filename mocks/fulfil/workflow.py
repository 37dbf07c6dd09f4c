"""The ``sale.sale`` workflow buttons: ``quote``, ``confirm``, ``process``, ``cancel``, ``draft``.

PLATFORMS 4.3: draft -> ``quote`` -> quotation -> ``confirm`` -> confirmed -> ``process`` ->
processing -> done (when every shipment is done); ``cancel`` -> cancelled. A button called on
a sale in any other state is a UserError naming the sale, the state and what the button
needs; business-rule errors must not be retried (PLATFORMS 4.2). A button over several ids
checks them all before changing any, so a refused call changes nothing.

Stock: ``confirm`` reserves the product lines at the sale's warehouse (available to sell
drops); ``process`` creates the outgoing shipment (``shipments.py``), which releases the
reservation when it is done; ``cancel`` releases it at once and cancels shipments not yet
packed (a sale with a packed or shipped shipment cannot be cancelled*).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mocks.fulfil import shipments
from mocks.fulfil.errors import UserError
from mocks.fulfil.records import OPEN_SALE_STATES, Sale, SaleState, ShipmentState

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

BUTTONS = ("quote", "confirm", "process", "cancel", "draft")


def _label(sale: Sale) -> str:
    return sale.number or sale.reference or f"sale.sale,{sale.id}"


def _need(sale: Sale, button: str, allowed: tuple[SaleState, ...]) -> None:
    if sale.state not in allowed:
        wanted = " or ".join(f'"{s}"' for s in allowed)
        raise UserError(
            f'Sale "{_label(sale)}" cannot be {_PAST[button]}: it is in state "{sale.state}", '
            f"and {button} needs {wanted}.",
            description=f"sale.sale,{sale.id}",
        )


_PAST = {
    "quote": "quoted",
    "confirm": "confirmed",
    "process": "processed",
    "cancel": "cancelled",
    "draft": "reset to draft",
}


def _product_lines(m: FulfilModel, sale: Sale) -> list[tuple[int, int]]:
    out = []
    for line_id in sale.lines:
        line = m.sale_lines[line_id]
        if line.product is not None:
            out.append((line.product, line.quantity))
    return out


def _check_quote(m: FulfilModel, sale: Sale) -> None:
    _need(sale, "quote", (SaleState.DRAFT,))
    if sale.party is None:
        raise UserError(f'Sale "{_label(sale)}" needs a party before it can be quoted.')
    if not sale.lines:
        raise UserError(f'Sale "{_label(sale)}" has no lines; add lines before quoting.')


def _quote(m: FulfilModel, sale: Sale) -> None:
    if sale.number is None:
        sale.number = m.next_sale_number()
    sale.state = SaleState.QUOTATION


def _confirm(m: FulfilModel, sale: Sale) -> None:
    for product, quantity in _product_lines(m, sale):
        m.stock.reserved[(product, sale.warehouse)] += quantity
    sale.state = SaleState.CONFIRMED
    sale.confirmed_ts = m.clock.now()
    m.notify("sale.sale.confirmed", "sale.sale", sale)
    m.stock_changed({p for p, _ in _product_lines(m, sale)})


def _process(m: FulfilModel, sale: Sale) -> None:
    sale.state = SaleState.PROCESSING
    shipment = shipments.create_for_sale(m, sale)
    m.notify("sale.sale.processing", "sale.sale", sale)
    if shipment is None:  # nothing to ship (service or fee lines only)
        sale.state = SaleState.DONE
        m.notify("sale.sale.done", "sale.sale", sale)


def _check_cancel(m: FulfilModel, sale: Sale) -> None:
    _need(
        sale,
        "cancel",
        (SaleState.DRAFT, SaleState.QUOTATION, SaleState.CONFIRMED, SaleState.PROCESSING),
    )
    for shipment_id in sale.shipments:
        state = m.shipments[shipment_id].state
        if state in (ShipmentState.PACKED, ShipmentState.DONE):
            raise UserError(
                f'Sale "{_label(sale)}" cannot be cancelled: its shipment '
                f'"{m.shipments[shipment_id].number}" is already {state}.'
            )


def _cancel(m: FulfilModel, sale: Sale) -> None:
    if sale.state in OPEN_SALE_STATES:
        for product, quantity in _product_lines(m, sale):
            m.stock.reserved[(product, sale.warehouse)] -= quantity
    for shipment_id in sale.shipments:
        shipments.cancel(m, m.shipments[shipment_id])
    touched = sale.state in OPEN_SALE_STATES
    sale.state = SaleState.CANCELLED
    m.notify("sale.sale.cancelled", "sale.sale", sale)
    if touched:
        m.stock_changed({p for p, _ in _product_lines(m, sale)})


def _draft(m: FulfilModel, sale: Sale) -> None:
    sale.state = SaleState.DRAFT


_RULES: dict[
    str, tuple[Callable[[FulfilModel, Sale], None], Callable[[FulfilModel, Sale], None]]
] = {
    "quote": (_check_quote, _quote),
    "confirm": (lambda m, s: _need(s, "confirm", (SaleState.QUOTATION,)), _confirm),
    "process": (lambda m, s: _need(s, "process", (SaleState.CONFIRMED,)), _process),
    "cancel": (_check_cancel, _cancel),
    "draft": (
        lambda m, s: _need(s, "draft", (SaleState.QUOTATION, SaleState.CANCELLED)),
        _draft,
    ),
}


def press(m: FulfilModel, button: str, sales: list[Sale]) -> None:
    """Run ``button`` on every sale, after checking all of them."""
    check, apply = _RULES[button]
    if len({s.id for s in sales}) != len(sales):
        raise UserError(f"The same sale is listed twice in one {button} call.")
    for sale in sales:
        check(m, sale)
    now = m.clock.now()
    for sale in sales:
        apply(m, sale)
        sale.write_ts = now
