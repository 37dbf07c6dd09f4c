"""The scenario library: every file loads, and every library scenario has a committed baseline
(a real run on this machine, ``results/baselines/<name>/summary.json``) that ran to a verdict
and that ``rehearsal compare`` holds against itself."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from scenarios.cli import main as rehearsal
from scenarios.compare import EXIT_HOLDS
from scenarios.loader import LIBRARY, load

ROOT = Path(__file__).resolve().parents[2]
BASELINES = ROOT / "results" / "baselines"
LIBRARY_SCENARIOS = (
    "flash-sale",
    "black-friday-day",
    "erp-outage",
    "webhook-storm",
    "admin-down-checkout-up",
    "connector-upgrade",
    "multi-channel",
    "fulfil-backoffice",
)


@pytest.mark.parametrize("path", sorted(LIBRARY.glob("*.yaml")), ids=lambda p: p.stem)
def test_every_library_file_loads(path: Path) -> None:
    assert load(str(path)).name == path.stem


@pytest.mark.parametrize("name", LIBRARY_SCENARIOS)
def test_every_library_scenario_has_a_baseline_that_ran_to_a_verdict(
    name: str, capsys: pytest.CaptureFixture[str]
) -> None:
    summary_path = BASELINES / name / "summary.json"
    summary = json.loads(summary_path.read_text())
    assert summary["scenario"] == name
    assert summary["verdict"] in ("pass", "fail")
    assert summary["converged"] is True, summary["reasons"]
    assert summary["orders"]["accepted"] > 0
    assert summary["orders"]["synced"] == summary["orders"]["accepted"]
    # An identical run holds against its baseline.
    assert rehearsal(["compare", str(summary_path), str(summary_path)]) == EXIT_HOLDS
    assert "regressed" not in capsys.readouterr().out
