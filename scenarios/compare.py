"""``rehearsal compare BASELINE RUN``: the regression gate for connector upgrades.

Reads two runs' ``summary.json`` (a file or its results folder), prints the figures side by
side and exits 1 when the run regresses beyond a tolerance, 0 when it holds, 2 on bad input.
What counts as a regression:
- the verdict goes from pass to fail;
- any of lost, duplicated, amount drift, unsurfaced failures grows at all (they must be 0);
- oversold units or stock drift units grow by more than ``--units`` (default 0);
- latency p95/p99, backlog peak or drain time grow by more than ``--ratio`` (default 10%) and
  by more than ``--floor`` simulated seconds / orders (default 5), so noise on tiny figures
  does not fail a gate.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

EXIT_HOLDS, EXIT_REGRESSED, EXIT_BAD_INPUT = 0, 1, 2


@dataclass(frozen=True)
class Row:
    name: str
    baseline: float | str | None
    run: float | str | None
    regressed: bool


def load_summary(path: Path) -> dict[str, Any]:
    """A run's summary from its file or results folder; ``ValueError`` saying why not."""
    file = path / "summary.json" if path.is_dir() else path
    if not file.is_file():
        raise ValueError(f"{path}: no summary.json there")
    try:
        data: dict[str, Any] = json.loads(file.read_text())
    except json.JSONDecodeError as exc:
        raise ValueError(f"{file}: not JSON ({exc})") from exc
    if "verdict" not in data:
        raise ValueError(f"{file}: not a rehearsal summary (no verdict)")
    return data


def _get(summary: dict[str, Any], path: str) -> float | None:
    value: Any = summary
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return None if value is None else float(value)


ZERO_FIGURES = ("lost", "duplicated", "amount_drift", "unsurfaced_failures")
UNIT_FIGURES = ("oversold_units", "stock_drift.units")
TIME_FIGURES = ("latency_seconds.p95", "latency_seconds.p99", "backlog.peak", "drain_seconds")


def compare(
    baseline: dict[str, Any],
    run: dict[str, Any],
    *,
    ratio: float = 0.10,
    floor: float = 5.0,
    units: float = 0.0,
) -> list[Row]:
    """Each figure of both runs, marked where the run regressed."""
    rows = [
        Row(
            "verdict",
            baseline["verdict"],
            run["verdict"],
            baseline["verdict"] == "pass" and run["verdict"] != "pass",
        )
    ]
    for name in ZERO_FIGURES:
        b, r = _get(baseline, name), _get(run, name)
        rows.append(Row(name, b, r, r is not None and r > (b or 0.0)))
    for name in UNIT_FIGURES:
        b, r = _get(baseline, name), _get(run, name)
        rows.append(Row(name, b, r, r is not None and r > (b or 0.0) + units))
    for name in TIME_FIGURES:
        b, r = _get(baseline, name), _get(run, name)
        worse = r is not None and b is not None and r > b * (1 + ratio) and r - b > floor
        rows.append(Row(name, b, r, worse or (b is not None and r is None)))
    return rows


def render(rows: list[Row], baseline_label: str, run_label: str) -> str:
    def fmt(v: float | str | None) -> str:
        if v is None:
            return "-"
        return v if isinstance(v, str) else f"{v:g}"

    width = max(len(r.name) for r in rows)
    lines = [f"  {'figure'.ljust(width)}  {baseline_label:>24}  {run_label:>24}"]
    for r in rows:
        mark = "  REGRESSED" if r.regressed else ""
        lines.append(f"  {r.name.ljust(width)}  {fmt(r.baseline):>24}  {fmt(r.run):>24}{mark}")
    return "\n".join(lines)


def _label(summary: dict[str, Any]) -> str:
    return str(summary.get("scenario", "?"))[:24]


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("compare", help="compare a run with a baseline; exit 1 on regression")
    p.add_argument("baseline", type=Path, help="baseline summary.json or results folder")
    p.add_argument("run", type=Path, help="the run's summary.json or results folder")
    p.add_argument("--ratio", type=float, default=0.10, help="latency/backlog/drain tolerance")
    p.add_argument("--floor", type=float, default=5.0, help="smallest growth that counts")
    p.add_argument("--units", type=float, default=0.0, help="oversold/stock drift tolerance")
    p.set_defaults(func=cmd_compare)


def cmd_compare(args: argparse.Namespace) -> int:
    try:
        baseline, run = load_summary(args.baseline), load_summary(args.run)
    except ValueError as exc:
        print(f"rehearsal compare: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    rows = compare(baseline, run, ratio=args.ratio, floor=args.floor, units=args.units)
    print(render(rows, _label(baseline), _label(run)))
    regressed = [r.name for r in rows if r.regressed]
    print(f"  {'regressed: ' + ', '.join(regressed) if regressed else 'no regression'}")
    return EXIT_REGRESSED if regressed else EXIT_HOLDS
