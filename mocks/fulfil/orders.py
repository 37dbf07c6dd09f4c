"""``create`` / ``write`` / ``delete`` of ``sale.sale`` and ``sale.line``, with Tryton's rules.

- ``sale.sale``: editable only in ``draft``, except ``comment``, ``reference`` and the payment
  fields (``payment_gateway``, ``payment_transaction_id``, ``payment_fees``)*; one sale per
  ``(channel, channel_identifier)``*, so a client that retries a create gets a UserError naming
  the existing sale instead of a duplicate, and can search by it first (upsert-like).
- ``sale.line``: ``product`` is a product id or, leniently*, its code; an unknown one is a
  UserError naming it (the sync engine must hold the order). ``unit_price`` defaults to the
  product's ``list_price``; ``amount`` is computed (quantity x unit price, half-up to cents);
  ``tax_amount`` is taken as the channel gave it*. Lines change only while the sale is draft.
- Deleting: sales in ``draft`` or ``cancelled``; lines of draft sales.
Every call is validated whole before anything changes: a refused one leaves no trace.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.fulfil.catalog import ref
from mocks.fulfil.errors import UserError
from mocks.fulfil.records import Sale, SaleLine, SaleState
from mocks.fulfil.schemas import Values, ids_arg

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

SALE_LATE_FIELDS = frozenset(
    {"comment", "reference", "payment_gateway", "payment_transaction_id", "payment_fees"}
)
INDEXED = ("reference", "channel_identifier")


def _sale_changes(m: FulfilModel, v: Values) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("reference", "channel_identifier", "payment_gateway", "payment_transaction_id"):
        if key in v:
            changes[key] = v.text(key)
    if "comment" in v:
        changes["comment"] = v.text("comment")
    if "party" in v:
        changes["party"] = ref(m, m.parties, v.relation("party"), "party", "party.party")
    for key, table, model in (
        ("channel", m.channels, "sale.channel"),
        ("warehouse", m.locations, "stock.location"),
    ):
        if key in v:
            value = ref(m, table, v.relation(key), key, model)
            if value is None:
                raise UserError(f'The field "{key}" on "sale.sale" is required.')
            changes[key] = value
    if "currency" in v:
        changes["currency"] = v.text("currency", required=True)
    if "sale_date" in v:
        day = v.day("sale_date")
        if day is not None:
            changes["sale_date"] = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    for key in ("shipment_address", "invoice_address"):
        if key in v:
            changes[key] = ref(m, m.addresses, v.relation(key), key, "party.address")
    if "payment_fees" in v:
        changes["payment_fees"] = v.money("payment_fees") or Decimal(0)
    return changes


def _check_unique(m: FulfilModel, sale_id: int, channel: int, ident: str | None) -> None:
    if ident is None:
        return
    for other_id in sorted(m.lookup("sale.channel_identifier", ident)):
        other = m.sales[other_id]
        if other.id != sale_id and other.channel == channel and other.channel_identifier == ident:
            raise UserError(
                f'A sale with channel identifier "{ident}" already exists in channel '
                f"{channel}: sale.sale,{other.id}.",
                description=f"sale.sale,{other.id}",
            )


def _apply(m: FulfilModel, sale: Sale, changes: dict[str, Any]) -> None:
    for key in INDEXED:
        if key in changes:
            m.reindex(f"sale.{key}", getattr(sale, key), changes[key], sale.id)
    for attr, value in changes.items():
        setattr(sale, attr, value)


def _line_actions(m: FulfilModel, v: Values, sale: Sale) -> tuple[list[SaleLine], list[SaleLine]]:
    """Validated ``lines`` actions: (lines to create, lines to delete)."""
    creates: list[SaleLine] = []
    deletes: list[SaleLine] = []
    for action, items in v.one2many("lines") or []:
        if action == "create":
            creates.extend(parse_line(m, item, sale=sale) for item in items)
        elif action == "delete":
            for line_id in ids_arg(items, "line ids"):
                line = m.sale_lines.get(line_id)
                if line is None or line.sale != sale.id:
                    raise UserError(f'The record "sale.line,{line_id}" is not a line of this sale.')
                deletes.append(line)
        else:
            raise UserError(f'Action "{action}" on "lines" is not supported by this mock.')
    if creates or deletes:
        _require_draft(sale, "change")
    return creates, deletes


def create_sale(m: FulfilModel, raw: Any) -> int:
    v = Values(raw, "sale.sale")
    if not m.locations:
        raise UserError("No warehouse is configured: seed a stock.location first.")
    now = m.clock.now()
    sale = Sale(
        id=m.peek_id("sale.sale"),
        state=SaleState.DRAFT,
        party=None,
        channel=min(m.channels),
        warehouse=min(m.locations),
        currency=m.settings.currency,
        sale_date=now,
        create_ts=now,
        write_ts=now,
    )
    changes = _sale_changes(m, v)
    creates, _ = _line_actions(m, v, sale)
    v.finish()
    _check_unique(
        m, sale.id, changes.get("channel", sale.channel), changes.get("channel_identifier")
    )
    m.next_id("sale.sale")
    m.sales[sale.id] = sale
    _apply(m, sale, changes)
    for line in creates:
        add_line(m, sale, line)
    m.notify("sale.sale.created", "sale.sale", sale)
    return sale.id


def write_sale(m: FulfilModel, sale: Sale, raw: Any) -> None:
    v = Values(raw, "sale.sale")
    if sale.state is not SaleState.DRAFT:
        late = set(v.raw) - SALE_LATE_FIELDS
        if late:
            raise UserError(
                f'Sale "{sale.number or sale.id}" is in state "{sale.state}"; only '
                f"{', '.join(sorted(SALE_LATE_FIELDS))} can be changed, "
                f"not {', '.join(sorted(late))}."
            )
    changes = _sale_changes(m, v)
    creates, deletes = _line_actions(m, v, sale)
    v.finish()
    _check_unique(
        m,
        sale.id,
        changes.get("channel", sale.channel),
        changes.get("channel_identifier", sale.channel_identifier),
    )
    _apply(m, sale, changes)
    for line in deletes:
        delete_line(m, line)
    for line in creates:
        add_line(m, sale, line)
    sale.write_ts = m.clock.now()


def _resolve_product(m: FulfilModel, value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        pid = m.products_by_code.get(value)
        if pid is None:
            raise UserError(
                f'Product with code "{value}" does not exist.',
                description=f'No product.product has code "{value}".',
            )
        return pid
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(
            f'The value of field "product" must be a product id or code, got {value!r}.'
        )
    if value not in m.products:
        raise UserError(
            f"Product with id {value} does not exist.", description=f"product.product,{value}"
        )
    return value


def parse_line(m: FulfilModel, raw: Any, *, sale: Sale | None) -> SaleLine:
    """A validated, unsaved line (id 0); ``sale`` given when created inline."""
    v = Values(raw, "sale.line")
    if sale is None:
        sale_id = ref(m, m.sales, v.relation("sale"), "sale", "sale.sale")
        if sale_id is None:
            raise UserError('The field "sale" on "sale.line" is required.')
        sale = m.sales[sale_id]
    elif "sale" in v:
        v.relation("sale")
    product = _resolve_product(m, v.relation("product"))
    quantity = v.integer("quantity", required=True, minimum=1)
    unit_price = v.money("unit_price")
    if unit_price is None:
        if product is None:
            raise UserError('The field "unit_price" on "sale.line" is required without a product.')
        unit_price = m.products[product].list_price
    description = v.text("description")
    if product is None and not description:
        raise UserError('A sale line needs a "product" or a "description".')
    line = SaleLine(
        id=0,
        sale=sale.id,
        sequence=v.integer("sequence") or 0,
        product=product,
        quantity=quantity or 0,
        unit_price=unit_price,
        tax_amount=v.money("tax_amount") or Decimal(0),
        description=description,
        options=v.text("options"),
        note=v.text("note"),
    )
    v.finish()
    return line


def _require_draft(sale: Sale, what: str) -> None:
    if sale.state is not SaleState.DRAFT:
        raise UserError(
            f'Cannot {what} lines of sale "{sale.number or sale.id}" in state "{sale.state}"; '
            "lines change only in draft."
        )


def add_line(m: FulfilModel, sale: Sale, line: SaleLine) -> int:
    _require_draft(sale, "add")
    line.id = m.next_id("sale.line")
    line.sequence = line.sequence or len(sale.lines) + 1
    m.sale_lines[line.id] = line
    sale.lines.append(line.id)
    sale.write_ts = m.clock.now()
    return line.id


def create_line(m: FulfilModel, raw: Any) -> int:
    line = parse_line(m, raw, sale=None)
    return add_line(m, m.sales[line.sale], line)


def write_line(m: FulfilModel, line: SaleLine, raw: Any) -> None:
    sale = m.sales[line.sale]
    _require_draft(sale, "change")
    v = Values(raw, "sale.line")
    changes: dict[str, Any] = {}
    if "product" in v:
        changes["product"] = _resolve_product(m, v.relation("product"))
    if "quantity" in v:
        changes["quantity"] = v.integer("quantity", required=True, minimum=1)
    for key in ("unit_price", "tax_amount"):
        if key in v:
            amount = v.money(key)
            if amount is None:
                raise UserError(f'The field "{key}" on "sale.line" is required.')
            changes[key] = amount
    for key in ("description", "options", "note"):
        if key in v:
            changes[key] = v.text(key)
    if "sequence" in v:
        changes["sequence"] = v.integer("sequence", required=True)
    v.finish()
    for attr, value in changes.items():
        setattr(line, attr, value)
    sale.write_ts = m.clock.now()


def delete_line(m: FulfilModel, line: SaleLine) -> None:
    sale = m.sales[line.sale]
    _require_draft(sale, "delete")
    sale.lines.remove(line.id)
    del m.sale_lines[line.id]


def delete_sale(m: FulfilModel, sale: Sale) -> None:
    if sale.state not in (SaleState.DRAFT, SaleState.CANCELLED):
        raise UserError(
            f'Sale "{sale.number or sale.id}" must be cancelled before it can be deleted '
            f'(state "{sale.state}").'
        )
    for line_id in sale.lines:
        m.sale_lines.pop(line_id, None)
    for key in INDEXED:
        m.reindex(f"sale.{key}", getattr(sale, key), None, sale.id)
    del m.sales[sale.id]
