"""The embedded default store: SQLite in WAL mode, one file.

Every write commits with ``synchronous=FULL`` before the call returns, so a SIGKILL at any
instruction loses nothing. Several engine processes on one machine may share the file:
``BEGIN IMMEDIATE`` takes the write lock up front, which makes leasing atomic.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sync_engine.store import queries as q
from sync_engine.store.contract import DueOrder
from sync_engine.store.sqlbase import Cursor, SqlStore, due_order

SCHEMA = q.SCHEMA_TEMPLATE.format(real="REAL", blob="BLOB")

BUSY_TIMEOUT_SECONDS = 30.0
"""How long a writer waits for another process's transaction before giving up."""

# Candidates and their claim happen inside one BEGIN IMMEDIATE: no other writer can lease
# between the SELECT and the UPDATEs (SQLite has no row locks, the database lock suffices).
SELECT_DUE = f"""
SELECT o.channel, o.order_id, o.payload, o.attempts FROM orders o
WHERE {q.DUE}
ORDER BY {q.SCARCE} DESC, o.next_attempt_at, o.order_num
LIMIT :limit
"""


class SqliteStore(SqlStore):
    """The store contract in one SQLite (WAL) file."""

    def __init__(self, path: str | Path) -> None:
        super().__init__()
        self.path = str(path)
        self._db = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_SECONDS
        )
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(SCHEMA)
        self._add_missing_columns()
        self._db.executescript(q.LATE_INDEXES)

    def _add_missing_columns(self) -> None:
        """Bring a database file written by an older version up to the current schema."""
        for table, column, kind in q.ADDED_COLUMNS:
            present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in present:
                self._db.execute(
                    f"ALTER TABLE {table} ADD COLUMN {column} {kind.format(real='REAL')}"
                )

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Cursor:
        return self._db.execute(sql, dict(params or {}))

    @contextmanager
    def _begin(self) -> Iterator[None]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def lease_due_orders(
        self, owner: str, now: float, limit: int, lease_seconds: float, *, scarce_below: int
    ) -> list[DueOrder]:
        if limit <= 0:
            return []
        with self._tx():
            rows = self._execute(
                SELECT_DUE, {"now": now, "scarce_below": scarce_below, "limit": limit}
            ).fetchall()
            for channel, order_id, _, _ in rows:
                self._execute(
                    q.TAKE_LEASE,
                    {
                        "owner": owner,
                        "until": now + lease_seconds,
                        "channel": channel,
                        "order_id": order_id,
                    },
                )
        return [due_order(payload, attempts) for _, _, payload, attempts in rows]
