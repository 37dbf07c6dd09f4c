from __future__ import annotations

import asyncio

import httpx
import pytest

from simclock import VirtualClock
from sync_engine.circuit import CircuitBreaker, CircuitOpen, CircuitState
from tests.harness import build


def test_opens_after_consecutive_failures_and_fails_fast() -> None:
    clock = VirtualClock(start=0.0)
    breaker = CircuitBreaker("erp", clock=clock, failure_threshold=3, open_seconds=30)
    for _ in range(3):
        breaker.before_call()
        breaker.on_failure()
    assert breaker.state is CircuitState.OPEN
    clock.advance(10)
    with pytest.raises(CircuitOpen) as info:
        breaker.before_call()
    assert info.value.retry_after == pytest.approx(20.0)


def test_half_open_lets_one_probe_through_then_closes_or_reopens() -> None:
    clock = VirtualClock(start=0.0)
    breaker = CircuitBreaker("erp", clock=clock, failure_threshold=1, open_seconds=5)
    breaker.before_call()
    breaker.on_failure()
    clock.advance(5)
    breaker.before_call()  # the probe
    with pytest.raises(CircuitOpen):
        breaker.before_call()  # a second caller while the probe is out
    breaker.on_failure()
    assert breaker.state is CircuitState.OPEN and breaker.opened_count == 2
    clock.advance(5)
    breaker.before_call()
    breaker.on_success()
    assert breaker.state is CircuitState.CLOSED
    breaker.before_call()


def test_throttles_and_refusals_do_not_trip_it() -> None:
    breaker = CircuitBreaker("shopify", clock=VirtualClock(), failure_threshold=2)
    for _ in range(10):
        breaker.before_call()
        breaker.on_failure()
        breaker.before_call()
        breaker.on_neutral()  # a 429 or a 4xx in between resets the run of failures
    assert breaker.state is CircuitState.CLOSED


async def outage(*, breaker_threshold: int) -> tuple[int, int, int, int]:
    """Ten simulated minutes of ERP 503s under a backlog of 12 orders, then recovery.

    Returns (requests sent while down, circuit openings, lost, duplicated).
    """
    system = await build(skus={"A": 50})
    system.engine.erp.breaker.failure_threshold = breaker_threshold
    erp_up = httpx.ASGITransport(app=system.erp)
    state = {"down": True, "sent_while_down": 0}

    async def handler(request: httpx.Request) -> httpx.Response:
        if state["down"]:
            state["sent_while_down"] += 1
            return httpx.Response(503, json={"title": "Service Unavailable"})
        return await erp_up.handle_async_request(request)

    system.engine.erp.client._transport = httpx.MockTransport(handler)
    for i in range(12):
        assert await system.checkout([{"sku": "A", "quantity": 1}], f"c{i}@x.com") == 201
    for hook in await system.flush_webhooks():
        await system.deliver(hook)
    orders = system.engine.orders
    for _ in range(40):  # one tick every 15 simulated seconds
        orders.start_due()
        if orders.in_flight:
            await asyncio.wait(list(orders.in_flight.values()))
        system.clock.advance(15)
    state["down"] = False
    system.clock.advance(60)
    await orders.drain()
    findings = await system.findings()
    opened = system.engine.erp.breaker.opened_count
    assert system.engine.erp.breaker.state is CircuitState.CLOSED
    await system.engine.stop()
    return state["sent_while_down"], opened, findings.lost, findings.duplicated


def test_erp_outage_opens_the_circuit_stops_the_hammering_and_recovers() -> None:
    sent_with, opened, lost, duplicated = asyncio.run(outage(breaker_threshold=5))
    sent_without, never, _, _ = asyncio.run(outage(breaker_threshold=10**9))
    assert opened >= 1 and never == 0
    assert sent_with * 2 < sent_without, (sent_with, sent_without)
    assert lost == 0 and duplicated == 0
