"""Shopify's GraphQL Admin API cost bucket: points reserved up front, refunded after execution.

Shopify meters GraphQL by *calculated query cost* (PLATFORMS.md 1.2): every (app, store) pair
has a bucket of ``maximumAvailable`` points (standard plan 2000) that restores continuously at
``restoreRate`` points per second (standard plan 100). A request's *requested* cost is taken
out before it runs; a request whose requested cost exceeds what is currently available is
refused (``THROTTLED``, HTTP 200) and takes nothing. After execution the difference between
requested and *actual* cost (connections that returned fewer nodes than ``first`` asked for)
is put back. Every response reports ``throttleStatus``.

This is the mirror image of :class:`mocks.common.ratelimit.LeakyBucket` (which counts *used*
capacity): here the state is the *available* points, because that is what Shopify reports.
Time comes from the injected :class:`simclock.Clock`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from simclock import Clock

DEFAULT_MAXIMUM_AVAILABLE = 2000.0
DEFAULT_RESTORE_RATE = 100.0

# Simulated POSIX times are ~1.7e9, where a float resolves only ~2.4e-7 s; at 100 points/s
# that is ~2.4e-5 points of noise. 1e-4 of a point absorbs it without ever letting a client
# through that is short by a real fraction of a point.
_EPSILON = 1e-4


@dataclass(frozen=True, slots=True, kw_only=True)
class Reservation:
    """The outcome of :meth:`CostBucket.reserve`."""

    allowed: bool
    """Whether the requested points were taken (False: THROTTLED, nothing taken)."""
    requested: int
    """The requested query cost."""
    currently_available: float
    """Points available after this reservation (unchanged when refused)."""
    retry_after: float
    """Simulated seconds until ``requested`` points will be available; 0.0 when allowed."""


class CostBucket:
    """Continuously restoring points: ``available = min(max, available + rate * elapsed)``."""

    __slots__ = ("_available", "_clock", "_last", "maximum_available", "restore_rate")

    def __init__(
        self,
        *,
        clock: Clock,
        maximum_available: float = DEFAULT_MAXIMUM_AVAILABLE,
        restore_rate: float = DEFAULT_RESTORE_RATE,
    ) -> None:
        if maximum_available <= 0:
            raise ValueError(f"maximum_available must be > 0, got {maximum_available}")
        if restore_rate <= 0:
            raise ValueError(f"restore_rate must be > 0, got {restore_rate}")
        self.maximum_available = float(maximum_available)
        """Bucket size in points."""
        self.restore_rate = float(restore_rate)
        """Points restored per simulated second."""
        self._clock = clock
        self._available = self.maximum_available
        self._last = clock.now()

    def _restore(self) -> float:
        now = self._clock.now()
        # A wall clock stepping backwards (ScaledClock) must not drain the bucket.
        elapsed = max(0.0, now - self._last)
        self._available = min(self.maximum_available, self._available + self.restore_rate * elapsed)
        self._last = max(self._last, now)
        return self._available

    def available(self) -> float:
        """Points available now."""
        return self._restore()

    def reserve(self, requested: int) -> Reservation:
        """Take ``requested`` points if they are all available; otherwise refuse, take nothing."""
        if requested < 0:
            raise ValueError(f"requested cost must be >= 0, got {requested}")
        available = self._restore()
        if requested <= available + _EPSILON:
            # Clamp at 0 so an epsilon-admitted request never leaves a negative residue.
            self._available = max(0.0, available - requested)
            return Reservation(
                allowed=True,
                requested=requested,
                currently_available=self._available,
                retry_after=0.0,
            )
        return Reservation(
            allowed=False,
            requested=requested,
            currently_available=available,
            retry_after=(requested - available) / self.restore_rate,
        )

    def refund(self, points: float) -> float:
        """Give back ``points`` (requested minus actual cost); returns the new availability."""
        if points < 0:
            raise ValueError(f"refund must be >= 0, got {points}")
        available = self._restore()
        self._available = min(self.maximum_available, available + points)
        return self._available

    def reset(self) -> None:
        """Full bucket."""
        self._available = self.maximum_available
        self._last = self._clock.now()

    def throttle_status(self) -> dict[str, Any]:
        """Shopify's ``throttleStatus`` object, e.g. ``{"maximumAvailable": 2000.0,
        "currentlyAvailable": 1990, "restoreRate": 100.0}``."""
        return {
            "maximumAvailable": self.maximum_available,
            "currentlyAvailable": display_available(self._restore()),
            "restoreRate": self.restore_rate,
        }


def display_available(points: float) -> int:
    """Available points as Shopify shows them: a whole number, rounded *down*.

    Shopify's fixtures show ``currentlyAvailable`` as an integer. Rounding down means a client
    that spends exactly what it was told is available is never throttled; float noise below
    1e-4 of a point is not a fraction of a point and is absorbed first.
    """
    return max(0, math.floor(points + _EPSILON))
