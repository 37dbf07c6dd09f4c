"""The ERP model without HTTP: allocation, idempotent upsert, totals, queries, stock moves."""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Any

import pytest

from mocks.common.money import loads_exact
from mocks.erp.constants import ErpSettings
from mocks.erp.errors import (
    InsufficientStock,
    InvalidContent,
    InvalidParameter,
    InvalidSeed,
    NonexistentId,
    UnknownLocation,
    UnknownSku,
    UserError,
)
from mocks.erp.models import ErpModel
from mocks.erp.records import inventory_record
from mocks.erp.schemas import parse_inventory_query
from simclock import VirtualClock

START = 1_795_737_600.0  # 2026-11-27T00:00:00Z


def make_model(**overrides: Any) -> tuple[ErpModel, VirtualClock]:
    clock = VirtualClock(START)
    model = ErpModel(settings=ErpSettings.from_overrides(overrides), clock=clock, seed=7)
    model.seed(
        {
            "locations": [{"id": "1", "name": "Main Warehouse"}, {"id": "2", "name": "Annex"}],
            "items": [
                {"sku": "SKU-0001", "on_hand": {"1": 5}},
                {"sku": "SKU-0002", "on_hand": {"1": 10, "2": 3}},
                {"sku": "SKU-0003", "on_hand": {"1": 0}},
            ],
        }
    )
    return model, clock


def order_body(eid: str, *lines: tuple[str, int, str], **header: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "externalId": eid,
        "custbody_rh_channel": "shopify",
        "custbody_rh_channel_order_id": eid.split("-")[-1],
        "otherRefNum": "#1001",
        "tranDate": "2026-11-27",
        "currency": {"refName": "USD"},
        "entity": {"externalId": "a@example.com"},
        "location": {"id": "1"},
        "item": {
            "items": [
                {
                    "item": {"externalId": sku},
                    "quantity": qty,
                    "rate": rate,
                    "amount": str(Decimal(rate) * qty),
                }
                for sku, qty, rate in lines
            ]
        },
    }
    body.update(header)
    return body


def level(model: ErpModel, sku: str, location: str = "1") -> tuple[int, int, int, int]:
    lv = model.items[sku].levels[location]
    return lv.on_hand, lv.committed, lv.available, lv.backordered


def test_allocation_commits_what_is_available_and_backorders_the_rest() -> None:
    model, _ = make_model()
    first, created = model.upsert_sales_order(
        "shopify-1", order_body("shopify-1", ("SKU-0001", 3, "10.00"))
    )
    second, _ = model.upsert_sales_order(
        "shopify-2", order_body("shopify-2", ("SKU-0001", 4, "10.00"), ("SKU-0003", 2, "1.00"))
    )
    assert created
    assert [(ln.committed, ln.backordered) for ln in first.lines] == [(3, 0)]
    assert [(ln.committed, ln.backordered) for ln in second.lines] == [(2, 2), (0, 2)]
    assert level(model, "SKU-0001") == (5, 5, 0, 2)
    assert level(model, "SKU-0003") == (0, 0, 0, 2)
    state_lines = model.state()["sales_orders"][1]["lines"]
    assert [(ln["committed"], ln["backordered"]) for ln in state_lines] == [(2, 2), (0, 2)]


def test_two_lines_of_one_sku_allocate_in_order() -> None:
    model, _ = make_model()
    order, _ = model.upsert_sales_order(
        "x-1", order_body("x-1", ("SKU-0001", 4, "1.00"), ("SKU-0001", 4, "1.00"))
    )
    assert [(ln.committed, ln.backordered) for ln in order.lines] == [(4, 0), (1, 3)]
    assert level(model, "SKU-0001") == (5, 5, 0, 3)


def test_repeat_upsert_updates_header_only_and_never_reallocates() -> None:
    model, clock = make_model()
    body = order_body("shopify-9", ("SKU-0002", 4, "20.00"), shippingCost="5.00")
    for _ in range(3):
        model.upsert_sales_order("shopify-9", copy.deepcopy(body))
    assert len(model.sales_orders) == 1
    assert len(model.customers) == 1
    assert level(model, "SKU-0002") == (10, 4, 6, 0)
    clock.advance(60)
    changed = order_body("shopify-9", ("SKU-0002", 9, "20.00"), shippingCost="7.50")
    order, created = model.upsert_sales_order("shopify-9", changed)
    assert not created
    assert order.shipping_cost == Decimal("7.50")
    assert [ln.quantity for ln in order.lines] == [4]  # lines fixed at creation
    assert level(model, "SKU-0002") == (10, 4, 6, 0)
    assert order.last_modified_ts == START + 60 and order.created_ts == START
    assert model.stats()["upserts"] == {"created": 1, "updated": 3}
    assert model.stats()["sales_orders"] == 1


