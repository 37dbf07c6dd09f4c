"""Relay connections as Shopify serves them: opaque cursors, ``first``/``last``, both page flags.

A cursor is base64 of ``{"last_id": .., "last_value": ..}`` (the shape Shopify's own cursors
decode to): the sort value and id of the node it points at. Paging walks the *ordered* list by
position relative to that key, so it stays correct when nodes are added between pages.
``hasNextPage``/``hasPreviousPage`` are both exact (Shopify reports both, unlike bare Relay).
Also: global ids (``gid://shopify/Order/5001``) and Shopify's decimal rendering.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any, TypeVar

from graphql import GraphQLError

from mocks.common import jsonsafe

T = TypeVar("T")
SortKey = tuple[Any, int]
"""(sort value, legacy id): the id breaks ties so the order is total."""

GID_PREFIX = "gid://shopify/"


def gid(kind: str, legacy_id: int | str) -> str:
    """``gid("Order", 5001)`` -> ``"gid://shopify/Order/5001"``."""
    return f"{GID_PREFIX}{kind}/{legacy_id}"


def parse_gid(value: object, kind: str) -> int | None:
    """The numeric id of a ``gid://shopify/{kind}/N`` (query string ignored), else None."""
    if not isinstance(value, str) or not value.startswith(f"{GID_PREFIX}{kind}/"):
        return None
    tail = value[len(GID_PREFIX) + len(kind) + 1 :].split("?", 1)[0]
    return int(tail) if tail.isdecimal() else None


def shopify_decimal(value: Decimal) -> str:
    """Shopify's GraphQL ``Decimal``/``Money``: trailing zeros dropped but one decimal kept.

    ``Decimal("20.00")`` -> ``"20.0"``, ``Decimal("7.35")`` -> ``"7.35"`` (REST would say
    ``"20.00"``; a connector that compares strings across the two APIs is wrong, and this
    mock should show it).
    """
    text = format(value.normalize(), "f")
    return text if "." in text else f"{text}.0"


def encode_cursor(key: SortKey) -> str:
    """Opaque cursor for a node's sort key."""
    raw = json.dumps({"last_id": key[1], "last_value": key[0]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> SortKey:
    """The sort key inside ``cursor``; a cursor not made here is a GraphQL error."""
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        data = jsonsafe.loads(base64.urlsafe_b64decode(padded.encode()))
        last_id = data["last_id"]
        if not isinstance(last_id, int):
            raise TypeError(last_id)
        return (data["last_value"], last_id)
    except (binascii.Error, ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise GraphQLError(f"Invalid cursor for current pagination sort: {cursor!r}") from exc


def _comparable(key: SortKey) -> tuple[Any, ...]:
    # None sorts first so that nullable sort values (e.g. email) still order totally.
    return (key[0] is not None, key[0], key[1])


def paginate(
    items: Sequence[T],
    key: Callable[[T], SortKey],
    args: dict[str, Any],
    *,
    reverse: bool = False,
) -> dict[str, Any]:
    """One page of ``items`` (any order; sorted here by ``key``) as a connection dict.

    ``args`` holds ``first``/``last``/``after``/``before``; the cost analysis has already
    required one of first/last and bounded it, so here they are trusted.
    """
    ordered = sorted(items, key=lambda it: _comparable(key(it)), reverse=reverse)
    keys = [_comparable(key(it)) for it in ordered]

    def beyond(k: tuple[Any, ...], cursor: tuple[Any, ...]) -> bool:
        return k < cursor if reverse else k > cursor

    start, stop = 0, len(ordered)
    if args.get("after") is not None:
        after = _comparable(decode_cursor(args["after"]))
        start = next((i for i, k in enumerate(keys) if beyond(k, after)), len(ordered))
    if args.get("before") is not None:
        before = _comparable(decode_cursor(args["before"]))
        stop = next((i for i, k in enumerate(keys) if not beyond(before, k)), len(ordered))
    stop = max(start, stop)
    if args.get("first") is not None:
        stop = min(stop, start + max(0, int(args["first"])))
    if args.get("last") is not None:
        start = max(start, stop - max(0, int(args["last"])))
    page = ordered[start:stop]
    edges = [{"cursor": encode_cursor(key(node)), "node": node} for node in page]
    return {
        "edges": edges,
        "nodes": list(page),
        "pageInfo": {
            "hasNextPage": stop < len(ordered),
            "hasPreviousPage": start > 0,
            "startCursor": edges[0]["cursor"] if edges else None,
            "endCursor": edges[-1]["cursor"] if edges else None,
        },
    }
