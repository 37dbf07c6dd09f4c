"""Shopify mock: order lifecycle over REST (fulfillments, refunds, cancel, money trail, versions).

In-process over httpx.ASGITransport on a virtual clock; no sleeping.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.shopify.api import create_app
from simclock import VirtualClock

TOKEN = "shpat_test"
AUTH = {"X-Shopify-Access-Token": TOKEN}
V = "/admin/api/2026-01"
SEED = {
    "locations": [{"name": "Warehouse"}, {"name": "Store"}],
    "products": [
        {"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 100}},
        {"sku": "SKU-2", "title": "Cap", "price": "7.35", "inventory": {"Warehouse": 10}},
    ],
}
Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


def run(scenario: Scenario, *, settings: dict[str, Any] | None = None) -> None:
    """A seeded app on a virtual clock, driven by ``scenario``."""
    clock = VirtualClock()
    app = create_app(
        settings=settings or {},
        clock=clock,
        credentials={"access_token": TOKEN, "webhook_secret": "s"},
        seed=7,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, app, clock)

    asyncio.run(main())


async def order_of(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    body.setdefault("lines", [{"sku": "SKU-1", "quantity": 2}, {"sku": "SKU-2", "quantity": 3}])
    r = await client.post("/_sim/checkout", json=body)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()["order"]
    return order


async def fulfillment_orders(client: httpx.AsyncClient, order_id: int) -> list[dict[str, Any]]:
    r = await client.get(f"{V}/orders/{order_id}/fulfillment_orders.json", headers=AUTH)
    assert r.status_code == 200
    fos: list[dict[str, Any]] = r.json()["fulfillment_orders"]
    return fos


async def level(client: httpx.AsyncClient, sku: str, location: str = "Warehouse") -> int:
    state = (await client.get("/_mock/state")).json()
    loc = next(x["id"] for x in state["locations"] if x["name"] == location)
    return int(
        next(
            lv["available"]
            for lv in state["inventory_levels"]
            if lv["sku"] == sku and lv["location_id"] == loc
        )
    )


# -- fulfillment orders and fulfillments ------------------------------------------------------


def test_checkout_opens_a_fulfillment_order_at_the_location_stock_came_from() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client)
        (fo,) = await fulfillment_orders(client, order["id"])
        locations = (await client.get(f"{V}/locations.json", headers=AUTH)).json()["locations"]
        assert fo["assigned_location_id"] == locations[0]["id"]
        assert fo["status"] == "open" and fo["order_id"] == order["id"]
        assert [
            (li["line_item_id"], li["quantity"], li["fulfillable_quantity"])
            for li in fo["line_items"]
        ] == [(li["id"], li["quantity"], li["quantity"]) for li in order["line_items"]]

    run(scenario)


def test_partial_then_full_fulfillment_moves_statuses_and_keeps_tracking() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client)
        (fo,) = await fulfillment_orders(client, order["id"])
        first_line = fo["line_items"][0]
        body = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {
                        "fulfillment_order_id": fo["id"],
                        "fulfillment_order_line_items": [{"id": first_line["id"], "quantity": 1}],
                    }
                ],
                "tracking_info": {"number": "1Z1", "url": "https://t/1Z1", "company": "UPS"},
                "notify_customer": True,
            }
        }
        r = await client.post(f"{V}/fulfillments.json", json=body, headers=AUTH)
        assert r.status_code == 201, r.text
        f = r.json()["fulfillment"]
        assert (f["tracking_number"], f["tracking_company"], f["status"]) == (
            "1Z1",
            "UPS",
            "success",
        )
        assert f["line_items"][0]["quantity"] == 1 and f["name"] == f"{order['name']}.1"
        (fo,) = await fulfillment_orders(client, order["id"])
        assert fo["status"] == "in_progress"
        got = (await client.get(f"{V}/orders/{order['id']}.json", headers=AUTH)).json()["order"]
        assert got["fulfillment_status"] == "partial"
        # Too many units: Shopify's error.
        over = {
            "fulfillment": {
                "line_items_by_fulfillment_order": [
                    {
                        "fulfillment_order_id": fo["id"],
                        "fulfillment_order_line_items": [{"id": first_line["id"], "quantity": 5}],
                    }
                ]
            }
        }
        r = await client.post(f"{V}/fulfillments.json", json=over, headers=AUTH)
        assert r.status_code == 422
        assert r.json() == {"errors": ["Invalid fulfillment order line item quantity requested."]}
        # The rest (line items omitted = everything remaining).
        rest = {
            "fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}
        }
        assert (
            await client.post(f"{V}/fulfillments.json", json=rest, headers=AUTH)
        ).status_code == 201
        (fo,) = await fulfillment_orders(client, order["id"])
        assert fo["status"] == "closed"
        assert all(li["fulfillable_quantity"] == 0 for li in fo["line_items"])
        again = await client.post(f"{V}/fulfillments.json", json=rest, headers=AUTH)
        assert again.json() == {
            "errors": [f"Fulfillment order {fo['id']} has an unfulfillable status= closed."]
        }
        got = (await client.get(f"{V}/orders/{order['id']}.json", headers=AUTH)).json()["order"]
        assert got["fulfillment_status"] == "fulfilled"
        fs = await client.get(f"{V}/orders/{order['id']}/fulfillments.json", headers=AUTH)
        assert len(fs.json()["fulfillments"]) == 2
        upd = {"fulfillment": {"tracking_info": {"number": "9X", "company": "DHL"}}}
        r = await client.post(
            f"{V}/fulfillments/{f['id']}/update_tracking.json", json=upd, headers=AUTH
        )
        assert r.status_code == 200 and r.json()["fulfillment"]["tracking_number"] == "9X"
        fs = await client.get(f"{V}/orders/{order['id']}/fulfillments.json", headers=AUTH)
        assert fs.json()["fulfillments"][0]["tracking_company"] == "DHL"

    run(scenario)


# -- refunds ----------------------------------------------------------------------------------


def test_refund_amounts_add_up_exactly_over_partial_refunds_and_restock_returns_units() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client, discount_code="FLASH10")
        cap = order["line_items"][1]  # 3 x 7.35, discounted, taxed: awkward cents on purpose
        before = await level(client, "SKU-2")
        subtotals, taxes = [], []
        for _ in range(3):
            body = {
                "refund": {
                    "refund_line_items": [
                        {"line_item_id": cap["id"], "quantity": 1, "restock_type": "cancel"}
                    ]
                }
            }
            r = await client.post(f"{V}/orders/{order['id']}/refunds.json", json=body, headers=AUTH)
            assert r.status_code == 201, r.text
            (rli,) = r.json()["refund"]["refund_line_items"]
            subtotals.append(Decimal(rli["subtotal"]))
            taxes.append(Decimal(rli["total_tax"]))
        line_net = Decimal(cap["price"]) * 3 - Decimal(cap["total_discount"])
        assert sum(subtotals) == line_net
        assert sum(taxes) == Decimal(cap["tax_lines"][0]["price"])
        assert await level(client, "SKU-2") == before + 3
        body = {
            "refund": {
                "refund_line_items": [
                    {"line_item_id": cap["id"], "quantity": 1, "restock_type": "no_restock"}
                ]
            }
        }
        r = await client.post(f"{V}/orders/{order['id']}/refunds.json", json=body, headers=AUTH)
        assert r.status_code == 422
        assert r.json() == {
            "errors": {
                "refund_line_items.quantity": ["cannot refund more items than were purchased"]
            }
        }
        listed = await client.get(f"{V}/orders/{order['id']}/refunds.json", headers=AUTH)
        assert len(listed.json()["refunds"]) == 3

    run(scenario)


def test_refund_with_transactions_moves_money_and_sets_financial_status() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client)
        tee = order["line_items"][0]
        calc = await client.post(
            f"{V}/orders/{order['id']}/refunds/calculate.json",
            json={
                "refund": {
                    "refund_line_items": [{"line_item_id": tee["id"], "quantity": 2}],
                    "shipping": {"full_refund": True},
                }
            },
            headers=AUTH,
        )
        suggested = calc.json()["refund"]["transactions"][0]
        # 2 x 20.00 + 8% tax + 5.00 shipping
        assert suggested["amount"] == "48.20"
        body = {
            "refund": {
                "refund_line_items": [
                    {"line_item_id": tee["id"], "quantity": 2, "restock_type": "cancel"}
                ],
                "shipping": {"full_refund": True},
                "transactions": [
                    {
                        "parent_id": suggested["parent_id"],
                        "amount": "48.20",
                        "kind": "refund",
                        "gateway": "shopify_payments",
                    }
                ],
            }
        }
        r = await client.post(f"{V}/orders/{order['id']}/refunds.json", json=body, headers=AUTH)
        assert r.status_code == 201, r.text
        refund = r.json()["refund"]
        assert refund["order_adjustments"][0]["amount"] == "-5.00"
        txns = (
            await client.get(f"{V}/orders/{order['id']}/transactions.json", headers=AUTH)
        ).json()
        kinds = [(t["kind"], t["amount"]) for t in txns["transactions"]]
        assert kinds == [("sale", order["total_price"]), ("refund", "48.20")]
        got = (await client.get(f"{V}/orders/{order['id']}.json", headers=AUTH)).json()["order"]
        assert got["financial_status"] == "partially_refunded"
        assert got["line_items"][0]["current_quantity"] == 0
        assert got["line_items"][0]["quantity"] == 2  # the original never changes
        too_much = {"refund": {"transactions": [{"amount": "1000.00", "kind": "refund"}]}}
        r = await client.post(f"{V}/orders/{order['id']}/refunds.json", json=too_much, headers=AUTH)
        assert r.status_code == 422
        count = await client.get(
            f"{V}/orders/count.json?status=any&financial_status=partially_refunded", headers=AUTH
        )
        assert count.json() == {"count": 1}

    run(scenario)


def test_legacy_restock_is_refused_and_return_needs_shipped_units() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client)
        tee = order["line_items"][0]
        for restock_type in ("legacy_restock", "return"):
            body = {
                "refund": {
                    "refund_line_items": [
                        {"line_item_id": tee["id"], "quantity": 1, "restock_type": restock_type}
                    ]
                }
            }
            r = await client.post(f"{V}/orders/{order['id']}/refunds.json", json=body, headers=AUTH)
            assert r.status_code == 422, restock_type

    run(scenario)


# -- cancel -----------------------------------------------------------------------------------


def test_cancel_restocks_refunds_and_is_refused_twice() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client)
        before = await level(client, "SKU-1")
        r = await client.post(
            f"{V}/orders/{order['id']}/cancel.json",
            json={"reason": "customer", "restock": True, "refund": True},
            headers=AUTH,
        )
        assert r.status_code == 200, r.text
        cancelled = r.json()["order"]
        assert cancelled["cancel_reason"] == "customer" and cancelled["cancelled_at"]
        assert cancelled["financial_status"] == "refunded"
        assert await level(client, "SKU-1") == before + 2
        (fo,) = await fulfillment_orders(client, order["id"])
        assert fo["status"] == "cancelled"
        again = await client.post(f"{V}/orders/{order['id']}/cancel.json", json={}, headers=AUTH)
        assert again.status_code == 422
        assert again.json() == {"errors": {"base": ["Order has already been cancelled"]}}
        n = await client.get(f"{V}/orders/count.json?status=cancelled", headers=AUTH)
        assert n.json() == {"count": 1}

    run(scenario)


def test_cancel_is_refused_once_the_order_has_fulfillments() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client)
        (fo,) = await fulfillment_orders(client, order["id"])
        body = {
            "fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}
        }
        assert (
            await client.post(f"{V}/fulfillments.json", json=body, headers=AUTH)
        ).status_code == 201
        r = await client.post(f"{V}/orders/{order['id']}/cancel.json", json={}, headers=AUTH)
        assert r.status_code == 422
        assert r.json() == {"errors": {"base": ["Cannot cancel an order with fulfillments"]}}

    run(scenario)


# -- payments: fees, payouts, reconciliation ----------------------------------------------------


def test_payout_sweeps_pending_balance_and_reconciles_to_the_cent() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        orders = [await order_of(client) for _ in range(3)]
        total = Decimal(orders[0]["total_price"])  # 2x20 + 3x7.35 + tax + 5.00
        assert total == Decimal("72.01")
        tee = orders[0]["line_items"][0]
        body = {
            "refund": {
                "refund_line_items": [{"line_item_id": tee["id"], "quantity": 1}],
                "transactions": [{"amount": "10.00", "kind": "refund"}],
            }
        }
        await client.post(f"{V}/orders/{orders[0]['id']}/refunds.json", json=body, headers=AUTH)
        r = await client.post("/_sim/payout")
        assert r.status_code == 200
        payout = r.json()["payout"]
        # fee = round(72.01 * 2.9%) + 0.30 = 2.09 + 0.30 = 2.39 per sale
        assert payout["amount"] == str(3 * (total - Decimal("2.39")) - Decimal("10.00"))
        assert payout["summary"]["charges_fee_amount"] == "7.17"
        bts = await client.get(
            f"{V}/shopify_payments/balance/transactions.json?payout_id={payout['id']}&limit=250",
            headers=AUTH,
        )
        rows = bts.json()["transactions"]
        assert sorted(r["type"] for r in rows) == ["charge", "charge", "charge", "refund"]
        assert sum(Decimal(r["net"]) for r in rows) == Decimal(payout["amount"])
        assert all(r["payout_status"] == "paid" for r in rows)
        day = payout["date"]
        listed = await client.get(
            f"{V}/shopify_payments/payouts.json?date_min={day}&date_max={day}", headers=AUTH
        )
        assert [p["id"] for p in listed.json()["payouts"]] == [payout["id"]]
        none = await client.get(
            f"{V}/shopify_payments/payouts.json?date_max=2000-01-01", headers=AUTH
        )
        assert none.json()["payouts"] == []
        assert (await client.post("/_sim/payout")).status_code == 409  # nothing pending

    run(scenario, settings={"payments_fee_percent": "2.9", "payments_fee_fixed": "0.30"})


# -- orders/count filters -------------------------------------------------------------------------


def test_orders_count_takes_every_list_filter() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        a = await order_of(client)
        clock.advance(100)
        b = await order_of(client)
        (fo,) = await fulfillment_orders(client, b["id"])
        body = {
            "fulfillment": {"line_items_by_fulfillment_order": [{"fulfillment_order_id": fo["id"]}]}
        }
        await client.post(f"{V}/fulfillments.json", json=body, headers=AUTH)

        async def count(query: str) -> int:
            r = await client.get(f"{V}/orders/count.json?{query}", headers=AUTH)
            assert r.status_code == 200, r.text
            return int(r.json()["count"])

        assert await count("status=any") == 2
        assert await count(f"ids={a['id']}") == 1
        assert await count("fulfillment_status=shipped") == 1
        assert await count("fulfillment_status=unshipped") == 1
        assert await count("financial_status=paid") == 2
        assert await count(f"processed_at_min={b['processed_at']}") == 1
        assert await count(f"created_at_max={a['created_at']}") == 1
        bad = await client.get(f"{V}/orders/count.json?financial_status=nope", headers=AUTH)
        assert bad.status_code == 400

    run(scenario)


# -- API versions ---------------------------------------------------------------------------------


def test_breaking_change_total_discounts_removed_from_2026_07() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client, discount_code="FLASH10")
        old = await client.get(f"/admin/api/2026-01/orders/{order['id']}.json", headers=AUTH)
        assert old.json()["order"]["total_discounts"] == order["total_discounts"] != "0.00"
        assert "x-shopify-api-deprecated-reason" not in old.headers
        deprecated = await client.get("/admin/api/2026-04/orders.json?status=any", headers=AUTH)
        assert deprecated.headers["x-shopify-api-deprecated-reason"] == "Order.total_discounts"
        assert deprecated.json()["orders"][0]["total_discounts"] == order["total_discounts"]
        new = await client.get(f"/admin/api/2026-07/orders/{order['id']}.json", headers=AUTH)
        body = new.json()["order"]
        assert "total_discounts" not in body
        assert body["total_discounts_set"]["shop_money"]["amount"] == order["total_discounts"]
        # A connector still reading the old field regresses silently: it sees no discount.
        assert Decimal(body.get("total_discounts", "0")) == 0
        # Not asking for the deprecated field: no deprecation reason.
        narrow = await client.get(
            "/admin/api/2026-04/orders.json?status=any&fields=id", headers=AUTH
        )
        assert "x-shopify-api-deprecated-reason" not in narrow.headers

    run(scenario)


def test_deprecated_or_vanished_version_is_flagged_and_falls_forward() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        for path in ("/admin/api/2025-10/locations.json", "/admin/api/2019-07/locations.json"):
            r = await client.get(path, headers=AUTH)
            assert r.status_code == 200
            assert r.headers["x-shopify-api-version"] == "2025-10"
            assert "versioning" in r.headers["x-shopify-api-deprecated-reason"]
        r = await client.get("/admin/api/2026-01/locations.json", headers=AUTH)
        assert "x-shopify-api-deprecated-reason" not in r.headers

    run(scenario)


def test_breaking_change_regresses_the_engine_connector_unless_pinned() -> None:
    """The engine's REST connector reads ``total_discounts``: fine on 2026-01, zero on 2026-07."""
    from sync_engine.connectors.shopify_rest import order_from_wire

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        order = await order_of(client, discount_code="FLASH10")
        seen = {}
        for version in ("2026-01", "2026-07"):
            r = await client.get(f"/admin/api/{version}/orders/{order['id']}.json", headers=AUTH)
            seen[version] = order_from_wire(r.json()["order"]).discount_total
        assert seen["2026-01"] == Decimal(order["total_discounts"]) > 0
        assert seen["2026-07"] == 0  # silent amount drift, the regression CI should catch

    run(scenario)
