"""The free side of a reconciliation: what the engine itself saw, from its store.

Reading the store costs no API budget, so it stands in for the channel wherever it can: the
back office is checked against the engine's synced orders window by window, and the channel
only has to confirm that the engine saw every order (one count or a few listings).

Orders come from ``Store.orders_created_between`` and jobs from ``Store.jobs``.

What each synced order should look like in the back office is the mapping's answer
(:func:`~sync_engine.mapping.map_order`), computed once per order version and cached.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.errors import MappingError
from sync_engine.mapping.skus import ANY_SKU
from sync_engine.model import Order
from sync_engine.reconcile.segments import Summand, Window
from sync_engine.store import Store

CHANGES_FLOW = "order_changes"
"""The flow that carries edits and cancellations after an order's create (its job payload
holds the whole order at that version; the store's order row keeps the first version)."""

Job = tuple[str, dict[str, Any], str, float]
"""``(record key, payload, state, created_at)`` of one post-purchase job."""


def orders_created_between(
    store: Store, channel: str, start: float, end: float
) -> list[tuple[Order, str]]:
    """The channel's orders the engine recorded with ``start <= created_ts < end``, with their
    state (pending, synced, exception)."""
    return store.orders_created_between(channel, start, end)


def jobs_of(store: Store, flow: str) -> list[Job]:
    """Every job of ``flow``, any state."""
    return store.jobs(flow)


@dataclass(frozen=True, kw_only=True)
class Expected:
    """The header a back-office sales order should carry for one order version."""

    total: Decimal
    tax: Decimal
    discount: Decimal
    shipping: Decimal


@dataclass(frozen=True, kw_only=True)
class LedgerOrder:
    """One order as the engine recorded it."""

    order: Order
    """The newest version the engine knows: its first, or a later one a change carried."""
    state: str
    """``pending``, ``synced`` or ``exception`` (the store's ``OrderState``)."""
    change: str | None = None
    """State of the change job that carried ``order`` (``pending``, ``done``,
    ``exception``), or None when ``order`` is the version the order was created with."""

    @property
    def order_id(self) -> str:
        return self.order.order_id

    @property
    def created_ts(self) -> float:
        return self.order.created_ts


class EngineLedger(Protocol):
    """Where the engine's account of the channel's orders comes from."""

    def orders(self, channel: str, window: Window) -> list[LedgerOrder]:
        """The channel's orders created in ``window``, any state."""
        ...

    def held(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Orders held in the exception queue now, by (channel, order id)."""
        ...


class StoreLedger:
    """:class:`EngineLedger` over the engine's :class:`~sync_engine.store.Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def orders(self, channel: str, window: Window) -> list[LedgerOrder]:
        latest = self._changes(channel)
        out = []
        for order, state in orders_created_between(self.store, channel, window.start, window.end):
            change = latest.get(order.order_id)
            if change is not None and _newer(change[0], order):
                out.append(LedgerOrder(order=change[0], state=state, change=change[1]))
            else:
                out.append(LedgerOrder(order=order, state=state))
        return out

    def _changes(self, channel: str) -> dict[str, tuple[Order, str]]:
        """The newest change queued per order of ``channel`` (edits and cancellations)."""
        latest: dict[str, tuple[Order, str]] = {}
        for _, payload, state, _ in jobs_of(self.store, CHANGES_FLOW):
            raw = payload.get("order")
            if not isinstance(raw, dict) or raw.get("channel") != channel:
                continue
            order = Order.from_json(raw)
            known = latest.get(order.order_id)
            if known is None or _newer(order, known[0]):
                latest[order.order_id] = (order, state)
        return latest

    def held(self) -> dict[tuple[str, str], dict[str, Any]]:
        return {(str(r["channel"]), str(r["order_id"])): r for r in self.store.held_records()}


def _newer(candidate: Order, than: Order) -> bool:
    """A later version, or the same one cancelled (a cancellation is final)."""
    return (candidate.version, candidate.cancelled) > (than.version, than.cancelled)


class Expectations:
    """The back-office header of each order version, by the mapping rules (cached)."""

    def __init__(self, rules: MappingRules | None = None, *, max_cached: int = 500_000) -> None:
        self.rules = rules or MappingRules()
        self.max_cached = max_cached
        self._cache: dict[tuple[str, str, int], Expected | None] = {}

    def of(self, order: Order) -> Expected | None:
        """The expected header, or None when the mapping refuses the order (it cannot be in
        the back office; the engine holds it)."""
        key = (order.channel, order.order_id, order.version)
        if key in self._cache:
            return self._cache[key]
        try:
            mapped = map_order(order, self.rules, ANY_SKU)
            expected: Expected | None = Expected(
                total=mapped.total,
                tax=mapped.tax_total,
                discount=mapped.discount_total,
                shipping=mapped.shipping,
            )
        except MappingError:
            expected = None
        if len(self._cache) >= self.max_cached:
            self._cache.clear()
        self._cache[key] = expected
        return expected

    def summands(self, orders: Iterable[Order]) -> list[Summand]:
        """Each order's contribution to a back-office checksum (its expected header)."""
        out = []
        for order in orders:
            expected = self.of(order)
            out.append(
                Summand(
                    order_id=order.order_id,
                    created_ts=order.created_ts,
                    total=expected.total if expected else order.total,
                    tax=expected.tax if expected else order.tax_total,
                    discount=expected.discount if expected else order.discount_total,
                    shipping=expected.shipping if expected else order.shipping,
                    cancelled=order.cancelled,
                )
            )
        return out
