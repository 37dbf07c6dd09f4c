"""Inventory from the back office to the channel, without overselling while orders fly.

The back office is the source of truth. For each SKU and channel location the channel should
show ``ERP available − buffer − units sold on the channel that the ERP has not allocated yet``.
Pushes are *relative* adjustments computed against a ledger of what the channel holds
(``channel_est``), so they commute with checkouts that happen while the push is in flight: an
absolute "set" would silently put back units that shoppers bought a moment earlier.

The ledger is re-read from the channel by a full sync at start-up, on a schedule, and once
traffic goes quiet; reads race with checkouts only in the conservative direction (the channel
may briefly show less than it could, never more).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from simclock import Clock, iso_utc
from sync_engine.config import EngineConfig
from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.errors import OutcomeUnknown, SyncError, Throttled
from sync_engine.model import StockLevel
from sync_engine.store import Store

ERP_CURSOR = "erp_inventory_cursor"


@dataclass(frozen=True, kw_only=True)
class Push:
    """One adjustment the channel needs."""

    sku: str
    location: int
    delta: int
    target: int


class InventorySync:
    """Keeps every channel location's available equal to the back office's ATS minus buffer."""

    def __init__(
        self,
        *,
        config: EngineConfig,
        store: Store,
        shopify: ShopifyRest,
        erp: NetSuiteRest,
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.shopify = shopify
        self.erp = erp
        self.clock = clock
        self.item_ids: dict[str, int] = {}
        self.channel_lock = asyncio.Lock()
        self.last_full_sync: float | None = None
        self.last_erp_poll: float | None = None
        self.full_sync_needed = True
        self.last_synced_at: Callable[[], float | None] = lambda: None
        """When an order last reached the back office (wired to the order flow)."""
        self.pushes = 0
        self.throttled = 0

    # -- reads -------------------------------------------------------------------------------

    def _aggregate(self, levels: list[StockLevel]) -> dict[tuple[str, int], int]:
        """Back-office levels summed onto the channel locations they are mapped to."""
        totals: dict[tuple[str, int], int] = defaultdict(int)
        for level in levels:
            channel_location = self.config.location_map.get(level.location)
            if channel_location is not None and level.sku in self.item_ids:
                totals[(level.sku, channel_location)] += level.available
        return dict(totals)

    async def discover(self) -> None:
        """Learn the channel's SKU → inventory item mapping."""
        self.item_ids = await self.shopify.variants_by_sku()

    async def full_sync(self) -> None:
        """Re-read both sides; resets the channel ledger."""
        if not self.item_ids:
            await self.discover()
        started = self.clock.now()
        erp_levels = [level for level, _ in await self.erp.inventory(None)]
        self.store.set_erp_levels(self._aggregate(erp_levels), read_started=started)
        locations = sorted(set(self.config.location_map.values()))
        by_item = {item: sku for sku, item in self.item_ids.items()}
        async with self.channel_lock:
            # Levels first, then the newest order id: an order landing between the two reads
            # is then counted neither in the levels nor later, which errs towards showing less.
            levels = await self.shopify.inventory_levels(list(self.item_ids.values()), locations)
            marker = await self.shopify.newest_order_id()
            channel = {
                (by_item[int(lv["inventory_item_id"])], int(lv["location_id"])): int(
                    lv["available"]
                )
                for lv in levels
                if int(lv["inventory_item_id"]) in by_item
            }
            self.store.reset_channel_levels(channel, marker=marker)
        self.last_full_sync = self.clock.now()
        self.full_sync_needed = False

    async def poll_erp(self) -> int:
        """Read items changed since the last poll; returns how many levels came back."""
        started = self.clock.now()
        cursor = self.store.get(ERP_CURSOR)
        changed = await self.erp.inventory(cursor)
        self.store.set_erp_levels(
            self._aggregate([level for level, _ in changed]), read_started=started
        )
        # Overlap the next window: the ERP stamps lastModifiedDate when its write lands, which
        # can be slightly before our request started.
        self.store.put(ERP_CURSOR, iso_utc(started - self.config.timing.stock_poll_overlap))
        self.last_erp_poll = self.clock.now()
        return len(changed)

    # -- pushes ------------------------------------------------------------------------------

    def pending_pushes(self) -> list[Push]:
        """Adjustments needed now; those that take stock away (oversell risk) come first."""
        sales_location = self.config.channel_sales_location
        held_by_sku = self.store.held_quantities(sales_location)
        pushes = []
        for row in self.store.stock_rows():
            if row.channel_est is None or row.erp_ats is None or row.sku not in self.item_ids:
                continue
            held = held_by_sku.get(row.sku, 0) if row.location == sales_location else 0
            target = max(0, row.erp_ats - self.config.stock_buffer - held)
            if target != row.channel_est:
                pushes.append(
                    Push(
                        sku=row.sku,
                        location=row.location,
                        delta=target - row.channel_est,
                        target=target,
                    )
                )
        pushes.sort(key=lambda p: (p.delta > 0, -abs(p.delta), p.sku))
        return pushes

    async def push_once(self) -> int:
        """Send pending adjustments, most urgent first, each computed fresh just before it goes:
        a delta worked out before a throttled wait may no longer be right. Stops at the first
        throttle. Returns pushes made."""
        done = 0
        while True:
            async with self.channel_lock:
                pending = self.pending_pushes()
                if not pending:
                    return done
                push = pending[0]
                try:
                    await self.shopify.adjust(self.item_ids[push.sku], push.location, push.delta)
                except Throttled as exc:
                    self.throttled += 1
                    wait = exc.retry_after if exc.retry_after is not None else 1.0
                except OutcomeUnknown:
                    # We cannot tell whether it landed: re-read rather than risk a double push.
                    self.full_sync_needed = True
                    return done
                else:
                    self.store.apply_push(push.sku, push.location, push.delta)
                    done += 1
                    self.pushes += 1
                    continue
            await self.clock.sleep(wait)
            return done

    # -- loops -------------------------------------------------------------------------------

    def quiet_sync_due(self) -> bool:
        """Traffic has stopped since the last full sync: settle any conservative error.

        Traffic means orders arriving *or* reaching the back office: an order re-sent after a
        crash is an idempotent update that leaves the ERP item's ``lastModifiedDate`` alone, so
        no incremental poll would ever show it included; only a full read does.
        """
        activity = [self.store.last_order_received_at(), self.last_synced_at()]
        last_order = max((t for t in activity if t is not None), default=None)
        if last_order is None or self.last_full_sync is None:
            return False
        quiet_for = self.clock.now() - last_order
        return (
            last_order > self.last_full_sync
            and quiet_for >= self.config.timing.quiet_full_sync_after
            and self.store.order_counts()["pending"] == 0
        )

    async def run(self) -> None:
        timing = self.config.timing
        next_poll = self.clock.now()
        while True:
            now = self.clock.now()
            try:
                if (
                    self.full_sync_needed
                    or self.last_full_sync is None
                    or now - self.last_full_sync >= timing.full_sync_interval
                    or self.quiet_sync_due()
                ):
                    await self.full_sync()
                elif now >= next_poll:
                    await self.poll_erp()
                    next_poll = now + timing.stock_poll_interval
                await self.push_once()
            except Throttled as exc:
                self.throttled += 1
                await self.clock.sleep(exc.retry_after if exc.retry_after is not None else 1.0)
            except SyncError:
                await self.clock.sleep(timing.retry_base * 4)
            await self.clock.sleep(timing.push_tick)
