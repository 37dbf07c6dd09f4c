"""Field definitions of every served Tryton model (PLATFORMS 4.1 model names).

Each model is a :class:`ModelSpec`: its table of records and its fields, each with a kind,
a relation target where it has one, and a getter that computes the value Tryton would read
(``quantity_available`` from the stock book, ``email`` from the party's contact mechanisms,
``total_amount`` from the lines...). Names not confirmed for Fulfil carry a ``*``:
``carrier``/``tracking_number`` on shipments (PLATFORMS 4.3: tracking fields unknown),
``currency`` as a code rather than a relation, ``quantity_reserved`` on products.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.fulfil.records import SaleState, ShipmentState
from mocks.fulfil.wire import timestamp_to_datetime

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

Context = dict[str, Any]
Getter = Callable[["FulfilModel", Any, Context], Any]


@dataclass(frozen=True, slots=True)
class Field:
    """One field: ``kind`` as Tryton names it, a relation ``target``, and its getter."""

    kind: str
    get: Getter
    target: str | None = None
    selection: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A served model: where its records live and what fields they have."""

    name: str
    table: str
    fields: dict[str, Field]
    rec_name: Callable[[Any], str]


def _attr(name: str) -> Getter:
    return lambda m, obj, ctx: getattr(obj, name)


def _ts(name: str) -> Getter:
    def get(m: FulfilModel, obj: Any, ctx: Context) -> Any:
        value = getattr(obj, name)
        return None if value is None else timestamp_to_datetime(value)

    return get


def _date(name: str) -> Getter:
    def get(m: FulfilModel, obj: Any, ctx: Context) -> date | None:
        value = getattr(obj, name)
        return None if value is None else timestamp_to_datetime(value).date()

    return get


def char(name: str) -> Field:
    return Field("char", _attr(name))


def m2o(name: str, target: str) -> Field:
    return Field("many2one", _attr(name), target)


def o2m(name: str, target: str) -> Field:
    return Field("one2many", lambda m, obj, ctx: list(getattr(obj, name)), target)


def numeric(get: Getter) -> Field:
    return Field("numeric", get)


def _locations(m: FulfilModel, product: Any, ctx: Context) -> list[int]:
    wanted = ctx.get("locations")
    if isinstance(wanted, list) and wanted:
        return [loc for loc in wanted if isinstance(loc, int) and not isinstance(loc, bool)]
    return sorted(m.locations)


def _qty(index: int) -> Getter:
    return lambda m, p, ctx: m.stock.totals(p.id, _locations(m, p, ctx))[index]


def _mechanism(kind: str) -> Getter:
    def get(m: FulfilModel, party: Any, ctx: Context) -> str | None:
        for mid in party.contact_mechanisms:
            mech = m.contact_mechanisms[mid]
            if mech.type == kind:
                return str(mech.value)
        return None

    return get


def _lines_sum(attr: str) -> Getter:
    def get(m: FulfilModel, sale: Any, ctx: Context) -> Decimal:
        total: Decimal = sum((getattr(m.sale_lines[i], attr) for i in sale.lines), Decimal(0))
        return total

    return get


def _total(m: FulfilModel, sale: Any, ctx: Context) -> Decimal:
    untaxed: Decimal = _lines_sum("amount")(m, sale, ctx)
    tax: Decimal = _lines_sum("tax_amount")(m, sale, ctx)
    return untaxed + tax


def _shipment_state(m: FulfilModel, sale: Any, ctx: Context) -> str:
    states = [m.shipments[i].state for i in sale.shipments]
    live = [s for s in states if s is not ShipmentState.CANCELLED]
    if not live:
        return "none"
    return "sent" if all(s is ShipmentState.DONE for s in live) else "waiting"


def _common(rec_name: Callable[[Any], str]) -> dict[str, Field]:
    return {
        "id": Field("integer", _attr("id")),
        "rec_name": Field("char", lambda m, obj, ctx: rec_name(obj)),
    }


