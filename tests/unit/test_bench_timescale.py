"""The time-compression benchmark's arithmetic and report (``scenarios.bench_timescale``)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

import pytest

from scenarios import bench_timescale as bt
from scenarios.loader import load


def _summary(scale: float, *, peak: int, drain: float | None, p99: float | None) -> dict[str, Any]:
    return {
        "time_scale": scale,
        "verdict": "pass",
        "backlog": {"peak": peak, "peak_at_seconds": 80.0},
        "drain_seconds": drain,
        "latency_seconds": {"p99": p99},
        "orders": {"accepted": 200, "synced": 200},
    }


def _run(scale: float, *, peak: int = 100, drain: float | None = 60.0, p99: float = 90.0) -> Any:
    return bt.from_summary(
        _summary(scale, peak=peak, drain=drain, p99=p99), wall_seconds=12.34, results_dir=Path("r")
    )


def test_parse_scales_keeps_order_and_refuses_what_cannot_be_compared() -> None:
    assert bt.parse_scales("1, 10") == [1.0, 10.0]
    assert bt.parse_scales("10,2.5,1") == [10.0, 2.5, 1.0]
    for text, reason in (
        ("10", "at least two"),
        ("1,x", "'x' is not a number"),
        ("0,10", "0 is outside (0, 1000]"),
        ("1,2000", "2000 is outside"),
        ("5,5", "5 given twice"),
    ):
        with pytest.raises(bt.ScalesError, match=reason.replace("(", r"\(").replace(")", r"\)")):
            bt.parse_scales(text)


def test_ratio_and_agreement_at_the_ten_percent_edges() -> None:
    assert bt.ratio(110.0, 100.0) == pytest.approx(1.1)
    assert bt.ratio(0.0, 0.0) == 1.0
    assert bt.ratio(3.0, 0.0) is None
    assert bt.ratio(None, 4.0) is None
    assert bt.agrees(1.10) and bt.agrees(0.90) and bt.agrees(1.0)
    assert not bt.agrees(1.1001) and not bt.agrees(0.8999)
    assert not bt.agrees(None)


def test_compare_divides_each_scale_by_the_first_and_judges_peak_and_drain_only() -> None:
    reference = _run(1.0, peak=100, drain=60.0, p99=90.0)
    close = _run(10.0, peak=108, drain=55.0, p99=130.0)  # p99 far off: shown, not judged
    far = _run(20.0, peak=100, drain=70.0, p99=90.0)
    first, second = bt.compare([reference, close, far])
    assert first["reference_time_scale"] == 1.0 and first["time_scale"] == 10.0
    assert first["ratios"]["backlog_peak"] == 1.08
    assert first["ratios"]["drain_seconds"] == pytest.approx(0.9167, abs=1e-4)
    assert first["ratios"]["latency_p99"] == pytest.approx(1.4444, abs=1e-4)
    assert first["agree"] is True
    assert second["ratios"]["drain_seconds"] == pytest.approx(1.1667, abs=1e-4)
    assert second["agree"] is False


def test_a_run_that_never_drained_never_agrees() -> None:
    (comparison,) = bt.compare([_run(1.0), _run(10.0, drain=None)])
    assert comparison["ratios"]["drain_seconds"] is None
    assert comparison["agree"] is False


def test_erp_load_measures_throughput_while_the_backlog_is_deep() -> None:
    # The window is every sample with backlog >= 25% of the peak (40 of 160): t = 10 .. 50.
    samples = [
        {"t": "0", "backlog": "5", "sales_orders": "0"},
        {"t": "10", "backlog": "40", "sales_orders": "10"},
        {"t": "30", "backlog": "160", "sales_orders": "30"},
        {"t": "50", "backlog": "60", "sales_orders": "50"},
        {"t": "70", "backlog": "0", "sales_orders": "80"},
    ]
    stats = {
        "sales_orders": 80,
        "concurrency_limit": 16,
        "latency": {"write": {"count": 160, "total_seconds": 960.0}},
    }
    load = bt.erp_load(samples, stats, peak=160)
    assert load is not None
    assert load.orders_per_s == pytest.approx(1.0)  # 40 orders in 40 s
    assert load.writes_per_order == 2.0
    assert load.mean_write_latency == 6.0
    # 2 writes/s on 16 slots: each held 8 s, 2 s more than the latency the mock drew.
    assert load.slot_seconds_per_write == pytest.approx(8.0)
    assert load.overhead_per_write == pytest.approx(2.0)
    assert load.slots == 16.0
    assert bt.erp_load(samples[:2], stats, peak=160) is None  # one sample is no window
    assert bt.erp_load(samples, {**stats, "latency": {}}, peak=160) is None


def test_erp_load_counts_the_slots_the_engine_allowed_itself_when_fewer() -> None:
    samples = [
        {"t": "0", "backlog": "50", "sales_orders": "0", "engine_erp_limit": "12.0"},
        {"t": "20", "backlog": "80", "sales_orders": "20", "engine_erp_limit": "16.0"},
        {"t": "40", "backlog": "60", "sales_orders": "40", "engine_erp_limit": ""},
    ]
    stats = {
        "sales_orders": 40,
        "concurrency_limit": 16,
        "latency": {"write": {"count": 80, "total_seconds": 480.0}},
    }
    load = bt.erp_load(samples, stats, peak=80)
    assert load is not None
    assert load.slots == 14.0  # the mean of the engine's limits it reported, below the ERP's 16
    assert load.slot_seconds_per_write == pytest.approx(7.0)  # 14 slots, 2 writes/s
    higher = [{**row, "engine_erp_limit": "40"} for row in samples]
    assert bt.erp_load(higher, stats, peak=80).slots == 16.0  # type: ignore[union-attr]


def test_report_and_table_say_agree_and_keep_simulated_units(tmp_path: Path) -> None:
    scenario = load("time-compression")
    data = bt.report(scenario, [_run(1.0), _run(10.0, peak=95, drain=64.0)], quick=False)
    assert data["agree"] is True
    assert data["judged"] == ["backlog_peak", "drain_seconds"]
    assert data["runs"][1]["drain_seconds"] == 64.0
    assert data["runs"][1]["wall_seconds"] == 12.3
    assert "simulated seconds" in data["units"]
    json.dumps(data)  # what time_compression.json holds must serialise
    text = bt.table(data)
    assert "ratios x10 / x1: peak 0.950, drain 1.067" in text
    assert text.endswith("agree within 10%: yes")
    disagreeing = bt.report(scenario, [_run(1.0), _run(10.0, peak=120)], quick=False)
    assert disagreeing["agree"] is False
    assert bt.table(disagreeing).endswith("agree within 10%: no")


def test_wall_overhead_per_write_is_the_simulated_overhead_divided_by_the_scale() -> None:
    load = bt.ErpLoad(
        orders_per_s=1.0,
        writes_per_order=2.0,
        mean_write_latency=6.0,
        slots=13.0,
        slot_seconds_per_write=6.5,
    )
    run = bt.ScaleRun(
        time_scale=10.0, backlog_peak=1, backlog_peak_at=0.0, drain_seconds=1.0,
        latency_p99=1.0, accepted=1, synced=1, verdict="pass", wall_seconds=1.0,
        results_dir="r", erp=load,
    )  # fmt: skip
    erp = run.as_dict()["erp"]
    assert erp["overhead_per_write"] == 0.5
    assert erp["overhead_per_write_wall_ms"] == 50.0


def test_quick_variant_halves_the_time_axis_and_keeps_the_rates() -> None:
    scenario = load("time-compression")
    quick = bt.quick_variant(scenario)
    assert quick.duration == scenario.duration / 2
    assert [rate for _, rate in quick.arrival_curve] == [r for _, r in scenario.arrival_curve]
    assert [t for t, _ in quick.arrival_curve] == [t / 2 for t, _ in scenario.arrival_curve]
    scaled = bt.at_scale(quick, 10.0)
    assert (scaled.time_scale, scaled.name) == (10.0, "time-compression-x10")
    assert scaled.seed == scenario.seed


def test_the_library_scenario_overloads_the_erp_at_its_peak() -> None:
    # The benchmark needs a backlog that clearly builds: peak arrivals above what the ERP's
    # slots can take (two writes per guest order at the lognormal mean latency).
    sc = load("time-compression")
    erp = sc.platforms["erp"]
    mean = erp["write_latency_median"] * 2.718281828 ** (erp["write_latency_sigma"] ** 2 / 2)
    slots = min(erp["concurrency_limit"], sc.engine.erp_max_concurrency)
    capacity = slots / (2 * mean)
    peak = max(rate for _, rate in sc.arrival_curve)
    assert peak > 1.5 * capacity
    assert 120 <= sc.duration <= 180


def test_bad_scales_or_scenario_exit_2_naming_the_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    args = argparse.Namespace(scales="1", scenario="", quick=False, results=tmp_path)
    assert bt.main(args) == 2
    assert "--scales: give at least two scales" in capsys.readouterr().err
    args = argparse.Namespace(scales="", scenario="no-such-thing", quick=False, results=tmp_path)
    assert bt.main(args) == 2
    assert "no-such-thing: no such file" in capsys.readouterr().err
    assert not (tmp_path / "bench").exists()


def test_contention_signs_are_read_from_the_summary() -> None:
    summary = _summary(10.0, peak=50, drain=30.0, p99=40.0)
    summary["channels"] = {
        "shopify": {"webhooks": {"failed_attempts": 3}},
        "shopline": {"webhooks": {"failed_attempts": 2}},
    }
    summary["back_office"] = {"platform": "erp", "concurrency_rejections": 7}
    run = bt.from_summary(summary, wall_seconds=1.0, results_dir=Path("r"))
    assert (run.webhook_failed_attempts, run.erp_rejections) == (5, 7)
    assert (_run(1.0).webhook_failed_attempts, _run(1.0).erp_rejections) == (0, 0)
