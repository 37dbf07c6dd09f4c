"""The store contract: every durable operation the engine performs, with its semantics.

Three implementations honour it (``memory``, ``sqlite``, ``postgres``); one test suite
(``tests/unit/test_store_contract.py``) runs against all three, so the rules written here are
checked, not just stated. Times are simulated POSIX seconds from the engine's injected clock;
engines sharing one store must share one time base (a real clock, or one virtual clock).
"""

from __future__ import annotations

import abc
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from sync_engine.model import Order


class OrderState(StrEnum):
    """Where an order stands in the queue."""

    PENDING = "pending"
    SYNCED = "synced"
    EXCEPTION = "exception"


class ExceptionState(StrEnum):
    """Triage state of an exception group (one fingerprint)."""

    NEW = "new"
    RECURRING = "recurring"
    REPLAYING = "replaying"
    """Its held orders were requeued; becomes ``resolved`` once none of them is left unsynced,
    ``recurring`` if one fails again."""
    RESOLVED = "resolved"
    IGNORED = "ignored"


SETTABLE_EXCEPTION_STATES = frozenset(
    {ExceptionState.NEW, ExceptionState.RECURRING, ExceptionState.RESOLVED, ExceptionState.IGNORED}
)
"""States an operator may set directly; ``replaying`` is reached only by a replay."""

EXCEPTION_FIELDS = (
    "fingerprint",
    "flow",
    "record_key",
    "reason",
    "code",
    "state",
    "first_seen",
    "last_seen",
    "count",
)
"""Keys of every dict :meth:`Store.exceptions` returns."""


@dataclass(frozen=True, kw_only=True)
class DueOrder:
    """An order waiting for (another) attempt to reach the back office."""

    order: Order
    attempts: int


@dataclass(frozen=True, kw_only=True)
class DueJob:
    """A post-purchase effect waiting for (another) attempt."""

    flow: str
    record_key: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, kw_only=True)
class StockRow:
    """The ledger for one SKU at one channel location."""

    sku: str
    location: str
    """Ledger key of a channel location: ``{channel}:{location id}``."""
    channel_est: int | None
    erp_ats: int | None


def check_settable(state: str) -> ExceptionState:
    """The state an operator asked for, or ValueError naming the ones allowed."""
    try:
        parsed = ExceptionState(state)
    except ValueError:
        parsed = None
    if parsed not in SETTABLE_EXCEPTION_STATES:
        allowed = ", ".join(sorted(SETTABLE_EXCEPTION_STATES))
        raise ValueError(f"exception state {state!r} is not one of: {allowed}")
    return ExceptionState(state)


