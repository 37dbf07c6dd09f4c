"""``slo:`` latency percentiles reach the verdict, and the documented example is a valid file."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from scenarios.invariants import Findings, Latency
from scenarios.report import _verdict
from scenarios.schema import Scenario

DOCS = Path(__file__).resolve().parents[2] / "docs" / "scenarios.md"


def findings(p50: float, p95: float, p99: float) -> Findings:
    return Findings(
        orders_accepted=10,
        orders_synced=10,
        lost=0,
        duplicated=0,
        oversold_units=0,
        stock_drift_keys=0,
        stock_drift_units=0,
        amount_drift=0,
        unsurfaced_failures=0,
        latency=Latency(count=10, p50=p50, p95=p95, p99=p99, max=p99),
    )


def test_p50_and_p95_limits_fail_the_run_only_when_exceeded() -> None:
    sc = Scenario.model_validate(
        {
            "name": "x",
            "arrival_curve": [[0, 1], [10, 1]],
            "slo": {"latency_p50_seconds": 20, "latency_p95_seconds": 60},
        }
    )
    assert _verdict(sc, findings(20.0, 60.0, 500.0), 5.0, True) == []
    assert _verdict(sc, findings(20.5, 61.0, 500.0), 5.0, True) == [
        "latency p50 = 20.5s > 20s",
        "latency p95 = 61.0s > 60s",
    ]


def test_the_documented_complete_example_validates() -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = text.split("## A complete example", 1)[1]
    block = re.search(r"```yaml\n(.*?)```", example, re.S)
    assert block is not None
    sc = Scenario.model_validate(yaml.safe_load(block.group(1)))
    assert sc.duration == 86400 and sc.catalogue.generator == "faker"
