"""Item fulfilments (PLATFORMS.md 5.3: ``POST salesOrder/{id}/!transform/itemFulfillment``).

- The body names lines (``orderLine`` or ``item``) and quantities; with no ``item`` sublist
  every committed unit not yet on a fulfilment is fulfilled. A quantity beyond what remains
  ordered, or beyond what is committed (backordered units cannot ship), is a 400 naming the
  line; nothing changes.
- ``shipStatus`` A Picked, B Packed, C Shipped (default C*). Creating any fulfilment marks
  the lines fulfilled (order status D or F, the picking cut-off for edits and cancels); stock
  leaves the warehouse (on hand and committed both fall) when the fulfilment reaches C, at
  creation or by ``PATCH itemFulfillment/{id}`` moving it forward.
- ``externalId`` is unique per record type: a second fulfilment with one is ``DUP_RCRD``*,
  so a retried push is refused rather than shipped twice.
- ``/_sim/ship`` is the warehouse: it fulfils the oldest open orders with a seeded carrier
  and tracking number, without spending the API's concurrency.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from random import Random
from typing import Any

from mocks.erp import constants as c
from mocks.erp.errors import (
    DuplicateRecord,
    InvalidContent,
    UserError,
)
from mocks.erp.inventory import Inventory
from mocks.erp.orders import SalesOrderBook, find_line
from mocks.erp.records import NumberSeries, SalesOrder, SalesOrderLine, find_record, iso_ms
from mocks.erp.schemas_sim import ShipRequest
from mocks.erp.schemas_tx import FulfilmentInput, parse_fulfilment
from simclock import Clock

SHIP_ORDER = "ABC"


@dataclass(kw_only=True)
class FulfilmentLine:
    """Units of one sales-order line on a fulfilment."""

    order_line: int
    sku: str
    item_id: int
    quantity: int


@dataclass(kw_only=True)
class ItemFulfillment:
    """An item fulfilment created from a sales order."""

    id: int
    tran_id: str
    external_id: str | None
    order: SalesOrder
    lines: tuple[FulfilmentLine, ...]
    ship_status: str
    ship_method: str | None
    ship_carrier: str | None
    tracking_numbers: tuple[str, ...]
    tran_date: str
    memo: str | None
    created_ts: float
    last_modified_ts: float
    shipped_ts: float | None = None


class FulfilmentBook:
    """The account's item fulfilments."""

    def __init__(
        self,
        *,
        clock: Clock,
        orders: SalesOrderBook,
        inventory: Inventory,
        numbers: NumberSeries,
        rng: Random,
    ) -> None:
        self.clock = clock
        self.orders = orders
        self.inventory = inventory
        self.numbers = numbers
        self._rng = rng
        self.by_id: dict[int, ItemFulfillment] = {}
        self.by_external_id: dict[str, ItemFulfillment] = {}
        self.created = 0
        self.rejected = 0
        self.shipped_units = 0

    def get(self, ref: str) -> ItemFulfillment:
        """A fulfilment by internal id or ``eid:{externalId}``."""
        return find_record(ref, self.by_id, self.by_external_id)

    def transform(self, order_ref: str, body: Any) -> ItemFulfillment:
        """``!transform/itemFulfillment``: validate whole, then fulfil (and ship if C)."""
        order = self.orders.get(order_ref)
        try:
            data = parse_fulfilment(body)
            picks = self._plan(order, data)
        except (UserError, InvalidContent, DuplicateRecord):
            self.rejected += 1
            raise
        return self._create(order, picks, data)

    def _plan(self, order: SalesOrder, data: FulfilmentInput) -> dict[int, int]:
        """``{line number: units}`` to fulfil, or a 400 saying which line cannot."""
        if data.external_id is not None and data.external_id in self.by_external_id:
            taken = self.by_external_id[data.external_id]
            raise DuplicateRecord(
                f"An itemFulfillment with externalId {data.external_id!r} already exists "
                f"(internal id {taken.id}); it was not created again."
            )
        if order.status not in ("B", "D"):
            raise UserError(
                f"You cannot fulfil sales order {order.tran_id}: its status is "
                f"{c.SALES_ORDER_STATUSES[order.status]}."
            )
        picks: dict[int, int] = {}
        if data.lines is None:
            picks = {ln.line: ln.fulfillable for ln in order.lines if ln.fulfillable > 0}
        else:
            for pick in data.lines:
                if not pick.receive:
                    continue
                line = find_line(order, pick, prefer="fulfillable", taken=picks)
                already = picks.get(line.line, 0)
                wanted = already + (
                    pick.quantity if pick.quantity is not None else line.fulfillable - already
                )
                self._check(order, line, wanted, pick.path)
                picks[line.line] = wanted
        picks = {number: units for number, units in picks.items() if units > 0}
        if not picks:
            backordered = sum(ln.backordered for ln in order.lines)
            raise UserError(
                f"Sales order {order.tran_id} has nothing to fulfil: every committed unit is "
                f"already on an item fulfillment ({backordered} unit(s) backordered)."
            )
        return picks

    @staticmethod
    def _check(order: SalesOrder, line: SalesOrderLine, wanted: int, path: str) -> None:
        remaining = line.quantity - line.fulfilled
        where = {"o:errorPath": f"{path}.quantity"}
        if wanted > remaining:
            raise UserError(
                f"You cannot fulfil {wanted} of line {line.line} ({line.sku}) on sales order "
                f"{order.tran_id}: only {remaining} remain to fulfil (ordered {line.quantity}, "
                f"already fulfilled {line.fulfilled}).",
                **where,
            )
        if wanted > line.fulfillable:
            raise UserError(
                f"You cannot fulfil {wanted} of line {line.line} ({line.sku}) on sales order "
                f"{order.tran_id}: only {line.fulfillable} committed and not yet fulfilled "
                f"({line.backordered} backordered).",
                **where,
            )

    def _create(
        self, order: SalesOrder, picks: dict[int, int], data: FulfilmentInput
    ) -> ItemFulfillment:
        now = self.clock.now()
        fid, tran_id = self.numbers.next("IF")
        by_number = {ln.line: ln for ln in order.lines}
        lines = tuple(
            FulfilmentLine(
                order_line=number,
                sku=by_number[number].sku,
                item_id=by_number[number].item_id,
                quantity=units,
            )
            for number, units in sorted(picks.items())
        )
        for fl in lines:
            by_number[fl.order_line].fulfilled += fl.quantity
        fulfilment = ItemFulfillment(
            id=fid,
            tran_id=tran_id,
            external_id=data.external_id,
            order=order,
            lines=lines,
            ship_status="A",
            ship_method=data.ship_method,
            ship_carrier=data.ship_carrier,
            tracking_numbers=data.tracking_numbers,
            tran_date=data.tran_date or order.tran_date,
            memo=data.memo,
            created_ts=now,
            last_modified_ts=now,
        )
        self.by_id[fid] = fulfilment
        if data.external_id is not None:
            self.by_external_id[data.external_id] = fulfilment
        order.fulfillment_ids.append(fid)
        order.last_modified_ts = now
        self.created += 1
        self._advance(fulfilment, data.ship_status)
        return fulfilment

    def _advance(self, fulfilment: ItemFulfillment, status: str) -> None:
        """Move the ship status forward; stock leaves when it reaches C (Shipped)."""
        if status == "C" and fulfilment.ship_status != "C":
            order = fulfilment.order
            by_number = {ln.line: ln for ln in order.lines}
            for fl in fulfilment.lines:
                line = by_number[fl.order_line]
                self.inventory.ship(fl.sku, order.location_id, fl.quantity)
                line.committed -= fl.quantity
                line.shipped += fl.quantity
                self.shipped_units += fl.quantity
            fulfilment.shipped_ts = self.clock.now()
            order.last_modified_ts = self.clock.now()
        fulfilment.ship_status = status
        fulfilment.last_modified_ts = self.clock.now()

    def update(self, ref: str, body: Any) -> ItemFulfillment:
        """``PATCH itemFulfillment/{id}``: ship status forward only, carrier and tracking."""
        fulfilment = self.get(ref)
        if isinstance(body, dict) and "item" in body:
            raise InvalidContent(
                "Invalid content for field item: the lines of an item fulfillment cannot be "
                "edited; create another fulfillment for more units."
            )
        data = parse_fulfilment(body)
        status = body.get("shipStatus") if isinstance(body, dict) else None
        if status is not None:
            if SHIP_ORDER.index(data.ship_status) < SHIP_ORDER.index(fulfilment.ship_status):
                self.rejected += 1
                raise UserError(
                    f"You cannot move item fulfillment {fulfilment.tran_id} back from "
                    f"{c.SHIP_STATUSES[fulfilment.ship_status]} to "
                    f"{c.SHIP_STATUSES[data.ship_status]}."
                )
            self._advance(fulfilment, data.ship_status)
        if data.ship_method is not None:
            fulfilment.ship_method = data.ship_method
        if data.ship_carrier is not None:
            fulfilment.ship_carrier = data.ship_carrier
        if data.tracking_numbers:
            fulfilment.tracking_numbers = data.tracking_numbers
        if data.memo is not None:
            fulfilment.memo = data.memo
        fulfilment.last_modified_ts = self.clock.now()
        return fulfilment

    def ship_oldest(self, req: ShipRequest) -> list[ItemFulfillment]:
        """The warehouse fulfils the oldest open orders (``/_sim/ship``)."""
        cutoff = self.clock.now() - req.min_age_seconds
        candidates = sorted(
            (
                so
                for so in self.orders.by_id.values()
                if so.status in ("B", "D")
                and so.created_ts <= cutoff
                and (req.location_id is None or so.location_id == req.location_id)
                and any(ln.fulfillable > 0 for ln in so.lines)
            ),
            key=lambda so: (so.created_ts, so.id),
        )
        if req.max_orders is not None:
            candidates = candidates[: req.max_orders]
        made = []
        for order in candidates:
            carrier, method, prefix = self._rng.choice(c.SHIP_CARRIERS)
            tracking = f"{prefix}{self._rng.randrange(10**15, 10**16)}"
            data = FulfilmentInput(
                external_id=None,
                lines=None,
                ship_status=req.ship_status,
                ship_method=method,
                ship_carrier=carrier,
                tracking_numbers=(tracking,),
                tran_date=None,
                memo="shipped by the warehouse (/_sim/ship)",
            )
            made.append(self._create(order, self._plan(order, data), data))
        return made


