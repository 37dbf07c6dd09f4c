"""``create`` / ``write`` / ``delete`` for the writable models, with Tryton's rules.

- ``product.product``: ``code`` (the SKU) unique and required, ``name`` required.
- ``party.party``: ``contact_mechanisms`` and ``addresses`` may be created inline.
- ``sale.sale``: editable only in ``draft``, except ``comment``, ``reference`` and the payment
  fields (``payment_gateway``, ``payment_transaction_id``, ``payment_fees``)*; one sale per
  ``(channel, channel_identifier)``*, so a client that retries a create gets a UserError naming
  the existing sale instead of a duplicate, and can search by it first (upsert-like).
- ``sale.line``: ``product`` is a product id or, leniently*, its code; an unknown one is a
  UserError naming it (the sync engine must hold the order). ``unit_price`` defaults to the
  product's ``list_price``; ``amount`` is computed (quantity x unit price, to cents).
  Lines change only while their sale is in ``draft``.
Deleting: sales in ``draft`` or ``cancelled`` only; lines of draft sales; products and parties
that nothing refers to.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.fulfil.errors import UserError
from mocks.fulfil.records import (
    Address,
    ContactMechanism,
    Party,
    Product,
    Sale,
    SaleLine,
    SaleState,
)
from mocks.fulfil.schemas import Values, ids_arg

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

MECHANISM_TYPES = ("email", "phone", "mobile", "fax", "website", "other")
ADDRESS_FIELDS = ("name", "street", "street_bis", "city", "zip", "subdivision", "country")
SALE_LATE_FIELDS = frozenset(
    {"comment", "reference", "payment_gateway", "payment_transaction_id", "payment_fees"}
)


def _ref(m: FulfilModel, table: dict[int, Any], value: Any, field: str, model: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f'The value of field "{field}" must be a {model} id, got {value!r}.')
    if value not in table:
        raise UserError(f'The {model} with id {value} referenced by "{field}" does not exist.')
    return value


# ---------------------------------------------------------------- products and parties
def create_product(m: FulfilModel, raw: Any) -> int:
    v = Values(raw, "product.product")
    code = v.text("code", required=True)
    assert code is not None
    if code in m.products_by_code:
        raise UserError(f'A product with code "{code}" already exists.', description=code)
    now = m.clock.now()
    product = Product(
        id=m.next_id("product.product"),
        code=code,
        name=v.text("name") or code,
        list_price=v.money("list_price") or Decimal(0),
        cost_price=v.money("cost_price") or Decimal(0),
        active=v.boolean("active") is not False,
        create_ts=now,
        write_ts=now,
    )
    v.finish()
    m.products[product.id] = product
    m.products_by_code[code] = product.id
    return product.id


def write_product(m: FulfilModel, product: Product, raw: Any) -> None:
    v = Values(raw, "product.product")
    if "code" in v:
        code = v.text("code", required=True)
        assert code is not None
        if code != product.code and code in m.products_by_code:
            raise UserError(f'A product with code "{code}" already exists.', description=code)
        del m.products_by_code[product.code]
        product.code = code
        m.products_by_code[code] = product.id
    if "name" in v:
        product.name = v.text("name", required=True) or product.name
    for key in ("list_price", "cost_price"):
        if key in v:
            setattr(product, key, v.money(key) or Decimal(0))
    if "active" in v:
        product.active = bool(v.boolean("active"))
    v.finish()
    product.write_ts = m.clock.now()


def create_mechanism(m: FulfilModel, raw: Any, party: int | None = None) -> int:
    v = Values(raw, "party.contact_mechanism")
    party_id = (
        party
        if party is not None
        else _ref(m, m.parties, v.relation("party"), "party", "party.party")
    )
    if party_id is None:
        raise UserError('The field "party" on "party.contact_mechanism" is required.')
    kind = v.text("type", required=True)
    if kind not in MECHANISM_TYPES:
        raise UserError(
            f"Invalid contact mechanism type {kind!r}; use one of {', '.join(MECHANISM_TYPES)}."
        )
    value = v.text("value", required=True)
    assert value is not None
    v.finish()
    mech = ContactMechanism(
        id=m.next_id("party.contact_mechanism"), party=party_id, type=kind, value=value
    )
    m.contact_mechanisms[mech.id] = mech
    m.parties[party_id].contact_mechanisms.append(mech.id)
    return mech.id


def create_address(m: FulfilModel, raw: Any, party: int | None = None) -> int:
    v = Values(raw, "party.address")
    party_id = (
        party
        if party is not None
        else _ref(m, m.parties, v.relation("party"), "party", "party.party")
    )
    if party_id is None:
        raise UserError('The field "party" on "party.address" is required.')
    address = Address(
        id=m.next_id("party.address"), party=party_id, **{f: v.text(f) for f in ADDRESS_FIELDS}
    )
    v.finish()
    m.addresses[address.id] = address
    m.parties[party_id].addresses.append(address.id)
    return address.id


def create_party(m: FulfilModel, raw: Any) -> int:
    v = Values(raw, "party.party")
    name = v.text("name", required=True)
    assert name is not None
    code = v.text("code")
    mechanisms = v.one2many("contact_mechanisms") or []
    addresses = v.one2many("addresses") or []
    v.finish()
    now = m.clock.now()
    party = Party(id=m.next_id("party.party"), name=name, code="", create_ts=now, write_ts=now)
    party.code = code or f"C{party.id}"
    m.parties[party.id] = party
    for field, actions, create in (
        ("contact_mechanisms", mechanisms, create_mechanism),
        ("addresses", addresses, create_address),
    ):
        for action, items in actions:
            if action != "create":
                raise UserError(f'Only "create" is supported for "{field}" when creating a party.')
            for item in items:
                create(m, item, party.id)
    return party.id


def write_party(m: FulfilModel, party: Party, raw: Any) -> None:
    v = Values(raw, "party.party")
    if "name" in v:
        party.name = v.text("name", required=True) or party.name
    if "code" in v:
        party.code = v.text("code", required=True) or party.code
    for field, create in (("contact_mechanisms", create_mechanism), ("addresses", create_address)):
        for action, items in v.one2many(field) or []:
            if action != "create":
                raise UserError(f'Only "create" is supported for "{field}" in this mock.')
            for item in items:
                create(m, item, party.id)
    v.finish()
    party.write_ts = m.clock.now()


# ---------------------------------------------------------------- sales
def _sale_fields(m: FulfilModel, v: Values, sale: Sale) -> None:
    if "reference" in v:
        sale.reference = v.text("reference")
    if "party" in v:
        sale.party = _ref(m, m.parties, v.relation("party"), "party", "party.party")
    if "channel" in v:
        channel = _ref(m, m.channels, v.relation("channel"), "channel", "sale.channel")
        if channel is None:
            raise UserError('The field "channel" on "sale.sale" is required.')
        sale.channel = channel
    if "channel_identifier" in v:
        sale.channel_identifier = v.text("channel_identifier")
    if "currency" in v:
        currency = v.text("currency", required=True)
        assert currency is not None
        sale.currency = currency
    if "sale_date" in v:
        day = v.day("sale_date")
        if day is not None:
            sale.sale_date = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    for key in ("shipment_address", "invoice_address"):
        if key in v:
            setattr(sale, key, _ref(m, m.addresses, v.relation(key), key, "party.address"))
    if "warehouse" in v:
        warehouse = _ref(m, m.locations, v.relation("warehouse"), "warehouse", "stock.location")
        if warehouse is None:
            raise UserError('The field "warehouse" on "sale.sale" is required.')
        sale.warehouse = warehouse
    for key in ("payment_gateway", "payment_transaction_id", "comment"):
        if key in v:
            setattr(sale, key, v.text(key))
    if "payment_fees" in v:
        sale.payment_fees = v.money("payment_fees") or Decimal(0)
    _check_unique(m, sale)


def _check_unique(m: FulfilModel, sale: Sale) -> None:
    if sale.channel_identifier is None:
        return
    for other in m.sales.values():
        if (
            other.id != sale.id
            and other.channel == sale.channel
            and other.channel_identifier == sale.channel_identifier
        ):
            raise UserError(
                f'A sale with channel identifier "{sale.channel_identifier}" already exists in '
                f"channel {sale.channel}: sale.sale,{other.id}.",
                description=f"sale.sale,{other.id}",
            )


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
    _sale_fields(m, v, sale)
    lines = v.one2many("lines") or []
    v.finish()
    # Validate every line before anything is stored: a refused order leaves no trace.
    for action, items in lines:
        if action != "create":
            raise UserError('Only "create" is supported for "lines" when creating a sale.')
        for item in items:
            parse_line(m, item, sale=sale)
    m.next_id("sale.sale")
    m.sales[sale.id] = sale
    for _, items in lines:
        for item in items:
            add_line(m, sale, parse_line(m, item, sale=sale))
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
    _sale_fields(m, v, sale)
    actions = v.one2many("lines") or []
    v.finish()
    for action, items in actions:
        if action == "create":
            for item in items:
                add_line(m, sale, parse_line(m, item, sale=sale))
        elif action == "delete":
            for line_id in ids_arg(items, "line ids"):
                delete_line(m, m.sale_lines.get(line_id), line_id)
        else:
            raise UserError(f'Action "{action}" on "lines" is not supported by this mock.')
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
        sale_id = _ref(m, m.sales, v.relation("sale"), "sale", "sale.sale")
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
        sequence=v.integer("sequence") or len(sale.lines) + 1,
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


def delete_line(m: FulfilModel, line: SaleLine | None, line_id: int) -> None:
    if line is None:
        raise UserError(f'The record "sale.line,{line_id}" does not exist or has been deleted.')
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
    del m.sales[sale.id]
