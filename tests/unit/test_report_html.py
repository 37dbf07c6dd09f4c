"""report.html and the summary fields it reads (slos, limits, oversold_by_sku, faults), built
by the real functions: ``check_channels`` over mock-shaped states → ``build_summary`` →
``write_outputs``."""

from __future__ import annotations

import base64
import dataclasses
import json
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest

from scenarios.invariants import Findings, check
from scenarios.report import _verdict, build_summary, write_outputs
from scenarios.report_plots import rates
from scenarios.report_slos import slo_checks
from scenarios.report_staff import staff_reasons
from scenarios.schema import Scenario

LOC_MAP = {"1": 77}
HOT = "SKU-0001"


def scenario(**overrides: Any) -> Scenario:
    raw: dict[str, Any] = {
        "name": "report-test",
        "seed": 3,
        "duration": 60,
        "arrival_curve": [[0, 1], [60, 1]],
        "catalogue": {"skus": 10, "hot": {"count": 3, "stock": 5}},
        "platforms": {
            "shopify": {"leak_rate": 4.0},
            "erp": {"concurrency_limit": 20, "write_latency_median": 2.0},
        },
        "slo": {"latency_p99_seconds": 30, "max_drain_seconds": 100},
        "faults": [
            {
                "platform": "erp",
                "at": 10,
                "duration": 20,
                "kind": "error",
                "statuses": [503],
                "probability": 0.5,
            },
        ],
    }
    raw.update(overrides)
    return Scenario.model_validate(raw)


def findings(*, lost: bool = False, backordered: int = 0, sku: str = HOT) -> Findings:
    """Real findings from mock-shaped states: two orders, the second optionally lost (its
    units then spoken for on the storefront, so no stock drift)."""
    orders = [
        {
            "id": oid,
            "created_at_ts": 100.0,
            "total_price": "25.80",
            "total_tax": "0.80",
            "total_discounts": "0.00",
            "shipping_lines": [{"price": "5.00"}],
            "line_items": [{"sku": sku, "quantity": 2}],
        }
        for oid in (1, 2)
    ]
    sales = [
        {
            "channel": "shopify",
            "channel_order_id": str(oid),
            "created_ts": 100.0 + 12 * oid,
            "total": "25.80",
            "tax_total": "0.80",
            "discount_total": "0.00",
            "shipping_cost": "5.00",
            "lines": [
                {
                    "sku": sku,
                    "quantity": 2,
                    "committed": 2 - backordered,
                    "backordered": backordered,
                }
            ],
        }
        for oid in ((1,) if lost else (1, 2))
    ]
    shopify = {
        "orders": orders,
        "inventory_levels": [{"sku": sku, "location_id": 77, "available": 3 if lost else 5}],
    }
    erp = {
        "sales_orders": sales,
        "items": [{"sku": sku, "locations": [{"location_id": "1", "available": 5}]}],
    }
    return check(shopify, erp, stock_buffer=0, location_map=LOC_MAP)


def samples() -> list[dict[str, Any]]:
    """Rows shaped like ``sample_row``'s, backlog rising then draining."""
    rows = []
    for t in range(0, 60, 2):
        backlog = max(0, 20 - abs(t - 20))
        rows.append(
            {
                "t": float(t),
                "accepted": t,
                "sales_orders": t - backlog,
                "backlog": backlog,
                "backlog_orders": backlog,
                "backlog_refunds": t % 3,
                "shopify_accepted": t,
                "shopify_calls": 4 * t,
                "shopify_429": 0,
                "shopify_budget_use": 0.9,
                "erp_calls": 9 * t,
                "erp_rejected": 1,
                "stock_drift_units": 2 if t % 10 == 0 and t < 30 else ("" if t % 10 else 0),
                "engine_held": 0,
            }
        )
    return rows


def summary_of(sc: Scenario, f: Findings, rows: list[dict[str, Any]]) -> dict[str, Any]:
    return build_summary(
        scenario=sc,
        findings=f,
        samples=rows,
        stats={},
        engine_status={},
        exceptions=[],
        load_report={},
        locust_rows=[],
        kills=[{"asked_at": 20, "killed_at": 20.5, "back_at": 24.0}],
        alerts=[],
        settled_after_load=12.0,
        converged=True,
    )


