"""Inventory from the back office to the channel, without overselling while orders fly.

The back office is the source of truth. For each SKU and channel location the channel should
show ``ERP available − buffer − units sold on the channel that the ERP has not allocated yet``.
Pushes are *relative* adjustments computed against a ledger of what the channel holds
(``channel_est``), so they commute with checkouts that happen while the push is in flight: an
absolute "set" would silently put back units that shoppers bought a moment earlier.

The ledger is re-read from the channel by a full sync at start-up, on a schedule, and once
traffic goes quiet; reads race with checkouts only in the conservative direction (the channel
may briefly show less than it could, never more).

Several channels share one back office: the ERP is read once and every channel's shelf gets
its own rows (ledger key ``{channel}:{location}``), buffer and location mapping. Units held by
orders not yet in the back office count against every channel, whichever sold them: a unit
sold on SHOPLINE must not be offered again on Shopify before the ERP has it. SKUs are compared
in their back-office form (``mapping.skus.back_office_sku``); a channel SKU the back office
does not stock is left alone (a bundle's availability is not derived here).
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

from simclock import Clock, iso_utc
from sync_engine.config import ChannelSettings, EngineConfig
from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.connectors.channel import ChannelConnector
from sync_engine.errors import OutcomeUnknown, PermanentError, SyncError, Throttled
from sync_engine.flows.fingerprints import fingerprint
from sync_engine.mapping.skus import Catalogue, back_office_sku
from sync_engine.model import StockLevel
from sync_engine.store import Store
from sync_engine.store.contract import DueJob

ERP_CURSOR = "erp_inventory_cursor"
PUSHES_PER_ROUND = 40
"""Per channel, between two looks at the back office (a Shopify bucket's worth)."""


def ledger_key(channel: str, location: str) -> str:
    """The store's key for one channel location."""
    return f"{channel}:{location}"


@dataclass(frozen=True, kw_only=True)
class Push:
    """One adjustment a channel needs."""

    channel: str
    sku: str
    location: str
    """Ledger key (``{channel}:{location id}``)."""
    delta: int
    target: int


@dataclass(kw_only=True, eq=False)
class Shelf:
    """One channel's side of the ledger."""

    name: str
    settings: ChannelSettings
    connector: ChannelConnector
    buffer: int
    item_ids: dict[str, str] = field(default_factory=dict)
    """Back-office SKU → the channel's inventory item id."""
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    blocked_until: float = 0.0
    """Throttled: no pushes to this channel before then."""
    refused: dict[str, str] = field(default_factory=dict)
    """SKU → why the channel refused (or ignored) its stock write, e.g. a Shopware closeout
    product; not pushed again until the next full sync, and held in the exception queue."""

    @property
    def sales_key(self) -> str:
        return ledger_key(self.name, self.settings.sales_location)

    def location_id(self, key: str) -> str:
        return key.split(":", 1)[1]


class InventorySync:
    """Keeps every channel location's available equal to the back office's ATS minus buffer."""

    def __init__(
        self,
        *,
        config: EngineConfig,
        store: Store,
        channels: dict[str, ChannelConnector],
        erp: BackOfficeConnector,
        clock: Clock,
    ) -> None:
        self.config = config
        self.store = store
        self.erp = erp
        self.clock = clock
        self.shelves = {
            name: Shelf(
                name=name,
                settings=settings,
                connector=channels[name],
                buffer=config.stock_buffer
                if settings.stock_buffer is None
                else settings.stock_buffer,
            )
            for name, settings in config.all_channels.items()
        }
        self.last_full_sync: float | None = None
        self.last_erp_poll: float | None = None
        self.full_sync_needed = True
        self.last_synced_at: Callable[[], float | None] = lambda: None
        """When an order last reached the back office (wired to the order flow)."""
        self.pushes = 0
        self.throttled = 0
        self.catalogue = Catalogue()
        """Back-office SKUs, refreshed by every read (the order mapping checks against it)."""

    # -- reads -------------------------------------------------------------------------------

    def _aggregate(self, levels: list[StockLevel]) -> dict[tuple[str, str], int]:
        """Back-office levels summed onto every channel location they are mapped to."""
        totals: dict[tuple[str, str], int] = defaultdict(int)
        for shelf in self.shelves.values():
            for level in levels:
                channel_location = shelf.settings.location_map.get(level.location)
                if channel_location is not None and level.sku in shelf.item_ids:
                    totals[(level.sku, ledger_key(shelf.name, channel_location))] += level.available
        return dict(totals)

    async def discover(self) -> None:
        """Learn each channel's SKU → inventory item mapping (SKUs in back-office form)."""
        rules = self.config.mapping
        for shelf in self.shelves.values():
            raw = await shelf.connector.items_by_sku()
            shelf.item_ids = {}
            for sku, item in raw.items():
                shelf.item_ids.setdefault(back_office_sku(sku, rules), item)

    async def full_sync(self) -> None:
        """Re-read the back office and every channel; resets the channel ledgers."""
        if any(not shelf.item_ids for shelf in self.shelves.values()):
            await self.discover()
        started = self.clock.now()
        erp_levels = [level for level, _ in await self.erp.inventory(None)]
        self.catalogue.replace({level.sku for level in erp_levels})
        self.store.set_erp_levels(self._aggregate(erp_levels), read_started=started)
        for shelf in self.shelves.values():
            shelf.refused.clear()  # a fix may have landed: try those SKUs again
            await self._read_channel(shelf)
        self.last_full_sync = self.clock.now()
        self.full_sync_needed = False

    def _refused(self, shelf: Shelf, push: Push, error: PermanentError) -> None:
        """Surface a refused stock write (never retried blindly, never silent)."""
        shelf.refused[push.sku] = str(error)
        key = f"{push.location}:{push.sku}"
        payload = {
            "channel": shelf.name,
            "sku": push.sku,
            "location": push.location,
            "delta": push.delta,
            "target": push.target,
        }
        self.store.enqueue_jobs("inventory", [(key, payload)], now=self.clock.now())
        job = DueJob(flow="inventory", record_key=key, payload=payload, attempts=0)
        reason = f"{shelf.name} refused stock for {push.sku}: {error}"
        self.store.job_exception(
            job,
            now=self.clock.now(),
            reason=reason,
            code=error.code,
            fingerprint=fingerprint("inventory", error.code, reason),
        )

    async def _read_channel(self, shelf: Shelf) -> None:
        locations = sorted(set(shelf.settings.location_map.values()))
        by_item = {item: sku for sku, item in shelf.item_ids.items()}
        async with shelf.lock:
            # Levels first, then the newest order: an order landing between the two reads is
            # then counted neither in the levels nor later, which errs towards showing less.
            levels = await shelf.connector.levels(list(shelf.item_ids.values()), locations)
            marker = await shelf.connector.newest_order_seq()
            ledger = {
                (by_item[item], ledger_key(shelf.name, loc)): available
                for (item, loc), available in levels.items()
                if item in by_item
            }
            self.store.reset_channel_levels(ledger, marker=marker)

    async def poll_erp(self) -> int:
        """Read items changed since the last poll; returns how many levels came back."""
        started = self.clock.now()
        cursor = self.store.get(ERP_CURSOR)
        changed = await self.erp.inventory(cursor)
        self.catalogue.add({level.sku for level, _ in changed})
        self.store.set_erp_levels(
            self._aggregate([level for level, _ in changed]), read_started=started
        )
        # Overlap the next window: the ERP stamps lastModifiedDate when its write lands, which
        # can be slightly before our request started.
        self.store.put(ERP_CURSOR, iso_utc(started - self.config.timing.stock_poll_overlap))
        self.last_erp_poll = self.clock.now()
        return len(changed)

    # -- pushes ------------------------------------------------------------------------------

    def pending_pushes(self, only: str | None = None) -> list[Push]:
        """Adjustments needed now; those that take stock away (oversell risk) come first."""
        rows = self.store.stock_rows()
        pushes = []
        for shelf in self.shelves.values():
            if only is not None and shelf.name != only:
                continue
            held_by_sku = self.store.held_quantities(shelf.sales_key)
            prefix = f"{shelf.name}:"
            for row in rows:
                if not row.location.startswith(prefix):
                    continue
                if row.channel_est is None or row.erp_ats is None or row.sku not in shelf.item_ids:
                    continue
                if row.sku in shelf.refused:
                    continue
                held = held_by_sku.get(row.sku, 0) if row.location == shelf.sales_key else 0
                target = max(0, row.erp_ats - shelf.buffer - held)
                if target != row.channel_est:
                    pushes.append(
                        Push(
                            channel=shelf.name,
                            sku=row.sku,
                            location=row.location,
                            delta=target - row.channel_est,
                            target=target,
                        )
                    )
        pushes.sort(key=lambda p: (p.delta > 0, -abs(p.delta), p.sku))
        return pushes

    async def push_once(self, per_channel: int = PUSHES_PER_ROUND) -> int:
        """Send every channel its pending adjustments, the channels side by side (each has
        its own budget: a slow one must not starve the others), at most ``per_channel`` each
        per round so the back office keeps being read during a sale. Returns pushes made."""
        ready = [s for s in self.shelves.values() if self.clock.now() >= s.blocked_until]
        done = await asyncio.gather(*(self._push_channel(s, per_channel) for s in ready))
        return sum(done)

    async def _push_channel(self, shelf: Shelf, limit: int) -> int:
        """Most urgent first, each computed fresh just before it goes: a delta worked out
        before a throttled wait may no longer be right. Stops at the first throttle."""
        done = 0
        while done < limit:
            async with shelf.lock:
                pending = self.pending_pushes(only=shelf.name)
                if not pending:
                    return done
                push = pending[0]
                try:
                    await shelf.connector.adjust(
                        shelf.item_ids[push.sku], shelf.location_id(push.location), push.delta
                    )
                except Throttled as exc:
                    self.throttled += 1
                    wait = exc.retry_after if exc.retry_after is not None else 1.0
                    shelf.blocked_until = self.clock.now() + wait
                    return done
                except OutcomeUnknown:
                    # We cannot tell whether it landed: re-read rather than risk a double push.
                    self.full_sync_needed = True
                    return done
                except PermanentError as refused:
                    self._refused(shelf, push, refused)
                    continue
                self.store.apply_push(push.sku, push.location, push.delta)
                done += 1
                self.pushes += 1
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
