"""One contract suite, run against every store: memory, SQLite and PostgreSQL.

The PostgreSQL cases need ``REHEARSAL_TEST_PG_URL`` (``.ci/run`` starts a cluster and sets
it); each test gets its own schema there. Exception-queue cases: ``test_store_exceptions.py``.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

import pytest

from sync_engine.model import Order, OrderLine
from sync_engine.store import Store, open_store
from sync_engine.store.memory import MemoryStore
from sync_engine.store.sqlite import SqliteStore

LOC = "shopify:7"
LOC2 = "shopify:8"
OWNER_A, OWNER_B = "engine-a", "engine-b"
LEASE = 30.0


def order(order_id: int, sku: str = "A", qty: int = 2) -> Order:
    line = OrderLine(
        sku=sku,
        quantity=qty,
        unit_price=Decimal("10.00"),
        discount=Decimal("0"),
        tax=Decimal("0.80"),
    )
    return Order(
        channel="shopify",
        order_id=str(order_id),
        number=f"#{order_id}",
        created_ts=100.0,
        email="a@example.com",
        currency="USD",
        lines=(line,),
        discount_total=Decimal("0"),
        tax_total=Decimal("0.80"),
        shipping=Decimal("5.00"),
        total=Decimal("25.80"),
    )


def pg_url() -> str:
    """The test database, or a skip (a failure in CI, where it must always be there)."""
    url = os.environ.get("REHEARSAL_TEST_PG_URL")
    if not url:
        if os.environ.get("CI"):
            pytest.fail("REHEARSAL_TEST_PG_URL is unset in CI: .ci/run should have set it")
        pytest.skip("REHEARSAL_TEST_PG_URL is not set (bash .ci/run starts a PostgreSQL)")
    return url


@dataclass
class Backing:
    """Where a test's data lives; ``open`` gives another store instance on the same data."""

    name: str
    factory: Callable[[], Store]
    opened: list[Store] = field(default_factory=list)

    def open(self) -> Store:
        store = self.factory()
        self.opened.append(store)
        return store

    def close_all(self) -> None:
        for store in self.opened:
            store.close()


@pytest.fixture(name="backing")
def backing_fixture(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backing]:
    name = request.param
    if name == "postgres":
        from sync_engine.store.postgres import PostgresStore
        from sync_engine.store.testing import scratch_schema

        with scratch_schema(pg_url()) as url:
            pg = Backing(name, lambda: PostgresStore(url))
            yield pg
            pg.close_all()
        return
    if name == "memory":
        shared = MemoryStore()  # in one process, every "instance" is the same object
        made = Backing(name, lambda: shared)
    else:
        made = Backing(name, lambda: SqliteStore(tmp_path / "s.db"))
    yield made
    made.close_all()


ALL = [
    pytest.param("memory"),
    pytest.param("sqlite"),
    pytest.param("postgres", marks=pytest.mark.postgres),
]
DURABLE = [pytest.param("sqlite"), pytest.param("postgres", marks=pytest.mark.postgres)]
every_store = pytest.mark.parametrize("backing", ALL, indirect=True)
durable_stores = pytest.mark.parametrize("backing", DURABLE, indirect=True)


def leased_ids(store: Store, owner: str, now: float, limit: int = 10, **kw: int) -> list[str]:
    due = store.lease_due_orders(owner, now, limit, LEASE, scarce_below=kw.get("scarce", 0))
    return [d.order.order_id for d in due]


# -- ingress ---------------------------------------------------------------------------------


