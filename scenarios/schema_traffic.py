"""The ``traffic:`` block: an arrival-rate curve written as stages, a table, or a day profile.

Every form compiles to the same piecewise-linear ``[(t, rate), ...]`` that ``arrival_curve``
gives (``Traffic.points()``), so the load generator sees one curve format whatever was written.
Times are simulated seconds, rates checkouts per simulated second.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

STEP_SECONDS = 0.001
"""A step between two stages of different rates becomes a ramp this long (a curve's times must
increase strictly); the arrivals it moves are negligible (``rate difference × 0.5 ms``)."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class Stage(_Strict):
    """One stage: a constant ``rate`` for ``duration``, or a linear ramp ``from`` → ``to``."""

    model_config = ConfigDict(populate_by_name=True)

    duration: float = Field(gt=0)
    """Simulated seconds the stage lasts."""
    rate: float | None = Field(None, ge=0)
    """Constant checkouts per simulated second (instead of ``from``/``to``)."""
    start: float | None = Field(None, ge=0, alias="from")
    """Rate at the stage's start of a ramp (written ``from``)."""
    end: float | None = Field(None, ge=0, alias="to")
    """Rate at the stage's end of a ramp (written ``to``)."""

    @model_validator(mode="after")
    def _one_form(self) -> Stage:
        ramp = (self.start is not None, self.end is not None)
        if self.rate is not None and any(ramp):
            raise ValueError("give either rate or from/to, not both")
        if self.rate is None and not all(ramp):
            raise ValueError("a stage needs rate, or both from and to")
        return self

    def rates(self) -> tuple[float, float]:
        """The stage's rate at its start and at its end."""
        if self.rate is not None:
            return self.rate, self.rate
        assert self.start is not None and self.end is not None
        return self.start, self.end


def _gauss(x: float, sigma: float) -> float:
    return math.exp(-0.5 * (x / sigma) ** 2)


def _logistic(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-x))


PROFILE_FIELDS = (
    "peak_rate",
    "peak_at_hour",
    "peak_width_hours",
    "night_share",
    "daytime_share",
    "evening_share",
    "evening_at_hour",
    "start_hour",
    "hours",
    "step_minutes",
)
"""The settings of a generated ``profile`` (refused without one)."""


