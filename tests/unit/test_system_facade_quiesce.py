"""Quiescence waits for a poll that worked (the facade artifact behind issue 9's lost orders).

A long machine run lost a Shopware order at quiescence: its webhook had been answered 503
(the engine could not fetch the order during a Shopware 5xx burst, and captured deliveries
are not retried), and Shopify's circuit was open after a run of failed polls. The poller polls
Shopify first, so every poll at quiescence failed before reaching Shopware, and ``quiesce``
declared the system settled (no order pending, no push due) without one successful poll. The
engine's own poller loop would have polled again once the circuit closed.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.system_facade import SystemFacade


@pytest.fixture
def system() -> Iterator[SystemFacade]:
    facade = SystemFacade(skus={"SKU-0001": 5}, buffer=0)
    yield facade
    facade.close()


def test_an_order_whose_webhook_was_lost_is_polled_once_the_circuit_closes(
    system: SystemFacade,
) -> None:
    r = system.request(
        "shopware",
        "POST",
        "/_sim/checkout",
        json={"lines": [{"productNumber": "SKU-0001", "quantity": 1}], "email": "a@example.com"},
    )
    assert r.status_code == 201, r.text
    system.flush_outboxes()
    assert system.hooks, "Shopware sent no webhook"
    system.hooks = []  # lost: only the poller can find this order now
    burst = {"kind": "error", "statuses": [500], "end": 30}
    r = system.request("shopify", "POST", "/_mock/faults", json={"rules": [burst]})
    assert r.status_code == 200, r.text
    polls = [system.poll_channels() for _ in range(6)]
    assert polls[-1] == "failed (CircuitOpen)", polls

    system.quiesce()

    findings = system.findings()
    assert (findings.orders_accepted, findings.lost) == (1, 0), findings.examples["lost"]


def test_a_failing_channel_does_not_keep_the_others_unpolled(system: SystemFacade) -> None:
    """Engine regression: ``poll_once`` stopped at the first channel that failed, so while
    Shopify failed (or its circuit was open) no Shopware order was polled at all."""
    r = system.request(
        "shopware",
        "POST",
        "/_sim/checkout",
        json={"lines": [{"productNumber": "SKU-0001", "quantity": 1}], "email": "a@example.com"},
    )
    assert r.status_code == 201, r.text
    burst = {"kind": "error", "statuses": [500], "end": 30}
    r = system.request("shopify", "POST", "/_mock/faults", json={"rules": [burst]})
    assert r.status_code == 200, r.text

    assert system.poll_channels() == "failed (ServerError)"

    assert system.live().store.order_counts()["pending"] == 1


def test_a_crash_and_restart_on_the_sqlite_store_loses_nothing() -> None:
    """``store="sqlite"`` keeps the SQLite file across a crash (the default is memory://)."""
    system = SystemFacade(skus={"SKU-0001": 5}, buffer=0, store="sqlite")
    try:
        r = system.request(
            "shopify",
            "POST",
            "/_sim/checkout",
            json={"lines": [{"sku": "SKU-0001", "quantity": 1}], "email": "a@example.com"},
        )
        assert r.status_code == 201, r.text
        system.flush_outboxes()
        system.deliver(system.hooks)
        system.hooks = []
        system.crash(after_steps=2)
        system.start_engine()
        counts = system.live().store.order_counts()  # what the crashed engine had stored
        assert counts["pending"] + counts["synced"] == 1, counts
        system.quiesce()
        findings = system.findings()
        assert (findings.orders_accepted, findings.orders_synced, findings.lost) == (1, 1, 0)
    finally:
        system.close()
