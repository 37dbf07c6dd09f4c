"""Tryton's JSON encoding, as Fulfil's API and its official client speak it (PLATFORMS 4.1).

Values JSON cannot carry travel as tagged objects, and the mock answers in them too:

- ``Decimal`` -> ``{"__class__": "Decimal", "decimal": "19.99"}`` (the string is exact);
- ``date`` -> ``{"__class__": "date", "year", "month", "day", "iso_string"}``;
- ``datetime`` -> ``{"__class__": "datetime", "year", ..., "microsecond", "iso_string"}``
  (naive UTC, as Tryton stores it).

Inputs accept the tagged forms, and money also as a plain decimal string or an integer; a JSON
number with a fraction is refused (it has been through a binary float already).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mocks.common.money import loads_exact
from mocks.fulfil.errors import UserError


class TaggedDecimal(Decimal):
    """A Decimal that arrived as ``{"__class__": "Decimal"}`` (exact by construction), told
    apart from a bare JSON fraction, which ``loads_exact`` also gives as ``Decimal``."""


def to_wire(value: Any) -> Any:
    """Recursively encode Decimal, date and datetime as Tryton's tagged objects."""
    if isinstance(value, Decimal):
        return {"__class__": "Decimal", "decimal": str(value)}
    if isinstance(value, datetime):
        return {
            "__class__": "datetime",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "hour": value.hour,
            "minute": value.minute,
            "second": value.second,
            "microsecond": value.microsecond,
            "iso_string": value.isoformat(),
        }
    if isinstance(value, date):
        return {
            "__class__": "date",
            "year": value.year,
            "month": value.month,
            "day": value.day,
            "iso_string": value.isoformat(),
        }
    if isinstance(value, dict):
        return {str(k): to_wire(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_wire(v) for v in value]
    return value


def _int(obj: dict[str, Any], key: str, default: int | None = None) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise UserError(f'Invalid tagged value: "{key}" must be an integer, got {value!r}.')
    return value


def _decode_tagged(obj: dict[str, Any]) -> Any:
    kind = obj["__class__"]
    try:
        if kind == "Decimal":
            text = obj.get("decimal")
            if not isinstance(text, str):
                raise UserError('Invalid Decimal: "decimal" must be a string such as "19.99".')
            result = TaggedDecimal(text)
            if not result.is_finite():
                raise UserError(f"Invalid Decimal: {text!r} is not a finite number.")
            return result
        if kind == "date":
            return date(_int(obj, "year"), _int(obj, "month"), _int(obj, "day"))
        if kind == "datetime":
            return datetime(
                _int(obj, "year"),
                _int(obj, "month"),
                _int(obj, "day"),
                _int(obj, "hour", 0),
                _int(obj, "minute", 0),
                _int(obj, "second", 0),
                _int(obj, "microsecond", 0),
            )
    except (InvalidOperation, ValueError) as exc:
        raise UserError(f"Invalid {kind} value: {exc}.") from None
    raise UserError(f"Unsupported __class__ {kind!r}: expected Decimal, date or datetime.")


def from_wire(value: Any) -> Any:
    """Recursively decode tagged objects; raw JSON fractions stay ``Decimal`` (loads_exact)."""
    if isinstance(value, dict):
        if "__class__" in value:
            return _decode_tagged(value)
        return {k: from_wire(v) for k, v in value.items()}
    if isinstance(value, list):
        return [from_wire(v) for v in value]
    return value


def parse_json(raw: bytes | str, *, what: str = "request body") -> Any:
    """Parse and decode; malformed JSON is a UserError (400), never a 500."""
    text = raw.encode() if isinstance(raw, str) else raw
    try:
        return from_wire(loads_exact(text))
    except ValueError as exc:
        raise UserError(f"The {what} is not valid JSON: {exc}.") from None


def timestamp_to_datetime(ts: float) -> datetime:
    """Simulated POSIX seconds as a naive UTC datetime (Tryton's storage form)."""
    return datetime.fromtimestamp(ts, tz=UTC).replace(tzinfo=None)


def money(value: Any, field: str) -> Decimal:
    """A Numeric field: Decimal (tagged), decimal string or integer; floats are refused."""
    if isinstance(value, bool):
        raise UserError(f'The value of field "{field}" must be a number, got {value!r}.')
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, TaggedDecimal):
        return Decimal(value)
    if isinstance(value, Decimal):
        # loads_exact gives a bare JSON fraction as Decimal too; it was a float in the sender.
        raise UserError(
            f'The value of field "{field}" must be a decimal string such as "19.99" or '
            '{"__class__": "Decimal", "decimal": "19.99"}, not a JSON number with a fraction.'
        )
    if isinstance(value, str):
        try:
            result = Decimal(value.strip())
        except InvalidOperation:
            raise UserError(
                f'The value of field "{field}" is not a decimal number: {value!r}.'
            ) from None
        if result.is_finite():
            return result
    raise UserError(f'The value of field "{field}" must be a decimal number, got {value!r}.')
