"""A leaky-bucket budget counted in calls: Shopify REST (with its header) and SHOPLINE (without).

The model mirrors the platform's bucket: every call pours ``cost`` in, the bucket leaks
``leak_rate`` per second, and a call that would overflow ``capacity`` is refused with 429. We
keep our own estimate of the level between answers and make :meth:`LeakyBucketBudget.acquire`
wait exactly until the next call fits under ``capacity − headroom``; the headroom is left for
other apps and for the error of our estimate.

Learning, in order of evidence quality:

1. ``X-Shopify-Shop-Api-Call-Limit: used/max`` gives the capacity outright and the level at the
   moment the server answered. Our calls granted *after* the one that carried the reading may
   not be in it yet, so they are added on top (erring towards a fuller bucket, never an
   emptier one). The leak rate is learned from successive readings: over a window in which the
   bucket provably never ran dry, ``leaked = used₀ + our pours − used₁``. Window estimates are
   blended with the prior, older evidence decaying.
2. Without a header (SHOPLINE sends none), a 429 is the only evidence, and it is exact about
   one thing: the bucket was full. Between two 429s the bucket went from full to full, so what
   leaked equals what we poured: ``rate ≈ successes between the two ÷ time between them``.
   Around that measurement the rate follows AIMD: a multiplicative cut on a 429 that cannot be
   measured yet, growth only while the budget is what holds callers back (fast until the first
   429, slow afterwards), so the budget keeps probing for room it has not been shown.
3. ``Retry-After`` is honoured as a floor before the next call (the platform asked; Shopify's
   value is a constant, so it teaches nothing about the rate).
"""

from __future__ import annotations

import math

from simclock import Clock
from sync_engine.budgets.window import SpendWindow, Ticket

DEFAULT_CAPACITY = 40
DEFAULT_LEAK_RATE = 2.0
"""The prior: Shopify's standard plan, the slowest bucket we are likely to meet."""
_EPSILON = 1e-6
"""Seconds: simulated POSIX times (~1.7e9) resolve only ~2.4e-7 s, so a shorter wait is no wait."""


def parse_call_limit(value: str | None) -> tuple[int, int] | None:
    """``"32/40"`` -> ``(32, 40)``; None when absent or unreadable."""
    if not value or "/" not in value:
        return None
    used, _, cap = value.partition("/")
    try:
        parsed = int(used.strip()), int(cap.strip())
    except ValueError:
        return None
    return parsed if parsed[1] > 0 and parsed[0] >= 0 else None


GROWTH_EVIDENCE_CAP = 5.0
"""Seconds of waiting one success may count as evidence for a faster leak (header-less)."""


