"""End to end: a real two-point ``rehearsal sweep`` of a forty-second flash sale (mocks, engine
and Locust per point), leaving a row per point, each point's results folder and the plot."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

TINY = Path(__file__).with_name("sweep-tiny.yaml")


def test_a_two_point_sweep_runs_both_points_and_plots_them(tmp_path: Path) -> None:
    folder = tmp_path / "sweep"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scenarios.cli",
            "sweep",
            str(TINY),
            "--param",
            "erp.concurrency=5,25",
            "--results",
            str(folder),
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output  # completed, whatever the verdicts
    with (folder / "sweep.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert [r["erp.concurrency"] for r in rows] == ["5", "25"], output
    for row in rows:
        assert row["verdict"] in ("pass", "fail"), row
        assert row["lost"] == "0" and row["duplicated"] == "0", row
        assert int(row["backlog_peak"]) > 0
        # Each point ran into a folder of its own inside the sweep's, named after its value.
        results = Path(row["results"])
        assert results.parent == folder
        assert results.name.startswith(f"sweep-tiny--erp.concurrency-{row['erp.concurrency']}-")
        summary = json.loads((results / "summary.json").read_text())
        assert summary["backlog"]["peak"] == int(row["backlog_peak"])
        assert summary["scenario"] == results.name.rsplit("-", 2)[0]
    assert json.loads((folder / "sweep.json").read_text())["completed"] == 2
    assert (folder / "sweep.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
