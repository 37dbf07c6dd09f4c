"""Shopify's search syntax for the ``query:`` argument: ``created_at:>=2026-11-27 id:>5001``.

Terms are separated by whitespace (an explicit ``AND`` is accepted and ignored); a term is
``field:value`` with an optional comparator (``>``, ``>=``, ``<``, ``<=``) before the value,
which may be quoted. Like Shopify, a term the resource does not know is *ignored*, not an
error; Shopify reports it under ``extensions.search[].warnings`` and so do we, because a
connector whose filter silently matches everything is exactly the bug a rehearsal should show.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import GraphQLError

from simclock import parse_iso_utc

_TERM = re.compile(r"^(?P<field>[a-z_]+):(?P<op>>=|<=|>|<|=)?(?P<value>.*)$", re.IGNORECASE)


@dataclass(frozen=True, slots=True, kw_only=True)
class Term:
    """One ``field:[op]value`` term."""

    field: str
    op: str
    value: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Warning_:
    """A term that was ignored, as ``extensions.search[].warnings`` reports it."""

    field: str
    message: str

    def as_dict(self) -> dict[str, str]:
        """Wire shape."""
        return {"field": self.field, "message": self.message}


def parse_terms(query: str | None) -> list[Term | Warning_]:
    """Split a search string into terms; free text becomes a warning (no full-text search)."""
    if not query:
        return []
    try:
        tokens = shlex.split(query)
    except ValueError as exc:  # unbalanced quotes
        raise GraphQLError(f"Invalid search query {query!r}: {exc}") from exc
    out: list[Term | Warning_] = []
    for token in tokens:
        if token.upper() == "AND":
            continue
        match = _TERM.match(token)
        if match is None:
            out.append(
                Warning_(field="default", message=f"Free-text search is not supported: {token!r}")
            )
            continue
        value = match["value"].strip("'\"")
        out.append(Term(field=match["field"].lower(), op=match["op"] or "=", value=value))
    return out


def compare(left: Any, op: str, right: Any) -> bool:
    """``left op right`` for the five comparators."""
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    return bool(left == right)


def time_value(text: str) -> float:
    """An ISO timestamp or a date as POSIX seconds; a bad one is a GraphQL error."""
    try:
        return parse_iso_utc(text if "T" in text else f"{text}T00:00:00Z")
    except ValueError as exc:
        raise GraphQLError(f"Invalid date in search query: {text!r}") from exc


def int_value(text: str) -> int:
    """An integer term value (``id:>5001``); a bad one is a GraphQL error."""
    if not text.lstrip("-").isdecimal():
        raise GraphQLError(f"Invalid integer in search query: {text!r}")
    return int(text)


Field = Callable[[Any, Term], bool]
"""How one search field tests one record."""


def build_filter(
    query: str | None, fields: Mapping[str, Field], resource: str
) -> tuple[Callable[[Any], bool], list[dict[str, Any]]]:
    """A predicate for ``query`` over ``fields``, and the warnings for unknown terms."""
    terms: list[Term] = []
    warnings: list[Warning_] = []
    for item in parse_terms(query):
        if isinstance(item, Warning_):
            warnings.append(item)
        elif item.field in fields:
            terms.append(item)
        else:
            warnings.append(
                Warning_(field=item.field, message="Invalid search field for this query.")
            )

    def predicate(record: Any) -> bool:
        return all(fields[t.field](record, t) for t in terms)

    report = (
        [{"path": [resource], "query": query, "warnings": [w.as_dict() for w in warnings]}]
        if warnings
        else []
    )
    return predicate, report
