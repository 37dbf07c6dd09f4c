"""``traffic:``: stages, tables and the Black Friday day profile compile to one arrival curve."""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.arrivals import expected_count, parse_curve, rate_at
from scenarios.schema import Scenario
from scenarios.schema_traffic import STEP_SECONDS, Traffic


def scenario(**fields: Any) -> Scenario:
    return Scenario.model_validate({"name": "x", **fields})


def test_ramps_and_holds_compile_to_the_library_curve() -> None:
    stages = [
        {"duration": 30, "from": 0.5, "to": 12},
        {"duration": 120, "rate": 12},
        {"duration": 60, "from": 12, "to": 1},
        {"duration": 90, "from": 1, "to": 0},
    ]
    sc = scenario(traffic={"stages": stages})
    flash_sale = [(0, 0.5), (30, 12), (150, 12), (210, 1), (300, 0)]
    assert sc.curve() == flash_sale
    assert sc.duration == 300.0  # defaults to the traffic's length


def test_a_step_between_stages_is_a_one_millisecond_ramp() -> None:
    curve = parse_curve(
        scenario(
            traffic={"stages": [{"duration": 10, "rate": 2}, {"duration": 10, "rate": 4}]}
        ).curve()
    )
    assert curve == ((0.0, 2.0), (10.0 - STEP_SECONDS, 2.0), (10.0, 4.0), (20.0, 4.0))
    assert rate_at(curve, 9.9) == 2.0 and rate_at(curve, 10.0) == 4.0
    assert abs(expected_count(curve, 20) - 60.0) < 0.01


def test_a_table_is_the_arrival_curve_and_duration_can_still_be_given() -> None:
    sc = scenario(traffic={"table": [[0, 1], [60, 4]]}, duration=30)
    assert sc.curve() == [(0.0, 1.0), (60.0, 4.0)] and sc.duration == 30


def test_arrival_curve_without_duration_runs_to_its_last_point() -> None:
    assert scenario(arrival_curve=[[0, 1], [45, 2]]).duration == 45.0


def day(**settings: Any) -> Traffic:
    return Traffic.model_validate({"profile": "black-friday-day", "peak_rate": 10, **settings})


def test_black_friday_day_peaks_at_midday_with_a_quiet_night_and_an_evening_shoulder() -> None:
    curve = parse_curve(day().points())
    at = {h: rate_at(curve, h * 3600.0) for h in range(25)}
    assert curve[-1][0] == 24 * 3600.0 and len(curve) == 49  # every 30 minutes
    assert max(r for _, r in curve) == at[12] == 10.0
    assert all(at[h] < 0.6 for h in range(0, 5))  # overnight: under 6% of the peak
    assert at[4] < at[6] < at[8] < at[10] < at[12]  # the morning ramp
    assert at[15] < at[20] > at[22]  # afternoon dip, then the evening shoulder
    assert 6.0 < at[20] < 8.0
    assert at[23] > at[3]  # the late decline is not yet the night


def test_the_peak_and_the_day_window_are_settings_and_the_curve_is_deterministic() -> None:
    late = parse_curve(day(peak_at_hour=14, start_hour=6, hours=12, step_minutes=15).points())
    assert late[-1][0] == 12 * 3600.0
    assert max(late, key=lambda p: p[1]) == (8 * 3600.0, 10.0)  # 14:00 is 8 h after 06:00
    assert day(peak_at_hour=14).points() == day(peak_at_hour=14).points()


def test_a_day_profile_scenario_lasts_a_day_by_default() -> None:
    sc = scenario(traffic={"profile": "black-friday-day", "peak_rate": 2})
    assert sc.duration == 86400.0 and sc.arrival_curve is None


@pytest.mark.parametrize(
    ("traffic", "reason"),
    [
        ({"stages": [{"duration": 5, "from": 1}]}, "a stage needs rate, or both from and to"),
        ({"stages": [{"duration": 5, "rate": 1, "to": 2}]}, "either rate or from/to"),
        ({"stages": []}, "at least 1 item"),
        ({"table": [[0, 1], [0, 2]]}, "point 1: time 0.0 is not after 0.0"),
        ({"table": [[5, 1], [6, 2]]}, "the first point must be at time 0"),
        ({"profile": "black-friday-day"}, "profile needs peak_rate"),
        ({"table": [[0, 1], [5, 2]], "peak_rate": 3}, "peak_rate: only with profile"),
        ({"table": [[0, 1], [5, 2]], "stages": [{"duration": 1, "rate": 1}]}, "exactly one"),
        ({"profile": "black-friday-day", "peak_rate": 1, "hours": 0}, "greater than 0"),
    ],
)
def test_impossible_traffic_is_refused_with_the_reason(traffic: Any, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        Traffic.model_validate(traffic)
