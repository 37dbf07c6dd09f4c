"""Refunds (REST ``orders/{id}/refunds.json`` and ``refunds/calculate.json``).

Amounts are exact: a line's refund is its cumulative share, ``round(net * refunded / quantity)``
minus what earlier refunds of the line already took (``net`` = price x quantity - discount, and
likewise for its tax), so refunding a line in any number of parts adds up to the line to the cent.
Restock types follow Shopify: ``cancel`` takes unshipped units (and puts them back at the
location), ``return`` takes shipped ones (likewise), ``no_restock`` takes units without stock
moving; ``legacy_restock`` is refused. As on Shopify, money moves only through ``transactions``:
a refund without them records the lines (and restocks) but refunds nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.money import MoneyError, fmt, round_cents, to_money
from mocks.shopify.errors import MissingParameter, Unprocessable
from mocks.shopify.orders import shopify_time
from mocks.shopify.records import Order
from mocks.shopify.schemas import json_int

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

ZERO = Decimal("0.00")
RESTOCK_TYPES = ("no_restock", "cancel", "return")


def _amount(value: Any, field: str) -> Decimal:
    """A client's amount to the cent; not a decimal amount is a 422 naming ``field``."""
    try:
        return round_cents(to_money(value, field=field))
    except MoneyError as exc:
        raise Unprocessable({field: [str(exc)]}) from exc


@dataclass(frozen=True, kw_only=True)
class RefundLine:
    """One validated ``refund_line_items`` entry with its exact amounts."""

    line_item_id: int
    quantity: int
    restock_type: str
    location_id: int | None
    subtotal: Decimal
    total_tax: Decimal


@dataclass(frozen=True, kw_only=True)
class RefundPlan:
    """A validated refund, not yet applied."""

    lines: tuple[RefundLine, ...]
    shipping: Decimal

    @property
    def suggested(self) -> Decimal:
        """What the customer should get back for it."""
        return sum((ln.subtotal + ln.total_tax for ln in self.lines), ZERO) + self.shipping


def _money_set(amount: Decimal, currency: str) -> dict[str, Any]:
    money = {"amount": fmt(amount), "currency_code": currency}
    return {"shop_money": money, "presentment_money": dict(money)}


