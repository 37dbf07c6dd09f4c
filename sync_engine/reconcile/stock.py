"""Stock: does each channel show the back office's available-to-sell, less buffer and holds?

Stock has no count or sum to bisect on: a level is one number per SKU and location, so the
check is a full comparison, but of a catalogue, not of the order history (a few calls per
hundred SKUs). The back office is read once (``inventory``), each channel's levels once
(``levels``, the connectors the inventory flow uses), and per SKU and channel location

    expected = max(0, Σ ATS at the back-office locations mapped there − buffer − held)

where *held* are units of orders the back office does not hold yet (queued or held by the
engine, any channel: a unit sold anywhere is gone everywhere), at the channel's sales
location. The back office is read fresh, so the orders it holds are in its ATS already.
A difference is drift, unless the engine already knows it must push there (its ledger holds
a pending adjustment) or the back office changed the item within the lag threshold (an
allocation, a receipt): then it is lag.
"""

from __future__ import annotations

import contextlib
import inspect
from collections import Counter, defaultdict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from simclock import Clock, parse_iso_utc
from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.connectors.channel import ChannelConnector
from sync_engine.mapping import MappingRules
from sync_engine.mapping.skus import back_office_sku
from sync_engine.reconcile.findings import Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import orders_created_between
from sync_engine.reconcile.segments import Window
from sync_engine.store import Store


def ledger_key(channel: str, location: str) -> str:
    """The store's stock-ledger key of one channel location (as the inventory flow keys it)."""
    return f"{channel}:{location}"


@dataclass(kw_only=True)
class StockShelf:
    """One channel's stock as the engine syncs it."""

    name: str
    connector: ChannelConnector
    location_map: Mapping[str, str]
    """Back-office location id → channel location id."""
    sales_location: str
    buffer: int = 0
    item_ids: dict[str, str] = field(default_factory=dict)
    """Back-office SKU → channel inventory item (read from the channel when empty)."""


def _calls(connector: Any) -> int:
    """Calls a connector has made so far, where it keeps count."""
    rest = getattr(connector, "rest", None)
    budget = getattr(rest, "budget", None) or getattr(connector, "budget", None)
    if budget is not None and hasattr(budget, "calls"):
        return int(budget.calls)
    counted = getattr(connector, "calls", None)
    if isinstance(counted, Mapping):
        return int(sum(counted.values()))
    return 0


