"""What a run leaves behind: summary.json, timeseries.csv, timeseries.png, report.html, and
a table."""

from __future__ import annotations

import contextlib
import csv
import json
from pathlib import Path
from typing import Any

from scenarios.catalogue import products
from scenarios.invariants import ChannelFindings, Findings, Latency
from scenarios.platforms import BACK_OFFICES, CHANNELS
from scenarios.report_html import write_html
from scenarios.report_limits import rate_limits
from scenarios.report_render import plot, table
from scenarios.report_slos import slo_checks
from scenarios.report_staff import staff_section
from scenarios.schema import Channel, Scenario

__all__ = ["build_summary", "drain_after_peak", "table", "write_outputs"]


def _verdict(
    scenario: Scenario, f: Findings, drain_seconds: float | None, converged: bool
) -> list[str]:
    """Reasons the run fails; empty means it passes (the failing checks of
    ``scenarios.report_slos.slo_checks``, which defines every check once, post-purchase
    changes included)."""
    return [c.reason for c in slo_checks(scenario, f, drain_seconds, converged) if not c.passed]


def drain_after_peak(samples: list[dict[str, Any]]) -> tuple[dict[str, Any], float | None]:
    """The backlog's peak sample, and simulated seconds from it until the backlog is empty
    (but for orders the engine holds in its exception queue: those count as lost).

    None when the backlog never emptied after its peak.
    """
    if not samples:
        return {"backlog": 0, "t": 0.0}, None
    peak_index = max(range(len(samples)), key=lambda i: samples[i]["backlog"])
    peak = samples[peak_index]
    for row in samples[peak_index:]:
        if row["backlog"] <= row.get("engine_held", 0):
            return peak, round(float(row["t"]) - float(peak["t"]), 2)
    return peak, None


