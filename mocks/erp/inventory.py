"""Inventory items and their per-location quantities (PLATFORMS.md 5.3 ``inventoryItem``).

Fields follow NetSuite: ``on_hand`` (quantityOnHand), ``committed`` (quantityCommitted),
``backordered`` (quantityBackOrdered) and ``available = on_hand - committed``
(quantityAvailable, never negative). Every change goes through one of the operations below,
each of which moves the item's ``lastModifiedDate``, which is what the engine polls on.
Committed units are always on hand: shipping takes both, other channels can only take
available units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mocks.erp import constants as c
from mocks.erp.errors import (
    InsufficientStock,
    UnknownLocation,
    UnknownSku,
)
from mocks.erp.records import InventoryItem, StockLevel, find_record, inventory_record, iso_ms
from mocks.erp.schemas import InventoryQuery, SeedItems, parse_stock_movement
from simclock import Clock


@dataclass(frozen=True, kw_only=True)
class InventoryPage:
    """One page of an inventory query, before links are added by the HTTP layer."""

    items: list[dict[str, Any]]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows remain after this page."""
        return self.offset + len(self.items) < self.total


class Inventory:
    """Locations, items and stock levels of one account."""

    def __init__(self, *, clock: Clock, non_inventory: tuple[str, ...] = ()) -> None:
        self.clock = clock
        self.locations: dict[str, str] = {}
        """Location id -> name."""
        self.items: dict[str, InventoryItem] = {}
        """SKU (the item's externalId and itemId) -> item."""
        self._by_id: dict[int, InventoryItem] = {}
        self._next_id = c.FIRST_ITEM_ID
        for sku in non_inventory:
            item = InventoryItem(self._next_id, sku, sku, {}, self.now_ms(), stocked=False)
            self.items[sku] = self._by_id[item.id] = item
            self._next_id += 1

    def now_ms(self) -> int:
        """The clock in whole epoch milliseconds (NetSuite's timestamp precision)."""
        return math.floor(self.clock.now() * 1000)

    def seed(self, locations: dict[str, str], items: SeedItems) -> list[dict[str, str]]:
        """Add locations and items with on-hand stock (already validated)."""
        self.locations.update(locations)
        now_ms = self.now_ms()
        for sku, name, levels in items:
            existing = self.items.get(sku)
            if existing is None:
                existing = InventoryItem(self._next_id, sku, name, {}, now_ms)
                self._by_id[existing.id] = existing
                self._next_id += 1
                self.items[sku] = existing
            for loc_id, units in levels.items():
                existing.levels.setdefault(loc_id, StockLevel()).on_hand = units
            existing.last_modified_ms = now_ms
        return [{"sku": sku, "id": str(self.items[sku].id)} for sku, _, _ in items]

    def get(self, ref: str) -> InventoryItem:
        """An item by internal id or ``eid:{sku}``."""
        return find_record(ref, self._by_id, self.items)

    def by_internal_id(self, item_id: int) -> InventoryItem | None:
        """An item by internal id, or ``None``."""
        return self._by_id.get(item_id)

    def record(self, item: InventoryItem) -> dict[str, Any]:
        """The item as NetSuite's REST API shows it."""
        return inventory_record(item, self.locations)

    def query(self, query: InventoryQuery) -> InventoryPage:
        """Items matching the lastModifiedDate filter, oldest change first, one page."""
        since = query.since_ms
        matching = [
            item
            for item in self.items.values()
            if item.stocked
            and (
                since is None
                or (
                    item.last_modified_ms >= since
                    if query.inclusive
                    else item.last_modified_ms > since
                )
            )
        ]
        matching.sort(key=lambda item: (item.last_modified_ms, item.id))
        page = matching[query.offset : query.offset + query.limit]
        return InventoryPage(
            items=[self.record(item) for item in page],
            total=len(matching),
            offset=query.offset,
            limit=query.limit,
        )

    # ------------------------------------------------------------ movements
    def _level(self, sku: str, location_id: str) -> tuple[InventoryItem, StockLevel]:
        item = self.items[sku]
        # An item never stocked at a location has nothing there (all backordered).
        return item, item.levels.setdefault(location_id, StockLevel())

    def allocate(self, sku: str, location_id: str, quantity: int) -> tuple[int, int]:
        """Commit what is available, backorder the rest; returns ``(committed, backordered)``."""
        if not self.items[sku].stocked:
            return quantity, 0  # a non-inventory line is always "committed": nothing to hold
        item, level = self._level(sku, location_id)
        committed = min(quantity, level.available)
        level.committed += committed
        level.backordered += quantity - committed
        item.last_modified_ms = self.now_ms()
        return committed, quantity - committed

    def release(self, sku: str, location_id: str, committed: int, backordered: int) -> None:
        """Give back a commitment and drop a backorder (order cancelled, closed or edited)."""
        if not committed and not backordered:
            return
        if not self.items[sku].stocked:
            return
        item, level = self._level(sku, location_id)
        level.committed -= committed
        level.backordered -= backordered
        item.last_modified_ms = self.now_ms()

    def ship(self, sku: str, location_id: str, units: int) -> None:
        """Committed units leave the warehouse: on hand and committed both fall."""
        if not self.items[sku].stocked:
            return
        item, level = self._level(sku, location_id)
        level.on_hand -= units
        level.committed -= units
        item.last_modified_ms = self.now_ms()

    def restock(self, sku: str, location_id: str, units: int) -> None:
        """Returned units go back on hand (and so become available)."""
        if not self.items[sku].stocked:
            return
        item, level = self._level(sku, location_id)
        level.on_hand += units
        item.last_modified_ms = self.now_ms()

    def stock_movement(self, body: Any) -> dict[str, Any]:
        """Stock received or sold elsewhere; other channels may not take more than available."""
        move = parse_stock_movement(body)
        item = self.items.get(move.sku)
        if item is None:
            raise UnknownSku(f"unknown sku {move.sku!r}", sku=move.sku)
        if move.location_id not in self.locations:
            raise UnknownLocation(
                f"unknown location {move.location_id!r}", location_id=move.location_id
            )
        level = item.levels.setdefault(move.location_id, StockLevel())
        if move.delta < 0 and -move.delta > level.available:
            raise InsufficientStock(
                f"cannot remove {-move.delta} units of {move.sku} at location "
                f"{move.location_id}: only {level.available} available",
                sku=move.sku,
                location_id=move.location_id,
                requested=-move.delta,
                available=level.available,
            )
        if move.delta:
            level.on_hand += move.delta
            item.last_modified_ms = self.now_ms()
        return {
            "sku": item.sku,
            "location_id": move.location_id,
            "reason": move.reason,
            "delta": move.delta,
            "on_hand": level.on_hand,
            "committed": level.committed,
            "available": level.available,
            "backordered": level.backordered,
            "lastModifiedDate": iso_ms(item.last_modified_ms),
        }
