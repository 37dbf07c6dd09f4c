"""Field parsers of the write layer: one JSON value in, a typed value out, or a violation.

Shopware's DAL rejects a value of the wrong type with a constraint violation that points at the
field (``/0/stock``); these parsers raise :class:`FieldProblem` with Shopware's wording, and the
writers turn it into a :class:`mocks.shopware.errors.Violation`.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

from mocks.common.money import MoneyError, round_cents, to_money
from mocks.shopware.records import PriceEntry

UUID_PATTERN = re.compile(r"^[0-9a-fA-F]{32}$")
BLANK = "This value should not be blank."


class FieldProblem(ValueError):
    """A value a field cannot take; ``code`` is Shopware's (write constraint by default)."""

    def __init__(self, detail: str, code: str = "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION") -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


def uuid_value(raw: Any) -> str:
    """A 32-hex id (any case in, lower case out)."""
    if not isinstance(raw, str) or not UUID_PATTERN.match(raw):
        raise FieldProblem(f'The value "{raw}" is not a valid uuid.', "FRAMEWORK__INVALID_UUID")
    return raw.lower()


def optional_uuid(raw: Any) -> str | None:
    """A 32-hex id or null."""
    return None if raw is None else uuid_value(raw)


def string(raw: Any, *, max_length: int = 255) -> str:
    """A non-blank string."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise FieldProblem(BLANK)
    if not isinstance(raw, str):
        raise FieldProblem("This value should be of type string.")
    if len(raw) > max_length:
        raise FieldProblem(
            f"This value is too long. It should have {max_length} characters or less."
        )
    return raw


def optional_string(raw: Any) -> str | None:
    """A string or null."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise FieldProblem("This value should be of type string.")
    return raw


def integer(raw: Any) -> int:
    """A JSON integer (``5.0`` and ``"5"`` are refused, as Shopware's IntField does)."""
    if raw is None:
        raise FieldProblem(BLANK)
    if isinstance(raw, bool) or not isinstance(raw, int):
        raise FieldProblem("This value should be of type int.")
    return raw


def boolean(raw: Any) -> bool:
    """A JSON boolean (Shopware also takes 0/1)."""
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, int) and raw in (0, 1):
        return bool(raw)
    raise FieldProblem("This value should be of type bool.")


def json_object(raw: Any) -> dict[str, Any] | None:
    """An object or null (``customFields``)."""
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise FieldProblem("This value should be of type array.")
    return dict(raw)


def email(raw: Any) -> str:
    """A plausible e-mail address (lower-cased for comparison)."""
    value = string(raw)
    if "@" not in value or value.startswith("@") or value.endswith("@"):
        raise FieldProblem("This value is not a valid email address.")
    return value.strip()


def money(raw: Any) -> Decimal:
    """An amount: a decimal string or a JSON number (parsed exactly), rounded to cents."""
    try:
        return round_cents(to_money(raw))
    except MoneyError:
        raise FieldProblem("This value should be of type numeric.") from None


def price_list(raw: Any, *, default_currency_id: str) -> list[PriceEntry]:
    """``price``: ``[{"currencyId", "gross", "net", "linked"}]`` incl. the default currency."""
    if not isinstance(raw, list) or not raw:
        raise FieldProblem(BLANK if not raw else "This value should be of type array.")
    entries = []
    for item in raw:
        if not isinstance(item, dict):
            raise FieldProblem("Each price must be an object with currencyId, gross and net.")
        missing = [k for k in ("currencyId", "gross", "net") if item.get(k) is None]
        if missing:
            raise FieldProblem(f'The price is missing "{missing[0]}". {BLANK}')
        entries.append(
            PriceEntry(
                currency_id=uuid_value(item["currencyId"]),
                gross=money(item["gross"]),
                net=money(item["net"]),
                linked=boolean(item.get("linked", True)),
            )
        )
    if default_currency_id not in {e.currency_id for e in entries}:
        raise FieldProblem(
            "No price for default currency defined", "CONTENT__PRODUCT_PRICE_MISSING_DEFAULT"
        )
    return entries


def options(raw: Any) -> list[dict[str, str]]:
    """Configurator options ``[{"group": "Size", "option": "M"}]`` (*our flattened shape)."""
    if not isinstance(raw, list):
        raise FieldProblem("This value should be of type array.")
    result = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("group"), str)
            or not isinstance(item.get("option"), str)
        ):
            raise FieldProblem('Each option must be {"group": string, "option": string}.')
        result.append({"group": item["group"], "option": item["option"]})
    return result
