"""Channel ↔ engine: did the engine record every order the channel took?

The engine's store says which orders it recorded; the channel is asked as little as possible:

- *Dense numbers* (Shopify: order numbers are sequential per shop): a gap between two
  recorded numbers is exactly the orders missing there, and ``since_id`` lists them in one
  call; the window before the first recorded order and (when nothing was recorded after the
  cut-off) the one after the last are listed too. A pass with nothing missing costs 1-2 calls.
- *Counts* otherwise (and for channels without such numbers): count each window on the
  channel, compare with the engine's count there, split the windows that differ where the
  engine's own orders fall (equal-count cuts; the last part's count is the parent's minus the
  others', so a split into f parts costs f-1 calls) and list a window once it fits in a few
  pages. Counts at the platform's cap are lower bounds and always split.

Orders found missing that are younger than the lag threshold are lag, not drift. An order the
channel shows with amounts other than the engine's is a stale version in the engine.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from itertools import pairwise

from sync_engine.model import Order
from sync_engine.reconcile.compare import money_parts, stale_parts
from sync_engine.reconcile.findings import Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import LedgerOrder
from sync_engine.reconcile.segments import Window, quantile_split
from sync_engine.reconcile.sources import ChannelSource, order_number

CAP_SAFE_SHARE = 0.8
"""Windows start with at most this share of the count cap of recorded orders each."""


@dataclass(frozen=True)
class _After:
    """List up to ``size`` orders after ``order_id`` (a gap in the numbers)."""

    order_id: str
    size: int


@dataclass(frozen=True)
class _List:
    window: Window


@dataclass(frozen=True)
class _Count:
    window: Window
    count: int | None = None
    """Known already (the parent's count minus its other parts'), else None."""


Task = _After | _List | _Count


@dataclass(kw_only=True)
class ReceiptCheck:
    """One channel's receipt check; unfinished work carries over to the next pass."""

    source: ChannelSource
    bisection_factor: int = 4
    list_pages: int = 2
    """List a differing window (instead of splitting it) once it fits in this many pages."""
    carried: list[Task] = field(default_factory=list)
    found: dict[str, Order] = field(default_factory=dict)
    """Channel orders the engine lacks, found this pass (repairs re-ingest them)."""
    empty_gaps: set[tuple[str, int]] = field(default_factory=set)
    """Number gaps listed once and holding no order (deleted orders, numbers the channel
    skipped): a number is given once, so such a gap stays empty and is not listed again."""

    def plan(self, window: Window, recorded: list[LedgerOrder]) -> list[Task]:
        """The first tasks of a pass over ``window`` (``recorded``: every order the engine
        has from the window's start until now, lag included)."""
        in_window = [r for r in recorded if r.created_ts in window]
        if self.source.dense_numbers and in_window:
            return self._plan_dense(window, recorded, in_window)
        return [_Count(w) for w in self._initial_windows(window, in_window)]

    def _initial_windows(self, window: Window, in_window: list[LedgerOrder]) -> list[Window]:
        cap = self.source.count_cap
        if cap is None or len(in_window) < cap * CAP_SAFE_SHARE:
            return [window]
        parts = math.ceil(len(in_window) / (cap * CAP_SAFE_SHARE))
        times = sorted(r.created_ts for r in in_window)
        return quantile_split(window, times, parts)

    def _plan_dense(
        self, window: Window, recorded: list[LedgerOrder], in_window: list[LedgerOrder]
    ) -> list[Task]:
        numbered = sorted(
            ((n, r) for r in recorded if (n := order_number(r.order)) is not None),
            key=lambda pair: pair[0],
        )
        if not numbered:
            return [_Count(window)]
        tasks: list[Task] = []
        first = min(in_window, key=lambda r: (r.created_ts, order_number(r.order) or 0))
        tasks.append(_List(Window(window.start, min(window.end, math.floor(first.created_ts) + 1))))
        for (n_a, a), (n_b, b) in pairwise(numbered):
            # Orders between two numbers were created between the two orders.
            gap = (a.order_id, n_b - n_a - 1)
            spans = a.created_ts < window.end and b.created_ts >= window.start
            if gap[1] > 0 and spans and gap not in self.empty_gaps:
                tasks.append(_After(*gap))
        last = numbered[-1][1]
        if last.created_ts < window.end:
            tasks.append(_List(Window(max(window.start, math.floor(last.created_ts)), window.end)))
        return tasks

    async def run(
        self, window: Window, recorded: list[LedgerOrder], report: DriftReport, *, lag_from: float
    ) -> None:
        """Check ``window``; findings go to ``report``. Raises ``BudgetSpent`` with the
        unfinished tasks kept for the next pass."""
        by_id = {r.order_id: r for r in recorded}
        tasks = self.carried or self.plan(window, recorded)
        self.carried = []
        self.found = {}
        while tasks:
            task = tasks[-1]
            try:
                more = await self._do(task, window, recorded, by_id, report, lag_from)
            except BaseException:
                self.carried = tasks
                raise
            tasks.pop()
            tasks.extend(more)

    async def _do(
        self,
        task: Task,
        window: Window,
        recorded: list[LedgerOrder],
        by_id: dict[str, LedgerOrder],
        report: DriftReport,
        lag_from: float,
    ) -> list[Task]:
        if isinstance(task, _After):
            after = await self.source.orders_after(task.order_id, task.size)
            if all(o.order_id in by_id for o in after):
                self.empty_gaps.add((task.order_id, task.size))
            self._diff(after, by_id, report, window, lag_from, listed=None)
            return []
        if isinstance(task, _List):
            listed = await self.source.orders(task.window)
            self._diff(listed, by_id, report, window, lag_from, listed=task.window)
            return []
        count = task.count if task.count is not None else await self.source.count(task.window)
        mine = sum(1 for r in recorded if r.created_ts in task.window) + sum(
            1 for o in self.found.values() if o.created_ts in task.window
        )
        cap = self.source.count_cap
        capped = cap is not None and count >= cap
        if not capped and count == mine:
            return []
        if (
            not capped and count <= self.source.page_size * self.list_pages
        ) or task.window.seconds <= 1:
            return [_List(task.window)]
        times = sorted(r.created_ts for r in recorded if r.created_ts in task.window)
        parts = quantile_split(task.window, times, self.bisection_factor)
        if len(parts) < 2:
            return [_List(task.window)]
        counts: list[int | None] = [None] * len(parts)
        if not capped:
            for i, part in enumerate(parts[:-1]):
                counts[i] = await self.source.count(part)
            counts[-1] = count - sum(c for c in counts[:-1] if c is not None)
        return [_Count(p, c) for p, c in zip(parts, counts, strict=True)]

    def _diff(
        self,
        orders: Iterable[Order],
        by_id: dict[str, LedgerOrder],
        report: DriftReport,
        window: Window,
        lag_from: float,
        *,
        listed: Window | None,
    ) -> None:
        seen: set[str] = set()
        channel = self.source.name
        for order in orders:
            seen.add(order.order_id)
            mine = by_id.get(order.order_id)
            if mine is None:
                if order.created_ts >= lag_from:
                    report.add(
                        finding(
                            Cause.SYNC_LAG,
                            Where.ENGINE,
                            channel=channel,
                            record_key=order.order_id,
                            detail="created within the lag threshold; not received yet",
                            created_ts=order.created_ts,
                        )
                    )
                elif order.created_ts in window:
                    self.found[order.order_id] = order
                    report.add(
                        finding(
                            Cause.MISSING,
                            Where.ENGINE,
                            channel=channel,
                            record_key=order.order_id,
                            detail=f"order {order.number} is on the channel but the engine "
                            "never recorded it (a lost webhook the poller did not recover)",
                            values=money_parts("channel", order),
                            created_ts=order.created_ts,
                        )
                    )
                continue
            parts = stale_parts(mine.order, order)
            if parts is not None:
                cause, values = parts
                report.add(
                    finding(
                        cause,
                        Where.ENGINE,
                        channel=channel,
                        record_key=order.order_id,
                        detail=f"order {order.number}: the engine holds an older version "
                        "than the channel's",
                        values=values,
                        created_ts=order.created_ts,
                        detail_code="CANCELLED_ON_CHANNEL" if order.cancelled else None,
                    )
                )
        if listed is None:
            return
        for mine in by_id.values():
            if (
                mine.created_ts in listed
                and mine.created_ts in window
                and mine.order_id not in seen
            ):
                report.add(
                    finding(
                        Cause.ORPHAN,
                        Where.ENGINE,
                        channel=channel,
                        record_key=mine.order_id,
                        detail=f"order {mine.order.number} is recorded by the engine but the "
                        "channel no longer lists it (deleted?)",
                        created_ts=mine.created_ts,
                    )
                )