def test_totals_are_exact_decimals() -> None:
    model, _ = make_model()
    body = loads_exact(
        b'{"entity":{"externalId":"b@example.com"},"location":{"id":"1"},'
        b'"item":{"items":[{"item":{"externalId":"SKU-0002"},"quantity":3,"rate":"0.10",'
        b'"amount":"0.30","discountAmount":"0.10","taxAmount":"0.02"},'
        b'{"item":{"externalId":"SKU-0001"},"quantity":1,"rate":"0.20"}]},'
        b'"discountTotal":"0.10","taxTotal":"0.02","shippingCost":"0.01"}'
    )
    order, _ = model.upsert_sales_order("t-1", body)
    assert order.subtotal == Decimal("0.50")
    assert order.total == Decimal("0.43")
    record = model.sales_order_record(order)
    assert (record["subtotal"], record["total"]) == ("0.50", "0.43")
    assert record["item"]["items"][1]["amount"] == "0.20"  # amount derived from rate x qty
    assert record["tranId"] == "SO1001"


def test_unknown_item_is_refused_and_nothing_is_stored() -> None:
    model, _ = make_model()
    body = order_body("bad-1", ("SKU-0001", 1, "1.00"), ("SKU-X", 1, "1.00"))
    with pytest.raises(UserError) as info:
        model.upsert_sales_order("bad-1", body)
    assert info.value.body()["o:errorDetails"] == [
        {
            "detail": "Invalid Field Value SKU-X for the following field: item",
            "o:errorCode": "USER_ERROR",
        }
    ]
    assert model.sales_orders == {} and len(model.customers) == 0
    assert level(model, "SKU-0001") == (5, 0, 5, 0)


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'"rate": 20.5', "item.items[0].rate"),
        (b'"rate": "abc"', "item.items[0].rate"),
        (b'"rate": "1.001"', "item.items[0].rate"),
        (b'"rate": "1.00", "quantity": 0', "item.items[0].quantity"),
        (b'"rate": "1.00", "quantity": "2"', "item.items[0].quantity"),
    ],
)
def test_malformed_lines_are_invalid_content_naming_the_field(raw: bytes, field: str) -> None:
    model, _ = make_model()
    text = (
        b'{"entity":{"externalId":"c@x"},"location":{"id":"1"},"item":{"items":[{"item":'
        b'{"externalId":"SKU-0001"},"quantity":1,' + raw + b"}]}}"
    )
    with pytest.raises(InvalidContent, match=field.replace("[", r"\[").replace("]", r"\]")):
        model.upsert_sales_order("m-1", loads_exact(text))
    assert model.sales_orders == {}


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("entity"), "entity"),
        (lambda b: b.pop("location"), "location"),
        (lambda b: b["item"].update(items=[]), "item.items"),
        (lambda b: b.update(externalId="other"), "externalId"),
        (lambda b: b.update(shippingCost=Decimal("5.5")), "shippingCost"),
        (lambda b: b.update(tranDate="27/11/2026"), "tranDate"),
    ],
)
def test_header_problems_name_the_field(mutate: Any, field: str) -> None:
    model, _ = make_model()
    body = order_body("h-1", ("SKU-0001", 1, "1.00"))
    mutate(body)
    with pytest.raises(InvalidContent, match=field.replace("[", r"\[").replace("]", r"\]")):
        model.upsert_sales_order("h-1", body)


def test_unknown_location_is_a_user_error() -> None:
    model, _ = make_model()
    body = order_body("l-1", ("SKU-0001", 1, "1.00"), location={"id": "99"})
    with pytest.raises(UserError, match="Invalid Field Value 99 for the following field: location"):
        model.upsert_sales_order("l-1", body)


def test_customers_are_created_once_per_external_id() -> None:
    model, _ = make_model()
    model.upsert_sales_order("c-1", order_body("c-1", ("SKU-0002", 1, "1.00")))
    model.upsert_sales_order("c-2", order_body("c-2", ("SKU-0002", 1, "1.00")))
    other = order_body("c-3", ("SKU-0002", 1, "1.00"), entity={"externalId": "z@example.com"})
    model.upsert_sales_order("c-3", other)
    assert sorted(model.customers.by_external_id) == ["a@example.com", "z@example.com"]
    assert model.sales_orders["c-1"].customer is model.sales_orders["c-2"].customer


def test_get_sales_order_by_eid_and_internal_id() -> None:
    model, _ = make_model()
    order, _ = model.upsert_sales_order("g-1", order_body("g-1", ("SKU-0002", 1, "1.00")))
    assert model.get_sales_order("eid:g-1") is order
    assert model.get_sales_order(str(order.id)) is order
    with pytest.raises(NonexistentId):
        model.get_sales_order("eid:missing")
    with pytest.raises(InvalidParameter):
        model.get_sales_order("abc")


