"""Tryton search domains and orders, parsed from JSON and evaluated over records (PLATFORMS 4.1).

A domain is a list of clauses combined with AND, unless its first element is ``"OR"`` (or
``"AND"``); any element may itself be a nested domain::

    [["code", "=", "SKU1"]]
    ["OR", ["state", "=", "confirmed"], ["AND", ["state", "=", "processing"],
                                         ["total_amount", ">", {"__class__": "Decimal", ...}]]]

A clause is ``[field, operator, value]`` (a fourth element, Tryton's target model, is
ignored). ``field`` may be a dotted path through relations (``party.name``,
``contact_mechanisms.value``); a clause on a path that yields several values (one-to-many)
holds when any of them matches, as in Tryton. Operators: ``= != < <= > >= in, not in, like,
ilike, not like, not ilike`` (``%`` and ``_`` wildcards). A malformed domain, an unknown field
or operator, or a value of the wrong type is a UserError (400), never a 500.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from mocks.fulfil.errors import UserError

OPERATORS = frozenset(
    {"=", "!=", "<", "<=", ">", ">=", "in", "not in", "like", "ilike", "not like", "not ilike"}
)
_ORDER_DIRECTIONS = {"ASC": False, "DESC": True}


@dataclass(frozen=True, slots=True)
class Clause:
    """``[field, operator, value]``."""

    field: str
    operator: str
    value: Any


@dataclass(frozen=True, slots=True)
class Group:
    """Sub-domains joined by ``AND`` or ``OR``."""

    op: str
    items: tuple[Clause | Group, ...]


Node = Clause | Group
Getter = Callable[[str], list[Any]]
"""Values of a (dotted) field path on one record; several for one-to-many paths."""


def _is_clause(item: list[Any]) -> bool:
    return (
        len(item) in (3, 4)
        and isinstance(item[0], str)
        and item[0] not in ("AND", "OR")
        and isinstance(item[1], str)
    )


def parse_domain(raw: Any, check_field: Callable[[str], None]) -> Group:
    """Validate a JSON domain; ``check_field`` raises UserError for an unknown path."""
    if raw is None:
        return Group("AND", ())
    if not isinstance(raw, list):
        raise UserError(f"Invalid domain: expected a list of clauses, got {raw!r}.")
    op = "AND"
    items = raw
    if items and isinstance(items[0], str) and items[0] in ("AND", "OR"):
        op, items = items[0], items[1:]
    nodes: list[Node] = []
    for item in items:
        if not isinstance(item, list):
            raise UserError(
                f"Invalid domain element {item!r}: expected a clause [field, operator, value] "
                'or a nested domain; "AND"/"OR" may only come first.'
            )
        if _is_clause(item):
            field, operator, value = item[0], item[1], item[2]
            if operator not in OPERATORS:
                raise UserError(
                    f"Invalid domain operator {operator!r} in {item!r}; "
                    f"supported: {', '.join(sorted(OPERATORS))}."
                )
            check_field(field)
            if operator in ("in", "not in") and not isinstance(value, list):
                raise UserError(f"Invalid domain clause {item!r}: {operator} needs a list.")
            if "like" in operator and not isinstance(value, str):
                raise UserError(f"Invalid domain clause {item!r}: {operator} needs a string.")
            nodes.append(Clause(field, operator, value))
        else:
            nodes.append(parse_domain(item, check_field))
    return Group(op, tuple(nodes))


def _like(pattern: str, insensitive: bool) -> re.Pattern[str]:
    parts = []
    for ch in pattern:
        parts.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if insensitive else 0))


def _coerce(value: Any, like: Any) -> Any:
    """Bring a filter value to the type of the record value, where that is unambiguous."""
    if isinstance(like, Decimal) and isinstance(value, (str, int)) and not isinstance(value, bool):
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return value
    if isinstance(like, datetime) and isinstance(value, date) and not isinstance(value, datetime):
        return datetime(value.year, value.month, value.day)
    if isinstance(like, date) and not isinstance(like, datetime) and isinstance(value, datetime):
        return value.date()
    return value


def _compare(record_value: Any, clause: Clause) -> bool:
    op, value = clause.operator, clause.value
    if op in ("like", "ilike", "not like", "not ilike"):
        if record_value is None:
            return op.startswith("not")
        hit = _like(value, "ilike" in op).fullmatch(str(record_value)) is not None
        return not hit if op.startswith("not") else hit
    if op in ("in", "not in"):
        hit = any(record_value == _coerce(v, record_value) for v in value)
        return not hit if op == "not in" else hit
    target = _coerce(value, record_value)
    if op == "=":
        return bool(record_value == target)
    if op == "!=":
        return bool(record_value != target)
    if record_value is None or target is None:
        return False  # SQL: NULL compares to nothing
    try:
        if op == "<":
            return bool(record_value < target)
        if op == "<=":
            return bool(record_value <= target)
        if op == ">":
            return bool(record_value > target)
        return bool(record_value >= target)
    except TypeError:
        raise UserError(
            f"Invalid domain clause [{clause.field!r}, {op!r}, {value!r}]: "
            f"cannot compare a {type(record_value).__name__} field with that value."
        ) from None


def matches(node: Node, get: Getter) -> bool:
    """Whether the record behind ``get`` satisfies the domain."""
    if isinstance(node, Clause):
        values = get(node.field)
        if not values:
            # An empty one-to-many: only negative operators and "= None" can hold.
            return _compare(None, node)
        if node.operator in ("!=", "not in", "not like", "not ilike"):
            return all(_compare(v, node) for v in values)
        return any(_compare(v, node) for v in values)
    if node.op == "OR":
        return any(matches(item, get) for item in node.items)
    return all(matches(item, get) for item in node.items)


def parse_order(raw: Any, check_field: Callable[[str], None]) -> list[tuple[str, bool]]:
    """``[["field", "ASC"|"DESC"], ...]`` (or ``"field desc, other"``) -> (field, descending)."""
    if raw is None or raw == []:
        return []
    pairs: list[tuple[str, bool]] = []
    if isinstance(raw, str):
        items: list[Any] = [part.split() for part in raw.split(",") if part.strip()]
    elif isinstance(raw, list):
        items = raw
    else:
        raise UserError(f'Invalid order {raw!r}: expected [["field", "ASC"|"DESC"], ...].')
    for item in items:
        if isinstance(item, str):
            item = [item]
        if not isinstance(item, list) or not 1 <= len(item) <= 2:
            raise UserError(f'Invalid order element {item!r}: expected ["field", "ASC"|"DESC"].')
        field = item[0]
        direction = item[1] if len(item) == 2 and item[1] is not None else "ASC"
        if not isinstance(field, str) or not isinstance(direction, str):
            raise UserError(f'Invalid order element {item!r}: expected ["field", "ASC"|"DESC"].')
        key = direction.upper().split()[0] if direction.strip() else "ASC"
        if key not in _ORDER_DIRECTIONS:
            raise UserError(f"Invalid order direction {direction!r}: use ASC or DESC.")
        check_field(field)
        pairs.append((field, _ORDER_DIRECTIONS[key]))
    return pairs
