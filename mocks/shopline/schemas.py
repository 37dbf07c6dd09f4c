"""Request parsing for the SHOPLINE mock: raw JSON and query strings in, typed values out.

Every rejection names the field and the reason (a 4xx, never a 5xx). Plain Python, no FastAPI.
Ids are strings on SHOPLINE's wire; digit strings (and, leniently, JSON integers) are accepted.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.common.money import loads_exact
from mocks.shopify.errors import ShopifyMockError
from mocks.shopify.pagination import Cursor, decode_cursor
from mocks.shopline.errors import BadRequest, InvalidRequest, MalformedBody
from simclock import parse_iso_utc

ORDER_STATUSES = ("open", "cancelled", "hidden", "any")
FINANCIAL_STATUSES = (
    "unpaid",
    "authorized",
    "pending",
    "partially_paid",
    "paid",
    "partially_refunded",
    "refunded",
    "any",
)
FULFILLMENT_STATUSES = ("unshipped", "partial", "shipped", "any")
ORDER_SOURCES = (
    "web", "oneshop", "mc", "live", "post", "shopee", "lazada", "buy_button", "pos", "any",
)  # fmt: skip
TIME_FILTERS = ("created_at_min", "created_at_max", "updated_at_min", "updated_at_max")
ORDER_FILTERS = (
    "status",
    "financial_status",
    "fulfillment_status",
    "order_source",
    "since_id",
    *TIME_FILTERS,
)
CUSTOMER_FILTERS = ("email", "phone", "since_id")
INVENTORY_LEVEL_FILTERS = ("inventory_item_ids", "location_ids")


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def parse_json_object(raw: bytes, *, admin: bool) -> dict[str, Any]:
    """Decode a JSON object body (floats as Decimal); 400 in the caller's dialect."""
    try:
        payload = loads_exact(raw) if raw.strip() else None
    except ValueError as exc:
        detail = f"body is not valid JSON: {exc}"
        raise BadRequest(detail) if admin else MalformedBody(detail) from None
    if not isinstance(payload, dict):
        detail = f"body must be a JSON object, got {_kind(payload)}"
        raise BadRequest(detail) if admin else MalformedBody(detail)
    return payload


def parse_id(value: Any, name: str) -> int:
    """A SHOPLINE id: a digit string (≤ 64 chars) or, leniently, a JSON integer."""
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value() and value >= 0:
        return int(value)
    if isinstance(value, str) and 0 < len(value) <= 64 and value.isdecimal():
        return int(value)
    raise BadRequest(f"{name} must be an id string, got {value!r}")


def normalise_phone(raw: str) -> str:
    """Mobile numbers compare on ``+`` and digits only: ``+65 8123-4567`` -> ``+6581234567``."""
    digits = "".join(ch for ch in raw if ch.isdigit())
    return f"+{digits}" if raw.strip().startswith("+") else digits


def normalise_email(raw: str) -> str:
    """E-mail addresses compare case-insensitively, without surrounding blanks."""
    return raw.strip().lower()


# -- list endpoints ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListRequest:
    """A list call: page size, the decoded cursor (if any) and the first page's filters."""

    limit: int
    cursor: Cursor | None
    filters: dict[str, str]


def parse_list_request(
    params: Mapping[str, str],
    *,
    resource: str,
    filter_names: tuple[str, ...],
    default_limit: int,
    max_limit: int,
) -> ListRequest:
    """Read ``limit`` (1..max, else 400) and ``page_info``; filters live inside the cursor."""
    raw = params.get("limit")
    limit = default_limit
    if raw:
        if not raw.isdecimal() or not 1 <= int(raw) <= max_limit:
            raise BadRequest(f"limit must be an integer between 1 and {max_limit}, got {raw!r}")
        limit = int(raw)
    filters = {name: params[name] for name in filter_names if name in params}
    token = params.get("page_info")
    if token is None:
        return ListRequest(limit=limit, cursor=None, filters=filters)
    if filters:
        raise BadRequest(f"{next(iter(filters))} cannot be passed together with page_info")
    try:
        cursor = decode_cursor(token, resource=resource)
    except ShopifyMockError:  # the shared decoder speaks Shopify's dialect; answer in ours
        raise BadRequest("page_info is invalid") from None
    return ListRequest(limit=limit, cursor=cursor, filters=dict(cursor.filters))


@dataclass(frozen=True, kw_only=True)
class OrderFilters:
    """Typed order filters (timestamps as POSIX seconds)."""

    status: str = "open"
    financial_status: str = "any"
    fulfillment_status: str = "any"
    order_source: str = "any"
    since_id: int | None = None
    created_at_min: float | None = None
    created_at_max: float | None = None
    updated_at_min: float | None = None
    updated_at_max: float | None = None


