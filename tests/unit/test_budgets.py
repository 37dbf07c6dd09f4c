"""Budget arithmetic on a virtual clock: what is learned, and how long acquire waits."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from mocks.common.costbucket import CostBucket
from mocks.common.ratelimit import LeakyBucket
from scenarios.bench_measure import Call, Limit, ratios
from simclock import VirtualClock
from sync_engine.budgets import ConcurrencyBudget, CostBudget, LeakyBucketBudget, parse_call_limit


def run(coro: Any) -> Any:
    return asyncio.run(coro)


def test_parse_call_limit() -> None:
    assert parse_call_limit("32/40") == (32, 40)
    assert parse_call_limit(" 1 / 80 ") == (1, 80)
    assert parse_call_limit(None) is None
    assert parse_call_limit("40") is None
    assert parse_call_limit("a/b") is None


def test_acquire_waits_exactly_until_a_call_fits() -> None:
    async def go() -> None:
        clock = VirtualClock()
        budget = LeakyBucketBudget(clock=clock, capacity=40, leak_rate=2.0, headroom=2)
        start = clock.now()
        for _ in range(38):  # capacity − headroom fit at once
            await budget.acquire()
        assert clock.now() == start
        await budget.acquire()  # the 39th waits for one call to leak: 0.5 s at 2/s
        assert clock.now() - start == pytest.approx(0.5)
        ticket = await budget.acquire()
        assert clock.now() - start == pytest.approx(1.0)
        # The store says it is full (another app spent our room): 40 + 1 − 38 calls must leak.
        budget.observe(ticket, status=200, call_limit=(40, 40))
        before = clock.now()
        await budget.acquire()
        assert clock.now() - before == pytest.approx(1.5)
        # A 429's Retry-After is a floor even when the estimate says there is room.
        ticket = await budget.acquire()
        budget.observe(ticket, status=429, call_limit=(0, 40), retry_after=7.0)
        before = clock.now()
        await budget.acquire()
        assert clock.now() - before == pytest.approx(7.0)

    run(go())


def _drive_header_bucket(budget: LeakyBucketBudget, bucket: LeakyBucket, calls: int) -> int:
    """Sequential calls through ``budget`` into the mock's bucket; returns 429s."""

    async def go() -> int:
        throttled = 0
        for _ in range(calls):
            ticket = await budget.acquire()
            result = bucket.try_acquire()
            throttled += not result.allowed
            budget.observe(
                ticket,
                status=200 if result.allowed else 429,
                call_limit=(result.used_int, result.capacity),
            )
        return throttled

    return int(run(go()))


@pytest.mark.parametrize("prior", [1.0, 4.0])
def test_learns_capacity_and_leak_rate_from_the_header(prior: float) -> None:
    clock = VirtualClock()
    bucket = LeakyBucket(capacity=40, leak_rate=2.0, clock=clock)
    budget = LeakyBucketBudget(clock=clock, capacity=10, leak_rate=prior, headroom=2)
    throttled = _drive_header_bucket(budget, bucket, 300)
    assert budget.capacity == 40
    assert budget.leak_rate == pytest.approx(2.0, abs=0.1)
    assert throttled == 0


def test_headerless_budget_converges_to_the_real_rate_from_429s_alone() -> None:
    async def go() -> LeakyBucketBudget:
        clock = VirtualClock()
        bucket = LeakyBucket(capacity=40, leak_rate=4.0, clock=clock)
        budget = LeakyBucketBudget(clock=clock, capacity=40, leak_rate=2.0, headroom=3)
        for _ in range(600):
            ticket = await budget.acquire()
            budget.observe(ticket, status=200 if bucket.try_acquire().allowed else 429)
        return budget

    budget = run(go())
    assert not budget.header_seen
    assert 3.6 <= budget.leak_rate <= 4.3
    assert budget.throttled <= 0.03 * budget.calls


