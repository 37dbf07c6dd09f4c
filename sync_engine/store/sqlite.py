"""Durable engine state in SQLite (WAL): webhook inbox, order queue, stock ledger, exceptions.

Every write that acknowledges something to the outside world (a webhook's 200, an order marked
synced) commits first, with ``synchronous=FULL``, so a SIGKILL at any instruction loses
nothing. One engine process owns one database file.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sync_engine.model import Order

SCHEMA = """
CREATE TABLE IF NOT EXISTS inbox (
    webhook_id  TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    received_at REAL NOT NULL,
    body        BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    channel         TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    order_num       INTEGER NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,          -- pending | synced | exception
    source          TEXT NOT NULL,          -- webhook | poll
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL,
    created_ts      REAL NOT NULL,
    received_at     REAL NOT NULL,
    synced_at       REAL,
    last_error      TEXT,
    PRIMARY KEY (channel, order_id)
);
CREATE INDEX IF NOT EXISTS orders_due ON orders (state, next_attempt_at);
CREATE TABLE IF NOT EXISTS order_lines (
    channel  TEXT NOT NULL,
    order_id TEXT NOT NULL,
    sku      TEXT NOT NULL,
    quantity INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS order_lines_order ON order_lines (channel, order_id);
CREATE INDEX IF NOT EXISTS order_lines_sku ON order_lines (sku);
CREATE TABLE IF NOT EXISTS stock (
    sku         TEXT NOT NULL,
    location    INTEGER NOT NULL,   -- channel location id
    channel_est INTEGER,            -- our account of the channel's available
    read_marker INTEGER NOT NULL DEFAULT 0,  -- orders up to this id are in channel_est
    erp_ats     INTEGER,            -- back-office available-to-sell, all mapped locations
    erp_read_at REAL,               -- when the read that gave erp_ats started
    PRIMARY KEY (sku, location)
);
CREATE TABLE IF NOT EXISTS exceptions (
    fingerprint TEXT PRIMARY KEY,
    flow        TEXT NOT NULL,
    record_key  TEXT NOT NULL,
    reason      TEXT NOT NULL,
    code        TEXT,
    state       TEXT NOT NULL,      -- new | recurring | resolved | ignored
    first_seen  REAL NOT NULL,
    last_seen   REAL NOT NULL,
    count       INTEGER NOT NULL,
    sample      TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


@dataclass(frozen=True, kw_only=True)
class DueOrder:
    """An order waiting for (another) attempt to reach the back office."""

    order: Order
    attempts: int


@dataclass(frozen=True, kw_only=True)
class StockRow:
    """The ledger for one SKU at one channel location."""

    sku: str
    location: int
    channel_est: int | None
    erp_ats: int | None


class Store:
    """The engine's durable state behind one small contract."""

    def __init__(self, path: str | Path) -> None:
        self._db = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)

    def close(self) -> None:
        self._db.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    # -- ingress -----------------------------------------------------------------------------

    def accept_webhook(
        self,
        *,
        webhook_id: str,
        topic: str,
        body: bytes,
        order: Order | None,
        now: float,
        sales_location: int,
    ) -> bool:
        """Record a delivery and its order in one transaction. False if already received."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO inbox (webhook_id, topic, received_at, body) "
                "VALUES (?, ?, ?, ?)",
                (webhook_id, topic, now, body),
            )
            if cur.rowcount == 0:
                return False
            if order is not None:
                self._ingest(db, order, source="webhook", now=now, sales_location=sales_location)
            return True

    def ingest_orders(self, orders: Iterable[Order], *, now: float, sales_location: int) -> int:
        """Record orders found by polling; returns how many were new to us."""
        with self._tx() as db:
            return sum(
                self._ingest(db, o, source="poll", now=now, sales_location=sales_location)
                for o in orders
            )

    @staticmethod
    def _ingest(
        db: sqlite3.Connection, order: Order, *, source: str, now: float, sales_location: int
    ) -> bool:
        num = int(order.order_id)
        cur = db.execute(
            "INSERT OR IGNORE INTO orders (channel, order_id, order_num, payload, state, source, "
            "next_attempt_at, created_ts, received_at) VALUES (?, ?, ?, ?, 'pending', ?, ?, ?, ?)",
            (
                order.channel,
                order.order_id,
                num,
                json.dumps(order.to_json()),
                source,
                now,
                order.created_ts,
                now,
            ),
        )
        if cur.rowcount == 0:
            return False
        for line in order.lines:
            db.execute(
                "INSERT INTO order_lines (channel, order_id, sku, quantity) VALUES (?, ?, ?, ?)",
                (order.channel, order.order_id, line.sku, line.quantity),
            )
            # The channel already took these units off its shelf; orders newer than our last
            # read of the channel are not in our estimate yet.
            db.execute(
                "UPDATE stock SET channel_est = channel_est - ? "
                "WHERE sku = ? AND location = ? AND channel_est IS NOT NULL AND read_marker < ?",
                (line.quantity, line.sku, sales_location, num),
            )
        return True

    # -- order queue -------------------------------------------------------------------------

    def due_orders(
        self, now: float, limit: int, exclude: set[str], *, scarce_below: int = 0
    ) -> list[DueOrder]:
        """Pending orders whose next attempt is due.

        Orders holding a SKU whose back-office stock is below ``scarce_below`` go first: while
        they wait, other channels can sell the same units in the back office, which is how a
        backlog turns into oversold stock. Within each group, oldest first.
        """
        rows = self._db.execute(
            "SELECT o.order_id, o.payload, o.attempts FROM orders o "
            "WHERE o.state = 'pending' AND o.next_attempt_at <= ? "
            "ORDER BY EXISTS (SELECT 1 FROM order_lines l JOIN stock s ON s.sku = l.sku "
            "  WHERE l.channel = o.channel AND l.order_id = o.order_id AND s.erp_ats < ?) DESC, "
            "o.next_attempt_at, o.order_num LIMIT ?",
            (now, scarce_below, limit + len(exclude)),
        ).fetchall()
        due = [
            DueOrder(order=Order.from_json(json.loads(payload)), attempts=attempts)
            for order_id, payload, attempts in rows
            if order_id not in exclude
        ]
        return due[:limit]

    def mark_synced(self, order: Order, *, now: float) -> None:
        """The back office has the order (and has allocated its units)."""
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET state = 'synced', synced_at = ?, last_error = NULL "
                "WHERE channel = ? AND order_id = ? AND state != 'synced'",
                (now, order.channel, order.order_id),
            )

    def mark_retry(self, order: Order, *, next_attempt_at: float, error: str) -> None:
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
                "WHERE channel = ? AND order_id = ?",
                (next_attempt_at, error, order.channel, order.order_id),
            )

    def mark_exception(
        self, order: Order, *, now: float, reason: str, code: str | None, fingerprint: str
    ) -> None:
        """Hold the order with its reason; it stays visible until resolved, never dropped."""
        with self._tx() as db:
            db.execute(
                "UPDATE orders SET state = 'exception', attempts = attempts + 1, last_error = ? "
                "WHERE channel = ? AND order_id = ?",
                (reason, order.channel, order.order_id),
            )
            db.execute(
                "INSERT INTO exceptions (fingerprint, flow, record_key, reason, code, state, "
                "first_seen, last_seen, count, sample) VALUES (?, 'orders', ?, ?, ?, 'new', ?, ?, "
                "1, ?) ON CONFLICT (fingerprint) DO UPDATE SET last_seen = excluded.last_seen, "
                "count = count + 1, state = CASE WHEN state = 'resolved' THEN 'recurring' "
                "ELSE state END",
                (
                    fingerprint,
                    order.external_id,
                    reason,
                    code,
                    now,
                    now,
                    json.dumps(order.to_json()),
                ),
            )

    def order_counts(self) -> dict[str, int]:
        rows = self._db.execute("SELECT state, COUNT(*) FROM orders GROUP BY state").fetchall()
        counts = {"pending": 0, "synced": 0, "exception": 0}
        counts.update({state: n for state, n in rows})
        return counts

    def last_order_received_at(self) -> float | None:
        row = self._db.execute("SELECT MAX(received_at) FROM orders").fetchone()
        return None if row[0] is None else float(row[0])

    def max_order_num(self) -> int:
        row = self._db.execute("SELECT MAX(order_num) FROM orders").fetchone()
        return int(row[0] or 0)

    def exceptions(self) -> list[dict[str, object]]:
        cur = self._db.execute(
            "SELECT fingerprint, flow, record_key, reason, code, state, first_seen, last_seen, "
            "count FROM exceptions ORDER BY last_seen DESC"
        )
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    # -- stock ledger ------------------------------------------------------------------------

    def held_quantities(self, sales_location: int) -> dict[str, int]:
        """Units sold on the channel that our last back-office reading may not include, per SKU.

        An order counts until a back-office read that *started after* we saw it synced: a read
        racing with the order's allocation may or may not include it, so we assume not. That
        can count a unit twice for a moment (showing less than we could), never zero times
        (which would show stock the back office no longer has).
        """
        rows = self._db.execute(
            "SELECT l.sku, SUM(l.quantity) FROM order_lines l JOIN orders o "
            "ON o.channel = l.channel AND o.order_id = l.order_id "
            "LEFT JOIN stock s ON s.sku = l.sku AND s.location = ? "
            "WHERE o.state != 'synced' OR s.erp_read_at IS NULL OR o.synced_at >= s.erp_read_at "
            "GROUP BY l.sku",
            (sales_location,),
        ).fetchall()
        return {sku: int(q) for sku, q in rows}

    def set_erp_levels(self, levels: dict[tuple[str, int], int], *, read_started: float) -> int:
        """Store back-office ATS from a read that started at ``read_started``.

        Returns how many keys were updated (an older read never replaces a newer one).
        """
        updated = 0
        with self._tx() as db:
            for (sku, location), ats in levels.items():
                db.execute(
                    "INSERT OR IGNORE INTO stock (sku, location) VALUES (?, ?)", (sku, location)
                )
                cur = db.execute(
                    "UPDATE stock SET erp_ats = ?, erp_read_at = ? WHERE sku = ? AND location = ? "
                    "AND (erp_read_at IS NULL OR erp_read_at <= ?)",
                    (ats, read_started, sku, location, read_started),
                )
                updated += cur.rowcount
        return updated

    def reset_channel_levels(self, levels: dict[tuple[str, int], int], *, marker: int) -> None:
        """Replace our account of the channel with a fresh read that covers orders ≤ marker."""
        with self._tx() as db:
            for (sku, location), available in levels.items():
                db.execute(
                    "INSERT INTO stock (sku, location, channel_est, read_marker) VALUES "
                    "(?, ?, ?, ?) ON CONFLICT (sku, location) DO UPDATE SET "
                    "channel_est = excluded.channel_est, read_marker = excluded.read_marker",
                    (sku, location, available, marker),
                )

    def apply_push(self, sku: str, location: int, delta: int) -> None:
        """The channel accepted an adjustment of ``delta``."""
        with self._tx() as db:
            db.execute(
                "UPDATE stock SET channel_est = channel_est + ? WHERE sku = ? AND location = ?",
                (delta, sku, location),
            )

    def stock_rows(self) -> list[StockRow]:
        rows = self._db.execute(
            "SELECT sku, location, channel_est, erp_ats FROM stock ORDER BY sku, location"
        ).fetchall()
        return [StockRow(sku=s, location=loc, channel_est=c, erp_ats=e) for s, loc, c, e in rows]

    # -- cursors -----------------------------------------------------------------------------

    def get(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM kv WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def put(self, key: str, value: str) -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO kv (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, value),
            )
