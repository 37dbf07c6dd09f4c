"""Request parsing for the Shopware 6 mock: raw JSON in, typed values out (plain Python).

Every rejection names the place with a JSON pointer, in Shopware's error shape: malformed JSON
is Shopware's 400 ``"The JSON payload is malformed."``; a storefront (``/_sim/``) body of the
wrong shape is a 422 with a pointer.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.common.money import MoneyError, loads_exact, round_cents, to_money
from mocks.shopware.errors import InvalidRequest, InvalidSyncOperation, MalformedJson

SYNC_ACTIONS = ("upsert", "delete")
CUSTOM_LINE_TYPES = ("custom", "credit", "container")


def parse_json(raw: bytes) -> Any:
    """Any JSON value (floats as Decimal); an empty body is ``{}``."""
    if not raw.strip():
        return {}
    try:
        return loads_exact(raw)
    except (ValueError, UnicodeDecodeError):
        raise MalformedJson() from None


def parse_object(raw: bytes, *, status: int = 400) -> dict[str, Any]:
    """A JSON object body."""
    payload = parse_json(raw)
    if not isinstance(payload, dict):
        raise InvalidRequest("The request body must be a JSON object.", pointer="/", status=status)
    return payload


# -- storefront checkout ---------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class CheckoutLine:
    """A product in the basket, by productNumber (storefront) or product id (Admin API)."""

    product_number: str | None
    product_id: str | None
    quantity: int
    options: tuple[tuple[str, str], ...] | None
    pointer: str


@dataclass(frozen=True, kw_only=True)
class CustomLine:
    """A non-product line: custom (priced goods/services), credit (negative) or container."""

    type: str
    label: str
    quantity: int
    unit_price: Decimal
    tax_rate: Decimal | None
    children: tuple[CheckoutLine, ...]


@dataclass(frozen=True, kw_only=True)
class CheckoutRequest:
    """A shopper's checkout (or an order created through the Admin API)."""

    lines: tuple[CheckoutLine, ...]
    custom_lines: tuple[CustomLine, ...]
    email: str | None
    guest: bool
    first_name: str
    last_name: str
    promotion_code: str | None
    shipping: str
    paid: bool
    customer_comment: str | None


def _bad(detail: str, pointer: str, status: int) -> InvalidRequest:
    return InvalidRequest(detail, pointer=pointer, status=status)


def _quantity(raw: Any, pointer: str, status: int) -> int:
    if isinstance(raw, bool) or not isinstance(raw, int) or raw < 1:
        raise _bad("quantity must be an integer >= 1", pointer, status)
    return raw


def _options(raw: Any, pointer: str, status: int) -> tuple[tuple[str, str], ...] | None:
    if raw is None:
        return None
    if not isinstance(raw, list) or not all(
        isinstance(o, Mapping)
        and isinstance(o.get("group"), str)
        and isinstance(o.get("option"), str)
        for o in raw
    ):
        raise _bad('options must be a list of {"group", "option"} strings', pointer, status)
    return tuple((o["group"], o["option"]) for o in raw)


def _line(raw: Any, pointer: str, status: int) -> CheckoutLine:
    if not isinstance(raw, Mapping):
        raise _bad("a line must be an object", pointer, status)
    number, pid = raw.get("productNumber"), raw.get("productId")
    if number is None and pid is None:
        raise _bad("a line needs a productNumber", f"{pointer}/productNumber", status)
    if number is not None and (not isinstance(number, str) or not number):
        raise _bad("productNumber must be a non-empty string", f"{pointer}/productNumber", status)
    if pid is not None and not isinstance(pid, str):
        raise _bad("productId must be a string", f"{pointer}/productId", status)
    return CheckoutLine(
        product_number=number,
        product_id=pid.lower() if isinstance(pid, str) else None,
        quantity=_quantity(raw.get("quantity", 1), f"{pointer}/quantity", status),
        options=_options(raw.get("options"), f"{pointer}/options", status),
        pointer=pointer,
    )


