"""A NetSuite-style concurrency limit: at most N requests in flight, the next one is refused.

NetSuite governs web services by *concurrent* requests per account, not by rate: request
N+1 is rejected at once (REST answers 429), it does not wait in a queue. This limiter is
that semaphore, without blocking: :meth:`ConcurrencyLimiter.try_acquire` either takes a slot
or counts a rejection. It is pure Python and needs no lock, because every caller runs on one
asyncio event loop and acquire/release never await.

Usage as an async context manager holds a slot for the body of the ``async with``::

    async with limiter:          # raises ConcurrencyLimitExceeded when full
        await clock.sleep(latency)
"""

from __future__ import annotations

from types import TracebackType


class ConcurrencyLimitExceeded(Exception):
    """Raised by ``async with limiter`` when every slot is taken."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"concurrency limit of {limit} requests in flight exceeded")
        self.limit = limit
        """The limit that was reached."""


class ConcurrencyLimiter:
    """At most ``limit`` holders at once; non-blocking, with counters for the stats route."""

    def __init__(self, limit: int) -> None:
        if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
            raise ValueError(f"concurrency limit must be an integer >= 1, got {limit!r}")
        self._limit = limit
        self._in_flight = 0
        self.max_in_flight: int = 0
        """Highest number of slots held at once since creation or the last ``reset_stats``."""
        self.acquired: int = 0
        """Slots granted."""
        self.rejected: int = 0
        """Acquisitions refused because every slot was taken."""

    @property
    def limit(self) -> int:
        """How many holders may be in flight at once."""
        return self._limit

    @property
    def in_flight(self) -> int:
        """Slots held right now."""
        return self._in_flight

    def try_acquire(self) -> bool:
        """Take a slot if one is free; otherwise count a rejection and return ``False``."""
        if self._in_flight >= self._limit:
            self.rejected += 1
            return False
        self._in_flight += 1
        self.acquired += 1
        self.max_in_flight = max(self.max_in_flight, self._in_flight)
        return True

    def release(self) -> None:
        """Give a slot back; releasing more than was acquired is a bug, so it raises."""
        if self._in_flight <= 0:
            raise RuntimeError("release() without a matching acquire")
        self._in_flight -= 1

    def reset_stats(self) -> None:
        """Zero the counters; slots held right now stay held (their holders will release)."""
        self.acquired = 0
        self.rejected = 0
        self.max_in_flight = self._in_flight

    def stats(self) -> dict[str, int]:
        """Counters as plain JSON-ready numbers."""
        return {
            "limit": self._limit,
            "in_flight": self._in_flight,
            "max_in_flight": self.max_in_flight,
            "acquired": self.acquired,
            "rejected": self.rejected,
        }

    async def __aenter__(self) -> ConcurrencyLimiter:
        if not self.try_acquire():
            raise ConcurrencyLimitExceeded(self._limit)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        # Released even when the body raised or was cancelled (client gone mid-latency):
        # a leaked slot would shrink the limit for the rest of the run.
        self.release()
