"""Bodies of customers, sales-order edits, fulfilments, credit memos and journal entries.

Pure Python; readers and messages from ``fields.py``. Sublists follow NetSuite's REST shape
(``{"item": {"items": [...]}}``, journals ``{"line": {"items": [...]}}``); a line names its
sales-order line by ``orderLine`` (the line number) or by ``item`` (id or externalId = SKU).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.erp import constants as c
from mocks.erp.errors import InvalidContent, UserError
from mocks.erp.fields import (
    Ref,
    bad,
    flag,
    integer,
    iso_date,
    json_object,
    money,
    obj,
    ref,
    select,
    sublist,
    text,
)
from mocks.erp.schemas import LineInput, parse_address, parse_lines

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True, kw_only=True)
class CustomerInput:
    """A customer body; ``None`` means absent (kept on update)."""

    external_id: str | None
    entity_id: str | None
    email: str | None
    phone: str | None
    first_name: str | None
    last_name: str | None
    company_name: str | None
    is_person: bool | None


@dataclass(frozen=True, kw_only=True)
class OrderEdit:
    """A ``PATCH salesOrder`` body."""

    status: str | None
    lines: tuple[LineInput, ...] | None
    location_id: str | None
    ship_address: dict[str, str] | None
    memo: str | None
    other_ref_num: str | None
    discount_total: Decimal | None
    tax_total: Decimal | None
    shipping_cost: Decimal | None


@dataclass(frozen=True, kw_only=True)
class LinePick:
    """One line of a fulfilment or credit memo, before it is matched to an order line."""

    path: str
    order_line: int | None
    item: Ref | None
    quantity: int | None
    amount: Decimal | None = None
    restock: bool = False
    receive: bool = True


@dataclass(frozen=True, kw_only=True)
class FulfilmentInput:
    """``!transform/itemFulfillment``: ``lines`` ``None`` fulfils everything committed."""

    external_id: str | None
    lines: tuple[LinePick, ...] | None
    ship_status: str
    ship_method: str | None
    ship_carrier: str | None
    tracking_numbers: tuple[str, ...]
    tran_date: str | None
    memo: str | None


@dataclass(frozen=True, kw_only=True)
class CreditMemoInput:
    """A credit memo against a sales order."""

    external_id: str | None
    created_from: Ref | None
    lines: tuple[LinePick, ...]
    tax_total: Decimal
    shipping_cost: Decimal
    tran_date: str | None
    memo: str | None


@dataclass(frozen=True, kw_only=True)
class JournalLineInput:
    """One journal line: an account and either a debit or a credit."""

    account: str
    debit: Decimal | None
    credit: Decimal | None
    memo: str | None


@dataclass(frozen=True, kw_only=True)
class JournalInput:
    """A journal entry body."""

    external_id: str | None
    tran_date: str | None
    memo: str | None
    currency: str | None
    lines: tuple[JournalLineInput, ...]


def normalise_email(email: str) -> str:
    """E-mail as compared for duplicates: trimmed, lower case."""
    return email.strip().lower()


PHONE_KEY_DIGITS = 10


def phone_digits(phone: str) -> str:
    """The digits of a phone number."""
    return "".join(ch for ch in phone if ch.isdigit())


def normalise_phone(phone: str) -> str:
    """Phone as compared for duplicates: its last ten digits, so a country code or trunk
    prefix does not hide one (``+1 555 010 0000`` = ``(555) 010-0000``)*."""
    return phone_digits(phone)[-PHONE_KEY_DIGITS:]


def parse_customer(body: Any, *, url_external_id: str | None = None) -> CustomerInput:
    """A customer body (PUT eid:, POST or seed)."""
    body = json_object(body)
    external_id = text(body, "externalId", "externalId", required=False, allow_int=True)
    if url_external_id is not None and external_id not in (None, url_external_id):
        raise InvalidContent(
            f"Invalid content for field externalId: {external_id!r} does not match the external "
            f"ID in the URL {url_external_id!r}."
        )
    email = text(body, "email", "email", required=False)
    if email is not None and not _EMAIL.match(email.strip()):
        raise UserError(f"Please enter a valid email address: {email!r} (field email).")
    phone = text(body, "phone", "phone", required=False)
    if phone is not None and len(phone_digits(phone)) < MIN_PHONE_DIGITS:
        raise UserError(f"Phone number should have seven digits or more: {phone!r} (field phone).")
    is_person = body.get("isPerson")
    if is_person is not None and not isinstance(is_person, bool):
        raise bad("isPerson", "true or false", is_person)
    return CustomerInput(
        external_id=url_external_id or external_id,
        entity_id=text(body, "entityId", "entityId", required=False),
        email=email.strip() if email else None,
        phone=phone,
        first_name=text(body, "firstName", "firstName", required=False),
        last_name=text(body, "lastName", "lastName", required=False),
        company_name=text(body, "companyName", "companyName", required=False),
        is_person=is_person,
    )


EDITABLE = frozenset(
    {
        "orderStatus",
        "status",
        "item",
        "location",
        "shippingAddress",
        "memo",
        "otherRefNum",
        "discountTotal",
        "taxTotal",
        "shippingCost",
    }
)


def parse_order_edit(body: Any, *, replace: set[str]) -> OrderEdit:
    """A ``PATCH salesOrder/{id}`` body; ``item`` requires ``?replace=item``."""
    body = json_object(body)
    unknown = sorted(set(body) - EDITABLE - {"externalId", "id"})
    if unknown:
        raise InvalidContent(
            f"Invalid content: field(s) {', '.join(unknown)} cannot be edited here; editable: "
            f"{', '.join(sorted(EDITABLE))}."
        )
    statuses = {k: c.SALES_ORDER_STATUSES[k] for k in ("B", "C", "H")}
    status = select(body, "orderStatus", "orderStatus", statuses)
    status = select(body, "status", "status", statuses) or status
    if "item" in body and "item" not in replace:
        raise InvalidContent(
            "Invalid content for field item: editing the item sublist needs the query parameter "
            "replace=item (the whole sublist is replaced by the lines given)."
        )
    location = obj(body, "location", "location", required=False)
    return OrderEdit(
        status=status,
        lines=parse_lines(body, required=False),
        location_id=text(location, "id", "location.id", required=True, allow_int=True)
        if location
        else None,
        ship_address=parse_address(body, "shippingAddress"),
        memo=text(body, "memo", "memo", required=False),
        other_ref_num=text(body, "otherRefNum", "otherRefNum", required=False),
        discount_total=money(body, "discountTotal", "discountTotal", default=None),
        tax_total=money(body, "taxTotal", "taxTotal", default=None),
        shipping_cost=money(body, "shippingCost", "shippingCost", default=None),
    )


def _pick(raw: Any, path: str, *, credit: bool) -> LinePick:
    if not isinstance(raw, dict):
        raise bad(path, "an object", raw)
    order_line = integer(raw, "orderLine", f"{path}.orderLine", required=False)
    item = ref(raw, "item", f"{path}.item", required=False)
    if order_line is None and item is None:
        raise InvalidContent(f"Missing required field {path}.orderLine or {path}.item.")
    return LinePick(
        path=path,
        order_line=order_line,
        item=item,
        quantity=integer(raw, "quantity", f"{path}.quantity", required=credit),
        amount=money(raw, "amount", f"{path}.amount", default=None) if credit else None,
        restock=flag(raw, "restock", f"{path}.restock", default=False) if credit else False,
        receive=flag(raw, "itemReceive", f"{path}.itemReceive", default=True),
    )


def _tracking(body: dict[str, Any]) -> tuple[str, ...]:
    numbers: list[str] = []
    raw = body.get("trackingNumbers")
    if isinstance(raw, str):
        numbers.extend(part.strip() for part in raw.split(",") if part.strip())
    elif isinstance(raw, list):
        for i, value in enumerate(raw):
            if not isinstance(value, str) or not value.strip():
                raise bad(f"trackingNumbers[{i}]", "a non-empty string", value)
            numbers.append(value.strip())
    elif raw is not None:
        raise bad("trackingNumbers", "a list of strings", raw)
    for i, pkg in enumerate(sublist(body, "package", "package", required=False) or ()):
        if not isinstance(pkg, dict):
            raise bad(f"package.items[{i}]", "an object", pkg)
        number = text(
            pkg, "packageTrackingNumber", f"package.items[{i}].packageTrackingNumber", required=True
        )
        assert number is not None
        numbers.append(number)
    return tuple(numbers)


def _ref_name(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if isinstance(value, dict):
        return text(value, "refName", f"{key}.refName", required=False) or text(
            value, "id", f"{key}.id", required=True, allow_int=True
        )
    return text(body, key, key, required=False)


def parse_fulfilment(body: Any) -> FulfilmentInput:
    """A ``!transform/itemFulfillment`` body (an empty object fulfils all that is committed)."""
    body = json_object(body)
    raw_lines = sublist(body, "item", "item", required=False)
    lines = (
        tuple(_pick(raw, f"item.items[{i}]", credit=False) for i, raw in enumerate(raw_lines))
        if raw_lines is not None
        else None
    )
    return FulfilmentInput(
        external_id=text(body, "externalId", "externalId", required=False),
        lines=lines,
        ship_status=select(body, "shipStatus", "shipStatus", c.SHIP_STATUSES) or "C",
        ship_method=_ref_name(body, "shipMethod"),
        ship_carrier=_ref_name(body, "shipCarrier"),
        tracking_numbers=_tracking(body),
        tran_date=iso_date(body, "tranDate", "tranDate"),
        memo=text(body, "memo", "memo", required=False),
    )


def parse_credit_memo(body: Any, *, url_external_id: str | None = None) -> CreditMemoInput:
    """A credit memo body (transform, POST with ``createdFrom`` or PUT eid:)."""
    body = json_object(body)
    external_id = text(body, "externalId", "externalId", required=False)
    if url_external_id is not None and external_id not in (None, url_external_id):
        raise InvalidContent(
            f"Invalid content for field externalId: {external_id!r} does not match the external "
            f"ID in the URL {url_external_id!r}."
        )
    raw_lines = sublist(body, "item", "item", required=True)
    assert raw_lines is not None
    return CreditMemoInput(
        external_id=url_external_id or external_id,
        created_from=ref(body, "createdFrom", "createdFrom", required=False),
        lines=tuple(_pick(raw, f"item.items[{i}]", credit=True) for i, raw in enumerate(raw_lines)),
        tax_total=money(body, "taxTotal", "taxTotal", default=Decimal(0)) or Decimal(0),
        shipping_cost=money(body, "shippingCost", "shippingCost", default=Decimal(0)) or Decimal(0),
        tran_date=iso_date(body, "tranDate", "tranDate"),
        memo=text(body, "memo", "memo", required=False),
    )


def parse_journal(body: Any, *, url_external_id: str | None = None) -> JournalInput:
    """A journal entry body; the balance is checked by the model (it needs the accounts)."""
    body = json_object(body)
    external_id = text(body, "externalId", "externalId", required=False)
    if url_external_id is not None and external_id not in (None, url_external_id):
        raise InvalidContent(
            f"Invalid content for field externalId: {external_id!r} does not match the external "
            f"ID in the URL {url_external_id!r}."
        )
    raw_lines = sublist(body, "line", "line", required=True)
    assert raw_lines is not None
    lines: list[JournalLineInput] = []
    for i, raw in enumerate(raw_lines):
        path = f"line.items[{i}]"
        if not isinstance(raw, dict):
            raise bad(path, "an object", raw)
        account = ref(raw, "account", f"{path}.account", required=True)
        assert account is not None
        debit = money(raw, "debit", f"{path}.debit", default=None)
        credit = money(raw, "credit", f"{path}.credit", default=None)
        debit = debit if debit else None  # "0.00" on the other side is how some clients pad
        credit = credit if credit else None
        if (debit is None) == (credit is None):
            raise InvalidContent(
                f"Invalid content for field {path}: a journal line needs exactly one of debit or "
                "credit, greater than zero."
            )
        lines.append(
            JournalLineInput(
                account=account.id or f"eid:{account.external_id}",
                debit=debit,
                credit=credit,
                memo=text(raw, "memo", f"{path}.memo", required=False),
            )
        )
    currency_obj = obj(body, "currency", "currency", required=False)
    return JournalInput(
        external_id=url_external_id or external_id,
        tran_date=iso_date(body, "tranDate", "tranDate"),
        memo=text(body, "memo", "memo", required=False),
        currency=text(currency_obj, "refName", "currency.refName", required=True)
        if currency_obj
        else None,
        lines=tuple(lines),
    )
