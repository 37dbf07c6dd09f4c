"""The plots of ``report.html``, each a PNG in memory, drawn from whatever the run recorded.

Every plot is built from the time series (``timeseries.csv`` rows: simulated ``t`` and the
columns of ``scenarios.run_config.sample_row``) or the summary, and is left out when the
columns or figures it needs are absent (runs recorded before they existed still render).
Values may be numbers, None, or the strings of a CSV read back (blank = not measured).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

FLOWS = ("orders", "fulfilments", "refunds", "order_changes", "payouts", "stock_pushes")
"""The engine's flows with a ``backlog_<flow>`` column, in the order they are drawn."""
THROUGHPUT_WINDOW = 10.0
"""Simulated seconds a throughput point averages over."""
PALETTE = ("#1f5fa8", "#d9822b", "#2e9e6a", "#b8405e", "#7a5cc2", "#6b7785", "#c2a40f")
INK, MUTED, GRID = "#1d2733", "#5b6673", "#e3e7ec"
PASS_COLOUR, FAIL_COLOUR = "#2e9e6a", "#c23b3b"


@dataclass(frozen=True, kw_only=True)
class Plot:
    """One figure of the report."""

    key: str
    """Stable id (the ``<figure>``'s id)."""
    title: str
    caption: str
    """What the reader should look for, in words."""
    png: bytes


def number(value: Any) -> float | None:
    """A sample's value as a float; None when blank, missing or not a number."""
    if value is None or value == "" or isinstance(value, bool):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _columns(samples: Sequence[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in samples:
        seen.update(dict.fromkeys(row))
    return list(seen)


def _series(samples: Sequence[dict[str, Any]], column: str) -> tuple[list[float], list[float]]:
    """(t, value) of the rows where both are numbers."""
    ts, values = [], []
    for row in samples:
        t, v = number(row.get("t")), number(row.get(column))
        if t is not None and v is not None:
            ts.append(t)
            values.append(v)
    return ts, values


def rates(ts: Sequence[float], totals: Sequence[float], window: float) -> list[float]:
    """Per-second rate of a cumulative counter, averaged over the last ``window`` seconds
    (over what is there at the start); 0 where no time has passed."""
    out, start = [], 0
    for i, t in enumerate(ts):
        while ts[start] < t - window:
            start += 1
        span = t - ts[start]
        out.append((totals[i] - totals[start]) / span if span > 0 else 0.0)
    return out


def _figure(rows: int = 1, height: float = 3.2) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, 1, figsize=(9.6, height * rows), sharex=rows > 1, squeeze=False)
    from matplotlib.ticker import MaxNLocator

    for ax in axes[:, 0]:
        ax.yaxis.set_major_locator(MaxNLocator(integer=True, nbins="auto"))
        ax.spines[["top", "right"]].set_visible(False)
        ax.spines[["left", "bottom"]].set_color("#9aa4ae")
        ax.tick_params(colors=MUTED, labelsize=9)
        ax.grid(True, color=GRID, linewidth=0.8)
        ax.set_axisbelow(True)
    return fig, axes[:, 0]


def _png(fig: Any) -> bytes:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    fig.tight_layout()
    fig.savefig(buffer, format="png", dpi=110, facecolor="white")
    plt.close(fig)
    return buffer.getvalue()


def _legend(ax: Any) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="upper right", fontsize=8.5, frameon=False)


def backlog_plot(samples: Sequence[dict[str, Any]]) -> Plot | None:
    """Backlog per engine flow (orders alone for older runs)."""
    columns = _columns(samples)
    flows = [f for f in FLOWS if f"backlog_{f}" in columns]
    if not flows and "backlog" not in columns:
        return None
    fig, (ax,) = _figure()
    drawn = 0
    for i, flow in enumerate(flows or ["orders"]):
        column = f"backlog_{flow}" if flows else "backlog"
        ts, values = _series(samples, column)
        if ts and (flow == "orders" or any(values)):
            ax.plot(ts, values, color=PALETTE[i], linewidth=1.8, label=flow.replace("_", " "))
            drawn += 1
    if not drawn:
        return None
    ax.set_xlabel("simulated seconds since the sale opened", color=MUTED, fontsize=9)
    ax.set_ylabel("waiting", color=MUTED, fontsize=9)
    _legend(ax)
    return Plot(
        key="backlog",
        title="Backlog over time, by flow",
        caption="Work accepted but not yet carried across: orders not yet in the back office, "
        "and the engine's waiting fulfilment, refund, order-change, payout and stock-push jobs. "
        "A backlog that returns to zero after the peak means the integration caught up.",
        png=_png(fig),
    )


