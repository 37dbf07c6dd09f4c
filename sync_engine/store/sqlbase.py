"""The store contract over SQL, shared by SQLite and PostgreSQL.

Subclasses supply a connection (``_execute``, ``_transaction``) and the one operation whose
SQL differs, leasing. Everything else is the named SQL in :mod:`sync_engine.store.queries`.
"""

from __future__ import annotations

import abc
import json
import threading
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from typing import Any, Protocol

from sync_engine.model import Order
from sync_engine.store import queries as q
from sync_engine.store.contract import (
    EXCEPTION_FIELDS,
    DueJob,
    DueOrder,
    StockRow,
    Store,
    check_settable,
)


class Cursor(Protocol):
    """What both DB-API cursors (sqlite3, psycopg) give us."""

    @property
    def rowcount(self) -> int: ...

    def fetchone(self) -> Any: ...

    def fetchall(self) -> Sequence[Any]: ...


def order_params(order: Order) -> dict[str, Any]:
    """The key of an order's row."""
    return {"channel": order.channel, "order_id": order.order_id}


def due_order(payload: str, attempts: int) -> DueOrder:
    """Rebuild a queued order from its stored payload."""
    return DueOrder(order=Order.from_json(json.loads(payload)), attempts=int(attempts))


class SqlStore(Store):
    """Everything but connection handling and leasing, once for both SQL databases.

    One connection per store instance; a lock makes an instance safe to share between threads
    (each method is one transaction). Several instances, in one process or many, coordinate
    through the database alone.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()

    @abc.abstractmethod
    def _execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Cursor:
        """Run one named query (``:name`` parameters)."""

    @abc.abstractmethod
    def _begin(self) -> AbstractContextManager[None]:
        """A write transaction: committed on exit, rolled back on an exception."""

    @contextmanager
    def _tx(self) -> Iterator[None]:
        with self._lock, self._begin():
            yield

    def _read(self, sql: str, params: Mapping[str, Any] | None = None) -> Sequence[Any]:
        with self._lock:
            return self._execute(sql, params).fetchall()

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
        with self._tx():
            cur = self._execute(
                q.INSERT_INBOX, {"webhook_id": webhook_id, "topic": topic, "now": now, "body": body}
            )
            if cur.rowcount == 0:
                return False
            if order is not None:
                self._ingest(order, source="webhook", now=now, sales_location=sales_location)
            return True

    def ingest_orders(self, orders: Iterable[Order], *, now: float, sales_location: str) -> int:
        with self._tx():
            return sum(
                self._ingest(o, source="poll", now=now, sales_location=sales_location)
                for o in orders
            )

    def _ingest(self, order: Order, *, source: str, now: float, sales_location: str) -> bool:
        num = order.seq
        key = order_params(order)
        cur = self._execute(
            q.INSERT_ORDER,
            {
                **key,
                "order_num": num,
                "payload": json.dumps(order.to_json()),
                "source": source,
                "now": now,
                "created_ts": order.created_ts,
            },
        )
        if cur.rowcount == 0:
            return False
        for line in order.lines:
            self._execute(q.INSERT_LINE, {**key, "sku": line.sku, "quantity": line.quantity})
            self._execute(
                q.LEDGER_SUBTRACT,
                {
                    "quantity": line.quantity,
                    "sku": line.sku,
                    "location": sales_location,
                    "order_num": num,
                },
            )
        return True

    # -- order queue -------------------------------------------------------------------------

    def release_leases(self, owner: str) -> int:
        with self._tx():
            return self._execute(q.RELEASE_LEASES, {"owner": owner}).rowcount

    def mark_synced(self, order: Order, *, now: float) -> None:
        with self._tx():
            self._execute(q.MARK_SYNCED, {**order_params(order), "now": now})
            self._execute(q.RESOLVE_REPLAYED, {**order_params(order), "now": now})

    def mark_retry(self, order: Order, *, next_attempt_at: float, error: str) -> None:
        with self._tx():
            self._execute(
                q.MARK_RETRY,
                {**order_params(order), "next_attempt_at": next_attempt_at, "error": error},
            )

    def mark_exception(
        self, order: Order, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        with self._tx():
            self._execute(
                q.HOLD_ORDER, {**order_params(order), "reason": reason, "fingerprint": fingerprint}
            )
            self._execute(
                q.UPSERT_EXCEPTION,
                {
                    "fingerprint": fingerprint,
                    "flow": "orders",
                    "record_key": order.external_id,
                    "reason": reason,
                    "code": code,
                    "now": now,
                    "sample": json.dumps(order.to_json()),
                },
            )

    def held_records(self) -> list[dict[str, Any]]:
        return [
            {"channel": c, "order_id": o, "fingerprint": fp, "reason": reason}
            for c, o, fp, reason in self._read(q.HELD_RECORDS)
        ]

    def orders_created_between(
        self, channel: str, start: float, end: float
    ) -> list[tuple[Order, str]]:
        params = {"channel": channel, "start": start, "end": end}
        rows = self._read(q.ORDERS_CREATED_BETWEEN, params)
        return [(Order.from_json(json.loads(payload)), str(state)) for payload, state in rows]

    def jobs(self, flow: str) -> list[tuple[str, dict[str, Any], str, float]]:
        rows = self._read(q.JOBS_OF_FLOW, {"flow": flow})
        return [(str(k), json.loads(p), str(s), float(c)) for k, p, s, c in rows]

    def get_order(self, channel: str, order_id: str) -> tuple[Order, str] | None:
        rows = self._read(q.GET_ORDER, {"channel": channel, "order_id": order_id})
        if not rows:
            return None
        payload, state = rows[0]
        return Order.from_json(json.loads(payload)), str(state)

    def order_counts(self) -> dict[str, int]:
        counts = {"pending": 0, "synced": 0, "exception": 0}
        counts.update({str(state): int(n) for state, n in self._read(q.ORDER_COUNTS)})
        return counts

    def last_order_received_at(self) -> float | None:
        (value,) = self._read(q.LAST_RECEIVED)[0]
        return None if value is None else float(value)

    def max_order_num(self) -> int:
        (value,) = self._read(q.MAX_ORDER_NUM)[0]
        return int(value or 0)

    # -- exception queue ---------------------------------------------------------------------

    def exceptions(self, state: str | None = None, flow: str | None = None) -> list[dict[str, Any]]:
        filters = ""
        params: dict[str, Any] = {}
        if state is not None:
            filters += " AND state = :state"
            params["state"] = state
        if flow is not None:
            filters += " AND flow = :flow"
            params["flow"] = flow
        rows = self._read(q.LIST_EXCEPTIONS.format(filters=filters), params)
        return [dict(zip(EXCEPTION_FIELDS, row, strict=True)) for row in rows]

    def set_exception_state(self, fingerprint: str, state: str, now: float) -> bool:
        wanted = check_settable(state)
        with self._tx():
            cur = self._execute(
                q.SET_EXCEPTION_STATE,
                {"state": wanted.value, "now": now, "fingerprint": fingerprint},
            )
            return cur.rowcount > 0

    def replay_exceptions(self, fingerprint: str, now: float) -> int:
        with self._tx():
            params = {"fingerprint": fingerprint, "now": now}
            requeued = self._execute(q.REQUEUE_HELD, params).rowcount
            requeued += self._execute(q.REQUEUE_HELD_JOBS, params).rowcount
            if requeued:
                self._execute(q.MARK_REPLAYING, params)
            return requeued

    # -- post-purchase jobs ------------------------------------------------------------------

    def enqueue_jobs(
        self,
        flow: str,
        jobs: Iterable[tuple[str, dict[str, Any]]],
        *,
        now: float,
        cursor: tuple[str, str] | None = None,
    ) -> int:
        new = 0
        with self._tx():
            for key, payload in jobs:
                params = {"flow": flow, "record_key": key, "payload": json.dumps(payload)}
                new += self._execute(q.INSERT_JOB, {**params, "now": now}).rowcount
            if cursor is not None:
                self._execute(q.KV_PUT, {"key": cursor[0], "value": cursor[1]})
        return new

    def due_jobs(self, flow: str, now: float, limit: int) -> list[DueJob]:
        rows = self._read(q.DUE_JOBS, {"flow": flow, "now": now, "limit": limit})
        return [
            DueJob(flow=flow, record_key=str(k), payload=json.loads(p), attempts=int(a))
            for k, p, a in rows
        ]

    def job_done(self, flow: str, record_key: str, *, now: float) -> None:
        with self._tx():
            self._execute(q.JOB_DONE, {"flow": flow, "record_key": record_key, "now": now})

    def job_retry(self, flow: str, record_key: str, *, next_attempt_at: float, error: str) -> None:
        params = {"flow": flow, "record_key": record_key}
        with self._tx():
            self._execute(
                q.JOB_RETRY, {**params, "next_attempt_at": next_attempt_at, "error": error}
            )

    def job_exception(
        self, job: DueJob, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        key = {"flow": job.flow, "record_key": job.record_key}
        with self._tx():
            self._execute(q.JOB_HOLD, {**key, "reason": reason, "fingerprint": fingerprint})
            self._execute(
                q.UPSERT_EXCEPTION,
                {
                    **key,
                    "fingerprint": fingerprint,
                    "reason": reason,
                    "code": code,
                    "now": now,
                    "sample": json.dumps(job.payload),
                },
            )

    def job_counts(self) -> dict[str, dict[str, int]]:
        counts: dict[str, dict[str, int]] = {}
        for flow, state, n in self._read(q.JOB_COUNTS):
            counts.setdefault(str(flow), {})[str(state)] = int(n)
        return counts

    def held_jobs(self) -> list[dict[str, Any]]:
        return [
            {"flow": f, "record_key": k, "fingerprint": fp, "reason": reason}
            for f, k, fp, reason in self._read(q.HELD_JOBS)
        ]

    # -- stock ledger ------------------------------------------------------------------------

    def held_quantities(self, sales_location: str) -> dict[str, int]:
        rows = self._read(q.HELD_QUANTITIES, {"location": sales_location})
        return {str(sku): int(total) for sku, total in rows}

    def set_erp_levels(self, levels: dict[tuple[str, str], int], *, read_started: float) -> int:
        updated = 0
        with self._tx():
            for (sku, location), ats in levels.items():
                key = {"sku": sku, "location": location}
                self._execute(q.ENSURE_STOCK_ROW, key)
                cur = self._execute(
                    q.SET_ERP_LEVEL, {**key, "ats": ats, "read_started": read_started}
                )
                updated += cur.rowcount
        return updated

    def reset_channel_levels(self, levels: dict[tuple[str, str], int], *, marker: int) -> None:
        with self._tx():
            for (sku, location), available in levels.items():
                self._execute(
                    q.RESET_CHANNEL_LEVEL,
                    {"sku": sku, "location": location, "available": available, "marker": marker},
                )

    def apply_push(self, sku: str, location: str, delta: int) -> None:
        with self._tx():
            self._execute(q.APPLY_PUSH, {"sku": sku, "location": location, "delta": delta})

    def stock_rows(self) -> list[StockRow]:
        return [
            StockRow(
                sku=str(sku),
                location=str(loc),
                channel_est=None if est is None else int(est),
                erp_ats=None if ats is None else int(ats),
            )
            for sku, loc, est, ats in self._read(q.STOCK_ROWS)
        ]

    # -- cursors -----------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        rows = self._read(q.KV_GET, {"key": key})
        return None if not rows else str(rows[0][0])

    def put(self, key: str, value: str) -> None:
        with self._tx():
            self._execute(q.KV_PUT, {"key": key, "value": value})
