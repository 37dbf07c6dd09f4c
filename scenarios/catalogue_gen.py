"""Seeded catalogue generators: Faker titles and numpy prices and stock, tax and bundles.

Money is drawn as whole cents (numpy integers) and handed on as ``Decimal``; no float price
leaves this module. Every stream is seeded from the scenario's seed and a name of its own,
so turning on tax classes or bundles does not change the products' titles, prices or stock.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import numpy as np
from faker import Faker

from scenarios.schema import Catalogue

NOUNS = (
    "Backpack", "Beanie", "Blender", "Boots", "Candle", "Cardigan", "Desk Lamp", "Earbuds",
    "Headphones", "Hoodie", "Jacket", "Kettle", "Mug", "Notebook", "Pillow", "Scarf",
    "Sneakers", "Speaker", "Sunglasses", "Throw Blanket", "Tote Bag", "T-Shirt", "Watch",
    "Water Bottle",
)  # fmt: skip
"""What the generated products are (Faker has no product names of its own)."""

CENT = Decimal("0.01")


def stream_seed(seed: int, name: str) -> int:
    """A 64-bit seed for the named stream of the scenario's ``seed`` (any int, negative too)."""
    digest = hashlib.sha256(f"{seed}:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def generator(seed: int, name: str) -> np.random.Generator:
    """The seeded numpy Generator of one stream."""
    return np.random.default_rng(stream_seed(seed, name))


@dataclass(frozen=True, kw_only=True)
class Drawn:
    """A product as the Faker generator draws it (SKU naming and hot stock are the caller's)."""

    title: str
    price: Decimal
    stock: int


def faker_products(cat: Catalogue, seed: int) -> list[Drawn]:
    """Titles from a seeded Faker, prices log-normal around the geometric middle of
    ``price_range`` (σ = a quarter of its log width, clipped to it, whole cents), stock uniform
    in ``stock_range``."""
    fake = Faker("en_US")
    fake.seed_instance(stream_seed(seed, "titles"))
    rng = generator(seed, "prices-stock")
    low, high = (int(p * 100) for p in cat.price_range)
    centre = (np.log(low) + np.log(high)) / 2.0
    sigma = max((np.log(high) - np.log(low)) / 4.0, 1e-9)
    cents = np.clip(np.rint(rng.lognormal(centre, sigma, cat.skus)), low, high).astype(np.int64)
    stock = rng.integers(cat.stock_range[0], cat.stock_range[1] + 1, cat.skus)
    return [
        Drawn(
            title=f"{fake.color_name()} {fake.random_element(NOUNS)}",
            price=Decimal(int(c)) * CENT,
            stock=int(n),
        )
        for c, n in zip(cents, stock, strict=True)
    ]


def tax_rates(cat: Catalogue, seed: int) -> list[tuple[str | None, Decimal | None]]:
    """Per product ``(tax class, rate)``: ``tax_rate`` for all, a seeded draw among
    ``tax_classes`` by share, or ``(None, None)`` when the catalogue names no tax."""
    if cat.tax_rate is not None:
        return [(None, cat.tax_rate)] * cat.skus
    if not cat.tax_classes:
        return [(None, None)] * cat.skus
    names = sorted(cat.tax_classes)
    shares = np.array([cat.tax_classes[n].share for n in names], dtype=float)
    picks = generator(seed, "tax").choice(len(names), size=cat.skus, p=shares / shares.sum())
    return [(names[i], cat.tax_classes[names[i]].rate) for i in picks]


@dataclass(frozen=True, kw_only=True)
class Bundle:
    """A bundle SKU: its price and its components (catalogue SKU → units per bundle)."""

    sku: str
    title: str
    price: Decimal
    components: dict[str, int]


def bundles(cat: Catalogue, seed: int, skus: list[str], prices: list[Decimal]) -> list[Bundle]:
    """``bundles.count`` bundles of distinct SKUs that are not hot (seeded), priced at the sum
    of their components less ``bundles.discount``, to the cent."""
    spec = cat.bundles
    rng = generator(seed, "bundles")
    pool = np.arange(cat.hot.count, len(skus))
    result = []
    for b in range(spec.count):
        chosen = sorted(int(i) for i in rng.choice(pool, size=spec.components, replace=False))
        units = rng.integers(1, spec.max_quantity + 1, size=spec.components)
        components = {skus[i]: int(u) for i, u in zip(chosen, units, strict=True)}
        full = sum((prices[i] * int(u) for i, u in zip(chosen, units, strict=True)), Decimal(0))
        result.append(
            Bundle(
                sku=f"{cat.sku_prefix}B{b + 1:03d}",
                title=f"Bundle {b + 1}",
                price=(full * (1 - spec.discount)).quantize(CENT),
                components=components,
            )
        )
    return result


def mapping_bundles(
    items: list[Bundle], prices: Mapping[str, Decimal] | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The bundles as the engine's ``mapping.bundles`` (``MappingRules``): bundle SKU → its
    components ``[{sku, quantity}]``. With the catalogue's ``prices`` each component also gets
    ``price_weight`` = its price × units, so the engine splits a bundle line's amount, discount
    and tax by the components' list prices rather than by their units."""
    return {
        b.sku: [
            {"sku": sku, "quantity": units}
            | ({} if prices is None else {"price_weight": str(prices[sku] * units)})
            for sku, units in b.components.items()
        ]
        for b in items
    }
