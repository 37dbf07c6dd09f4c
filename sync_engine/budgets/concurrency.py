"""A concurrency budget: how many requests may be in flight, learned from rejections.

NetSuite-style governance refuses request N+1 at once instead of queueing it, so the limit is
found the way TCP finds a path's capacity (AIMD), with two refinements that keep the budget
spent fully without a steady trickle of rejections:

- *slow start*: until the first rejection the limit grows by one per success (doubling per
  round trip), so a large limit is reached in a few round trips instead of dozens;
- *remembered ceiling*: a rejection says where the limit is. When the caller tells how many
  requests it had in flight as the rejected one went out (``sent_with``), the ceiling is one
  less than that; otherwise it is just under the limit that was in force. The limit climbs
  back to the ceiling additively and then probes one above it only every ``probe_every``
  successes, so a limit that was raised is still found, at a cost of ~1/``probe_every``
  rejections.

Growth happens only while the limit is in use: idle headroom proves nothing about capacity.
"""

from __future__ import annotations

import asyncio
import math

from simclock import Clock

DEFAULT_PROBE_EVERY = 100


class ConcurrencyBudget:
    """Additive-increase / multiplicative-decrease limit on requests in flight."""

    def __init__(
        self,
        *,
        clock: Clock,
        initial: float,
        maximum: float,
        decrease_factor: float = 0.75,
        slow_start: bool = True,
        probe_every: int = DEFAULT_PROBE_EVERY,
    ) -> None:
        if initial < 1 or maximum < 1 or not 0 < decrease_factor < 1:
            raise ValueError("initial and maximum must be >= 1, decrease_factor in (0, 1)")
        self.clock = clock
        self.limit = float(min(initial, maximum))
        """The learned limit (fractional: additive increase adds 1/limit per success)."""
        self.maximum = float(maximum)
        """Never more than this, whatever the destination accepts."""
        self.factor = decrease_factor
        self.slow_start = slow_start
        self.probe_every = probe_every
        self.ceiling: float | None = None
        """Where the last rejection put the limit; None until one has been seen."""
        self.rejections = 0
        self.successes = 0
        self.in_flight = 0
        """Requests granted by :meth:`acquire` and not yet released."""
        self.mean_latency = 1.0
        """Moving average of successful calls' latency (simulated seconds)."""
        self._at_ceiling = 0
        self._last_cut = -math.inf
        self._freed = asyncio.Event()

    @property
    def allowed(self) -> int:
        """Requests that may be in flight now."""
        return max(1, int(self.limit + 1e-9))

    def on_success(self, in_flight: int) -> None:
        """A request succeeded while ``in_flight`` others were still out."""
        self.successes += 1
        if in_flight + 1 < self.allowed:
            return  # not in use: idle headroom proves nothing about capacity
        if self.ceiling is None:
            self.limit = min(
                self.maximum, self.limit + (1.0 if self.slow_start else 1 / self.limit)
            )
            return
        if self.limit + 1e-9 < self.ceiling:
            self.limit = min(self.ceiling, self.limit + 1.0 / self.limit)
            return
        self._at_ceiling += 1
        if self._at_ceiling >= self.probe_every and self.ceiling < self.maximum:
            # The destination may have more room now (another integration finished): try one.
            self._at_ceiling = 0
            self.ceiling += 1
            self.limit = self.ceiling

    def on_rejected(self, cut_spacing: float, *, sent_with: int | None = None) -> None:
        """A request was refused for concurrency; ``sent_with`` = ours in flight, it included.

        Cut once per burst: the requests already in flight were sent at the old limit, and
        their rejections say nothing new.
        """
        self.rejections += 1
        now = self.clock.now()
        if now - self._last_cut < cut_spacing:
            return
        self._last_cut = now
        self._at_ceiling = 0
        if sent_with is not None:
            # Ours in flight included answers still on their way back, so the destination
            # held at most ``sent_with − 1``: that many fit, as far as we can tell.
            self.ceiling = max(1.0, float(sent_with - 1))
            self.limit = min(self.limit, self.ceiling)
        else:
            self.ceiling = max(1.0, self.allowed - 1.0)
            self.limit = max(1.0, self.limit * self.factor)

    # -- for callers that let the budget count (acquire/release) -------------------------------

    async def acquire(self) -> int:
        """Wait for a free slot; returns how many are in flight including this one."""
        while self.in_flight >= self.allowed:
            self._freed.clear()
            await self._freed.wait()
        self.in_flight += 1
        return self.in_flight

    def release(
        self,
        *,
        ok: bool,
        rejected: bool = False,
        sent_with: int | None = None,
        latency: float | None = None,
    ) -> None:
        """Give the slot back with the outcome (``rejected``: refused for concurrency)."""
        self.in_flight -= 1
        if ok:
            if latency is not None:
                self.mean_latency = 0.9 * self.mean_latency + 0.1 * max(0.001, latency)
            self.on_success(self.in_flight)
        elif rejected:
            self.on_rejected(self.mean_latency, sent_with=sent_with)
        self._freed.set()

    def utilisation(self, in_flight: int | None = None) -> float:
        """Requests in flight ÷ the learned limit."""
        current = self.in_flight if in_flight is None else in_flight
        return current / self.allowed

    def stats(self) -> dict[str, float | int | None]:
        """The learned numbers and counters, JSON-ready."""
        return {
            "limit": round(self.limit, 3),
            "ceiling": self.ceiling,
            "successes": self.successes,
            "rejections": self.rejections,
            "mean_latency": round(self.mean_latency, 4),
        }
