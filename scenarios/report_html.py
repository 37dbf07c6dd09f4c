"""``report.html``: one self-contained page per run for finance and operations.

The verdict in words at the top, then the SLO table (name, limit, measured, pass/fail, a
sentence), key figures, the plots (``scenarios.report_plots``, inline base64 PNGs), and the
tables behind them: channels with their connector ids, rate limits, request latency, the
reconciliation, exceptions, engine kills and injected faults. No script, no stylesheet or
image fetched from anywhere: the file can be mailed or archived as it is. Every piece of
text from the run is escaped.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from scenarios.report_plots import Plot, number, plots

SLO_LABELS = {
    "lost": "Orders lost",
    "duplicated": "Orders duplicated",
    "amount_drift": "Amounts that differ",
    "unsurfaced_failures": "Silent failures",
    "oversold_units": "Units oversold",
    "stock_drift_units": "Stock drift after the sale",
    "converged": "Caught up after the sale",
    "latency_p50": "Order → back office, median",
    "latency_p95": "Order → back office, p95",
    "latency_p99": "Order → back office, p99",
    "drain_seconds": "Backlog drain time",
    "cancel_drift": "Cancellations not carried over",
    "refund_drift": "Refunds without a credit memo",
    "edit_drift": "Address changes not carried over",
}
"""Plain names of the checks (unknown ones are shown by their key)."""

PASS_HIGHLIGHTS = ("lost", "oversold_units", "converged")
"""The checks a passing verdict repeats at the top (a failing one lists what failed)."""
COUNTED = ("orders", "units")
"""Units spoken in the singular for one."""

CSS = """
:root { --ink:#1d2733; --muted:#5b6673; --line:#dfe4ea; --pass:#1e7d52; --fail:#b42f2f;
  --pass-bg:#e8f5ee; --fail-bg:#fbeaea; --panel:#f6f8fa; }
* { box-sizing: border-box; }
body { margin:0; font:15px/1.5 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial,
  sans-serif; color:var(--ink); background:#fff; }
main { max-width: 1080px; margin: 0 auto; padding: 28px 32px 48px; }
header { border-bottom: 1px solid var(--line); padding-bottom: 14px; margin-bottom: 20px; }
header h1 { margin:0; font-size: 24px; font-weight: 650; }
header p { margin: 4px 0 0; color: var(--muted); font-size: 13.5px; }
h2 { font-size: 18px; margin: 34px 0 10px; padding-bottom: 6px; border-bottom: 1px solid
  var(--line); }
.verdict { border-radius: 8px; padding: 18px 22px; border-left: 6px solid; }
.verdict.pass { background: var(--pass-bg); border-color: var(--pass); }
.verdict.fail { background: var(--fail-bg); border-color: var(--fail); }
.verdict .label { font-size: 13px; font-weight: 700; letter-spacing: .08em; }
.verdict.pass .label { color: var(--pass); } .verdict.fail .label { color: var(--fail); }
.verdict .headline { font-size: 19px; font-weight: 600; margin: 4px 0 6px; }
.verdict ul { margin: 6px 0 0; padding-left: 20px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; margin: 6px 0 4px; }
th, td { text-align: left; padding: 7px 10px; border-bottom: 1px solid var(--line);
  vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .04em; color: var(--muted);
  font-weight: 600; background: var(--panel); }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.badge { display: inline-block; min-width: 44px; text-align: center; padding: 1px 8px;
  border-radius: 10px; font-size: 12px; font-weight: 700; letter-spacing: .04em; }
.badge.pass { background: var(--pass-bg); color: var(--pass); }
.badge.fail { background: var(--fail-bg); color: var(--fail); }
tr.fail td { background: #fff8f8; }
.figures { display: grid; grid-template-columns: repeat(auto-fill, minmax(190px, 1fr));
  gap: 10px; }
.figure-card { background: var(--panel); border-radius: 8px; padding: 12px 14px; }
.figure-card .value { font-size: 21px; font-weight: 650; font-variant-numeric: tabular-nums; }
.figure-card .name { font-size: 12.5px; color: var(--muted); }
figure { margin: 18px 0 8px; }
figure img { width: 100%; height: auto; border: 1px solid var(--line); border-radius: 6px; }
figcaption { font-size: 13px; color: var(--muted); margin-bottom: 8px; }
figcaption strong { color: var(--ink); display: block; font-size: 14.5px; }
.muted { color: var(--muted); font-size: 13px; }
code { white-space: nowrap; font-size: 12.5px; background: var(--panel); padding: 1px 4px;
  border-radius: 3px; }
footer { margin-top: 40px; color: var(--muted); font-size: 12.5px; border-top: 1px solid
  var(--line); padding-top: 10px; }
"""


def _e(value: Any) -> str:
    """Escaped text of any value (None as a dash)."""
    return "–" if value is None else html.escape(str(value), quote=True)


def fmt(value: Any, unit: str = "") -> str:
    """A figure for people: thousands separators, one decimal for fractions, a unit."""
    n = number(value) if not isinstance(value, str) else None
    if value is None or (n is None and not isinstance(value, str)):
        return "–"
    if n is None:
        return _e(value)
    text = f"{n:,.0f}" if n == int(n) else f"{n:,.1f}"
    if n == 1 and unit in COUNTED:
        unit = unit.removesuffix("s")
    return _e(f"{text} {unit}".strip())


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, css: str = "") -> str:
    """A table of already-escaped cells; a header starting with ``#`` is a numeric column."""
    numeric = [h.startswith("#") for h in headers]
    head = "".join(
        f'<th class="num">{_e(h[1:])}</th>' if n else f"<th>{_e(h)}</th>"
        for h, n in zip(headers, numeric, strict=True)
    )
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="num">{cell}</td>' if n else f"<td>{cell}</td>"
            for cell, n in zip(row, numeric, strict=True)
        )
        + "</tr>"
        for row in rows
    )
    return f'<table class="{css}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def _verdict(summary: dict[str, Any]) -> str:
    slos = summary.get("slos") or []
    failed = [s for s in slos if not s["passed"]]
    passed = summary.get("verdict") == "pass"
    if passed:
        headline = f"The rehearsal passed all {len(slos)} checks."
        shown = [s for s in slos if s["name"] in PASS_HIGHLIGHTS]
        detail = "".join(f"<li>{_e(s['words'])}</li>" for s in shown)
    else:
        headline = (
            f"The rehearsal failed {len(failed)} of {len(slos)} checks."
            if slos
            else "The rehearsal failed."
        )
        detail = "".join(f"<li>{_e(s['words'])}</li>" for s in failed) or "".join(
            f"<li>{_e(r)}</li>" for r in summary.get("reasons") or []
        )
    css = "pass" if passed else "fail"
    return (
        f'<section class="verdict {css}" id="verdict"><div class="label">'
        f'{"PASS" if passed else "FAIL"}</div><div class="headline">{_e(headline)}</div>'
        f"<ul>{detail}</ul></section>"
    )


def _slo_table(summary: dict[str, Any]) -> str:
    rows = []
    for slo in summary.get("slos") or []:
        css = "pass" if slo["passed"] else "fail"
        unit = slo.get("unit", "")
        rows.append(
            f'<tr class="slo {css}" data-slo="{_e(slo["name"])}">'
            f"<td>{_e(SLO_LABELS.get(slo['name'], slo['name']))}</td>"
            f'<td class="num">{fmt(slo.get("limit"), unit)}</td>'
            f'<td class="num">{fmt(slo.get("measured"), unit)}</td>'
            f'<td><span class="badge {css}">{"PASS" if slo["passed"] else "FAIL"}</span></td>'
            f"<td>{_e(slo['words'])}</td></tr>"
        )
    head = (
        "<tr><th>Check</th><th class='num'>Limit</th><th class='num'>Measured</th>"
        "<th>Result</th><th>What it means</th></tr>"
    )
    return (
        f'<table class="slos" id="slos"><thead>{head}</thead><tbody>{"".join(rows)}</tbody></table>'
    )


def _key_figures(summary: dict[str, Any]) -> str:
    orders = summary.get("orders") or {}
    lat = summary.get("latency_seconds") or {}
    backlog = summary.get("backlog") or {}
    cards = [
        ("checkouts attempted", fmt(orders.get("attempted"))),
        ("orders accepted", fmt(orders.get("accepted"))),
        ("orders in the back office", fmt(orders.get("synced"))),
        ("refused: sold out", fmt(orders.get("rejected_sold_out"))),
        ("backlog peak (orders)", fmt(backlog.get("peak"))),
        ("drain, peak → empty", fmt(summary.get("drain_seconds"), "s")),
        ("latency median / p99", f"{fmt(lat.get('p50'), 's')} / {fmt(lat.get('p99'), 's')}"),
        ("units oversold", fmt(summary.get("oversold_units"))),
        ("engine restarts", fmt(len(summary.get("engine_kills") or []))),
    ]
    body = "".join(
        f'<div class="figure-card"><div class="value">{value}</div>'
        f'<div class="name">{_e(name)}</div></div>'
        for name, value in cards
    )
    return f'<div class="figures" id="figures">{body}</div>'


def _plot_html(plot: Plot) -> str:
    data = base64.b64encode(plot.png).decode("ascii")
    return (
        f'<figure id="plot-{_e(plot.key)}"><figcaption><strong>{_e(plot.title)}</strong>'
        f'{_e(plot.caption)}</figcaption><img class="plot" alt="{_e(plot.title)}" '
        f'src="data:image/png;base64,{data}"></figure>'
    )


def _channels(summary: dict[str, Any]) -> str:
    rows = []
    for name, ch in (summary.get("channels") or {}).items():
        orders = ch.get("orders") or {}
        lat = ch.get("latency_seconds") or {}
        rows.append(
            [
                _e(name),
                _e(ch.get("platform")),
                f"<code>{_e(ch.get('connector'))}</code>",
                fmt(orders.get("accepted")),
                fmt(orders.get("synced")),
                fmt(orders.get("rejected_sold_out")),
                fmt(ch.get("lost")),
                fmt(ch.get("duplicated")),
                fmt(ch.get("calls")),
                fmt(ch.get("throttled_429")),
                fmt(lat.get("p99"), "s"),
            ]
        )
    bo = summary.get("back_office") or {}
    if bo:
        refusals = bo.get("concurrency_rejections", bo.get("throttled_429"))
        rows.append(
            [
                "back office",
                _e(bo.get("platform")),
                f"<code>{_e(bo.get('connector'))}</code>",
                "",
                fmt(bo.get("sales_orders")),
                "",
                "",
                "",
                fmt(bo.get("calls")),
                fmt(refusals),
                "",
            ]
        )
    headers = [
        "Channel",
        "Platform",
        "Connector",
        "#Accepted",
        "#Synced",
        "#Sold out",
        "#Lost",
        "#Duplicated",
        "#API calls",
        "#Refused (429)",
        "#p99",
    ]
    return _table(headers, rows, css="channels")


def _limits(summary: dict[str, Any]) -> str:
    rows = [
        [
            _e(name),
            _e(lim.get("platform")),
            fmt(lim.get("rate"), lim.get("unit", "")),
            _e(lim.get("derived")),
        ]
        for name, lim in (summary.get("limits") or {}).items()
    ]
    return _table(["Service", "Platform", "#Bound", "How it is derived"], rows, css="limits")


def _request_latency(summary: dict[str, Any]) -> str:
    timings = (summary.get("load") or {}).get("latency_ms")
    if not isinstance(timings, dict) or not timings:
        return ""
    keys = ("p50", "p95", "p99")
    rows = [
        [
            _e(name),
            fmt(t.get("count")),
            *(fmt(t.get(k), "ms") for k in keys),
            fmt(t.get("max"), "ms"),
            fmt(t.get("failures")),
        ]
        for name, t in timings.items()
        if isinstance(t, dict)
    ]
    return (
        "<h2>Shopper request times</h2><p class='muted'>Exact percentiles over every request "
        "the load generator sent (wall milliseconds).</p>"
        + _table(
            ["Request", "#Count", "#p50", "#p95", "#p99", "#Slowest", "#Failures"],
            rows,
            css="requests",
        )
    )


def _reconciliation(summary: dict[str, Any]) -> str:
    rec = summary.get("reconciliation")
    if not isinstance(rec, dict):
        return ""
    causes = rec.get("by_cause") or {}
    rows = [[_e(cause), fmt(n)] for cause, n in sorted(causes.items())]
    lead = (
        f"<p>The end-of-run reconciliation compared channels, the engine and the back office "
        f"with {fmt(rec.get('calls'))} API calls and found {fmt(rec.get('drift'))} "
        "differences.</p>"
    )
    return "<h2>Reconciliation</h2>" + lead + (_table(["Cause", "#Found"], rows) if rows else "")


def _exceptions(summary: dict[str, Any]) -> str:
    groups = summary.get("exceptions") or []
    if not groups:
        return "<h2>Exceptions</h2><p class='muted'>The engine held no record for review.</p>"
    rows = [
        [
            _e(g.get("flow")),
            _e(g.get("reason")),
            _e(g.get("state")),
            fmt(g.get("count")),
            f"<code>{_e(g.get('fingerprint'))}</code>",
        ]
        for g in groups
    ]
    return "<h2>Exceptions</h2>" + _table(
        ["Flow", "Reason", "State", "#Records", "Fingerprint"], rows, css="exceptions"
    )


def _kills(summary: dict[str, Any]) -> str:
    kills = summary.get("engine_kills") or []
    if not kills:
        return ""
    rows = [
        [fmt(k.get("asked_at"), "s"), fmt(k.get("killed_at"), "s"), fmt(k.get("back_at"), "s")]
        for k in kills
    ]
    return "<h2>Engine crashes injected</h2>" + _table(
        ["#Asked at", "#Killed at", "#Back at"], rows, css="kills"
    )


def _faults(summary: dict[str, Any]) -> str:
    faults = summary.get("faults") or []
    if not faults:
        return ""
    rows = []
    for fault in faults:
        params = ", ".join(
            f"{k}={v}" for k, v in fault.items() if k not in ("platform", "at", "duration", "kind")
        )
        rows.append(
            [
                _e(fault.get("platform")),
                _e(fault.get("kind")),
                fmt(fault.get("at"), "s"),
                fmt(fault.get("duration"), "s") if fault.get("duration") else "until the end",
                _e(params),
            ]
        )
    return "<h2>Faults injected</h2>" + _table(
        ["Platform", "Fault", "#From", "#For", "Parameters"], rows, css="faults"
    )


def render(summary: dict[str, Any], samples: Sequence[dict[str, Any]]) -> str:
    """The whole page."""
    name = summary.get("scenario", "rehearsal")
    subtitle = (
        f"Seed {summary.get('seed')} · {fmt(summary.get('duration_seconds'))} simulated "
        f"seconds of sale · time compressed ×{summary.get('time_scale')} · back office "
        f"{(summary.get('back_office') or {}).get('platform', '–')}"
    )
    figures = "".join(_plot_html(p) for p in plots(summary, samples))
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Rehearsal report: {_e(name)}</title><style>{CSS}</style></head><body><main>",
        f"<header><h1>Flash-sale rehearsal: {_e(name)}</h1><p>{_e(subtitle)}</p></header>",
        _verdict(summary),
        "<h2>Checks</h2>",
        _slo_table(summary),
        "<h2>Key figures</h2>",
        _key_figures(summary),
        "<h2>Plots</h2>" if figures else "",
        figures,
        "<h2>Channels and back office</h2>",
        _channels(summary),
        "<h2>Rate limits</h2>",
        _limits(summary),
        _request_latency(summary),
        _reconciliation(summary),
        _exceptions(summary),
        _kills(summary),
        _faults(summary),
        "<footer>Generated by Rehearsal from <code>summary.json</code> and "
        "<code>timeseries.csv</code> in this folder. Times are simulated seconds unless "
        "marked ms.</footer>",
        "</main></body></html>",
    ]
    return "\n".join(p for p in parts if p)


def write_html(path: Path, summary: dict[str, Any], samples: Sequence[dict[str, Any]]) -> None:
    """Write ``report.html``."""
    path.write_text(render(summary, samples), encoding="utf-8")
