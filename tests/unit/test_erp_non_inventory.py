"""Non-inventory sale items (a promotion's discount line): sellable, never stocked or listed."""

from __future__ import annotations

import pytest

from mocks.erp.constants import ErpSettings
from mocks.erp.errors import UserError
from mocks.erp.models import ErpModel
from simclock import VirtualClock


def _order(lines: list[tuple[str, int, str]]) -> dict[str, object]:
    return {
        "entity": {"externalId": "email:a@example.com"},
        "location": {"id": "1"},
        "item": {
            "items": [
                {"item": {"externalId": sku}, "quantity": qty, "rate": amount, "amount": amount}
                for sku, qty, amount in lines
            ]
        },
    }


def test_a_discount_line_is_accepted_without_allocating_or_listing_stock() -> None:
    model = ErpModel(settings=ErpSettings.from_overrides({}), clock=VirtualClock(start=0), seed=1)
    model.seed(
        {"locations": [{"id": "1", "name": "WH"}], "items": [{"sku": "A", "on_hand": {"1": 5}}]}
    )
    _order_record, created = model.upsert_sales_order(
        "shopware-1", _order([("A", 2, "20.00"), ("DISCOUNT", 1, "-5.00")])
    )
    assert created
    state = model.state()
    assert [item["sku"] for item in state["items"]] == ["A"]
    assert state["non_inventory_items"] == ["DISCOUNT"]
    (so,) = state["sales_orders"]
    assert sum(line["backordered"] for line in so["lines"]) == 0


def test_non_inventory_items_are_a_setting() -> None:
    settings = ErpSettings.from_overrides({"non_inventory_items": ["PROMO", "GIFTWRAP"]})
    model = ErpModel(settings=settings, clock=VirtualClock(start=0), seed=1)
    assert model.state()["non_inventory_items"] == ["PROMO", "GIFTWRAP"]


def test_only_a_discount_item_may_carry_a_negative_amount() -> None:
    model = ErpModel(settings=ErpSettings.from_overrides({}), clock=VirtualClock(start=0), seed=1)
    model.seed(
        {"locations": [{"id": "1", "name": "WH"}], "items": [{"sku": "A", "on_hand": {"1": 5}}]}
    )
    with pytest.raises(UserError, match="negative amounts need a discount item"):
        model.upsert_sales_order("shopify-1", _order([("A", 1, "-1.00")]))
    assert model.state()["sales_orders"] == []