class LeakyBucketBudget:
    """Paces calls into a leaky bucket whose size and leak rate it learns from the answers."""

    def __init__(
        self,
        *,
        clock: Clock,
        capacity: float = DEFAULT_CAPACITY,
        leak_rate: float = DEFAULT_LEAK_RATE,
        headroom: float = 2.0,
        prior_weight: float = 2.0,
        learn_window: float = 5.0,
        decrease: float = 0.8,
        slow_start_gain: float = 0.15,
        increase_gain: float = 0.005,
        min_rate: float = 0.05,
        min_full_to_full: int = 12,
    ) -> None:
        if capacity <= 0 or leak_rate <= 0:
            raise ValueError("capacity and leak_rate must be > 0")
        self.clock = clock
        self.capacity = float(capacity)
        """Bucket size in calls (from the header once one is seen)."""
        self.leak_rate = float(leak_rate)
        """Calls leaked per simulated second, as currently believed."""
        self.headroom = float(headroom)
        self.learn_window = learn_window
        self.decrease = decrease
        self.slow_start_gain = slow_start_gain
        self.increase_gain = increase_gain
        self.min_rate = min_rate
        self.min_full_to_full = min_full_to_full
        self.header_seen = False
        """Whether the destination reports its level (Shopify) or must be inferred (SHOPLINE)."""
        self.calls = 0
        self.throttled = 0
        self.waited_total = 0.0
        self._level = 0.0
        self._level_at = clock.now()
        self._seq = 0
        self._cumulative = 0.0
        self._in_flight: dict[int, float] = {}
        self._last_reading_seq = 0
        self._not_before = -math.inf
        self._spend = SpendWindow()
        # Header learning: the previous reading (time, used, cumulative pours) and the window.
        self._prev: tuple[float, float, float] | None = None
        self._win_leak = 0.0
        self._win_time = 0.0
        self._leak_sum = self.leak_rate * prior_weight
        self._time_sum = prior_weight
        # Headerless learning.
        self.slow_start = True
        self._full_at: float | None = None
        self._since_full = 0
        self._grown_at: float | None = None
        self._last_cut = -math.inf

    # -- the estimate --------------------------------------------------------------------------

    def level(self) -> float:
        """Estimated calls in the bucket now."""
        self._leak(self.clock.now())
        return self._level

    def _leak(self, now: float) -> None:
        elapsed = max(0.0, now - self._level_at)
        self._level = max(0.0, self._level - self.leak_rate * elapsed)
        self._level_at = max(self._level_at, now)

    def _unseen(self, seq: int) -> float:
        """Our calls granted after ``seq`` and not answered yet: maybe not in its reading."""
        return sum(cost for s, cost in self._in_flight.items() if s > seq)

    def wait_time(self, cost: float = 1.0) -> float:
        """Simulated seconds until a call of ``cost`` fits under ``capacity − headroom``."""
        now = self.clock.now()
        self._leak(now)
        # A call larger than the usable part still goes once the bucket has room for it.
        ceiling = max(cost, self.capacity - self.headroom)
        over = self._level + cost - ceiling
        return max(0.0, over / self.leak_rate, self._not_before - now)

    # -- the protocol ---------------------------------------------------------------------------

    async def acquire(self, cost: float = 1.0) -> Ticket:
        """Wait until a call of ``cost`` fits, then charge it. Never raises, never gives up."""
        started = self.clock.now()
        while True:
            wait = self.wait_time(cost)
            if wait <= _EPSILON:
                break
            # Re-check after waking: another caller may have taken the room meanwhile.
            await self.clock.sleep(wait)
        now = self.clock.now()
        self._level += cost
        self._seq += 1
        self._cumulative += cost
        self._in_flight[self._seq] = cost
        self.calls += 1
        waited = now - started
        self.waited_total += waited
        self._spend.add(now, cost)
        return Ticket(
            seq=self._seq,
            cost=cost,
            cumulative=self._cumulative,
            granted_at=now,
            waited=waited,
        )

    def release(self, ticket: Ticket) -> None:
        """No answer came (timeout, broken connection): keep its pour, it may have landed."""
        self._in_flight.pop(ticket.seq, None)

    def observe(
        self,
        ticket: Ticket,
        *,
        status: int,
        call_limit: tuple[int, int] | None = None,
        retry_after: float | None = None,
    ) -> None:
        """Correct the estimate from one answer (``call_limit`` = the parsed ``used/max``)."""
        self._in_flight.pop(ticket.seq, None)
        now = self.clock.now()
        self._leak(now)
        if call_limit is not None:
            self._read_header(now, ticket, status, *call_limit)
        if status == 429:
            self.throttled += 1
            if retry_after is not None and retry_after > 0:
                self._not_before = max(self._not_before, now + retry_after)
            if not self.header_seen:
                self._headerless_throttled(now, ticket)
        elif not self.header_seen:
            self._headerless_success(now, ticket)

    # -- learning from the header ---------------------------------------------------------------

    def _read_header(self, now: float, ticket: Ticket, status: int, used: int, cap: int) -> None:
        self.header_seen = True
        self.capacity = float(cap)
        if ticket.seq <= self._last_reading_seq:
            return  # an older call's answer overtaken by a newer reading: stale
        self._last_reading_seq = ticket.seq
        if status == 429:
            # A refused call pours nothing; the pour count between readings is off: restart.
            self._prev = None
            self._win_leak = self._win_time = 0.0
        else:
            self._learn_leak(now, float(used), ticket.cumulative)
        self._level = used + self._unseen(ticket.seq)
        self._level_at = now

    def _learn_leak(self, now: float, used: float, cumulative: float) -> None:
        prev, self._prev = self._prev, (now, used, cumulative)
        if prev is None:
            return
        then, used_then, cumulative_then = prev
        elapsed = now - then
        # Only while the bucket provably never ran dry in between: a dry bucket leaks nothing,
        # and counting that time would understate the rate. "Provably": even at twice the
        # believed rate the level read last time would not have drained in ``elapsed``.
        if used_then < self.capacity / 4 or elapsed * 2 * self.leak_rate >= used_then:
            self._win_leak = self._win_time = 0.0
            return
        self._win_leak += used_then + (cumulative - cumulative_then) - used
        self._win_time += elapsed
        if self._win_time >= self.learn_window:
            # Older windows count half as much as each new one: the limit may change (plans,
            # Shopify's "temporarily reduced" limits), and noise of ±1 call averages out.
            self._leak_sum = self._leak_sum * 0.5 + self._win_leak
            self._time_sum = self._time_sum * 0.5 + self._win_time
            self.leak_rate = max(self.min_rate, self._leak_sum / self._time_sum)
            self._win_leak = self._win_time = 0.0

    # -- learning from 429s alone ---------------------------------------------------------------

    def _headerless_success(self, now: float, ticket: Ticket) -> None:
        self._since_full += 1
        # Grow only while callers had to wait for the budget: an idle budget proves nothing.
        if ticket.waited > 0 and self._grown_at is not None:
            gain = self.slow_start_gain if self.slow_start else self.increase_gain
            # Growth per second of evidence, capped per success: a quiet
            # spell between two waits is not evidence, and compounding it overflowed the rate.
            step = min(GROWTH_EVIDENCE_CAP, max(0.0, now - self._grown_at))
            self.leak_rate = min(self.capacity, self.leak_rate * (1.0 + gain * step))
        self._grown_at = now

    def _headerless_throttled(self, now: float, ticket: Ticket) -> None:
        # The bucket is full now, whatever we believed; calls sent after this one are on top.
        self._level = self.capacity + self._unseen(ticket.seq)
        self._level_at = now
        span = now - self._full_at if self._full_at is not None else 0.0
        if self._since_full >= self.min_full_to_full and span > 0:
            # Full to full: what leaked in between is exactly what we poured in between (±1).
            self.leak_rate = max(self.min_rate, self._since_full / span)
            self.slow_start = False
        elif self._since_full > 0 and now - self._last_cut >= 1.0 / self.leak_rate:
            # Too little to measure yet: cut once per burst (calls already in flight were sent
            # at the old rate and will be refused too).
            self.leak_rate = max(self.min_rate, self.leak_rate * self.decrease)
            self.slow_start = False
            self._last_cut = now
        self._full_at = now
        self._since_full = 0

    # -- reporting ------------------------------------------------------------------------------

    def utilisation(self) -> float:
        """Calls spent per second over the last window ÷ the leak rate (1.0 = budget fully used)."""
        return self._spend.rate(self.clock.now()) / self.leak_rate

    def stats(self) -> dict[str, float | int | bool]:
        """The learned numbers and counters, JSON-ready."""
        return {
            "capacity": self.capacity,
            "leak_rate": round(self.leak_rate, 4),
            "level": round(self.level(), 3),
            "header_seen": self.header_seen,
            "calls": self.calls,
            "throttled": self.throttled,
            "waited_seconds": round(self.waited_total, 3),
            "utilisation": round(self.utilisation(), 4),
        }
