"""Outgoing shipments (``stock.shipment.out``) advancing on the injected clock (PLATFORMS 4.3).

``process`` on a sale creates one shipment in ``waiting`` with a move per product line. The
simulated warehouse then works on the clock*:

- ``assign_after_seconds`` after creation it tries to *assign*: every move must be covered by
  on-hand stock not already assigned to another shipment (``allow_negative_stock`` false), or
  the shipment keeps *waiting* (no error: PLATFORMS says business rules like missing stock are
  states, not failures). Waiting shipments are retried oldest first whenever stock is
  received or another shipment is cancelled.
- ``pack_after_seconds`` after assignment it is *packed*;
- ``ship_after_seconds`` after packing it is *done*: a carrier and tracking number are set
  (seeded), on hand drops, the reservation is released, and the sale is done once all of its
  shipments are.

Time is lazy and exact: :func:`tick` replays every transition due up to ``clock.now()`` in
time order, stamping each with the instant it was due, so a read after ``advance`` sees
the same states whether or not anything ran in between. Webhooks are queued when the tick
runs (every API call, ``/_mock/state`` and the app's clock-driven worker tick).
"""

from __future__ import annotations

import heapq
from random import Random
from typing import TYPE_CHECKING

from mocks.fulfil.records import Move, Sale, SaleState, Shipment, ShipmentState

if TYPE_CHECKING:
    from mocks.fulfil.models import FulfilModel

Event = tuple[float, int, int, ShipmentState]
"""(due time, sequence, shipment id, state the shipment must still be in)."""


class Warehouse:
    """The timed work queue: a heap of due transitions and the backlog of waiting shipments."""

    def __init__(self, rng: Random) -> None:
        self.rng = rng
        self.events: list[Event] = []
        self.backlog: dict[int, None] = {}  # insertion-ordered set of waiting shipment ids
        self.stock_freed = False
        """Set when assignable stock may have grown: the backlog is retried on the next tick."""
        self._seq = 0

    def schedule(self, due: float, shipment: Shipment) -> None:
        self._seq += 1
        heapq.heappush(self.events, (due, self._seq, shipment.id, shipment.state))

    def next_due(self) -> float | None:
        """When the next timed transition is due (the worker sleeps until then)."""
        return self.events[0][0] if self.events else None


def create_for_sale(m: FulfilModel, sale: Sale) -> Shipment | None:
    """A waiting shipment for the sale's product lines, or None when there are none."""
    now = m.clock.now()
    lines = [m.sale_lines[i] for i in sale.lines if m.sale_lines[i].product is not None]
    if not lines:
        return None
    shipment = Shipment(
        id=m.next_id("stock.shipment.out"),
        number="",
        sale=sale.id,
        customer=sale.party,
        delivery_address=sale.shipment_address,
        warehouse=sale.warehouse,
        state=ShipmentState.WAITING,
        create_ts=now,
        write_ts=now,
        assign_due_ts=now + m.settings.assign_after_seconds,
    )
    shipment.number = f"CS{shipment.id}"
    for line in lines:
        assert line.product is not None
        move = Move(
            id=m.next_id("stock.move"),
            shipment=shipment.id,
            sale_line=line.id,
            product=line.product,
            quantity=line.quantity,
            from_location=sale.warehouse,
            state="draft",
        )
        m.moves[move.id] = move
        shipment.moves.append(move.id)
    m.shipments[shipment.id] = shipment
    sale.shipments.append(shipment.id)
    m.warehouse.schedule(shipment.assign_due_ts, shipment)
    m.wake()
    return shipment


def _can_assign(m: FulfilModel, shipment: Shipment) -> bool:
    if m.settings.allow_negative_stock:
        return True
    need: dict[tuple[int, int], int] = {}
    for move_id in shipment.moves:
        move = m.moves[move_id]
        key = (move.product, move.from_location)
        need[key] = need.get(key, 0) + move.quantity
    return all(m.stock.assignable(key) >= qty for key, qty in need.items())


