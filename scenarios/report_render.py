"""What a person looks at: the time-series plot and the terminal table of a run's summary."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from scenarios.report_staff import staff_rows

BACK_OFFICE_REFUSALS = {"erp": "ERP concurrency rejections", "fulfil": "Fulfil 429s"}


def _series(samples: list[dict[str, Any]], suffix: str) -> list[str]:
    """Columns ending in ``suffix`` (per channel or back office), in column order."""
    return [key for key in samples[0] if key.endswith(suffix)]


def plot(path: Path, samples: list[dict[str, Any]], title: str) -> None:
    """Backlog and throttling over simulated time: the picture queueing engineers ask for."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    t = [r["t"] for r in samples]
    fig, (top, bottom) = plt.subplots(2, 1, figsize=(10, 6), sharex=True)
    per_channel = _series(samples, "_accepted")
    top.plot(t, [r["accepted"] for r in samples], label="orders accepted (channels)")
    if len(per_channel) > 1:
        for key in per_channel:
            name = key.removesuffix("_accepted")
            top.plot(t, [r[key] for r in samples], linestyle=":", label=f"accepted on {name}")
    top.plot(t, [r["sales_orders"] for r in samples], label="sales orders (back office)")
    top.plot(t, [r["backlog"] for r in samples], label="backlog (accepted − in back office)")
    top.set_ylabel("orders")
    top.legend(loc="upper left", fontsize="small")
    top.set_title(f"{title}: orders and backlog")
    for key in _series(samples, "_429"):
        name = key.removesuffix("_429")
        bottom.plot(t, [r[key] for r in samples], label=f"{name} 429s (cumulative)")
    for key in _series(samples, "_rejected"):
        office = key.removesuffix("_rejected")
        if office in BACK_OFFICE_REFUSALS:
            bottom.plot(t, [r[key] for r in samples], label=BACK_OFFICE_REFUSALS[office])
    bottom.set_xlabel("simulated seconds since load start")
    bottom.set_ylabel("count")
    if bottom.get_legend_handles_labels()[0]:  # runs recorded without refusal columns
        bottom.legend(loc="upper left", fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _channel_rows(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = []
    engine_channels = summary["engine"].get("channels") or {}
    for name, ch in summary["channels"].items():
        orders = ch["orders"]
        rows.append(
            (
                f"{name} [{ch['connector']}] accepted / synced / sold out",
                f"{orders['accepted']} / {orders['synced']} / {orders['rejected_sold_out']}",
            )
        )
        rows.append(
            (
                f"{name}: lost / dup / amount drift / stock drift units",
                f"{ch.get('lost')} / {ch.get('duplicated')} / {ch.get('amount_drift')} / "
                f"{(ch.get('stock_drift') or {}).get('units')}",
            )
        )
        budget = (engine_channels.get(name) or {}).get("budget") or {}
        waited = budget.get("waited_seconds") if isinstance(budget, dict) else None
        rows.append(
            (
                f"{name}: calls / 429s / engine paced (sim s)",
                f"{ch['calls']} / {ch['throttled_429']} / {_fmt(waited)}",
            )
        )
    return rows


def _back_office_row(summary: dict[str, Any]) -> tuple[str, Any]:
    bo = summary["back_office"]
    label = f"{bo['platform']} [{bo['connector']}]"
    if bo["platform"] == "erp":
        return (
            f"{label} calls / concurrency rejections / max in flight",
            f"{bo['calls']} / {bo['concurrency_rejections']} / {bo['max_in_flight']}",
        )
    return (f"{label} calls / 429s", f"{bo['calls']} / {bo.get('throttled_429')}")


def _reconciliation_rows(summary: dict[str, Any]) -> list[tuple[str, Any]]:
    rec = summary.get("reconciliation")
    if not rec:
        return []
    causes = ", ".join(f"{c} {n}" for c, n in sorted(rec["by_cause"].items())) or "none"
    return [("reconciliation: drift / API calls", f"{rec['drift']} / {rec['calls']} ({causes})")]


def _refused(by_reason: dict[str, int]) -> str:
    """``0``, or ``3 (signature 2, stale 1)``."""
    if not by_reason:
        return "0"
    reasons = ", ".join(f"{r} {n}" for r, n in sorted(by_reason.items()))
    return f"{sum(by_reason.values())} ({reasons})"


def table(summary: dict[str, Any]) -> str:
    """The summary as a terminal table."""
    lat = summary["latency_seconds"]
    rows: list[tuple[str, Any]] = [
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
        *staff_rows(summary),
        (
            "latency p50 / p95 / p99 (sim s)",
            f"{_fmt(lat['p50'])} / {_fmt(lat['p95'])} / {_fmt(lat['p99'])}",
        ),
        (
            "backlog peak (at sim s)",
            f"{summary['backlog']['peak']} (at {_fmt(summary['backlog']['peak_at_seconds'])})",
        ),
        ("drain from peak to empty (sim s)", _fmt(summary["drain_seconds"])),
        *_channel_rows(summary),
        _back_office_row(summary),
        ("engine restarts (SIGKILL)", len(summary["engine_kills"])),
        ("webhooks refused (by reason)", _refused(summary.get("webhooks_refused") or {})),
        *_reconciliation_rows(summary),
    ]
    width = max(len(name) for name, _ in rows)
    lines = [f"  {name.ljust(width)}  {_fmt(value)}" for name, value in rows]
    verdict = summary["verdict"].upper()
    lines.append(f"  {'verdict'.ljust(width)}  {verdict}")
    lines.extend(f"    - {reason}" for reason in summary["reasons"])
    return "\n".join(lines)
