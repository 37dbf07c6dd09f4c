"""End to end: `rehearsal run --workers 2` (a Locust master and two workers on loopback)
fires the plan exactly once between them and reports exact percentiles over both."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.e2e

SCENARIO = Path(__file__).with_name("load-workers-smoke.yaml")


def _csv(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(path.read_text().splitlines()))


def test_two_workers_fire_the_whole_plan_once_and_report_exact_percentiles(
    tmp_path: Path,
) -> None:
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "scenarios.cli",
            "run",
            str(SCENARIO),
            "--results",
            str(tmp_path),
            "--workers",
            "2",
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output
    (results,) = tmp_path.iterdir()
    summary = json.loads((results / "summary.json").read_text())
    load = summary["load"]

    # The union over the workers is exactly the plan: every scheduled request fired once.
    workers = [json.loads((results / f"load_report-worker{i}.json").read_text()) for i in (0, 1)]
    assert [w["worker_index"] for w in workers] == [0, 1]
    scheduled = sum(w["scheduled_checkouts"] for w in workers)
    assert scheduled == load["scheduled_checkouts"] > 100
    assert load["fired_checkouts"] == scheduled
    assert load["fired_movements"] == load["scheduled_movements"] > 0
    assert all(w["fired_checkouts"] > 0 for w in workers), workers
    assert load["drained"] is True and load["workers"] == 2

    # Exact percentiles from both workers' raw timings, consistent with what was sent.
    rows = [row for i in (0, 1) for row in _csv(results / f"requests-worker{i}.csv")]
    assert {row["name"] for row in rows} >= {"checkout", "stock-movement"}
    first_checkouts = [r for r in rows if r["name"].startswith("checkout") and r["attempt"] == "1"]
    assert len(first_checkouts) == scheduled
    latency = load["latency_ms"]
    assert sum(entry["count"] for entry in latency.values()) == len(rows)
    checkout_rows = sum(1 for r in rows if r["name"].startswith("checkout"))
    attempted = sum(int(n) for n in load["status_counts"]["checkout"].values())
    assert checkout_rows == attempted == summary["orders"]["attempted"]
    checkout = latency["checkout"]
    assert checkout["count"] == load["status_counts"]["checkout"]["201"]
    assert 0 < checkout["p50"] <= checkout["p90"] <= checkout["p99"] <= checkout["max"]
    slowest = max(float(r["elapsed_ms"]) for r in rows if r["name"] == "checkout")
    assert checkout["max"] == round(slowest, 3)
    # Locust's own CSV (written by the master) counts the same requests.
    stats = {row["Name"]: int(row["Request Count"]) for row in _csv(results / "locust_stats.csv")}
    assert {name: entry["count"] for name, entry in latency.items()} == {
        name: count for name, count in stats.items() if name != "Aggregated"
    }