def _choice(filters: Mapping[str, str], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = filters.get(name) or default
    if value not in allowed:
        raise BadRequest(f"{name} must be one of {', '.join(allowed)}, got {value!r}")
    return value


def _timestamp(name: str, raw: str) -> float:
    try:
        value = parse_iso_utc(raw)
    except ValueError:
        raise BadRequest(f"{name} must be an ISO-8601 timestamp, got {raw!r}") from None
    if not math.isfinite(value):
        raise BadRequest(f"{name} must be an ISO-8601 timestamp, got {raw!r}")
    return value


def parse_order_filters(filters: Mapping[str, str]) -> OrderFilters:
    """Validate an orders list/count query."""
    since = filters.get("since_id")
    return OrderFilters(
        status=_choice(filters, "status", ORDER_STATUSES, "open"),
        financial_status=_choice(filters, "financial_status", FINANCIAL_STATUSES, "any"),
        fulfillment_status=_choice(filters, "fulfillment_status", FULFILLMENT_STATUSES, "any"),
        order_source=_choice(filters, "order_source", ORDER_SOURCES, "any"),
        since_id=parse_id(since, "since_id") if since else None,
        **{name: _timestamp(name, filters[name]) for name in TIME_FILTERS if filters.get(name)},
    )


def parse_id_list(name: str, raw: str | None) -> frozenset[int] | None:
    """``"1,2,3"`` -> ids; absent or blank -> None."""
    if raw is None or not raw.strip():
        return None
    return frozenset(parse_id(part.strip(), name) for part in raw.split(",") if part.strip())


# -- admin bodies -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InventoryChange:
    """``inventory_levels/set`` (absolute ``available``) or ``adjust`` (a delta)."""

    location_id: int
    inventory_item_id: int
    value: int


def parse_inventory_change(payload: Mapping[str, Any], *, value_field: str) -> InventoryChange:
    """Read ``location_id``, ``inventory_item_id`` and ``available``/``available_adjustment``."""
    for name in ("location_id", "inventory_item_id", value_field):
        if name not in payload:
            raise BadRequest(f"{name} is required")
    value = payload[value_field]
    if isinstance(value, Decimal) and value == value.to_integral_value():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise BadRequest(f"{value_field} must be an integer, got {value!r}")
    return InventoryChange(
        location_id=parse_id(payload["location_id"], "location_id"),
        inventory_item_id=parse_id(payload["inventory_item_id"], "inventory_item_id"),
        value=value,
    )


@dataclass(frozen=True, kw_only=True)
class WebhookCreate:
    """``POST webhooks.json`` body: ``{"webhook": {"topic", "address"}}``."""

    topic: str
    address: str


def parse_webhook_create(payload: Mapping[str, Any]) -> WebhookCreate:
    """Read ``{"webhook": {"topic", "address"}}``."""
    webhook = payload.get("webhook")
    if not isinstance(webhook, dict):
        raise BadRequest("webhook must be an object with topic and address")
    fields = {}
    for name in ("topic", "address"):
        value = webhook.get(name)
        if not isinstance(value, str) or not value:
            raise BadRequest(f"webhook.{name} must be a non-empty string, got {value!r}")
        fields[name] = value
    return WebhookCreate(topic=fields["topic"], address=fields["address"])


# -- fulfilments ------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class TrackingInfo:
    """One parcel's tracking: number, carrier and link, each optional."""

    number: str | None = None
    company: str | None = None
    url: str | None = None


@dataclass(frozen=True, kw_only=True)
class FulfillmentCreate:
    """``POST orders/{id}/fulfillments.json``; ``lines`` None means every unit still unshipped."""

    lines: tuple[tuple[int, int], ...] | None
    tracking: tuple[TrackingInfo, ...]
    notify_customer: bool = False


def _admin_text(raw: Mapping[str, Any], name: str, where: str) -> str | None:
    value = raw.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"{where}{name} must be a non-empty string, got {value!r}")
    return value


def _tracking(raw: Mapping[str, Any], where: str) -> TrackingInfo:
    return TrackingInfo(
        number=_admin_text(raw, "tracking_number", where),
        company=_admin_text(raw, "tracking_company", where),
        url=_admin_text(raw, "tracking_url", where),
    )


