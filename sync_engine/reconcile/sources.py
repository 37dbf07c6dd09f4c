"""The paid sides of a reconciliation: a channel and the back office, one window at a time.

Each adapter turns a :class:`~sync_engine.reconcile.segments.Window` (or a set of calendar
buckets) into the platform's cheapest question about it, through the engine's own connectors
(so through their budgets), and spends one unit of the pass's :class:`Meter` per call:

- a channel can *count* a window (Shopify ``orders/count.json``: one call, no sums) and *list*
  one (pages of 250); with dense order numbers it can also list the orders after a known one
  (``since_id``), which finds the orders missing between two numbers in one call;
- the back office can *checksum* a whole level of buckets in one SuiteQL ``GROUP BY`` (count,
  distinct orders, id sum, money sums, cancellations, pages of 1000 groups) and list the
  sales orders of many buckets in one query.
"""

from __future__ import annotations

import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any, Protocol

from simclock import iso_utc
from sync_engine.connectors.shopify_rest import ShopifyRest, order_from_wire
from sync_engine.model import Order
from sync_engine.reconcile.meter import Meter
from sync_engine.reconcile.segments import Checksum, Level, Window, stamp

SHOPIFY_COUNT_CAP = 25_001
"""Shopify's REST counts stop here ("more than 25,000", PLATFORMS.md 1.3)."""
IN_LIST_MAX = 900
"""Values per ``IN (...)`` list: Oracle, which SuiteQL is, refuses more than 1000."""
CHANNEL_SIDE = "channel"
BACK_OFFICE_SIDE = "back_office"


class ChannelSource(Protocol):
    """What reconciliation asks of a channel, per window of creation time."""

    name: str
    numeric_ids: bool
    """Order ids are integers (an id sum is a checksum part)."""
    dense_numbers: bool
    """Order numbers run without gaps (Shopify: "order numbers are sequential")."""
    count_cap: int | None
    """A count at or above this is only a lower bound."""
    page_size: int

    async def count(self, window: Window, *, cancelled: bool = False) -> int:
        """Orders created in ``window`` (only the cancelled ones if asked): one call."""
        ...

    async def orders(self, window: Window, *, cancelled: bool = False) -> list[Order]:
        """Every order created in ``window``: a call per page."""
        ...

    async def orders_after(self, order_id: str, limit: int) -> list[Order]:
        """Up to ``limit`` orders with ids above ``order_id``, oldest first."""
        ...


@dataclass(frozen=True, kw_only=True)
class BackOfficeRow:
    """One sales order as the reconciliation listing shows it."""

    record_id: str
    external_id: str
    order_id: str
    created: str | None
    status: str
    total: Decimal | None = None
    tax: Decimal | None = None
    discount: Decimal | None = None
    shipping: Decimal | None = None

    @property
    def cancelled(self) -> bool:
        return self.status == "C"

    def to_json(self) -> dict[str, Any]:
        return {
            "record_id": self.record_id,
            "external_id": self.external_id,
            "status": self.status,
            **{
                name: str(value)
                for name in ("total", "tax", "discount", "shipping")
                if (value := getattr(self, name)) is not None
            },
        }


class SuiteQLClient(Protocol):
    """The part of the NetSuite-style connector (``NetSuiteRest``) reconciliation uses."""

    @property
    def dest(self) -> Any: ...

    def suiteql_pages(
        self,
        q: str,
        *,
        kind: str = ...,
        before_call: Callable[[], Awaitable[None]] | None = ...,
    ) -> AsyncIterator[list[dict[str, Any]]]: ...