class Page(HTMLParser):
    """What a browser would see: images, SLO rows, text, any external reference."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.slo_rows: list[dict[str, str]] = []
        self.external: list[str] = []
        self.scripts = 0
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "img":
            self.images.append(a["src"])
        if tag == "tr" and "slo" in a.get("class", "").split():
            self.slo_rows.append(a)
        if tag == "script":
            self.scripts += 1
        for key in ("href", "src"):
            if a.get(key, "").startswith(("http:", "https:", "//")):
                self.external.append(a[key])

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def render(tmp_path: Path, sc: Scenario, f: Findings) -> tuple[dict[str, Any], Page, str]:
    rows = samples()
    summary = summary_of(sc, f, rows)
    write_outputs(tmp_path, summary, rows)
    text = (tmp_path / "report.html").read_text()
    page = Page()
    page.feed(text)
    return json.loads((tmp_path / "summary.json").read_text()), page, text


def test_passing_run_renders_every_slo_row_and_plot_inline(tmp_path: Path) -> None:
    summary, page, text = render(tmp_path, scenario(), findings())
    assert summary["verdict"] == "pass"
    names = [s["name"] for s in summary["slos"]]
    assert names == [
        "lost",
        "duplicated",
        "amount_drift",
        "unsurfaced_failures",
        "oversold_units",
        "stock_drift_units",
        "converged",
        "latency_p99",
        "drain_seconds",
        "cancel_drift",
        "refund_drift",
        "edit_drift",
    ]
    assert [r["data-slo"] for r in page.slo_rows] == names
    assert all(r["class"] == "slo pass" for r in page.slo_rows)
    lost = summary["slos"][0]
    assert (
        lost["words"] == "No order was lost: all 2 orders taken on the storefront reached the ERP."
    )
    # Every plot is an inline PNG; nothing is fetched from anywhere, no script runs.
    assert len(page.images) >= 5
    for src in page.images:
        assert (
            base64.b64decode(src.removeprefix("data:image/png;base64,"))[:8] == b"\x89PNG\r\n\x1a\n"
        )
    assert page.external == [] and page.scripts == 0
    for key in ("backlog", "throughput", "latency", "oversold", "drift", "budget"):
        assert f'id="plot-{key}"' in text
    assert "PASS" in text and "shopify-rest-2026-01" in text


def test_summary_carries_limits_hot_skus_and_faults(tmp_path: Path) -> None:
    summary, _, text = render(tmp_path, scenario(), findings(backordered=1, sku="SKU-0007"))
    # Hot SKUs at 0, and the one oversold SKU that is not hot.
    assert summary["oversold_by_sku"] == {
        "SKU-0001": 0,
        "SKU-0002": 0,
        "SKU-0003": 0,
        "SKU-0007": 2,
    }
    limits = summary["limits"]
    assert limits["shopify"]["rate"] == 4.0 and limits["shopify"]["unit"] == "calls/s"
    assert limits["erp"]["rate"] == 10.0 and limits["erp"]["unit"] == "writes/s"
    assert "20 concurrent requests" in limits["erp"]["derived"]
    assert summary["faults"] == [
        {
            "platform": "erp",
            "at": 10.0,
            "duration": 20.0,
            "kind": "error",
            "statuses": [503],
            "probability": 0.5,
        }
    ]
    assert "Faults injected" in text and "Engine crashes injected" in text
    oversold = next(s for s in summary["slos"] if s["name"] == "oversold_units")
    assert oversold == {
        "name": "oversold_units",
        "limit": 0,
        "measured": 2,
        "unit": "units",
        "passed": False,
        "words": "2 units were sold that the warehouse did not have: customers will get "
        "cancellation e-mails.",
    }


def test_failing_run_states_failures_first_and_reasons_match_the_slos(tmp_path: Path) -> None:
    summary, page, text = render(tmp_path, scenario(), findings(lost=True))
    assert summary["verdict"] == "fail"
    failed = [s for s in summary["slos"] if not s["passed"]]
    assert [s["name"] for s in failed] == ["lost", "unsurfaced_failures"]
    assert summary["reasons"] == ["lost = 1 (must be 0)", "unsurfaced_failures = 1 (must be 0)"]
    assert [r["class"] for r in page.slo_rows].count("slo fail") == 2
    verdict = text[text.index('id="verdict"') : text.index("</section>")]
    assert "FAIL" in verdict and "failed 2 of 12 checks" in verdict
    assert "1 order taken on the storefront never reached the ERP" in verdict


@pytest.mark.parametrize(
    ("f_kwargs", "slo", "converged", "drain", "expected"),
    [
        ({}, {}, True, 10.0, []),
        (
            {"lost": True},
            {},
            True,
            10.0,
            ["lost = 1 (must be 0)", "unsurfaced_failures = 1 (must be 0)"],
        ),
        ({"backordered": 1}, {"max_oversold_units": 1}, True, 10.0, ["oversold_units = 2 > 1"]),
        ({}, {"latency_p99_seconds": 20}, True, 10.0, ["latency p99 = 24.0s > 20s"]),
        (
            {},
            {"max_drain_seconds": 5},
            False,
            10.0,
            ["did not drain and settle within drain_timeout=600s", "drain = 10.0s > 5s"],
        ),
        ({}, {}, True, None, ["did not drain and settle within drain_timeout=600s"]),
    ],
)
def test_verdict_reasons_keep_their_wording(
    f_kwargs: dict[str, Any],
    slo: dict[str, Any],
    converged: bool,
    drain: float | None,
    expected: list[str],
) -> None:
    assert _verdict(scenario(slo=slo), findings(**f_kwargs), drain, converged) == expected


def test_text_from_the_run_is_escaped(tmp_path: Path) -> None:
    summary = summary_of(scenario(), findings(), samples())
    summary["exceptions"] = [
        {
            "flow": "orders",
            "reason": "<script>alert(1)</script>",
            "state": "new",
            "count": 1,
            "fingerprint": "f&1",
        }
    ]
    write_outputs(tmp_path, summary, samples())
    text = (tmp_path / "report.html").read_text()
    assert "<script>" not in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text and "f&amp;1" in text


def test_older_runs_without_new_columns_still_render(tmp_path: Path) -> None:
    rows = [
        {
            "t": float(t),
            "accepted": t,
            "sales_orders": t,
            "backlog": 0,
            "shopify_calls": t,
            "erp_calls": t,
        }
        for t in range(10)
    ]
    summary = summary_of(scenario(), findings(), rows)
    write_outputs(tmp_path, summary, rows)
    text = (tmp_path / "report.html").read_text()
    assert 'id="plot-backlog"' in text and 'id="plot-throughput"' in text
    assert 'id="plot-drift"' not in text and 'id="plot-budget"' not in text
    assert re.search(r'<table class="slos"', text)


def test_throughput_is_the_rate_of_a_cumulative_counter() -> None:
    assert rates([0, 1, 2, 4], [0, 5, 10, 10], window=2) == [0.0, 5.0, 5.0, 0.0]


def test_post_purchase_drift_is_a_check_with_the_staff_reason() -> None:
    f = dataclasses.replace(findings(), cancel_drift=2)
    assert (
        _verdict(scenario(), f, 10.0, True) == staff_reasons(f) == ["cancel_drift = 2 (must be 0)"]
    )
    (cancel,) = [c for c in slo_checks(scenario(), f, 10.0, True) if c.name == "cancel_drift"]
    assert not cancel.passed
    assert (
        cancel.words == "2 orders cancelled in the shop are still open in the ERP: they may ship."
    )


def test_refused_webhooks_are_counted_in_the_summary_and_the_table() -> None:
    from scenarios.report_render import table

    sc, f = scenario(), findings()
    assert summary_of(sc, f, samples())["webhooks_refused"] == {}
    status = {"webhooks": {"received": 9, "rejected": 3, "refused": {"signature": 2, "stale": 1}}}
    summary = build_summary(
        scenario=sc,
        findings=f,
        samples=samples(),
        stats={},
        engine_status=status,
        exceptions=[],
        load_report={},
        locust_rows=[],
        kills=[],
        alerts=[],
        settled_after_load=12.0,
        converged=True,
    )
    assert summary["webhooks_refused"] == {"signature": 2, "stale": 1}
    assert "3 (signature 2, stale 1)" in table(summary)
