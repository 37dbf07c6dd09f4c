"""Exact money for the mocks: Decimal in, decimal strings on the wire, never a float."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from mocks.common import jsonsafe

CENT = Decimal("0.01")
MAX_DIGITS = 14
"""Whole-unit digits an amount may have (below 10^15), so cents never overflow a Decimal."""


class MoneyError(ValueError):
    """A value that should be an amount of money is not one."""


def to_money(value: object, *, field: str = "amount") -> Decimal:
    """Parse a decimal string or int as money; floats are refused (they are already inexact)."""
    if isinstance(value, (bool, float)):
        raise MoneyError(f"{field}: money must be a decimal string, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, (int, str)):
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation as exc:
            raise MoneyError(f"{field}: {value!r} is not a decimal amount") from exc
    else:
        raise MoneyError(f"{field}: money must be a decimal string, got {type(value).__name__}")
    if not result.is_finite():
        raise MoneyError(f"{field}: {value!r} is not a finite amount")
    if result and result.adjusted() > MAX_DIGITS:
        # Past this, rounding to cents overflows Decimal's precision (InvalidOperation).
        raise MoneyError(f"{field}: {value!r} is out of range")
    return result


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to cents, as the platforms round per line."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def fmt(value: Decimal) -> str:
    """Wire form of an amount: two decimals, e.g. ``"19.90"``."""
    return str(round_cents(value))


def loads_exact(raw: bytes) -> Any:
    """Parse JSON with every non-integer number as Decimal, so no amount passes through float."""
    return jsonsafe.loads(raw, parse_float=Decimal)
