"""Orders to the back office: idempotent upserts at the concurrency the ERP will take.

The ERP's concurrency limit is not configured but learned (AIMD, as TCP finds a path's
capacity): one more request in flight per window of successes, a multiplicative cut on a
concurrency rejection. Every attempt is an upsert by external id, so a retry after an unknown
outcome (timeout, crash) can never create a second sales order.
"""

from __future__ import annotations

import asyncio
import hashlib
import random
import re

from simclock import Clock
from sync_engine.config import ErpDestination, Timing
from sync_engine.connectors.netsuite_rest import DESTINATION, NetSuiteRest
from sync_engine.errors import ConcurrencyRejected, SyncError
from sync_engine.metrics import Metrics
from sync_engine.retry import decide
from sync_engine.store import DueOrder, Store


def fingerprint(flow: str, code: str | None, reason: str) -> str:
    """Group recurring failures: same flow, code and message shape (digits masked)."""
    shape = re.sub(r"\d+", "#", reason)
    return hashlib.sha1(f"{flow}|{code}|{shape}".encode()).hexdigest()[:16]


class ConcurrencyGovernor:
    """Additive-increase / multiplicative-decrease limit on requests in flight."""

    def __init__(self, dest: ErpDestination, clock: Clock) -> None:
        self.limit = float(dest.initial_concurrency)
        self.ceiling = float(dest.max_concurrency)
        self.factor = dest.decrease_factor
        self.clock = clock
        self.rejections = 0
        self._last_cut = -1e18

    @property
    def allowed(self) -> int:
        return max(1, int(self.limit))

    def on_success(self, in_flight: int) -> None:
        """Grow only while the limit is in use: idle headroom proves nothing about capacity."""
        if in_flight + 1 >= self.allowed:
            self.limit = min(self.ceiling, self.limit + 1.0 / self.limit)

    def on_rejected(self, cut_spacing: float) -> None:
        """Cut once per burst: the requests already in flight were sent at the old limit."""
        self.rejections += 1
        now = self.clock.now()
        if now - self._last_cut >= cut_spacing:
            self.limit = max(1.0, self.limit * self.factor)
            self._last_cut = now


class OrderSync:
    """Carries pending orders from the store to the ERP."""

    def __init__(
        self,
        *,
        store: Store,
        erp: NetSuiteRest,
        clock: Clock,
        metrics: Metrics,
        timing: Timing,
        dest: ErpDestination,
        erp_location_id: str,
        rng: random.Random,
        scarce_below: int = 0,
    ) -> None:
        self.store = store
        self.scarce_below = scarce_below
        self.erp = erp
        self.clock = clock
        self.metrics = metrics
        self.timing = timing
        self.erp_location_id = erp_location_id
        self.rng = rng
        self.governor = ConcurrencyGovernor(dest, clock)
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self.last_latency = 1.0

    def start_due(self) -> int:
        """Start as many due orders as the learned limit allows; returns how many started."""
        capacity = self.governor.allowed - len(self.in_flight)
        if capacity <= 0:
            return 0
        due = self.store.due_orders(
            self.clock.now(), capacity, set(self.in_flight), scarce_below=self.scarce_below
        )
        for item in due:
            key = item.order.order_id
            self.in_flight[key] = asyncio.create_task(self._sync_one(item))
        self.metrics.concurrency_limit.labels(DESTINATION).set(self.governor.limit)
        return len(due)

    async def run(self) -> None:
        while True:
            self.start_due()
            await self.clock.sleep(self.timing.worker_tick)

    async def drain(self) -> None:
        """Sync until nothing is pending or in flight (tests and the end of a run)."""
        while True:
            self.start_due()
            if self.in_flight:
                await asyncio.wait(list(self.in_flight.values()))
                continue
            if self.store.order_counts()["pending"] == 0:
                return
            await self.clock.sleep(self.timing.worker_tick)

    async def stop(self) -> None:
        for task in self.in_flight.values():
            task.cancel()
        await asyncio.gather(*self.in_flight.values(), return_exceptions=True)
        self.in_flight.clear()

    async def _sync_one(self, due: DueOrder) -> None:
        order = due.order
        started = self.clock.now()
        try:
            await self.erp.upsert_sales_order(order, location_id=self.erp_location_id)
        except SyncError as error:
            self._failed(due, error)
        else:
            self.last_latency = max(0.01, self.clock.now() - started)
            self.governor.on_success(len(self.in_flight) - 1)
            self.store.mark_synced(order, now=self.clock.now())
            self.metrics.synced.labels("orders").inc()
        finally:
            self.in_flight.pop(order.order_id, None)

    def _failed(self, due: DueOrder, error: SyncError) -> None:
        order = due.order
        now = self.clock.now()
        if isinstance(error, ConcurrencyRejected):
            self.governor.on_rejected(cut_spacing=self.last_latency)
        decision = decide(
            error,
            due.attempts + 1,
            self.rng,
            base=self.timing.retry_base,
            cap=self.timing.retry_cap,
        )
        if decision.retry:
            self.store.mark_retry(order, next_attempt_at=now + decision.delay, error=str(error))
            return
        reason = str(error)
        self.store.mark_exception(
            order,
            now=now,
            reason=reason,
            code=error.code,
            fingerprint=fingerprint("orders", error.code, reason),
        )