def throughput_plot(
    samples: Sequence[dict[str, Any]], limits: dict[str, dict[str, Any]]
) -> Plot | None:
    """API calls per second for each service, against its rate-limit bound."""
    columns = _columns(samples)
    services = [name for name in limits if f"{name}_calls" in columns]
    if not services:
        return None
    fig, axes = _figure(len(services), height=2.4)
    for i, (ax, name) in enumerate(zip(axes, services, strict=True)):
        limit = limits[name]
        ts, totals = _series(samples, f"{name}_calls")
        ax.plot(
            ts,
            rates(ts, totals, THROUGHPUT_WINDOW),
            color=PALETTE[i],
            linewidth=1.6,
            label="API calls/s made by the engine",
        )
        rate, unit = limit.get("rate"), limit.get("unit", "")
        platform = limit.get("platform")
        label = name if platform in (None, name) else f"{name} ({platform})"
        if rate is not None and unit in ("calls/s", "writes/s"):
            ax.axhline(
                rate,
                color=FAIL_COLOUR,
                linestyle="--",
                linewidth=1.2,
                label=f"bound {rate:.3g} {unit}",
            )
            title = f"{label}: {limit.get('derived')}"
        elif rate is not None:
            title = f"{name}: bound {rate:.3g} {unit} ({limit.get('derived')}), not in calls"
        else:
            title = f"{label}: {limit.get('derived')}"
        ax.set_title(title, fontsize=9.5, color=INK, loc="left")
        ax.set_ylabel("per second", color=MUTED, fontsize=9)
        ax.set_ylim(bottom=0)
        _legend(ax)
    axes[-1].set_xlabel("simulated seconds since the sale opened", color=MUTED, fontsize=9)
    return Plot(
        key="throughput",
        title="Throughput against each platform's rate limit",
        caption=f"API calls per second ({THROUGHPUT_WINDOW:g}-second average) to every "
        "channel and the back office, with the platform's limit as a dashed line. Running "
        "along the line means the limit, not the integration, set the pace.",
        png=_png(fig),
    )


def latency_plot(summary: dict[str, Any]) -> Plot | None:
    """p50 / p95 / p99 / max of order → back office, overall and per channel, with the SLOs."""
    groups = [("all channels", summary.get("latency_seconds") or {})]
    channels = summary.get("channels") or {}
    if len(channels) > 1:
        groups += [(name, ch.get("latency_seconds") or {}) for name, ch in channels.items()]
    keys = ("p50", "p95", "p99", "max")
    if not any(number(lat.get(k)) is not None for _, lat in groups for k in keys):
        return None
    fig, (ax,) = _figure(height=3.0)
    width = 0.8 / len(groups)
    for g, (label, lat) in enumerate(groups):
        xs = [k + g * width - 0.4 + width / 2 for k in range(len(keys))]
        heights = [number(lat.get(k)) or 0.0 for k in keys]
        bars = ax.bar(xs, heights, width=width * 0.92, color=PALETTE[g], label=label)
        ax.bar_label(bars, labels=[f"{h:.1f}" for h in heights], fontsize=8, color=INK)
    for slo in summary.get("slos") or []:
        if str(slo["name"]).startswith("latency_p") and slo.get("limit") is not None:
            k = keys.index(str(slo["name"]).removeprefix("latency_"))
            colour = PASS_COLOUR if slo["passed"] else FAIL_COLOUR
            ax.hlines(
                slo["limit"],
                k - 0.45,
                k + 0.45,
                colors=colour,
                linestyles="--",
                label=f"{slo['name'].removeprefix('latency_')} limit {slo['limit']:g} s",
            )
    ax.set_xticks(range(len(keys)), ["median (p50)", "p95", "p99", "slowest"])
    ax.set_ylim(0, ax.get_ylim()[1] * 1.3)  # room for the legend above the bars
    ax.set_ylabel("simulated seconds", color=MUTED, fontsize=9)
    _legend(ax)
    return Plot(
        key="latency",
        title="Order → back office latency",
        caption="Simulated seconds from the order on the storefront to the sales order in the "
        "back office: half of the orders took less than the median, 1 in 100 took longer "
        "than p99.",
        png=_png(fig),
    )


