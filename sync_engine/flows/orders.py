"""Orders to the back office: idempotent upserts at the concurrency the ERP will take.

The ERP's concurrency limit is not configured but learned (AIMD, as TCP finds a path's
capacity): one more request in flight per window of successes, a multiplicative cut on a
concurrency rejection. Every attempt is an upsert by external id, so a retry after an unknown
outcome (timeout, crash) can never create a second sales order.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Callable, Container

from simclock import Clock
from sync_engine.budgets import ConcurrencyBudget
from sync_engine.config import ErpDestination, Timing
from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.errors import ConcurrencyRejected, SyncError
from sync_engine.flows.fingerprints import fingerprint
from sync_engine.flows.order_changes import applied_key
from sync_engine.mapping import MappingRules, map_order
from sync_engine.mapping.skus import ANY_SKU
from sync_engine.metrics import Metrics
from sync_engine.retry import decide
from sync_engine.store import DueOrder, Store


def concurrency_budget(dest: ErpDestination | None, clock: Clock) -> ConcurrencyBudget:
    """The back office's learned concurrency budget, from the destination's settings (the
    NetSuite defaults for a back office that has none of its own)."""
    dest = dest or ErpDestination(base_url="", access_token="")
    return ConcurrencyBudget(
        clock=clock,
        initial=dest.initial_concurrency,
        maximum=dest.max_concurrency,
        decrease_factor=dest.decrease_factor,
    )


DEFAULT_LEASE_SECONDS = 150.0
"""The ERP's default request timeout plus a margin (see ``EngineConfig.order_lease_seconds``)."""


class OrderSync:
    """Carries pending orders from the store to the ERP."""

    def __init__(
        self,
        *,
        store: Store,
        erp: BackOfficeConnector,
        clock: Clock,
        metrics: Metrics,
        timing: Timing,
        dest: ErpDestination | None,
        erp_location_id: str,
        rng: random.Random,
        rules: MappingRules | None = None,
        catalogue: Container[str] | None = None,
        scarce_below: int = 0,
        owner: str | None = None,
        lease_seconds: float = DEFAULT_LEASE_SECONDS,
        on_exception: Callable[[str], None] | None = None,
    ) -> None:
        self.store = store
        self.rules = rules or MappingRules()
        self.catalogue: Container[str] = catalogue if catalogue is not None else ANY_SKU
        """Back-office SKUs (kept fresh by the inventory flow's reads)."""
        self.on_exception = on_exception
        self.last_synced_at: float | None = None
        """Told the fingerprint each time a record is held (alerts hang off this)."""
        self.owner = owner or f"orders-{uuid.uuid4().hex}"
        """Lease owner: orders this engine claimed are nobody else's until the lease ends."""
        self.lease_seconds = lease_seconds
        self.scarce_below = scarce_below
        self.erp = erp
        self.clock = clock
        self.metrics = metrics
        self.timing = timing
        self.erp_location_id = erp_location_id
        self.rng = rng
        self.governor = concurrency_budget(dest, clock)
        self.in_flight: dict[str, asyncio.Task[None]] = {}
        self.last_latency = 1.0

    def start_due(self) -> int:
        """Start as many due orders as the learned limit allows; returns how many started."""
        capacity = self.governor.allowed - len(self.in_flight)
        if capacity <= 0:
            return 0
        # A lease, not an in-memory set, keeps an order to one engine: other engine processes
        # sharing the store skip it, and if this process dies the lease runs out.
        due = self.store.lease_due_orders(
            self.owner,
            self.clock.now(),
            capacity,
            self.lease_seconds,
            scarce_below=self.scarce_below,
        )
        for item in due:
            key = item.order.order_id
            if key in self.in_flight:
                continue  # our own lease ran out mid-request; the running attempt settles it
            self.in_flight[key] = asyncio.create_task(self._sync_one(item))
        self.metrics.concurrency_limit.labels(self.erp.name).set(self.governor.limit)
        utilisation = self.governor.utilisation(len(self.in_flight))
        self.metrics.budget_utilisation.labels(self.erp.name).set(utilisation)
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
        # Outcomes of cancelled requests are unknown: hand the orders to the other engines now
        # rather than when the leases run out (the upsert by external id makes a resend safe).
        self.store.release_leases(self.owner)

    async def _sync_one(self, due: DueOrder) -> None:
        order = due.order
        started = self.clock.now()
        try:
            mapped = map_order(order, self.rules, self.catalogue)
            await self.erp.upsert_sales_order(mapped, location_id=self.erp_location_id)
            if order.cancelled:
                # First seen already cancelled (the poller, or orders/cancelled before
                # orders/create): no later change will carry the cancellation, so send it now.
                await self.erp.cancel_sales_order(order.external_id)
                self.store.put(applied_key(order.external_id), str(order.version))
        except SyncError as error:
            self._failed(due, error)
        else:
            self.last_latency = max(0.01, self.clock.now() - started)
            self.governor.on_success(len(self.in_flight) - 1)
            self.store.mark_synced(order, now=self.clock.now())
            self.last_synced_at = self.clock.now()
            self.metrics.synced.labels("orders").inc()
        finally:
            self.in_flight.pop(order.order_id, None)

    def _failed(self, due: DueOrder, error: SyncError) -> None:
        order = due.order
        now = self.clock.now()
        if isinstance(error, ConcurrencyRejected):
            # A rejection comes back at once: what is in flight now is what it went out with.
            self.governor.on_rejected(cut_spacing=self.last_latency, sent_with=len(self.in_flight))
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
        held_under = fingerprint("orders", error.code, reason)
        self.store.mark_exception(
            order, now=now, reason=reason, code=error.code, fingerprint=held_under
        )
        if self.on_exception is not None:
            self.on_exception(held_under)
