"""The store contract in plain Python, for fast tests (the ``memory://`` URL).

Same semantics as the SQL stores, checked by the same contract suite; nothing survives the
process. One lock makes every method atomic, so engines in one process (or threads) may
share an instance and lease from it concurrently.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sync_engine.model import Order
from sync_engine.store.contract import (
    EXCEPTION_FIELDS,
    DueJob,
    DueOrder,
    ExceptionState,
    OrderState,
    StockRow,
    Store,
    check_settable,
)


@dataclass(kw_only=True)
class _OrderRow:
    order: Order
    order_num: int
    received_at: float
    state: OrderState = OrderState.PENDING
    attempts: int = 0
    next_attempt_at: float = 0.0
    synced_at: float | None = None
    last_error: str | None = None
    lease_owner: str | None = None
    lease_until: float | None = None
    exception_fp: str | None = None

    def release(self) -> None:
        self.lease_owner = None
        self.lease_until = None


@dataclass(kw_only=True)
class _StockRow:
    channel_est: int | None = None
    read_marker: int = 0
    erp_ats: int | None = None
    erp_read_at: float | None = None


@dataclass(kw_only=True)
class _ExceptionRow:
    fingerprint: str
    flow: str
    record_key: str
    reason: str
    code: str | None
    state: ExceptionState
    first_seen: float
    last_seen: float
    count: int
    sample: Any
    """The first record held under the group (an order, or a job's payload)."""
    state_changed_at: float

    def as_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in EXCEPTION_FIELDS} | {
            "state": self.state.value
        }


@dataclass(kw_only=True)
class _JobRow:
    flow: str
    record_key: str
    payload: dict[str, Any]
    created_at: float
    next_attempt_at: float
    state: str = "pending"
    attempts: int = 0
    last_error: str | None = None
    exception_fp: str | None = None


