"""Sales-order, inventory-query, stock-movement and seed bodies, parsed into frozen values.

Pure Python (no FastAPI): the model calls these so the same checks hold in-process and over
HTTP. Field readers (JSON paths in messages, decimal-string money) live in ``fields.py``;
customers, fulfilments, credit memos, journals and edits parse in ``schemas_tx.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.erp.constants import STOCK_MOVEMENT_REASONS, ErpSettings
from mocks.erp.errors import InvalidContent, InvalidMovement, InvalidParameter, InvalidSeed
from mocks.erp.fields import (
    Ref,
    bad,
    int_param,
    iso_date,
    json_object,
    obj,
    ref,
    sublist,
    text,
)
from mocks.erp.fields import money as _money
from simclock import parse_iso_utc

_QUERY = re.compile(r'^\s*lastModifiedDate\s+(ON_OR_AFTER|AFTER)\s+"([^"]+)"\s*$')


@dataclass(frozen=True, kw_only=True)
class LineInput:
    """One sales-order line as the client sent it."""

    sku: str
    quantity: int
    rate: Decimal
    amount: Decimal
    discount_amount: Decimal
    tax_amount: Decimal


@dataclass(frozen=True, kw_only=True)
class SalesOrderInput:
    """A parsed upsert body; ``None`` means the field was absent (kept as-is on update)."""

    external_id: str
    customer_external_id: str | None
    customer_id: str | None
    """``entity.id``: an existing customer's internal id (wins over ``entity.externalId``)."""
    location_id: str | None
    lines: tuple[LineInput, ...] | None
    channel: str | None
    channel_order_id: str | None
    other_ref_num: str | None
    tran_date: str | None
    currency: str | None
    discount_total: Decimal | None
    tax_total: Decimal | None
    shipping_cost: Decimal | None
    pending_approval: bool = False
    """``orderStatus`` A on create: nothing is committed until the order is approved."""
    memo: str | None = None
    ship_address: dict[str, str] | None = None
    channel_created: str | None = None
    """``custbody_rh_channel_created``*: the channel's creation time of the order (ISO text)."""


@dataclass(frozen=True, kw_only=True)
class InventoryQuery:
    """A parsed ``GET inventoryItem`` request."""

    since_ms: int | None
    """Lower bound on lastModifiedDate in epoch milliseconds, or ``None`` for all items."""
    inclusive: bool
    """``ON_OR_AFTER`` (True) or ``AFTER`` (False)."""
    limit: int
    offset: int


@dataclass(frozen=True, kw_only=True)
class StockMovement:
    """A parsed ``POST /_sim/stock-movement`` body."""

    sku: str
    location_id: str
    delta: int
    reason: str


def _line(raw: Any, index: int) -> LineInput:
    path = f"item.items[{index}]"
    if not isinstance(raw, dict):
        raise bad(path, "an object", raw)
    item = obj(raw, "item", f"{path}.item", required=True)
    assert item is not None
    sku = text(item, "externalId", f"{path}.item.externalId", required=True)
    quantity = raw.get("quantity")
    if quantity is None:
        raise InvalidContent(f"Missing required field {path}.quantity.")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity < 1:
        raise bad(f"{path}.quantity", "an integer >= 1", quantity)
    rate = _money(raw, "rate", f"{path}.rate", default=None, signed=True)
    if rate is None:
        raise InvalidContent(f"Missing required field {path}.rate.")
    # NetSuite derives amount from rate x quantity when the client leaves it out.
    amount = _money(raw, "amount", f"{path}.amount", default=rate * quantity, signed=True)
    discount = _money(raw, "discountAmount", f"{path}.discountAmount", default=Decimal(0))
    tax = _money(raw, "taxAmount", f"{path}.taxAmount", default=Decimal(0), signed=True)
    assert sku is not None and amount is not None and discount is not None and tax is not None
    return LineInput(
        sku=sku,
        quantity=quantity,
        rate=rate,
        amount=amount,
        discount_amount=discount,
        tax_amount=tax,
    )


