"""Sales orders (PLATFORMS.md 5.3): idempotent upsert, allocation, edits, cancel and close.

- ``PUT salesOrder/eid:{id}`` creates and allocates exactly once; repeating it updates header
  fields only, at any status (a retried PUT must never fail nor re-allocate).
- A new order commits ``min(quantity, available)`` per line and backorders the rest (how the
  harness measures oversell). ``orderStatus`` A (Pending Approval) commits nothing until an
  edit approves it (B).
- Status letters as NetSuite names them: A Pending Approval, B Pending Fulfillment,
  D Partially Fulfilled, F Pending Billing, C Cancelled, H Closed (E and G need invoices,
  which are not modelled).
- ``PATCH salesOrder/{id}``: address, memo, header amounts and lines (``?replace=item``) only
  while A or B; cancelling (C) likewise. Once an item fulfilment exists, the picking cut-off
  has passed: edits and cancel are a 400 naming the status and the fulfilment. Closing (H) is
  also allowed while D: it releases what was never fulfilled, as NetSuite's Close does.
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mocks.erp import constants as c
from mocks.erp.customers import CustomerBook
from mocks.erp.errors import UserError
from mocks.erp.inventory import Inventory
from mocks.erp.records import NumberSeries, SalesOrder, SalesOrderLine, find_record
from mocks.erp.schemas import LineInput, SalesOrderInput, parse_sales_order
from mocks.erp.schemas_tx import LinePick, OrderEdit, parse_order_edit
from simclock import Clock

HEADER_FIELDS = (
    "channel",
    "channel_order_id",
    "other_ref_num",
    "tran_date",
    "currency",
    "discount_total",
    "tax_total",
    "shipping_cost",
    "memo",
    "ship_address",
    "channel_created",
)


class SalesOrderBook:
    """The account's sales orders."""

    def __init__(
        self,
        *,
        clock: Clock,
        inventory: Inventory,
        customers: CustomerBook,
        numbers: NumberSeries,
        default_currency: str,
    ) -> None:
        self.clock = clock
        self.inventory = inventory
        self.customers = customers
        self.numbers = numbers
        self.default_currency = default_currency
        self.by_external_id: dict[str, SalesOrder] = {}
        self.by_id: dict[int, SalesOrder] = {}
        self.created = 0
        self.updated = 0
        self.edits = 0
        self.edit_rejections = 0
        self.cancelled = 0
        self.closed = 0

    # ---------------------------------------------------------------- upsert / get
    def check_refs(self, location_id: str | None, lines: tuple[LineInput, ...] | None) -> None:
        """Refuse an unknown location or item, or money off an inventory item."""
        if location_id is not None and location_id not in self.inventory.locations:
            raise UserError(f"Invalid Field Value {location_id} for the following field: location")
        for line in lines or ():
            item = self.inventory.items.get(line.sku)
            if item is None:
                raise UserError(f"Invalid Field Value {line.sku} for the following field: item")
            if item.stocked and (line.rate < 0 or line.amount < 0 or line.tax_amount < 0):
                # Only a non-inventory (discount) item may take money off the order.
                raise UserError(
                    f"Invalid Field Value {line.amount} for the following field: amount "
                    f"(item {line.sku} is an inventory item; negative amounts need a discount item)"
                )

    def upsert(self, external_id: str, body: Any) -> tuple[SalesOrder, bool]:
        """Create and allocate once, or update the header; nothing changes when refused."""
        existing = self.by_external_id.get(external_id)
        order_in = parse_sales_order(external_id, body, creating=existing is None)
        self.check_refs(order_in.location_id, order_in.lines)
        self.customers.check_order_entity(customer_id=order_in.customer_id)
        if existing is None:
            return self.create(order_in), True
        self._update_header(existing, order_in)
        self.updated += 1
        return existing, False

    def get(self, ref: str) -> SalesOrder:
        """A sales order by ``eid:{externalId}`` or by internal id."""
        return find_record(ref, self.by_id, self.by_external_id)

    def _allocate(self, order: SalesOrder) -> None:
        for line in order.lines:
            line.committed, line.backordered = self.inventory.allocate(
                line.sku, order.location_id, line.quantity
            )

    def _release(self, order: SalesOrder) -> None:
        """Give back what no fulfilment holds and drop every backorder."""
        for line in order.lines:
            free = line.fulfillable
            self.inventory.release(line.sku, order.location_id, free, line.backordered)
            line.committed -= free
            line.backordered = 0

    def _lines(self, lines: tuple[LineInput, ...]) -> tuple[SalesOrderLine, ...]:
        return tuple(
            SalesOrderLine(
                line=number,
                sku=line.sku,
                item_id=self.inventory.items[line.sku].id,
                quantity=line.quantity,
                committed=0,
                backordered=0,
                rate=line.rate,
                amount=line.amount,
                discount_amount=line.discount_amount,
                tax_amount=line.tax_amount,
            )
            for number, line in enumerate(lines, start=1)
        )

    def create(self, order_in: SalesOrderInput) -> SalesOrder:
        """Create and allocate a parsed new order (``upsert`` and ``/_mock/seed``)."""
        # parse_sales_order(creating=True) guarantees these; asserted for the type checker.
        assert order_in.lines is not None and order_in.location_id is not None
        now = self.clock.now()
        order_id, tran_id = self.numbers.next("SO")
        order = SalesOrder(
            id=order_id,
            external_id=order_in.external_id,
            tran_id=tran_id,
            customer=self.customers.for_order(
                customer_id=order_in.customer_id, external_id=order_in.customer_external_id
            ),
            location_id=order_in.location_id,
            lines=self._lines(order_in.lines),
            channel=order_in.channel,
            channel_order_id=order_in.channel_order_id,
            other_ref_num=order_in.other_ref_num,
            tran_date=order_in.tran_date or datetime.fromtimestamp(now, tz=UTC).date().isoformat(),
            currency=order_in.currency or self.default_currency,
            discount_total=order_in.discount_total or Decimal(0),
            tax_total=order_in.tax_total or Decimal(0),
            shipping_cost=order_in.shipping_cost or Decimal(0),
            created_ts=now,
            last_modified_ts=now,
            held_status="A" if order_in.pending_approval else None,
            memo=order_in.memo,
            ship_address=order_in.ship_address,
            channel_created=order_in.channel_created,
        )
        if not order_in.pending_approval:
            self._allocate(order)
        self.by_external_id[order.external_id] = order
        self.by_id[order.id] = order
        self.created += 1
        return order

    def _update_header(self, order: SalesOrder, order_in: SalesOrderInput) -> None:
        # Lines and location are deliberately left alone: re-allocating on a retried PUT is
        # exactly the double-commit the harness exists to catch.
        if order_in.customer_external_id is not None or order_in.customer_id is not None:
            order.customer = self.customers.for_order(
                customer_id=order_in.customer_id, external_id=order_in.customer_external_id
            )
        for attr in HEADER_FIELDS:
            value = getattr(order_in, attr)
            if value is not None:
                setattr(order, attr, value)
        order.last_modified_ts = self.clock.now()

    # ---------------------------------------------------------------- edits
    def _refuse(self, order: SalesOrder, action: str, allowed: str) -> UserError:
        """The cut-off refusal: what was asked, the status, and the fulfilments in the way."""
        self.edit_rejections += 1
        why = f"its status is {c.SALES_ORDER_STATUSES[order.status]}"
        if order.fulfillment_ids:
            ids = ", ".join(str(i) for i in order.fulfillment_ids)
            why += f" and fulfilment has started (item fulfillment {ids})"
        return UserError(
            f"You cannot {action} sales order {order.tran_id}: {why}. Only a sales order that "
            f"is {allowed} can be changed this way."
        )

    def edit(self, ref: str, body: Any, *, replace: set[str]) -> SalesOrder:
        """``PATCH salesOrder/{id}``: header and lines before fulfilment; approve, cancel, close."""
        order = self.get(ref)
        edit = parse_order_edit(body, replace=replace)
        self.check_refs(edit.location_id, edit.lines)
        changes_fields = any(
            getattr(edit, name) is not None
            for name in (
                "lines",
                "location_id",
                "ship_address",
                "memo",
                "other_ref_num",
                "discount_total",
                "tax_total",
                "shipping_cost",
            )
        )
        open_statuses = ("A", "B")
        if changes_fields and order.status not in open_statuses:
            raise self._refuse(order, "edit", "Pending Approval or Pending Fulfillment")
        if edit.status == "C" and order.status not in open_statuses:
            raise self._refuse(order, "cancel", "Pending Approval or Pending Fulfillment")
        if edit.status == "H" and order.status not in ("A", "B", "D"):
            raise self._refuse(
                order, "close", "Pending Approval, Pending Fulfillment or Partially Fulfilled"
            )
        if edit.status == "B" and order.status not in open_statuses:
            raise self._refuse(order, "edit", "Pending Approval or Pending Fulfillment")
        if edit.lines is not None and order.credit_memo_ids:
            self.edit_rejections += 1
            ids = ", ".join(str(i) for i in order.credit_memo_ids)
            raise UserError(
                f"You cannot replace the lines of sales order {order.tran_id}: credit memo(s) "
                f"{ids} were created from them."
            )
        self._apply_edit(order, edit)
        return order

    def _apply_edit(self, order: SalesOrder, edit: OrderEdit) -> None:
        pending = order.held_status == "A"
        if edit.lines is not None or edit.location_id is not None:
            if not pending:
                self._release(order)
            if edit.location_id is not None:
                order.location_id = edit.location_id
            if edit.lines is not None:
                order.lines = self._lines(edit.lines)
            else:
                for line in order.lines:
                    line.committed = line.backordered = 0
            if not pending:
                self._allocate(order)
        for attr in (
            "ship_address",
            "memo",
            "other_ref_num",
            "discount_total",
            "tax_total",
            "shipping_cost",
        ):
            value = getattr(edit, attr)
            if value is not None:
                setattr(order, attr, value)
        if edit.status == "B" and pending:
            order.held_status = None
            self._allocate(order)
        elif edit.status in ("C", "H") and order.held_status != edit.status:
            if not pending:
                self._release(order)
            order.held_status = edit.status
            if edit.status == "C":
                self.cancelled += 1
            else:
                self.closed += 1
        order.last_modified_ts = self.clock.now()
        self.edits += 1


