"""Field definitions of every served Tryton model, and the generic read/search machinery.

Each model is a :class:`ModelSpec`: its table of records and its fields, each with a kind,
a relation target where it has one, and a getter that computes the value Tryton would read
(``quantity_available`` from the stock book, ``email`` from the party's contact mechanisms,
``total_amount`` from the lines...). ``read`` and ``search`` work on any model through these
specs, so domains, orders and ``fields`` behave the same everywhere; dotted paths
(``party.name``, ``lines.product.code``) follow relations. Writing is model-specific and lives
in ``writes.py`` and ``workflow.py``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.fulfil.domain import Group, matches, parse_domain, parse_order
from mocks.fulfil.errors import NotFound, UserError
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


class Orm:
    """Generic read/search over :class:`ModelSpec` tables of one model instance."""

    def __init__(self, model: FulfilModel, specs: dict[str, ModelSpec]) -> None:
        self.model = model
        self.specs = specs

    def spec(self, name: str) -> ModelSpec:
        """The spec of ``name``; an unknown model is a 404."""
        spec = self.specs.get(name)
        if spec is None:
            raise NotFound(f'Model "{name}" does not exist.')
        return spec

    def table(self, spec: ModelSpec) -> dict[int, Any]:
        """The records of ``spec`` by id."""
        table: dict[int, Any] = getattr(self.model, spec.table)
        return table

    def checker(self, spec: ModelSpec) -> Callable[[str], None]:
        """Raise UserError unless a dotted path names real fields all the way."""

        def check(path: str) -> None:
            current = spec
            parts = path.split(".")
            for i, part in enumerate(parts):
                fld = current.fields.get(part)
                if fld is None:
                    raise UserError(f'Field "{part}" does not exist on model "{current.name}".')
                if i < len(parts) - 1:
                    if fld.target is None:
                        raise UserError(
                            f'Field "{part}" of model "{current.name}" is not a relation; '
                            f'cannot follow "{path}".'
                        )
                    current = self.spec(fld.target)

        return check

    def values(self, spec: ModelSpec, obj: Any, path: str, ctx: Context) -> list[Any]:
        """Every value a dotted path reaches from ``obj`` (several through one-to-many)."""
        head, _, rest = path.partition(".")
        fld = spec.fields[head]
        value = fld.get(self.model, obj, ctx)
        if not rest:
            return list(value) if fld.kind == "one2many" else [value]
        assert fld.target is not None
        target = self.spec(fld.target)
        ids = value if fld.kind == "one2many" else ([] if value is None else [value])
        table = self.table(target)
        out: list[Any] = []
        for rid in ids:
            if rid in table:
                out.extend(self.values(target, table[rid], rest, ctx))
        return out

    def _path_is_multi(self, spec: ModelSpec, path: str) -> bool:
        current = spec
        for part in path.split("."):
            fld = current.fields[part]
            if fld.kind == "one2many":
                return True
            if fld.target is not None:
                current = self.spec(fld.target)
        return False

    def render(
        self, spec: ModelSpec, obj: Any, fields: Iterable[str] | None, ctx: Context
    ) -> dict[str, Any]:
        """One record as ``read`` returns it; all fields when ``fields`` is None."""
        names = list(spec.fields) if fields is None else ["id", *(f for f in fields if f != "id")]
        out: dict[str, Any] = {}
        for name in names:
            values = self.values(spec, obj, name, ctx)
            if "." in name:
                out[name] = values if self._path_is_multi(spec, name) else (values or [None])[0]
            else:
                out[name] = values if spec.fields[name].kind == "one2many" else values[0]
        return out

    def check_fields(self, spec: ModelSpec, fields: list[str] | None) -> None:
        """Validate a ``fields`` list."""
        if fields is None:
            return
        check = self.checker(spec)
        for name in fields:
            if not isinstance(name, str):
                raise UserError(f"Invalid field name {name!r}: expected a string.")
            check(name)

    def search(
        self,
        spec: ModelSpec,
        domain: Any,
        *,
        offset: int = 0,
        limit: int | None = None,
        order: Any = None,
        ctx: Context,
    ) -> list[Any]:
        """Records matching ``domain``, ordered (default: id ascending*), then sliced."""
        check = self.checker(spec)
        tree: Group = parse_domain(domain, check)
        pairs = parse_order(order, check)

        def getter(obj: Any) -> Callable[[str], list[Any]]:
            return lambda path: self.values(spec, obj, path, ctx)

        def sort_key(path: str) -> Callable[[Any], tuple[int, Any]]:
            return lambda obj: _sort_key(self.values(spec, obj, path, ctx))

        hits = [obj for obj in self.table(spec).values() if matches(tree, getter(obj))]
        hits.sort(key=lambda o: o.id)
        for path, descending in reversed(pairs):
            hits.sort(key=sort_key(path), reverse=descending)
        end = None if limit is None else offset + limit
        return hits[offset:end]

    def get(self, spec: ModelSpec, rid: Any) -> Any:
        """A record by id; a missing one is a UserError, as Tryton's read of deleted ids."""
        if isinstance(rid, bool) or not isinstance(rid, int):
            raise UserError(f'Invalid id {rid!r} for model "{spec.name}": expected an integer.')
        obj = self.table(spec).get(rid)
        if obj is None:
            raise UserError(
                f'The record "{spec.name},{rid}" does not exist or has been deleted.',
                description=f'Model "{spec.name}", id {rid}.',
            )
        return obj


def _sort_key(values: list[Any]) -> tuple[int, Any]:
    value = values[0] if values else None
    return (0, 0) if value is None else (1, value)
