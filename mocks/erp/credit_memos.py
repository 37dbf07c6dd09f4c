"""Credit memos against sales orders (PLATFORMS.md 5.3 ``creditMemo``): refunds in the ERP.

- Created by ``POST salesOrder/{id}/!transform/creditMemo``, ``POST creditMemo`` with
  ``createdFrom``, or ``PUT creditMemo/eid:{externalId}`` (idempotent: a repeat changes only
  the memo text and never credits twice; the principle-5 guard against double refunds).
- Lines name the order line (``orderLine`` or ``item``) with a ``quantity`` and an optional
  ``amount`` (decimal string; default rate x quantity); ``taxTotal`` and ``shippingCost``
  refund tax and shipping. The memo total may not exceed what is still refundable on the order
  (its total less earlier credit memos), and a line may not credit more units than ordered:
  both are a 400 with the figures, and nothing changes.
- ``restock: true`` on a line* puts that many shipped units back on hand (NetSuite does this
  through a return authorisation and item receipt; one flag here). Only shipped units can be
  restocked.
- A Pending Approval or Cancelled order has nothing to credit.*
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.common.money import fmt
from mocks.erp import constants as c
from mocks.erp.errors import (
    DuplicateRecord,
    InvalidContent,
    InvalidParameter,
    NonexistentId,
    UserError,
)
from mocks.erp.inventory import Inventory
from mocks.erp.orders import SalesOrderBook, find_line
from mocks.erp.records import NumberSeries, SalesOrder, find_record, iso_ms
from mocks.erp.schemas_tx import CreditMemoInput, parse_credit_memo
from simclock import Clock


@dataclass(frozen=True, kw_only=True)
class CreditLine:
    """Units and money credited on one sales-order line."""

    order_line: int
    sku: str
    item_id: int
    quantity: int
    amount: Decimal
    restock: bool


@dataclass(kw_only=True)
class CreditMemo:
    """A credit memo created from a sales order."""

    id: int
    tran_id: str
    external_id: str | None
    order: SalesOrder
    lines: tuple[CreditLine, ...]
    tax_total: Decimal
    shipping_cost: Decimal
    tran_date: str
    memo: str | None
    created_ts: float
    last_modified_ts: float

    @property
    def subtotal(self) -> Decimal:
        """Sum of the line amounts."""
        return sum((ln.amount for ln in self.lines), Decimal(0))

    @property
    def total(self) -> Decimal:
        """Lines plus refunded tax and shipping."""
        return self.subtotal + self.tax_total + self.shipping_cost


class CreditMemoBook:
    """The account's credit memos."""

    def __init__(
        self,
        *,
        clock: Clock,
        orders: SalesOrderBook,
        inventory: Inventory,
        numbers: NumberSeries,
    ) -> None:
        self.clock = clock
        self.orders = orders
        self.inventory = inventory
        self.numbers = numbers
        self.by_id: dict[int, CreditMemo] = {}
        self.by_external_id: dict[str, CreditMemo] = {}
        self.created = 0
        self.repeated = 0
        self.rejected = 0
        self.amount = Decimal(0)
        self.restocked_units = 0

    def get(self, ref: str) -> CreditMemo:
        """A credit memo by internal id or ``eid:{externalId}``."""
        return find_record(ref, self.by_id, self.by_external_id)

    def transform(self, order_ref: str, body: Any) -> CreditMemo:
        """``POST salesOrder/{id}/!transform/creditMemo``."""
        order = self.orders.get(order_ref)
        return self._guarded(lambda: parse_credit_memo(body), order)

    def create(self, body: Any) -> CreditMemo:
        """``POST creditMemo`` with ``createdFrom``."""
        return self._guarded(lambda: parse_credit_memo(body), None)

    def upsert(self, external_id: str, body: Any) -> tuple[CreditMemo, bool]:
        """``PUT creditMemo/eid:{externalId}``; an existing memo only takes a new memo text."""
        existing = self.by_external_id.get(external_id)
        if existing is not None:
            data = parse_credit_memo(body, url_external_id=external_id)
            if data.memo is not None:
                existing.memo = data.memo
            existing.last_modified_ts = self.clock.now()
            self.repeated += 1
            return existing, False
        memo = self._guarded(lambda: parse_credit_memo(body, url_external_id=external_id), None)
        return memo, True

    def _guarded(
        self, parse: Callable[[], CreditMemoInput], order: SalesOrder | None
    ) -> CreditMemo:
        """Parse and check whole (counting a refusal), then apply."""
        try:
            data = parse()
            if order is None:
                order = self._source(data)
            lines = self._plan(order, data)
        except (UserError, InvalidContent, DuplicateRecord, NonexistentId):
            self.rejected += 1
            raise
        return self._create(order, data, lines)

    def _source(self, data: CreditMemoInput) -> SalesOrder:
        if data.created_from is None:
            raise InvalidContent(
                "Missing required field createdFrom: a credit memo must be created from a sales "
                "order (createdFrom.id or createdFrom.externalId)."
            )
        ref = data.created_from
        try:
            return self.orders.get(ref.id if ref.id is not None else f"eid:{ref.external_id}")
        except (NonexistentId, InvalidParameter):
            shown = ref.id or ref.external_id
            raise UserError(
                f"Invalid Field Value {shown} for the following field: createdFrom"
            ) from None

    def _plan(self, order: SalesOrder, data: CreditMemoInput) -> tuple[CreditLine, ...]:
        if data.external_id is not None and data.external_id in self.by_external_id:
            taken = self.by_external_id[data.external_id]
            raise DuplicateRecord(
                f"A creditMemo with externalId {data.external_id!r} already exists (internal id "
                f"{taken.id}); it was not applied again."
            )
        if order.status in ("A", "C"):
            raise UserError(
                f"You cannot credit sales order {order.tran_id}: its status is "
                f"{c.SALES_ORDER_STATUSES[order.status]}."
            )
        credited: dict[int, int] = {}
        restocked: dict[int, int] = {}
        lines: list[CreditLine] = []
        for pick in data.lines:
            line = find_line(order, pick, prefer="creditable", taken=credited)
            assert pick.quantity is not None  # required for credit lines by the parser
            where = {"o:errorPath": f"{pick.path}.quantity"}
            units = credited.get(line.line, 0) + pick.quantity
            if line.credited + units > line.quantity:
                raise UserError(
                    f"You cannot credit {units} of line {line.line} ({line.sku}) on sales order "
                    f"{order.tran_id}: only {line.quantity - line.credited} not yet credited "
                    f"(ordered {line.quantity}).",
                    **where,
                )
            credited[line.line] = units
            if pick.restock:
                back = restocked.get(line.line, 0) + pick.quantity
                if line.restocked + back > line.shipped:
                    raise UserError(
                        f"You cannot restock {back} of line {line.line} ({line.sku}): only "
                        f"{line.shipped - line.restocked} shipped and not yet restocked.",
                        **{"o:errorPath": f"{pick.path}.restock"},
                    )
                restocked[line.line] = back
            amount = pick.amount if pick.amount is not None else line.rate * pick.quantity
            lines.append(
                CreditLine(
                    order_line=line.line,
                    sku=line.sku,
                    item_id=line.item_id,
                    quantity=pick.quantity,
                    amount=amount,
                    restock=pick.restock,
                )
            )
        total = sum((ln.amount for ln in lines), Decimal(0)) + data.tax_total + data.shipping_cost
        if total > order.refundable:
            raise UserError(
                f"The credit memo total {fmt(total)} exceeds what is still refundable on sales "
                f"order {order.tran_id}: {fmt(order.refundable)} (order total "
                f"{fmt(order.total)}, already credited {fmt(order.credited_total)})."
            )
        return tuple(lines)

    def _create(
        self, order: SalesOrder, data: CreditMemoInput, lines: tuple[CreditLine, ...]
    ) -> CreditMemo:
        now = self.clock.now()
        memo_id, tran_id = self.numbers.next("CM")
        memo = CreditMemo(
            id=memo_id,
            tran_id=tran_id,
            external_id=data.external_id,
            order=order,
            lines=lines,
            tax_total=data.tax_total,
            shipping_cost=data.shipping_cost,
            tran_date=data.tran_date or order.tran_date,
            memo=data.memo,
            created_ts=now,
            last_modified_ts=now,
        )
        by_number = {ln.line: ln for ln in order.lines}
        for cl in lines:
            line = by_number[cl.order_line]
            line.credited += cl.quantity
            if cl.restock:
                self.inventory.restock(cl.sku, order.location_id, cl.quantity)
                line.restocked += cl.quantity
                self.restocked_units += cl.quantity
        order.credited_total += memo.total
        order.credit_memo_ids.append(memo_id)
        order.last_modified_ts = now
        self.by_id[memo_id] = memo
        if data.external_id is not None:
            self.by_external_id[data.external_id] = memo
        self.created += 1
        self.amount += memo.total
        return memo


