"""A circuit breaker per destination: stop hammering a platform that is down.

During an outage every request would time out or fail with a 5xx, each one holding a worker
and a budget slot. After ``failure_threshold`` consecutive failures the circuit *opens*: calls
fail at once with :class:`CircuitOpen` (transient, with the time left as ``retry_after``) and
nothing is sent. After ``open_seconds`` one probe is let through (*half-open*): success closes
the circuit, failure opens it again. Throttling (429) and refused records are not failures of
the destination and never trip it.
"""

from __future__ import annotations

from enum import StrEnum

from simclock import Clock
from sync_engine.errors import TransientError

DEFAULT_FAILURE_THRESHOLD = 5
DEFAULT_OPEN_SECONDS = 30.0


class CircuitOpen(TransientError):
    """Not sent: the destination's circuit is open. Retry after ``retry_after`` seconds."""

    def __init__(self, message: str, *, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class CircuitState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


class CircuitBreaker:
    """Consecutive-failure breaker on the injected clock."""

    def __init__(
        self,
        destination: str,
        *,
        clock: Clock,
        failure_threshold: int = DEFAULT_FAILURE_THRESHOLD,
        open_seconds: float = DEFAULT_OPEN_SECONDS,
    ) -> None:
        self.destination = destination
        self.clock = clock
        self.failure_threshold = failure_threshold
        self.open_seconds = open_seconds
        self.state = CircuitState.CLOSED
        self.failures = 0
        self.opened_at = 0.0
        self.opened_count = 0
        self._probe_in_flight = False

    def before_call(self) -> None:
        """Raise :class:`CircuitOpen` unless this call may go out."""
        if self.state is CircuitState.CLOSED:
            return
        remaining = self.opened_at + self.open_seconds - self.clock.now()
        if self.state is CircuitState.OPEN and remaining <= 0:
            self.state = CircuitState.HALF_OPEN
        if self.state is CircuitState.HALF_OPEN and not self._probe_in_flight:
            self._probe_in_flight = True
            return
        raise CircuitOpen(
            f"{self.destination}: circuit {self.state.value} after {self.failures} failures",
            retry_after=max(remaining, 1.0),
        )

    def on_success(self) -> None:
        self.state = CircuitState.CLOSED
        self.failures = 0
        self._probe_in_flight = False

    def on_failure(self) -> None:
        self._probe_in_flight = False
        self.failures += 1
        if self.state is CircuitState.HALF_OPEN or self.failures >= self.failure_threshold:
            if self.state is not CircuitState.OPEN:
                self.opened_count += 1
            self.state = CircuitState.OPEN
            self.opened_at = self.clock.now()

    def on_neutral(self) -> None:
        """An answer that says nothing about the destination's health (429, 4xx)."""
        self._probe_in_flight = False
        if self.state is CircuitState.HALF_OPEN:
            self.on_success()
        else:
            self.failures = 0

    def stats(self) -> dict[str, object]:
        return {"state": self.state.value, "failures": self.failures, "opened": self.opened_count}