def _locust_counts(rows: list[dict[str, str]]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for row in rows:
        name = row.get("Name", "")
        if name and name != "Aggregated":
            counts[name] = int(row.get("Request Count", 0) or 0)
    return counts


def _latency(latency: Latency) -> dict[str, Any]:
    return {
        "p50": latency.p50,
        "p95": latency.p95,
        "p99": latency.p99,
        "max": latency.max,
        "count": latency.count,
    }


DEFAULT_CONNECTORS = {
    "shopify": "shopify-rest-2026-01",
    "shopline": "shopline-rest",
    "shopware": "shopware-admin-6.6",
    "erp": "netsuite-rest-v1",
    "fulfil": "fulfil-v2",
}
"""What a channel or back office is labelled with when the engine's ``/status`` does not say
(the engine's own label is preferred: it is what actually ran)."""


def _channel_connector(channel: Channel, engine_status: dict[str, Any]) -> str:
    reported = (engine_status.get("channels") or {}).get(channel.name, {}).get("connector")
    if reported:
        return str(reported)
    if channel.connector and channel.api_version:
        return f"{channel.connector}-{channel.api_version}"
    return DEFAULT_CONNECTORS[channel.platform]


def _channel_section(
    channel: Channel,
    *,
    findings: ChannelFindings | None,
    stats: dict[str, Any],
    engine_status: dict[str, Any],
    load_report: dict[str, Any],
) -> dict[str, Any]:
    counters = CHANNELS[channel.platform].counters(stats)
    statuses = ((load_report.get("channels") or {}).get(channel.name) or {}).get(
        "status_counts", {}
    )
    section: dict[str, Any] = {
        "platform": channel.platform,
        "connector": _channel_connector(channel, engine_status),
        "share": channel.share,
        "orders": {
            "attempted": sum(int(n) for n in statuses.values()),
            "accepted": findings.orders_accepted if findings else counters.accepted,
            "rejected_sold_out": counters.rejected,
            "synced": findings.orders_synced if findings else None,
        },
        "calls": counters.calls,
        "throttled_429": counters.throttled,
        "by_status": stats.get("by_status"),
        "webhooks": stats.get("webhooks"),
    }
    if findings is not None:
        section.update(
            lost=findings.lost,
            duplicated=findings.duplicated,
            amount_drift=findings.amount_drift,
            stock_drift={"keys": findings.stock_drift_keys, "units": findings.stock_drift_units},
            unsurfaced_failures=findings.unsurfaced_failures,
            latency_seconds=_latency(findings.latency),
        )
    return section


def _back_office_section(
    platform: str, stats: dict[str, Any], engine_status: dict[str, Any]
) -> dict[str, Any]:
    counters = BACK_OFFICES[platform].counters(stats)
    section: dict[str, Any] = {
        "platform": platform,
        "connector": (engine_status.get("erp") or {}).get("connector")
        or DEFAULT_CONNECTORS[platform],
        "sales_orders": counters.orders,
        "calls": counters.calls,
        "by_status": stats.get("by_status"),
    }
    if platform == "erp":
        section["concurrency_rejections"] = counters.rejected_concurrency
        section["max_in_flight"] = counters.max_in_flight
    else:
        section["throttled_429"] = counters.throttled
    return section


def _oversold_by_sku(scenario: Scenario, findings: Findings) -> dict[str, int]:
    """Oversold units per SKU: the hot SKUs (the first ``catalogue.hot.count``), even at 0,
    then every other SKU with oversold units."""
    hot = [p.sku for p in products(scenario)[: scenario.catalogue.hot.count]]
    by_sku = {sku: findings.oversold_by_sku.get(sku, 0) for sku in hot}
    by_sku.update(sorted(findings.oversold_by_sku.items()))
    return by_sku


def build_summary(
    *,
    scenario: Scenario,
    findings: Findings,
    samples: list[dict[str, Any]],
    stats: dict[str, dict[str, Any]],
    engine_status: dict[str, Any],
    exceptions: list[dict[str, Any]],
    load_report: dict[str, Any],
    locust_rows: list[dict[str, str]],
    kills: list[dict[str, float]],
    alerts: list[dict[str, Any]],
    settled_after_load: float | None,
    converged: bool,
) -> dict[str, Any]:
    """``summary.json``: the verdict, the findings overall and per channel, each channel's and
    the back office's counters and connector id (so runs on two connector versions compare).
    ``stats`` is every mock's ``/_mock/stats`` by service (channel name or back office)."""
    peak, drain_seconds = drain_after_peak(samples)
    checks = slo_checks(scenario, findings, drain_seconds, converged, settled_after_load)
    reasons = [c.reason for c in checks if not c.passed]
    requests = _locust_counts(locust_rows)
    bo = scenario.back_office.platform
    channels = {
        c.name: _channel_section(
            c,
            findings=findings.channels.get(c.name),
            stats=stats.get(c.name, {}),
            engine_status=engine_status,
            load_report=load_report,
        )
        for c in scenario.channels
    }
    back_office = _back_office_section(bo, stats.get(bo, {}), engine_status)
    # The single-channel shape, by service name, kept for the readers of earlier summaries.
    platforms: dict[str, Any] = {
        name: {k: ch[k] for k in ("calls", "throttled_429", "by_status", "webhooks")}
        for name, ch in channels.items()
    }
    platforms[bo] = {k: v for k, v in back_office.items() if k not in ("platform", "connector")}
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "time_scale": scenario.time_scale,
        "duration_seconds": scenario.duration,
        "verdict": "fail" if reasons else "pass",
        "reasons": reasons,
        "orders": {
            "attempted": sum(n for name, n in requests.items() if name.startswith("checkout")),
            "accepted": findings.orders_accepted,
            "rejected_sold_out": sum(ch["orders"]["rejected_sold_out"] for ch in channels.values()),
            "synced": findings.orders_synced,
        },
        "lost": findings.lost,
        "duplicated": findings.duplicated,
        "oversold_units": findings.oversold_units,
        "oversold_by_sku": _oversold_by_sku(scenario, findings),
        "stock_drift": {"keys": findings.stock_drift_keys, "units": findings.stock_drift_units},
        "amount_drift": findings.amount_drift,
        "unsurfaced_failures": findings.unsurfaced_failures,
        "cancel_drift": findings.cancel_drift,
        "refund_drift": findings.refund_drift,
        "edit_drift": findings.edit_drift,
        "staff": staff_section(scenario, findings, stats, requests),
        "latency_seconds": _latency(findings.latency),
        "backlog": {"peak": peak["backlog"], "peak_at_seconds": peak["t"]},
        "drain_seconds": drain_seconds,
        "settled_after_load_seconds": settled_after_load,
        "converged": converged,
        "channels": channels,
        "back_office": back_office,
        "connectors": {
            **{name: ch["connector"] for name, ch in channels.items()},
            bo: back_office["connector"],
        },
        "platforms": platforms,
        "limits": rate_limits(scenario),
        "slos": [c.to_dict() for c in checks],
        "faults": [fault.model_dump(mode="json") for fault in scenario.faults],
        "engine": engine_status,
        "webhooks_refused": (engine_status.get("webhooks") or {}).get("refused", {}),
        "exceptions": exceptions[:50],
        "load": {**load_report, "requests": requests},
        "engine_kills": kills,
        "alerts_received": alerts,
        "examples": findings.examples,
    }


def read_json(path: Path) -> dict[str, Any]:
    """A JSON object a process of the run left behind; empty if it left none."""
    with contextlib.suppress(OSError, ValueError):
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    return {}


def read_csv(path: Path) -> list[dict[str, str]]:
    """Rows of a CSV a process of the run left behind (Locust's stats); empty if none."""
    with contextlib.suppress(OSError), path.open(newline="") as handle:
        return list(csv.DictReader(handle))
    return []


def write_outputs(results: Path, summary: dict[str, Any], samples: list[dict[str, Any]]) -> None:
    (results / "summary.json").write_text(json.dumps(summary, indent=2, default=str))
    if samples:
        with (results / "timeseries.csv").open("w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(samples[0]))
            writer.writeheader()
            writer.writerows(samples)
        plot(results / "timeseries.png", samples, summary["scenario"])
    write_html(results / "report.html", summary, samples)
