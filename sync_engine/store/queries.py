"""Named SQL shared by the SQLite and PostgreSQL stores.

Written once in the subset both databases accept (``ON CONFLICT`` upserts, ``:name``
parameters; :func:`to_pyformat` rewrites those for psycopg), so the two stores cannot drift
apart on a rule. What differs (column types, the leasing query) lives with each store.
"""

from __future__ import annotations

import functools
import re

# Column types are the only schema difference: SQLite's REAL is 8 bytes, PostgreSQL's is 4
# (timestamps would lose their fractions), and the byte type is spelled differently.
SCHEMA_TEMPLATE = """
CREATE TABLE IF NOT EXISTS inbox (
    webhook_id  TEXT PRIMARY KEY,
    topic       TEXT NOT NULL,
    received_at {real} NOT NULL,
    body        {blob} NOT NULL
);
CREATE TABLE IF NOT EXISTS orders (
    channel         TEXT NOT NULL,
    order_id        TEXT NOT NULL,
    order_num       BIGINT NOT NULL,
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,          -- pending | synced | exception
    source          TEXT NOT NULL,          -- webhook | poll
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {real} NOT NULL,
    created_ts      {real} NOT NULL,
    received_at     {real} NOT NULL,
    synced_at       {real},
    last_error      TEXT,
    lease_owner     TEXT,                   -- engine working on it, while lease_until lasts
    lease_until     {real},
    exception_fp    TEXT,                   -- group it was last held under (kept once synced)
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
    location    TEXT NOT NULL,      -- ledger key channel:location id
    channel_est BIGINT,             -- our account of the channel's available
    read_marker BIGINT NOT NULL DEFAULT 0,  -- orders up to this id are in channel_est
    erp_ats     BIGINT,             -- back-office available-to-sell, all mapped locations
    erp_read_at {real},             -- when the read that gave erp_ats started
    PRIMARY KEY (sku, location)
);
CREATE TABLE IF NOT EXISTS exceptions (
    fingerprint      TEXT PRIMARY KEY,
    flow             TEXT NOT NULL,
    record_key       TEXT NOT NULL,
    reason           TEXT NOT NULL,
    code             TEXT,
    state            TEXT NOT NULL,  -- new | recurring | replaying | resolved | ignored
    first_seen       {real} NOT NULL,
    last_seen        {real} NOT NULL,
    count            INTEGER NOT NULL,
    sample           TEXT NOT NULL,
    state_changed_at {real}
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    flow            TEXT NOT NULL,          -- fulfilments | refunds | payouts | order_changes
    record_key      TEXT NOT NULL,          -- idempotency key of the effect
    payload         TEXT NOT NULL,
    state           TEXT NOT NULL,          -- pending | done | exception
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at {real} NOT NULL,
    created_at      {real} NOT NULL,
    done_at         {real},
    last_error      TEXT,
    exception_fp    TEXT,
    PRIMARY KEY (flow, record_key)
);
"""

# Columns added after the first release; a database file from then gets them on open.
ADDED_COLUMNS = (
    ("orders", "lease_owner", "TEXT"),
    ("orders", "lease_until", "{real}"),
    ("orders", "exception_fp", "TEXT"),
    ("exceptions", "state_changed_at", "{real}"),
)

# Indexes on added columns: created after ADDED_COLUMNS, or an old file could not be opened.
LATE_INDEXES = """
CREATE INDEX IF NOT EXISTS orders_exception_fp ON orders (exception_fp);
"""

# -- ingress ---------------------------------------------------------------------------------

INSERT_INBOX = """
INSERT INTO inbox (webhook_id, topic, received_at, body)
VALUES (:webhook_id, :topic, :now, :body)
ON CONFLICT (webhook_id) DO NOTHING
"""

INSERT_ORDER = """
INSERT INTO orders (channel, order_id, order_num, payload, state, source,
                    next_attempt_at, created_ts, received_at)
VALUES (:channel, :order_id, :order_num, :payload, 'pending', :source, :now, :created_ts, :now)
ON CONFLICT (channel, order_id) DO NOTHING
"""

INSERT_LINE = """
INSERT INTO order_lines (channel, order_id, sku, quantity)
VALUES (:channel, :order_id, :sku, :quantity)
"""

# The channel already took these units off its shelf; orders newer than our last read of the
# channel are not in our estimate yet, older ones are.
LEDGER_SUBTRACT = """
UPDATE stock SET channel_est = channel_est - :quantity
WHERE sku = :sku AND location = :location AND channel_est IS NOT NULL
  AND read_marker < :order_num
"""

