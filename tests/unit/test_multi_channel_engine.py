"""Two channels, one ERP, in process: orders from both reach the ERP once each with exact
money, stock held by one channel's orders is withheld from the other, a Shopware promotion
line becomes the discount item, and a closeout product's ignored stock write is surfaced."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from tests.multi_harness import Multi, build_multi


def run(scenario: Callable[[Multi], Awaitable[None]], **kw: Any) -> None:
    async def go() -> None:
        system = await build_multi(**kw)
        try:
            await scenario(system)
        finally:
            await system.engine.stop()

    asyncio.run(go())


def by_external_id(erp: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {so["externalId"]: so for so in erp["sales_orders"]}


def test_orders_from_two_channels_reach_the_erp_once_each_with_exact_totals() -> None:
    async def scenario(m: Multi) -> None:
        r1 = await m.post(
            "shopify",
            "/_sim/checkout",
            {"lines": [{"sku": "A", "quantity": 2}], "email": "ann@example.com"},
        )
        r2 = await m.post(
            "shopware",
            "/_sim/checkout",
            {
                "lines": [{"productNumber": "A", "quantity": 1}],
                "email": "Ann@Example.com",
                "promotion_code": "FIVEOFF",
            },
        )
        assert (r1.status_code, r2.status_code) == (201, 201), (r1.text, r2.text)
        answers = await m.deliver_all()
        assert all(a.status_code == 200 for a in answers), [a.text for a in answers]
        await m.deliver_all()  # duplicates and late ones change nothing
        await m.engine.orders.drain()
        erp = await m.state("erp")
        shopify_order = r1.json()["order"]
        shopware_order = r2.json()["order"]
        sos = by_external_id(erp)
        assert set(sos) == {f"shopify-{shopify_order['id']}", f"shopware-{shopware_order['id']}"}
        assert sos[f"shopify-{shopify_order['id']}"]["total"] == shopify_order["total_price"]
        sw = sos[f"shopware-{shopware_order['id']}"]
        assert Decimal(sw["total"]) == Decimal(str(shopware_order["amountTotal"]))
        assert any(line["sku"] == "DISCOUNT" for line in sw["lines"])  # the promotion line
        assert m.engine.store.held_records() == []

    run(scenario, skus={"A": 10, "B": 5})


def test_units_one_channel_sold_are_withheld_from_the_other_until_the_erp_has_them() -> None:
    async def scenario(m: Multi) -> None:
        r = await m.post(
            "shopify",
            "/_sim/checkout",
            {"lines": [{"sku": "A", "quantity": 3}], "email": "b@example.com"},
        )
        assert r.status_code == 201
        await m.deliver_all()  # the order is known, not yet in the ERP
        await m.engine.inventory.push_once()
        shopware = await m.state("shopware")
        stock = {p["productNumber"]: p["stock"] for p in shopware["products"]}
        assert stock["A"] == 10 - 3  # Shopware no longer offers what Shopify sold

    run(scenario, skus={"A": 10})


def test_a_closeout_products_ignored_stock_write_is_held_not_silent() -> None:
    async def scenario(m: Multi) -> None:
        await m.post(
            "erp",
            "/_sim/stock-movement",
            {"sku": "LAST", "location_id": "1", "delta": -2, "reason": "other_channel"},
        )
        await m.engine.inventory.poll_erp()
        await m.engine.inventory.push_once()
        (held,) = [j for j in m.engine.store.held_jobs() if j["flow"] == "inventory"]
        assert held["record_key"] == "shopware:default:LAST"
        (group,) = m.engine.store.exceptions(flow="inventory")
        assert group["code"] == "SHOPWARE_STOCK_WRITE_IGNORED"
        await m.engine.inventory.push_once()  # not pushed again until the next full sync
        assert len(m.engine.store.held_jobs()) == 1

    products = [
        {
            "productNumber": "LAST",
            "name": "Last pieces",
            "stock": 5,
            "price": "49.00",
            "isCloseout": True,
        }
    ]
    run(scenario, skus={"LAST": 5}, shopware_products=products)
