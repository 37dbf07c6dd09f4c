"""What every budget shares: the ticket a granted call carries, and a spend-rate window."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

DEFAULT_WINDOW_SECONDS = 10.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Ticket:
    """One granted call; hand it back to the budget with the answer (or without, on failure)."""

    seq: int
    """Order of the grant: a reading taken for a later call supersedes an earlier one."""
    cost: float
    """What the call was charged in the budget's unit (calls or points)."""
    cumulative: float
    """Total charged up to and including this call, to count pours between two readings."""
    granted_at: float
    """Simulated time of the grant."""
    waited: float
    """Simulated seconds the caller waited for it: > 0 means the budget was the bottleneck."""


class SpendWindow:
    """Units spent over the last ``seconds`` of simulated time (for the utilisation gauge)."""

    def __init__(self, seconds: float = DEFAULT_WINDOW_SECONDS) -> None:
        self.seconds = seconds
        self._events: deque[tuple[float, float]] = deque()
        self._total = 0.0

    def add(self, now: float, units: float) -> None:
        """Record ``units`` spent at ``now``."""
        self._events.append((now, units))
        self._total += units
        self._trim(now)

    def rate(self, now: float) -> float:
        """Units per second over the window ending at ``now``."""
        self._trim(now)
        return self._total / self.seconds

    def _trim(self, now: float) -> None:
        while self._events and self._events[0][0] < now - self.seconds:
            _, units = self._events.popleft()
            self._total -= units
