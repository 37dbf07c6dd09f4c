"""A calculated-cost budget: Shopify GraphQL points, learned from ``throttleStatus``.

Shopify reserves a request's *requested* cost before running it and refunds the difference to
the actual cost afterwards; a request whose requested cost exceeds what is available is
``THROTTLED`` (HTTP 200) and charged nothing. Every answer carries ``extensions.cost.
throttleStatus {maximumAvailable, currentlyAvailable, restoreRate}``, so unlike a REST bucket
nothing has to be inferred: the budget reserves the caller's cost estimate locally before
sending, waits until it fits, and takes each reading as the truth at the moment it was made,
minus what our later requests (possibly not in that reading yet) have reserved.

Cost estimates improve too: the answer's ``requestedQueryCost`` is remembered per query, so a
caller that guessed wrong once is right from then on.
"""

from __future__ import annotations

import math
import numbers
from typing import Any

from simclock import Clock
from sync_engine.budgets.window import SpendWindow, Ticket

DEFAULT_MAXIMUM = 1000.0
"""The prior bucket: the smallest Shopify has had (2021 standard); the first answer corrects it."""
DEFAULT_RESTORE_RATE = 50.0
_EPSILON = 1e-6
"""Seconds: simulated POSIX times (~1.7e9) resolve only ~2.4e-7 s, so a shorter wait is no wait."""


def _number(value: Any) -> float | None:
    """A JSON number (int, float or the Decimal exact parsing gives) as float, else None."""
    if isinstance(value, numbers.Number) and not isinstance(value, bool):
        return float(value)  # type: ignore[arg-type]
    return None


class CostBudget:
    """Reserves GraphQL query cost before sending; learns the bucket from every answer."""

    def __init__(
        self,
        *,
        clock: Clock,
        maximum: float = DEFAULT_MAXIMUM,
        restore_rate: float = DEFAULT_RESTORE_RATE,
        headroom: float = 10.0,
    ) -> None:
        if maximum <= 0 or restore_rate <= 0:
            raise ValueError("maximum and restore_rate must be > 0")
        self.clock = clock
        self.maximum = float(maximum)
        """``maximumAvailable`` points."""
        self.restore_rate = float(restore_rate)
        """Points restored per simulated second."""
        self.headroom = float(headroom)
        """Points left unspent for other apps and rounding (Shopify floors what it reports)."""
        self.status_seen = False
        self.calls = 0
        self.throttled = 0
        self.points_reserved = 0.0
        self.points_spent = 0.0
        self.waited_total = 0.0
        self.cost_hints: dict[str, int] = {}
        """Query text -> the ``requestedQueryCost`` Shopify computed for it last time."""
        self._available = self.maximum
        self._available_at = clock.now()
        self._seq = 0
        self._cumulative = 0.0
        self._in_flight: dict[int, float] = {}
        self._last_reading_seq = 0
        self._not_before = -math.inf
        self._spend = SpendWindow()

    def available(self) -> float:
        """Points we believe are available now."""
        self._restore(self.clock.now())
        return self._available

    def _restore(self, now: float) -> None:
        elapsed = max(0.0, now - self._available_at)
        self._available = min(self.maximum, self._available + self.restore_rate * elapsed)
        self._available_at = max(self._available_at, now)

    def estimate(self, query: str, default: int) -> int:
        """Cost to reserve for ``query``: what Shopify asked for it last time, else ``default``."""
        return self.cost_hints.get(query, default)

    def wait_time(self, cost: float) -> float:
        """Simulated seconds until ``cost`` points (plus the headroom) are available."""
        now = self.clock.now()
        self._restore(now)
        # A request dearer than the usable part waits for a full bucket, then goes.
        need = min(cost + self.headroom, self.maximum)
        return max(0.0, (need - self._available) / self.restore_rate, self._not_before - now)

    async def acquire(self, cost: float) -> Ticket:
        """Wait until ``cost`` points fit, then reserve them."""
        started = self.clock.now()
        while True:
            wait = self.wait_time(cost)
            if wait <= _EPSILON:
                break
            await self.clock.sleep(wait)
        now = self.clock.now()
        self._available -= cost
        self._seq += 1
        self._cumulative += cost
        self._in_flight[self._seq] = cost
        self.calls += 1
        self.points_reserved += cost
        waited = now - started
        self.waited_total += waited
        return Ticket(
            seq=self._seq, cost=cost, cumulative=self._cumulative, granted_at=now, waited=waited
        )

    def release(self, ticket: Ticket) -> None:
        """No answer came: keep the reservation (it may have been charged)."""
        self._in_flight.pop(ticket.seq, None)

    def observe(
        self,
        ticket: Ticket,
        *,
        cost: dict[str, Any] | None,
        throttled: bool,
        query: str | None = None,
    ) -> None:
        """Correct the estimate from one answer's ``extensions.cost`` (None if it had none)."""
        self._in_flight.pop(ticket.seq, None)
        now = self.clock.now()
        self._restore(now)
        if throttled:
            self.throttled += 1
        cost = cost or {}
        requested = _number(cost.get("requestedQueryCost"))
        if query is not None and requested is not None:
            self.cost_hints[query] = int(requested)
        actual = _number(cost.get("actualQueryCost"))
        if actual is not None and not throttled:
            self.points_spent += actual
            self._spend.add(now, actual)
        status = cost.get("throttleStatus")
        if not isinstance(status, dict):
            if throttled:
                self._available = 0.0  # refused without a reading: assume nothing is left
            return
        self.status_seen = True
        self.maximum = _number(status.get("maximumAvailable")) or self.maximum
        self.restore_rate = _number(status.get("restoreRate")) or self.restore_rate
        current = _number(status.get("currentlyAvailable"))
        if ticket.seq <= self._last_reading_seq or current is None:
            return  # overtaken by a newer reading
        self._last_reading_seq = ticket.seq
        unseen = sum(c for s, c in self._in_flight.items() if s > ticket.seq)
        self._available = current - unseen
        self._available_at = now

    def retry_after(self, cost: float) -> float:
        """Seconds until ``cost`` points are back, for a THROTTLED answer's error."""
        return self.wait_time(cost)

    def utilisation(self) -> float:
        """Points spent per second over the last window ÷ the restore rate."""
        return self._spend.rate(self.clock.now()) / self.restore_rate

    def stats(self) -> dict[str, float | int | bool]:
        """The learned numbers and counters, JSON-ready."""
        return {
            "maximum": self.maximum,
            "restore_rate": self.restore_rate,
            "available": round(self.available(), 3),
            "calls": self.calls,
            "throttled": self.throttled,
            "points_spent": self.points_spent,
            "waited_seconds": round(self.waited_total, 3),
            "utilisation": round(self.utilisation(), 4),
        }
