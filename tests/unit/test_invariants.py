from __future__ import annotations

from typing import Any

from scenarios.invariants import check, percentile

LOC_MAP = {"1": 77}


def shop_order(oid: int, created: float = 100.0, total: str = "25.80") -> dict[str, Any]:
    return {
        "id": oid,
        "created_at_ts": created,
        "total_price": total,
        "total_tax": "0.80",
        "total_discounts": "0.00",
        "shipping_lines": [{"price": "5.00"}],
    }


def sales_order(
    oid: int, created: float = 101.0, backordered: int = 0, total: str = "25.80"
) -> dict[str, Any]:
    return {
        "channel": "shopify",
        "channel_order_id": str(oid),
        "created_ts": created,
        "total": total,
        "tax_total": "0.80",
        "discount_total": "0.00",
        "shipping_cost": "5.00",
        "lines": [
            {"sku": "A", "quantity": 2, "committed": 2 - backordered, "backordered": backordered}
        ],
    }


def states(
    orders: list[dict[str, Any]],
    sos: list[dict[str, Any]],
    channel_avail: int = 5,
    erp_avail: int = 5,
) -> tuple[dict[str, Any], dict[str, Any]]:
    shopify = {
        "orders": orders,
        "inventory_levels": [{"sku": "A", "location_id": 77, "available": channel_avail}],
    }
    erp = {
        "sales_orders": sos,
        "items": [{"sku": "A", "locations": [{"location_id": "1", "available": erp_avail}]}],
    }
    return shopify, erp


def test_clean_run_has_no_findings() -> None:
    shopify, erp = states([shop_order(1), shop_order(2)], [sales_order(1), sales_order(2)])
    f = check(shopify, erp, stock_buffer=0, location_map=LOC_MAP)
    assert (f.lost, f.duplicated, f.oversold_units, f.stock_drift_units, f.amount_drift) == (
        0,
        0,
        0,
        0,
        0,
    )
    assert f.orders_synced == 2 and f.latency.p50 == 1.0


def test_lost_duplicated_and_unsurfaced() -> None:
    shopify, erp = states(
        [shop_order(1), shop_order(2), shop_order(3)], [sales_order(1), sales_order(1)]
    )
    f = check(shopify, erp, stock_buffer=0, location_map=LOC_MAP, exception_keys={"3"})
    assert f.lost == 2 and f.duplicated == 1
    assert f.unsurfaced_failures == 1 and f.examples["lost"] == ["shopify-2", "shopify-3"]
    assert f.examples["unsurfaced"] == ["shopify-2"]


def test_oversold_is_backordered_units() -> None:
    shopify, erp = states([shop_order(1)], [sales_order(1, backordered=2)])
    assert check(shopify, erp, stock_buffer=0, location_map=LOC_MAP).oversold_units == 2


def test_stock_drift_respects_buffer() -> None:
    shopify, erp = states([], [], channel_avail=3, erp_avail=5)
    assert check(shopify, erp, stock_buffer=2, location_map=LOC_MAP).stock_drift_units == 0
    f = check(shopify, erp, stock_buffer=0, location_map=LOC_MAP)
    assert f.stock_drift_keys == 1 and f.stock_drift_units == 2


def test_amount_drift_is_exact_to_the_cent() -> None:
    shopify, erp = states([shop_order(1, total="25.80")], [sales_order(1, total="25.81")])
    f = check(shopify, erp, stock_buffer=0, location_map=LOC_MAP)
    assert f.amount_drift == 1 and f.examples["amount_drift"][0]["field"] == "total"


def test_percentile_nearest_rank() -> None:
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50.0 and percentile(values, 99) == 99.0
    assert percentile([], 50) is None