@every_store
def test_webhook_dedupe_and_order_dedupe(backing: Backing) -> None:
    store = backing.open()
    kw = {"topic": "orders/create", "body": b"{}", "sales_location": LOC}
    assert store.accept_webhook(webhook_id="w1", order=order(1), now=1.0, **kw)  # type: ignore[arg-type]
    assert not store.accept_webhook(webhook_id="w1", order=order(1), now=2.0, **kw)  # type: ignore[arg-type]
    # A second delivery with a new webhook id, and the poller, both find the same order.
    assert store.accept_webhook(webhook_id="w2", order=order(1), now=3.0, **kw)  # type: ignore[arg-type]
    assert store.ingest_orders([order(1), order(2)], now=4.0, sales_location=LOC) == 1
    assert store.order_counts() == {"pending": 2, "synced": 0, "exception": 0}
    assert store.max_order_num() == 2
    assert store.last_order_received_at() == 4.0


@every_store
def test_empty_store_answers(backing: Backing) -> None:
    store = backing.open()
    assert store.order_counts() == {"pending": 0, "synced": 0, "exception": 0}
    assert store.max_order_num() == 0 and store.last_order_received_at() is None
    assert store.get("cursor") is None and store.exceptions() == []
    assert store.stock_rows() == [] and store.held_quantities(LOC) == {}


@every_store
def test_ledger_subtracts_only_orders_newer_than_the_last_channel_read(backing: Backing) -> None:
    store = backing.open()
    store.reset_channel_levels({("A", LOC): 10, ("A", LOC2): 10}, marker=5)
    store.ingest_orders([order(4, qty=3)], now=1.0, sales_location=LOC)  # already in the read
    store.ingest_orders([order(6, qty=2)], now=1.0, sales_location=LOC)  # not yet in the read
    store.ingest_orders([order(6, qty=2)], now=2.0, sales_location=LOC)  # a duplicate: no-op
    store.ingest_orders([order(7, sku="B")], now=1.0, sales_location=LOC)  # no ledger row
    assert [(r.sku, r.location, r.channel_est) for r in store.stock_rows()] == [
        ("A", LOC, 8),
        ("A", LOC2, 10),
    ]
    store.apply_push("A", LOC, 5)
    store.apply_push("B", LOC, 5)  # unknown key: nothing to adjust, nothing created
    assert [r.channel_est for r in store.stock_rows()] == [13, 10]


@every_store
def test_an_order_is_held_until_a_back_office_read_that_started_after_its_sync(
    backing: Backing,
) -> None:
    store = backing.open()
    store.ingest_orders([order(1, qty=3)], now=1.0, sales_location=LOC)
    # No back-office read yet: nothing can include the order.
    assert store.held_quantities(LOC) == {"A": 3}
    store.set_erp_levels({("A", LOC): 20}, read_started=0.0)
    assert store.held_quantities(LOC) == {"A": 3}
    store.mark_synced(order(1, qty=3), now=2.0)
    # A read that started before we saw the sync may not include the allocation: still held.
    store.set_erp_levels({("A", LOC): 17}, read_started=1.5)
    assert store.held_quantities(LOC) == {"A": 3}
    # A read that started at the same instant counts as racing with it.
    store.set_erp_levels({("A", LOC): 17}, read_started=2.0)
    assert store.held_quantities(LOC) == {"A": 3}
    # A read that started afterwards certainly includes it.
    store.set_erp_levels({("A", LOC): 17}, read_started=2.5)
    assert store.held_quantities(LOC) == {}


@every_store
def test_an_older_read_never_replaces_a_newer_one(backing: Backing) -> None:
    store = backing.open()
    assert store.set_erp_levels({("A", LOC): 17, ("B", LOC): 4}, read_started=5.0) == 2
    assert store.set_erp_levels({("A", LOC): 20, ("B", LOC): 9}, read_started=4.0) == 0
    assert store.set_erp_levels({("A", LOC): 16}, read_started=5.0) == 1  # same start: newer
    assert [(r.sku, r.erp_ats) for r in store.stock_rows()] == [("A", 16), ("B", 4)]
    # A channel reset keeps the back-office figures, and vice versa.
    store.reset_channel_levels({("A", LOC): 3}, marker=1)
    (a, _) = store.stock_rows()
    assert (a.channel_est, a.erp_ats) == (3, 16)


