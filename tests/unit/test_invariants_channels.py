"""The invariants across channels and back offices, on hand-built ``/_mock/state`` shapes of
every platform: Shopify and SHOPLINE (net amounts, numeric and string ids), Shopware (gross
totals, UUIDs, one stock per product) in front of the NetSuite-style ERP or Fulfil."""

from __future__ import annotations

from typing import Any

import pytest

from scenarios.invariants import check_channels
from scenarios.invariants_channels import read_back_office, read_channel

SW_ORDER = "0b5e3c1a9f2d4e6a8c7b1d2e3f4a5b6c"


def shopify_order(oid: int | str, *, total: str = "25.80", sku: str = "A", qty: int = 1) -> dict:
    return {
        "id": oid,
        "created_at_ts": 100.0,
        "total_price": total,
        "total_tax": "0.80",
        "total_discounts": "0.00",
        "shipping_lines": [{"price": "5.00"}],
        "line_items": [{"sku": sku, "quantity": qty}],
    }


def shopware_order(oid: str, *, total: str = "29.74", tax: str = "4.75", qty: int = 1) -> dict:
    return {
        "id": oid,
        "created_at_ts": 100.0,
        "lineItems": [
            {"type": "product", "quantity": qty, "payload": {"productNumber": "A"}},
            {"type": "promotion", "quantity": 1, "payload": {}},
        ],
        "totals": {"total": total, "net": "24.99", "tax": tax, "shipping": "4.99"},
    }


def erp_so(
    external_id: str,
    *,
    total: str = "25.80",
    tax: str = "0.80",
    backordered: int = 0,
    discount: str = "0.00",
    shipping: str = "5.00",
) -> dict:
    channel, _, order_id = external_id.partition("-")
    return {
        "externalId": external_id,
        "channel": channel,
        "channel_order_id": order_id,
        "created_ts": 102.0,
        "total": total,
        "tax_total": tax,
        "discount_total": discount,
        "shipping_cost": shipping,
        "lines": [{"sku": "A", "quantity": 1, "backordered": backordered}],
    }


def erp_state(orders: list[dict], available: int = 20) -> dict[str, Any]:
    return {
        "sales_orders": orders,
        "items": [{"sku": "A", "locations": [{"location_id": "1", "available": available}]}],
    }


def fulfil_state(sales: list[dict], available: int = 20) -> dict[str, Any]:
    return {
        "sales": sales,
        "products": [
            {
                "code": "A",
                "locations": [{"location_id": 1, "on_hand": 30, "available": available}],
            }
        ],
    }


def fulfil_sale(identifier: str, total: str = "25.80", tax: str = "0.80") -> dict:
    return {
        "channel_identifier": identifier,
        "create_ts": 103.5,
        "state": "processing",
        "total_amount": total,
        "tax_amount": tax,
    }


def shop(orders: list[dict], available: int = 15, location: Any = 77) -> dict[str, Any]:
    return {
        "orders": orders,
        "inventory_levels": [{"sku": "A", "location_id": location, "available": available}],
    }


def shopware(orders: list[dict], available: int = 15) -> dict[str, Any]:
    return {
        "orders": orders,
        "inventory_levels": [{"sku": "A", "product_id": "p", "available": available}],
    }


LOCATIONS = {"shopify": {"1": "77"}, "shopline": {"1": "6100"}, "shopware": {"1": "default"}}
BUFFERS = {"shopify": 5, "shopline": 5, "shopware": 5}


def three_channels(
    shopify: dict[str, Any], shopline: dict[str, Any], sw: dict[str, Any]
) -> list[Any]:
    return [
        read_channel("shopify", "shopify", shopify),
        read_channel("shopline", "shopline", shopline),
        read_channel("shopware", "shopware", sw),
    ]


def test_three_channels_in_sync_with_the_erp_find_nothing() -> None:
    channels = three_channels(
        shop([shopify_order(1001)]),
        shop([shopify_order("2100000000000000001")], location="6100"),
        shopware([shopware_order(SW_ORDER)]),
    )
    erp = read_back_office(
        "erp",
        erp_state(
            [
                erp_so("shopify-1001"),
                erp_so("shopline-2100000000000000001"),
                # Shopware's gross figures: only total and tax are compared; the ERP's net
                # shipping and the promotion line's discount item differ and must not count.
                erp_so(f"shopware-{SW_ORDER}", total="29.74", tax="4.75", shipping="4.19"),
            ]
        ),
    )
    f = check_channels(channels, erp, buffers=BUFFERS, location_maps=LOCATIONS)
    found = (f.lost, f.duplicated, f.amount_drift, f.oversold_units, f.stock_drift_units)
    assert found == (0, 0, 0, 0, 0)
    assert f.orders_accepted == 3 and f.latency.count == 3 and f.latency.max == 2.0
    assert set(f.channels) == {"shopify", "shopline", "shopware"}
    assert f.channels["shopware"].orders_synced == 1


def test_a_lost_order_is_keyed_by_its_channel_and_surfaced_only_by_that_channel() -> None:
    # The same order id on two channels: only shopline's copy is in the ERP.
    channels = three_channels(
        shop([shopify_order(7)]), shop([shopify_order(7)], location="6100"), shopware([])
    )
    erp = read_back_office("erp", erp_state([erp_so("shopline-7")]))
    surfaced = check_channels(
        channels, erp, buffers={}, location_maps={}, exception_keys={("shopify", "7")}
    )
    assert surfaced.lost == 1 and surfaced.examples["lost"] == ["shopify-7"]
    assert surfaced.unsurfaced_failures == 0
    wrong_channel = check_channels(
        channels, erp, buffers={}, location_maps={}, exception_keys={("shopline", "7")}
    )
    assert wrong_channel.unsurfaced_failures == 1
    assert wrong_channel.channels["shopify"].lost == 1
    assert wrong_channel.channels["shopline"].lost == 0


