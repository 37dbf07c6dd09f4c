"""Fulfil v2 wire ↔ canonical: Tryton's JSON tags, error bodies and the record payloads.

Tryton's JSON (PLATFORMS.md 4.1): values JSON cannot carry travel as tagged objects, both ways:
``{"__class__": "Decimal", "decimal": "19.99"}``, ``{"__class__": "date", "year", "month",
"day"}``, ``{"__class__": "datetime", ..., "microsecond"}`` (naive UTC). We send money tagged
(never a JSON number with a fraction) and decode every tagged value in answers.

How a channel order becomes a ``sale.sale`` (Fulfil has no order-level discount, shipping or
tax fields; the sale's total is the sum of its lines' ``quantity × unit_price`` rounded to
cents, plus their ``tax_amount``):

- a product line: ``product`` = the SKU (the product ``code``; the mock takes a code where
  Fulfil proper wants an id), ``unit_price`` = the line's rate, ``tax_amount`` = its tax. A
  rate that is not a whole number of 1/10000 (a bundle share that does not divide) is split
  into two lines priced in cents, so the amounts stay exact in Fulfil's 4-digit prices;
- a non-inventory line (the ``DISCOUNT`` promotion item, custom items): a line *without* a
  product, the item code in ``description`` and ``note``. Every product in Fulfil (and in the
  mock, whose ``product.product.type`` is always ``goods``) is stocked: sent as a product it
  would reserve and ship units of ``DISCOUNT``;
- the order's ``discount_total`` as one product-less ``Discount`` line (negative), the
  shipping as a ``Shipping`` line, and any tax the lines do not carry (tax on shipping) on
  the shipping line, else on a zero-priced ``Tax`` line. Each carries its kind in ``note``
  (``rehearsal:discount`` ...), so a reader can tell them apart.

The channel order's total must equal subtotal − discount + tax + shipping (the ERP's formula
too); if it does not, the order is refused before anything is written (``AMOUNT_MISMATCH``)
rather than booked with a total that differs from the channel's.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import ROUND_DOWN, Decimal
from typing import Any

import httpx

from sync_engine.connectors.http import classify, parse_retry_after
from sync_engine.errors import RecordRejected, SyncError, Throttled
from sync_engine.mapping.customers import normalise_email, normalise_phone
from sync_engine.mapping.order_map import BackOfficeLine, BackOfficeOrder
from sync_engine.model import Refund, Shipment

CENT = Decimal("0.01")
PRICE_DIGITS = 4
"""Decimals Fulfil keeps on ``unit_price`` (Tryton's default price precision)."""
NOTE_PREFIX = "rehearsal:"
ADDRESS_ALIASES = {
    "name": "name",
    "street": "street",
    "address1": "street",
    "street_bis": "street_bis",
    "address2": "street_bis",
    "city": "city",
    "zip": "zip",
    "postal_code": "zip",
    "subdivision": "subdivision",
    "province": "subdivision",
    "province_code": "subdivision",
    "country": "country",
    "country_code": "country",
}
"""Channel address keys → ``party.address`` fields (first one given wins)."""


# --------------------------------------------------------------------------- Tryton JSON
def dec(value: Decimal | int | str) -> dict[str, str]:
    """An exact amount as Tryton's tagged Decimal."""
    return {"__class__": "Decimal", "decimal": str(Decimal(value))}


def day(ts: float) -> dict[str, int | str]:
    """The UTC date of simulated POSIX seconds as Tryton's tagged date."""
    d = datetime.fromtimestamp(ts, tz=UTC).date()
    return {"__class__": "date", "year": d.year, "month": d.month, "day": d.day}


def moment(value: datetime) -> dict[str, int | str]:
    """A naive-UTC datetime as Tryton's tagged datetime."""
    return {
        "__class__": "datetime",
        "year": value.year,
        "month": value.month,
        "day": value.day,
        "hour": value.hour,
        "minute": value.minute,
        "second": value.second,
        "microsecond": value.microsecond,
    }


def decode(value: Any) -> Any:
    """Recursively turn tagged Decimal/date/datetime objects into Python values."""
    if isinstance(value, dict):
        kind = value.get("__class__")
        if kind == "Decimal":
            return Decimal(str(value["decimal"]))
        if kind == "datetime":
            return datetime(
                value["year"],
                value["month"],
                value["day"],
                value.get("hour", 0),
                value.get("minute", 0),
                value.get("second", 0),
                value.get("microsecond", 0),
            )
        if kind == "date":
            return datetime(value["year"], value["month"], value["day"]).date()
        return {k: decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [decode(v) for v in value]
    return value


def loads(response: httpx.Response) -> Any:
    """A response body, decoded; bare JSON fractions become Decimal, never float."""
    return decode(json.loads(response.content, parse_float=Decimal))


def error_from(response: httpx.Response) -> SyncError:
    """The engine error for a non-2xx answer; ``code`` is Fulfil's error ``type``."""
    try:
        body = json.loads(response.content)
    except ValueError:
        body = None
    body = body if isinstance(body, dict) else {}
    kind = str(body.get("type") or "") or None
    message = str(body.get("message") or "") or response.text[:300]
    detail = f"fulfil {response.status_code} {kind or ''}: {message}"
    if response.status_code == 429:
        error: SyncError = Throttled(
            detail, retry_after=parse_retry_after(response.headers.get("Retry-After"))
        )
    else:
        error = classify(response, detail)
    error.code = kind
    return error


# --------------------------------------------------------------------------- sales
def _rate_lines(line: BackOfficeLine) -> list[tuple[int, Decimal, Decimal]]:
    """(quantity, unit price, tax) parts whose rounded amounts add up to ``line.amount``."""
    quantity = line.quantity or 1
    rate = line.rate if line.quantity else line.amount
    exponent = rate.as_tuple().exponent
    if rate * quantity == line.amount and isinstance(exponent, int) and -exponent <= PRICE_DIGITS:
        return [(quantity, rate, line.tax)]
    # Not representable in 4 decimals: n-1 units at the rate in cents, one unit takes the rest.
    base = (line.amount / quantity).quantize(CENT, rounding=ROUND_DOWN)
    rest = line.amount - base * (quantity - 1)
    return [(quantity - 1, base, line.tax), (1, rest, Decimal(0))]


def _line(line: BackOfficeLine) -> list[dict[str, Any]]:
    out = []
    for quantity, price, tax in _rate_lines(line):
        values: dict[str, Any] = {
            "quantity": quantity,
            "unit_price": dec(price),
            "tax_amount": dec(tax),
        }
        if line.inventory:
            values["product"] = line.sku
            values["description"] = line.description or line.sku
        else:
            label = f"{line.sku}: {line.description}" if line.description else line.sku
            values["description"] = label
            values["note"] = f"{NOTE_PREFIX}non-inventory:{line.sku}"
        if line.options:
            values["options"] = "; ".join(f"{group}: {option}" for group, option in line.options)
        out.append(values)
    return out


def _extra(kind: str, price: Decimal, tax: Decimal) -> dict[str, Any]:
    return {
        "quantity": 1,
        "unit_price": dec(price),
        "tax_amount": dec(tax),
        "description": kind.capitalize(),
        "note": f"{NOTE_PREFIX}{kind}",
    }


def sale_lines(order: BackOfficeOrder) -> list[dict[str, Any]]:
    """Every ``sale.line`` of the order, such that the sale's total is the channel's."""
    subtotal = sum((line.amount for line in order.lines), Decimal(0))
    expected = subtotal - order.discount_total + order.tax_total + order.shipping
    if expected != order.total:
        raise RecordRejected(
            f"fulfil: order {order.number} total {order.total} is not subtotal {subtotal} "
            f"- discount {order.discount_total} + tax {order.tax_total} + shipping "
            f"{order.shipping} = {expected}; Fulfil would book {expected}",
            code="AMOUNT_MISMATCH",
        )
    lines = [values for line in order.lines for values in _line(line)]
    if order.discount_total:
        lines.append(_extra("discount", -order.discount_total, Decimal(0)))
    tax_rest = order.tax_total - sum((line.tax for line in order.lines), Decimal(0))
    if order.shipping:
        lines.append(_extra("shipping", order.shipping, tax_rest))
    elif tax_rest:
        lines.append(_extra("tax", Decimal(0), tax_rest))
    return lines


def sale_values(
    order: BackOfficeOrder,
    *,
    party: int,
    channel: int,
    warehouse: int,
    lines: list[dict[str, Any]],
) -> dict[str, Any]:
    """The ``sale.sale`` create values; ``channel_identifier`` is the idempotency key."""
    return {
        "party": party,
        "channel": channel,
        "channel_identifier": order.external_id,
        "reference": order.number,
        "warehouse": warehouse,
        "currency": order.currency,
        "sale_date": day(order.created_ts),
        "lines": [["create", lines]],
    }


def holds(sale: dict[str, Any], order: BackOfficeOrder, lines: list[dict[str, Any]]) -> bool:
    """Whether a read sale (``SALE_FIELDS``) already carries these lines and totals."""
    if (sale["total_amount"], sale["tax_amount"]) != (order.total, order.tax_total):
        return False
    ours = sorted((v["quantity"], Decimal(v["unit_price"]["decimal"])) for v in lines)
    theirs = sorted(zip(sale["lines.quantity"], sale["lines.unit_price"], strict=True))
    codes = sorted(str(v["product"]) for v in lines if "product" in v)
    return ours == theirs and codes == sorted(sale["lines.product.code"])


def return_lines(
    refund: Refund, amount_lines: list[tuple[str, int, Decimal]]
) -> list[dict[str, Any]]:
    """Lines of a return sale: negative amounts, no products (nothing moves; see the
    connector's ``credit_memo``). A part of the refund not itemised gets its own line, so
    the return's total is exactly ``-refund.amount``."""
    lines: list[dict[str, Any]] = []
    for sku, quantity, amount in amount_lines:
        if not amount:
            continue
        parts = _rate_lines(
            BackOfficeLine(
                sku=sku, quantity=quantity, amount=-amount, discount=Decimal(0), tax=Decimal(0)
            )
        )
        for qty, price, _ in parts:
            lines.append(
                {
                    "quantity": qty,
                    "unit_price": dec(price),
                    "description": f"Refund {sku}",
                    "note": f"{NOTE_PREFIX}refund:{sku}",
                }
            )
    itemised = sum((amount for _, _, amount in amount_lines), Decimal(0))
    if refund.shipping:
        lines.append(_extra("shipping", -refund.shipping, Decimal(0)))
    rest = refund.amount - itemised - refund.shipping
    if rest:
        lines.append(_extra("refund", -rest, Decimal(0)))
    return lines


# --------------------------------------------------------------------------- parties
def party_name(order: BackOfficeOrder) -> str:
    buyer = order.customer
    full = " ".join(part for part in (buyer.first_name, buyer.last_name) if part).strip()
    return full or buyer.email or buyer.phone or f"Guest {order.external_id}"


def party_values(order: BackOfficeOrder) -> dict[str, Any]:
    """A new ``party.party``. A guest's contacts are kept as type ``other``: a later lookup
    by e-mail or phone (which reads the ``email``/``phone`` fields) never finds a guest."""
    buyer = order.customer
    guest = order.customer_key.startswith("guest:")
    mechanisms = []
    email, phone = normalise_email(buyer.email), normalise_phone(buyer.phone)
    if email:
        mechanisms.append({"type": "other" if guest else "email", "value": email})
    if phone:
        mechanisms.append({"type": "other" if guest else "phone", "value": phone})
    values: dict[str, Any] = {"name": party_name(order)}
    if mechanisms:
        values["contact_mechanisms"] = [["create", mechanisms]]
    address: dict[str, str] = {}
    for key, value in order.shipping_address.items():
        target = ADDRESS_ALIASES.get(key)
        if target and value and target not in address:
            address[target] = value
    if address:
        values["addresses"] = [["create", [address]]]
    return values


def contact_clause(field: str, value: str) -> list[str]:
    """An exact, case-insensitive match; ``ilike`` only without wildcard characters."""
    return [field, "=" if any(ch in value for ch in "%_") else "ilike", value]


# --------------------------------------------------------------------------- shipments
def split_external_id(external_id: str) -> tuple[str, str]:
    """``"{channel}-{order_id}"`` → (channel, order id); channel names hold no ``-``."""
    channel, _, order_id = external_id.partition("-")
    return channel, order_id


def shipment_cursor(effective: datetime, shipment_id: int) -> str:
    """Resume point after one shipment: its done time and id (ties broken by id)."""
    return f"{effective.isoformat()}|{shipment_id}"


def parse_cursor(cursor: str) -> tuple[datetime, int]:
    stamp, _, sid = cursor.partition("|")
    return datetime.fromisoformat(stamp), int(sid or 0)


def shipment_from_row(row: dict[str, Any]) -> Shipment | None:
    """A done ``stock.shipment.out`` read with dotted fields; None when no sale of ours."""
    identifiers = [i for i in row.get("sales.channel_identifier") or [] if i]
    if not identifiers:
        return None
    channel, order_id = split_external_id(str(identifiers[0]))
    codes = row.get("moves.product.code") or []
    quantities = row.get("moves.quantity") or []
    return Shipment(
        shipment_id=str(row["id"]),
        channel=channel,
        order_id=order_id,
        lines=tuple((str(c), int(q)) for c, q in zip(codes, quantities, strict=True)),
        carrier=str(row.get("carrier") or ""),
        tracking_number=str(row.get("tracking_number") or ""),
    )
