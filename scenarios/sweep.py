"""``rehearsal sweep SCENARIO --param buffer=0,2,5 --param erp.concurrency=5,15``: the
capacity question before go-live, as a grid of rehearsals.

The grid (``scenarios.sweep_grid``) is validated whole before anything runs. Its points run
one at a time (the machine is the bottleneck otherwise), each into a folder of its own under
``results/sweep-<scenario>-<UTC stamp>/`` named after its values. After each point the sweep
rewrites ``sweep.csv`` and ``sweep.json`` (one row per point); at the end it draws
``sweep.png`` (``scenarios.sweep_plot``) and prints a table.

Exit codes: 0 the sweep completed (failed verdicts are data, not errors), 1 a run crashed (its
row says why; the other points still run), 2 bad input, 130 interrupted (what finished is
written).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from scenarios.loader import load, resolve
from scenarios.schema import Scenario
from scenarios.sweep_grid import Param, Point, SweepError, build_grid, label_value, parse_params
from simclock import ScaledClock

EXIT_DONE, EXIT_CRASHED, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

METRICS = (
    "verdict",
    "oversold_units",
    "backlog_peak",
    "drain_seconds",
    "latency_p99",
    "lost",
    "duplicated",
)
"""The figures of each row, after its parameters."""


@dataclass(frozen=True, kw_only=True)
class Outcome:
    """What a runner reports for one point: the run's summary and where it left its files."""

    summary: dict[str, Any]
    results_dir: Path


Runner = Callable[[Scenario, Path], Outcome]
"""Runs one scenario with its results folder inside the given one (injected in tests)."""


def rehearse(scenario: Scenario, results_root: Path) -> Outcome:
    """The real runner: one rehearsal, as ``rehearsal run`` does it."""
    from scenarios.orchestrator import RunOptions, run

    result = run(scenario, RunOptions(results_root=results_root))
    return Outcome(summary=result.summary, results_dir=result.results_dir)


def row_of(point: Point, outcome: Outcome) -> dict[str, Any]:
    """One row: the point's parameter values, then the run's figures and its folder."""
    s = outcome.summary
    return {
        **point.params,
        "verdict": s.get("verdict"),
        "oversold_units": s.get("oversold_units"),
        "backlog_peak": (s.get("backlog") or {}).get("peak"),
        "drain_seconds": s.get("drain_seconds"),
        "latency_p99": (s.get("latency_seconds") or {}).get("p99"),
        "lost": s.get("lost"),
        "duplicated": s.get("duplicated"),
        "results": str(outcome.results_dir),
        "error": None,
    }


def crashed_row(point: Point, error: BaseException) -> dict[str, Any]:
    return {
        **point.params,
        **dict.fromkeys(METRICS),
        "verdict": "crashed",
        "results": None,
        "error": f"{type(error).__name__}: {error}",
    }