def _assign(m: FulfilModel, shipment: Shipment, at: float) -> None:
    for move_id in shipment.moves:
        move = m.moves[move_id]
        m.stock.assigned[(move.product, move.from_location)] += move.quantity
        move.state = "assigned"
    shipment.state = ShipmentState.ASSIGNED
    shipment.assigned_ts = shipment.write_ts = at
    m.warehouse.backlog.pop(shipment.id, None)
    m.warehouse.schedule(at + m.settings.pack_after_seconds, shipment)
    m.notify("stock.shipment.out.assigned", "stock.shipment.out", shipment)


def _pack(m: FulfilModel, shipment: Shipment, at: float) -> None:
    shipment.state = ShipmentState.PACKED
    shipment.packed_ts = shipment.write_ts = at
    m.warehouse.schedule(at + m.settings.ship_after_seconds, shipment)
    m.notify("stock.shipment.out.packed", "stock.shipment.out", shipment)


def tracking_number(rng: Random, carrier: str) -> str:
    """A seeded tracking number shaped like the carrier's*."""
    if carrier == "UPS":
        return "1Z" + "".join(rng.choice("0123456789ABCDEFGHJKLMNPRSTUVWXYZ") for _ in range(16))
    if carrier == "USPS":
        return "9400" + "".join(rng.choice("0123456789") for _ in range(18))
    return "".join(rng.choice("0123456789") for _ in range(12))


def _ship(m: FulfilModel, shipment: Shipment, at: float) -> None:
    products = set()
    for move_id in shipment.moves:
        move = m.moves[move_id]
        key = (move.product, move.from_location)
        m.stock.on_hand[key] -= move.quantity
        m.stock.assigned[key] -= move.quantity
        m.stock.reserved[key] -= move.quantity
        move.state = "done"
        products.add(move.product)
    rng = m.warehouse.rng
    shipment.carrier = rng.choice(m.settings.carriers)
    shipment.tracking_number = tracking_number(rng, shipment.carrier)
    shipment.state = ShipmentState.DONE
    shipment.done_ts = shipment.write_ts = at
    m.notify("stock.shipment.out.done", "stock.shipment.out", shipment)
    m.stock_changed(products)
    sale = m.sales[shipment.sale]
    states = [m.shipments[i].state for i in sale.shipments]
    if sale.state is SaleState.PROCESSING and all(
        s in (ShipmentState.DONE, ShipmentState.CANCELLED) for s in states
    ):
        sale.state = SaleState.DONE
        sale.write_ts = at
        m.notify("sale.sale.done", "sale.sale", sale)


def cancel(m: FulfilModel, shipment: Shipment) -> None:
    """Cancel a shipment not yet packed; its assigned stock goes back to the pool."""
    if shipment.state is ShipmentState.ASSIGNED:
        for move_id in shipment.moves:
            move = m.moves[move_id]
            m.stock.assigned[(move.product, move.from_location)] -= move.quantity
        m.warehouse.stock_freed = True
    if shipment.state in (ShipmentState.WAITING, ShipmentState.ASSIGNED):
        for move_id in shipment.moves:
            m.moves[move_id].state = "cancel"
        shipment.state = ShipmentState.CANCELLED
        shipment.write_ts = m.clock.now()
        m.warehouse.backlog.pop(shipment.id, None)
        m.notify("stock.shipment.out.cancelled", "stock.shipment.out", shipment)


def _step(m: FulfilModel, shipment: Shipment, at: float) -> None:
    if shipment.state is ShipmentState.WAITING:
        if _can_assign(m, shipment):
            _assign(m, shipment, at)
        else:
            m.warehouse.backlog[shipment.id] = None
    elif shipment.state is ShipmentState.ASSIGNED:
        _pack(m, shipment, at)
    elif shipment.state is ShipmentState.PACKED:
        _ship(m, shipment, at)


def tick(m: FulfilModel) -> None:
    """Apply every transition due by now, in time order (ties: creation order)."""
    wh = m.warehouse
    now = m.clock.now()
    while True:
        if wh.stock_freed:
            wh.stock_freed = False
            for shipment_id in list(wh.backlog):
                shipment = m.shipments[shipment_id]
                if shipment.state is ShipmentState.WAITING and _can_assign(m, shipment):
                    _assign(m, shipment, now)
        if not wh.events or wh.events[0][0] > now:
            return
        due, _, shipment_id, expected = heapq.heappop(wh.events)
        target = m.shipments.get(shipment_id)
        if target is not None and target.state is expected:
            _step(m, target, due)
