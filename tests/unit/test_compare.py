"""``rehearsal compare``: an identical run passes the gate, a planted regression fails it."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.cli import main

BASELINE: dict[str, Any] = {
    "scenario": "connector-upgrade",
    "verdict": "pass",
    "lost": 0,
    "duplicated": 0,
    "amount_drift": 0,
    "unsurfaced_failures": 0,
    "oversold_units": 0,
    "stock_drift": {"keys": 0, "units": 0},
    "latency_seconds": {"p50": 10.0, "p95": 40.0, "p99": 60.0},
    "backlog": {"peak": 120},
    "drain_seconds": 90.0,
}


def write(tmp_path: Path, name: str, summary: dict[str, Any]) -> Path:
    folder = tmp_path / name
    folder.mkdir()
    (folder / "summary.json").write_text(json.dumps(summary))
    return folder


def test_an_identical_run_holds(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    base = write(tmp_path, "base", BASELINE)
    same = write(tmp_path, "run", BASELINE)
    assert main(["compare", str(base), str(same)]) == 0
    assert "no regression" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("change", "figure"),
    [
        ({"lost": 1}, "lost"),
        ({"amount_drift": 2}, "amount_drift"),
        ({"verdict": "fail"}, "verdict"),
        ({"oversold_units": 3}, "oversold_units"),
        ({"latency_seconds": {"p50": 10.0, "p95": 40.0, "p99": 90.0}}, "latency_seconds.p99"),
        ({"drain_seconds": 140.0}, "drain_seconds"),
    ],
)
def test_a_planted_regression_fails_the_gate_and_is_named(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], figure: str
) -> None:
    worse = copy.deepcopy(BASELINE) | change
    assert (
        main(["compare", str(write(tmp_path, "b", BASELINE)), str(write(tmp_path, "r", worse))])
        == 1
    )
    assert f"regressed: {figure}" in capsys.readouterr().out


def test_noise_within_tolerance_holds(tmp_path: Path) -> None:
    noisy = copy.deepcopy(BASELINE) | {"drain_seconds": 94.0, "backlog": {"peak": 124}}
    assert (
        main(["compare", str(write(tmp_path, "b", BASELINE)), str(write(tmp_path, "r", noisy))])
        == 0
    )


def test_a_missing_summary_is_bad_input(tmp_path: Path) -> None:
    assert main(["compare", str(tmp_path / "nowhere"), str(tmp_path)]) == 2