class RefundDesk:
    """Creates refunds for the model's orders."""

    def __init__(self, model: ShopifyModel) -> None:
        self.model = model
        self.refunded: dict[tuple[int, int], int] = {}
        """(order id, line id) -> units refunded so far."""
        self.returned: dict[tuple[int, int], int] = {}
        """(order id, line id) -> shipped units refunded so far."""

    def _share(self, total: Decimal, quantity: int, before: int, after: int) -> Decimal:
        return round_cents(total * after / quantity) - round_cents(total * before / quantity)

    def plan(self, order: Order, body: Mapping[str, Any]) -> RefundPlan:
        """Validate a ``refund`` object and compute its exact amounts."""
        raw_lines = body.get("refund_line_items", [])
        if not isinstance(raw_lines, list):
            raise MissingParameter("refund_line_items", "expected a list")
        pending: dict[int, int] = {}
        lines = []
        for raw in raw_lines:
            if not isinstance(raw, dict):
                raise MissingParameter("refund_line_items", "expected objects")
            line_id = json_int(raw.get("line_item_id"), "line_item_id", allow_str=True)
            item = order.line(line_id)
            if item is None:
                raise Unprocessable({"refund_line_items.line_item": ["can't be blank"]})
            qty = json_int(raw.get("quantity"), "quantity")
            restock_type = raw.get("restock_type", "no_restock")
            if restock_type not in RESTOCK_TYPES:
                raise Unprocessable(
                    {"refund_line_items.restock_type": [f"{restock_type} is not a valid type"]}
                )
            location_id = raw.get("location_id")
            if location_id is not None:
                location_id = json_int(location_id, "location_id", allow_str=True)
                if location_id not in self.model.locations:
                    raise Unprocessable({"refund_line_items.location": ["can't be blank"]})
            key = (order.id, line_id)
            before = self.refunded.get(key, 0) + pending.get(line_id, 0)
            if qty < 1 or before + qty > item["quantity"]:
                raise Unprocessable(
                    {"refund_line_items.quantity": ["cannot refund more items than were purchased"]}
                )
            shipped_left = self.model.order_changes.shipped_quantity(
                order, line_id
            ) - self.returned.get(key, 0)
            if restock_type == "cancel" and qty > item["fulfillable_quantity"]:
                raise Unprocessable(
                    {"refund_line_items.restock_type": ["cancel is only for unfulfilled items"]}
                )
            if restock_type == "return" and qty > shipped_left:
                raise Unprocessable(
                    {"refund_line_items.restock_type": ["return is only for fulfilled items"]}
                )
            pending[line_id] = pending.get(line_id, 0) + qty
            net = Decimal(item["price"]) * item["quantity"] - Decimal(item["total_discount"])
            tax = sum((Decimal(t["price"]) for t in item["tax_lines"]), ZERO)
            lines.append(
                RefundLine(
                    line_item_id=line_id,
                    quantity=qty,
                    restock_type=restock_type,
                    location_id=location_id,
                    subtotal=self._share(net, item["quantity"], before, before + qty),
                    total_tax=self._share(tax, item["quantity"], before, before + qty),
                )
            )
        return RefundPlan(lines=tuple(lines), shipping=self._shipping(order, body.get("shipping")))

    def _shipping(self, order: Order, raw: Any) -> Decimal:
        left = order.shipping_price - self._shipping_refunded(order)
        if raw is None:
            return ZERO
        if not isinstance(raw, dict):
            raise MissingParameter("shipping", "expected an object")
        if raw.get("full_refund"):
            return left
        amount = _amount(raw.get("amount", "0"), "shipping.amount")
        if amount < 0 or amount > left:
            raise Unprocessable({"shipping.amount": [f"must be between 0 and {fmt(left)}"]})
        return amount

    @staticmethod
    def _shipping_refunded(order: Order) -> Decimal:
        return sum(
            (
                -Decimal(adj["amount"])
                for refund in order.resource.get("refunds", [])
                for adj in refund["order_adjustments"]
            ),
            ZERO,
        )

    def calculate(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST orders/{id}/refunds/calculate.json``: the plan plus a suggested transaction."""
        order = self.model.order_changes.order(order_id)
        plan = self.plan(order, _refund_object(body))
        sale = next(t for t in self.model.ledger.for_order(order.id) if t.kind == "sale")
        maximum = self.model.ledger.refundable(order.id)
        return {
            "shipping": {"amount": fmt(plan.shipping), "maximum_refundable": fmt(maximum)},
            "refund_line_items": [self._line_resource(order, ln, 0) for ln in plan.lines],
            "transactions": [
                {
                    "order_id": order.id,
                    "kind": "suggested_refund",
                    "gateway": sale.gateway,
                    "parent_id": sale.id,
                    "amount": fmt(min(plan.suggested, maximum)),
                    "maximum_refundable": fmt(maximum),
                }
            ],
            "currency": order.resource["currency"],
        }

    def create(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST orders/{id}/refunds.json``."""
        order = self.model.order_changes.order(order_id)
        raw = _refund_object(body)
        plan = self.plan(order, raw)
        transactions = self._transactions(order, raw.get("transactions", []))
        return self.apply(order, plan, transactions, note=raw.get("note"))

    def _transactions(self, order: Order, raw: Any) -> list[tuple[int | None, Decimal]]:
        if not isinstance(raw, list):
            raise MissingParameter("transactions", "expected a list")
        result = []
        for txn in raw:
            if not isinstance(txn, dict):
                raise MissingParameter("transactions", "expected objects")
            if txn.get("kind", "refund") != "refund":
                raise Unprocessable({"transactions.kind": ["must be refund"]})
            amount = _amount(txn.get("amount"), "transactions.amount")
            parent = txn.get("parent_id")
            result.append((None if parent is None else json_int(parent, "parent_id"), amount))
        total = sum((a for _, a in result), ZERO)
        if total > self.model.ledger.refundable(order.id) or any(a <= 0 for _, a in result):
            raise Unprocessable(
                {"transactions.amount": ["must be positive and at most the refundable amount"]}
            )
        return result

    def refund_everything(self, order: Order, *, restock: bool) -> dict[str, Any]:
        """Cancel with refund: every unrefunded line, the shipping, all remaining money."""
        lines = [
            {
                "line_item_id": li["id"],
                "quantity": left,
                "restock_type": "cancel" if restock else "no_restock",
            }
            for li in order.resource["line_items"]
            if (left := li["fulfillable_quantity"]) > 0
        ]
        plan = self.plan(order, {"refund_line_items": lines, "shipping": {"full_refund": True}})
        remaining = self.model.ledger.refundable(order.id)
        money: list[tuple[int | None, Decimal]] = [(None, remaining)] if remaining > 0 else []
        return self.apply(order, plan, money, note="Order cancelled", announce=False)

    def apply(
        self,
        order: Order,
        plan: RefundPlan,
        transactions: list[tuple[int | None, Decimal]],
        *,
        note: Any = None,
        announce: bool = True,
    ) -> dict[str, Any]:
        """Record the refund: restock, take units off fulfillment, move money, announce."""
        changes = self.model.order_changes
        refund_id = self.model.new_id("refund")
        refund_lines = []
        for ln in plan.lines:
            key = (order.id, ln.line_item_id)
            item = order.line(ln.line_item_id)
            assert item is not None  # validated by plan()
            unshipped = min(ln.quantity, item["fulfillable_quantity"])
            if ln.restock_type == "return":
                unshipped = 0
            if unshipped:  # cancel/no_restock take unshipped units first: they will not ship
                item["fulfillable_quantity"] -= unshipped
                self.model.fulfillment_book.remove_units(order, ln.line_item_id, unshipped)
            self.returned[key] = self.returned.get(key, 0) + (ln.quantity - unshipped)
            if ln.restock_type != "no_restock":
                changes.restock(order, ln.line_item_id, ln.quantity, ln.location_id)
            refund_lines.append(self._line_resource(order, ln, self.model.new_id("refund_line")))
            self.refunded[key] = self.refunded.get(key, 0) + ln.quantity
            item["current_quantity"] -= ln.quantity
        sale = next(t for t in self.model.ledger.for_order(order.id) if t.kind == "sale")
        currency = order.resource["currency"]
        txns = [
            self.model.ledger.record_refund(order.id, amount, currency, parent or sale.id)
            for parent, amount in transactions
        ]
        now = self.model.clock.now()
        refund = {
            "id": refund_id,
            "admin_graphql_api_id": f"gid://shopify/Refund/{refund_id}",
            "order_id": order.id,
            "created_at": shopify_time(now),
            "processed_at": shopify_time(now),
            "note": note,
            "user_id": None,
            "restock": any(ln.restock_type != "no_restock" for ln in plan.lines),
            "refund_line_items": refund_lines,
            "transactions": [t.resource() for t in txns],
            "order_adjustments": (
                [
                    {
                        "id": self.model.new_id("refund_line"),
                        "order_id": order.id,
                        "refund_id": refund_id,
                        "kind": "shipping_refund",
                        "reason": "Shipping refund",
                        "amount": fmt(-plan.shipping),
                        "tax_amount": "0.00",
                    }
                ]
                if plan.shipping
                else []
            ),
            "duties": [],
        }
        r = order.resource
        r.setdefault("refunds", []).append(refund)
        refunded_money = sum(
            (t.amount for t in self.model.ledger.for_order(order.id) if t.kind == "refund"), ZERO
        )
        if refunded_money >= Decimal(r["total_price"]):
            r["financial_status"] = "refunded"
        elif refunded_money > 0:
            r["financial_status"] = "partially_refunded"
        changes.touch(order)
        self.model.publisher.publish("refunds/create", refund)
        if announce:  # a cancel announces the order itself afterwards
            changes.announce(order)
        return refund

    def _line_resource(self, order: Order, ln: RefundLine, line_id: int) -> dict[str, Any]:
        currency = order.resource["currency"]
        return {
            "id": line_id,
            "line_item_id": ln.line_item_id,
            "quantity": ln.quantity,
            "restock_type": ln.restock_type,
            "location_id": ln.location_id or order.line_stock[ln.line_item_id][0].location_id,
            "subtotal": fmt(ln.subtotal),
            "total_tax": fmt(ln.total_tax),
            "subtotal_set": _money_set(ln.subtotal, currency),
            "total_tax_set": _money_set(ln.total_tax, currency),
            "line_item": dict(order.line(ln.line_item_id) or {}),
        }

    def list_refunds(self, order_id: str) -> list[dict[str, Any]]:
        """``GET orders/{id}/refunds.json``."""
        return list(self.model.order_changes.order(order_id).resource.get("refunds", []))


def _refund_object(body: Mapping[str, Any]) -> dict[str, Any]:
    raw = body.get("refund")
    if not isinstance(raw, dict):
        raise MissingParameter("refund", "expected an object")
    return raw
