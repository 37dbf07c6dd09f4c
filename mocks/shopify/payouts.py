"""Order transactions and Shopify Payments: balance transactions and payouts (the money trail).

Every sale is a ``sale`` transaction and a ``charge`` balance transaction whose fee is
``round_half_up(amount * payments_fee_percent / 100) + payments_fee_fixed`` and whose net is
``amount - fee``; every refund is a ``refund`` transaction and a ``refund`` balance transaction
(negative amount; Shopify keeps the original fee). ``POST /_sim/payout`` sweeps every pending
balance transaction into one payout whose amount is exactly the sum of their nets, so a finance
reconciliation ``Σ payouts == Σ charges - Σ fees - Σ refunds`` holds to the cent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.money import fmt, round_cents
from mocks.shopify.errors import BadRequest, SimError
from mocks.shopify.orders import shopify_time
from mocks.shopify.pagination import Page, paginate
from mocks.shopify.schemas import ListRequest

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

ZERO = Decimal("0.00")
PAYOUT_FILTERS = ("date_min", "date_max", "status", "since_id")
BALANCE_FILTERS = ("payout_id",)


@dataclass(kw_only=True)
class Transaction:
    """An order transaction (``sale`` or ``refund``)."""

    id: int
    order_id: int
    kind: str
    amount: Decimal
    currency: str
    created_ts: float
    parent_id: int | None = None
    gateway: str = "shopify_payments"

    def resource(self) -> dict[str, Any]:
        """REST shape of ``transactions.json``."""
        stamp = shopify_time(self.created_ts)
        return {
            "id": self.id,
            "admin_graphql_api_id": f"gid://shopify/OrderTransaction/{self.id}",
            "order_id": self.order_id,
            "kind": self.kind,
            "gateway": self.gateway,
            "status": "success",
            "message": None,
            "created_at": stamp,
            "processed_at": stamp,
            "test": False,
            "authorization": None,
            "parent_id": self.parent_id,
            "amount": fmt(self.amount),
            "currency": self.currency,
            "error_code": None,
            "source_name": "web",
        }


@dataclass(kw_only=True)
class BalanceTransaction:
    """A Shopify Payments balance movement; pending until a payout sweeps it."""

    id: int
    type: str
    amount: Decimal
    fee: Decimal
    currency: str
    source_id: int
    source_order_id: int
    processed_ts: float
    payout_id: int | None = None

    @property
    def net(self) -> Decimal:
        """What the merchant receives for it."""
        return self.amount - self.fee

    def resource(self, payout_status: str) -> dict[str, Any]:
        """REST shape of ``shopify_payments/balance/transactions.json``."""
        return {
            "id": self.id,
            "type": self.type,
            "test": False,
            "payout_id": self.payout_id,
            "payout_status": payout_status,
            "currency": self.currency,
            "amount": fmt(self.amount),
            "fee": fmt(self.fee),
            "net": fmt(self.net),
            "source_id": self.source_id,
            "source_type": self.type,
            "source_order_id": self.source_order_id,
            "source_order_transaction_id": self.source_id,
            "processed_at": shopify_time(self.processed_ts),
        }


@dataclass(kw_only=True)
class Payout:
    """One sweep of the pending balance."""

    id: int
    created_ts: float
    currency: str
    transactions: list[BalanceTransaction] = field(default_factory=list)
    status: str = "paid"

    @property
    def amount(self) -> Decimal:
        """Σ net of its balance transactions, exactly."""
        return sum((t.net for t in self.transactions), ZERO)

    @property
    def date(self) -> str:
        """``YYYY-MM-DD`` (UTC) the payout was made."""
        return datetime.fromtimestamp(self.created_ts, tz=UTC).strftime("%Y-%m-%d")

    def resource(self) -> dict[str, Any]:
        """REST shape of ``shopify_payments/payouts.json``."""
        summary: dict[str, Decimal] = {}
        for kind in ("adjustments", "charges", "refunds", "reserved_funds", "retried_payouts"):
            summary[f"{kind}_fee_amount"] = ZERO
            summary[f"{kind}_gross_amount"] = ZERO
        for t in self.transactions:
            kind = "charges" if t.type == "charge" else "refunds"
            summary[f"{kind}_fee_amount"] += t.fee
            summary[f"{kind}_gross_amount"] += t.amount
        return {
            "id": self.id,
            "status": self.status,
            "date": self.date,
            "currency": self.currency,
            "amount": fmt(self.amount),
            "summary": {k: fmt(v) for k, v in summary.items()},
        }


class NothingToPayOut(SimError):
    """409: no pending balance transaction to sweep."""

    status_code = 409

    def __init__(self) -> None:
        super().__init__("nothing_to_pay_out")


class PaymentsLedger:
    """Transactions per order, balance transactions and payouts of one shop."""

    def __init__(self, model: ShopifyModel) -> None:
        self.model = model
        self.transactions: dict[int, Transaction] = {}
        self.balance: dict[int, BalanceTransaction] = {}
        self.payouts: dict[int, Payout] = {}

    def fee(self, amount: Decimal) -> Decimal:
        """Shopify Payments' fee on a charge, rounded half-up to the cent."""
        s = self.model.settings
        return round_cents(amount * s.payments_fee_percent / 100) + s.payments_fee_fixed

    def record_sale(self, order_id: int, amount: Decimal, currency: str) -> Transaction:
        """The checkout's captured payment and its charge balance transaction."""
        txn = self._transaction(order_id, "sale", amount, currency, parent_id=None)
        self._balance("charge", txn, fee=self.fee(amount))
        return txn

    def record_refund(
        self, order_id: int, amount: Decimal, currency: str, parent_id: int | None
    ) -> Transaction:
        """A refund transaction and its (negative) refund balance transaction."""
        txn = self._transaction(order_id, "refund", amount, currency, parent_id=parent_id)
        self._balance("refund", txn, fee=ZERO, sign=-1)
        return txn

    def _transaction(
        self, order_id: int, kind: str, amount: Decimal, currency: str, *, parent_id: int | None
    ) -> Transaction:
        txn = Transaction(
            id=self.model.new_id("transaction"),
            order_id=order_id,
            kind=kind,
            amount=amount,
            currency=currency,
            created_ts=self.model.clock.now(),
            parent_id=parent_id,
        )
        self.transactions[txn.id] = txn
        return txn

    def _balance(self, kind: str, txn: Transaction, *, fee: Decimal, sign: int = 1) -> None:
        bt = BalanceTransaction(
            id=self.model.new_id("balance"),
            type=kind,
            amount=txn.amount * sign,
            fee=fee,
            currency=txn.currency,
            source_id=txn.id,
            source_order_id=txn.order_id,
            processed_ts=txn.created_ts,
        )
        self.balance[bt.id] = bt

    def for_order(self, order_id: int) -> list[Transaction]:
        """``GET orders/{id}/transactions.json``, oldest first."""
        return [t for t in self.transactions.values() if t.order_id == order_id]

    def refundable(self, order_id: int) -> Decimal:
        """Captured minus refunded money of an order."""
        sign = {"sale": 1, "refund": -1}
        return sum((t.amount * sign[t.kind] for t in self.for_order(order_id)), ZERO)

    def run_payout(self) -> dict[str, Any]:
        """``POST /_sim/payout``: sweep every pending balance transaction into one payout."""
        pending = [bt for bt in self.balance.values() if bt.payout_id is None]
        if not pending:
            raise NothingToPayOut()
        payout = Payout(
            id=self.model.new_id("payout"),
            created_ts=self.model.clock.now(),
            currency=self.model.currency,
            transactions=pending,
        )
        for bt in pending:
            bt.payout_id = payout.id
        self.payouts[payout.id] = payout
        return payout.resource()

    def balance_resource(self) -> list[dict[str, str]]:
        """``GET shopify_payments/balance.json``: the pending net."""
        pending = sum((bt.net for bt in self.balance.values() if bt.payout_id is None), ZERO)
        return [{"currency": self.model.currency, "amount": fmt(pending)}]

    def list_payouts(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET shopify_payments/payouts.json``, newest first, ``date_min``/``date_max``."""
        f = req.filters
        for name in ("date_min", "date_max"):
            if f.get(name) and not _is_date(f[name]):
                raise BadRequest(name, f"must be a date YYYY-MM-DD, got {f[name]!r}")
        payouts = [
            p
            for p in self.payouts.values()
            if (not f.get("date_min") or p.date >= f["date_min"])
            and (not f.get("date_max") or p.date <= f["date_max"])
            and (not f.get("status") or p.status == f["status"])
            and (not f.get("since_id") or p.id > int(f["since_id"]))
        ]
        payouts.sort(key=lambda p: -p.id)
        page = paginate(
            payouts,
            lambda p: (-p.id,),
            resource="payouts",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        return Page(
            items=[p.resource() for p in page.items],
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )

    def list_balance_transactions(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET shopify_payments/balance/transactions.json?payout_id=``, newest first."""
        raw = req.filters.get("payout_id")
        if raw is not None and not raw.isdecimal():
            raise BadRequest("payout_id", f"must be an integer, got {raw!r}")
        rows = [bt for bt in self.balance.values() if raw is None or bt.payout_id == int(raw)]
        rows.sort(key=lambda bt: -bt.id)
        page = paginate(
            rows,
            lambda bt: (-bt.id,),
            resource="balance_transactions",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        return Page(
            items=[
                bt.resource("paid" if bt.payout_id is not None else "pending") for bt in page.items
            ],
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
    except ValueError:
        return False
    return True
