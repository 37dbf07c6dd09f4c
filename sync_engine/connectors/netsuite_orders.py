"""Sales-order bodies for the NetSuite-style REST record API: the upsert and the edit.

Money goes out as decimal strings with at most two places (the record API refuses more):
each line carries its exact ``amount``; ``rate`` is informational once ``amount`` is given,
so a bundle share that does not divide (10.00 over 3 units) is sent rounded to the cent.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import quote

from simclock import iso_utc
from sync_engine.errors import RecordRejected, SyncError
from sync_engine.mapping.order_map import BackOfficeLine, BackOfficeOrder

CENT = Decimal("0.01")
ADDRESS_ALIASES = {
    "addressee": "addressee",
    "name": "addressee",
    "addr1": "addr1",
    "address1": "addr1",
    "street": "addr1",
    "addr2": "addr2",
    "address2": "addr2",
    "street_bis": "addr2",
    "city": "city",
    "state": "state",
    "province_code": "state",
    "province": "state",
    "subdivision": "state",
    "zip": "zip",
    "postal_code": "zip",
    "country_code": "country",
    "country": "country",
    "addrPhone": "addrPhone",
    "phone": "addrPhone",
}
"""Channel address keys → NetSuite ``shippingAddress`` fields (the first one given wins)."""
CANCELLED = "C"
PAST_CUTOFF_STATUSES = frozenset({"D", "F"})
"""Partially Fulfilled, Pending Billing: the picking cut-off has passed (so has a Closed
order with anything fulfilled, which its lines show)."""


def money(amount: Decimal) -> str:
    """A decimal string without exponent (``Decimal("1E+1")`` is ``"10"``)."""
    return format(amount, "f")


def record_path(record: str, external_id: str) -> str:
    """``{record}/eid:{externalId}``, the id percent-encoded where a path needs it."""
    return f"{record}/eid:{quote(external_id, safe=':@+!$&()*,;=')}"


def _rate(line: BackOfficeLine) -> str:
    rate = line.rate
    return money(rate if rate == rate.quantize(CENT) else rate.quantize(CENT, ROUND_HALF_UP))


def line_payload(line: BackOfficeLine) -> dict[str, Any]:
    """One ``item.items`` entry with its exact amount, discount and tax."""
    return {
        "item": {"externalId": line.sku},
        "quantity": line.quantity,
        "rate": _rate(line),
        "amount": money(line.amount),
        "discountAmount": money(line.discount),
        "taxAmount": money(line.tax),
        **({"description": line.description} if line.description else {}),
        **({"custcol_rh_options": [f"{g}: {o}" for g, o in line.options]} if line.options else {}),
        **({} if line.inventory else {"custcol_rh_non_inventory": True}),
    }


def ship_address(order: BackOfficeOrder) -> dict[str, str]:
    """The channel's shipping address in NetSuite's field names (unknown keys dropped)."""
    address: dict[str, str] = {}
    given = order.shipping_address
    for key, value in given.items():
        target = ADDRESS_ALIASES.get(key)
        if target and value and target not in address:
            address[target] = value
    if "addressee" not in address:
        name = " ".join(given[k] for k in ("first_name", "last_name") if given.get(k)).strip()
        if name:
            address["addressee"] = name
    return address


def channel_created_stamp(created_ts: float) -> str:
    """``custbody_rh_channel_created``: the channel's creation time as fixed-width ISO text
    (``2026-11-27T10:00:01.000Z``), so text order is time order and a prefix is a calendar
    window (the day, hour, minute...) reconciliation can group by."""
    return iso_utc(created_ts)


def sales_order_payload(
    order: BackOfficeOrder, *, location_id: str, customer_id: str | None = None
) -> dict[str, Any]:
    """The upsert body. ``entity`` is the matched customer's internal id when given, else
    the customer key as an externalId (the record API then creates that customer)."""
    address = ship_address(order)
    return {
        "externalId": order.external_id,
        "custbody_rh_channel": order.channel,
        "custbody_rh_channel_order_id": order.channel_order_id,
        "custbody_rh_channel_created": channel_created_stamp(order.created_ts),
        "otherRefNum": order.number,
        "tranDate": iso_utc(order.created_ts)[:10],
        "currency": {"refName": order.currency},
        "entity": {"id": customer_id}
        if customer_id is not None
        else {"externalId": order.customer_key},
        "location": {"id": location_id},
        "item": {"items": [line_payload(line) for line in order.lines]},
        "discountTotal": money(order.discount_total),
        "taxTotal": money(order.tax_total),
        "shippingCost": money(order.shipping),
        **({"shippingAddress": address} if address else {}),
    }


def _amount(value: Any) -> Decimal:
    return Decimal(str(value)) if value not in (None, "") else Decimal(0)


def _record_lines(record: dict[str, Any]) -> list[tuple[str, int, Decimal, Decimal, Decimal]]:
    return [
        (
            str((ln.get("item") or {}).get("externalId") or ""),
            int(ln["quantity"]),
            _amount(ln.get("amount")),
            _amount(ln.get("discountAmount")),
            _amount(ln.get("taxAmount")),
        )
        for ln in (record.get("item") or {}).get("items", [])
    ]


def order_edit(
    record: dict[str, Any], order: BackOfficeOrder, *, location_id: str | None = None
) -> dict[str, Any]:
    """The ``PATCH salesOrder`` body that brings ``record`` to ``order`` (and to
    ``location_id``, if given): only what differs, so repeating an applied edit sends
    nothing (and is no refusal past the cut-off). An ``item`` key means the lines are
    replaced (``?replace=item``); lines and location are re-allocated by the ERP."""
    body: dict[str, Any] = {}
    if location_id is not None and str((record.get("location") or {}).get("id")) != location_id:
        body["location"] = {"id": location_id}
    wanted = [(ln.sku, ln.quantity, ln.amount, ln.discount, ln.tax) for ln in order.lines]
    if wanted != _record_lines(record):
        body["item"] = {"items": [line_payload(line) for line in order.lines]}
    for key, value in (
        ("discountTotal", order.discount_total),
        ("taxTotal", order.tax_total),
        ("shippingCost", order.shipping),
    ):
        if _amount(record.get(key)) != value:
            body[key] = money(value)
    if (record.get("otherRefNum") or "") != order.number:
        body["otherRefNum"] = order.number
    address = ship_address(order)
    if address and (record.get("shippingAddress") or {}) != address:
        body["shippingAddress"] = address
    return body


# --------------------------------------------------------------------------- status
def order_status(record: dict[str, Any]) -> str:
    """The status letter of a sales-order record (``B``, ``C``, ``D``…)."""
    status = record.get("orderStatus") or record.get("status") or {}
    return str(status.get("id") if isinstance(status, dict) else status)


def past_cutoff(record: dict[str, Any], message: str) -> RecordRejected | None:
    """``PAST_CUTOFF`` when the record says fulfilment has started, else None."""
    lines = (record.get("item") or {}).get("items", [])
    fulfilled = any(int(ln.get("quantityFulfilled") or 0) for ln in lines)
    if order_status(record) in PAST_CUTOFF_STATUSES or fulfilled:
        return RecordRejected(message, status=400, code="PAST_CUTOFF")
    return None


def not_found(external_id: str, error: SyncError) -> RecordRejected:
    """The refusal for a sales order the ERP does not have."""
    return RecordRejected(
        f"erp: no sales order with external id {external_id}: {error}", status=404, code="NOT_FOUND"
    )
