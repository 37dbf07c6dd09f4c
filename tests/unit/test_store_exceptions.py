"""The exception queue's state operations, against every store (see test_store_contract)."""

from __future__ import annotations

import pytest

from sync_engine.store import Store
from sync_engine.store.contract import EXCEPTION_FIELDS
from tests.unit.test_store_contract import (
    LOC,
    OWNER_A,
    Backing,
    backing_fixture,  # noqa: F401 (the `backing` fixture)
    every_store,
    leased_ids,
    order,
)


def hold(store: Store, oid: int, fp: str, now: float, reason: str = "Invalid item X") -> None:
    store.mark_exception(order(oid), now=now, reason=reason, code="USER_ERROR", fingerprint=fp)


def states(store: Store) -> dict[str, str]:
    return {str(e["fingerprint"]): str(e["state"]) for e in store.exceptions()}


@every_store
def test_exceptions_group_by_fingerprint(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(1), order(2), order(3)], now=1.0, sales_location=LOC)
    hold(store, 1, "fp1", 2.0)
    hold(store, 2, "fp1", 3.0)
    hold(store, 3, "fp2", 4.0, reason="Other")
    fp2, fp1 = store.exceptions()  # most recently seen first
    assert set(fp1) == set(EXCEPTION_FIELDS)
    assert (fp1["fingerprint"], fp1["count"], fp1["state"]) == ("fp1", 2, "new")
    assert (fp1["first_seen"], fp1["last_seen"]) == (2.0, 3.0)
    assert (fp1["flow"], fp1["record_key"], fp1["code"]) == ("orders", "shopify-1", "USER_ERROR")
    assert fp2["reason"] == "Other"
    assert store.order_counts()["exception"] == 3


@every_store
def test_exceptions_filter_by_state_and_flow(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(1), order(2)], now=1.0, sales_location=LOC)
    hold(store, 1, "fp1", 2.0)
    hold(store, 2, "fp2", 3.0)
    assert store.set_exception_state("fp2", "ignored", 4.0)
    assert [e["fingerprint"] for e in store.exceptions(state="new")] == ["fp1"]
    assert [e["fingerprint"] for e in store.exceptions(state="ignored")] == ["fp2"]
    assert [e["fingerprint"] for e in store.exceptions(flow="orders")] == ["fp2", "fp1"]
    assert store.exceptions(flow="inventory") == []
    assert store.exceptions(state="new", flow="inventory") == []


@every_store
def test_set_exception_state(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(1)], now=1.0, sales_location=LOC)
    hold(store, 1, "fp1", 2.0)
    assert not store.set_exception_state("nope", "resolved", 3.0)
    with pytest.raises(ValueError, match="replaying"):
        store.set_exception_state("fp1", "replaying", 3.0)  # reached only by a replay
    with pytest.raises(ValueError, match="bogus"):
        store.set_exception_state("fp1", "bogus", 3.0)
    assert states(store) == {"fp1": "new"}
    assert store.set_exception_state("fp1", "resolved", 3.0)
    assert states(store) == {"fp1": "resolved"}
    # Triage moves the group, not its orders: the held order stays held.
    assert store.order_counts()["exception"] == 1


@every_store
def test_a_resolved_group_that_fails_again_is_recurring_an_ignored_one_stays_ignored(
    backing: Backing,
) -> None:
    store = backing.open()
    store.ingest_orders([order(n) for n in (1, 2, 3, 4)], now=1.0, sales_location=LOC)
    hold(store, 1, "fp1", 2.0)
    hold(store, 2, "fp2", 2.0)
    store.set_exception_state("fp1", "resolved", 3.0)
    store.set_exception_state("fp2", "ignored", 3.0)
    hold(store, 3, "fp1", 4.0)
    hold(store, 4, "fp2", 4.0)
    assert states(store) == {"fp1": "recurring", "fp2": "ignored"}
    assert [e["count"] for e in store.exceptions()] == [2, 2]


@every_store
def test_replay_requeues_held_orders_and_resolves_when_they_sync(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(n) for n in (1, 2, 3)], now=1.0, sales_location=LOC)
    hold(store, 1, "fp1", 2.0)
    hold(store, 2, "fp1", 2.0)
    hold(store, 3, "fp2", 2.0)
    assert store.replay_exceptions("unknown", 5.0) == 0
    assert store.replay_exceptions("fp1", 5.0) == 2
    assert states(store) == {"fp1": "replaying", "fp2": "new"}
    assert store.order_counts() == {"pending": 2, "synced": 0, "exception": 1}
    # Due at the replay time, attempts kept.
    assert leased_ids(store, OWNER_A, 4.9) == []
    due = store.lease_due_orders(OWNER_A, 5.0, 10, 30.0, scarce_below=0)
    assert [(d.order.order_id, d.attempts) for d in due] == [("1", 1), ("2", 1)]
    assert store.replay_exceptions("fp1", 6.0) == 0  # nothing held any more
    store.mark_synced(order(1), now=6.0)
    assert states(store)["fp1"] == "replaying"  # order 2 has not synced yet
    store.mark_synced(order(2), now=7.0)
    assert states(store) == {"fp1": "resolved", "fp2": "new"}
    # A later sync of another group's order leaves fp1 alone; fp2 was never replayed.
    store.mark_synced(order(3), now=8.0)
    assert states(store) == {"fp1": "resolved", "fp2": "new"}


@every_store
def test_a_replayed_order_that_fails_again_makes_the_group_recurring(backing: Backing) -> None:
    store = backing.open()
    store.ingest_orders([order(1), order(2)], now=1.0, sales_location=LOC)
    hold(store, 1, "fp1", 2.0)
    hold(store, 2, "fp1", 2.0)
    assert store.replay_exceptions("fp1", 5.0) == 2
    hold(store, 1, "fp1", 6.0)
    store.mark_synced(order(2), now=7.0)
    (group,) = store.exceptions()
    assert (group["state"], group["count"]) == ("recurring", 3)
    assert store.order_counts() == {"pending": 0, "synced": 1, "exception": 1}
    # Replaying again works from a recurring group too; its last order syncing resolves it.
    assert store.replay_exceptions("fp1", 8.0) == 1
    store.mark_synced(order(1), now=9.0)
    assert states(store) == {"fp1": "resolved"}
