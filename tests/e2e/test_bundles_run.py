"""End to end, generated bundles: shoppers buy bundle SKUs on Shopify (with a 20% catalogue tax
rate), the ERP stocks only their components and must receive every bundle order as component
lines, amounts allocated to the cent by the components' list prices. The run must pass with
lost = duplicated = amount drift = oversold = stock drift = 0."""

from __future__ import annotations

import json
from collections import Counter
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from scenarios.catalogue import Product, catalogue_bundles, products
from scenarios.catalogue_gen import Bundle
from scenarios.loader import load
from tests.e2e.test_multi_channel_run import assert_clean, rehearse

pytestmark = pytest.mark.e2e

CENT = Decimal("0.01")


def component_units(order: dict[str, Any], bundles: dict[str, Bundle]) -> Counter[str]:
    """Units per back-office SKU a channel order stands for (bundles expanded)."""
    units: Counter[str] = Counter()
    for line in order["line_items"]:
        parts = bundles[line["sku"]].components if line["sku"] in bundles else {line["sku"]: 1}
        for sku, per in parts.items():
            units[sku] += per * int(line["quantity"])
    return units


def assert_allocated(
    line: dict[str, Any], bundle: Bundle, erp_lines: list[dict[str, Any]], price: dict[str, Decimal]
) -> None:
    """The ERP's component lines carry the bundle line's amount and tax to the cent, each
    within a cent of its list-price share."""
    amount = Decimal(line["price"]) * int(line["quantity"])
    tax = sum((Decimal(t["price"]) for t in line["tax_lines"]), Decimal(0))
    weights = {sku: price[sku] * units for sku, units in bundle.components.items()}
    total = sum(weights.values(), Decimal(0))
    by_sku = {erp["sku"]: erp for erp in erp_lines}
    assert sum(Decimal(by_sku[sku]["amount"]) for sku in weights) == amount
    assert sum(Decimal(by_sku[sku]["tax_amount"]) for sku in weights) == tax
    for sku, weight in weights.items():
        assert abs(Decimal(by_sku[sku]["amount"]) - amount * weight / total) < CENT


def test_bundle_orders_reach_the_erp_as_component_lines(tmp_path: Path) -> None:
    scenario = load("bundles-smoke")
    items: list[Product] = products(scenario)
    bundles = {b.sku: b for b in catalogue_bundles(scenario, items)}
    price = {p.sku: p.price for p in items}
    code, summary, output, results = rehearse(tmp_path, "bundles-smoke")
    assert_clean(summary, code, output)
    assert summary["oversold_units"] == 0, summary["examples"]["oversold"]
    assert summary["stock_drift"] == {"keys": 0, "units": 0}, summary["examples"]["stock_drift"]
    shop = json.loads((results / "shopify_state.json").read_text())
    erp = json.loads((results / "erp_state.json").read_text())
    # The ERP stocks and receives components only.
    assert not {item["sku"] for item in erp["items"]} & set(bundles)
    sales = {so["externalId"]: so for so in erp["sales_orders"]}
    assert not {line["sku"] for so in sales.values() for line in so["lines"]} & set(bundles)
    with_bundles = [
        o for o in shop["orders"] if any(li["sku"] in bundles for li in o["line_items"])
    ]
    sold = Counter(
        li["sku"] for o in with_bundles for li in o["line_items"] if li["sku"] in bundles
    )
    assert set(sold) == set(bundles) and min(sold.values()) >= 5, sold
    checked = 0
    for order in with_bundles:
        so = sales[f"shopify-{order['id']}"]
        stocked = [line for line in so["lines"] if line["sku"] in price]
        got: Counter[str] = Counter()
        for line in stocked:
            got[line["sku"]] += int(line["quantity"])
        assert got == component_units(order, bundles), (order["id"], so["lines"])
        # Money: where no other line of the order shares a component (no consolidation).
        for line in order["line_items"]:
            bundle = bundles.get(line["sku"])
            others = component_units(
                {"line_items": [x for x in order["line_items"] if x is not line]}, bundles
            )
            if bundle is not None and not set(bundle.components) & set(others):
                assert_allocated(line, bundle, stocked, price)
                checked += 1
    assert checked >= 10
    # Tax: the catalogue's rate is the shop's, and the ERP carries what the shop charged.
    assert {t["rate"] for o in shop["orders"] for t in o["tax_lines"]} == {"0.20"}