class MemoryStore(Store):
    """Dicts behind one lock; the reference for what the SQL stores must do."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._inbox: set[str] = set()
        self._orders: dict[tuple[str, str], _OrderRow] = {}
        self._stock: dict[tuple[str, str], _StockRow] = {}
        self._exceptions: dict[str, _ExceptionRow] = {}
        self._kv: dict[str, str] = {}
        self._jobs: dict[tuple[str, str], _JobRow] = {}

    def close(self) -> None:
        """Nothing to release; the data stays reachable through this instance."""

    # -- ingress -----------------------------------------------------------------------------

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
        with self._lock:
            if webhook_id in self._inbox:
                return False
            self._inbox.add(webhook_id)
            if order is not None:
                self._ingest(order, now=now, sales_location=sales_location)
            return True

    def ingest_orders(self, orders: Iterable[Order], *, now: float, sales_location: str) -> int:
        with self._lock:
            return sum(self._ingest(o, now=now, sales_location=sales_location) for o in orders)

    def _ingest(self, order: Order, *, now: float, sales_location: str) -> bool:
        key = (order.channel, order.order_id)
        if key in self._orders:
            return False
        num = order.seq
        self._orders[key] = _OrderRow(
            order=order, order_num=num, received_at=now, next_attempt_at=now
        )
        for line in order.lines:
            # Orders newer than our last read of the channel are not in our estimate yet.
            row = self._stock.get((line.sku, sales_location))
            if row is not None and row.channel_est is not None and row.read_marker < num:
                row.channel_est -= line.quantity
        return True

    # -- order queue -------------------------------------------------------------------------

    def _scarce(self, order: Order, scarce_below: int) -> bool:
        """Does the order hold a SKU the back office is short of, at any location?"""
        skus = {line.sku for line in order.lines}
        return any(
            sku in skus and row.erp_ats is not None and row.erp_ats < scarce_below
            for (sku, _), row in self._stock.items()
        )

    def lease_due_orders(
        self, owner: str, now: float, limit: int, lease_seconds: float, *, scarce_below: int
    ) -> list[DueOrder]:
        with self._lock:
            due = [
                row
                for row in self._orders.values()
                if row.state is OrderState.PENDING
                and row.next_attempt_at <= now
                and (row.lease_until is None or row.lease_until < now)
            ]
            due.sort(
                key=lambda r: (
                    not self._scarce(r.order, scarce_below),
                    r.next_attempt_at,
                    r.order_num,
                )
            )
            taken = due[: max(0, limit)]
            for row in taken:
                row.lease_owner = owner
                row.lease_until = now + lease_seconds
            return [DueOrder(order=row.order, attempts=row.attempts) for row in taken]

    def release_leases(self, owner: str) -> int:
        with self._lock:
            mine = [
                r
                for r in self._orders.values()
                if r.lease_owner == owner and r.lease_until is not None
            ]
            for row in mine:
                row.release()
            return len(mine)

    def mark_synced(self, order: Order, *, now: float) -> None:
        with self._lock:
            row = self._orders.get((order.channel, order.order_id))
            if row is None:
                return
            if row.state is not OrderState.SYNCED:
                row.state, row.synced_at, row.last_error = OrderState.SYNCED, now, None
                row.release()
            group = self._exceptions.get(row.exception_fp or "")
            if group is None or group.state is not ExceptionState.REPLAYING:
                return
            if all(
                r.state is OrderState.SYNCED
                for r in self._orders.values()
                if r.exception_fp == group.fingerprint
            ):
                group.state, group.state_changed_at = ExceptionState.RESOLVED, now

    def mark_retry(self, order: Order, *, next_attempt_at: float, error: str) -> None:
        with self._lock:
            row = self._orders.get((order.channel, order.order_id))
            if row is not None:
                row.attempts += 1
                row.next_attempt_at, row.last_error = next_attempt_at, error
                row.release()

    def mark_exception(
        self, order: Order, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        with self._lock:
            row = self._orders.get((order.channel, order.order_id))
            if row is not None:
                row.state, row.last_error = OrderState.EXCEPTION, reason
                row.attempts += 1
                row.exception_fp = fingerprint
                row.release()
            self._hold_in_group(
                fingerprint,
                flow="orders",
                record_key=order.external_id,
                reason=reason,
                code=code,
                now=now,
                sample=order,
            )

    def held_records(self) -> list[dict[str, Any]]:
        with self._lock:
            rows = sorted(
                (r for r in self._orders.values() if r.state is OrderState.EXCEPTION),
                key=lambda r: r.order_num,
            )
            return [
                {
                    "channel": r.order.channel,
                    "order_id": r.order.order_id,
                    "fingerprint": r.exception_fp,
                    "reason": r.last_error,
                }
                for r in rows
            ]

    def _hold_in_group(
        self,
        fingerprint: str,
        *,
        flow: str,
        record_key: str,
        reason: str,
        code: str | None,
        now: float,
        sample: Any,
    ) -> None:
        group = self._exceptions.get(fingerprint)
        if group is None:
            self._exceptions[fingerprint] = _ExceptionRow(
                fingerprint=fingerprint,
                flow=flow,
                record_key=record_key,
                reason=reason,
                code=code,
                state=ExceptionState.NEW,
                first_seen=now,
                last_seen=now,
                count=1,
                sample=sample,
                state_changed_at=now,
            )
            return
        group.last_seen = now
        group.count += 1
        # A fix that did not hold is a recurrence; an ignored group stays ignored.
        if group.state in (ExceptionState.RESOLVED, ExceptionState.REPLAYING):
            group.state, group.state_changed_at = ExceptionState.RECURRING, now

    # -- post-purchase jobs ------------------------------------------------------------------

    def enqueue_jobs(
        self,
        flow: str,
        jobs: Iterable[tuple[str, dict[str, Any]]],
        *,
        now: float,
        cursor: tuple[str, str] | None = None,
    ) -> int:
        with self._lock:
            new = 0
            for key, payload in jobs:
                if (flow, key) not in self._jobs:
                    self._jobs[(flow, key)] = _JobRow(
                        flow=flow,
                        record_key=key,
                        payload=dict(payload),
                        created_at=now,
                        next_attempt_at=now,
                    )
                    new += 1
            if cursor is not None:
                self._kv[cursor[0]] = cursor[1]
            return new

    def due_jobs(self, flow: str, now: float, limit: int) -> list[DueJob]:
        with self._lock:
            due = sorted(
                (
                    j
                    for j in self._jobs.values()
                    if j.flow == flow and j.state == "pending" and j.next_attempt_at <= now
                ),
                key=lambda j: (j.next_attempt_at, j.created_at, j.record_key),
            )[:limit]
            return [
                DueJob(
                    flow=flow, record_key=j.record_key, payload=dict(j.payload), attempts=j.attempts
                )
                for j in due
            ]

    def job_done(self, flow: str, record_key: str, *, now: float) -> None:
        with self._lock:
            job = self._jobs.get((flow, record_key))
            if job is not None:
                job.state, job.last_error = "done", None

    def job_retry(self, flow: str, record_key: str, *, next_attempt_at: float, error: str) -> None:
        with self._lock:
            job = self._jobs.get((flow, record_key))
            if job is not None:
                job.attempts += 1
                job.next_attempt_at, job.last_error = next_attempt_at, error

    def job_exception(
        self, job: DueJob, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        with self._lock:
            row = self._jobs.get((job.flow, job.record_key))
            if row is not None:
                row.state, row.last_error, row.exception_fp = "exception", reason, fingerprint
                row.attempts += 1
            self._hold_in_group(
                fingerprint,
                flow=job.flow,
                record_key=job.record_key,
                reason=reason,
                code=code,
                now=now,
                sample=job.payload,
            )

    def job_counts(self) -> dict[str, dict[str, int]]:
        with self._lock:
            counts: dict[str, dict[str, int]] = {}
            for j in self._jobs.values():
                by_state = counts.setdefault(j.flow, {})
                by_state[j.state] = by_state.get(j.state, 0) + 1
            return counts

    def held_jobs(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "flow": j.flow,
                    "record_key": j.record_key,
                    "fingerprint": j.exception_fp,
                    "reason": j.last_error,
                }
                for j in sorted(self._jobs.values(), key=lambda j: (j.flow, j.record_key))
                if j.state == "exception"
            ]

    def orders_created_between(
        self, channel: str, start: float, end: float
    ) -> list[tuple[Order, str]]:
        with self._lock:
            return [
                (row.order, row.state.value)
                for (name, _), row in self._orders.items()
                if name == channel and start <= row.order.created_ts < end
            ]

    def jobs(self, flow: str) -> list[tuple[str, dict[str, Any], str, float]]:
        with self._lock:
            return [
                (j.record_key, dict(j.payload), j.state, j.created_at)
                for j in self._jobs.values()
                if j.flow == flow
            ]

    def get_order(self, channel: str, order_id: str) -> tuple[Order, str] | None:
        with self._lock:
            row = self._orders.get((channel, order_id))
            return None if row is None else (row.order, row.state.value)

    def order_counts(self) -> dict[str, int]:
        with self._lock:
            counts = {"pending": 0, "synced": 0, "exception": 0}
            for row in self._orders.values():
                counts[row.state.value] += 1
            return counts

    def last_order_received_at(self) -> float | None:
        with self._lock:
            return max((r.received_at for r in self._orders.values()), default=None)

    def max_order_num(self) -> int:
        with self._lock:
            return max((r.order_num for r in self._orders.values()), default=0)

    # -- exception queue ---------------------------------------------------------------------

    def exceptions(self, state: str | None = None, flow: str | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows = [
                g
                for g in self._exceptions.values()
                if (state is None or g.state.value == state) and (flow is None or g.flow == flow)
            ]
            rows.sort(key=lambda g: g.fingerprint)
            rows.sort(key=lambda g: g.last_seen, reverse=True)
            return [g.as_dict() for g in rows]

    def set_exception_state(self, fingerprint: str, state: str, now: float) -> bool:
        wanted = check_settable(state)
        with self._lock:
            group = self._exceptions.get(fingerprint)
            if group is None:
                return False
            group.state, group.state_changed_at = wanted, now
            return True

    def replay_exceptions(self, fingerprint: str, now: float) -> int:
        with self._lock:
            held = [
                r
                for r in self._orders.values()
                if r.exception_fp == fingerprint and r.state is OrderState.EXCEPTION
            ]
            for row in held:
                row.state, row.next_attempt_at = OrderState.PENDING, now
                row.release()
            jobs = [
                j
                for j in self._jobs.values()
                if j.exception_fp == fingerprint and j.state == "exception"
            ]
            for job in jobs:
                job.state, job.next_attempt_at = "pending", now
            group = self._exceptions.get(fingerprint)
            if (held or jobs) and group is not None:
                group.state, group.state_changed_at = ExceptionState.REPLAYING, now
            return len(held) + len(jobs)

    # -- stock ledger ------------------------------------------------------------------------

    def held_quantities(self, sales_location: str) -> dict[str, int]:
        with self._lock:
            held: dict[str, int] = {}
            for row in self._orders.values():
                for line in row.order.lines:
                    stock = self._stock.get((line.sku, sales_location))
                    read_at = None if stock is None else stock.erp_read_at
                    if (
                        row.state is not OrderState.SYNCED
                        or read_at is None
                        or (row.synced_at is not None and row.synced_at >= read_at)
                    ):
                        held[line.sku] = held.get(line.sku, 0) + line.quantity
            return held

    def set_erp_levels(self, levels: dict[tuple[str, str], int], *, read_started: float) -> int:
        with self._lock:
            updated = 0
            for key, ats in levels.items():
                row = self._stock.setdefault(key, _StockRow())
                if row.erp_read_at is None or row.erp_read_at <= read_started:
                    row.erp_ats, row.erp_read_at = ats, read_started
                    updated += 1
            return updated

    def reset_channel_levels(self, levels: dict[tuple[str, str], int], *, marker: int) -> None:
        with self._lock:
            for key, available in levels.items():
                row = self._stock.setdefault(key, _StockRow())
                row.channel_est, row.read_marker = available, marker

    def apply_push(self, sku: str, location: str, delta: int) -> None:
        with self._lock:
            row = self._stock.get((sku, location))
            if row is not None and row.channel_est is not None:
                row.channel_est += delta

    def stock_rows(self) -> list[StockRow]:
        with self._lock:
            return [
                StockRow(sku=sku, location=loc, channel_est=r.channel_est, erp_ats=r.erp_ats)
                for (sku, loc), r in sorted(self._stock.items())
            ]

    # -- cursors -----------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        with self._lock:
            return self._kv.get(key)

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._kv[key] = value
