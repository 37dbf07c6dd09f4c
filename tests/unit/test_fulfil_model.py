"""The Fulfil model without HTTP: refused writes change nothing, indexed lookups stay exact."""

from __future__ import annotations

from typing import Any

import pytest

from mocks.fulfil.api import create_app
from mocks.fulfil.errors import UserError
from mocks.fulfil.models import FulfilModel
from simclock import VirtualClock

SEED: dict[str, Any] = {
    "warehouses": [{"name": "Main", "code": "MAIN"}],
    "products": [{"code": "SKU_1", "name": "Tee", "list_price": "10.00", "stock": {"MAIN": 5}}],
    "parties": [{"name": "Ada", "email": "Ada@Example.com"}],
}


@pytest.fixture
def model() -> FulfilModel:
    app = create_app(clock=VirtualClock(1_800_000_000.0), credentials={"api_key": "k"}, seed=1)
    m: FulfilModel = app.state.model
    m.seed(SEED)
    return m


def search(m: FulfilModel, model: str, domain: Any) -> list[int]:
    result: list[int] = m.call(model, "search", [domain], {})
    return result


def test_refused_party_create_leaves_no_party(model: FulfilModel) -> None:
    bad = {"name": "Bo", "contact_mechanisms": [["create", [{"type": "pager", "value": "1"}]]]}
    with pytest.raises(UserError, match="pager"):
        model.call("party.party", "create", [[bad]], {})
    assert len(model.parties) == 1 and len(model.contact_mechanisms) == 1


def test_refused_sale_write_changes_nothing(model: FulfilModel) -> None:
    (sale,) = model.call("sale.sale", "create", [[{"party": 1, "reference": "A"}]], {})
    with pytest.raises(UserError, match="payment_fees"):
        model.call("sale.sale", "write", [[sale], {"reference": "B", "payment_fees": 1.5}], {})
    assert model.sales[sale].reference == "A"
    assert search(model, "sale.sale", [["reference", "=", "A"]]) == [sale]
    assert search(model, "sale.sale", [["reference", "=", "B"]]) == []


def test_indexed_lookups_are_exact_where_the_operator_is(model: FulfilModel) -> None:
    assert search(model, "party.party", [["email", "=", "Ada@Example.com"]]) == [1]
    assert search(model, "party.party", [["email", "=", "ada@example.com"]]) == []  # = is exact
    assert search(model, "party.party", [["email", "ilike", "ada@example.com"]]) == [1]
    assert search(model, "product.product", [["code", "=", "SKU_1"]]) == [1]
    assert search(model, "product.product", [["code", "like", "SKU_1"]]) == [1]  # _ wildcard
    assert search(model, "product.product", [["id", "in", [1, 7, True]]]) == [1]


def test_reindexed_after_writes_and_deletes(model: FulfilModel) -> None:
    (sale,) = model.call("sale.sale", "create", [[{"party": 1, "channel_identifier": "X"}]], {})
    model.call("sale.sale", "write", [[sale], {"channel_identifier": "Y"}], {})
    assert search(model, "sale.sale", [["channel_identifier", "=", "X"]]) == []
    assert search(model, "sale.sale", [["channel_identifier", "=", "Y"]]) == [sale]
    model.call("product.product", "write", [[1], {"code": "SKU-2"}], {})
    assert search(model, "product.product", [["code", "=", "SKU-2"]]) == [1]
    model.call("sale.sale", "delete", [[sale]], {})
    (again,) = model.call("sale.sale", "create", [[{"party": 1, "channel_identifier": "Y"}]], {})
    assert search(model, "sale.sale", [["channel_identifier", "=", "Y"]]) == [again]


def test_other_channel_cannot_take_more_than_available(model: FulfilModel) -> None:
    (sale,) = model.call(
        "sale.sale", "create", [[{"party": 1, "lines": [{"product": 1, "quantity": 4}]}]], {}
    )
    model.call("sale.sale", "quote", [[sale]], {})
    model.call("sale.sale", "confirm", [[sale]], {})
    took = model.stock_movement(
        {"sku": "SKU_1", "location_id": 1, "delta": -1, "reason": "other_channel"}
    )
    assert (took["on_hand"], took["reserved"], took["available"]) == (4, 4, 0)


def test_seed_is_validated_whole(model: FulfilModel) -> None:
    from mocks.common.admin import SeedError

    bad = {"products": [{"code": "NEW", "stock": {"MAIN": 1}}, {"code": "X", "stock": {"NOPE": 1}}]}
    with pytest.raises(SeedError, match="NOPE"):
        model.seed(bad)
    assert "NEW" not in model.products_by_code


def test_erp_seed_spelling_is_accepted() -> None:
    app = create_app(clock=VirtualClock(1_800_000_000.0), credentials={"api_key": "k"})
    m: FulfilModel = app.state.model
    m.seed(
        {"locations": [{"id": "1", "name": "Main"}], "items": [{"sku": "A", "on_hand": {"1": 5}}]}
    )
    took = m.stock_movement({"sku": "A", "location_id": "1", "delta": 2, "reason": "receipt"})
    assert (took["location_id"], took["on_hand"]) == (1, 7)