def _money(raw: Any, pointer: str, status: int) -> Decimal:
    try:
        return round_cents(to_money(raw))
    except MoneyError:
        raise _bad('must be a decimal amount (a string such as "9.99")', pointer, status) from None


def _custom_line(raw: Any, pointer: str, status: int) -> CustomLine:
    if not isinstance(raw, Mapping) or raw.get("type") not in CUSTOM_LINE_TYPES:
        raise _bad(f"type must be one of {', '.join(CUSTOM_LINE_TYPES)}", f"{pointer}/type", status)
    kind = str(raw["type"])
    label = raw.get("label", kind.title())
    if not isinstance(label, str) or not label:
        raise _bad("label must be a non-empty string", f"{pointer}/label", status)
    children: tuple[CheckoutLine, ...] = ()
    unit = Decimal("0.00")
    if kind == "container":
        items = raw.get("children")
        if not isinstance(items, list) or not items:
            raise _bad("a container needs children", f"{pointer}/children", status)
        children = tuple(_line(c, f"{pointer}/children/{i}", status) for i, c in enumerate(items))
    else:
        unit = _money(raw.get("unitPrice"), f"{pointer}/unitPrice", status)
        if kind == "credit":
            unit = -abs(unit)
    tax_rate = None
    if raw.get("taxRate") is not None:
        tax_rate = _money(raw["taxRate"], f"{pointer}/taxRate", status)
    quantity = 1 if kind in ("credit", "container") else raw.get("quantity", 1)
    return CustomLine(
        type=kind,
        label=label,
        quantity=_quantity(quantity, f"{pointer}/quantity", status),
        unit_price=unit,
        tax_rate=tax_rate,
        children=children,
    )


def _opt_str(payload: Mapping[str, Any], key: str, status: int) -> str | None:
    value = payload.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise _bad(f"{key} must be a non-empty string", f"/{key}", status)
    return value


def parse_checkout(payload: dict[str, Any]) -> CheckoutRequest:
    """``POST /_sim/checkout`` body (422 with a pointer when malformed)."""
    status = 422
    lines = payload.get("lines")
    if not isinstance(lines, list):
        raise _bad("lines must be a list", "/lines", status)
    custom = payload.get("custom_lines", [])
    if not isinstance(custom, list):
        raise _bad("custom_lines must be a list", "/custom_lines", status)
    if not lines and not custom:
        raise _bad("the basket is empty", "/lines", status)
    guest = payload.get("guest", True)
    paid = payload.get("paid", True)
    if not isinstance(guest, bool) or not isinstance(paid, bool):
        raise _bad("guest and paid must be true or false", "/guest", status)
    email = _opt_str(payload, "email", status)
    if email is not None and "@" not in email:
        raise _bad("email is not a valid e-mail address", "/email", status)
    return CheckoutRequest(
        lines=tuple(_line(raw, f"/lines/{i}", status) for i, raw in enumerate(lines)),
        custom_lines=tuple(
            _custom_line(raw, f"/custom_lines/{i}", status) for i, raw in enumerate(custom)
        ),
        email=email,
        guest=guest,
        first_name=_opt_str(payload, "firstName", status) or "Flash",
        last_name=_opt_str(payload, "lastName", status) or "Shopper",
        promotion_code=_opt_str(payload, "promotion_code", status),
        shipping=_opt_str(payload, "shipping", status) or "standard",
        paid=paid,
        customer_comment=_opt_str(payload, "customerComment", status),
    )


