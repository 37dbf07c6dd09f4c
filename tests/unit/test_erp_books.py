"""The ERP's books without HTTP: customers, edits, fulfilment line matching, credit memos and
journals, on the corners the contract suite does not reach."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from mocks.erp.constants import ErpSettings
from mocks.erp.errors import (
    DuplicateRecord,
    InvalidContent,
    InvalidParameter,
    InvalidSeed,
    UserError,
)
from mocks.erp.models import ErpModel
from simclock import VirtualClock, iso_utc

START = 1_795_737_600.0  # 2026-11-27T00:00:00Z


def make_model() -> tuple[ErpModel, VirtualClock]:
    clock = VirtualClock(START)
    model = ErpModel(settings=ErpSettings(), clock=clock, seed=7)
    model.seed(
        {
            "locations": [{"id": "1", "name": "Main"}, {"id": "2", "name": "Annex"}],
            "items": [{"sku": "A", "on_hand": {"1": 5, "2": 1}}, {"sku": "B", "on_hand": {"1": 5}}],
        }
    )
    return model, clock


def order(model: ErpModel, eid: str, *lines: tuple[str, int], **header: Any) -> str:
    model.orders.upsert(
        eid,
        {
            "entity": {"externalId": "a@example.com"},
            "location": {"id": "1"},
            "item": {
                "items": [
                    {"item": {"externalId": sku}, "quantity": qty, "rate": "10.00"}
                    for sku, qty in lines
                ]
            },
            **header,
        },
    )
    return f"eid:{eid}"


def level(model: ErpModel, sku: str, loc: str = "1") -> tuple[int, int, int]:
    lv = model.items[sku].levels[loc]
    return lv.on_hand, lv.committed, lv.backordered


def test_seeded_customers_and_order_customers_form_duplicate_groups() -> None:
    model, _ = make_model()
    model.seed(
        {
            "customers": [
                {"externalId": "shop-1", "email": "Ann@Example.com"},
                {"email": "ann@example.com", "phone": "020 7946 0958"},
                {"phone": "+44 20 7946 0958"},
                {"email": "solo@example.com"},
            ]
        }
    )
    order(model, "o-1", ("A", 1))  # creates a@example.com, unique
    assert model.customers.duplicate_groups() == [[501, 502, 503]]
    assert model.state()["duplicate_customers"] == 2
    assert model.stats()["customers"] == 5
    with pytest.raises(InvalidSeed, match=r"customers\[0\]: Please enter a valid email"):
        model.seed({"customers": [{"email": "nope"}]})


def test_customer_query_by_dates_and_refusals() -> None:
    model, clock = make_model()
    model.customers.create({"email": "early@example.com"})
    clock.advance(60)
    model.customers.create({"email": "late@example.com"})
    since = iso_utc(START + 30)
    page = model.customers.query(f'dateCreated ON_OR_AFTER "{since}"', limit=10, offset=0)
    assert page.ids == [502]
    page = model.customers.query('email CONTAIN "example"', limit=1, offset=1)
    assert (page.ids, page.total, page.has_more) == ([502], 2, False)
    for q, needle in [
        ('nickname IS "x"', "Unknown field nickname"),
        ('email AFTER "x"', "does not apply"),
        ("email IS", "needs a quoted value"),
        ('email IS "a" phone IS "b"', "join conditions with AND or OR"),
    ]:
        with pytest.raises(InvalidParameter, match=needle):
            model.customers.query(q, limit=10, offset=0)


def test_editing_the_location_moves_the_commitment() -> None:
    model, _ = make_model()
    ref = order(model, "o-1", ("A", 2))
    model.orders.edit(ref, {"location": {"id": "2"}}, replace=set())
    assert level(model, "A", "1") == (5, 0, 0)
    assert level(model, "A", "2") == (1, 1, 1)  # one on hand at the annex: one backordered
    with pytest.raises(UserError, match="Invalid Field Value 9 for the following field: location"):
        model.orders.edit(ref, {"location": {"id": "9"}}, replace=set())
    with pytest.raises(InvalidContent, match="tranDate cannot be edited"):
        model.orders.edit(ref, {"tranDate": "2026-11-28"}, replace=set())


def test_fulfilment_by_item_takes_the_line_with_room_and_skips_unreceived() -> None:
    model, _ = make_model()
    ref = order(model, "o-1", ("A", 2), ("A", 1), ("B", 1))
    made = model.fulfilments.transform(
        ref,
        {
            "item": {
                "items": [
                    {"item": {"externalId": "A"}, "quantity": 2},
                    {"item": {"externalId": "A"}},  # no quantity: the rest of the next line
                    {"item": {"externalId": "B"}, "itemReceive": False},
                ]
            }
        },
    )
    assert [(fl.order_line, fl.quantity) for fl in made.lines] == [(1, 2), (2, 1)]
    assert model.orders.get(ref).status == "D"
    assert level(model, "B") == (5, 1, 0)
    with pytest.raises(UserError, match=r"item \(item.items\[0\].item is not on sales order"):
        model.fulfilments.transform(ref, {"item": {"items": [{"item": {"id": "999"}}]}})


def test_credit_memos_are_refused_on_cancelled_or_unapproved_orders() -> None:
    model, _ = make_model()
    cancelled = order(model, "o-1", ("A", 1))
    model.orders.edit(cancelled, {"orderStatus": "C"}, replace=set())
    pending = order(model, "o-2", ("A", 1), orderStatus={"id": "A"})
    body = {"item": {"items": [{"orderLine": 1, "quantity": 1}]}}
    with pytest.raises(UserError, match="its status is Cancelled"):
        model.credit_memos.transform(cancelled, body)
    with pytest.raises(UserError, match="its status is Pending Approval"):
        model.credit_memos.transform(pending, body)
    unshipped = order(model, "o-3", ("A", 1))
    restock = {"item": {"items": [{"orderLine": 1, "quantity": 1, "restock": True}]}}
    with pytest.raises(UserError, match="only 0 shipped and not yet restocked"):
        model.credit_memos.transform(unshipped, restock)
    assert model.stats()["credit_memos"]["rejected"] == 3


def test_journal_upsert_replaces_lines_and_post_refuses_a_taken_external_id() -> None:
    model, _ = make_model()

    def body(amount: str, **extra: Any) -> dict[str, Any]:
        return {
            "line": {
                "items": [
                    {"account": {"id": "1000"}, "debit": amount, "credit": "0.00"},
                    {"account": {"id": 4000}, "credit": amount},
                ]
            },
            **extra,
        }

    entry, created = model.journal.upsert("je-1", body("5.00"))
    again, created_again = model.journal.upsert("je-1", body("7.00", memo="fixed"))
    assert created and not created_again and again is entry
    assert (entry.total, entry.memo, len(model.journal.by_id)) == (Decimal("7.00"), "fixed", 1)
    with pytest.raises(DuplicateRecord, match="already exists"):
        model.journal.create(body("1.00", externalId="je-1"))
    with pytest.raises(InvalidContent, match="exactly one of debit or credit"):
        model.journal.create(
            {"line": {"items": [{"account": {"id": "1000"}, "debit": "1.00", "credit": "1.00"}]}}
        )
    model.seed({"accounts": [{"id": "7000", "name": "Chargebacks"}]})
    model.journal.create(
        {
            "line": {
                "items": [
                    {"account": {"id": "7000"}, "debit": "1.00"},
                    {"account": {"id": "1000"}, "credit": "1.00"},
                ]
            }
        }
    )
    assert model.stats()["journal_entries"] == {"created": 2, "updated": 1, "rejected": 2}


def test_lines_credited_before_shipping_cannot_be_replaced() -> None:
    model, _ = make_model()
    ref = order(model, "o-1", ("A", 2))
    model.credit_memos.transform(ref, {"item": {"items": [{"orderLine": 1, "quantity": 1}]}})
    new_lines = {"item": {"items": [{"item": {"externalId": "B"}, "quantity": 1, "rate": "1.00"}]}}
    with pytest.raises(UserError, match=r"credit memo\(s\) 2002 were created from them"):
        model.orders.edit(ref, new_lines, replace={"item"})
    model.orders.edit(ref, {"memo": "call the customer"}, replace=set())  # the header still can
    assert level(model, "A") == (5, 2, 0) and model.orders.get(ref).memo == "call the customer"
