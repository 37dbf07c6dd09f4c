"""The summary's staff part: reasons the verdict fails on, the section, the table lines."""

from __future__ import annotations

from typing import Any

from scenarios.invariants import Findings, latency_of
from scenarios.report_staff import staff_reasons, staff_rows, staff_section
from scenarios.schema import Scenario


def findings(**over: Any) -> Findings:
    base: dict[str, Any] = {
        "orders_accepted": 10,
        "orders_synced": 10,
        "lost": 0,
        "duplicated": 0,
        "oversold_units": 0,
        "stock_drift_keys": 0,
        "stock_drift_units": 0,
        "amount_drift": 0,
        "unsurfaced_failures": 0,
        "latency": latency_of([1.0]),
    }
    return Findings(**{**base, **over})


def test_drift_fails_the_run_and_held_changes_do_not() -> None:
    assert staff_reasons(findings(changes_held=4, refunds_held=1)) == []
    assert staff_reasons(findings(refund_drift=2, edit_drift=1)) == [
        "refund_drift = 2 (must be 0)",
        "edit_drift = 1 (must be 0)",
    ]


def test_section_and_table_lines_come_from_the_shops_counts() -> None:
    scenario = Scenario.model_validate(
        {
            "name": "s",
            "duration": 60,
            "arrival_curve": [[0, 1], [60, 1]],
            "staff": {"cancellations_per_minute": 2, "refunds_per_minute": 1},
        }
    )
    stats = {
        "shopify": {
            "staff": {
                "edit-address": {"done": 0, "none_eligible": 0},
                "cancel": {"done": 3, "none_eligible": 1},
                "refund": {"done": 2, "none_eligible": 0},
            }
        }
    }
    requests = {"staff cancel": 3, "staff cancel (none eligible)": 1, "staff refund": 2}
    section = staff_section(scenario, findings(changes_held=1), stats, requests)
    assert section["actions"]["cancel"] == {"done": 3, "none_eligible": 1, "fired": 4}
    assert section["changes_held"] == 1 and section["refund_drift"] == 0
    assert staff_rows({"staff": section}) == [
        ("staff edits / cancels / refunds (none eligible)", "0 / 3 / 2 (0 / 1 / 0)"),
        ("cancel / refund / edit drift; held changes / refunds", "0 / 0 / 0; 1 / 0"),
    ]
    no_staff = Scenario.model_validate(
        {"name": "s", "duration": 60, "arrival_curve": [[0, 1], [60, 1]]}
    )
    assert staff_rows({"staff": staff_section(no_staff, findings(), {}, {})}) == []
