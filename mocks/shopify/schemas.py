"""Request parsing for the Shopify mock: raw JSON and query strings in, typed values out.

Every rejection names the field and the reason (a 4xx with a precise message, never a 5xx).
Plain Python, no FastAPI: the model and property tests use these too.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.common.money import loads_exact
from mocks.shopify.errors import (
    BadRequest,
    InvalidCheckout,
    MalformedBody,
    MissingParameter,
)
from mocks.shopify.pagination import Cursor, decode_cursor
from simclock import parse_iso_utc

ORDER_STATUSES = ("open", "closed", "cancelled", "any")
ORDER_TIME_FILTERS = (
    "created_at_min",
    "created_at_max",
    "updated_at_min",
    "updated_at_max",
    "processed_at_min",
    "processed_at_max",
)
ORDER_FILTERS = (
    "status",
    "since_id",
    *ORDER_TIME_FILTERS,
    "ids",
    "financial_status",
    "fulfillment_status",
)
FINANCIAL_STATUSES = (
    "any",
    "authorized",
    "pending",
    "paid",
    "partially_paid",
    "refunded",
    "voided",
    "partially_refunded",
    "unpaid",
)
FULFILLMENT_STATUSES = ("any", "shipped", "partial", "unshipped", "unfulfilled")
INVENTORY_LEVEL_FILTERS = ("inventory_item_ids", "location_ids")
# Parameters that may accompany page_info (everything else lives inside the token).
PAGING_PARAMS = frozenset({"limit", "page_info", "fields"})


def parse_json_object(raw: bytes, *, admin: bool) -> dict[str, Any]:
    """Decode a JSON object body (floats as Decimal).

    Failures are 400s in the caller's dialect: Shopify's ``{"errors": {"body": [...]}}`` on the
    Admin API (``admin=True``), ours ``{"error": "malformed_json", ...}`` on ``/_sim/``.
    """
    try:
        payload = loads_exact(raw) if raw.strip() else None
    except ValueError as exc:
        detail = f"body is not valid JSON: {exc}"
        raise BadRequest("body", detail) if admin else MalformedBody(detail) from None
    if not isinstance(payload, dict):
        detail = f"body must be a JSON object, got {_kind(payload)}"
        raise BadRequest("body", detail) if admin else MalformedBody(detail)
    return payload


def _kind(value: Any) -> str:
    return "nothing" if value is None else type(value).__name__


def json_int(value: Any, field: str, *, allow_str: bool = False) -> int:
    """A JSON integer (ids may also be digit strings, as Shopify accepts them)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if allow_str and isinstance(value, str) and value.strip().lstrip("-").isdecimal():
        return int(value.strip())
    raise MissingParameter(field, f"expected an integer, got {_kind(value)} {value!r}")


# -- list endpoints ---------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class ListRequest:
    """A list call: page size, the decoded cursor (if any) and the first page's filters."""

    limit: int
    cursor: Cursor | None
    filters: dict[str, str]


def parse_limit(raw: str | None, *, default: int, maximum: int) -> int:
    """``limit``: default when absent; above the maximum it is capped, as Shopify does."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadRequest("limit", f"must be an integer, got {raw!r}") from None
    if value < 1:
        raise BadRequest("limit", f"must be between 1 and {maximum}, got {value}")
    return min(value, maximum)


def parse_list_request(
    params: Mapping[str, str],
    *,
    resource: str,
    filter_names: tuple[str, ...],
    default_limit: int,
    max_limit: int,
) -> ListRequest:
    """Read ``limit``/``page_info`` and the endpoint's filters; filters next to page_info: 400."""
    limit = parse_limit(params.get("limit"), default=default_limit, maximum=max_limit)
    token = params.get("page_info")
    filters = {name: params[name] for name in filter_names if name in params}
    if token is None:
        return ListRequest(limit=limit, cursor=None, filters=filters)
    if filters:
        name = next(iter(filters))
        raise BadRequest("page_info", f"{name} cannot be passed when page_info is present")
    cursor = decode_cursor(token, resource=resource)
    return ListRequest(limit=limit, cursor=cursor, filters=dict(cursor.filters))


@dataclass(frozen=True, kw_only=True)
class OrderFilters:
    """Typed order filters (timestamps as POSIX seconds)."""

    status: str = "open"
    since_id: int | None = None
    created_at_min: float | None = None
    created_at_max: float | None = None
    updated_at_min: float | None = None
    updated_at_max: float | None = None
    processed_at_min: float | None = None
    processed_at_max: float | None = None
    ids: frozenset[int] | None = None
    financial_status: str = "any"
    fulfillment_status: str = "any"


def _timestamp(name: str, raw: str) -> float:
    try:
        value = parse_iso_utc(raw)
    except ValueError:
        raise BadRequest(name, f"must be an ISO-8601 timestamp, got {raw!r}") from None
    if not math.isfinite(value):
        raise BadRequest(name, f"must be an ISO-8601 timestamp, got {raw!r}")
    return value