def parse_admin_order(payload: dict[str, Any]) -> CheckoutRequest:
    """``POST /api/order`` (* our subset): ``orderCustomer {email, firstName, lastName}``,
    ``lineItems`` of type product (``productId``/``referencedId`` or
    ``payload.productNumber``), custom, credit or container, ``promotionCode``,
    ``shippingMethod``. Priced and stocked like a checkout; errors are 400s."""
    status = 400
    customer = payload.get("orderCustomer")
    if not isinstance(customer, Mapping) or not isinstance(customer.get("email"), str):
        raise _bad("This value should not be blank.", "/orderCustomer/email", status)
    items = payload.get("lineItems")
    if not isinstance(items, list) or not items:
        raise _bad("This value should not be blank.", "/lineItems", status)
    lines, custom = [], []
    for i, item in enumerate(items):
        pointer = f"/lineItems/{i}"
        if not isinstance(item, Mapping):
            raise _bad("Expected data to be array.", pointer, status)
        if item.get("type", "product") == "product":
            raw_inner = item.get("payload")
            inner: Mapping[str, Any] = raw_inner if isinstance(raw_inner, Mapping) else {}
            lines.append(
                _line(
                    {
                        "productNumber": inner.get("productNumber"),
                        "productId": item.get("productId") or item.get("referencedId"),
                        "quantity": item.get("quantity", 1),
                        "options": inner.get("options"),
                    },
                    pointer,
                    status,
                )
            )
        else:
            custom.append(_custom_line(item, pointer, status))
    return CheckoutRequest(
        lines=tuple(lines),
        custom_lines=tuple(custom),
        email=customer["email"],
        guest=bool(customer.get("guest", False)),
        first_name=str(customer.get("firstName") or "Admin"),
        last_name=str(customer.get("lastName") or "Order"),
        promotion_code=_opt_str(payload, "promotionCode", status),
        shipping=_opt_str(payload, "shippingMethod", status) or "standard",
        paid=False,
        customer_comment=_opt_str(payload, "customerComment", status),
    )


# -- sync API --------------------------------------------------------------------------------


@dataclass(frozen=True, kw_only=True)
class SyncOperation:
    """One named operation of a sync request."""

    key: str
    entity: str
    action: str
    payload: tuple[Any, ...]


def parse_sync(body: Any) -> list[SyncOperation]:
    """The map form ``{"key": {entity, action, payload}}`` or the 6.5+ list form
    ``[{"key"?, entity, action, payload}]``."""
    if isinstance(body, dict):
        items = [(str(k), v, f"/{k}") for k, v in body.items()]
    elif isinstance(body, list):
        items = []
        for i, op in enumerate(body):
            key = op.get("key") if isinstance(op, dict) else None
            items.append((str(key) if key is not None else str(i), op, f"/{i}"))
    else:
        raise InvalidSyncOperation("The sync body must be an object or a list of operations.", "/")
    if not items:
        raise InvalidSyncOperation("The sync body contains no operation.", "/")
    operations = []
    for key, op, pointer in items:
        if not isinstance(op, dict):
            raise InvalidSyncOperation(f'Operation "{key}" must be an object.', pointer)
        entity, action, payload = op.get("entity"), op.get("action"), op.get("payload")
        if not isinstance(entity, str) or not entity:
            raise InvalidSyncOperation(f'Operation "{key}" has no entity.', f"{pointer}/entity")
        if action not in SYNC_ACTIONS:
            raise InvalidSyncOperation(
                f'Operation "{key}": action must be upsert or delete, got "{action}".',
                f"{pointer}/action",
            )
        if not isinstance(payload, list):
            raise InvalidSyncOperation(
                f'Operation "{key}": payload must be a list of records.', f"{pointer}/payload"
            )
        operations.append(
            SyncOperation(key=key, entity=entity, action=str(action), payload=tuple(payload))
        )
    return operations


def header_flag(value: str | None, *, default: bool) -> bool:
    """``1``/``true`` or ``0``/``false`` (case-insensitive); anything else is the default."""
    if value is None:
        return default
    text = value.strip().lower()
    if text in ("1", "true"):
        return True
    if text in ("0", "false"):
        return False
    return default
