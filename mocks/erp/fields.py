"""Field readers shared by every request parser of the ERP mock (pure Python, no FastAPI).

Each reader names the offending field by its JSON path (``item.items[0].rate``) in the
``INVALID_CONTENT`` message. Money is accepted only as a decimal string (or a whole JSON
integer, which is exact): a JSON number with a fraction has already been through a binary
float in most senders' serialisers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from mocks.common.money import MoneyError, to_money
from mocks.erp.errors import InvalidContent, InvalidParameter

MONEY_PLACES = 2
"""NetSuite currency precision: more decimal places would be rounded away silently, so refuse."""


@dataclass(frozen=True, kw_only=True)
class Ref:
    """A record reference as NetSuite bodies give it: ``{"id": ...}`` or ``{"externalId": ...}``."""

    id: str | None
    external_id: str | None


def bad(path: str, expectation: str, value: Any) -> InvalidContent:
    """The message for a field of the wrong type or form."""
    shown = "a JSON number" if isinstance(value, (float, Decimal)) else repr(value)
    return InvalidContent(f"Invalid content for field {path}: expected {expectation}, got {shown}.")


def json_object(body: Any) -> dict[str, Any]:
    """The body itself, which must be a JSON object."""
    if not isinstance(body, dict):
        raise InvalidContent("Invalid content: the request body must be a JSON object.")
    return body


def obj(parent: dict[str, Any], key: str, path: str, *, required: bool) -> dict[str, Any] | None:
    """An object-valued field."""
    value = parent.get(key)
    if value is None:
        if required:
            raise InvalidContent(f"Missing required field {path}.")
        return None
    if not isinstance(value, dict):
        raise bad(path, "an object", value)
    return value


def text(
    parent: dict[str, Any], key: str, path: str, *, required: bool, allow_int: bool = False
) -> str | None:
    """A non-empty string field (a JSON integer too, for ids, when ``allow_int``)."""
    value = parent.get(key)
    if value is None:
        if required:
            raise InvalidContent(f"Missing required field {path}.")
        return None
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise bad(path, "a non-empty string", value)
    return value


def flag(parent: dict[str, Any], key: str, path: str, *, default: bool) -> bool:
    """A JSON boolean field."""
    value = parent.get(key)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad(path, "true or false", value)
    return value


def integer(
    parent: dict[str, Any], key: str, path: str, *, required: bool, minimum: int = 1
) -> int | None:
    """A JSON integer field ``>= minimum``."""
    value = parent.get(key)
    if value is None:
        if required:
            raise InvalidContent(f"Missing required field {path}.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise bad(path, f"an integer >= {minimum}", value)
    return value


def money(
    parent: dict[str, Any], key: str, path: str, *, default: Decimal | None, signed: bool = False
) -> Decimal | None:
    """An amount with at most two decimal places; non-negative unless ``signed`` (a
    discount item's line carries a negative rate and amount)."""
    value = parent.get(key)
    if value is None:
        return default
    if isinstance(value, (Decimal, float)):
        raise InvalidContent(
            f'Invalid content for field {path}: money must be a decimal string such as "19.99", '
            "not a JSON number with a fraction."
        )
    try:
        amount = to_money(value, field=path)
    except MoneyError as exc:
        raise InvalidContent(f"Invalid content for field {exc}.") from exc
    if amount < 0 and not signed:
        raise InvalidContent(
            f"Invalid content for field {path}: amount must be >= 0, got {value!r}."
        )
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MONEY_PLACES:
        raise InvalidContent(
            f"Invalid content for field {path}: at most {MONEY_PLACES} decimal places, "
            f"got {value!r}."
        )
    return amount


def iso_date(parent: dict[str, Any], key: str, path: str) -> str | None:
    """An optional ``YYYY-MM-DD`` field."""
    value = text(parent, key, path, required=False)
    if value is not None:
        try:
            date.fromisoformat(value)
        except ValueError:
            raise bad(path, "a date YYYY-MM-DD", value) from None
    return value


def ref(parent: dict[str, Any], key: str, path: str, *, required: bool) -> Ref | None:
    """A reference object with an ``id`` and/or an ``externalId`` (at least one)."""
    raw = obj(parent, key, path, required=required)
    if raw is None:
        return None
    ref_id = text(raw, "id", f"{path}.id", required=False, allow_int=True)
    external_id = text(raw, "externalId", f"{path}.externalId", required=False)
    if ref_id is None and external_id is None:
        raise InvalidContent(f"Missing required field {path}.id or {path}.externalId.")
    return Ref(id=ref_id, external_id=external_id)


def select(parent: dict[str, Any], key: str, path: str, choices: dict[str, str]) -> str | None:
    """A select field given as ``{"id": "C"}`` or plain ``"C"``; ``None`` when absent."""
    value = parent.get(key)
    if value is None:
        return None
    if isinstance(value, dict):
        value = value.get("id")
    if not isinstance(value, str) or value not in choices:
        allowed = ", ".join(f"{k} ({v})" for k, v in choices.items())
        raise bad(path, f"one of {allowed}", value)
    return value


def sublist(parent: dict[str, Any], key: str, path: str, *, required: bool) -> list[Any] | None:
    """The ``items`` of a sublist object such as ``{"item": {"items": [...]}}``."""
    container = obj(parent, key, path, required=required)
    if container is None:
        return None
    items = container.get("items")
    if not isinstance(items, list) or not items:
        raise InvalidContent(
            f"Invalid content for field {path}.items: expected a non-empty list of lines."
        )
    return items


def int_param(name: str, raw: str | None, default: int, low: int, high: int | None) -> int:
    """An integer query parameter within ``[low, high]``."""
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(
            f"Invalid value for the query parameter {name}: {raw!r} is not an integer."
        ) from None
    if value < low or (high is not None and value > high):
        bound = f"between {low} and {high}" if high is not None else f">= {low}"
        raise InvalidParameter(
            f"Invalid value for the query parameter {name}: {value} must be {bound}."
        )
    return value
