"""What a reconciliation pass may spend, and when: a call budget per pass, at lowest priority.

Every call a pass makes goes through the same connectors as the flows, so it is paced by the
same budgets (the Shopify bucket, the ERP's concurrency). On top of that the :class:`Meter`
counts calls by side, stops the pass once its own budget is spent (the pass resumes where it
stopped next time), and before each call waits on a :class:`LowPriority` gate per side, which
holds the call back while the flows need the destination (the scheduler's lowest priority).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Mapping

from simclock import Clock

DEFAULT_GATE_POLL = 1.0
"""Simulated seconds between two looks at a busy destination."""


class BudgetSpent(Exception):
    """The pass has spent its call budget; what is left waits for the next pass."""


class LowPriority:
    """Wait while ``busy()`` says the flows are using the destination, up to ``max_wait``
    simulated seconds (then go anyway: reconciliation must not starve for ever either)."""

    def __init__(
        self,
        *,
        clock: Clock,
        busy: Callable[[], bool],
        poll: float = DEFAULT_GATE_POLL,
        max_wait: float = 300.0,
    ) -> None:
        self.clock = clock
        self.busy = busy
        self.poll = poll
        self.max_wait = max_wait
        self.waited = 0.0
        """Simulated seconds spent yielding to the flows, in total."""

    async def __call__(self) -> None:
        started = self.clock.now()
        while self.busy() and self.clock.now() - started < self.max_wait:
            await self.clock.sleep(self.poll)
        self.waited += self.clock.now() - started


class Meter:
    """Counts one pass's calls by side and refuses the call after ``limit``."""

    def __init__(
        self,
        *,
        limit: int | None = None,
        gates: Mapping[str, Callable[[], Awaitable[None]]] | None = None,
    ) -> None:
        self.limit = limit
        """Calls one pass may make, all sides together; None for no limit."""
        self.gates = dict(gates or {})
        self.calls: Counter[str] = Counter()
        """This pass's calls by side (``channel``, ``back_office``)."""
        self.total_calls: Counter[str] = Counter()
        """Every pass's calls by side."""

    def start_pass(self) -> None:
        self.calls = Counter()

    @property
    def spent(self) -> int:
        return sum(self.calls.values())

    def left(self) -> int | None:
        return None if self.limit is None else max(0, self.limit - self.spent)

    async def spend(self, side: str) -> None:
        """Account for one call about to be made on ``side`` (waiting for its gate first);
        :class:`BudgetSpent` when the pass has none left."""
        if self.limit is not None and self.spent >= self.limit:
            raise BudgetSpent(f"the pass spent its {self.limit} calls")
        gate = self.gates.get(side)
        if gate is not None:
            await gate()
        self.calls[side] += 1
        self.total_calls[side] += 1
