"""The invariants over staff actions: planted cancellation, refund and address discrepancies
are caught; the ones the engine holds in its exception queue (picking cut-off) are surfaced,
not drift; an order cancelled before it reached the back office is not lost."""

from __future__ import annotations

from typing import Any

from scenarios.invariants import Findings, check_channels
from scenarios.invariants_channels import read_back_office, read_channel
from scenarios.invariants_staff import HeldJobs

ADDRESS = {"address1": "1 Main Street", "city": "Springfield", "zip": "10001", "country_code": "US"}
ERP_ADDRESS = {
    "addressee": "a Shopper",
    "addr1": "1 Main Street",
    "city": "Springfield",
    "zip": "10001",
    "country": "US",
}


def shop_order(order_id: int, **over: Any) -> dict[str, Any]:
    return {
        "id": order_id,
        "created_at_ts": 10.0,
        "total_price": "50.00",
        "total_tax": "4.00",
        "total_discounts": "0.00",
        "shipping_lines": [{"price": "5.00"}],
        "line_items": [{"sku": "S1", "quantity": 2}],
        "cancelled_at": None,
        "refunds": [],
        "shipping_address": dict(ADDRESS),
        **over,
    }


def sales_order(order_id: int, **over: Any) -> dict[str, Any]:
    return {
        "externalId": f"shopify-{order_id}",
        "created_ts": 12.0,
        "total": "50.00",
        "tax_total": "4.00",
        "discount_total": "0.00",
        "shipping_cost": "5.00",
        "lines": [{"sku": "S1", "backordered": 0}],
        "status": "B",
        "credited_total": "0.00",
        "ship_address": dict(ERP_ADDRESS),
        **over,
    }


def refund(refund_id: int, amount: str) -> dict[str, Any]:
    transaction = {"kind": "refund", "status": "success", "amount": amount}
    return {"id": refund_id, "transactions": [transaction]}


def check(
    orders: list[dict[str, Any]],
    sales: list[dict[str, Any]],
    jobs: tuple[dict[str, Any], ...] | list[dict[str, Any]] = (),
    held_orders: frozenset[tuple[str, str]] = frozenset(),
) -> Findings:
    return check_channels(
        [read_channel("shopify", "shopify", {"orders": orders, "inventory_levels": []})],
        read_back_office("erp", {"sales_orders": sales, "items": []}),
        buffers={},
        location_maps={},
        held_jobs=jobs,
        exception_keys=held_orders,
    )


def test_everything_carried_is_clean() -> None:
    moved = {**ADDRESS, "address1": "7 Staff Lane", "zip": "20007"}
    f = check(
        [
            shop_order(1, cancelled_at="2026-11-27T10:00:00Z"),
            shop_order(2, refunds=[refund(91, "20.00"), refund(92, "5.50")]),
            shop_order(3, shipping_address=moved),
        ],
        [
            sales_order(1, status="C"),
            sales_order(2, credited_total="25.50"),
            sales_order(3, ship_address={**ERP_ADDRESS, "addr1": "7 Staff Lane", "zip": "20007"}),
        ],
    )
    assert (f.lost, f.cancel_drift, f.refund_drift, f.edit_drift, f.changes_held) == (0, 0, 0, 0, 0)


def test_planted_discrepancies_are_each_caught_once() -> None:
    f = check(
        [
            shop_order(1, cancelled_at="2026-11-27T10:00:00Z"),  # open in the ERP
            shop_order(2, refunds=[refund(91, "20.00")]),  # credited 10.00
            shop_order(3, shipping_address={**ADDRESS, "city": "Shelbyville"}),  # not carried
            shop_order(4),  # cancelled in the ERP only
        ],
        [
            sales_order(1),
            sales_order(2, credited_total="10.00"),
            sales_order(3),
            sales_order(4, status="C"),
        ],
    )
    assert (f.cancel_drift, f.refund_drift, f.edit_drift) == (2, 1, 1)
    assert f.examples["refund_drift"] == [
        {"order": "shopify-2", "channel": "20.00", "back_office": "10.00"}
    ]
    assert f.examples["edit_drift"] == [
        {
            "order": "shopify-3",
            "fields": {"city": {"channel": "Shelbyville", "back_office": "Springfield"}},
        }
    ]
    assert {x["order"] for x in f.examples["cancel_drift"]} == {"shopify-1", "shopify-4"}
    assert f.lost == 0 and f.amount_drift == 0


def test_changes_held_after_the_cut_off_are_surfaced_not_drift() -> None:
    jobs = [
        {"flow": "order_changes", "record_key": "shopify-1@1764237600000-cancel"},
        {"flow": "order_changes", "record_key": "shopify-3@1764237601000"},
        {"flow": "refunds", "record_key": "shopify-refund-91"},
        {"flow": "fulfilments", "record_key": "shopify-4@x"},
    ]
    orders = [
        shop_order(1, cancelled_at="2026-11-27T10:00:00Z"),
        shop_order(2, refunds=[refund(91, "20.00")]),
        shop_order(3, shipping_address={**ADDRESS, "city": "Shelbyville"}),
    ]
    sales = [sales_order(1, status="F"), sales_order(2), sales_order(3)]
    f = check(orders, sales, jobs)
    assert (f.cancel_drift, f.refund_drift, f.edit_drift) == (0, 0, 0)
    assert (f.changes_held, f.refunds_held) == (2, 1)
    # the same state without the held jobs: every one of them is drift
    g = check(orders, sales)
    assert (g.cancel_drift, g.refund_drift, g.edit_drift) == (1, 1, 1)
    # an order held itself (its cancel, sent with a late first sync, refused) is surfaced too
    h = check(orders[:1], sales[:1], held_orders=frozenset({("shopify", "1")}))
    assert (h.cancel_drift, h.changes_held) == (0, 1)


def test_cancelled_before_the_back_office_saw_it_is_not_lost_but_an_open_one_is() -> None:
    f = check(
        [shop_order(1, cancelled_at="2026-11-27T10:00:00Z"), shop_order(2)],
        [],
    )
    assert f.lost == 1 and f.examples["lost"] == ["shopify-2"]
    assert f.cancel_drift == 0


def test_held_jobs_are_read_from_the_engine_rows() -> None:
    held = HeldJobs.from_rows(
        [
            {"flow": "order_changes", "record_key": "web-7@17-cancel"},
            {"flow": "refunds", "record_key": "web-refund-3"},
        ]
    )
    assert held.changes == {"web-7"} and held.refunds == {"web-refund-3"}
