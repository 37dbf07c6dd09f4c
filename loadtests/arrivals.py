"""Open-model arrival schedules: a piecewise-linear rate curve and its Poisson arrivals.

Pure functions only (no locust, no gevent): the orchestrator, the tests and the locustfile
import this module. All times here are *simulated* seconds except in `shape_tick`, which
maps wall-clock run time onto the simulated duration through `time_scale`.

A curve is a sequence of ``(t, rate)`` points, ``rate`` in arrivals per simulated second,
linear between points. It starts at ``t = 0``; after its last point the rate stays at the last
point's rate (so ``[[0, 5]]`` is a constant 5/s and a curve ending in ``0`` falls silent).
"""

from __future__ import annotations

import bisect
import itertools
import math
import random
from collections.abc import Iterable, Sequence

Curve = tuple[tuple[float, float], ...]
"""A validated arrival-rate curve: ``((t0=0, r0), (t1, r1), ...)`` with t strictly increasing."""

STRAGGLER_GRACE_S = 5.0
"""Wall seconds the run waits past the curve's end for requests still in flight."""


def parse_curve(raw: Iterable[Sequence[float]]) -> Curve:
    """Validate ``[[t, rate], ...]`` into a `Curve`; ValueError names the bad point and why."""
    points: list[tuple[float, float]] = []
    for index, point in enumerate(raw):
        if isinstance(point, (str, bytes)) or not isinstance(point, Sequence) or len(point) != 2:
            raise ValueError(f"arrival_curve[{index}]: expected a [time, rate] pair, got {point!r}")
        t, rate = point
        for label, value in (("time", t), ("rate", rate)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"arrival_curve[{index}]: {label} must be a number, got {value!r}")
            if not math.isfinite(value):
                raise ValueError(f"arrival_curve[{index}]: {label} must be finite, got {value!r}")
        if rate < 0:
            raise ValueError(f"arrival_curve[{index}]: rate must be >= 0, got {rate!r}")
        if index == 0 and t != 0:
            raise ValueError(f"arrival_curve[0]: the curve must start at time 0, got {t!r}")
        if points and t <= points[-1][0]:
            raise ValueError(
                f"arrival_curve[{index}]: times must be strictly increasing, "
                f"got {t!r} after {points[-1][0]!r}"
            )
        points.append((float(t), float(rate)))
    if not points:
        raise ValueError("arrival_curve: at least one [time, rate] point is required")
    return tuple(points)


def _segment(curve: Curve, t: float) -> int:
    """Index of the point starting the segment that holds ``t`` (t >= 0)."""
    return bisect.bisect_right([p[0] for p in curve], t) - 1


def rate_at(curve: Curve, t: float) -> float:
    """Arrival rate (per simulated second) at simulated time ``t``; 0 before the start."""
    if t < 0:
        return 0.0
    i = _segment(curve, t)
    t0, r0 = curve[i]
    if i == len(curve) - 1:
        return r0
    t1, r1 = curve[i + 1]
    return r0 + (r1 - r0) * (t - t0) / (t1 - t0)


def _segment_area(t0: float, r0: float, t1: float, r1: float) -> float:
    """Integral of the linear rate from t0 to t1 (trapezoid, exact for a line)."""
    return (r0 + r1) * (t1 - t0) / 2.0


def _segments(curve: Curve) -> list[tuple[float, float, float, float]]:
    """``(t0, r0, t1, r1)`` per linear piece, ending with the constant tail to infinity."""
    pieces = [(t0, r0, t1, r1) for (t0, r0), (t1, r1) in itertools.pairwise(curve)]
    pieces.append((curve[-1][0], curve[-1][1], math.inf, curve[-1][1]))
    return pieces


def cumulative(curve: Curve, t: float) -> float:
    """Expected number of arrivals in ``[0, t]``: the integral of the rate curve."""
    total = 0.0
    for t0, r0, t1, _r1 in _segments(curve):
        if t <= t0:
            break
        end = min(t, t1)
        total += _segment_area(t0, r0, end, rate_at(curve, end))
    return total


def expected_count(curve: Curve, duration: float) -> float:
    """Expected number of arrivals over ``[0, duration]`` simulated seconds."""
    return cumulative(curve, duration)


def _advance(r0: float, slope: float, need: float) -> float:
    """Distance x with r0*x + slope*x²/2 = need, the root that lies in the segment.

    Written as 2d / (r0 + sqrt(r0² + 2ad)) rather than the textbook formula so that a
    near-zero slope loses no precision and a zero slope reduces to d / r0.
    """
    return 2.0 * need / (r0 + math.sqrt(max(r0 * r0 + 2.0 * slope * need, 0.0)))


def arrival_times(curve: Curve, duration: float, seed: int | str) -> list[float]:
    """Sorted simulated arrival times in ``[0, duration)`` of a non-homogeneous Poisson process.

    Inversion method: unit-rate Poisson arrivals on the cumulative axis (sums of Exp(1)
    gaps) are mapped through the inverse of `cumulative`, exactly per linear segment.
    The same curve, duration and seed always give the same list.
    """
    if duration < 0:
        raise ValueError(f"duration must be >= 0, got {duration!r}")
    rng = random.Random(seed)
    times: list[float] = []
    target = rng.expovariate(1.0)
    base = 0.0  # cumulative count at the start of the current segment
    for t0, r0, t1, r1 in _segments(curve):
        if t0 >= duration:
            break
        slope = (r1 - r0) / (t1 - t0) if math.isfinite(t1) else 0.0
        end = min(t1, duration)
        area = _segment_area(t0, r0, end, r0 + slope * (end - t0))
        while target - base < area:
            # rounding may land a hair past the segment end; keep the list inside [0, duration)
            t = min(t0 + _advance(r0, slope, target - base), math.nextafter(end, -math.inf))
            times.append(t)
            target += rng.expovariate(1.0)
        base += area
    return times


def shape_tick(
    elapsed_wall: float,
    time_scale: float,
    duration: float,
    dispatchers: int,
    *,
    drained: bool = True,
    grace_s: float = STRAGGLER_GRACE_S,
) -> tuple[int, float] | None:
    """The load shape's tick at ``elapsed_wall`` seconds: (users, spawn rate), or None to stop.

    The dispatcher count is fixed for the whole run (the arrival rate lives in the schedule,
    not in a user count). None once the curve's wall duration (``duration / time_scale``) is
    over and every fired request has finished (``drained``), or ``grace_s`` later regardless.
    """
    if time_scale <= 0:
        raise ValueError(f"time_scale must be > 0, got {time_scale!r}")
    end_wall = duration / time_scale
    if elapsed_wall >= end_wall and (drained or elapsed_wall >= end_wall + grace_s):
        return None
    if dispatchers < 1:
        raise ValueError(f"dispatchers must be >= 1, got {dispatchers!r}")
    # spawn rate == user count: Locust starts them all in one dispatch iteration, at once
    return (dispatchers, float(dispatchers))


def lag_summary(lags: Sequence[float]) -> dict[str, float | None]:
    """p50, p99 and max of firing lateness (wall seconds); None for each when nothing fired."""
    if not lags:
        return {"lag_p50_s": None, "lag_p99_s": None, "lag_max_s": None}
    ordered = sorted(lags)

    def pick(q: float) -> float:
        # nearest-rank percentile: always an observed value, never an interpolation
        return ordered[max(0, math.ceil(q * len(ordered)) - 1)]

    return {
        "lag_p50_s": round(pick(0.50), 6),
        "lag_p99_s": round(pick(0.99), 6),
        "lag_max_s": round(ordered[-1], 6),
    }