def test_cost_budget_learns_the_bucket_and_is_never_throttled() -> None:
    async def go() -> tuple[CostBudget, int, float]:
        clock = VirtualClock()
        bucket = CostBucket(clock=clock, maximum_available=2000, restore_rate=100)
        budget = CostBudget(clock=clock, maximum=1000, restore_rate=50, headroom=10)
        refused = 0
        start = clock.now()
        for _ in range(500):
            ticket = await budget.acquire(10)
            reservation = bucket.reserve(10)
            refused += not reservation.allowed
            cost = {
                "requestedQueryCost": 10,
                "actualQueryCost": 10 if reservation.allowed else None,
                "throttleStatus": bucket.throttle_status(),
            }
            budget.observe(ticket, cost=cost, throttled=not reservation.allowed, query="m")
        return budget, refused, clock.now() - start

    budget, refused, elapsed = run(go())
    assert refused == 0 and budget.throttled == 0
    assert (budget.maximum, budget.restore_rate) == (2000, 100)
    assert budget.estimate("m", 99) == 10
    # 5000 points from a 2000-point bucket restoring 100/s: 30 s is the floor; the prior's
    # smaller first burst and the headroom cost little more.
    assert 30.0 <= elapsed <= 31.0


def test_concurrency_budget_grows_only_in_use_and_remembers_the_ceiling() -> None:
    clock = VirtualClock()
    budget = ConcurrencyBudget(clock=clock, initial=4, maximum=64, probe_every=10)
    for _ in range(20):
        budget.on_success(in_flight=0)  # one request alone: the limit is not in use
    assert budget.allowed == 4
    while budget.allowed < 16:
        budget.on_success(in_flight=budget.allowed - 1)  # slow start: +1 per success
    budget.on_rejected(cut_spacing=1.0, sent_with=16)
    assert budget.ceiling == 15 and budget.allowed == 15
    budget.on_rejected(cut_spacing=1.0, sent_with=17)  # same burst: no second cut
    assert budget.allowed == 15
    for _ in range(9):
        budget.on_success(in_flight=14)
    assert budget.allowed == 15
    budget.on_success(in_flight=14)  # the 10th success at the ceiling probes one above
    assert budget.allowed == 16
    clock.advance(5)
    budget.on_rejected(cut_spacing=1.0)  # no count given: multiplicative cut
    assert budget.allowed == 12 and budget.ceiling == 15


def test_concurrency_budget_acquire_blocks_at_the_limit() -> None:
    async def go() -> None:
        budget = ConcurrencyBudget(clock=VirtualClock(), initial=2, maximum=2)
        assert await budget.acquire() == 1
        assert await budget.acquire() == 2
        third = asyncio.ensure_future(budget.acquire())
        await asyncio.sleep(0)
        assert not third.done()
        budget.release(ok=True, latency=0.5)
        assert await third == 2

    run(go())


def test_bench_ratios_for_an_ideal_and_a_slow_client() -> None:
    limit = Limit(burst=40, rate=2.0)
    ideal = [Call(started=0.0, finished=0.0, outcome="ok") for _ in range(40)]
    ideal += [Call(started=k / 2, finished=k / 2, outcome="ok") for k in range(1, 161)]
    result = ratios(ideal, limit)
    assert result.utilisation == pytest.approx(1.0)
    assert result.drain_ratio == pytest.approx(1.0)
    assert result.throttled_share == 0.0
    slow = [Call(started=k, finished=k, outcome="ok") for k in range(200)]  # 1/s
    slow.append(Call(started=0.0, finished=0.0, outcome="throttled"))
    result = ratios(slow, limit)
    assert result.utilisation != result.utilisation  # NaN: the bucket never ran out
    assert result.drain_ratio == pytest.approx(199 / 80)
    assert result.throttled_share == pytest.approx(1 / 201)


def test_headerless_growth_stays_bounded_across_long_quiet_spells() -> None:
    """A sale, a quiet night, a sale again: the learned rate must not compound the night."""

    async def go() -> None:
        clock = VirtualClock(start=0.0)
        budget = LeakyBucketBudget(clock=clock, capacity=40, leak_rate=4.0, headroom=3)
        for burst in range(20):
            for _ in range(60):  # more than the bucket holds: callers wait on the budget
                ticket = await budget.acquire()
                budget.observe(ticket, status=200)
            clock.advance(36_000.0 * (burst + 1))
        assert 0 < budget.leak_rate <= budget.capacity, budget.stats()

    asyncio.run(go())