def parse_fulfillment_create(payload: Mapping[str, Any], *, max_tracking: int) -> FulfillmentCreate:
    """Read ``{"fulfillment": {"line_items"?, "tracking_number"?, "tracking_company"?,
    "tracking_url"?, "tracking_info_list"?, "notify_customer"?}}``; a list, when given,
    replaces the single tracking fields (SHOPLINE's rule)."""
    body = payload.get("fulfillment")
    if not isinstance(body, dict):
        raise BadRequest("fulfillment must be an object")
    lines = None
    raw_lines = body.get("line_items")
    if raw_lines is not None:
        if not isinstance(raw_lines, list) or not raw_lines:
            raise BadRequest("fulfillment.line_items must be a non-empty list of {id, quantity}")
        parsed = []
        for i, raw in enumerate(raw_lines):
            where = f"fulfillment.line_items[{i}]"
            if not isinstance(raw, dict):
                raise BadRequest(f"{where} must be an object, got {_kind(raw)}")
            qty = raw.get("quantity")
            if isinstance(qty, Decimal) and qty == qty.to_integral_value():
                qty = int(qty)
            if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
                raise BadRequest(f"{where}.quantity must be an integer >= 1, got {qty!r}")
            parsed.append((parse_id(raw.get("id"), f"{where}.id"), qty))
        lines = tuple(parsed)
    notify = body.get("notify_customer", False)
    if not isinstance(notify, bool):
        raise BadRequest(f"fulfillment.notify_customer must be a boolean, got {notify!r}")
    infos = body.get("tracking_info_list")
    tracking: tuple[TrackingInfo, ...]
    if infos is None:
        single = _tracking(body, "fulfillment.")
        tracking = (single,) if single != TrackingInfo() else ()
    else:
        if not isinstance(infos, list) or len(infos) > max_tracking:
            raise BadRequest(
                f"fulfillment.tracking_info_list must be a list of at most {max_tracking} objects"
            )
        if not all(isinstance(raw, dict) for raw in infos):
            raise BadRequest("fulfillment.tracking_info_list entries must be objects")
        tracking = tuple(
            _tracking(raw, f"fulfillment.tracking_info_list[{i}].") for i, raw in enumerate(infos)
        )
    return FulfillmentCreate(lines=lines, tracking=tracking, notify_customer=notify)


# -- checkout ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CheckoutLine:
    """One basket line: by ``variant_id`` (unambiguous) or by ``sku``."""

    sku: str | None
    variant_id: int | None
    quantity: int


@dataclass(frozen=True, kw_only=True)
class CheckoutRequest:
    """A storefront checkout as ``POST /_sim/checkout`` receives it."""

    lines: tuple[CheckoutLine, ...]
    email: str | None = None
    phone: str | None = None
    discount_code: str | None = None
    shipping: str = "standard"
    location_id: int | None = None


def _optional_str(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidRequest(f"{name} must be a non-empty string, got {value!r}")
    return value


def parse_checkout(payload: Mapping[str, Any]) -> CheckoutRequest:
    """Validate the checkout body's shape (SKUs and stock are the model's business)."""
    raw_lines = payload.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise InvalidRequest("lines must be a non-empty list of {sku|variant_id, quantity}")
    lines = []
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise InvalidRequest(f"lines[{i}] must be an object, got {_kind(raw)}")
        sku, variant, qty = raw.get("sku"), raw.get("variant_id"), raw.get("quantity")
        if (sku is None) == (variant is None):
            raise InvalidRequest(f"lines[{i}] needs exactly one of sku and variant_id")
        if sku is not None and (not isinstance(sku, str) or not sku):
            raise InvalidRequest(f"lines[{i}].sku must be a non-empty string")
        if variant is not None and not (isinstance(variant, str) and variant.isdecimal()):
            raise InvalidRequest(f"lines[{i}].variant_id must be an id string")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise InvalidRequest(f"lines[{i}].quantity must be an integer >= 1, got {qty!r}")
        lines.append(
            CheckoutLine(
                sku=sku, variant_id=int(variant) if variant is not None else None, quantity=qty
            )
        )
    location = payload.get("location_id")
    if location is not None and not (isinstance(location, str) and location.isdecimal()):
        raise InvalidRequest(f"location_id must be an id string, got {location!r}")
    email, phone = _optional_str(payload, "email"), _optional_str(payload, "phone")
    if phone is not None and not any(ch.isdigit() for ch in phone):
        raise InvalidRequest(f"phone must contain digits, got {phone!r}")
    return CheckoutRequest(
        lines=tuple(lines),
        email=email,
        phone=phone,
        discount_code=_optional_str(payload, "discount_code"),
        shipping=_optional_str(payload, "shipping") or "standard",
        location_id=int(location) if location is not None else None,
    )