def parse_lines(body: dict[str, Any], *, required: bool) -> tuple[LineInput, ...] | None:
    """The ``item.items`` sublist of a sales order."""
    raw_lines = sublist(body, "item", "item", required=required)
    if raw_lines is None:
        return None
    return tuple(_line(raw, i) for i, raw in enumerate(raw_lines))


ADDRESS_FIELDS = ("addressee", "addr1", "addr2", "city", "state", "zip", "country", "addrPhone")


def parse_address(body: dict[str, Any], key: str) -> dict[str, str] | None:
    """A ship-to address subrecord: known string fields only."""
    raw = obj(body, key, key, required=False)
    if raw is None:
        return None
    unknown = sorted(set(raw) - set(ADDRESS_FIELDS))
    if unknown:
        raise InvalidContent(
            f"Invalid content for field {key}: unknown field(s) {', '.join(unknown)}; "
            f"known: {', '.join(ADDRESS_FIELDS)}."
        )
    address: dict[str, str] = {}
    for name in ADDRESS_FIELDS:
        value = text(raw, name, f"{key}.{name}", required=False)
        if value is not None:
            address[name] = value
    return address


def parse_sales_order(url_external_id: str, body: Any, *, creating: bool) -> SalesOrderInput:
    """Validate an upsert body; customer, location and lines are required only on create."""
    if not url_external_id:
        raise InvalidParameter("The external ID in the URL salesOrder/eid:{externalId} is empty.")
    body = json_object(body)
    body_eid = text(body, "externalId", "externalId", required=False)
    if body_eid is not None and body_eid != url_external_id:
        raise InvalidContent(
            f"Invalid content for field externalId: {body_eid!r} does not match the external ID "
            f"in the URL {url_external_id!r}."
        )
    entity: Ref | None = ref(body, "entity", "entity", required=creating)
    location = obj(body, "location", "location", required=creating)
    location_id = (
        text(location, "id", "location.id", required=True, allow_int=True) if location else None
    )
    lines = parse_lines(body, required=creating)
    currency_obj = obj(body, "currency", "currency", required=False)
    currency = (
        text(currency_obj, "refName", "currency.refName", required=True) if currency_obj else None
    )
    order_status = body.get("orderStatus")
    status_id = order_status.get("id") if isinstance(order_status, dict) else order_status
    if status_id is not None and status_id not in ("A", "B"):
        raise bad("orderStatus", "A (Pending Approval) or B (Pending Fulfillment)", status_id)
    return SalesOrderInput(
        external_id=url_external_id,
        customer_external_id=entity.external_id if entity else None,
        customer_id=entity.id if entity else None,
        location_id=location_id,
        lines=lines,
        channel=text(body, "custbody_rh_channel", "custbody_rh_channel", required=False),
        channel_order_id=text(
            body,
            "custbody_rh_channel_order_id",
            "custbody_rh_channel_order_id",
            required=False,
            allow_int=True,
        ),
        other_ref_num=text(body, "otherRefNum", "otherRefNum", required=False),
        tran_date=iso_date(body, "tranDate", "tranDate"),
        currency=currency,
        discount_total=_money(body, "discountTotal", "discountTotal", default=None),
        tax_total=_money(body, "taxTotal", "taxTotal", default=None),
        shipping_cost=_money(body, "shippingCost", "shippingCost", default=None),
        pending_approval=creating and status_id == "A",
        memo=text(body, "memo", "memo", required=False),
        ship_address=parse_address(body, "shippingAddress"),
        channel_created=text(
            body, "custbody_rh_channel_created", "custbody_rh_channel_created", required=False
        ),
    )


def parse_inventory_query(
    q: str | None, limit: str | None, offset: str | None, settings: ErpSettings
) -> InventoryQuery:
    """Validate ``q``/``limit``/``offset``; only the lastModifiedDate filter is supported."""
    since_ms: int | None = None
    inclusive = True
    if q is not None and q.strip():
        match = _QUERY.match(q)
        if match is None:
            raise InvalidParameter(
                f"Invalid value for the query parameter q: {q!r}. Supported: "
                'lastModifiedDate ON_OR_AFTER "<ISO-8601>" or lastModifiedDate AFTER "<ISO-8601>".'
            )
        operator, stamp = match.groups()
        try:
            since = parse_iso_utc(stamp)
        except ValueError:
            raise InvalidParameter(
                f"Invalid value for the query parameter q: {stamp!r} is not an ISO-8601 date-time."
            ) from None
        since_ms = round(since * 1000)
        inclusive = operator == "ON_OR_AFTER"
    return InventoryQuery(
        since_ms=since_ms,
        inclusive=inclusive,
        limit=int_param(
            "limit", limit, settings.query_page_limit_default, 1, settings.query_page_limit_max
        ),
        offset=int_param("offset", offset, 0, 0, None),
    )