class BackOfficeSource(Protocol):
    """What reconciliation asks of the back office, per level of calendar buckets."""

    page_size: int

    async def checksums(
        self,
        channel: str,
        level: Level,
        within: Window,
        *,
        parents: Iterable[str] = (),
        numeric_ids: bool,
    ) -> dict[str, Checksum]:
        """A checksum per non-empty bucket of ``level`` in ``within`` (only inside the
        ``parents`` buckets, if given): a call per page of groups."""
        ...

    async def rows(
        self, channel: str, within: Window, *, buckets: Iterable[str], order_ids: Iterable[str]
    ) -> list[BackOfficeRow]:
        """The sales orders in ``buckets`` (of ``within``) and those of ``order_ids`` wherever
        they are: a call per page."""
        ...


# ----------------------------------------------------------------------------- Shopify


def _shopify_bounds(window: Window) -> dict[str, str]:
    """Shopify compares ``created_at`` at whole seconds, both bounds inclusive."""
    last = math.ceil(window.end) - 1
    return {
        "created_at_min": iso_utc(math.floor(window.start), millis=False),
        "created_at_max": iso_utc(max(last, math.floor(window.start)), millis=False),
    }


class ShopifyOrders:
    """A Shopify store through its REST connector (``ShopifyRest``, the flows' own client)."""

    numeric_ids = True
    dense_numbers = True
    count_cap: int | None = SHOPIFY_COUNT_CAP

    def __init__(self, rest: ShopifyRest, *, name: str, meter: Meter) -> None:
        self.rest = rest
        self.name = name
        self.meter = meter
        self.page_size = rest.dest.page_limit

    def _named(self, wire: dict[str, Any]) -> Order:
        order = order_from_wire(wire)
        return order if order.channel == self.name else _renamed(order, self.name)

    async def count(self, window: Window, *, cancelled: bool = False) -> int:
        await self.meter.spend(CHANNEL_SIDE)
        params = {"status": "cancelled" if cancelled else "any", **_shopify_bounds(window)}
        return await self.rest.count_orders(params)

    async def _spend(self) -> None:
        await self.meter.spend(CHANNEL_SIDE)

    async def _listed(self, params: dict[str, Any], limit: int | None = None) -> list[Order]:
        out: list[Order] = []
        async for page in self.rest.order_pages(params, before_call=self._spend):
            out.extend(self._named(o) for o in page)
            if limit is not None and len(out) >= limit:
                break
        return out if limit is None else out[:limit]

    async def orders(self, window: Window, *, cancelled: bool = False) -> list[Order]:
        params = {
            "status": "cancelled" if cancelled else "any",
            "limit": self.page_size,
            **_shopify_bounds(window),
        }
        return [o for o in await self._listed(params) if o.created_ts in window]

    async def orders_after(self, order_id: str, limit: int) -> list[Order]:
        params = {"status": "any", "since_id": order_id, "limit": min(limit, self.page_size)}
        return await self._listed(params, limit)


def _renamed(order: Order, channel: str) -> Order:
    return replace(order, channel=channel)


# ----------------------------------------------------------------------------- NetSuite

CREATED = "custbody_rh_channel_created"
ORDER_ID = "custbody_rh_channel_order_id"


def literal(value: str) -> str:
    """A SuiteQL string literal (quotes doubled)."""
    return "'" + value.replace("'", "''") + "'"


def _in_lists(column: str, values: list[str]) -> str:
    chunks = [values[i : i + IN_LIST_MAX] for i in range(0, len(values), IN_LIST_MAX)]
    return " OR ".join(f"{column} IN ({', '.join(literal(v) for v in c)})" for c in chunks)


def _bucket_filter(buckets: Iterable[str]) -> str:
    by_length: dict[int, list[str]] = {}
    for key in buckets:
        by_length.setdefault(len(key), []).append(key)
    return " OR ".join(
        _in_lists(f"SUBSTR({CREATED}, 1, {length})", sorted(keys))
        for length, keys in sorted(by_length.items())
    )


def _money(row: dict[str, Any], key: str) -> Decimal | None:
    value = row.get(key)
    return None if value in (None, "") else Decimal(str(value))