class Traffic(_Strict):
    """Arrivals as ``stages``, as a ``table`` of ``[t, rate]`` points, or a generated day
    ``profile`` (exactly one). Linear between points; the rate after the last point stays.

    ``profile: black-friday-day`` is a day: low overnight, a morning ramp, the peak at
    ``peak_at_hour``, an afternoon dip, an evening shoulder, a late decline. The level at hour
    ``h`` (a share of ``peak_rate``) is ``night + (1 - night) × max(peak(h), daytime(h),
    evening(h))``: ``peak`` a Gaussian of ``peak_width_hours`` at ``peak_at_hour`` (1 there, so
    the peak is exactly ``peak_rate``), ``daytime`` a plateau of ``daytime_share`` rising around
    08:00 and falling around 23:00 (logistic, one hour wide), ``evening`` a Gaussian of
    ``evening_share`` at ``evening_at_hour``, 1.5 h wide. Sampled every ``step_minutes``."""

    stages: list[Stage] | None = Field(None, min_length=1)
    """Consecutive stages from simulated second 0."""
    table: list[tuple[float, float]] | None = Field(None, min_length=2)
    """``[simulated second, rate]`` points from time 0, times strictly increasing."""
    profile: Literal["black-friday-day"] | None = None
    """A generated curve; its settings follow."""
    peak_rate: float | None = Field(None, gt=0)
    """Profile: checkouts per simulated second at the peak (required with ``profile``)."""
    peak_at_hour: float = Field(12.0, ge=0, le=24)
    """Profile: hour of the day of the peak (default midday)."""
    peak_width_hours: float = Field(2.0, gt=0, le=12)
    """Profile: standard deviation of the midday peak, in hours."""
    night_share: float = Field(0.04, ge=0, lt=1)
    """Profile: overnight floor, as a share of the peak."""
    daytime_share: float = Field(0.45, ge=0, lt=1)
    """Profile: the daytime plateau (morning ramp to late decline), as a share of the peak."""
    evening_share: float = Field(0.7, ge=0, lt=1)
    """Profile: height of the evening shoulder, as a share of the peak."""
    evening_at_hour: float = Field(20.0, ge=0, le=24)
    """Profile: hour of the day of the evening shoulder."""
    start_hour: float = Field(0.0, ge=0, lt=24)
    """Profile: hour of the day simulated second 0 falls on."""
    hours: float = Field(24.0, gt=0, le=48)
    """Profile: length of the curve in hours (× 3600 simulated seconds); the day repeats."""
    step_minutes: float = Field(30.0, ge=1, le=240)
    """Profile: spacing of the curve's points, in minutes."""

    @field_validator("table")
    @classmethod
    def _table(cls, table: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if table is not None:
            check_points(table)
        return table

    @model_validator(mode="after")
    def _exactly_one(self) -> Traffic:
        given = [n for n in ("stages", "table", "profile") if getattr(self, n) is not None]
        if len(given) != 1:
            named = ", ".join(given) if given else "none"
            raise ValueError(f"give exactly one of stages, table, profile (got {named})")
        stray = [n for n in PROFILE_FIELDS if n in self.model_fields_set]
        if self.profile is None and stray:
            raise ValueError(f"{', '.join(stray)}: only with profile")
        if self.profile is not None and self.peak_rate is None:
            raise ValueError("profile needs peak_rate")
        return self

    def level(self, hour: float) -> float:
        """The profile's rate at ``hour`` of the day as a share of the peak, in [night, 1]."""
        h = hour % 24.0
        peak = max(_gauss(h - self.peak_at_hour + d, self.peak_width_hours) for d in (-24, 0, 24))
        daytime = self.daytime_share * _logistic(h - 8.0) * _logistic(23.0 - h)
        evening = self.evening_share * _gauss(h - self.evening_at_hour, 1.5)
        return self.night_share + (1.0 - self.night_share) * max(peak, daytime, evening)

    def points(self) -> list[tuple[float, float]]:
        """The piecewise-linear curve every form compiles to."""
        if self.table is not None:
            return [(float(t), float(r)) for t, r in self.table]
        if self.stages is not None:
            return stage_points(self.stages)
        assert self.peak_rate is not None
        total = self.hours * 3600.0
        step = self.step_minutes * 60.0
        times = [min(i * step, total) for i in range(math.ceil(total / step - 1e-9) + 1)]
        peak = self.peak_rate
        return [(t, round(peak * self.level(self.start_hour + t / 3600.0), 6)) for t in times]


def stage_points(stages: list[Stage]) -> list[tuple[float, float]]:
    """Stages as curve points; a step between stages is a `STEP_SECONDS` ramp."""
    points: list[tuple[float, float]] = []
    t = 0.0
    previous = 0.0
    for stage in stages:
        start, end = stage.rates()
        if not points:
            points.append((t, start))
        elif points[-1][1] != start:
            step = min(STEP_SECONDS, previous / 2)
            points[-1] = (t - step, points[-1][1])
            points.append((t, start))
        t += stage.duration
        previous = stage.duration
        points.append((t, end))
    return points


def check_points(curve: list[tuple[float, float]]) -> None:
    """ValueError naming the first point that makes ``curve`` no arrival curve."""
    for i, (t, rate) in enumerate(curve):
        if not (math.isfinite(t) and math.isfinite(rate)):
            raise ValueError(f"point {i}: time and rate must be finite")
        if rate < 0:
            raise ValueError(f"point {i}: rate {rate} is negative")
        if i and t <= curve[i - 1][0]:
            raise ValueError(f"point {i}: time {t} is not after {curve[i - 1][0]}")
    if curve[0][0] != 0:
        raise ValueError("the first point must be at time 0")
