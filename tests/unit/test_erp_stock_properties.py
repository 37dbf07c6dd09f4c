"""Stock bookkeeping of the ERP model under any sequence of orders, edits, cancels, closes,
fulfilments, shipments, credit memos and stock movements (Hypothesis stateful test).

The invariants are the ones the checkers lean on: per item and location, committed and
backordered equal the sums over order lines; committed units are on hand; on hand moves only
by receipts, other channels, shipments and restocks; no order is credited beyond its total.
Refused operations (400s) must change nothing.
"""

from __future__ import annotations

import copy
from collections import Counter
from decimal import Decimal
from typing import Any

from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import Bundle, RuleBasedStateMachine, invariant, rule

from mocks.erp.constants import ErpSettings
from mocks.erp.errors import ErpError
from mocks.erp.models import ErpModel
from simclock import VirtualClock

SKUS = ("A", "B", "C")
START_STOCK = {"A": 4, "B": 2, "C": 0}
lines = st.lists(
    st.tuples(st.sampled_from(SKUS), st.integers(1, 3), st.sampled_from(["1.00", "2.50"])),
    min_size=1,
    max_size=3,
)


def snapshot(model: ErpModel) -> Any:
    """Everything a refused operation must leave alone."""
    return copy.deepcopy(
        (model.state()["sales_orders"], model.state()["items"], model.state()["credit_memos"])
    )


class ErpStock(RuleBasedStateMachine):
    orders = Bundle("orders")
    fulfilments = Bundle("fulfilments")

    def __init__(self) -> None:
        super().__init__()
        self.clock = VirtualClock(1_795_737_600.0)
        self.model = ErpModel(settings=ErpSettings(), clock=self.clock, seed=1)
        self.model.seed(
            {
                "locations": [{"id": "1", "name": "WH"}],
                "items": [{"sku": s, "on_hand": {"1": n}} for s, n in START_STOCK.items()],
            }
        )
        self.moved: Counter[str] = Counter()
        """Expected on-hand change per SKU from receipts, other channels, shipping, restock."""
        self.count = 0

    def attempt(self, label: str, operation: Any) -> Any:
        """Run one model operation; a refusal must leave the books as they were."""
        before = snapshot(self.model)
        try:
            result = operation()
        except ErpError as exc:
            note(f"{label}: refused {exc.status} {getattr(exc, 'detail', exc)}")
            assert snapshot(self.model) == before
            return None
        note(f"{label}: ok")
        return result

    @rule(target=orders, body=lines, pending=st.booleans())
    def create_order(self, body: list[tuple[str, int, str]], pending: bool) -> str:
        self.count += 1
        eid = f"o-{self.count}"
        self.clock.advance(1)
        payload: dict[str, Any] = {
            "entity": {"externalId": "x@example.com"},
            "location": {"id": "1"},
            "item": {
                "items": [{"item": {"externalId": s}, "quantity": q, "rate": r} for s, q, r in body]
            },
        }
        if pending:
            payload["orderStatus"] = {"id": "A"}
        self.model.orders.upsert(eid, payload)
        note(f"order {eid} {body} pending={pending}")
        return eid

    @rule(eid=orders, status=st.sampled_from(["B", "C", "H"]))
    def set_status(self, eid: str, status: str) -> None:
        self.attempt(
            f"status {eid} -> {status}",
            lambda: self.model.orders.edit(f"eid:{eid}", {"orderStatus": status}, replace=set()),
        )

    @rule(eid=orders, body=lines)
    def edit_lines(self, eid: str, body: list[tuple[str, int, str]]) -> None:
        items = [{"item": {"externalId": s}, "quantity": q, "rate": r} for s, q, r in body]
        self.attempt(
            f"edit {eid} {body}",
            lambda: self.model.orders.edit(
                f"eid:{eid}", {"item": {"items": items}}, replace={"item"}
            ),
        )

    @rule(target=fulfilments, eid=orders, line=st.integers(1, 3), qty=st.integers(1, 4),
          status=st.sampled_from(["A", "C"]), everything=st.booleans())  # fmt: skip
    def fulfil(self, eid: str, line: int, qty: int, status: str, everything: bool) -> str:
        body: dict[str, Any] = {"shipStatus": status}
        if not everything:
            body["item"] = {"items": [{"orderLine": line, "quantity": qty}]}
        made = self.attempt(
            f"fulfil {eid} {body}", lambda: self.model.fulfilments.transform(f"eid:{eid}", body)
        )
        if made is not None and status == "C":
            for fl in made.lines:
                self.moved[fl.sku] -= fl.quantity
        return str(made.id) if made is not None else "0"

    @rule(fid=fulfilments)
    def ship(self, fid: str) -> None:
        if fid == "0":
            return
        fulfilment = self.model.fulfilments.by_id[int(fid)]
        was = fulfilment.ship_status
        self.attempt(f"ship {fid}", lambda: self.model.fulfilments.update(fid, {"shipStatus": "C"}))
        if was != "C":
            for fl in fulfilment.lines:
                self.moved[fl.sku] -= fl.quantity

    @rule(eid=orders, line=st.integers(1, 3), qty=st.integers(1, 3), restock=st.booleans(),
          amount=st.sampled_from([None, "0.50", "99.00"]))  # fmt: skip
    def credit(self, eid: str, line: int, qty: int, restock: bool, amount: str | None) -> None:
        pick: dict[str, Any] = {"orderLine": line, "quantity": qty, "restock": restock}
        if amount is not None:
            pick["amount"] = amount
        made = self.attempt(
            f"credit {eid} {pick}",
            lambda: self.model.credit_memos.transform(f"eid:{eid}", {"item": {"items": [pick]}}),
        )
        if made is not None and restock:
            self.moved[made.lines[0].sku] += qty

    @rule(sku=st.sampled_from(SKUS), delta=st.integers(-3, 3))
    def stock_movement(self, sku: str, delta: int) -> None:
        reason = "receipt" if delta >= 0 else "other_channel"
        moved = self.attempt(
            f"move {sku} {delta}",
            lambda: self.model.stock_movement(
                {"sku": sku, "location_id": "1", "delta": delta, "reason": reason}
            ),
        )
        if moved is not None:
            self.moved[sku] += delta

    @invariant()
    def levels_are_the_sums_of_the_lines(self) -> None:
        committed: Counter[str] = Counter()
        backordered: Counter[str] = Counter()
        for so in self.model.orders.by_id.values():
            for ln in so.lines:
                committed[ln.sku] += ln.committed
                backordered[ln.sku] += ln.backordered
                assert 0 <= ln.fulfilled - ln.shipped <= ln.committed
                assert ln.shipped <= ln.fulfilled <= ln.quantity
                assert ln.restocked <= ln.shipped and ln.credited <= ln.quantity
            if so.status in ("A", "C"):
                assert all(ln.committed == ln.backordered == 0 for ln in so.lines)
            assert Decimal(0) <= so.credited_total <= so.total
        for sku in SKUS:
            level = self.model.items[sku].levels.get("1")
            assert level is not None
            assert level.committed == committed[sku], sku
            assert level.backordered == backordered[sku], sku
            assert level.committed <= level.on_hand, sku
            assert level.on_hand == START_STOCK[sku] + self.moved[sku], sku


TestErpStock = ErpStock.TestCase
TestErpStock.settings = settings(
    max_examples=60,
    stateful_step_count=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
