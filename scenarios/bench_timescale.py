"""``rehearsal bench --time-compression``: one scenario at several time_scales, figures compared.

``time_scale`` compresses traffic, rate limits, latencies, delays and timeouts together, so a
queueing figure measured in simulated seconds should not depend on it. This benchmark runs the
same scenario (same seed) at each scale in turn through :func:`scenarios.orchestrator.run`,
then compares backlog peak and drain seconds (and, for information, p99 latency and the
ERP's throughput while backlogged) with the first scale's. They agree when both judged
ratios are within :data:`TOLERANCE` of 1.

What does *not* compress is wall time spent outside the simulation: an HTTP round trip, the
engine's CPU time per order, a process waiting for a core. At time_scale 10 a 5 ms round trip
costs 50 simulated ms. The ``erp`` block of each run shows how much: the ERP slot time per
write (slots ÷ writes per simulated second while backlogged) against the mean latency the
mock drew; the difference is what each write costs beyond its simulated latency. Webhook
deliveries the engine answered too late and ERP concurrency refusals are counted too. It
reports; it never asserts.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from scenarios.schema import Scenario
from simclock import ScaledClock

TOLERANCE = 0.10
"""Two figures agree when their ratio is within 1 ± this."""
JUDGED = ("backlog_peak", "drain_seconds")
"""The figures agreement is judged on (issue 8); the others are shown for information."""
SHOWN = ("backlog_peak", "drain_seconds", "latency_p99", "erp_orders_per_s")
DEFAULT_SCENARIO = "time-compression"
DEFAULT_SCALES = (1.0, 10.0)
QUICK_SCALES = (5.0, 10.0)
SATURATED_SHARE = 0.25
"""The ERP counts as saturated while the backlog is at least this share of its peak."""
OUTPUT = "time_compression.json"


class ScalesError(ValueError):
    """A ``--scales`` value that cannot be used; ``str()`` is the message."""


def parse_scales(text: str) -> list[float]:
    """``"1,10"`` → ``[1.0, 10.0]``: at least two distinct scales, each in (0, 1000]."""
    scales: list[float] = []
    for part in text.split(","):
        try:
            scale = float(part.strip())
        except ValueError:
            raise ScalesError(f"--scales: {part.strip()!r} is not a number") from None
        if not 0 < scale <= 1000:
            raise ScalesError(f"--scales: {scale:g} is outside (0, 1000]")
        if scale in scales:
            raise ScalesError(f"--scales: {scale:g} given twice")
        scales.append(scale)
    if len(scales) < 2:
        raise ScalesError("--scales: give at least two scales to compare, e.g. 1,10")
    return scales


def quick_variant(scenario: Scenario) -> Scenario:
    """The same shape in half the simulated time (the curve's times halved, same rates), so
    the backlog still builds and drains but the run is short. Needs an ``arrival_curve``."""
    if scenario.arrival_curve is None:
        raise ValueError(f"{scenario.name}: --quick halves an arrival_curve; this one has none")
    curve = [(t / 2, rate) for t, rate in scenario.arrival_curve]
    return scenario.model_copy(update={"arrival_curve": curve, "duration": scenario.duration / 2})


def at_scale(scenario: Scenario, scale: float) -> Scenario:
    """The scenario at ``scale``, named so each run's results folder says which it was."""
    return scenario.model_copy(update={"time_scale": scale, "name": f"{scenario.name}-x{scale:g}"})


@dataclass(frozen=True, kw_only=True)
class ErpLoad:
    """How the ERP was used while the backlog was deep (simulated seconds throughout)."""

    orders_per_s: float
    """Sales orders created per simulated second while saturated."""
    writes_per_order: float
    mean_write_latency: float
    """The mean latency the mock drew for a write."""
    slots: float
    """Slots the engine could use: the ERP's limit, or the engine's learned one if lower
    (its mean over the window)."""
    slot_seconds_per_write: float
    """Slots ÷ writes per second: how long each write held a slot."""

    @property
    def overhead_per_write(self) -> float:
        """Slot time beyond the drawn latency: round trips, engine time, idle slots."""
        return self.slot_seconds_per_write - self.mean_write_latency


def erp_load(
    samples: Sequence[dict[str, Any]], erp_stats: dict[str, Any], *, peak: int
) -> ErpLoad | None:
    """The ERP's throughput over the samples where the backlog was at least
    :data:`SATURATED_SHARE` of its peak; None when that window is too short or the stats lack
    what it needs. The slots are the ERP's ``concurrency_limit``, or the engine's learned limit
    (``engine_erp_limit`` in the samples) where that is lower."""
    floor = max(1.0, SATURATED_SHARE * peak)
    window = [row for row in samples if float(row["backlog"]) >= floor]
    write = (erp_stats.get("latency") or {}).get("write") or {}
    writes, orders = int(write.get("count") or 0), int(erp_stats.get("sales_orders") or 0)
    limit = erp_stats.get("concurrency_limit")
    if len(window) < 2 or not writes or not orders or not limit:
        return None
    first, last = window[0], window[-1]
    span = float(last["t"]) - float(first["t"])
    done = float(last["sales_orders"]) - float(first["sales_orders"])
    if span <= 0 or done <= 0:
        return None
    per_order = writes / orders
    learned = [float(row["engine_erp_limit"]) for row in window if row.get("engine_erp_limit")]
    slots = min(float(limit), sum(learned) / len(learned)) if learned else float(limit)
    return ErpLoad(
        orders_per_s=done / span,
        writes_per_order=per_order,
        mean_write_latency=float(write["total_seconds"]) / writes,
        slots=slots,
        slot_seconds_per_write=slots / (done / span * per_order),
    )


@dataclass(frozen=True, kw_only=True)
class ScaleRun:
    """One run's figures; every time is simulated seconds but ``wall_seconds``."""

    time_scale: float
    backlog_peak: int
    backlog_peak_at: float
    drain_seconds: float | None
    latency_p99: float | None
    accepted: int
    synced: int
    verdict: str
    wall_seconds: float
    results_dir: str
    webhook_failed_attempts: int = 0
    """Deliveries the engine did not answer in time (5 simulated s: 0.5 wall s at time_scale
    10); each is retried after the platform's back-off. Nonzero at a high scale only: the
    machine did not keep up with the compression."""
    erp_rejections: int = 0
    """Requests the ERP refused for concurrency (the engine then learns a lower limit)."""
    erp: ErpLoad | None = None

    @property
    def erp_orders_per_s(self) -> float | None:
        return None if self.erp is None else self.erp.orders_per_s

    def figure(self, name: str) -> float | None:
        value = getattr(self, name)
        return None if value is None else float(value)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        if self.erp is not None:
            data["erp"]["overhead_per_write"] = round(self.erp.overhead_per_write, 4)
            data["erp"]["overhead_per_write_wall_ms"] = round(
                1000 * self.erp.overhead_per_write / self.time_scale, 2
            )
        return data


def from_summary(
    summary: dict[str, Any],
    *,
    wall_seconds: float,
    results_dir: Path,
    samples: Sequence[dict[str, Any]] = (),
    erp_stats: dict[str, Any] | None = None,
) -> ScaleRun:
    """A run's figures from its ``summary.json`` (and time series and ERP stats, if any)."""
    peak = int(summary["backlog"]["peak"])
    drain = summary.get("drain_seconds")
    p99 = (summary.get("latency_seconds") or {}).get("p99")
    channels = (summary.get("channels") or {}).values()
    webhooks = sum(int((c.get("webhooks") or {}).get("failed_attempts") or 0) for c in channels)
    office = summary.get("back_office") or {}
    return ScaleRun(
        time_scale=float(summary["time_scale"]),
        backlog_peak=peak,
        backlog_peak_at=float(summary["backlog"]["peak_at_seconds"]),
        drain_seconds=None if drain is None else float(drain),
        latency_p99=None if p99 is None else float(p99),
        accepted=int(summary["orders"]["accepted"]),
        synced=int(summary["orders"]["synced"]),
        verdict=str(summary["verdict"]),
        wall_seconds=round(wall_seconds, 1),
        results_dir=str(results_dir),
        webhook_failed_attempts=webhooks,
        erp_rejections=int(office.get("concurrency_rejections") or 0),
        erp=erp_load(samples, erp_stats, peak=peak) if erp_stats else None,
    )


def ratio(value: float | None, reference: float | None) -> float | None:
    """``value ÷ reference``; 1.0 when both are 0; None when either is missing or only the
    reference is 0."""
    if value is None or reference is None:
        return None
    if reference == 0:
        return 1.0 if value == 0 else None
    return value / reference


def agrees(r: float | None, tolerance: float = TOLERANCE) -> bool:
    """A ratio within 1 ± tolerance (a missing one never agrees)."""
    return r is not None and abs(r - 1.0) <= tolerance + 1e-12


def compare(runs: Sequence[ScaleRun], tolerance: float = TOLERANCE) -> list[dict[str, Any]]:
    """Each later run against the first: a ratio per figure in :data:`SHOWN`, and whether
    every :data:`JUDGED` figure agrees."""
    if len(runs) < 2:
        raise ValueError("compare needs at least two runs")
    reference = runs[0]
    out = []
    for run in runs[1:]:
        ratios = {name: ratio(run.figure(name), reference.figure(name)) for name in SHOWN}
        out.append(
            {
                "time_scale": run.time_scale,
                "reference_time_scale": reference.time_scale,
                "ratios": {k: None if v is None else round(v, 4) for k, v in ratios.items()},
                "agree": all(agrees(ratios[name], tolerance) for name in JUDGED),
            }
        )
    return out


def report(
    scenario: Scenario, runs: Sequence[ScaleRun], *, quick: bool, tolerance: float = TOLERANCE
) -> dict[str, Any]:
    """What ``time_compression.json`` holds."""
    comparisons = compare(runs, tolerance)
    return {
        "scenario": scenario.name,
        "seed": scenario.seed,
        "duration_sim_s": scenario.duration,
        "quick": quick,
        "units": "simulated seconds (wall_seconds and overhead_per_write_wall_ms: wall clock)",
        "tolerance": tolerance,
        "judged": list(JUDGED),
        "runs": [run.as_dict() for run in runs],
        "comparisons": comparisons,
        "agree": all(c["agree"] for c in comparisons),
    }


def _cell(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def table(data: dict[str, Any]) -> str:
    """Per scale the figures, then the ratios to the first scale and the verdict."""
    head = (
        f"{'scale':>6} {'peak':>6} {'at s':>6} {'drain s':>8} {'p99 s':>7} {'accepted':>8} "
        f"{'synced':>7} {'ERP o/s':>8} {'+s/write':>9} {'hook re':>7} {'ERP rej':>7} "
        f"{'wall s':>7}"
    )
    lines = [f"time compression: {data['scenario']} (simulated seconds)", head]
    for run in data["runs"]:
        erp = run.get("erp") or {}
        lines.append(
            f"{run['time_scale']:>6g} {run['backlog_peak']:>6} {run['backlog_peak_at']:>6.0f} "
            f"{_cell(run['drain_seconds'], '.1f'):>8} {_cell(run['latency_p99'], '.1f'):>7} "
            f"{run['accepted']:>8} {run['synced']:>7} "
            f"{_cell(erp.get('orders_per_s'), '.3f'):>8} "
            f"{_cell(erp.get('overhead_per_write'), '.3f'):>9} "
            f"{run['webhook_failed_attempts']:>7} {run['erp_rejections']:>7} "
            f"{run['wall_seconds']:>7.0f}"
        )
    for comparison in data["comparisons"]:
        r = comparison["ratios"]
        verdict = "yes" if comparison["agree"] else "no"
        lines.append(
            f"ratios x{comparison['time_scale']:g} / x{comparison['reference_time_scale']:g}: "
            f"peak {_cell(r['backlog_peak'], '.3f')}, drain {_cell(r['drain_seconds'], '.3f')}, "
            f"p99 {_cell(r['latency_p99'], '.3f')}, ERP orders/s "
            f"{_cell(r['erp_orders_per_s'], '.3f')}; agree within {data['tolerance']:.0%}: "
            f"{verdict}"
        )
    return "\n".join(lines)


def _read_samples(results_dir: Path) -> list[dict[str, Any]]:
    path = results_dir / "timeseries.csv"
    if not path.exists():
        return []
    with path.open(newline="") as handle:
        return list(csv.DictReader(handle))


def _read_erp_stats(results_dir: Path) -> dict[str, Any] | None:
    path = results_dir / "erp_state.json"
    if not path.exists():
        return None
    stats: dict[str, Any] = json.loads(path.read_text()).get("stats") or {}
    return stats


def run_benchmark(
    scenario: Scenario,
    scales: Sequence[float],
    *,
    results: Path,
    quick: bool,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run ``scenario`` at each scale in turn, compare, write ``results/bench/`` + OUTPUT."""
    from scenarios.orchestrator import RunOptions, run

    out = results / "bench"
    runs: list[ScaleRun] = []
    wall = ScaledClock()  # time_scale 1: wall seconds, read from the one clock
    for scale in scales:
        scaled = at_scale(scenario, scale)
        echo(f"time compression: {scenario.name} at time_scale {scale:g} ...")
        started = wall.now()
        result = run(scaled, RunOptions(results_root=out / "time_compression", echo=echo))
        runs.append(
            from_summary(
                result.summary,
                wall_seconds=wall.now() - started,
                results_dir=result.results_dir,
                samples=_read_samples(result.results_dir),
                erp_stats=_read_erp_stats(result.results_dir),
            )
        )
    data = report(scenario, runs, quick=quick)
    out.mkdir(parents=True, exist_ok=True)
    (out / OUTPUT).write_text(json.dumps(data, indent=2) + "\n")
    echo(table(data))
    echo(f"  results: {out / OUTPUT}")
    return data


def main(args: argparse.Namespace) -> int:
    """``rehearsal bench --time-compression``: 0 whatever it measures, 2 on bad input."""
    import sys

    from scenarios.loader import ScenarioError, load

    try:
        scales = parse_scales(args.scales) if args.scales else None
        scenario = load(args.scenario or DEFAULT_SCENARIO)
    except (ScalesError, ScenarioError) as exc:
        print(exc, file=sys.stderr)
        return 2
    if args.quick:
        try:
            scenario = quick_variant(scenario)
        except ValueError as exc:
            print(exc, file=sys.stderr)
            return 2
    chosen = scales or list(QUICK_SCALES if args.quick else DEFAULT_SCALES)
    run_benchmark(scenario, chosen, results=args.results, quick=args.quick)
    return 0
