"""Store staff at work during a run (``POST /_sim/staff``): address edits, cancellations, refunds.

Staff use the admin UI, not the app's API: an action spends nothing of the REST bucket, yet it
changes the order exactly as the admin API would and announces it with the same webhooks
(``orders/updated``; ``orders/cancelled``; ``refunds/create``), so the sync engine sees what it
would see in production. The load generator does not know the shop's orders: it sends
``{"action", "pick"}`` with ``pick`` in [0, 1) and the shop picks among the orders eligible for
the action, in id order, deterministically (``eligible[int(pick * len(eligible))]``):

- ``edit-address``: open (not cancelled) and nothing fulfilled;
- ``cancel``: open, nothing fulfilled, paid and not refunded (picking not started when the shop
  refuses cancels after picking); refunds nothing, and restocks the units unless ``restock`` is
  false (the admin's "Restock items" box, ticked by default);
- ``refund``: open and paid, not fully refunded. ``refund_share`` is ``"full"`` (every
  unrefunded unit, the shipping, all money left), ``"partial"`` (one unit of the first line with
  units left) or a decimal string in (0, 1] (that share of each line's unrefunded units, at
  least one unit); units are refunded ``no_restock``, money is what the refund calculation
  suggests for them.

When no order is eligible the answer is 409 ``none_eligible`` naming the action and why, like a
sold-out checkout: a legitimate outcome under load, counted, not an error.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from mocks.shopify.errors import InvalidCheckout, SimError
from mocks.shopify.fulfillments import IN_PROGRESS
from mocks.shopify.records import Order

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

ACTIONS = ("edit-address", "cancel", "refund")
REFUNDABLE = frozenset({"paid", "partially_refunded"})
NONE_ELIGIBLE = {
    "edit-address": "no open order without fulfilments",
    "cancel": "no open, paid order without fulfilments",
    "refund": "no open order with money left to refund",
}


class NoneEligible(SimError):
    """409: no order is eligible for the action right now."""

    status_code = 409

    def __init__(self, action: str) -> None:
        super().__init__("none_eligible", action=action, reason=NONE_ELIGIBLE[action])


def refund_share(raw: Any) -> str | Decimal:
    """``"full"``, ``"partial"`` or a share in (0, 1] (a JSON number, read exactly, or a decimal
    string); 422 if not."""
    if raw in ("full", "partial"):
        return str(raw)
    if isinstance(raw, str | int | Decimal) and not isinstance(raw, bool):
        try:
            share = Decimal(str(raw))
        except InvalidOperation:
            share = Decimal("NaN")
        if share.is_finite() and Decimal(0) < share <= Decimal(1):
            return share
    raise InvalidCheckout('refund_share must be "full", "partial" or a decimal in (0, 1]')


class StaffDesk:
    """Staff actions on the model's orders and how many of each happened."""

    def __init__(self, model: ShopifyModel) -> None:
        self.model = model
        self.done: Counter[str] = Counter()
        self.none_eligible: Counter[str] = Counter()
        self.orders: dict[str, list[int]] = {a: [] for a in ACTIONS}
        """Order ids each action was applied to, in the order it happened."""

    def act(self, payload: Mapping[str, Any]) -> dict[str, Any]:
        """Validate ``{action, pick, refund_share?}``, pick the order, apply the action."""
        action = payload.get("action")
        if action not in ACTIONS:
            raise InvalidCheckout(f"action must be one of {', '.join(ACTIONS)}")
        pick = payload.get("pick")
        if not isinstance(pick, int | Decimal) or isinstance(pick, bool) or not 0 <= pick < 1:
            raise InvalidCheckout("pick must be a number in [0, 1)")
        share = refund_share(payload.get("refund_share", "full")) if action == "refund" else None
        restock = payload.get("restock", True)
        if not isinstance(restock, bool):
            raise InvalidCheckout("restock must be true or false")
        eligible = [o for _, o in sorted(self.model.orders.items()) if self._eligible(action)(o)]
        if not eligible:
            self.none_eligible[action] += 1
            raise NoneEligible(action)
        order = eligible[min(int(pick * len(eligible)), len(eligible) - 1)]
        if action == "edit-address":
            result = {"order": self._edit_address(order)}
        elif action == "cancel":
            body = {"reason": "staff", "restock": restock}
            result = {"order": self.model.order_changes.cancel_order(str(order.id), body)}
        else:
            assert share is not None
            result = {"refund": self._refund(order, share)}
        self.done[action] += 1
        self.orders[action].append(order.id)
        return {"action": action, "order_id": order.id, **result}

    def counts(self) -> dict[str, Any]:
        """Per action: done, refused for want of an eligible order, and the orders touched."""
        return {
            a: {
                "done": self.done[a],
                "none_eligible": self.none_eligible[a],
                "order_ids": list(self.orders[a]),
            }
            for a in ACTIONS
        }

    # -- eligibility ---------------------------------------------------------------------

    def _eligible(self, action: str) -> Callable[[Order], bool]:
        return {
            "edit-address": self._editable,
            "cancel": self._cancellable,
            "refund": self._refundable,
        }[action]

    @staticmethod
    def _editable(order: Order) -> bool:
        return order.cancelled_ts is None and order.resource.get("fulfillment_status") is None

    def _cancellable(self, order: Order) -> bool:
        if not self._editable(order) or order.resource.get("financial_status") != "paid":
            return False
        if self.model.settings.cancel_refused_after_picking:
            book = self.model.fulfillment_book
            return not any(fo.status == IN_PROGRESS for fo in book.of_order(order))
        return True

    @staticmethod
    def _refundable(order: Order) -> bool:
        return order.cancelled_ts is None and order.resource.get("financial_status") in REFUNDABLE

    # -- actions -------------------------------------------------------------------------

    def _edit_address(self, order: Order) -> dict[str, Any]:
        """A new street, city and zip (the customer moved): ``orders/updated``, as on Shopify,
        where an address change is not an order edit."""
        number = self.done["edit-address"] + 1
        order.resource["shipping_address"] = {
            **(order.resource.get("shipping_address") or {}),
            "address1": f"{number} Staff Lane",
            "city": "Shelbyville",
            "zip": f"{20000 + number % 80000:05d}",
        }
        self.model.order_changes.touch(order)
        self.model.order_changes.announce(order)
        return order.resource

    def _refund(self, order: Order, share: str | Decimal) -> dict[str, Any]:
        desk = self.model.refund_desk
        left = {
            li["id"]: li["quantity"] - desk.refunded.get((order.id, li["id"]), 0)
            for li in order.resource["line_items"]
        }
        units = _units_for(share, left)
        if not units:  # only shipping (or rounding) left: a partial share refunds the rest
            share = "full"
        body: dict[str, Any] = {
            "refund_line_items": [
                {"line_item_id": line_id, "quantity": qty, "restock_type": "no_restock"}
                for line_id, qty in units.items()
            ]
        }
        if share == "full":
            body["shipping"] = {"full_refund": True}
        plan = desk.plan(order, body)
        remaining = self.model.ledger.refundable(order.id)
        money = remaining if share == "full" else min(plan.suggested, remaining)
        transactions: list[tuple[int | None, Decimal]] = [(None, money)] if money > 0 else []
        return desk.apply(order, plan, transactions, note="staff refund")


def _units_for(share: str | Decimal, left: Mapping[int, int]) -> dict[int, int]:
    """Units to refund per line id: all, one, or ``share`` of each line's rest (at least one)."""
    open_lines = {line_id: n for line_id, n in left.items() if n > 0}
    if share == "full":
        return open_lines
    first = next(iter(open_lines.items()), None)
    if share == "partial":
        return {first[0]: 1} if first else {}
    assert isinstance(share, Decimal)
    units = {line_id: int(n * share) for line_id, n in open_lines.items()}
    units = {line_id: n for line_id, n in units.items() if n > 0}
    if not units and first:
        units = {first[0]: 1}
    return units
