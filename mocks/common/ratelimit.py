"""Leaky-bucket rate limiter, shaped exactly like Shopify's REST Admin API bucket.

Shopify gives every app a bucket per store (standard plan: 40 calls, leaking 2 per second).
Each call pours ``cost`` into the bucket; the bucket drains continuously; a call that would
overflow it is refused with ``429`` and the bucket is left as it was (a refused call costs
nothing). The level is reported as ``X-Shopify-Shop-Api-Call-Limit: used/max``.

Time comes from the injected :class:`simclock.Clock`, so the same bucket serves a live run at
``time_scale = 10`` and a unit test on a virtual clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from simclock import Clock

# Simulated POSIX times are ~1.7e9, where a float resolves only ~2.4e-7 s, so leak arithmetic
# leaves residues like 39.0000019 calls. Without a tolerance such a residue would refuse a client
# that waited exactly Retry-After, and show 39 calls as "40/40" after ceil. 1e-4 of a call is far
# below anything observable (50 microseconds of leak at 2/s).
_EPSILON = 1e-4


@dataclass(frozen=True, slots=True, kw_only=True)
class BucketResult:
    """The outcome of one :meth:`LeakyBucket.try_acquire`."""

    allowed: bool
    """Whether the call fits in the bucket (and was poured in)."""
    used: float
    """Bucket level after this call (unchanged by a refused call)."""
    capacity: int
    """Bucket size, the ``max`` of ``used/max``."""
    retry_after: float
    """Simulated seconds until a call of the same cost would fit; 0.0 when allowed."""

    @property
    def used_int(self) -> int:
        """The level as Shopify shows it: an integer, rounded up (see :func:`display_used`)."""
        return display_used(self.used)

    @property
    def header_value(self) -> str:
        """Value of ``X-Shopify-Shop-Api-Call-Limit``, e.g. ``"32/40"``."""
        return f"{self.used_int}/{self.capacity}"


def display_used(level: float) -> int:
    """Round a fractional bucket level up to the integer shown in the header.

    Shopify shows whole calls. Rounding *up* means the header never claims more room than there
    is: a client that trusts ``used/max`` to pace itself is never invited into a 429. Residues
    below 1e-4 of a call are float noise, not a fraction of a call, and are ignored.
    """
    return max(0, math.ceil(level - _EPSILON))


class LeakyBucket:
    """A continuously leaking bucket: ``used = max(0, used - leak_rate * elapsed)``."""

    __slots__ = ("_clock", "_last", "_used", "capacity", "leak_rate")

    def __init__(self, *, capacity: int, leak_rate: float, clock: Clock) -> None:
        if capacity <= 0:
            raise ValueError(f"capacity must be > 0, got {capacity}")
        if leak_rate <= 0:
            raise ValueError(f"leak_rate must be > 0, got {leak_rate}")
        self.capacity = capacity
        """Most calls the bucket holds."""
        self.leak_rate = float(leak_rate)
        """Calls drained per simulated second."""
        self._clock = clock
        self._used = 0.0
        self._last = clock.now()

    def _leak(self) -> float:
        now = self._clock.now()
        # A clock that steps backwards (wall clock adjustments under ScaledClock) must not
        # refill the bucket, so negative elapsed time counts as zero.
        elapsed = max(0.0, now - self._last)
        self._used = max(0.0, self._used - self.leak_rate * elapsed)
        self._last = max(self._last, now)
        return self._used

    def level(self) -> float:
        """Current fractional level after leaking up to now."""
        return self._leak()

    def peek(self) -> BucketResult:
        """The state a call would see, without pouring anything in."""
        return BucketResult(
            allowed=True, used=self._leak(), capacity=self.capacity, retry_after=0.0
        )

    def try_acquire(self, cost: int = 1) -> BucketResult:
        """Pour ``cost`` into the bucket if it fits; otherwise refuse and say when it will."""
        if cost < 0:
            raise ValueError(f"cost must be >= 0, got {cost}")
        used = self._leak()
        if used + cost <= self.capacity + _EPSILON:
            self._used = used + cost
            return BucketResult(
                allowed=True, used=self._used, capacity=self.capacity, retry_after=0.0
            )
        overflow = used + cost - self.capacity
        return BucketResult(
            allowed=False,
            used=used,
            capacity=self.capacity,
            retry_after=overflow / self.leak_rate,
        )

    def reset(self) -> None:
        """Empty the bucket."""
        self._used = 0.0
        self._last = self._clock.now()
