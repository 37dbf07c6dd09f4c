"""Bucket arithmetic: the mocks' leaky and cost buckets and the engine's learned bucket.

Times and rates are dyadic (multiples of 1/8 s, rates like 0.5 or 4 per second), so on a
:class:`simclock.VirtualClock` every level the buckets compute is exact in binary floating
point and the expected values below are compared with ``==``, not a tolerance.
"""

from __future__ import annotations

import asyncio
from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from mocks.common.costbucket import CostBucket
from mocks.common.ratelimit import LeakyBucket
from simclock import VirtualClock
from sync_engine.budgets.bucket import LeakyBucketBudget

capacities = st.integers(min_value=1, max_value=60)
rates = st.sampled_from([0.25, 0.5, 1.0, 2.0, 4.0, 8.0])
eighths = st.integers(min_value=0, max_value=80).map(lambda n: n / 8)
steps = st.lists(st.tuples(eighths, st.integers(min_value=0, max_value=5)), max_size=120)


def admitted_within_windows(grants: list[tuple[float, int]], capacity: float, rate: float) -> None:
    """Over any window [t₀, t₁], what was admitted ≤ capacity + rate·(t₁ − t₀)."""
    for i, (t0, _) in enumerate(grants):
        total = 0
        for t1, cost in grants[i:]:
            total += cost
            assert total <= capacity + rate * (t1 - t0) + 1e-9


@given(capacity=capacities, rate=rates, plan=steps)
def test_leaky_bucket_never_admits_more_than_capacity_plus_leak_in_any_window(
    capacity: int, rate: float, plan: list[tuple[float, int]]
) -> None:
    clock = VirtualClock()
    bucket = LeakyBucket(capacity=capacity, leak_rate=rate, clock=clock)
    grants: list[tuple[float, int]] = []
    for dt, cost in plan:
        clock.advance(dt)
        result = bucket.try_acquire(cost)
        assert 0.0 <= result.used <= capacity
        if result.allowed:
            grants.append((clock.now(), cost))
    admitted_within_windows(grants, capacity, rate)


@given(capacity=capacities, rate=rates, plan=steps)
def test_leaky_bucket_level_is_exact_on_a_virtual_clock(
    capacity: int, rate: float, plan: list[tuple[float, int]]
) -> None:
    """The level follows used = max(0, used − rate·elapsed) + admitted, in exact arithmetic."""
    clock = VirtualClock()
    bucket = LeakyBucket(capacity=capacity, leak_rate=rate, clock=clock)
    level = Fraction(0)
    for dt, cost in plan:
        clock.advance(dt)
        level = max(Fraction(0), level - Fraction(rate) * Fraction(dt))
        result = bucket.try_acquire(cost)
        assert result.allowed == (level + cost <= capacity)
        if result.allowed:
            level += cost
            assert result.retry_after == 0.0
        else:
            assert Fraction(result.retry_after) == (level + cost - capacity) / Fraction(rate)
        assert Fraction(result.used) == level


@given(capacity=capacities, rate=rates, fill=st.integers(0, 60), cost=st.integers(1, 5))
def test_a_refused_call_fits_after_exactly_retry_after(
    capacity: int, rate: float, fill: int, cost: int
) -> None:
    clock = VirtualClock()
    bucket = LeakyBucket(capacity=capacity, leak_rate=rate, clock=clock)
    for _ in range(min(fill, capacity)):
        assert bucket.try_acquire().allowed
    refused = bucket.try_acquire(cost)
    if refused.allowed or cost > capacity:
        return
    clock.advance(refused.retry_after)
    assert bucket.try_acquire(cost).allowed


@given(
    maximum=st.integers(min_value=10, max_value=2000),
    rate=rates,
    plan=st.lists(
        st.tuples(eighths, st.integers(0, 400), st.integers(0, 400)), min_size=1, max_size=60
    ),
)
def test_cost_bucket_reserve_and_refund_arithmetic(
    maximum: int, rate: float, plan: list[tuple[float, int, int]]
) -> None:
    """available = min(max, available + rate·elapsed); a reservation takes the requested cost
    or nothing; the refund gives back requested − actual, never beyond the maximum."""
    clock = VirtualClock()
    bucket = CostBucket(clock=clock, maximum_available=maximum, restore_rate=rate)
    available = Fraction(maximum)
    for dt, requested, actual_raw in plan:
        clock.advance(dt)
        available = min(Fraction(maximum), available + Fraction(rate) * Fraction(dt))
        reservation = bucket.reserve(requested)
        assert reservation.allowed == (requested <= available)
        if reservation.allowed:
            available -= requested
            actual = min(actual_raw, requested)
            bucket.refund(requested - actual)
            available = min(Fraction(maximum), available + requested - actual)
        else:
            assert Fraction(reservation.retry_after) == (requested - available) / Fraction(rate)
        assert Fraction(bucket.available()) == available
        assert 0 <= available <= maximum


@given(capacity=st.integers(5, 60), rate=rates, plan=steps)
def test_engine_bucket_reading_the_header_is_never_refused_by_the_mock(
    capacity: int, rate: float, plan: list[tuple[float, int]]
) -> None:
    """The engine's budget against the mock's bucket, learning its size and rate from the
    ``used/max`` header (Shopify REST): every call waits until it fits under capacity −
    headroom, so the mock admits every one. (The estimate itself may pass the usable part
    by a call: readings are rounded up and the learned rate carries that rounding; the
    headroom is there to absorb it.)"""
    clock = VirtualClock()
    mock = LeakyBucket(capacity=capacity, leak_rate=rate, clock=clock)
    # Told the plan's rate as its prior (a scenario's platforms block does that); a prior
    # far above the truth is unlearnt only from evidence, and 429s are that evidence.
    budget = LeakyBucketBudget(clock=clock, leak_rate=rate, headroom=2.0)
    grants: list[tuple[float, int]] = []

    async def drive() -> None:
        for dt, burst in plan:
            clock.advance(dt)
            for _ in range(burst):
                ticket = await budget.acquire()
                result = mock.try_acquire()
                budget.observe(
                    ticket,
                    status=200 if result.allowed else 429,
                    call_limit=(result.used_int, capacity),
                    retry_after=None if result.allowed else 2.0,
                )
                assert budget.header_seen
                if result.allowed:
                    grants.append((clock.now(), 1))
                if budget.calls > 1:  # the first call had only the prior to go on
                    assert result.allowed, f"429 at call {budget.calls}, {budget.stats()}"

    asyncio.run(drive())
    admitted_within_windows(grants, capacity, rate)
