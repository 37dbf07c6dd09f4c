"""The post-purchase job queue, the same on every store: each found record once, its cursor
moved with it, held jobs surfaced and replayable."""

from __future__ import annotations

from tests.unit.test_store_contract import (  # noqa: F401 (the fixture is used by name)
    Backing,
    backing_fixture,
    durable_stores,
    every_store,
)


@every_store
def test_jobs_are_recorded_once_with_their_cursor(backing: Backing) -> None:
    store = backing.open()
    found = [("s-1", {"tracking": "1Z1"}), ("s-2", {"tracking": "1Z2"})]
    assert store.enqueue_jobs("fulfilments", found, now=1.0, cursor=("ship_cursor", "2")) == 2
    # Found again (a crash before the cursor moved, or an overlapping read): nothing new.
    assert store.enqueue_jobs("fulfilments", found[1:], now=2.0, cursor=("ship_cursor", "3")) == 0
    assert store.get("ship_cursor") == "3"
    due = store.due_jobs("fulfilments", now=5.0, limit=10)
    assert [(j.record_key, j.payload["tracking"]) for j in due] == [("s-1", "1Z1"), ("s-2", "1Z2")]
    assert store.due_jobs("refunds", now=5.0, limit=10) == []


@every_store
def test_done_retry_and_held_jobs(backing: Backing) -> None:
    store = backing.open()
    store.enqueue_jobs("refunds", [("r-1", {}), ("r-2", {}), ("r-3", {})], now=0.0)
    store.job_done("refunds", "r-1", now=1.0)
    store.job_retry("refunds", "r-2", next_attempt_at=10.0, error="erp 503")
    (r3,) = [j for j in store.due_jobs("refunds", now=1.0, limit=10)]
    assert r3.record_key == "r-3"
    store.job_exception(
        r3, now=2.0, reason="PAST_CUTOFF: shipped", code="PAST_CUTOFF", fingerprint="fp1"
    )
    assert store.job_counts() == {"refunds": {"done": 1, "pending": 1, "exception": 1}}
    assert store.held_jobs() == [
        {
            "flow": "refunds",
            "record_key": "r-3",
            "fingerprint": "fp1",
            "reason": "PAST_CUTOFF: shipped",
        }
    ]
    (group,) = store.exceptions(flow="refunds")
    assert (group["record_key"], group["code"], group["state"]) == ("r-3", "PAST_CUTOFF", "new")
    (due,) = store.due_jobs("refunds", now=10.0, limit=10)
    assert (due.record_key, due.attempts) == ("r-2", 1)
    assert store.replay_exceptions("fp1", now=11.0) == 1
    assert {j.record_key for j in store.due_jobs("refunds", now=11.0, limit=10)} == {"r-2", "r-3"}


@durable_stores
def test_jobs_survive_a_restart(backing: Backing) -> None:
    backing.open().enqueue_jobs("payouts", [("p-1", {"net": "10.00"})], now=0.0)
    (job,) = backing.open().due_jobs("payouts", now=1.0, limit=5)
    assert job.payload == {"net": "10.00"}


@every_store
def test_orders_by_creation_time_and_jobs_of_a_flow(backing: Backing) -> None:
    from tests.unit.test_store_contract import LOC, order

    store = backing.open()
    store.ingest_orders([order(1), order(2)], now=1.0, sales_location=LOC)
    created = order(1).created_ts
    found = store.orders_created_between("shopify", created, created + 1)
    assert sorted(o.order_id for o, state in found) == ["1", "2"]
    assert {state for _, state in found} == {"pending"}
    assert store.orders_created_between("shopify", created + 1, created + 2) == []
    store.enqueue_jobs("refunds", [("r-1", {"a": 1})], now=3.0)
    assert store.jobs("refunds") == [("r-1", {"a": 1}, "pending", 3.0)]
    assert store.jobs("payouts") == []
