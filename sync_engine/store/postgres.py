"""The shared store: PostgreSQL, for several engine processes on several machines.

Engines coordinate through row locks alone: leasing claims due orders with
``FOR UPDATE SKIP LOCKED``, so concurrent engines never wait on each other's candidates and
never claim the same one. Each store instance holds one autocommit connection; each contract
method is one transaction.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import psycopg

from sync_engine.store import queries as q
from sync_engine.store.contract import DueOrder
from sync_engine.store.sqlbase import Cursor, SqlStore, due_order

SCHEMA = q.SCHEMA_TEMPLATE.format(real="DOUBLE PRECISION", blob="BYTEA")

SCHEMA_LOCK_KEY = 0x5EA25A1
"""Advisory lock id serialising schema creation: engines starting together would otherwise
race on ``CREATE TABLE IF NOT EXISTS`` (it is not atomic against itself in PostgreSQL)."""

# SKIP LOCKED passes over rows another engine is claiming right now; the WHERE clause is
# re-checked on the locked row's latest version, so a lease committed meanwhile is seen.
# RETURNING gives rows in no particular order: the ranking columns come back to sort by.
LEASE_DUE = f"""
WITH due AS (
    SELECT o.channel, o.order_id, {q.SCARCE} AS scarce
    FROM orders o
    WHERE {q.DUE}
    ORDER BY scarce DESC, o.next_attempt_at, o.order_num
    LIMIT :limit
    FOR UPDATE OF o SKIP LOCKED
)
UPDATE orders AS o SET lease_owner = :owner, lease_until = :until
FROM due
WHERE o.channel = due.channel AND o.order_id = due.order_id
RETURNING o.payload, o.attempts, due.scarce, o.next_attempt_at, o.order_num
"""


class PostgresStore(SqlStore):
    """The store contract in a PostgreSQL database (``postgresql://`` URL, libpq syntax)."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._db = psycopg.connect(url, autocommit=True)
        with self._db.transaction():
            self._db.execute("SELECT pg_advisory_xact_lock(%s)", (SCHEMA_LOCK_KEY,))
            self._db.execute(SCHEMA)
            self._db.execute(q.LATE_INDEXES)

    def close(self) -> None:
        self._db.close()

    def _execute(self, sql: str, params: Mapping[str, Any] | None = None) -> Cursor:
        return self._db.execute(q.to_pyformat(sql), dict(params or {}))

    @contextmanager
    def _begin(self) -> Iterator[None]:
        with self._db.transaction():
            yield

    def lease_due_orders(
        self, owner: str, now: float, limit: int, lease_seconds: float, *, scarce_below: int
    ) -> list[DueOrder]:
        if limit <= 0:
            return []
        with self._tx():
            rows = self._execute(
                LEASE_DUE,
                {
                    "now": now,
                    "scarce_below": scarce_below,
                    "limit": limit,
                    "owner": owner,
                    "until": now + lease_seconds,
                },
            ).fetchall()
        rows = sorted(rows, key=lambda r: (not r[2], r[3], r[4]))
        return [due_order(payload, attempts) for payload, attempts, *_ in rows]
