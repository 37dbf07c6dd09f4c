"""What a run leaves behind: summary.json, timeseries.csv, timeseries.png, and a table."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from scenarios.invariants import Findings
from scenarios.schema import Scenario


def _verdict(
    scenario: Scenario, f: Findings, drain_seconds: float | None, converged: bool
) -> list[str]:
    """Reasons the run fails; empty means it passes."""
    slo = scenario.slo
    reasons = []
    for name, value in (
        ("lost", f.lost),
        ("duplicated", f.duplicated),
        ("amount_drift", f.amount_drift),
        ("unsurfaced_failures", f.unsurfaced_failures),
    ):
        if value:
            reasons.append(f"{name} = {value} (must be 0)")
    if f.oversold_units > slo.max_oversold_units:
        reasons.append(f"oversold_units = {f.oversold_units} > {slo.max_oversold_units}")
    if f.stock_drift_units > slo.max_stock_drift_units:
        reasons.append(f"stock_drift_units = {f.stock_drift_units} > {slo.max_stock_drift_units}")
    if not converged or drain_seconds is None:
        reasons.append(f"did not drain and settle within drain_timeout={scenario.drain_timeout:g}s")
    p99 = f.latency.p99
    if slo.latency_p99_seconds is not None and p99 is not None and p99 > slo.latency_p99_seconds:
        reasons.append(f"latency p99 = {p99:.1f}s > {slo.latency_p99_seconds:g}s")
    if (
        slo.max_drain_seconds is not None
        and drain_seconds is not None
        and drain_seconds > slo.max_drain_seconds
    ):
        reasons.append(f"drain = {drain_seconds:.1f}s > {slo.max_drain_seconds:g}s")
    return reasons


def drain_after_peak(samples: list[dict[str, Any]]) -> tuple[dict[str, Any], float | None]:
    """The backlog's peak sample, and simulated seconds from it until the backlog is empty.

    None when the backlog never emptied after its peak.
    """
    if not samples:
        return {"backlog": 0, "t": 0.0}, None
    peak_index = max(range(len(samples)), key=lambda i: samples[i]["backlog"])
    peak = samples[peak_index]
    for row in samples[peak_index:]:
        if row["backlog"] <= 0:
            return peak, round(float(row["t"]) - float(peak["t"]), 2)
    return peak, None


def _locust_counts(rows: list[dict[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        name = row.get("Name", "")
        if name and name != "Aggregated":
            counts[name] = int(row.get("Request Count", 0) or 0)
    return counts


def build_summary(
    *,
    scenario: Scenario,
    findings: Findings,
    samples: list[dict[str, Any]],
    shopify_stats: dict[str, Any],
    erp_stats: dict[str, Any],
    engine_status: dict[str, Any],
    exceptions: list[dict[str, Any]],
    load_report: dict[str, Any],
    locust_rows: list[dict[str, str]],
    kills: list[dict[str, float]],
    alerts: list[dict[str, Any]],
    settled_after_load: float | None,
    converged: bool,
) -> dict[str, Any]:
    peak, drain_seconds = drain_after_peak(samples)
    reasons = _verdict(scenario, findings, drain_seconds, converged)
    requests = _locust_counts(locust_rows)
    checkouts = shopify_stats.get("checkouts", {})
    latency = findings.latency
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "time_scale": scenario.time_scale,
        "duration_seconds": scenario.duration,
        "verdict": "fail" if reasons else "pass",
        "reasons": reasons,
        "orders": {
            "attempted": requests.get("checkout", 0) + requests.get("checkout (sold out)", 0),
            "accepted": findings.orders_accepted,
            "rejected_sold_out": int(checkouts.get("rejected", 0)),
            "synced": findings.orders_synced,
        },
        "lost": findings.lost,
        "duplicated": findings.duplicated,
        "oversold_units": findings.oversold_units,
        "stock_drift": {"keys": findings.stock_drift_keys, "units": findings.stock_drift_units},
        "amount_drift": findings.amount_drift,
        "unsurfaced_failures": findings.unsurfaced_failures,
        "latency_seconds": {
            "p50": latency.p50,
            "p95": latency.p95,
            "p99": latency.p99,
            "max": latency.max,
            "count": latency.count,
        },
        "backlog": {"peak": peak["backlog"], "peak_at_seconds": peak["t"]},
        "drain_seconds": drain_seconds,
        "settled_after_load_seconds": settled_after_load,
        "converged": converged,
        "platforms": {
            "shopify": {
                "calls": shopify_stats.get("calls"),
                "throttled_429": shopify_stats.get("throttled"),
                "by_status": shopify_stats.get("by_status"),
                "webhooks": shopify_stats.get("webhooks"),
            },
            "erp": {
                "calls": erp_stats.get("calls"),
                "concurrency_rejections": erp_stats.get("rejected_concurrency"),
                "max_in_flight": erp_stats.get("max_in_flight"),
                "by_status": erp_stats.get("by_status"),
            },
        },
        "engine": engine_status,
        "exceptions": exceptions[:50],
        "load": {**load_report, "requests": requests},
        "engine_kills": kills,
        "alerts_received": alerts,
        "examples": findings.examples,
    }


def write_outputs(results: Path, summary: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    (results / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    if samples:
        with (results / "timeseries.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(samples[0]))
            writer.writeheader()
            writer.writerows(samples)
        plot(results / "timeseries.png", samples, summary["scenario"])


def plot(path: Path, samples: list[dict[str, Any]], title: str) -> None:
    """Backlog and throttling over simulated time: the picture queueing engineers ask for."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r["t"] for r in samples]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    top.plot(t, [r["accepted"] for r in samples], label="orders accepted (channel)")
    top.plot(t, [r["sales_orders"] for r in samples], label="sales orders (ERP)")
    top.plot(t, [r["backlog"] for r in samples], label="backlog (accepted − in ERP)")
    top.set_ylabel("orders")
    top.legend(loc="upper left")
    top.set_title(f"{title}: orders and backlog")
    bottom.plot(t, [r["shopify_429"] for r in samples], label="Shopify 429s (cumulative)")
    bottom.plot(t, [r["erp_rejected"] for r in samples], label="ERP concurrency rejections")
    bottom.set_xlabel("simulated seconds since load start")
    bottom.set_ylabel("count")
    bottom.legend(loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def table(summary: dict[str, Any]) -> str:
    """The summary as a terminal table."""
    lat = summary["latency_seconds"]
    shop = summary["platforms"]["shopify"]
    erp = summary["platforms"]["erp"]
    rows = [
        (
            "orders attempted / accepted / synced",
            f"{summary['orders']['attempted']} / {summary['orders']['accepted']} / "
            f"{summary['orders']['synced']}",
        ),
        ("sold-out rejections", summary["orders"]["rejected_sold_out"]),
        ("lost", summary["lost"]),
        ("duplicated", summary["duplicated"]),
        ("oversold units", summary["oversold_units"]),
        (
            "stock drift (keys / units)",
            f"{summary['stock_drift']['keys']} / {summary['stock_drift']['units']}",
        ),
        ("amount drift", summary["amount_drift"]),
        ("unsurfaced failures", summary["unsurfaced_failures"]),
        (
            "latency p50 / p95 / p99 (sim s)",
            f"{_fmt(lat['p50'])} / {_fmt(lat['p95'])} / {_fmt(lat['p99'])}",
        ),
        (
            "backlog peak (at sim s)",
            f"{summary['backlog']['peak']} (at {_fmt(summary['backlog']['peak_at_seconds'])})",
        ),
        ("drain from peak to empty (sim s)", _fmt(summary["drain_seconds"])),
        ("shopify calls / 429s", f"{shop['calls']} / {shop['throttled_429']}"),
        (
            "shopify: engine paced by the bucket (sim s)",
            _fmt(summary["engine"].get("shopify", {}).get("budget", {}).get("waited_seconds")),
        ),
        (
            "erp calls / concurrency rejections / max in flight",
            f"{erp['calls']} / {erp['concurrency_rejections']} / {erp['max_in_flight']}",
        ),
        ("engine restarts (SIGKILL)", len(summary["engine_kills"])),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name.ljust(width)}  {_fmt(value)}" for name, value in rows]
    verdict = summary["verdict"].upper()
    lines.append(f"  {'verdict'.ljust(width)}  {verdict}")
    lines.extend(f"    - {reason}" for reason in summary["reasons"])
    return "\n".join(lines)