def oversold_plot(summary: dict[str, Any]) -> Plot | None:
    """Oversold units per SKU: the hot SKUs, and any other SKU that was oversold."""
    by_sku = summary.get("oversold_by_sku")
    if not by_sku:
        return None
    skus = list(by_sku)
    units = [int(by_sku[s]) for s in skus]
    fig, (ax,) = _figure(height=2.4)
    colours = [FAIL_COLOUR if n else PASS_COLOUR for n in units]
    bars = ax.bar(range(len(skus)), [max(n, 0.02) for n in units], color=colours, width=0.6)
    ax.bar_label(bars, labels=[str(n) for n in units], fontsize=8.5, color=INK)
    ax.set_xticks(range(len(skus)), skus, rotation=30 if len(skus) > 8 else 0, fontsize=8.5)
    ax.set_ylabel("units oversold", color=MUTED, fontsize=9)
    ax.set_ylim(0, max([*units, 1]) * 1.25)
    if not any(units):
        ax.text(
            0.5,
            0.55,
            "no unit of these SKUs was oversold",
            transform=ax.transAxes,
            ha="center",
            color=PASS_COLOUR,
            fontsize=11,
        )
    return Plot(
        key="oversold",
        title="Oversold units per hot SKU",
        caption="Units sold beyond the stock the warehouse had, for the scarce (hot) SKUs and "
        "any other SKU that was oversold. Each unit is an order line that must be cancelled.",
        png=_png(fig),
    )


def drift_plot(samples: Sequence[dict[str, Any]]) -> Plot | None:
    """Stock drift (and oversold units so far) probed from the mocks' states during the run."""
    ts, drift = _series(samples, "stock_drift_units")
    if not ts:
        return None
    fig, (ax,) = _figure(height=2.8)
    ax.plot(
        ts,
        drift,
        color=PALETTE[0],
        marker="o",
        markersize=3.5,
        linewidth=1.4,
        label="stock drift (units storefronts show wrongly)",
    )
    ots, oversold = _series(samples, "oversold_so_far")
    if ots:
        ax.plot(
            ots,
            oversold,
            color=FAIL_COLOUR,
            marker="s",
            markersize=3,
            linewidth=1.2,
            label="oversold units so far",
        )
    ax.set_xlabel("simulated seconds since the sale opened", color=MUTED, fontsize=9)
    ax.set_ylabel("units", color=MUTED, fontsize=9)
    ax.set_ylim(bottom=0)
    _legend(ax)
    return Plot(
        key="drift",
        title="Stock drift over time",
        caption="Units by which the stock shown on the storefronts differed from the back "
        "office's (less the buffer), measured every few seconds. Drift while orders are in "
        "flight is expected; it must be back at zero once the sale settles.",
        png=_png(fig),
    )


def budget_plot(samples: Sequence[dict[str, Any]]) -> Plot | None:
    """Share of each API budget the engine used (``<service>_budget_use``, 0..1)."""
    columns = [c for c in _columns(samples) if c.endswith("_budget_use")]
    drawn = [(c, *_series(samples, c)) for c in columns]
    drawn = [d for d in drawn if d[1]]
    if not drawn:
        return None
    fig, (ax,) = _figure(height=2.6)
    for i, (column, ts, values) in enumerate(drawn):
        ax.plot(
            ts,
            [v * 100 for v in values],
            color=PALETTE[i % len(PALETTE)],
            linewidth=1.4,
            label=column.removesuffix("_budget_use"),
        )
    ax.set_ylim(0, 110)
    ax.set_ylabel("% of budget used", color=MUTED, fontsize=9)
    ax.set_xlabel("simulated seconds since the sale opened", color=MUTED, fontsize=9)
    _legend(ax)
    return Plot(
        key="budget",
        title="API budget used by the engine",
        caption="The engine's own measure of how much of each platform's allowance it spent. "
        "Near 100% during the peak: the engine used everything it was allowed.",
        png=_png(fig),
    )


def plots(summary: dict[str, Any], samples: Sequence[dict[str, Any]]) -> list[Plot]:
    """Every plot the run has data for, in reading order."""
    makers: list[Callable[[], Plot | None]] = [
        lambda: backlog_plot(samples) if samples else None,
        lambda: throughput_plot(samples, summary.get("limits") or {}) if samples else None,
        lambda: latency_plot(summary),
        lambda: oversold_plot(summary),
        lambda: drift_plot(samples) if samples else None,
        lambda: budget_plot(samples) if samples else None,
    ]
    return [p for p in (make() for make in makers) if p is not None]
