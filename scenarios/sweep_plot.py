"""``sweep.png``: oversold units, backlog peak and drain time against the swept parameters.

Three panels side by side. The first parameter is the x axis (numeric values at their value,
others as categories). Each combination of the other parameters is one line (one line in all
for a one-parameter sweep). Points whose verdict failed are circled in red. A run that never
drained is marked at the top of the drain panel, and crashed points are counted in the title.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PANELS = (
    ("oversold_units", "oversold units"),
    ("backlog_peak", "backlog peak (orders)"),
    ("drain_seconds", "drain time (simulated s)"),
)
"""Row key and panel title, left to right."""


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _y(value: Any) -> float:
    return float(value) if _number(value) else math.nan


def plot(
    rows: list[dict[str, Any]], params: list[str], path: Path, *, title: str = "sweep"
) -> Figure:
    """Draw ``rows`` (``scenarios.sweep`` rows) against ``params`` into ``path``; returns the
    figure so callers (and tests) can read its panels."""
    x_name, others = params[0], params[1:]
    xs = list(dict.fromkeys(row[x_name] for row in rows))
    numeric = all(_number(x) for x in xs)
    position = {x: (float(x) if numeric else float(i)) for i, x in enumerate(xs)}
    series: dict[tuple[Any, ...], list[dict[str, Any]]] = {}
    for row in rows:
        series.setdefault(tuple(row[name] for name in others), []).append(row)

    fig = Figure(figsize=(15, 4.6))
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(PANELS))
    for ax, (key, panel_title) in zip(axes, PANELS, strict=True):
        undrained_label = "no figure (did not drain)"
        for combo, members in series.items():
            members = sorted(members, key=lambda r: position[r[x_name]])
            label = ", ".join(f"{n}={v}" for n, v in zip(others, combo, strict=True)) or None
            (line,) = ax.plot(
                [position[r[x_name]] for r in members],
                [_y(r[key]) for r in members],
                marker="o",
                label=label,
            )
            # No figure (a run that never drained has no drain time): a triangle at the top
            # of the panel, in its line's colour.
            missing = [r for r in members if r["verdict"] != "crashed" and not _number(r[key])]
            if missing:
                ax.scatter(
                    [position[r[x_name]] for r in missing],
                    [0.96] * len(missing),
                    marker="^",
                    s=70,
                    color=line.get_color(),
                    edgecolors="red",
                    transform=ax.get_xaxis_transform(),
                    label=undrained_label,
                )
                undrained_label = "_nolegend_"
        failed = [r for r in rows if r["verdict"] == "fail" and _number(r[key])]
        if failed:
            ax.scatter(
                [position[r[x_name]] for r in failed],
                [_y(r[key]) for r in failed],
                s=160,
                facecolors="none",
                edgecolors="red",
                linewidths=1.8,
                zorder=3,
                label="verdict failed",
            )
        ax.set_title(panel_title)
        ax.set_xlabel(x_name)
        ax.set_xticks([position[x] for x in xs], [str(x) for x in xs])
        # Headroom above the highest point for the triangles and the legend.
        top = max((_y(r[key]) for r in rows if _number(r[key])), default=0.0)
        ax.set_ylim(0, top * 1.35 if top > 0 else 1.0)
        ax.grid(alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize="small")
    crashed = sum(1 for r in rows if r["verdict"] == "crashed")
    fig.suptitle(title + (f" ({crashed} point(s) crashed, not plotted)" if crashed else ""))
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    return fig
