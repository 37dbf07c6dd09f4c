"""Generated catalogues: the default stays as it was; ``faker`` draws titles, prices in cents,
stock, tax and bundles from the seed alone."""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from mocks.common.webhooks import WebhookOutbox
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.models import ShopifyModel
from scenarios.catalogue import catalogue_bundles, products, shopify_seed
from scenarios.catalogue_gen import mapping_bundles
from scenarios.loader import load
from scenarios.schema import Scenario
from simclock import VirtualClock
from sync_engine.mapping.rules import MappingRules

FLASH_SALE_CATALOGUE = "a1f9d1f04f9d712e0f675a3b650d05612a4749f71e11563d50b59bc66ef29557"
"""Digest of flash-sale's catalogue (sku, title, price, stock) as generated before generators."""


def scenario(seed: int = 3, **catalogue: Any) -> Scenario:
    return Scenario.model_validate(
        {"name": "x", "seed": seed, "arrival_curve": [[0, 1], [10, 1]], "catalogue": catalogue}
    )


def test_the_simple_catalogue_is_the_one_earlier_runs_had() -> None:
    rows = [[p.sku, p.title, str(p.price), p.stock] for p in products(load("flash-sale"))]
    assert hashlib.sha256(json.dumps(rows).encode()).hexdigest() == FLASH_SALE_CATALOGUE


def test_faker_catalogue_is_seeded_priced_in_cents_within_range_hot_first() -> None:
    sc = scenario(generator="faker", skus=300, price_range=["5.00", "50.00"])
    items = products(sc)
    assert items == products(sc)
    assert items != products(
        scenario(seed=4, generator="faker", skus=300, price_range=["5.00", "50.00"])
    )
    assert [p.sku for p in items[:2]] == ["SKU-0001", "SKU-0002"]
    assert all(p.title.startswith("Hot ") and p.stock == 30 for p in items[:5])
    assert not any(p.title.startswith("Product ") for p in items)
    for p in items:
        assert isinstance(p.price, Decimal) and p.price == p.price.quantize(Decimal("0.01"))
        assert Decimal("5.00") <= p.price <= Decimal("50.00")
    prices = sorted(p.price for p in items)
    assert Decimal("10") < prices[len(prices) // 2] < Decimal("22")  # log-normal median ≈ 15.81
    assert all(40 <= p.stock <= 120 for p in items[5:])
    assert len({p.title for p in items}) > 100


def test_tax_classes_split_the_catalogue_by_share_and_a_single_rate_covers_all() -> None:
    classes = {"standard": {"rate": "0.20", "share": 3}, "reduced": {"rate": "0.05", "share": 1}}
    items = products(scenario(skus=400, tax_classes=classes))
    reduced = [p for p in items if p.tax_class == "reduced"]
    assert all(p.tax_rate == Decimal("0.05") for p in reduced)
    assert 70 < len(reduced) < 130
    assert {p.tax_rate for p in products(scenario(tax_rate="0.19"))} == {Decimal("0.19")}
    assert {p.tax_rate for p in products(scenario())} == {None}
    # tax has a stream of its own: the products themselves do not move
    strip = [(p.sku, p.title, p.price, p.stock) for p in items]
    assert strip == [(p.sku, p.title, p.price, p.stock) for p in products(scenario(skus=400))]


def test_bundles_are_made_of_catalogue_skus_the_mapping_and_the_shopify_mock_accept() -> None:
    sc = scenario(bundles={"count": 4, "components": 3, "max_quantity": 2})
    items = products(sc)
    bundles = catalogue_bundles(sc, items)
    price = {p.sku: p.price for p in items}
    assert [b.sku for b in bundles] == ["SKU-B001", "SKU-B002", "SKU-B003", "SKU-B004"]
    for b in bundles:
        assert len(b.components) == 3 and set(b.components) <= set(price)
        assert not set(b.components) & {p.sku for p in items[:5]}  # never the hot ones
        full = sum(price[s] * n for s, n in b.components.items())
        assert b.price == (full * Decimal("0.9")).quantize(Decimal("0.01"))
    rules = MappingRules.model_validate({"bundles": mapping_bundles(bundles)})
    assert [c.sku for c in rules.bundles["SKU-B001"]] == list(bundles[0].components)
    clock = VirtualClock()
    model = ShopifyModel(
        settings=ShopifySettings.from_overrides({"bundle_expansion": True}),
        clock=clock,
        credentials={"access_token": "t"},
        seed=1,
        outbox=WebhookOutbox(clock=clock, seed=1),
    )
    model.seed(shopify_seed(items, buffer=0, currency="USD", bundles=bundles))
    assert model.bundle_components["SKU-B002"] == bundles[1].components
