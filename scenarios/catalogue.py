"""Turn a scenario's catalogue description into products and seed payloads for the mocks.

``generator: simple`` (the default) draws exactly the catalogue of earlier scenarios with the
stdlib's ``random``; ``faker`` uses `scenarios.catalogue_gen`. Either way SKU 1 is the hottest
and tax and bundles come from streams of their own.
"""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from scenarios.catalogue_gen import Bundle, bundles, faker_products, mapping_bundles, tax_rates
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


def shown_stock(items: list[Product], *, buffer: int) -> dict[str, int]:
    """Per SKU, what a channel starts out showing: the back office's stock minus the buffer."""
    return {p.sku: max(0, p.stock - buffer) for p in items}


def bundle_stock(bundle: Bundle, shown: Mapping[str, int]) -> int:
    """Whole bundles the components' ``shown`` stock allows: the minimum over the components
    of ``floor(stock / units per bundle)`` (0 when a component is not shown at all)."""
    return min(shown.get(sku, 0) // units for sku, units in bundle.components.items())


def bundle_tax_rate(bundle: Bundle, items: list[Product]) -> Decimal | None:
    """The tax rate a channel charges on ``bundle``: its components' rate when they agree,
    otherwise the rate of the component carrying the largest share of its price (ties: the
    first component). None when the catalogue names no tax."""
    by_sku = {p.sku: p for p in items}
    parts = [(by_sku[sku], units) for sku, units in bundle.components.items()]
    heaviest = max(parts, key=lambda part: part[0].price * part[1])
    return heaviest[0].tax_rate


def shopify_seed(
    items: list[Product],
    *,
    buffer: int,
    currency: str,
    bundles: list[Bundle] | None = None,
    native_bundles: bool = True,
) -> dict[str, object]:
    """The channel starts out showing the ERP's stock minus the buffer, as the engine would.

    ``bundles`` are added as products priced at their bundle price. With ``native_bundles``
    (the Shopify mock's ``bundle_expansion`` quirk is on) they carry ``bundle_components`` and
    no stock of their own: the mock sells them from their components' stock. Otherwise they
    are plain products showing what their components allow (`bundle_stock`); the engine does
    not maintain that level afterwards (it syncs stocked SKUs only)."""
    shown = shown_stock(items, buffer=buffer)
    seeded: list[dict[str, object]] = [
        {
            "sku": p.sku,
            "title": p.title,
            "price": str(p.price),
            "inventory": {LOCATION_NAME: shown[p.sku]},
        }
        for p in items
    ]
    for b in bundles or ():
        product: dict[str, object] = {"sku": b.sku, "title": b.title, "price": str(b.price)}
        if native_bundles:
            product["inventory"] = {LOCATION_NAME: 0}
            product["bundle_components"] = dict(b.components)
        else:
            product["inventory"] = {LOCATION_NAME: bundle_stock(b, shown)}
        seeded.append(product)
    return {"locations": [{"name": LOCATION_NAME}], "currency": currency, "products": seeded}


def shopper_skus(scenario: Scenario, items: list[Product]) -> list[str]:
    """The SKUs shoppers pick from, by Zipf rank: the hot SKUs, then the bundles (when
    ``catalogue.bundles`` makes any), then the rest in catalogue order. Without bundles this is
    the catalogue's own order, so the plans of scenarios without bundles do not move."""
    skus = [p.sku for p in items]
    made = [b.sku for b in catalogue_bundles(scenario, items)]
    hot = scenario.catalogue.hot.count
    return [*skus[:hot], *made, *skus[hot:]]


def engine_mapping(scenario: Scenario) -> dict[str, Any]:
    """The engine's ``mapping`` config: the scenario's own ``mapping:`` block, with the
    generated bundles merged into ``bundles`` (components weighted by list price × units). A
    bundle the scenario maps itself (same SKU after the mapping's normalisation) keeps the
    scenario's components."""
    mapping = scenario.mapping.model_dump(mode="json", exclude_unset=True)
    if not scenario.catalogue.bundles.count:
        return mapping
    rules = scenario.mapping
    explicit: dict[str, Any] = mapping.get("bundles", {})
    taken = {rules.normalise_key(sku) for sku in explicit}
    items = products(scenario)
    prices = {p.sku: p.price for p in items}
    generated = mapping_bundles(catalogue_bundles(scenario, items), prices)
    kept = {sku: parts for sku, parts in generated.items() if rules.normalise_key(sku) not in taken}
    return {**mapping, "bundles": {**kept, **explicit}}