# -- order queue -----------------------------------------------------------------------------

# Scarce first (see Store.lease_due_orders): an order holding a SKU the back office is short
# of, at any location, outranks the rest. NULL stock compares as unknown, i.e. not scarce.
SCARCE = """
EXISTS (SELECT 1 FROM order_lines l JOIN stock s ON s.sku = l.sku
        WHERE l.channel = o.channel AND l.order_id = o.order_id AND s.erp_ats < :scarce_below)
"""

# An expired lease (its engine crashed or stalled) is no lease: the order is due again.
DUE = """
o.state = 'pending' AND o.next_attempt_at <= :now
AND (o.lease_until IS NULL OR o.lease_until < :now)
"""

TAKE_LEASE = """
UPDATE orders SET lease_owner = :owner, lease_until = :until
WHERE channel = :channel AND order_id = :order_id
"""

RELEASE_LEASES = """
UPDATE orders SET lease_owner = NULL, lease_until = NULL
WHERE lease_owner = :owner AND lease_until IS NOT NULL
"""

MARK_SYNCED = """
UPDATE orders SET state = 'synced', synced_at = :now, last_error = NULL,
                  lease_owner = NULL, lease_until = NULL
WHERE channel = :channel AND order_id = :order_id AND state != 'synced'
"""

# A replay is done when the group's last requeued order has synced; until then, or if one
# fails again (mark_exception turns the group recurring), the group stays open.
RESOLVE_REPLAYED = """
UPDATE exceptions SET state = 'resolved', state_changed_at = :now
WHERE state = 'replaying'
  AND fingerprint = (SELECT exception_fp FROM orders
                     WHERE channel = :channel AND order_id = :order_id)
  AND NOT EXISTS (SELECT 1 FROM orders
                  WHERE exception_fp = exceptions.fingerprint AND state != 'synced')
"""

MARK_RETRY = """
UPDATE orders SET attempts = attempts + 1, next_attempt_at = :next_attempt_at,
                  last_error = :error, lease_owner = NULL, lease_until = NULL
WHERE channel = :channel AND order_id = :order_id
"""

HOLD_ORDER = """
UPDATE orders SET state = 'exception', attempts = attempts + 1, last_error = :reason,
                  exception_fp = :fingerprint, lease_owner = NULL, lease_until = NULL
WHERE channel = :channel AND order_id = :order_id
"""

# A fix that did not hold (resolved, or a replay in progress) is a recurrence; a group an
# operator chose to ignore stays ignored however often it comes back.
UPSERT_EXCEPTION = """
INSERT INTO exceptions (fingerprint, flow, record_key, reason, code, state,
                        first_seen, last_seen, count, sample, state_changed_at)
VALUES (:fingerprint, :flow, :record_key, :reason, :code, 'new', :now, :now, 1, :sample, :now)
ON CONFLICT (fingerprint) DO UPDATE SET
    last_seen = excluded.last_seen,
    count = exceptions.count + 1,
    state_changed_at = CASE WHEN exceptions.state IN ('resolved', 'replaying')
                            THEN excluded.last_seen ELSE exceptions.state_changed_at END,
    state = CASE WHEN exceptions.state IN ('resolved', 'replaying')
                 THEN 'recurring' ELSE exceptions.state END
"""

HELD_RECORDS = """
SELECT channel, order_id, exception_fp, last_error FROM orders
WHERE state = 'exception' ORDER BY order_num
"""
ORDER_COUNTS = "SELECT state, COUNT(*) FROM orders GROUP BY state"
LAST_RECEIVED = "SELECT MAX(received_at) FROM orders"
MAX_ORDER_NUM = "SELECT MAX(order_num) FROM orders"

# -- exception queue -------------------------------------------------------------------------

# The filters are appended as needed rather than written `:state IS NULL OR ...`: PostgreSQL
# cannot infer a type for a parameter that is only ever compared with NULL.
LIST_EXCEPTIONS = """
SELECT fingerprint, flow, record_key, reason, code, state, first_seen, last_seen, count
FROM exceptions WHERE 1 = 1 {filters}
ORDER BY last_seen DESC, fingerprint
"""

SET_EXCEPTION_STATE = """
UPDATE exceptions SET state = :state, state_changed_at = :now WHERE fingerprint = :fingerprint
"""

# Attempts are kept: they are the order's history, and the retry policy's back-off for a
# replayed order that fails transiently should not start from scratch.
REQUEUE_HELD = """
UPDATE orders SET state = 'pending', next_attempt_at = :now, lease_owner = NULL,
                  lease_until = NULL
WHERE exception_fp = :fingerprint AND state = 'exception'
"""