def test_inventory_query_filters_on_last_modified_and_orders_ascending() -> None:
    model, clock = make_model()
    settings = model.settings
    clock.advance(10.5)
    model.upsert_sales_order("q-1", order_body("q-1", ("SKU-0003", 1, "1.00")))
    clock.advance(1)
    model.stock_movement({"sku": "SKU-0001", "location_id": "1", "delta": 2, "reason": "receipt"})

    def skus(q: str | None, *, limit: str | None = None, offset: str | None = None) -> list[str]:
        page = model.query_inventory(parse_inventory_query(q, limit, offset, settings))
        return [item["itemId"] for item in page.items]

    assert skus(None) == ["SKU-0002", "SKU-0003", "SKU-0001"]
    assert skus('lastModifiedDate ON_OR_AFTER "2026-11-27T00:00:10.500Z"') == [
        "SKU-0003",
        "SKU-0001",
    ]
    assert skus('lastModifiedDate AFTER "2026-11-27T00:00:10.500Z"') == ["SKU-0001"]
    assert skus('lastModifiedDate ON_OR_AFTER "2026-11-27T00:00:11.501Z"') == []
    page = model.query_inventory(parse_inventory_query(None, "2", "2", settings))
    assert (page.total, page.has_more, len(page.items)) == (3, False, 1)
    first = model.query_inventory(parse_inventory_query(None, "2", None, settings))
    assert first.has_more
    assert first.items[0]["lastModifiedDate"] == "2026-11-27T00:00:00.000Z"
    record = inventory_record(model.items["SKU-0001"], model.locations)
    assert record["lastModifiedDate"] == "2026-11-27T00:00:11.500Z"


@pytest.mark.parametrize(
    ("q", "limit", "offset"),
    [
        ("name IS foo", None, None),
        ('lastModifiedDate ON_OR_AFTER "yesterday"', None, None),
        (None, "1001", None),
        (None, "0", None),
        (None, "ten", None),
        (None, None, "-1"),
    ],
)
def test_bad_query_parameters_are_invalid_parameter(
    q: str | None, limit: str | None, offset: str | None
) -> None:
    with pytest.raises(InvalidParameter):
        parse_inventory_query(q, limit, offset, ErpSettings())


def test_stock_movement_cannot_take_more_than_available() -> None:
    model, _ = make_model()
    model.upsert_sales_order("s-1", order_body("s-1", ("SKU-0001", 3, "1.00")))
    with pytest.raises(InsufficientStock) as info:
        model.stock_movement(
            {"sku": "SKU-0001", "location_id": "1", "delta": -3, "reason": "other_channel"}
        )
    assert info.value.status == 409
    assert info.value.body()["available"] == 2
    assert level(model, "SKU-0001") == (5, 3, 2, 0)
    moved = model.stock_movement(
        {"sku": "SKU-0001", "location_id": "1", "delta": -2, "reason": "other_channel"}
    )
    assert (moved["on_hand"], moved["available"]) == (3, 0)
    with pytest.raises(UnknownSku):
        model.stock_movement({"sku": "NOPE", "location_id": "1", "delta": 1, "reason": "receipt"})
    with pytest.raises(UnknownLocation):
        model.stock_movement(
            {"sku": "SKU-0001", "location_id": "9", "delta": 1, "reason": "receipt"}
        )


def test_seed_is_validated_before_anything_changes() -> None:
    model, _ = make_model()
    with pytest.raises(InvalidSeed, match="unknown location id '7'"):
        model.seed(
            {"items": [{"sku": "NEW", "on_hand": {"1": 1}}, {"sku": "B", "on_hand": {"7": 1}}]}
        )
    assert "NEW" not in model.items


def test_settings_refuse_unknown_keys_by_name() -> None:
    with pytest.raises(ValueError, match="concurency_limit"):
        ErpSettings.from_overrides({"concurency_limit": 5})
    assert ErpSettings.from_overrides({"concurrency_limit": 5}).concurrency_limit == 5
    with pytest.raises(ValueError, match="query_page_limit_default"):
        ErpSettings.from_overrides({"query_page_limit_default": 2000})


def test_latency_is_seeded_capped_and_replayed_after_reset() -> None:
    model, _ = make_model(write_latency_max=1.5)
    draws = [model.draw_latency("write") for _ in range(200)]
    assert max(draws) == 1.5 and min(draws) > 0
    model.reset()
    assert [model.draw_latency("write") for _ in range(200)] == draws
    zero, _ = make_model(read_latency_median=0)
    assert zero.draw_latency("read") == 0.0