def build_specs() -> dict[str, ModelSpec]:
    """Every model the mock serves, by Tryton name."""
    specs: list[ModelSpec] = []

    def add(name: str, table: str, rec: Callable[[Any], str], fields: dict[str, Field]) -> None:
        specs.append(ModelSpec(name, table, {**_common(rec), **fields}, rec))

    add(
        "stock.location",
        "locations",
        lambda o: o.name,
        {"name": char("name"), "code": char("code"), "type": char("type")},
    )
    add("sale.channel", "channels", lambda o: o.name, {"name": char("name"), "code": char("code")})
    add(
        "product.product",
        "products",
        lambda o: f"[{o.code}] {o.name}",
        {
            "code": char("code"),
            "name": char("name"),
            "list_price": numeric(_attr("list_price")),
            "cost_price": numeric(_attr("cost_price")),
            "active": Field("boolean", _attr("active")),
            "type": Field("selection", lambda m, o, c: "goods", selection=("goods",)),
            "quantity_on_hand": Field("integer", _qty(0)),
            "quantity_reserved": Field("integer", _qty(1)),
            "quantity_available": Field("integer", _qty(2)),
            "create_date": Field("datetime", _ts("create_ts")),
            "write_date": Field("datetime", _ts("write_ts")),
        },
    )
    add(
        "party.party",
        "parties",
        lambda o: o.name,
        {
            "name": char("name"),
            "code": char("code"),
            "contact_mechanisms": o2m("contact_mechanisms", "party.contact_mechanism"),
            "addresses": o2m("addresses", "party.address"),
            "email": Field("char", _mechanism("email")),
            "phone": Field("char", _mechanism("phone")),
            "create_date": Field("datetime", _ts("create_ts")),
            "write_date": Field("datetime", _ts("write_ts")),
        },
    )
    add(
        "party.contact_mechanism",
        "contact_mechanisms",
        lambda o: o.value,
        {"party": m2o("party", "party.party"), "type": char("type"), "value": char("value")},
    )
    address_fields = ("name", "street", "street_bis", "city", "zip", "subdivision", "country")
    add(
        "party.address",
        "addresses",
        lambda o: ", ".join(str(v) for v in (o.name, o.street, o.city) if v),
        {"party": m2o("party", "party.party"), **{f: char(f) for f in address_fields}},
    )
    add(
        "sale.sale",
        "sales",
        lambda o: o.number or o.reference or f"sale.sale,{o.id}",
        {
            "reference": char("reference"),
            "number": char("number"),
            "state": Field("selection", _attr("state"), selection=tuple(SaleState)),
            "party": m2o("party", "party.party"),
            "channel": m2o("channel", "sale.channel"),
            "channel_identifier": char("channel_identifier"),
            "currency": char("currency"),
            "currency_code": char("currency"),
            "sale_date": Field("date", _date("sale_date")),
            "shipment_address": m2o("shipment_address", "party.address"),
            "invoice_address": m2o("invoice_address", "party.address"),
            "warehouse": m2o("warehouse", "stock.location"),
            "lines": o2m("lines", "sale.line"),
            "shipments": o2m("shipments", "stock.shipment.out"),
            "shipment_state": Field("selection", _shipment_state),
            "untaxed_amount": numeric(_lines_sum("amount")),
            "tax_amount": numeric(_lines_sum("tax_amount")),
            "total_amount": numeric(_total),
            "payment_gateway": char("payment_gateway"),
            "payment_transaction_id": char("payment_transaction_id"),
            "payment_fees": numeric(_attr("payment_fees")),
            "comment": char("comment"),
            "create_date": Field("datetime", _ts("create_ts")),
            "write_date": Field("datetime", _ts("write_ts")),
        },
    )
    add(
        "sale.line",
        "sale_lines",
        lambda o: o.description or f"sale.line,{o.id}",
        {
            "sale": m2o("sale", "sale.sale"),
            "sequence": Field("integer", _attr("sequence")),
            "product": m2o("product", "product.product"),
            "quantity": Field("integer", _attr("quantity")),
            "unit_price": numeric(_attr("unit_price")),
            "amount": numeric(_attr("amount")),
            "tax_amount": numeric(_attr("tax_amount")),
            "description": char("description"),
            "options": char("options"),
            "note": char("note"),
        },
    )
    add(
        "stock.shipment.out",
        "shipments",
        lambda o: o.number,
        {
            "number": char("number"),
            "state": Field("selection", _attr("state"), selection=tuple(ShipmentState)),
            "sales": Field("one2many", lambda m, o, c: [o.sale], "sale.sale"),
            "order_numbers": Field("char", lambda m, o, c: m.sales[o.sale].number),
            "customer": m2o("customer", "party.party"),
            "delivery_address": m2o("delivery_address", "party.address"),
            "warehouse": m2o("warehouse", "stock.location"),
            "moves": o2m("moves", "stock.move"),
            "carrier": char("carrier"),
            "tracking_number": char("tracking_number"),
            "planned_date": Field("date", _date("create_ts")),
            "assigned_date": Field("datetime", _ts("assigned_ts")),
            "packed_date": Field("datetime", _ts("packed_ts")),
            "effective_date": Field("datetime", _ts("done_ts")),
            "create_date": Field("datetime", _ts("create_ts")),
            "write_date": Field("datetime", _ts("write_ts")),
        },
    )
    add(
        "stock.move",
        "moves",
        lambda o: f"stock.move,{o.id}",
        {
            "shipment": m2o("shipment", "stock.shipment.out"),
            "origin": m2o("sale_line", "sale.line"),
            "product": m2o("product", "product.product"),
            "quantity": Field("integer", _attr("quantity")),
            "from_location": m2o("from_location", "stock.location"),
            "state": char("state"),
        },
    )
    return {spec.name: spec for spec in specs}