def parse_stock_movement(body: Any) -> StockMovement:
    """Validate a ``/_sim/stock-movement`` body."""
    if not isinstance(body, dict):
        raise InvalidMovement("the request body must be a JSON object")
    sku = body.get("sku")
    if not isinstance(sku, str) or not sku:
        raise InvalidMovement(f"sku must be a non-empty string, got {sku!r}", field="sku")
    location = body.get("location_id")
    if isinstance(location, int) and not isinstance(location, bool):
        location = str(location)
    if not isinstance(location, str) or not location:
        raise InvalidMovement(
            f'location_id must be a string such as "1", got {location!r}', field="location_id"
        )
    delta = body.get("delta")
    if isinstance(delta, bool) or not isinstance(delta, int):
        raise InvalidMovement(f"delta must be an integer, got {delta!r}", field="delta")
    reason = body.get("reason")
    if reason not in STOCK_MOVEMENT_REASONS:
        raise InvalidMovement(
            f"reason must be one of {', '.join(STOCK_MOVEMENT_REASONS)}, got {reason!r}",
            field="reason",
        )
    return StockMovement(sku=sku, location_id=location, delta=delta, reason=str(reason))


SeedItems = list[tuple[str, str, dict[str, int]]]
"""``(sku, name, {location id: on hand})`` per seeded item."""


def parse_seed(
    payload: dict[str, Any], *, known_locations: set[str]
) -> tuple[dict[str, str], SeedItems]:
    """Validate a ``/_mock/seed`` body whole, so a bad one changes nothing."""
    raw_locations = payload.get("locations", [])
    raw_items = payload.get("items", [])
    if not isinstance(raw_locations, list) or not isinstance(raw_items, list):
        raise InvalidSeed("locations and items must be lists")
    locations: dict[str, str] = {}
    for i, loc in enumerate(raw_locations):
        if not isinstance(loc, dict):
            raise InvalidSeed(f"locations[{i}] must be an object")
        loc_id, name = loc.get("id"), loc.get("name")
        if isinstance(loc_id, int) and not isinstance(loc_id, bool):
            loc_id = str(loc_id)
        if not isinstance(loc_id, str) or not loc_id:
            raise InvalidSeed(f"locations[{i}].id must be a non-empty string, got {loc_id!r}")
        if not isinstance(name, str) or not name:
            raise InvalidSeed(f"locations[{i}].name must be a non-empty string, got {name!r}")
        locations[loc_id] = name
    known = known_locations | set(locations)
    items: list[tuple[str, str, dict[str, int]]] = []
    for i, item in enumerate(raw_items):
        if not isinstance(item, dict):
            raise InvalidSeed(f"items[{i}] must be an object")
        sku, on_hand = item.get("sku"), item.get("on_hand", {})
        if not isinstance(sku, str) or not sku:
            raise InvalidSeed(f"items[{i}].sku must be a non-empty string, got {sku!r}")
        if not isinstance(on_hand, dict):
            raise InvalidSeed(f"items[{i}].on_hand must be an object of location id -> units")
        levels: dict[str, int] = {}
        for loc_id, units in on_hand.items():
            if loc_id not in known:
                raise InvalidSeed(f"items[{i}].on_hand: unknown location id {loc_id!r}")
            if isinstance(units, bool) or not isinstance(units, int) or units < 0:
                raise InvalidSeed(f"items[{i}].on_hand[{loc_id!r}] must be an integer >= 0")
            levels[loc_id] = units
        name = item.get("name", sku)
        items.append((sku, name if isinstance(name, str) and name else sku, levels))
    return locations, items