def parse_order_filters(filters: Mapping[str, str]) -> OrderFilters:
    """Validate ``status``, ``since_id`` and the timestamp bounds of an orders query."""
    status = filters.get("status", "open") or "open"
    if status not in ORDER_STATUSES:
        raise BadRequest("status", f"must be one of {', '.join(ORDER_STATUSES)}, got {status!r}")
    since_id = None
    if filters.get("since_id"):
        try:
            since_id = int(filters["since_id"])
        except ValueError:
            raise BadRequest(
                "since_id", f"must be an integer, got {filters['since_id']!r}"
            ) from None
    bounds = {
        name: _timestamp(name, filters[name]) for name in ORDER_TIME_FILTERS if filters.get(name)
    }
    financial = filters.get("financial_status") or "any"
    if financial not in FINANCIAL_STATUSES:
        raise BadRequest(
            "financial_status", f"must be one of {', '.join(FINANCIAL_STATUSES)}, got {financial!r}"
        )
    fulfillment = filters.get("fulfillment_status") or "any"
    if fulfillment not in FULFILLMENT_STATUSES:
        raise BadRequest(
            "fulfillment_status",
            f"must be one of {', '.join(FULFILLMENT_STATUSES)}, got {fulfillment!r}",
        )
    return OrderFilters(
        status=status,
        since_id=since_id,
        ids=parse_id_list("ids", filters.get("ids")),
        financial_status=financial,
        fulfillment_status=fulfillment,
        **bounds,
    )


def parse_id_list(name: str, raw: str | None) -> frozenset[int] | None:
    """``1,2,3`` -> ids; absent -> None."""
    if raw is None or raw.strip() == "":
        return None
    try:
        return frozenset(int(part) for part in raw.split(",") if part.strip())
    except ValueError:
        raise BadRequest(name, f"must be a comma-separated list of integers, got {raw!r}") from None


# -- checkout ---------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CheckoutLine:
    """One basket line."""

    sku: str
    quantity: int


@dataclass(frozen=True, kw_only=True)
class CheckoutRequest:
    """A storefront checkout as ``POST /_sim/checkout`` receives it."""

    lines: tuple[CheckoutLine, ...]
    email: str | None = None
    discount_code: str | None = None
    shipping: str = "standard"


def _optional_str(payload: Mapping[str, Any], name: str) -> str | None:
    value = payload.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidCheckout(f"{name} must be a string, got {_kind(value)}")
    return value


def parse_checkout(payload: Mapping[str, Any]) -> CheckoutRequest:
    """Validate the checkout body's shape (SKUs and stock are the model's business)."""
    raw_lines = payload.get("lines")
    if not isinstance(raw_lines, list) or not raw_lines:
        raise InvalidCheckout("lines must be a non-empty list of {sku, quantity}")
    lines = []
    for i, raw in enumerate(raw_lines):
        if not isinstance(raw, dict):
            raise InvalidCheckout(f"lines[{i}] must be an object, got {_kind(raw)}")
        sku, qty = raw.get("sku"), raw.get("quantity")
        if not isinstance(sku, str) or not sku:
            raise InvalidCheckout(f"lines[{i}].sku must be a non-empty string")
        if isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
            raise InvalidCheckout(f"lines[{i}].quantity must be an integer >= 1, got {qty!r}")
        lines.append(CheckoutLine(sku=sku, quantity=qty))
    return CheckoutRequest(
        lines=tuple(lines),
        email=_optional_str(payload, "email"),
        discount_code=_optional_str(payload, "discount_code"),
        shipping=_optional_str(payload, "shipping") or "standard",
    )


# -- admin bodies -----------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class InventoryChange:
    """``inventory_levels/set`` (``absolute``) or ``inventory_levels/adjust`` (a delta)."""

    location_id: int
    inventory_item_id: int
    value: int


def parse_inventory_change(payload: Mapping[str, Any], *, value_field: str) -> InventoryChange:
    """Read ``location_id``, ``inventory_item_id`` and ``available``/``available_adjustment``."""
    for name in ("location_id", "inventory_item_id", value_field):
        if name not in payload:
            raise MissingParameter(name, "parameter is missing")
    return InventoryChange(
        location_id=json_int(payload["location_id"], "location_id", allow_str=True),
        inventory_item_id=json_int(
            payload["inventory_item_id"], "inventory_item_id", allow_str=True
        ),
        value=json_int(payload[value_field], value_field),
    )


@dataclass(frozen=True, kw_only=True)
class WebhookCreate:
    """``POST webhooks.json`` body."""

    topic: str
    address: str
    format: str = "json"


def parse_webhook_create(payload: Mapping[str, Any]) -> WebhookCreate:
    """Read ``{"webhook": {"topic", "address", "format"}}``."""
    webhook = payload.get("webhook")
    if not isinstance(webhook, dict):
        raise MissingParameter("webhook", "expected an object with topic and address")
    fields = {}
    for name in ("topic", "address"):
        value = webhook.get(name)
        if not isinstance(value, str) or not value:
            raise MissingParameter(name, f"expected a non-empty string, got {value!r}")
        fields[name] = value
    fmt = webhook.get("format", "json")
    if fmt != "json":
        raise BadRequest("format", f"only 'json' is supported, got {fmt!r}")
    return WebhookCreate(topic=fields["topic"], address=fields["address"], format=fmt)
