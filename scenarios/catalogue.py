"""Turn a scenario's catalogue description into products and seed payloads for the mocks.

``generator: simple`` (the default) draws exactly the catalogue of earlier scenarios with the
stdlib's ``random``; ``faker`` uses `scenarios.catalogue_gen`. Either way SKU 1 is the hottest
and tax and bundles come from streams of their own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from scenarios.catalogue_gen import Bundle, bundles, faker_products, tax_rates
from scenarios.schema import Scenario

ERP_LOCATION_ID = "1"
LOCATION_NAME = "Main Warehouse"


@dataclass(frozen=True, kw_only=True)
class Product:
    sku: str
    title: str
    price: Decimal
    stock: int
    tax_rate: Decimal | None = None
    """Fraction, e.g. ``Decimal("0.20")``; None when the catalogue names no tax."""
    tax_class: str | None = None


def products(scenario: Scenario) -> list[Product]:
    """Deterministic for the scenario's seed; the first ``hot.count`` SKUs are the hot ones."""
    cat = scenario.catalogue
    if cat.generator == "faker":
        drawn = [(d.title, d.price, d.stock) for d in faker_products(cat, scenario.seed)]
    else:
        drawn = _simple(scenario)
    taxes = tax_rates(cat, scenario.seed)
    result = []
    for i, ((title, price, stock), (tax_class, rate)) in enumerate(zip(drawn, taxes, strict=True)):
        hot = i < cat.hot.count
        result.append(
            Product(
                sku=f"{cat.sku_prefix}{i + 1:04d}",
                title=f"Hot {title}" if hot else title,
                price=price,
                stock=cat.hot.stock if hot else stock,
                tax_rate=rate,
                tax_class=tax_class,
            )
        )
    return result


def _simple(scenario: Scenario) -> list[tuple[str, Decimal, int]]:
    """``Product N``, uniform cents and stock from one stdlib stream (hot SKUs draw no stock)."""
    cat = scenario.catalogue
    rng = random.Random(f"{scenario.seed}:catalogue")
    low, high = (int(p * 100) for p in cat.price_range)
    drawn = []
    for i in range(cat.skus):
        price = Decimal(rng.randint(low, high)) / 100
        stock = cat.hot.stock if i < cat.hot.count else rng.randint(*cat.stock_range)
        drawn.append((f"Product {i + 1}", price, stock))
    return drawn


def catalogue_bundles(scenario: Scenario, items: list[Product]) -> list[Bundle]:
    """The scenario's generated bundles over ``items`` (``products(scenario)``); empty unless
    ``catalogue.bundles.count`` is set."""
    skus = [p.sku for p in items]
    return bundles(scenario.catalogue, scenario.seed, skus, [p.price for p in items])


def erp_seed(items: list[Product]) -> dict[str, object]:
    return {
        "locations": [{"id": ERP_LOCATION_ID, "name": LOCATION_NAME}],
        "items": [{"sku": p.sku, "on_hand": {ERP_LOCATION_ID: p.stock}} for p in items],
    }


def shopify_seed(
    items: list[Product], *, buffer: int, currency: str, bundles: list[Bundle] | None = None
) -> dict[str, object]:
    """The channel starts out showing the ERP's stock minus the buffer, as the engine would.
    ``bundles`` are added as products with ``bundle_components`` and no stock of their own (the
    mock sells them from their components' stock when ``bundle_expansion`` is on)."""
    seeded: list[dict[str, object]] = [
        {
            "sku": p.sku,
            "title": p.title,
            "price": str(p.price),
            "inventory": {LOCATION_NAME: max(0, p.stock - buffer)},
        }
        for p in items
    ]
    seeded.extend(
        {
            "sku": b.sku,
            "title": b.title,
            "price": str(b.price),
            "inventory": {LOCATION_NAME: 0},
            "bundle_components": dict(b.components),
        }
        for b in bundles or ()
    )
    return {"locations": [{"name": LOCATION_NAME}], "currency": currency, "products": seeded}