def fulfilment_record(f: ItemFulfillment, locations: dict[str, str]) -> dict[str, Any]:
    """The record as ``GET itemFulfillment/{id}`` returns it."""
    order = f.order
    return {
        "id": str(f.id),
        "tranId": f.tran_id,
        "externalId": f.external_id,
        "createdFrom": {"id": str(order.id), "refName": f"Sales Order #{order.tran_id}"},
        "entity": {"id": str(order.customer.id), "externalId": order.customer.external_id},
        "tranDate": f.tran_date,
        "createdDate": iso_ms(math.floor(f.created_ts * 1000)),
        "lastModifiedDate": iso_ms(math.floor(f.last_modified_ts * 1000)),
        "shipStatus": {"id": f.ship_status, "refName": c.SHIP_STATUSES[f.ship_status]},
        "shipMethod": {"refName": f.ship_method} if f.ship_method else None,
        "shipCarrier": f.ship_carrier,
        "memo": f.memo,
        "package": {"items": [{"packageTrackingNumber": t} for t in f.tracking_numbers]},
        "item": {
            "items": [
                {
                    "orderLine": fl.order_line,
                    "item": {"id": str(fl.item_id), "externalId": fl.sku, "refName": fl.sku},
                    "quantity": fl.quantity,
                    "itemReceive": True,
                    "location": {
                        "id": order.location_id,
                        "refName": locations.get(order.location_id, order.location_id),
                    },
                }
                for fl in f.lines
            ],
            "totalResults": len(f.lines),
        },
    }


def fulfilment_state(f: ItemFulfillment) -> dict[str, Any]:
    """A fulfilment as ``/_mock/state`` reports it."""
    return {
        "id": str(f.id),
        "tranId": f.tran_id,
        "externalId": f.external_id,
        "sales_order_id": str(f.order.id),
        "sales_order_external_id": f.order.external_id,
        "ship_status": f.ship_status,
        "ship_method": f.ship_method,
        "ship_carrier": f.ship_carrier,
        "tracking_numbers": list(f.tracking_numbers),
        "created_ts": f.created_ts,
        "shipped_ts": f.shipped_ts,
        "lines": [
            {"line": fl.order_line, "sku": fl.sku, "quantity": fl.quantity} for fl in f.lines
        ],
    }