class StockReconciler:
    """Compares every channel's levels with the back office's ATS, a pass at a time."""

    def __init__(
        self,
        *,
        shelves: list[StockShelf],
        back_office: BackOfficeConnector,
        store: Store,
        clock: Clock,
        rules: MappingRules | None = None,
        lag: float = 900.0,
        horizon: float = 7 * 86_400.0,
        resync: Callable[[list[str]], Awaitable[object] | object] | None = None,
    ) -> None:
        self.shelves = shelves
        self.back_office = back_office
        self.store = store
        self.clock = clock
        self.rules = rules or MappingRules()
        self.lag = lag
        self.horizon = horizon
        """How far back queued or held orders are counted as units not yet allocated."""
        self.name = "stock"
        self.resync = resync
        """Told the channels whose stock drifted (e.g. schedule the inventory flow's full
        sync); the findings are reported either way."""
        self.last_report: DriftReport | None = None

    async def run_pass(self) -> DriftReport:
        now = self.clock.now()
        report = DriftReport(channel="stock", started_at=now, window=Window(now, now))
        calls = {"back_office": _calls(self.back_office)}
        calls.update({s.name: _calls(s.connector) for s in self.shelves})
        try:
            levels = await self.back_office.inventory(None)
            ats: dict[tuple[str, str], int] = defaultdict(int)
            changed: dict[str, float] = {}
            for level, modified in levels:
                ats[(level.sku, level.location)] += level.available
                with contextlib.suppress(ValueError):
                    changed[level.sku] = max(changed.get(level.sku, 0.0), parse_iso_utc(modified))
            held = self._unallocated(now)
            for shelf in self.shelves:
                await self._shelf(shelf, ats, changed, held, now, report)
        except Exception as error:  # a platform error ends the pass, never the loop
            report.complete = False
            report.error = f"{type(error).__name__}: {error}"
        report.calls = {
            "back_office": _calls(self.back_office) - calls["back_office"],
            "channel": sum(_calls(s.connector) - calls[s.name] for s in self.shelves),
        }
        drifted = sorted({f.channel for f in report.drift})
        if drifted and self.resync is not None:
            result = self.resync(drifted)
            if inspect.isawaitable(result):
                await result
            report.repaired = drifted
        report.finished_at = self.clock.now()
        self.last_report = report
        return report

    async def _shelf(
        self,
        shelf: StockShelf,
        ats: Mapping[tuple[str, str], int],
        changed: Mapping[str, float],
        held: Mapping[str, int],
        now: float,
        report: DriftReport,
    ) -> None:
        if not shelf.item_ids:
            raw = await shelf.connector.items_by_sku()
            for sku, item in raw.items():
                shelf.item_ids.setdefault(back_office_sku(sku, self.rules), item)
        sources: dict[str, list[str]] = defaultdict(list)
        for erp_location, channel_location in shelf.location_map.items():
            sources[str(channel_location)].append(str(erp_location))
        locations = sorted(sources)
        levels = await shelf.connector.levels(list(shelf.item_ids.values()), locations)
        pending = self._pending(shelf)
        for sku, item in sorted(shelf.item_ids.items()):
            for location in locations:
                mapped = [(sku, erp) for erp in sources[location] if (sku, erp) in ats]
                shown = levels.get((item, location))
                if not mapped or shown is None:
                    continue  # not stocked there, or not an item the back office has
                holding = held.get(sku, 0) if location == shelf.sales_location else 0
                expected = max(0, sum(ats[k] for k in mapped) - shelf.buffer - holding)
                report.orders_compared += 1
                if shown == expected:
                    continue
                recent = now - changed.get(sku, 0.0) < self.lag
                lag = recent or (sku, ledger_key(shelf.name, location)) in pending
                report.add(
                    finding(
                        Cause.SYNC_LAG if lag else Cause.STOCK_DRIFT,
                        Where.CHANNEL,
                        channel=shelf.name,
                        record_key=f"{sku}@{location}",
                        detail=f"{shelf.name} shows {shown} of {sku} at {location}; the back "
                        f"office's ATS less buffer {shelf.buffer} and {holding} held gives "
                        f"{expected}" + (" (a push is due or the ATS just changed)" if lag else ""),
                        values={"channel": str(shown), "expected": str(expected)},
                    )
                )

    def _unallocated(self, now: float) -> Counter[str]:
        """Units of every channel's orders the engine has not got into the back office
        (queued or held), by back-office SKU, over the last ``horizon``."""
        units: Counter[str] = Counter()
        for shelf in self.shelves:
            for order, state in orders_created_between(
                self.store, shelf.name, now - self.horizon, now + 1
            ):
                if state == "synced":
                    continue
                for line in order.lines:
                    if line.kind == "product" and line.sku:
                        units[back_office_sku(line.sku, self.rules)] += line.quantity
        return units

    def _pending(self, shelf: StockShelf) -> set[tuple[str, str]]:
        """Keys where the engine's own ledger says a push is due (its target differs from
        what it believes the channel shows): the inventory flow is on it."""
        held = self.store.held_quantities(ledger_key(shelf.name, shelf.sales_location))
        out = set()
        prefix = f"{shelf.name}:"
        sales = ledger_key(shelf.name, shelf.sales_location)
        for row in self.store.stock_rows():
            if not row.location.startswith(prefix) or row.channel_est is None:
                continue
            if row.erp_ats is None:
                continue
            holding = held.get(row.sku, 0) if row.location == sales else 0
            if max(0, row.erp_ats - shelf.buffer - holding) != row.channel_est:
                out.add((row.sku, row.location))
        return out