def test_units_of_a_held_order_are_spoken_for_on_every_channel_not_counted_as_drift() -> None:
    # A Shopware order of 3 units never reached the ERP (ATS 20): the engine keeps those units
    # off every shelf, so each channel rightly shows 20 - 5 - 3 = 12.
    channels = three_channels(
        shop([], available=12),
        shop([], 12, location="6100"),
        shopware([shopware_order(SW_ORDER, qty=3)], available=12),
    )
    erp = read_back_office("erp", erp_state([], available=20))
    f = check_channels(channels, erp, buffers=BUFFERS, location_maps=LOCATIONS)
    assert f.lost == 1 and f.stock_drift_units == 0
    assert f.examples["lost"] == [f"shopware-{SW_ORDER}"]
    # Showing the full 15 would sell the held units again: drift on each channel.
    channels = three_channels(
        shop([], 15),
        shop([], 12, location="6100"),
        shopware([shopware_order(SW_ORDER, qty=3)], available=15),
    )
    f = check_channels(channels, erp, buffers=BUFFERS, location_maps=LOCATIONS)
    assert f.channels["shopify"].stock_drift_units == 3
    assert f.channels["shopline"].stock_drift_units == 0
    assert f.channels["shopware"].stock_drift_units == 3 and f.stock_drift_keys == 2


def test_stock_drift_per_channel_location_with_each_channels_own_buffer() -> None:
    shopline = shop([], location="6100")
    shopline["inventory_levels"] = [  # SHOPLINE allows a SKU twice: the levels add up
        {"sku": "A", "location_id": "6100", "available": 10},
        {"sku": "A", "location_id": "6100", "available": 8},
        {"sku": "B", "location_id": "6100", "available": 4},  # not stocked in the ERP
    ]
    channels = three_channels(shop([], 15), shopline, shopware([], available=12))
    erp = read_back_office("erp", erp_state([], available=20))
    buffers = {"shopify": 5, "shopline": 2, "shopware": 8}
    f = check_channels(channels, erp, buffers=buffers, location_maps=LOCATIONS)
    assert f.stock_drift_units == 0
    buffers["shopware"] = 5
    f = check_channels(channels, erp, buffers=buffers, location_maps=LOCATIONS)
    assert f.stock_drift_units == 3
    (drift,) = f.examples["stock_drift"]
    assert drift == {
        "channel_name": "shopware",
        "sku": "A",
        "location": "default",
        "channel": 12,
        "expected": 15,
    }


def test_amount_drift_compares_what_both_sides_carry_total_and_tax_only_for_shopware() -> None:
    channels = [
        read_channel("shopify", "shopify", shop([shopify_order(1)])),
        read_channel("shopware", "shopware", shopware([shopware_order(SW_ORDER)])),
    ]
    erp = read_back_office(
        "erp",
        erp_state(
            [
                erp_so("shopify-1", shipping="4.99"),
                erp_so(f"shopware-{SW_ORDER}", total="29.74", tax="4.74"),
            ]
        ),
    )
    f = check_channels(channels, erp, buffers={}, location_maps={})
    assert f.amount_drift == 2
    assert {(d["order"], d["field"]) for d in f.examples["amount_drift"]} == {
        ("shopify-1", "shipping"),
        (f"shopware-{SW_ORDER}", "tax"),
    }


def test_erp_oversold_is_backordered_units_per_sku() -> None:
    erp = read_back_office(
        "erp", erp_state([erp_so("shopify-1", backordered=2), erp_so("shopline-1", backordered=1)])
    )
    assert erp.oversold == {"A": 3}
    f = check_channels(
        [read_channel("shopify", "shopify", shop([shopify_order(1)]))],
        erp,
        buffers={},
        location_maps={},
    )
    assert f.oversold_units == 3 and f.examples["unexpected_sales_orders"] == ["shopline-1"]


def test_fulfil_back_office_sales_by_channel_identifier_and_negative_availability() -> None:
    channels = [
        read_channel("shopify", "shopify", shop([shopify_order(1), shopify_order(2)], 0)),
        read_channel("shopware", "shopware", shopware([shopware_order(SW_ORDER)], 0)),
    ]
    state = fulfil_state(
        [
            fulfil_sale("shopify-1"),
            fulfil_sale("shopify-1"),  # a second sale for one order
            fulfil_sale(f"shopware-{SW_ORDER}", total="29.74", tax="4.75"),
            fulfil_sale("shopify-2", total="25.79"),
        ],
        available=-4,  # reserved beyond on hand: shipments waiting for stock
    )
    fulfil = read_back_office("fulfil", state)
    locations = {"shopify": {"1": "77"}, "shopware": {"1": "default"}}
    f = check_channels(channels, fulfil, buffers={}, location_maps=locations)
    assert f.back_office == "fulfil"
    assert f.lost == 0 and f.duplicated == 1 and f.examples["duplicated"] == ["shopify-1"]
    assert f.amount_drift == 1 and f.examples["amount_drift"][0]["field"] == "total"
    assert f.oversold_units == 4
    # Negative availability shows as 0 on the shelves: no drift.
    assert f.stock_drift_units == 0
    assert f.latency.p50 == 3.5


def test_unknown_platforms_are_refused_by_name() -> None:
    with pytest.raises(ValueError, match="no state reader for channel platform 'magento'"):
        read_channel("web", "magento", {})
    with pytest.raises(ValueError, match="no state reader for back office 'sap'"):
        read_back_office("sap", {})
