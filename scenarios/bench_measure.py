"""The benchmark's arithmetic: calls recorded in simulated time → the three ratios.

Definitions (every time in simulated seconds, on the clock the mock and the client share):

- *work* ``W``: units the successful calls spent — calls for a REST bucket, cost points for
  GraphQL, calls for the ERP. ``burst`` is what the limit lets through at once from a fresh
  start (the bucket size: 40 calls, 2000 points; 0 for a concurrency limit), ``rate`` the
  limit's sustained units per second (leak rate, restore rate, or concurrency ÷ mean latency).
- **utilisation** = units completed per second in the steady window ÷ ``rate``. The window
  starts at the later of two completions: the one that brings the cumulative work to
  ``burst + 10 % of (W − burst)``, and the first at which the client has provably spent the
  initial burst, ``work(t) ≥ burst − slack + rate × (t − t₀)`` (a client or server slower than
  the limit during the burst must not be credited with the burst's rate; ``slack`` is the few
  units a careful client keeps back, and bounds the bias to ``slack ÷ (rate × window)``). It
  ends at the completion that brings the work to ``W`` — for a concurrency limit to
  ``90 % of W``, because the last round drains with fewer than the limit in flight by nature.
  If the limit never bound, utilisation is NaN (the run was too short or the CPU too slow to
  reach the limit).
- **throttled share** = calls answered 429 / THROTTLED / concurrency-rejected ÷ all calls sent.
- **drain ratio** = ``T ÷ ((W − burst) ÷ rate)``, with ``T`` from the first call sent to the
  last success. For the ERP, with ``burst`` 0 and ``rate`` = c ÷ mean latency, the denominator
  is the queueing minimum N × mean latency ÷ concurrency.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Outcome = Literal["ok", "throttled", "error"]

TARGET_UTILISATION = 0.95
TARGET_THROTTLED_SHARE = 0.02
TARGET_DRAIN_RATIO = 1.1
WINDOW_START = 0.10
CONCURRENCY_WINDOW_END = 0.90


@dataclass(frozen=True, slots=True, kw_only=True)
class Call:
    """One HTTP call a client made."""

    started: float
    finished: float
    outcome: Outcome
    units: float = 1.0
    """Budget units the call spent when it succeeded (1 call, or its GraphQL cost)."""


@dataclass(frozen=True, kw_only=True)
class Limit:
    """What the destination allows: ``burst`` units at once, then ``rate`` units per second."""

    burst: float
    rate: float
    slack: float = 0.0
    """Units of the burst a client may keep back and still count as having spent it."""
    concurrency: bool = False


@dataclass(frozen=True, kw_only=True)
class Ratios:
    """The three numbers the benchmark reports for one client on one limit."""

    useful: int
    calls: int
    throttled: int
    work: float
    elapsed: float
    minimum: float
    utilisation: float
    throttled_share: float
    drain_ratio: float

    def as_dict(self) -> dict[str, float | int]:
        """JSON-ready, rounded for reading."""
        return {
            "useful_calls": self.useful,
            "calls": self.calls,
            "throttled": self.throttled,
            "work_units": self.work,
            "elapsed_sim_s": round(self.elapsed, 3),
            "minimum_sim_s": round(self.minimum, 3),
            "utilisation": round(self.utilisation, 4),
            "throttled_share": round(self.throttled_share, 4),
            "drain_ratio": round(self.drain_ratio, 4),
        }

    def meets_targets(self) -> bool:
        """Whether all three targets hold."""
        return (
            self.utilisation >= TARGET_UTILISATION
            and self.throttled_share <= TARGET_THROTTLED_SHARE
            and self.drain_ratio <= TARGET_DRAIN_RATIO
        )


def _time_reaching(done: list[tuple[float, float]], threshold: float) -> tuple[float, float]:
    """(completion time, cumulative work) of the first completion reaching ``threshold``."""
    total = 0.0
    for finished, units in done:
        total += units
        if total >= threshold - 1e-9:
            return finished, total
    raise ValueError("threshold beyond the work done")


def _exhausted(
    done: list[tuple[float, float]], start: float, limit: Limit
) -> tuple[float, float] | None:
    """(time, work) of the first completion by which the initial burst was provably spent."""
    total = 0.0
    for finished, units in done:
        total += units
        if total >= limit.burst - limit.slack + limit.rate * (finished - start):
            return finished, total
    return None


def ratios(calls: list[Call], limit: Limit) -> Ratios:
    """The benchmark's ratios for ``calls`` against ``limit`` (see the module docstring)."""
    done = sorted((c.finished, c.units) for c in calls if c.outcome == "ok")
    if not done:
        raise ValueError("no successful call to measure")
    work = sum(units for _, units in done)
    start = min(c.started for c in calls)
    elapsed = done[-1][0] - start
    beyond_burst = max(0.0, work - limit.burst)
    minimum = beyond_burst / limit.rate
    end_share = CONCURRENCY_WINDOW_END if limit.concurrency else 1.0
    t_from, w_from = _time_reaching(done, limit.burst + WINDOW_START * beyond_burst)
    exhausted = _exhausted(done, start, limit)
    if exhausted is not None and exhausted[0] > t_from:
        t_from, w_from = exhausted
    t_to, w_to = _time_reaching(done, limit.burst + end_share * beyond_burst)
    span = t_to - t_from
    bound = exhausted is not None or limit.burst == 0
    utilisation = (w_to - w_from) / (span * limit.rate) if span > 0 and bound else float("nan")
    throttled = sum(1 for c in calls if c.outcome == "throttled")
    return Ratios(
        useful=len(done),
        calls=len(calls),
        throttled=throttled,
        work=work,
        elapsed=elapsed,
        minimum=minimum,
        utilisation=utilisation,
        throttled_share=throttled / len(calls),
        drain_ratio=elapsed / minimum if minimum > 0 else float("nan"),
    )