class Store(abc.ABC):
    """The engine's durable state: webhook inbox, order queue, stock ledger, exceptions, cursors.

    Every write that acknowledges something to the outside world (a webhook's 200, an order
    marked synced) is durable when the call returns, so a crash at any instruction loses
    nothing. Each method is one transaction.
    """

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; the data stays (except in the memory store)."""

    # -- ingress -----------------------------------------------------------------------------

    @abc.abstractmethod
    def accept_webhook(
        self,
        *,
        webhook_id: str,
        topic: str,
        body: bytes,
        order: Order | None,
        now: float,
        sales_location: str,
    ) -> bool:
        """Record a delivery and its order in one transaction. False if already received."""

    @abc.abstractmethod
    def ingest_orders(self, orders: Iterable[Order], *, now: float, sales_location: str) -> int:
        """Record orders found by polling; returns how many were new to us.

        An order new to us is queued pending (due ``now``) and its lines are taken off our
        estimate of the channel at ``sales_location``, but only if the order is newer than the
        last channel read (``order_num > read_marker``): older ones are already in that read.
        """

    # -- order queue -------------------------------------------------------------------------

    @abc.abstractmethod
    def lease_due_orders(
        self, owner: str, now: float, limit: int, lease_seconds: float, *, scarce_below: int
    ) -> list[DueOrder]:
        """Atomically claim up to ``limit`` due pending orders for ``owner``.

        Due: pending, ``next_attempt_at <= now`` and not under a live lease (a lease whose
        ``lease_until`` is before ``now`` has expired: its engine died or stalled, and the order
        is anyone's again). Claimed orders are leased until ``now + lease_seconds``; no other
        caller, in this process or another, gets them meanwhile, not even ``owner`` itself.

        Orders holding a SKU whose back-office stock is below ``scarce_below`` go first: while
        they wait, other channels can sell the same units in the back office, which is how a
        backlog turns into oversold stock. Within each group, by ``next_attempt_at`` then
        order number.
        """

    @abc.abstractmethod
    def release_leases(self, owner: str) -> int:
        """Give back every lease ``owner`` holds (a clean shutdown); returns how many."""

    @abc.abstractmethod
    def mark_synced(self, order: Order, *, now: float) -> None:
        """The back office has the order (and has allocated its units). Clears the lease.

        If the order was replayed from an exception group and it was the group's last unsynced
        order, a ``replaying`` group becomes ``resolved``.
        """

    @abc.abstractmethod
    def mark_retry(self, order: Order, *, next_attempt_at: float, error: str) -> None:
        """Count a failed attempt and schedule the next one. Clears the lease."""

    @abc.abstractmethod
    def mark_exception(
        self, order: Order, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        """Hold the order with its reason; it stays visible until resolved, never dropped.

        Clears the lease and records ``fingerprint`` on the order. The exception group counts
        one more occurrence; a ``resolved`` or ``replaying`` group becomes ``recurring``.
        """

    @abc.abstractmethod
    def orders_created_between(
        self, channel: str, start: float, end: float
    ) -> list[tuple[Order, str]]:
        """The channel's orders recorded with ``start <= created_ts < end``, with their state
        (reconciliation's free side: what the engine saw, at no API cost)."""

    @abc.abstractmethod
    def get_order(self, channel: str, order_id: str) -> tuple[Order, str] | None:
        """An order as recorded and its state (pending, synced, exception), or None."""

    @abc.abstractmethod
    def order_counts(self) -> dict[str, int]:
        """Orders per state; ``pending``, ``synced`` and ``exception`` are always present."""

    @abc.abstractmethod
    def last_order_received_at(self) -> float | None:
        """When we last recorded a new order, or None if never."""

    @abc.abstractmethod
    def max_order_num(self) -> int:
        """The highest channel order number recorded (0 if none)."""

    # -- exception queue ---------------------------------------------------------------------

    @abc.abstractmethod
    def exceptions(self, state: str | None = None, flow: str | None = None) -> list[dict[str, Any]]:
        """Exception groups, most recently seen first, optionally filtered.

        Each dict has exactly the keys in :data:`EXCEPTION_FIELDS`.
        """

    @abc.abstractmethod
    def held_records(self) -> list[dict[str, Any]]:
        """Every record held in the exception queue now: channel, order id, fingerprint,
        reason. One row per record (the group rows of ``exceptions`` keep only a sample)."""

    @abc.abstractmethod
    def set_exception_state(self, fingerprint: str, state: str, now: float) -> bool:
        """Triage a group (new, recurring, resolved or ignored); False if the fingerprint is
        unknown. ValueError for any other state. Held orders are not touched: see replay."""

    @abc.abstractmethod
    def replay_exceptions(self, fingerprint: str, now: float) -> int:
        """Requeue the orders held under ``fingerprint``: pending, due ``now``, attempts kept.

        Returns how many were requeued. If any were, the group becomes ``replaying`` (then
        ``resolved`` when they have all synced, ``recurring`` if one fails again).
        """

    # -- stock ledger ------------------------------------------------------------------------

    @abc.abstractmethod
    def held_quantities(self, sales_location: str) -> dict[str, int]:
        """Units sold on the channel that our last back-office reading may not include, per SKU.

        An order counts until a back-office read that *started after* we saw it synced: a read
        racing with the order's allocation may or may not include it, so we assume not. That
        can count a unit twice for a moment (showing less than we could), never zero times
        (which would show stock the back office no longer has).
        """

    @abc.abstractmethod
    def set_erp_levels(self, levels: dict[tuple[str, str], int], *, read_started: float) -> int:
        """Store back-office ATS from a read that started at ``read_started``.

        Returns how many keys were updated (an older read never replaces a newer one).
        """

    @abc.abstractmethod
    def reset_channel_levels(self, levels: dict[tuple[str, str], int], *, marker: int) -> None:
        """Replace our account of the channel with a fresh read that covers orders ≤ marker."""

    @abc.abstractmethod
    def apply_push(self, sku: str, location: str, delta: int) -> None:
        """The channel accepted an adjustment of ``delta`` (no-op for an unknown key)."""

    @abc.abstractmethod
    def stock_rows(self) -> list[StockRow]:
        """The whole ledger, by SKU then location."""

    # -- cursors -----------------------------------------------------------------------------

    # -- post-purchase jobs ------------------------------------------------------------------

    @abc.abstractmethod
    def enqueue_jobs(
        self,
        flow: str,
        jobs: Iterable[tuple[str, dict[str, Any]]],
        *,
        now: float,
        cursor: tuple[str, str] | None = None,
    ) -> int:
        """Record ``(record_key, payload)`` jobs of ``flow``, each once, and move ``cursor``
        (a kv key and value) in the same transaction: a crash never loses a found record and
        never records one twice. Returns how many were new."""

    @abc.abstractmethod
    def due_jobs(self, flow: str, now: float, limit: int) -> list[DueJob]:
        """Pending jobs of ``flow`` due by ``now``, oldest first."""

    @abc.abstractmethod
    def job_done(self, flow: str, record_key: str, *, now: float) -> None:
        """The effect is applied."""

    @abc.abstractmethod
    def job_retry(self, flow: str, record_key: str, *, next_attempt_at: float, error: str) -> None:
        """Count a failed attempt and schedule the next one."""

    @abc.abstractmethod
    def job_exception(
        self, job: DueJob, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        """Hold the job with its reason in the exception queue (group ``fingerprint``)."""

    @abc.abstractmethod
    def jobs(self, flow: str) -> list[tuple[str, dict[str, Any], str, float]]:
        """Every job of ``flow`` in any state: (record key, payload, state, created_at)."""

    @abc.abstractmethod
    def job_counts(self) -> dict[str, dict[str, int]]:
        """Jobs per flow and state."""

    @abc.abstractmethod
    def held_jobs(self) -> list[dict[str, Any]]:
        """Every job held now: flow, record key, fingerprint, reason."""

    @abc.abstractmethod
    def get(self, key: str) -> str | None:
        """A durable cursor value, or None."""

    @abc.abstractmethod
    def put(self, key: str, value: str) -> None:
        """Set a durable cursor value."""
