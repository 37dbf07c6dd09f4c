"""Shopify REST cursor pagination: opaque ``page_info`` tokens and keyset pages.

A ``page_info`` token carries the resource, the direction, the sort key of the page edge and
the filters of the first request (Shopify refuses filters next to ``page_info`` because they
live in the token). Pages are keyset slices, so orders created while a client pages through a
list never shift or repeat items it has not seen yet.
"""

from __future__ import annotations

import base64
import binascii
import json
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from mocks.common import jsonsafe
from mocks.shopify.errors import BadRequest

T = TypeVar("T")
SortKey = tuple[float | int, ...]
Direction = Literal["next", "prev"]


@dataclass(frozen=True, kw_only=True)
class Cursor:
    """The decoded content of a ``page_info`` token."""

    resource: str
    direction: Direction
    key: SortKey
    filters: dict[str, Any] = field(default_factory=dict)

    def encode(self) -> str:
        """Opaque, URL-safe token."""
        payload = {"r": self.resource, "d": self.direction, "k": list(self.key), "f": self.filters}
        raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
        return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(token: str, *, resource: str) -> Cursor:
    """Parse a ``page_info`` token issued for ``resource``; anything else is a 400."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = jsonsafe.loads(raw)
        direction = payload["d"]
        key = tuple(payload["k"])
        filters = payload["f"]
        ok = (
            payload["r"] == resource
            and direction in ("next", "prev")
            and isinstance(filters, dict)
            and all(isinstance(k, (int, float)) and not isinstance(k, bool) for k in key)
        )
    except (binascii.Error, ValueError, KeyError, TypeError):
        ok = False
    if not ok:
        raise BadRequest("page_info", "Invalid value.")
    return Cursor(resource=resource, direction=direction, key=key, filters=filters)


@dataclass(frozen=True, kw_only=True)
class Page(Generic[T]):
    """One page plus the cursors to its neighbours (``None`` at either end)."""

    items: list[T]
    next_cursor: Cursor | None
    prev_cursor: Cursor | None


def paginate(
    items: Sequence[T],
    sort_key: Callable[[T], SortKey],
    *,
    resource: str,
    limit: int,
    cursor: Cursor | None,
    filters: dict[str, Any],
) -> Page[T]:
    """Slice ``items`` (already filtered and sorted ascending by ``sort_key``) into a page."""
    if cursor is None:
        start = 0
    elif cursor.direction == "next":
        start = bisect_right(items, cursor.key, key=sort_key)
    else:
        end = bisect_left(items, cursor.key, key=sort_key)
        start = max(0, end - limit)
        limit = end - start
    page = list(items[start : start + limit])
    stop = start + len(page)
    next_cursor = prev_cursor = None
    if page and stop < len(items):
        next_cursor = Cursor(
            resource=resource, direction="next", key=sort_key(page[-1]), filters=filters
        )
    if page and start > 0:
        prev_cursor = Cursor(
            resource=resource, direction="prev", key=sort_key(page[0]), filters=filters
        )
    return Page(items=page, next_cursor=next_cursor, prev_cursor=prev_cursor)
