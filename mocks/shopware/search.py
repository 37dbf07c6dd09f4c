"""Search over rendered entities (pure functions): filter, sort, page, count, aggregate.

Documents are the entities' full wire dicts; a dotted field path walks objects and fans out over
lists, so ``lineItems.payload.productNumber`` matches an order when *any* line matches (Shopware's
to-many filter semantics). Comparisons follow MySQL as Shopware runs it (*): strings compare
case-insensitively; amounts (decimal strings) and integers compare as numbers; timestamps
compare as instants (``2025-11-24`` and ``2025-11-24T00:00:00.000+00:00`` are equal); NULL sorts
first ascending. Without a sort, rows come in creation order; with ``ids`` and no sort, in the
order of ``ids``.

``total`` by ``total-count-mode`` (Shopware's EntitySearcher): 0 = rows on this page,
1 = every matching row, 2 = rows from this page's start, at most ``limit * 6 + 1``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from mocks.shopware.criteria import Aggregation, Criteria, Filter
from simclock import parse_iso_utc

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}")
_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")


def values_at(doc: Any, path: str) -> list[Any]:
    """Every value at ``path`` (lists fan out); empty when the path is absent."""
    current = [doc]
    for part in path.split("."):
        following: list[Any] = []
        for item in current:
            for node in item if isinstance(item, list) else [item]:
                if isinstance(node, dict) and part in node:
                    value = node[part]
                    following.extend(value if isinstance(value, list) else [value])
        current = following
    return current


def _number(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return Decimal(int(value))
    if isinstance(value, (int, Decimal)):
        return Decimal(value)
    if isinstance(value, str) and _NUMBER.match(value.strip()):
        try:
            return Decimal(value.strip())
        except InvalidOperation:
            return None
    return None


def _instant(value: Any) -> float | None:
    if isinstance(value, str) and _DATE.match(value):
        try:
            return parse_iso_utc(value.replace(" ", "T"))
        except ValueError:
            return None
    return None


def _comparable(a: Any, b: Any) -> tuple[Any, Any] | None:
    """``a`` and ``b`` as values of one comparable type, or None if they do not compare."""
    na, nb = _number(a), _number(b)
    if na is not None and nb is not None:
        return na, nb
    ta, tb = _instant(a), _instant(b)
    if ta is not None and tb is not None:
        return ta, tb
    if isinstance(a, str) and isinstance(b, (str, int, Decimal)) and not isinstance(b, bool):
        return a.casefold(), str(b).casefold()
    return None


def _equal(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    pair = _comparable(a, b)
    return pair is not None and pair[0] == pair[1]


def _text(value: Any) -> str | None:
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, (int, Decimal)) and not isinstance(value, bool):
        return str(value)
    return None


def matches(doc: dict[str, Any], f: Filter) -> bool:
    """Whether ``doc`` passes ``f``."""
    if f.type == "multi":
        results = (matches(doc, q) for q in f.queries)
        return all(results) if f.operator == "AND" else any(results)
    if f.type == "not":
        results = (matches(doc, q) for q in f.queries)
        return not (all(results) if f.operator == "AND" else any(results))
    found = values_at(doc, f.field)
    if f.type == "equals":
        if f.value is None:
            return not found or any(v is None for v in found)
        return any(_equal(v, f.value) for v in found)
    if f.type == "equalsAny":
        return any(_equal(v, want) for v in found for want in f.value)
    if f.type in ("contains", "prefix", "suffix"):
        needle = str(f.value).casefold()
        texts = [t for t in (_text(v) for v in found) if t is not None]
        if f.type == "contains":
            return any(needle in t for t in texts)
        if f.type == "prefix":
            return any(t.startswith(needle) for t in texts)
        return any(t.endswith(needle) for t in texts)
    if f.type == "range":
        return any(_in_range(v, f.parameters) for v in found if v is not None)
    raise AssertionError(f"unknown filter type {f.type}")  # pragma: no cover


def _in_range(value: Any, params: Any) -> bool:
    checks = {
        "gte": lambda a, b: a >= b,
        "lte": lambda a, b: a <= b,
        "gt": lambda a, b: a > b,
        "lt": lambda a, b: a < b,
    }
    for key, bound in params.items():
        pair = _comparable(value, bound)
        if pair is None or not checks[key](pair[0], pair[1]):
            return False
    return True


def _sort_key(doc: dict[str, Any], path: str) -> tuple[int, Any]:
    found = [v for v in values_at(doc, path) if v is not None]
    if not found:
        return (0, 0)
    value = found[0]
    number = _number(value)
    if number is not None and not isinstance(value, bool):
        return (1, number)
    instant = _instant(value)
    if instant is not None:
        return (2, instant)
    return (3, str(value).casefold())


@dataclass(frozen=True, kw_only=True)
class SearchResult:
    """A page of documents with Shopware's ``total`` and the aggregation results."""

    total: int
    data: list[dict[str, Any]]
    aggregations: dict[str, Any]


def search(docs: Sequence[dict[str, Any]], criteria: Criteria) -> SearchResult:
    """Apply ``criteria`` to ``docs`` (in creation order)."""
    rows: list[dict[str, Any]] = list(docs)
    if criteria.ids is not None:
        wanted = {i: n for n, i in enumerate(criteria.ids)}
        rows = [d for d in rows if d.get("id") in wanted]
        if not criteria.sort:
            rows.sort(key=lambda d: wanted[d["id"]])
    rows = [d for d in rows if all(matches(d, f) for f in criteria.filters)]
    for sorting in reversed(criteria.sort):
        with_value = [d for d in rows if _sort_key(d, sorting.field)[0] != 0]
        without = [d for d in rows if _sort_key(d, sorting.field)[0] == 0]
        with_value.sort(key=lambda d: _sort_key(d, sorting.field), reverse=sorting.descending)
        rows = with_value + without if sorting.descending else without + with_value
    aggregations = {a.name: aggregate(rows, a) for a in criteria.aggregations}
    start = criteria.offset
    page = rows[start : start + criteria.limit]
    if criteria.total_count_mode == 1:
        total = len(rows)
    elif criteria.total_count_mode == 2:
        total = min(max(0, len(rows) - start), criteria.limit * 6 + 1)
    else:
        total = len(page)
    return SearchResult(total=total, data=page, aggregations=aggregations)


def _numbers(rows: Sequence[dict[str, Any]], path: str) -> Iterator[Decimal]:
    for doc in rows:
        for value in values_at(doc, path):
            number = _number(value)
            if number is not None and not isinstance(value, bool):
                yield number


def aggregate(rows: Sequence[dict[str, Any]], agg: Aggregation) -> dict[str, Any]:
    """One aggregation's result in Shopware's shape (numbers as decimal strings)."""
    if agg.type == "count":
        return {"count": sum(1 for d in rows if values_at(d, agg.field))}
    if agg.type == "terms":
        counts: dict[str, int] = {}
        for doc in rows:
            for key in {str(v) for v in values_at(doc, agg.field) if v is not None}:
                counts[key] = counts.get(key, 0) + 1
        return {"buckets": [{"key": k, "count": n} for k, n in sorted(counts.items())]}
    numbers = list(_numbers(rows, agg.field))
    if agg.type == "sum":
        return {"sum": str(sum(numbers, Decimal(0)))}
    if not numbers:
        return {agg.type: None}
    if agg.type == "avg":
        return {"avg": str(sum(numbers, Decimal(0)) / len(numbers))}
    return {agg.type: str(min(numbers) if agg.type == "min" else max(numbers))}
