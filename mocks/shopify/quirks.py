"""Shopify's rate-limit quirks beyond the leaky bucket, each switched by a ShopifySettings field.

- :class:`AbuseGuard` (``lock_after_429s``): a client that keeps hammering after 429s gets the
  whole shop locked, ``423 Locked``, for ``lock_seconds``. Reproduces the retry loop that ignores
  ``Retry-After`` and turns a throttle into an outage (PLATFORMS 1.1, response codes).
- :class:`SpuriousThrottle` (``too_many_requests_422_rate``): now and then a call is refused with
  ``422 {"errors":"Too many requests"}`` instead of a 429 (ShopifySharp PR#352). Reproduces
  clients that treat every 422 as a permanent validation error and drop the record.
- :class:`VariantCreationLimit` (``variant_creation_daily_limit``): new variants per UTC day;
  beyond it product/variant creation answers 429 with the daily-limit body while the bucket is
  nearly empty (ShopifySharp#350: "header still shows 1/40"), so a client that retries on every
  429 spins for the rest of the day.
"""

from __future__ import annotations

from collections import deque

from mocks.common.rng import derive
from mocks.shopify.constants import ShopifySettings
from simclock import Clock

DAY_SECONDS = 86_400


class AbuseGuard:
    """Counts 429s per token in a sliding window and locks the shop when they pile up."""

    def __init__(self, *, settings: ShopifySettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._recent: dict[str, deque[float]] = {}
        self.locked_until: float | None = None
        """Simulated time the shop-wide lock ends (None: not locked)."""
        self.locks = 0
        """How many times the shop was locked (for ``/_mock/stats``)."""

    def is_locked(self) -> bool:
        """Whether the shop answers 423 right now."""
        return self.locked_until is not None and self.clock.now() < self.locked_until

    def record_429(self, token: str) -> None:
        """Count one 429; the ``lock_after_429s``-th within the window locks the shop."""
        limit = self.settings.lock_after_429s
        if limit is None:
            return
        now = self.clock.now()
        recent = self._recent.setdefault(token, deque())
        recent.append(now)
        while recent and recent[0] <= now - self.settings.lock_window_seconds:
            recent.popleft()
        if len(recent) >= limit:
            self.locked_until = now + self.settings.lock_seconds
            self.locks += 1
            recent.clear()

    def reset(self) -> None:
        """Unlock and forget every count."""
        self._recent.clear()
        self.locked_until = None
        self.locks = 0


class SpuriousThrottle:
    """Seeded draws deciding which admitted calls get the 422 "Too many requests"."""

    def __init__(self, *, settings: ShopifySettings, seed: int) -> None:
        self.settings = settings
        self._rng = derive(seed, "shopify:spurious-422")

    def strikes(self) -> bool:
        """Draw for one call (no draw at all when the quirk is off, so nothing shifts)."""
        rate = self.settings.too_many_requests_422_rate
        return rate > 0 and self._rng.random() < rate


class VariantCreationLimit:
    """New variants per simulated UTC day."""

    def __init__(self, *, settings: ShopifySettings, clock: Clock) -> None:
        self.settings = settings
        self.clock = clock
        self._day = -1
        self._created = 0

    def _roll(self) -> None:
        day = int(self.clock.now() // DAY_SECONDS)
        if day != self._day:  # the quota resets at midnight UTC
            self._day, self._created = day, 0

    def allows(self, count: int) -> bool:
        """Whether ``count`` more variants may be created today."""
        self._roll()
        limit = self.settings.variant_creation_daily_limit
        return limit is None or self._created + count <= limit

    def spend(self, count: int) -> None:
        """Record ``count`` created variants."""
        self._roll()
        self._created += count

    def reset(self) -> None:
        """A fresh day's quota."""
        self._day, self._created = -1, 0