@every_store
def test_cursors(backing: Backing) -> None:
    store = backing.open()
    store.put("cursor", "41")
    store.put("cursor", "42")
    assert store.get("cursor") == "42"


# -- order queue and leases ------------------------------------------------------------------


@every_store
def test_orders_for_scarce_stock_jump_the_queue(backing: Backing) -> None:
    store = backing.open()
    store.set_erp_levels({("COLD", LOC): 500, ("HOT", "shopify:99"): 3}, read_started=0.0)
    store.ingest_orders(
        [order(1, sku="COLD"), order(2, sku="COLD"), order(3, sku="HOT"), order(4, sku="NEW")],
        now=1.0,
        sales_location=LOC,
    )
    assert leased_ids(store, OWNER_A, 5.0, scarce=0) == ["1", "2", "3", "4"]
    store.release_leases(OWNER_A)
    # Scarce at any location counts; a SKU with no back-office figure is not scarce.
    assert leased_ids(store, OWNER_A, 5.0, scarce=10) == ["3", "1", "2", "4"]
    store.release_leases(OWNER_A)
    # Within a group: next attempt time first, then order number.
    store.mark_retry(order(1, sku="COLD"), next_attempt_at=4.0, error="boom")
    assert leased_ids(store, OWNER_A, 5.0, limit=2, scarce=10) == ["3", "2"]


@every_store
def test_not_yet_due_orders_are_not_leased(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(1)], now=10.0, sales_location=LOC)
    assert leased_ids(store, OWNER_A, 9.0) == []
    store.mark_retry(order(1), next_attempt_at=20.0, error="503")
    assert leased_ids(store, OWNER_A, 19.9) == []
    (due,) = store.lease_due_orders(OWNER_A, 20.0, 5, LEASE, scarce_below=0)
    assert due.order == order(1) and due.attempts == 1


@every_store
def test_two_owners_never_get_the_same_order(backing: Backing) -> None:
    a, b = backing.open(), backing.open()
    a.ingest_orders([order(n) for n in (1, 2, 3)], now=1.0, sales_location=LOC)
    assert leased_ids(a, OWNER_A, 2.0, limit=2) == ["1", "2"]
    assert leased_ids(b, OWNER_B, 2.0) == ["3"]
    assert leased_ids(a, OWNER_A, 3.0) == []  # not even the owner gets its own leases again
    assert leased_ids(b, OWNER_B, 2.0 + LEASE) == []  # lease_until itself is still leased
    assert a.order_counts()["pending"] == 3  # leased orders are still pending


@every_store
def test_an_expired_lease_makes_the_order_due_again(backing: Backing) -> None:
    a, b = backing.open(), backing.open()
    a.ingest_orders([order(1), order(2)], now=1.0, sales_location=LOC)
    assert leased_ids(a, OWNER_A, 2.0) == ["1", "2"]  # then engine A dies
    assert leased_ids(b, OWNER_B, 2.0 + LEASE - 0.1) == []
    assert leased_ids(b, OWNER_B, 2.0 + LEASE + 0.1) == ["1", "2"]


@every_store
def test_settling_an_order_clears_its_lease(backing: Backing) -> None:
    a, b = backing.open(), backing.open()
    a.ingest_orders([order(n) for n in (1, 2, 3, 4)], now=1.0, sales_location=LOC)
    assert leased_ids(a, OWNER_A, 2.0) == ["1", "2", "3", "4"]
    a.mark_retry(order(1), next_attempt_at=2.0, error="429")
    a.mark_synced(order(2), now=2.0)
    a.mark_exception(order(3), now=2.0, reason="bad", code="USER_ERROR", fingerprint="fp")
    assert leased_ids(b, OWNER_B, 2.0) == ["1"]  # synced and held orders are never due
    assert a.release_leases(OWNER_A) == 1  # order 4: a clean shutdown gives it back
    assert a.release_leases(OWNER_A) == 0
    assert leased_ids(b, OWNER_B, 2.0) == ["4"]
    assert b.order_counts() == {"pending": 2, "synced": 1, "exception": 1}


