"""Determinism shared by mocks, engine and checkers: the one injected clock, seeded randomness.

Simulated time is POSIX seconds (float). A live rehearsal runs every process on a
:class:`ScaledClock` built from the same ``origin_wall`` / ``origin_sim`` / ``time_scale``, so
all of them agree on "now" without talking to each other; tests run on a :class:`VirtualClock`,
where an hour of rate-limited traffic takes milliseconds.
"""

from __future__ import annotations

from simclock.clock import Clock, ScaledClock, VirtualClock, iso_utc, parse_iso_utc
from simclock.rng import derive

__all__ = ["Clock", "ScaledClock", "VirtualClock", "derive", "iso_utc", "parse_iso_utc"]
