"""Reconciliation on a schedule inside the engine, and the wiring of one channel's reconciler.

:class:`ReconcileLoop` runs a pass per channel every ``interval`` simulated seconds (and on
demand: :meth:`ReconcileLoop.run_once`), keeps the recent reports and hands each to
``on_report``. :func:`build_order_reconciler` builds a reconciler from the engine's own
connectors and store, so every call spends the flows' budgets; its gates hold a call back
while the flows are using the destination.
"""

from __future__ import annotations

import contextlib
import inspect
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, Protocol

from simclock import Clock
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.mapping import MappingRules
from sync_engine.reconcile.findings import DriftReport
from sync_engine.reconcile.ledger import Expectations, StoreLedger
from sync_engine.reconcile.meter import LowPriority, Meter
from sync_engine.reconcile.reconciler import OrderReconciler, ReconcileSettings, Repair
from sync_engine.reconcile.sources import (
    BACK_OFFICE_SIDE,
    CHANNEL_SIDE,
    NetSuiteOrders,
    ShopifyOrders,
    SuiteQLClient,
)
from sync_engine.store import Store

DEFAULT_INTERVAL = 900.0
"""Simulated seconds between passes (Mechanic's pattern scans every 15 minutes)."""
DEFAULT_MAX_CALLS = 200
"""Calls one pass may spend, both sides together."""
BUCKET_BUSY_SHARE = 0.5
"""The channel is busy (reconciliation waits) while its bucket is fuller than this."""
REPORTS_KEPT = 50


class Reconciler(Protocol):
    """Anything that reconciles one thing a pass at a time (orders of a channel, its refunds,
    the stock)."""

    @property
    def name(self) -> str: ...

    @property
    def last_report(self) -> DriftReport | None: ...

    async def run_pass(self) -> DriftReport: ...


class ReconcileLoop:
    """Passes on a schedule; the latest reports, JSON-ready."""

    def __init__(
        self,
        *,
        reconcilers: Sequence[Reconciler],
        clock: Clock,
        interval: float = DEFAULT_INTERVAL,
        on_report: Callable[[DriftReport], Awaitable[object] | object] | None = None,
    ) -> None:
        self.reconcilers = reconcilers
        self.clock = clock
        self.interval = interval
        self.on_report = on_report
        self.reports: deque[DriftReport] = deque(maxlen=REPORTS_KEPT)
        self.passes = 0
        self.failures: list[str] = []
        """Passes that raised (a bug, not a platform error: those end up in the report)."""

    async def run(self) -> None:
        """Forever: a pass, then ``interval`` of sleep (cancel the task to stop)."""
        while True:
            await self.run_once()
            await self.clock.sleep(self.interval)

    async def run_once(self) -> list[DriftReport]:
        """One pass per reconciler now (``rehearsal reconcile``, the end of a run)."""
        made = []
        for reconciler in self.reconcilers:
            try:
                report = await reconciler.run_pass()
            except Exception as error:  # one broken reconciler must not stop the others
                self.failures = [*self.failures[-9:], f"{reconciler.name}: {error!r}"]
                continue
            self.reports.append(report)
            made.append(report)
            if self.on_report is not None:
                with contextlib.suppress(Exception):  # a broken sink must not stop the loop
                    result = self.on_report(report)
                    if inspect.isawaitable(result):
                        await result
        self.passes += 1
        return made

    def status(self) -> dict[str, Any]:
        """Passes so far and each channel's latest report summary (no findings list)."""
        latest: dict[str, Any] = {}
        for r in self.reconcilers:
            report = r.last_report
            if report is not None:
                summary = report.to_json()
                summary.pop("findings")
                latest[r.name] = summary
        return {"passes": self.passes, "latest": latest, "failures": list(self.failures)}


def bucket_busy(rest: ShopifyRest, share: float = BUCKET_BUSY_SHARE) -> Callable[[], bool]:
    """Busy while the store's bucket is fuller than ``share`` of its capacity."""
    return lambda: rest.budget.level() > rest.budget.capacity * share


def build_order_reconciler(
    *,
    channel: ShopifyChannel,
    back_office: SuiteQLClient,
    store: Store,
    clock: Clock,
    rules: MappingRules | None = None,
    repair: Repair | None = None,
    settings: ReconcileSettings | None = None,
    max_calls: int | None = DEFAULT_MAX_CALLS,
    back_office_busy: Callable[[], bool] | None = None,
) -> OrderReconciler:
    """A reconciler for one Shopify channel against a NetSuite-style back office
    (``back_office``: the engine's ``NetSuiteRest``), reading the engine's ``store``.

    ``back_office_busy`` says when the flows need the back office (e.g. the orders flow has
    all its learned concurrency in use); the channel's gate watches its bucket level.
    """
    gates = {CHANNEL_SIDE: LowPriority(clock=clock, busy=bucket_busy(channel.rest))}
    if back_office_busy is not None:
        gates[BACK_OFFICE_SIDE] = LowPriority(clock=clock, busy=back_office_busy)
    meter = Meter(limit=max_calls, gates=gates)
    return OrderReconciler(
        channel=ShopifyOrders(channel.rest, name=channel.name, meter=meter),
        back_office=NetSuiteOrders(back_office, meter=meter),
        ledger=StoreLedger(store),
        clock=clock,
        meter=meter,
        settings=settings,
        expectations=Expectations(rules),
        repair=repair,
    )
