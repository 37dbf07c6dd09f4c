"""Stock per product and warehouse: on hand, reserved by open sales, assigned to shipments.

Fulfil's ``quantity_available`` is on hand minus what open orders have reserved (PLATFORMS
4.3 / DESIGN "available-to-sell"): a sale reserves its product lines when it is *confirmed*
and releases them when its shipment is *done* (on hand drops by the same amount, so
available is unchanged) or when it is *cancelled*. ``assigned`` counts units allocated to
shipments in ``assigned``/``packed``: a waiting shipment is assigned only when on hand minus
assigned covers every move (``allow_negative_stock`` false), so two shipments never pick the
same unit. Available may go negative: that is oversell, and the checkers must see it.
"""

from __future__ import annotations

from collections import defaultdict

Key = tuple[int, int]
"""(product id, warehouse id)."""


class StockBook:
    """Counters per (product, warehouse); pure bookkeeping, no rules about states."""

    def __init__(self) -> None:
        self.on_hand: defaultdict[Key, int] = defaultdict(int)
        self.reserved: defaultdict[Key, int] = defaultdict(int)
        self.assigned: defaultdict[Key, int] = defaultdict(int)

    def available(self, key: Key) -> int:
        """Available to sell: on hand minus reserved (negative when oversold)."""
        return self.on_hand[key] - self.reserved[key]

    def assignable(self, key: Key) -> int:
        """Units on hand not yet allocated to an assigned or packed shipment."""
        return self.on_hand[key] - self.assigned[key]

    def totals(self, product: int, locations: list[int]) -> tuple[int, int, int]:
        """(on hand, reserved, available) of ``product`` summed over ``locations``."""
        on_hand = sum(self.on_hand.get((product, loc), 0) for loc in locations)
        reserved = sum(self.reserved.get((product, loc), 0) for loc in locations)
        return on_hand, reserved, on_hand - reserved

    def locations_of(self, product: int) -> list[int]:
        """Warehouses where the product has ever had a level, in id order."""
        seen = {loc for (p, loc) in (*self.on_hand, *self.reserved) if p == product}
        return sorted(seen)