@dataclass
class Sweep:
    """A grid being run, and the rows of the points that finished."""

    scenario: str
    params: list[Param]
    points: list[Point]
    folder: Path
    rows: list[dict[str, Any]] = field(default_factory=list)
    interrupted: bool = False

    @property
    def crashed(self) -> bool:
        return any(r["verdict"] == "crashed" for r in self.rows)

    @property
    def columns(self) -> list[str]:
        return [*(p.name for p in self.params), *METRICS, "results", "error"]

    def write_rows(self) -> None:
        """``sweep.csv`` and ``sweep.json`` with every finished row (rewritten after each)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with (self.folder / "sweep.csv").open("w", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=self.columns)
            writer.writeheader()
            for row in self.rows:
                writer.writerow({k: "" if v is None else v for k, v in row.items()})
        document = {
            "scenario": self.scenario,
            "params": [
                {"name": p.name, "path": p.path, "values": list(p.values)} for p in self.params
            ],
            "points": len(self.points),
            "completed": len(self.rows),
            "interrupted": self.interrupted,
            "rows": self.rows,
        }
        (self.folder / "sweep.json").write_text(json.dumps(document, indent=2, default=str))


def run_sweep(sweep: Sweep, runner: Runner, echo: Callable[[str], None] = print) -> Sweep:
    """Run every point in order. A crash is recorded and the sweep goes on; Ctrl-C stops it
    with the finished rows written."""
    sweep.folder.mkdir(parents=True, exist_ok=True)
    for i, point in enumerate(sweep.points, start=1):
        echo(f"sweep: point {i}/{len(sweep.points)}: {_values(point)}")
        try:
            outcome = runner(point.scenario, sweep.folder)
        except KeyboardInterrupt:
            sweep.interrupted = True
            echo(f"sweep: interrupted; {len(sweep.rows)} of {len(sweep.points)} points finished")
            break
        except Exception as exc:  # a crashed run is a row of the sweep, not its end
            sweep.rows.append(crashed_row(point, exc))
            echo(f"sweep: point {i} crashed: {exc}")
        else:
            row = row_of(point, outcome)
            sweep.rows.append(row)
            echo(
                f"sweep: point {i}: {row['verdict']}, oversold {_fmt(row['oversold_units'])}, "
                f"backlog peak {_fmt(row['backlog_peak'])}, drain {_fmt(row['drain_seconds'])} s"
            )
        sweep.write_rows()
    sweep.write_rows()
    return sweep


def _values(point: Point) -> str:
    return " ".join(f"{k}={label_value(v)}" for k, v in point.values)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value) if not isinstance(value, bool) else label_value(value)


def table(sweep: Sweep) -> str:
    """The finished rows as a text table (parameters, then figures)."""
    headers = [*(p.name for p in sweep.params), "verdict", "oversold", "backlog", "drain s"]
    headers += ["p99 s", "lost", "dup"]
    keys = [*(p.name for p in sweep.params), *METRICS]
    cells = [[_fmt(row.get(k)) for k in keys] for row in sweep.rows]
    widths = [max([len(h), *(len(c[i]) for c in cells)]) for i, h in enumerate(headers)]
    lines = ["  " + "  ".join(h.rjust(w) for h, w in zip(headers, widths, strict=True))]
    for c in cells:
        lines.append("  " + "  ".join(v.rjust(w) for v, w in zip(c, widths, strict=True)))
    return "\n".join(lines)


def prepare(scenario: str, param_texts: list[str], results: Path | None) -> Sweep:
    """The validated grid and its folder; ``SweepError`` / ``ScenarioError`` on bad input."""
    base = load(scenario)  # ScenarioError names the file, the field and the reason
    raw = yaml.safe_load(resolve(scenario).read_text(encoding="utf-8"))
    params = parse_params(param_texts)
    points = build_grid(raw, base, params)
    # Stamped like a run's folder: the wall time a run's clock starts at.
    stamp = datetime.fromtimestamp(ScaledClock().origin_wall, UTC).strftime("%Y%m%d-%H%M%S")
    folder = results if results is not None else Path("results") / f"sweep-{base.name}-{stamp}"
    return Sweep(scenario=base.name, params=params, points=points, folder=folder)


def cmd_sweep(args: argparse.Namespace, runner: Runner = rehearse) -> int:
    from scenarios.sweep_plot import plot

    try:
        sweep = prepare(args.scenario, list(args.param), args.results)
    except SweepError as exc:
        print(f"rehearsal sweep: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    print(f"rehearsal sweep: {sweep.scenario}, {len(sweep.points)} points")
    if args.dry_run:
        for i, point in enumerate(sweep.points, start=1):
            print(f"  {i:>3}  {_values(point)}  → {point.scenario.name}")
        return EXIT_DONE
    run_sweep(sweep, runner)
    if sweep.rows:
        plot(
            sweep.rows,
            [p.name for p in sweep.params],
            sweep.folder / "sweep.png",
            title=f"{sweep.scenario}: what-if sweep",
        )
    print(table(sweep))
    print(f"  results: {sweep.folder}/sweep.csv, sweep.json, sweep.png")
    if sweep.interrupted:
        return EXIT_INTERRUPTED
    return EXIT_CRASHED if sweep.crashed else EXIT_DONE


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "sweep", help="run a scenario over a grid of parameter values and plot the figures"
    )
    p.add_argument("scenario", help="scenario file or library name")
    p.add_argument(
        "--param",
        action="append",
        required=True,
        metavar="NAME=V1,V2,...",
        help="a dotted path into the scenario (engine.stock_buffer, channels.0.share) or an "
        "alias (buffer, erp.concurrency, erp.latency, shopify.leak_rate, shopify.bucket, "
        "peak = factor on the arrival curve's rates); repeatable: the grid is their product",
    )
    p.add_argument(
        "--results",
        type=Path,
        default=None,
        help="folder for the sweep (default: results/sweep-<scenario>-<UTC stamp>/)",
    )
    p.add_argument("--dry-run", action="store_true", help="list the grid's points; run nothing")
    p.set_defaults(func=cmd_sweep)