def credit_memo_record(m: CreditMemo) -> dict[str, Any]:
    """The record as ``GET creditMemo/{id}`` returns it."""
    order = m.order
    return {
        "id": str(m.id),
        "tranId": m.tran_id,
        "externalId": m.external_id,
        "createdFrom": {"id": str(order.id), "refName": f"Sales Order #{order.tran_id}"},
        "entity": {"id": str(order.customer.id), "externalId": order.customer.external_id},
        "tranDate": m.tran_date,
        "createdDate": iso_ms(math.floor(m.created_ts * 1000)),
        "lastModifiedDate": iso_ms(math.floor(m.last_modified_ts * 1000)),
        "status": {"id": "A", "refName": "Open"},
        "currency": {"refName": order.currency},
        "memo": m.memo,
        "subtotal": fmt(m.subtotal),
        "taxTotal": fmt(m.tax_total),
        "shippingCost": fmt(m.shipping_cost),
        "total": fmt(m.total),
        "item": {
            "items": [
                {
                    "orderLine": ln.order_line,
                    "item": {"id": str(ln.item_id), "externalId": ln.sku, "refName": ln.sku},
                    "quantity": ln.quantity,
                    "amount": fmt(ln.amount),
                    "restock": ln.restock,
                }
                for ln in m.lines
            ],
            "totalResults": len(m.lines),
        },
    }


def credit_memo_state(m: CreditMemo) -> dict[str, Any]:
    """A credit memo as ``/_mock/state`` reports it."""
    return {
        "id": str(m.id),
        "tranId": m.tran_id,
        "externalId": m.external_id,
        "sales_order_id": str(m.order.id),
        "sales_order_external_id": m.order.external_id,
        "created_ts": m.created_ts,
        "subtotal": fmt(m.subtotal),
        "tax_total": fmt(m.tax_total),
        "shipping_cost": fmt(m.shipping_cost),
        "total": fmt(m.total),
        "lines": [
            {
                "line": ln.order_line,
                "sku": ln.sku,
                "quantity": ln.quantity,
                "amount": fmt(ln.amount),
                "restock": ln.restock,
            }
            for ln in m.lines
        ],
    }