MARK_REPLAYING = """
UPDATE exceptions SET state = 'replaying', state_changed_at = :now
WHERE fingerprint = :fingerprint
"""

# -- stock ledger ----------------------------------------------------------------------------

# An order counts until a back-office read that started after we saw it synced (see
# Store.held_quantities); no stock row or no read yet means no read can include it.
HELD_QUANTITIES = """
SELECT l.sku, SUM(l.quantity) FROM order_lines l
JOIN orders o ON o.channel = l.channel AND o.order_id = l.order_id
LEFT JOIN stock s ON s.sku = l.sku AND s.location = :location
WHERE o.state != 'synced' OR s.erp_read_at IS NULL OR o.synced_at >= s.erp_read_at
GROUP BY l.sku
"""

ENSURE_STOCK_ROW = """
INSERT INTO stock (sku, location) VALUES (:sku, :location)
ON CONFLICT (sku, location) DO NOTHING
"""

# Reads overlap and finish out of order; only one that started no earlier may overwrite.
SET_ERP_LEVEL = """
UPDATE stock SET erp_ats = :ats, erp_read_at = :read_started
WHERE sku = :sku AND location = :location
  AND (erp_read_at IS NULL OR erp_read_at <= :read_started)
"""

RESET_CHANNEL_LEVEL = """
INSERT INTO stock (sku, location, channel_est, read_marker)
VALUES (:sku, :location, :available, :marker)
ON CONFLICT (sku, location) DO UPDATE SET
    channel_est = excluded.channel_est, read_marker = excluded.read_marker
"""

APPLY_PUSH = """
UPDATE stock SET channel_est = channel_est + :delta WHERE sku = :sku AND location = :location
"""

STOCK_ROWS = "SELECT sku, location, channel_est, erp_ats FROM stock ORDER BY sku, location"

# -- cursors ---------------------------------------------------------------------------------

KV_GET = "SELECT value FROM kv WHERE key = :key"
KV_PUT = """
INSERT INTO kv (key, value) VALUES (:key, :value)
ON CONFLICT (key) DO UPDATE SET value = excluded.value
"""

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@functools.cache
def to_pyformat(sql: str) -> str:
    """``:name`` parameters → psycopg's ``%(name)s`` (no query here contains a literal %)."""
    return _NAMED.sub(r"%(\1)s", sql)


# -- post-purchase jobs (one durable row per effect; see Store.enqueue_jobs) -----------------

INSERT_JOB = """
INSERT INTO jobs (flow, record_key, payload, state, next_attempt_at, created_at)
VALUES (:flow, :record_key, :payload, 'pending', :now, :now)
ON CONFLICT (flow, record_key) DO NOTHING
"""
DUE_JOBS = """
SELECT record_key, payload, attempts FROM jobs
WHERE flow = :flow AND state = 'pending' AND next_attempt_at <= :now
ORDER BY next_attempt_at, created_at, record_key LIMIT :limit
"""
JOB_DONE = """
UPDATE jobs SET state = 'done', done_at = :now, last_error = NULL
WHERE flow = :flow AND record_key = :record_key
"""
JOB_RETRY = """
UPDATE jobs SET attempts = attempts + 1, next_attempt_at = :next_attempt_at, last_error = :error
WHERE flow = :flow AND record_key = :record_key
"""
JOB_HOLD = """
UPDATE jobs SET state = 'exception', attempts = attempts + 1, last_error = :reason,
                exception_fp = :fingerprint
WHERE flow = :flow AND record_key = :record_key
"""
JOB_COUNTS = "SELECT flow, state, COUNT(*) FROM jobs GROUP BY flow, state"
HELD_JOBS = """
SELECT flow, record_key, exception_fp, last_error FROM jobs
WHERE state = 'exception' ORDER BY flow, record_key
"""
REQUEUE_HELD_JOBS = """
UPDATE jobs SET state = 'pending', next_attempt_at = :now
WHERE exception_fp = :fingerprint AND state = 'exception'
"""

GET_ORDER = "SELECT payload, state FROM orders WHERE channel = :channel AND order_id = :order_id"

ORDERS_CREATED_BETWEEN = """
SELECT payload, state FROM orders
WHERE channel = :channel AND created_ts >= :start AND created_ts < :end
"""
JOBS_OF_FLOW = "SELECT record_key, payload, state, created_at FROM jobs WHERE flow = :flow"