def find_line(
    order: SalesOrder, pick: LinePick, *, prefer: str, taken: dict[int, int]
) -> SalesOrderLine:
    """The order line a fulfilment or credit line names (``orderLine`` or item id/SKU).

    By item, the first line of that item with room (``prefer``: "fulfillable" or
    "creditable") beyond the units ``taken`` by earlier lines of the same request is chosen,
    else the first line of that item.
    """
    if pick.order_line is not None:
        for line in order.lines:
            if line.line == pick.order_line:
                return line
        raise UserError(
            f"Invalid Field Value {pick.order_line} for the following field: orderLine "
            f"({pick.path}.orderLine; sales order {order.tran_id} has lines "
            f"1..{len(order.lines)})",
            **{"o:errorPath": f"{pick.path}.orderLine"},
        )
    assert pick.item is not None
    wanted_sku, wanted_id = pick.item.external_id, pick.item.id
    candidates = [
        line
        for line in order.lines
        if (wanted_id is not None and str(line.item_id) == wanted_id)
        or (wanted_id is None and line.sku == wanted_sku)
    ]
    if not candidates:
        shown = wanted_id or wanted_sku
        raise UserError(
            f"Invalid Field Value {shown} for the following field: item ({pick.path}.item is not "
            f"on sales order {order.tran_id})",
            **{"o:errorPath": f"{pick.path}.item"},
        )

    def room(line: SalesOrderLine) -> bool:
        used = taken.get(line.line, 0)
        if prefer == "fulfillable":
            return line.fulfillable - used > 0
        return line.credited + used < line.quantity

    return next((line for line in candidates if room(line)), candidates[0])
