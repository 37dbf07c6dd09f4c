"""Arrival curves and schedules: the open-model load is only as honest as these numbers."""

from __future__ import annotations

import math
import subprocess
import sys

import pytest

from loadtests.arrivals import (
    arrival_times,
    cumulative,
    expected_count,
    lag_summary,
    parse_curve,
    rate_at,
    shape_tick,
)

FLASH = parse_curve([[0, 0.5], [30, 12], [150, 12], [210, 1], [300, 0]])


def test_pure_modules_do_not_pull_in_locust_or_gevent() -> None:
    # a fresh interpreter: importing locust monkey-patches the stdlib for the whole process
    probe = (
        "import sys, loadtests.arrivals, loadtests.baskets; "
        "print(sorted(m for m in ('locust', 'gevent') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize(
    ("t", "expected"),
    [
        (0.0, 0.0),
        # ramp 0.5 -> 12 over 30 s: 0.5*15 + (11.5/30)*15**2/2
        (15.0, 7.5 + 11.5 / 30 * 112.5),
        (30.0, (0.5 + 12) * 30 / 2),
        (100.0, 187.5 + 12 * 70),
        (300.0, 187.5 + 1440 + 390 + 45),
        (400.0, 2062.5),  # the curve ends at rate 0 and stays there
    ],
)
def test_cumulative_is_the_exact_integral_of_the_piecewise_curve(t: float, expected: float) -> None:
    assert cumulative(FLASH, t) == pytest.approx(expected, rel=1e-12)


def test_a_single_point_is_a_constant_rate_forever() -> None:
    constant = parse_curve([[0, 5]])
    assert rate_at(constant, 1e6) == 5
    assert expected_count(constant, 10) == pytest.approx(50)


@pytest.mark.parametrize(("t", "rate"), [(-1, 0.0), (15, 6.25), (30, 12), (180, 6.5), (500, 0)])
def test_rate_is_interpolated_linearly(t: float, rate: float) -> None:
    assert rate_at(FLASH, t) == pytest.approx(rate)


def _within_poisson(observed: int, expected: float, sigmas: float = 4.0) -> bool:
    return abs(observed - expected) <= sigmas * math.sqrt(expected)


def test_long_constant_curve_count_is_within_poisson_tolerance() -> None:
    times = arrival_times(parse_curve([[0, 10]]), 1000, seed=7)
    assert _within_poisson(len(times), 10_000)
    # and evenly spread: each 100 s window holds its share
    for start in range(0, 1000, 100):
        window = sum(start <= t < start + 100 for t in times)
        assert _within_poisson(window, 1000)


def test_piecewise_curve_puts_arrivals_where_the_rate_is() -> None:
    times = arrival_times(FLASH, 300, seed=42)
    for lo, hi in [(0, 30), (30, 150), (150, 210), (210, 300), (0, 10)]:
        observed = sum(lo <= t < hi for t in times)
        assert _within_poisson(observed, cumulative(FLASH, hi) - cumulative(FLASH, lo)), (lo, hi)


def test_times_are_sorted_and_inside_the_duration() -> None:
    times = arrival_times(FLASH, 100, seed=3)
    assert times == sorted(times)
    assert times[0] >= 0
    assert times[-1] < 100


def test_same_seed_same_times_and_other_seed_other_times() -> None:
    assert arrival_times(FLASH, 300, seed=42) == arrival_times(FLASH, 300, seed=42)
    assert arrival_times(FLASH, 300, seed=42) != arrival_times(FLASH, 300, seed=43)


def test_zero_curve_has_no_arrivals() -> None:
    assert arrival_times(parse_curve([[0, 0], [10, 0]]), 100, seed=1) == []


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ([], "at least one [time, rate] point is required"),
        ([[1, 2]], "arrival_curve[0]: the curve must start at time 0, got 1"),
        (
            [[0, 1], [10, 2], [10, 3]],
            "arrival_curve[2]: times must be strictly increasing, got 10 after 10.0",
        ),
        (
            [[0, 1], [5, 2], [3, 3]],
            "arrival_curve[2]: times must be strictly increasing, got 3 after 5.0",
        ),
        ([[0, 1], [10, -0.5]], "arrival_curve[1]: rate must be >= 0, got -0.5"),
        ([[0, 1], [10, float("nan")]], "arrival_curve[1]: rate must be finite, got nan"),
        ([[0, 1], [10]], "arrival_curve[1]: expected a [time, rate] pair, got [10]"),
        ([[0, 1], "ab"], "arrival_curve[1]: expected a [time, rate] pair, got 'ab'"),
        ([[0, "1"]], "arrival_curve[0]: rate must be a number, got '1'"),
        ([[True, 1]], "arrival_curve[0]: time must be a number, got True"),
    ],
)
def test_bad_curves_are_rejected_with_a_precise_message(raw: list, message: str) -> None:
    with pytest.raises(ValueError) as info:
        parse_curve(raw)
    assert str(info.value).endswith(message)


def test_negative_duration_is_rejected() -> None:
    with pytest.raises(ValueError, match="duration must be >= 0"):
        arrival_times(FLASH, -1, seed=1)


def test_shape_runs_all_dispatchers_at_once_until_the_scaled_duration() -> None:
    # 300 simulated seconds at time_scale 5 is 60 wall seconds
    assert shape_tick(0.0, 5.0, 300.0, 4) == (4, 4.0)
    assert shape_tick(59.9, 5.0, 300.0, 4) == (4, 4.0)
    assert shape_tick(60.0, 5.0, 300.0, 4) is None
    assert shape_tick(1000.0, 5.0, 300.0, 4) is None


def test_shape_waits_for_stragglers_but_only_for_the_grace_period() -> None:
    assert shape_tick(61.0, 5.0, 300.0, 4, drained=False, grace_s=5.0) == (4, 4.0)
    assert shape_tick(64.9, 5.0, 300.0, 4, drained=False, grace_s=5.0) is not None
    assert shape_tick(65.0, 5.0, 300.0, 4, drained=False, grace_s=5.0) is None
    # drained before the curve's end changes nothing: the schedule may still be idle-waiting
    assert shape_tick(10.0, 5.0, 300.0, 4, drained=True) is not None


def test_shape_rejects_a_non_positive_time_scale_or_no_dispatchers() -> None:
    with pytest.raises(ValueError, match="time_scale must be > 0"):
        shape_tick(0.0, 0.0, 300.0, 4)
    with pytest.raises(ValueError, match="dispatchers must be >= 1"):
        shape_tick(0.0, 5.0, 300.0, 0)


def test_lag_summary_uses_nearest_rank_percentiles() -> None:
    lags = [i / 1000 for i in range(1, 101)]  # 1 ms .. 100 ms
    assert lag_summary(lags) == {"lag_p50_s": 0.05, "lag_p99_s": 0.099, "lag_max_s": 0.1}
    assert lag_summary([]) == {"lag_p50_s": None, "lag_p99_s": None, "lag_max_s": None}
