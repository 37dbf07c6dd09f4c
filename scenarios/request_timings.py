"""Exact response-time percentiles per request name, from the raw timings of every Locust
process of a run (``requests*.csv``, see ``loadtests.timings``).

Locust's own percentiles come from response times rounded to about two significant digits
(``locust.stats.bucket_response_time``: 147.6 ms counts as 150); these come from every
measured time unrounded.

Percentile definition: linear interpolation between order statistics — for ``n`` sorted values
``x[0] <= ... <= x[n-1]`` and ``q`` in [0, 100], ``h = (n - 1) * q / 100`` and the percentile
is ``x[floor(h)] + (h - floor(h)) * (x[floor(h) + 1] - x[floor(h)])``. This is Hyndman and
Fan's type 7, numpy's default (``method="linear"``) and ``statistics.quantiles(...,
method="inclusive")``; p0 is the minimum and p100 the maximum.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from loadtests.timings import FILE_PREFIX, Timing, read_timings

PERCENTILES: tuple[tuple[str, float], ...] = (
    ("p50", 50.0),
    ("p90", 90.0),
    ("p95", 95.0),
    ("p99", 99.0),
    ("p99.9", 99.9),
)
"""The percentiles reported per request name, by key."""

ROUND_MS = 3
"""Digits kept in the report (microseconds): far below any timer's resolution that matters,
and applied only after the percentile is computed."""


def percentile(sorted_values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) of already sorted values, by the module's definition."""
    if not sorted_values:
        raise ValueError("percentile of no values")
    if not 0.0 <= q <= 100.0:
        raise ValueError(f"percentile q must be within 0..100, got {q!r}")
    h = (len(sorted_values) - 1) * q / 100.0
    low = math.floor(h)
    if low >= len(sorted_values) - 1:
        return float(sorted_values[-1])
    below, above = sorted_values[low], sorted_values[low + 1]
    return float(below + (h - low) * (above - below))


def summarise(elapsed_ms: Iterable[float], failures: int = 0) -> dict[str, Any]:
    """``count``, ``failures``, p50/p90/p95/p99/p99.9 and ``max`` (ms) of one request name.

    Percentiles are over every request sent, failures included (a failure's time is time a
    shopper waited); None when there are none.
    """
    values = sorted(elapsed_ms)
    result: dict[str, Any] = {"count": len(values), "failures": failures}
    for key, q in PERCENTILES:
        result[key] = round(percentile(values, q), ROUND_MS) if values else None
    result["max"] = round(values[-1], ROUND_MS) if values else None
    return result


def by_name(timings: Iterable[Timing]) -> dict[str, dict[str, Any]]:
    """`summarise` per request name, names sorted."""
    elapsed: defaultdict[str, list[float]] = defaultdict(list)
    failures: defaultdict[str, int] = defaultdict(int)
    for timing in timings:
        elapsed[timing.name].append(timing.elapsed_ms)
        if not timing.ok:
            failures[timing.name] += 1
    return {name: summarise(elapsed[name], failures[name]) for name in sorted(elapsed)}


def timing_files(folder: Path) -> list[Path]:
    """Every process's timing file in a run folder (``requests*.csv``), sorted."""
    return sorted(folder.glob(f"{FILE_PREFIX}*.csv"))


def read_folder(folder: Path) -> list[Timing]:
    """All timings of a run folder; ValueError names the file and line of a bad row."""
    return [timing for path in timing_files(folder) for timing in read_timings(path)]


def latency_ms(folder: Path) -> dict[str, dict[str, Any]]:
    """``summary.load.latency_ms``: exact percentiles per request name over all processes."""
    return by_name(read_folder(folder))