@every_store
def test_concurrent_leasing_hands_out_every_order_exactly_once(backing: Backing) -> None:
    """Four workers, each with its own connection, race to drain one queue."""
    n_orders, n_workers = 120, 4
    backing.open().ingest_orders(
        [order(n) for n in range(1, n_orders + 1)], now=1.0, sales_location=LOC
    )
    stores = [backing.open() for _ in range(n_workers)]
    got: list[list[str]] = [[] for _ in range(n_workers)]
    start = threading.Barrier(n_workers)
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait()
            for _ in range(n_orders):  # bounded: a broken lease must fail, not hang
                batch = leased_ids(stores[i], f"w{i}", 2.0, limit=3)
                if not batch:
                    return
                got[i].extend(batch)
                time.sleep(0.001)  # the "work": lets the other workers in between batches
        except BaseException as exc:  # surfaced below: a thread cannot fail the test itself
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(n_workers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not errors
    everything = [oid for batch in got for oid in batch]
    assert len(everything) == len(set(everything)) == n_orders
    assert sum(1 for batch in got if batch) >= 2, "one worker took everything: no race tested"


# -- durability and selection ----------------------------------------------------------------


@durable_stores
def test_state_survives_reopen(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(1), order(2)], now=1.0, sales_location=LOC)
    store.put("cursor", "41")
    store.set_erp_levels({("A", LOC): 9}, read_started=1.0)
    assert leased_ids(store, OWNER_A, 2.0, limit=1) == ["1"]
    store.mark_exception(order(2), now=2.0, reason="bad", code=None, fingerprint="fp")
    store.close()
    again = backing.open()
    assert again.order_counts() == {"pending": 1, "synced": 0, "exception": 1}
    assert again.get("cursor") == "41"
    assert again.stock_rows()[0].erp_ats == 9
    assert again.exceptions()[0]["fingerprint"] == "fp"
    assert leased_ids(again, OWNER_B, 2.0) == []  # the lease is durable too
    assert leased_ids(again, OWNER_B, 3.0 + LEASE) == ["1"]


def test_open_store_chooses_by_url(tmp_path: Path) -> None:
    assert isinstance(open_store("memory://"), MemoryStore)
    for url in (f"sqlite:///{tmp_path}/a.db", str(tmp_path / "b.db"), tmp_path / "c.db"):
        store = open_store(url)
        assert isinstance(store, SqliteStore)
        store.close()
    assert {p.name for p in tmp_path.glob("*.db")} == {"a.db", "b.db", "c.db"}
    with pytest.raises(ValueError, match="mysql"):
        open_store("mysql://x/y")
    with pytest.raises(ValueError, match="names no file"):
        open_store("sqlite:///")


@pytest.mark.postgres
def test_open_store_opens_postgres() -> None:
    from sync_engine.store.postgres import PostgresStore
    from sync_engine.store.testing import scratch_schema

    with scratch_schema(pg_url()) as url:
        store = open_store(url)
        assert isinstance(store, PostgresStore)
        store.close()


def test_a_database_file_from_before_leases_is_upgraded(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.executescript(
        "CREATE TABLE orders (channel TEXT NOT NULL, order_id TEXT NOT NULL, order_num INTEGER "
        "NOT NULL, payload TEXT NOT NULL, state TEXT NOT NULL, source TEXT NOT NULL, attempts "
        "INTEGER NOT NULL DEFAULT 0, next_attempt_at REAL NOT NULL, created_ts REAL NOT NULL, "
        "received_at REAL NOT NULL, synced_at REAL, last_error TEXT, "
        "PRIMARY KEY (channel, order_id));"
    )
    old.close()
    store = SqliteStore(path)
    store.ingest_orders([order(1)], now=1.0, sales_location=LOC)
    assert leased_ids(store, OWNER_A, 2.0) == ["1"]
    store.close()
