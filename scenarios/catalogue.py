"""Turn a scenario's catalogue description into seed payloads for the mocks."""

from __future__ import annotations

import random
from dataclasses import dataclass
from decimal import Decimal

from scenarios.schema import Scenario

ERP_LOCATION_ID = "1"
LOCATION_NAME = "Main Warehouse"


@dataclass(frozen=True, kw_only=True)
class Product:
    sku: str
    title: str
    price: Decimal
    stock: int


def products(scenario: Scenario) -> list[Product]:
    """Deterministic for the scenario's seed; the first ``hot.count`` SKUs are the hot ones."""
    cat = scenario.catalogue
    rng = random.Random(f"{scenario.seed}:catalogue")
    low, high = (int(p * 100) for p in cat.price_range)
    result = []
    for i in range(cat.skus):
        hot = i < cat.hot.count
        result.append(
            Product(
                sku=f"{cat.sku_prefix}{i + 1:04d}",
                title=f"{'Hot ' if hot else ''}Product {i + 1}",
                price=Decimal(rng.randint(low, high)) / 100,
                stock=cat.hot.stock if hot else rng.randint(*cat.stock_range),
            )
        )
    return result


def erp_seed(items: list[Product]) -> dict[str, object]:
    return {
        "locations": [{"id": ERP_LOCATION_ID, "name": LOCATION_NAME}],
        "items": [{"sku": p.sku, "on_hand": {ERP_LOCATION_ID: p.stock}} for p in items],
    }


def shopify_seed(items: list[Product], *, buffer: int, currency: str) -> dict[str, object]:
    """The channel starts out showing the ERP's stock minus the buffer, as the engine would."""
    return {
        "locations": [{"name": LOCATION_NAME}],
        "currency": currency,
        "products": [
            {
                "sku": p.sku,
                "title": p.title,
                "price": str(p.price),
                "inventory": {LOCATION_NAME: max(0, p.stock - buffer)},
            }
            for p in items
        ],
    }
