"""Scheduled maintenance: windows during which every /services/rest/ call answers 503.

NetSuite takes accounts down for scheduled upgrades; integrations must hold their work and
resume (PLATFORMS.md 5.4 field reports are about retrying through unavailability). Windows
are ``[start, end)`` in seconds *relative to the mock's clock at creation* (its origin), so a
scenario can say "down from minute 10 to minute 12" without knowing the run's start time.*
"""

from __future__ import annotations

import math
from typing import Any

from simclock import Clock


class MaintenanceSchedule:
    """The account's maintenance windows on the injected clock."""

    def __init__(
        self, *, clock: Clock, origin: float, windows: tuple[tuple[float, float], ...]
    ) -> None:
        self.clock = clock
        self.origin = origin
        """Simulated time the offsets count from (the clock when the mock was built)."""
        self.windows: list[tuple[float, float]] = sorted(windows)
        """``[start, end)`` offsets; ``end`` may be ``inf`` (down until told otherwise)."""
        self.rejected = 0
        """Requests answered 503 because of a window."""

    def offset(self) -> float:
        """Seconds since the origin."""
        return self.clock.now() - self.origin

    def active_until(self) -> float | None:
        """Offset at which the current window ends (``inf`` if open), or ``None`` if up."""
        now = self.offset()
        ends = [end for start, end in self.windows if start <= now < end]
        return max(ends) if ends else None

    def retry_after(self, end: float, *, open_default: float) -> float:
        """Seconds until ``end`` (at least one); ``open_default`` for an open-ended window."""
        if math.isinf(end):
            return open_default
        return max(1.0, end - self.offset())

    def replace(self, windows: tuple[tuple[float, float], ...]) -> None:
        """Set the whole schedule."""
        self.windows = sorted(windows)

    def add(self, windows: tuple[tuple[float, float], ...]) -> None:
        """Add windows to the schedule."""
        self.windows = sorted([*self.windows, *windows])

    def state(self) -> dict[str, Any]:
        """The schedule as JSON (``null`` end = open-ended)."""
        end = self.active_until()
        return {
            "origin": self.origin,
            "offset": self.offset(),
            "active": end is not None,
            "windows": [[s, None if math.isinf(e) else e] for s, e in self.windows],
            "rejected": self.rejected,
        }
