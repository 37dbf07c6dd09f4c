"""One reconciliation pass over one channel's orders: channel ↔ engine ↔ back office.

A pass compares the channel time ``[now − horizon, now − lag)``:

1. *receipt* (channel ↔ engine, :mod:`.receipt`): did the engine record every order?
2. *cancellations* (channel ↔ engine): one count of the window's cancelled orders; listed
   only when it differs from the engine's;
3. *delivery* (engine ↔ back office, :mod:`.delivery`): is every synced order in the back
   office once, with the mapped figures and cancellation?
4. from the store alone, free: held orders (unmapped, already in the exception queue) and the
   lag (orders younger than the threshold not yet in the back office: not drift).

Calls go through the connectors (their budgets) and the :class:`Meter` (the pass's own budget
and the low-priority gates). When the pass budget runs out the report says ``complete:
false`` and the next pass resumes the unfinished step. Findings whose action is ``repair``
are handed to the ``repair`` callback (channel order ids to re-ingest).
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from simclock import Clock
from sync_engine.errors import SyncError, TransientError
from sync_engine.reconcile.delivery import EXCEPTION, PENDING, SYNCED, DeliveryCheck
from sync_engine.reconcile.findings import Action, Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import EngineLedger, Expectations, LedgerOrder
from sync_engine.reconcile.meter import BudgetSpent, Meter
from sync_engine.reconcile.receipt import ReceiptCheck
from sync_engine.reconcile.segments import Window
from sync_engine.reconcile.sources import BackOfficeSource, ChannelSource

DEFAULT_LAG = 900.0
"""Seconds: an order younger than this missing from the back office is lag, not drift."""
DEFAULT_HORIZON = 7 * 86_400.0
"""Seconds of channel time a pass looks back (Shopify shows 60 days without read_all_orders)."""
LAG_FINDINGS_MAX = 100
"""Per-order lag findings kept in a report (the counts are always complete)."""

Repair = Callable[[list[str]], Awaitable[object] | object]
"""Re-ingest these channel order ids (fetch each from the channel and queue it)."""


@dataclass(frozen=True, kw_only=True)
class ReconcileSettings:
    """How a pass looks and what it may spend."""

    lag: float = DEFAULT_LAG
    horizon: float = DEFAULT_HORIZON
    bisection_factor: int = 4
    """Parts a differing channel window is cut into (count-based receipt check)."""
    list_pages: int = 2
    """A differing channel window is listed once it fits in this many pages."""
    check_cancellations: bool = True
    retries: int = 3
    """A pass repeats a step after a transient error (throttled, 5xx) this many times."""
    retry_base: float = 2.0
    """Simulated seconds before the first repeat (doubling), unless the platform said."""


STEPS = ("receipt", "cancellations", "delivery")


class OrderReconciler:
    """Reconciles one channel's orders with the back office, a pass at a time."""

    def __init__(
        self,
        *,
        channel: ChannelSource,
        back_office: BackOfficeSource,
        ledger: EngineLedger,
        clock: Clock,
        meter: Meter,
        settings: ReconcileSettings | None = None,
        expectations: Expectations | None = None,
        repair: Repair | None = None,
    ) -> None:
        self.channel = channel
        self.back_office = back_office
        self.ledger = ledger
        self.clock = clock
        self.meter = meter
        self.settings = settings or ReconcileSettings()
        self.repair = repair
        self.receipt = ReceiptCheck(
            source=channel,
            bisection_factor=self.settings.bisection_factor,
            list_pages=self.settings.list_pages,
        )
        self.delivery = DeliveryCheck(
            back_office=back_office,
            channel=channel.name,
            numeric_ids=channel.numeric_ids,
            expectations=expectations or Expectations(),
        )
        self._done: set[str] = set()
        """Steps finished in the current cycle (a cycle spans passes cut short by budget)."""
        self.last_report: DriftReport | None = None

    @property
    def name(self) -> str:
        return self.channel.name

    async def run_pass(self) -> DriftReport:
        """One pass; never raises for a platform error (the report carries it)."""
        self.meter.start_pass()
        now = self.clock.now()
        window = Window(
            float(math.floor(now - self.settings.horizon)),
            float(math.floor(now - self.settings.lag)),
        )
        report = DriftReport(channel=self.name, started_at=now, window=window)
        recorded = self.ledger.orders(self.name, Window(window.start, math.floor(now) + 1.0))
        in_window = [r for r in recorded if r.created_ts in window]
        report.orders_compared = len(in_window)
        for attempt in range(self.settings.retries + 1):
            try:
                await self._steps(window, recorded, in_window, report)
                break
            except BudgetSpent:
                report.complete = False
                break
            except TransientError as error:
                # Reads are safe to repeat, and each step resumes where it stopped.
                if attempt == self.settings.retries:
                    report.complete = False
                    report.error = f"{type(error).__name__}: {error}"
                    break
                wait = getattr(error, "retry_after", None) or self.settings.retry_base * 2**attempt
                await self.clock.sleep(wait)
            except SyncError as error:
                report.complete = False
                report.error = f"{type(error).__name__}: {error}"
                break
        if report.complete:
            self._done.clear()
        self._from_store(window, recorded, report)
        report.calls = dict(self.meter.calls)
        report.full_scan_calls = self._full_scan_estimate(in_window)
        await self._repair(report)
        report.finished_at = self.clock.now()
        self.last_report = report
        return report

    async def _steps(
        self,
        window: Window,
        recorded: list[LedgerOrder],
        in_window: list[LedgerOrder],
        report: DriftReport,
    ) -> None:
        if "receipt" not in self._done:
            await self.receipt.run(window, recorded, report, lag_from=window.end)
            self._done.add("receipt")
        if "cancellations" not in self._done:
            if self.settings.check_cancellations:
                await self._cancellations(window, recorded, in_window, report)
            self._done.add("cancellations")
        if "delivery" not in self._done:
            await self.delivery.run(
                window, in_window, report, known_missing=set(self.receipt.found)
            )
            self._done.add("delivery")

    async def _cancellations(
        self,
        window: Window,
        recorded: list[LedgerOrder],
        in_window: list[LedgerOrder],
        report: DriftReport,
    ) -> None:
        count = await self.channel.count(window, cancelled=True)
        mine = sum(1 for r in in_window if r.order.cancelled)
        cap = self.channel.count_cap
        if count == mine and (cap is None or count < cap):
            return
        by_id = {r.order_id: r for r in recorded}
        for order in await self.channel.orders(window, cancelled=True):
            found = by_id.get(order.order_id)
            if found is not None and not found.order.cancelled:
                report.add(
                    finding(
                        Cause.CANCELLATION,
                        Where.ENGINE,
                        channel=self.name,
                        record_key=order.order_id,
                        detail=f"order {order.number} was cancelled on the channel; the "
                        "engine never saw the cancellation",
                        created_ts=order.created_ts,
                        detail_code="CANCELLED_ON_CHANNEL",
                    )
                )

    def _from_store(self, window: Window, recorded: list[LedgerOrder], report: DriftReport) -> None:
        """Held orders and lag, from the store alone (no calls)."""
        held = self.ledger.held()
        for r in recorded:
            if r.state == EXCEPTION and r.created_ts in window:
                why = held.get((self.name, r.order_id), {})
                report.add(
                    finding(
                        Cause.UNMAPPED,
                        Where.BACK_OFFICE,
                        channel=self.name,
                        record_key=r.order_id,
                        detail=f"order {r.order.number} is held in the exception queue: "
                        f"{why.get('reason') or 'no reason recorded'}",
                        values={"fingerprint": str(why.get("fingerprint") or "")},
                        created_ts=r.created_ts,
                    )
                )
        young = [r for r in recorded if r.created_ts >= window.end and r.state != SYNCED]
        for r in young[:LAG_FINDINGS_MAX]:
            report.add(
                finding(
                    Cause.SYNC_LAG,
                    Where.BACK_OFFICE,
                    channel=self.name,
                    record_key=r.order_id,
                    detail=f"order {r.order.number} is younger than the lag threshold and "
                    f"not in the back office yet ({r.state})",
                    created_ts=r.created_ts,
                )
            )
        not_received = [
            f for f in report.findings if f.cause is Cause.SYNC_LAG and f.where is Where.ENGINE
        ]
        report.lag = {
            "threshold_seconds": self.settings.lag,
            "since": window.end,
            "engine_pending": sum(1 for r in young if r.state == PENDING),
            "engine_held": sum(1 for r in young if r.state == EXCEPTION),
            "not_received": len(not_received),
        }

    def _full_scan_estimate(self, in_window: list[LedgerOrder]) -> int:
        """Listing every order on both sides: pages of each."""
        channel_orders = len(in_window) + len(self.receipt.found)
        back_office = self.delivery.back_office_orders
        if back_office is None:
            back_office = sum(1 for r in in_window if r.state == SYNCED)
        return math.ceil(channel_orders / self.channel.page_size) + math.ceil(
            back_office / self.back_office.page_size
        )

    async def _repair(self, report: DriftReport) -> None:
        ids = sorted(
            {
                f.record_key
                for f in report.findings
                if f.action is Action.REPAIR and f.cause is not Cause.STOCK_DRIFT
            },
            key=lambda key: (len(key), key),
        )
        if not ids or self.repair is None:
            return
        result = self.repair(ids)
        if inspect.isawaitable(result):
            await result
        report.repaired = ids
