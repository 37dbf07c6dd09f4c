"""Shopify mock settings: every number from PLATFORMS.md section 1, overridable per run.

The process config's ``settings`` object is applied with :meth:`ShopifySettings.from_overrides`;
an unknown key is an error (a misspelt ``leak_rte`` must not silently run the default).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from mocks.common.money import to_money
from mocks.common.webhooks import SHOPIFY_RETRY_SCHEDULE

DEFAULT_ACCESS_TOKEN = "shpat_rehearsal"
DEFAULT_WEBHOOK_SECRET = "rehearsal-webhook-secret"
CREDENTIAL_KEYS = frozenset({"access_token", "webhook_secret"})

INVALID_TOKEN_MESSAGE = (
    "[API] Invalid API key or access token (unrecognized login or wrong password)"
)
THROTTLED_MESSAGE = (
    "Exceeded {rate} calls per second for api client. "
    "Reduce request rates to resume uninterrupted service."
)

# Id ranges are disjoint on purpose: an engine that sends a variant id where an inventory item
# id belongs gets a 422, not silently somebody else's stock.
LOCATION_ID_START = 70_000_001
PRODUCT_ID_START = 1_000_001
VARIANT_ID_START = 2_000_001
INVENTORY_ITEM_ID_START = 3_000_001
ORDER_ID_START = 5001
LINE_ITEM_ID_START = 9001
ORDER_NUMBER_START = 1001
WEBHOOK_SUBSCRIPTION_ID_START = 1

DEFAULT_LOCATION_NAME = "Warehouse"
ORDER_CREATE_TOPIC = "orders/create"
# Topics a subscription may be created for; only orders/create is emitted by this mock so far.
WEBHOOK_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/edited",
        "refunds/create",
        "inventory_levels/update",
        "products/update",
        "app/uninstalled",
    }
)


def _money_map(values: Mapping[str, str]) -> Mapping[str, Decimal]:
    return MappingProxyType({k: Decimal(v) for k, v in values.items()})


@dataclass(frozen=True, kw_only=True)
class ShopifySettings:
    """Tunable behaviour of the Shopify mock (all durations in simulated seconds)."""

    bucket_size: int = 40
    """REST leaky bucket capacity per access token (standard plan)."""
    leak_rate: float = 2.0
    """Calls drained per second (standard plan: 2; Plus: 20)."""
    retry_after_seconds: float = 2.0
    """Value of ``Retry-After`` on a 429 (Shopify sends a constant ``2.0``)."""
    supported_api_versions: tuple[str, ...] = ("2025-10", "2026-01", "2026-04", "2026-07")
    """Oldest first; an unknown version falls forward to the first."""
    page_limit_default: int = 50
    page_limit_max: int = 250
    currency: str = "USD"
    tax_rate: Decimal = Decimal("0.08")
    tax_title: str = "Sales tax"
    shipping_rates: Mapping[str, Decimal] = field(
        default_factory=lambda: _money_map({"standard": "5.00", "express": "15.00"})
    )
    """Shipping code -> flat price."""
    discount_codes: Mapping[str, Decimal] = field(
        default_factory=lambda: _money_map({"FLASH10": "10"})
    )
    """Discount code -> percentage off the line items (10 means 10 %)."""
    shop_domain: str = "rehearsal-shop.myshopify.com"
    webhook_retry_schedule: tuple[float, ...] = SHOPIFY_RETRY_SCHEDULE
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_concurrency: int = 20
    webhook_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        checks = {
            "bucket_size": self.bucket_size > 0,
            "leak_rate": self.leak_rate > 0,
            "retry_after_seconds": self.retry_after_seconds >= 0,
            "supported_api_versions": len(self.supported_api_versions) > 0,
            "page_limit_default": 1 <= self.page_limit_default <= self.page_limit_max,
            "page_limit_max": self.page_limit_max >= 1,
            "tax_rate": Decimal(0) <= self.tax_rate < Decimal(1),
            "shipping_rates": all(v >= 0 for v in self.shipping_rates.values()),
            "discount_codes": all(0 <= v <= 100 for v in self.discount_codes.values()),
            "webhook_retry_schedule": all(d >= 0 for d in self.webhook_retry_schedule),
            "webhook_drop_rate": 0.0 <= self.webhook_drop_rate <= 1.0,
            "webhook_duplicate_rate": 0.0 <= self.webhook_duplicate_rate <= 1.0,
            "webhook_concurrency": self.webhook_concurrency >= 1,
            "webhook_timeout_seconds": self.webhook_timeout_seconds > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid Shopify setting(s): {', '.join(bad)}")

    @property
    def oldest_api_version(self) -> str:
        """Where unknown versions fall forward to."""
        return self.supported_api_versions[0]

    def resolve_api_version(self, requested: str | None) -> str:
        """Shopify's fall-forward: a supported version answers itself, anything else the oldest."""
        if requested in self.supported_api_versions:
            return requested
        return self.oldest_api_version

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> ShopifySettings:
        """Defaults with ``overrides`` applied; unknown keys and bad values raise ValueError."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in (overrides or {}).items():
            if key not in known:
                raise ValueError(f"unknown Shopify setting {key!r}; known: {', '.join(known)}")
            values[key] = _convert(key, raw)
        return cls(**values)


def _number(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise ValueError(f"setting {key!r} must be a number, got {raw!r}")
    return float(raw)


def _decimal(key: str, raw: Any) -> Decimal:
    # Rates and percentages are not money; a JSON float such as 0.08 is read via its repr.
    if isinstance(raw, bool):
        raise ValueError(f"setting {key!r} must be a decimal string, got {raw!r}")
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:
        raise ValueError(f"setting {key!r}: {raw!r} is not a decimal") from exc


def _convert(key: str, raw: Any) -> Any:
    """Coerce one JSON override to the field's type, naming the key on failure."""
    if key in {"bucket_size", "page_limit_default", "page_limit_max", "webhook_concurrency"}:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"setting {key!r} must be an integer, got {raw!r}")
        return raw
    if key in {
        "leak_rate",
        "retry_after_seconds",
        "webhook_drop_rate",
        "webhook_duplicate_rate",
        "webhook_timeout_seconds",
    }:
        return _number(key, raw)
    if key == "tax_rate":
        return _decimal(key, raw)
    if key in {"currency", "tax_title", "shop_domain"}:
        if not isinstance(raw, str) or not raw:
            raise ValueError(f"setting {key!r} must be a non-empty string, got {raw!r}")
        return raw
    if key == "supported_api_versions":
        if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
            raise ValueError(f"setting {key!r} must be a list of version strings")
        return tuple(raw)
    if key == "webhook_retry_schedule":
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"setting {key!r} must be a list of delays in seconds")
        return tuple(_number(key, v) for v in raw)
    if key == "shipping_rates":
        if not isinstance(raw, Mapping):
            raise ValueError(f"setting {key!r} must be an object of code -> price")
        return MappingProxyType({str(k): to_money(v, field=f"{key}.{k}") for k, v in raw.items()})
    if key == "discount_codes":
        if not isinstance(raw, Mapping):
            raise ValueError(f"setting {key!r} must be an object of code -> percentage")
        return MappingProxyType({str(k): _decimal(f"{key}.{k}", v) for k, v in raw.items()})
    raise AssertionError(f"no converter for setting {key!r}")  # pragma: no cover
