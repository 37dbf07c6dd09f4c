"""``rehearsal bench --time-compression --quick`` as a subprocess: the same scenario at two
time_scales, its figures in simulated seconds and compared. Agreement itself is not asserted:
it is a benchmark figure, and on a loaded machine wall-time overheads move it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_quick_time_compression_runs_both_scales_and_compares_them(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "scenarios.cli", "bench", "--time-compression", "--quick",
         "--scales", "5,10", "--results", str(tmp_path)],
        capture_output=True, text=True, timeout=900, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((tmp_path / "bench" / "time_compression.json").read_text())
    assert data["scenario"] == "time-compression"
    assert data["quick"] is True
    assert data["duration_sim_s"] == 75.0  # the library scenario's 150 s, halved
    assert [run["time_scale"] for run in data["runs"]] == [5.0, 10.0]
    for run in data["runs"]:
        # The scenario overloads the ERP: a backlog builds, and it empties again.
        assert run["backlog_peak"] > 10
        assert run["drain_seconds"] is not None and run["drain_seconds"] > 0
        assert run["synced"] == run["accepted"] > 0
        # Simulated seconds, not wall seconds. Arrivals beat the ERP until ~40 s into the
        # load (4 wall s at time_scale 10); t counts from Locust's launch, so its start-up (wall
        # time) comes on top. The ERP empties the backlog no faster than its 16 slots allow
        # (two writes per order at the mean latency it drew), with a factor 2 of slack.
        assert 20 < run["backlog_peak_at"] < 75 + 60
        mean_write = run["erp"]["mean_write_latency"]
        assert run["latency_p99"] > mean_write > 3.0
        assert run["drain_seconds"] > 0.5 * run["backlog_peak"] * 2 * mean_write / 16
        summary = json.loads((Path(run["results_dir"]) / "summary.json").read_text())
        assert summary["time_scale"] == run["time_scale"]
        assert summary["drain_seconds"] == run["drain_seconds"]
    (comparison,) = data["comparisons"]
    assert comparison["reference_time_scale"] == 5.0 and comparison["time_scale"] == 10.0
    assert set(comparison["ratios"]) >= {"backlog_peak", "drain_seconds", "latency_p99"}
    assert comparison["agree"] == data["agree"]
    assert "ratios x10 / x5" in done.stdout
    assert "agree within 10%: " in done.stdout
