"""End to end, several channels and either back office: a ``<name>-smoke`` rehearsal starts a
mock per channel plus the back office, the engine and Locust on loopback, and must come back
with a PASS, a summary that names every channel's connector, and no secret in its results."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from scenarios.loader import load
from scenarios.orchestrator import Rehearsal, RunOptions
from tests.secrets_scan import leaks

pytestmark = pytest.mark.e2e


def rehearse(tmp_path: Path, scenario: str) -> tuple[int, dict[str, Any], str, Path]:
    """Run ``scenario`` through the orchestrator (Locust, mocks and engine are processes) and
    check that none of the credentials it handed out appears under its results folder."""
    lines: list[str] = []
    rehearsal = Rehearsal(load(scenario), RunOptions(results_root=tmp_path, echo=lines.append))
    result = rehearsal.run()
    output = "\n".join(lines)
    credentials = [v for creds in rehearsal.credentials.values() for v in creds.values()]
    assert len(credentials) >= 3
    assert leaks(result.results_dir, credentials) == [], output
    return (0 if result.passed else 1), result.summary, output, result.results_dir


def assert_clean(summary: dict[str, Any], code: int, output: str) -> None:
    assert summary["lost"] == 0, summary["examples"]["lost"]
    assert summary["duplicated"] == 0, summary["examples"]["duplicated"]
    assert summary["amount_drift"] == 0, summary["examples"]["amount_drift"]
    assert summary["unsurfaced_failures"] == 0, summary["examples"]["unsurfaced"]
    assert summary["verdict"] == "pass" and code == 0, output


def test_shopify_shopline_and_shopware_sell_one_erps_stock(tmp_path: Path) -> None:
    code, summary, output, results = rehearse(tmp_path, "multi-channel-smoke")
    assert_clean(summary, code, output)
    channels = summary["channels"]
    assert {name: ch["connector"] for name, ch in channels.items()} == {
        "shopify": "shopify-rest-2026-01",
        "shopline": "shopline-rest-v20250301",
        "shopware": "shopware-admin-6.6",
    }
    assert summary["back_office"]["platform"] == "erp"
    assert summary["connectors"]["erp"] == summary["back_office"]["connector"] != ""
    for name, ch in channels.items():
        # Every channel took orders, and every one of them reached the ERP exactly once.
        assert ch["orders"]["accepted"] > 20, (name, ch)
        assert ch["orders"]["synced"] == ch["orders"]["accepted"]
        assert ch["lost"] == ch["duplicated"] == ch["amount_drift"] == 0
        assert ch["stock_drift"]["units"] == 0
    # Shoppers went where the shares sent them (0.5 / 0.25 / 0.25).
    attempted = {name: ch["orders"]["attempted"] for name, ch in channels.items()}
    assert (
        attempted["shopify"] > attempted["shopline"]
        and attempted["shopify"] > attempted["shopware"]
    ), attempted
    assert summary["orders"]["accepted"] == sum(
        ch["orders"]["accepted"] for ch in channels.values()
    )
    # Shopware's orders came in through the app webhook the orchestrator declared.
    shopware = json.loads((results / "shopware_state.json").read_text())
    assert [w["url"].rsplit("/", 2)[-2:] for w in shopware["webhooks"]] == [
        ["webhooks", "shopware"]
    ]
    assert shopware["stats"]["webhooks"]["delivered"] > 0
    for name in ("shopify", "shopline", "shopware", "erp"):
        assert (results / f"{name}_state.json").stat().st_size > 0
    assert (results / "timeseries.png").stat().st_size > 0


def test_shopify_against_fulfil_as_the_back_office(tmp_path: Path) -> None:
    code, summary, output, results = rehearse(tmp_path, "fulfil-backoffice-smoke")
    assert_clean(summary, code, output)
    assert summary["connectors"] == {"shopify": "shopify-rest-2026-01", "fulfil": "fulfil-v2"}
    office = summary["back_office"]
    assert office["platform"] == "fulfil" and office["sales_orders"] == summary["orders"]["synced"]
    assert summary["orders"]["accepted"] > 100
    assert summary["stock_drift"]["units"] == 0
    # The key's minute was spent without tipping into 429s.
    assert office["throttled_429"] <= 0.02 * office["calls"]
    fulfil = json.loads((results / "fulfil_state.json").read_text())
    assert {s["channel_identifier"].split("-")[0] for s in fulfil["sales"]} == {"shopify"}