class NetSuiteOrders:
    """The NetSuite-style back office through its REST connector's SuiteQL."""

    def __init__(self, rest: SuiteQLClient, *, meter: Meter) -> None:
        self.rest = rest
        self.meter = meter
        self.page_size: int = int(rest.dest.query_limit)

    async def _spend(self) -> None:
        await self.meter.spend(BACK_OFFICE_SIDE)

    async def _query(self, q: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.rest.suiteql_pages(
            q, kind="suiteql.reconcile", before_call=self._spend
        ):
            rows.extend(page)
        return rows

    @staticmethod
    def _where(channel: str, within: Window) -> list[str]:
        return [
            f"custbody_rh_channel = {literal(channel)}",
            f"{CREATED} >= {literal(stamp(within.start))}",
            f"{CREATED} < {literal(stamp(within.end))}",
        ]

    async def checksums(
        self,
        channel: str,
        level: Level,
        within: Window,
        *,
        parents: Iterable[str] = (),
        numeric_ids: bool,
    ) -> dict[str, Checksum]:
        where = self._where(channel, within)
        parent_filter = _bucket_filter(parents)
        if parent_filter:
            where.append(f"({parent_filter})")
        bucket = f"SUBSTR({CREATED}, 1, {level.prefix})"
        id_sum = f"SUM(CAST({ORDER_ID} AS INTEGER)) AS idsum, " if numeric_ids else ""
        q = (
            f"SELECT {bucket} AS bucket, COUNT(*) AS n, COUNT(DISTINCT {ORDER_ID}) AS orders, "
            f"{id_sum}SUM(foreigntotal) AS total, SUM(taxtotal) AS tax, "
            "SUM(discounttotal) AS discount, SUM(shippingcost) AS shipping, "
            "SUM(CASE WHEN status = 'C' THEN 1 ELSE 0 END) AS cancelled "
            f"FROM salesorder WHERE {' AND '.join(where)} GROUP BY {bucket} ORDER BY bucket"
        )
        out: dict[str, Checksum] = {}
        for row in await self._query(q):
            out[str(row["bucket"])] = Checksum(
                count=int(row["n"]),
                orders=int(row["orders"]),
                id_sum=int(row["idsum"]) if numeric_ids and "idsum" in row else None,
                total=_money(row, "total"),
                tax=_money(row, "tax"),
                discount=_money(row, "discount"),
                shipping=_money(row, "shipping"),
                cancelled=int(row.get("cancelled", 0)),
            )
        return out

    async def rows(
        self, channel: str, within: Window, *, buckets: Iterable[str], order_ids: Iterable[str]
    ) -> list[BackOfficeRow]:
        parts = []
        bucket_filter = _bucket_filter(buckets)
        if bucket_filter:
            parts.append(f"({' AND '.join(self._where(channel, within))} AND ({bucket_filter}))")
        ids = sorted(set(order_ids))
        if ids:
            parts.append(
                f"(custbody_rh_channel = {literal(channel)} AND ({_in_lists(ORDER_ID, ids)}))"
            )
        if not parts:
            return []
        q = (
            f"SELECT id, externalid, {ORDER_ID} AS orderid, {CREATED} AS created, status, "
            "foreigntotal AS total, taxtotal AS tax, discounttotal AS discount, "
            f"shippingcost AS shipping FROM salesorder WHERE {' OR '.join(parts)} ORDER BY id"
        )
        return [
            BackOfficeRow(
                record_id=str(row["id"]),
                external_id=str(row.get("externalid", "")),
                order_id=str(row.get("orderid", "")),
                created=row.get("created"),
                status=str(row.get("status", "")),
                total=_money(row, "total"),
                tax=_money(row, "tax"),
                discount=_money(row, "discount"),
                shipping=_money(row, "shipping"),
            )
            for row in await self._query(q)
        ]


_DIGITS = re.compile(r"\d+")


def order_number(order: Order) -> int | None:
    """The order's number as an integer (``#1001`` → 1001), or None."""
    found = _DIGITS.findall(order.number or "")
    return int(found[-1]) if found else None
