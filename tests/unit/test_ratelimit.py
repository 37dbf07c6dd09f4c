"""The REST leaky bucket: exact refill arithmetic on a virtual clock."""

from __future__ import annotations

import pytest

from mocks.common.ratelimit import LeakyBucket, display_used
from simclock import VirtualClock


def make(capacity: int = 40, leak: float = 2.0) -> tuple[LeakyBucket, VirtualClock]:
    clock = VirtualClock()
    return LeakyBucket(capacity=capacity, leak_rate=leak, clock=clock), clock


def test_forty_calls_fit_and_the_forty_first_is_refused() -> None:
    bucket, _ = make()
    for i in range(1, 41):
        result = bucket.try_acquire()
        assert result.allowed
        assert result.header_value == f"{i}/40"
    refused = bucket.try_acquire()
    assert not refused.allowed
    assert refused.header_value == "40/40"
    assert refused.retry_after == pytest.approx(0.5)  # one call leaks out in 1/2 s


def test_half_a_second_later_exactly_one_more_call_fits() -> None:
    bucket, clock = make()
    for _ in range(40):
        bucket.try_acquire()
    clock.advance(0.5)
    assert bucket.try_acquire().allowed
    assert not bucket.try_acquire().allowed


def test_a_refused_call_costs_nothing() -> None:
    bucket, clock = make()
    for _ in range(40):
        bucket.try_acquire()
    for _ in range(10):
        assert not bucket.try_acquire().allowed
    clock.advance(1.0)  # two calls leaked out
    assert bucket.try_acquire().allowed
    assert bucket.try_acquire().allowed
    assert not bucket.try_acquire().allowed


def test_leak_is_continuous_and_the_header_rounds_up() -> None:
    bucket, clock = make()
    for _ in range(40):
        bucket.try_acquire()
    clock.advance(3.25)  # 6.5 calls leaked: level 33.5
    assert bucket.level() == pytest.approx(33.5)
    assert bucket.peek().header_value == "34/40"
    assert bucket.try_acquire().header_value == "35/40"  # 34.5 shown as 35


def test_level_never_goes_below_zero() -> None:
    bucket, clock = make()
    bucket.try_acquire()
    clock.advance(3600)
    assert bucket.level() == 0.0
    assert bucket.try_acquire().header_value == "1/40"


def test_float_residue_does_not_refuse_a_call_at_exact_capacity() -> None:
    bucket, clock = make()
    for _ in range(40):
        bucket.try_acquire()
    for _ in range(10):  # 10 x 0.1 s is not exactly 1.0 in binary floating point
        clock.advance(0.1)
    assert bucket.try_acquire().allowed
    assert bucket.try_acquire().allowed
    assert bucket.try_acquire().header_value == "40/40"


def test_cost_and_retry_after_scale_with_the_overflow() -> None:
    bucket, _ = make(capacity=10, leak=4.0)
    assert bucket.try_acquire(cost=8).allowed
    refused = bucket.try_acquire(cost=5)
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(3 / 4.0)


def test_display_used_ignores_noise_but_rounds_real_fractions_up() -> None:
    assert display_used(39.0000019) == 39
    assert display_used(39.01) == 40
    assert display_used(0.0) == 0


@pytest.mark.parametrize(("capacity", "leak"), [(0, 2.0), (40, 0.0), (-1, 1.0)])
def test_invalid_bucket_parameters_are_refused(capacity: int, leak: float) -> None:
    with pytest.raises(ValueError):
        LeakyBucket(capacity=capacity, leak_rate=leak, clock=VirtualClock())
