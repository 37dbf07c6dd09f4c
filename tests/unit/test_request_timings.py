"""Exact percentiles from raw request timings (scenarios.request_timings, loadtests.timings)."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from loadtests.timings import Timing, TimingRecorder, read_timings, timings_path
from scenarios.request_timings import by_name, latency_ms, percentile, summarise

values_ms = st.lists(
    st.floats(min_value=0.0, max_value=1e6, allow_nan=False, allow_infinity=False),
    min_size=1,
    max_size=300,
)


def _timing(name: str, elapsed_ms: float, *, ok: bool = True, attempt: int = 1) -> Timing:
    return Timing(
        name=name,
        attempt=attempt,
        scheduled_s=1.0,
        start_s=1.25,
        elapsed_ms=elapsed_ms,
        status=201 if ok else 500,
        ok=ok,
    )


def test_percentiles_of_a_hand_computed_example() -> None:
    # ten values 10, 20, ..., 100: h = 9 q / 100
    values = [float(v) for v in range(10, 101, 10)]
    assert percentile(values, 0) == 10.0
    assert percentile(values, 50) == 55.0  # h = 4.5: halfway between 50 and 60
    assert percentile(values, 90) == pytest.approx(91.0)  # h = 8.1: 90 + 0.1 * 10
    assert percentile(values, 95) == pytest.approx(95.5)  # h = 8.55
    assert percentile(values, 99) == pytest.approx(99.1)  # h = 8.91
    assert percentile(values, 100) == 100.0
    assert percentile([7.25], 99.9) == 7.25


def test_summary_keeps_exact_milliseconds_that_locust_would_round() -> None:
    # Locust rounds 1234.567 ms to 1200 ms before its percentiles; we keep it
    summary = summarise([1234.567, 1.5, 2.5, 3.5], failures=1)
    assert summary == {
        "count": 4,
        "failures": 1,
        "p50": 3.0,
        "p90": pytest.approx(0.7 * 1234.567 + 0.3 * 3.5),
        "p95": pytest.approx(0.85 * 1234.567 + 0.15 * 3.5, abs=1e-3),
        "p99": pytest.approx(0.97 * 1234.567 + 0.03 * 3.5, abs=1e-3),
        "p99.9": pytest.approx(0.997 * 1234.567 + 0.003 * 3.5, abs=1e-3),
        "max": 1234.567,
    }


def test_no_values_give_a_count_of_zero_and_no_percentiles() -> None:
    assert summarise([]) == {
        "count": 0,
        "failures": 0,
        "p50": None,
        "p90": None,
        "p95": None,
        "p99": None,
        "p99.9": None,
        "max": None,
    }
    with pytest.raises(ValueError, match="no values"):
        percentile([], 50)
    with pytest.raises(ValueError, match=r"0\.\.100"):
        percentile([1.0], 100.5)


@given(values_ms, st.floats(min_value=0.0, max_value=100.0))
def test_percentile_matches_numpy_linear(values: list[float], q: float) -> None:
    expected = float(np.percentile(np.array(values), q, method="linear"))
    assert percentile(sorted(values), q) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(st.lists(st.floats(0.0, 1e6, allow_nan=False), min_size=2, max_size=300))
def test_integer_percentiles_match_statistics_inclusive(values: list[float]) -> None:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    ordered = sorted(values)
    for q in (50, 90, 95, 99):
        assert percentile(ordered, q) == pytest.approx(cuts[q - 1], rel=1e-9, abs=1e-9)


@given(values_ms)
def test_summary_is_ordered_and_bounded_by_the_data(values: list[float]) -> None:
    summary = summarise(values)
    keys = ["p50", "p90", "p95", "p99", "p99.9", "max"]
    figures = [summary[k] for k in keys]
    assert min(values) - 1e-3 <= figures[0]
    assert figures == sorted(figures)
    assert summary["max"] == round(max(values), 3)
    assert summary["count"] == len(values)


def test_by_name_splits_names_and_counts_failures() -> None:
    timings = [
        _timing("checkout", 10.0),
        _timing("checkout", 30.0, ok=False),
        _timing("checkout (sold out)", 5.0, attempt=2),
        _timing("checkout", 20.0),
    ]
    result = by_name(timings)
    assert list(result) == ["checkout", "checkout (sold out)"]
    assert result["checkout"]["count"] == 3
    assert result["checkout"]["failures"] == 1
    assert result["checkout"]["p50"] == 20.0
    assert result["checkout (sold out)"] == summarise([5.0])


def test_timings_round_trip_exactly_through_every_process_file(tmp_path: Path) -> None:
    report = tmp_path / "load_report.json"
    elapsed = [0.1 + 0.2, 1 / 3, 123.456789012345]
    for suffix, value in zip(("", "-worker0", "-worker1"), elapsed, strict=True):
        recorder = TimingRecorder(timings_path(report, suffix))
        recorder.record(_timing("checkout", value))
        recorder.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "requests-worker0.csv",
        "requests-worker1.csv",
        "requests.csv",
    ]
    assert [t.elapsed_ms for t in read_timings(tmp_path / "requests-worker0.csv")] == [1 / 3]
    result = latency_ms(tmp_path)
    assert result["checkout"]["count"] == 3
    assert result["checkout"]["max"] == 123.457
    assert result["checkout"]["p50"] == round(1 / 3, 3)


def test_a_recorder_that_saw_nothing_leaves_a_header_only_file(tmp_path: Path) -> None:
    recorder = TimingRecorder(tmp_path / "requests.csv")
    recorder.close()
    assert list(read_timings(tmp_path / "requests.csv")) == []
    assert latency_ms(tmp_path) == {}


def test_a_bad_row_is_named_by_file_and_line(tmp_path: Path) -> None:
    path = tmp_path / "requests-worker1.csv"
    path.write_text(
        "name,attempt,scheduled_s,start_s,elapsed_ms,status,ok\n"
        "checkout,1,0.5,0.6,12.5,201,1\n"
        "checkout,1,0.5,0.6,twelve,201,1\n"
    )
    with pytest.raises(ValueError, match=r"requests-worker1\.csv: line 3: .*twelve"):
        list(read_timings(path))
    (tmp_path / "requests.csv").write_text("name,elapsed_ms\n")
    with pytest.raises(ValueError, match=r"requests\.csv: missing column\(s\) attempt"):
        list(read_timings(tmp_path / "requests.csv"))
