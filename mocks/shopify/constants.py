"""Shopify mock settings: every number from PLATFORMS.md section 1, overridable per run.

The process config's ``settings`` object is applied with :meth:`ShopifySettings.from_overrides`;
an unknown key is an error (a misspelt ``leak_rte`` must not silently run the default).

API versions and the one breaking change (see ``versions.py``): the mock serves
``supported_api_versions``; an unknown version falls forward to the oldest. From
``ORDER_TOTAL_DISCOUNTS_REMOVED_IN`` (2026-07) the Order resource (REST and webhook bodies) no
longer carries the legacy scalar ``total_discounts``; the amount lives only in
``total_discounts_set.shop_money.amount``. In ``ORDER_TOTAL_DISCOUNTS_DEPRECATED_IN`` (2026-04) the
field is still there but every response that carries it says so in
``X-Shopify-API-Deprecated-Reason``. A connector pinned to 2026-01 keeps working; one moved to
2026-07 without reading ``total_discounts_set`` silently reads a zero discount (amount drift).

Quirks are switched per scenario here, each off by default unless Shopify always does it; each
setting's docstring names the field failure it reproduces.
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

FULFILLMENT_ORDER_ID_START = 8_000_001
FULFILLMENT_ORDER_LINE_ID_START = 8_500_001
FULFILLMENT_ID_START = 6_000_001
REFUND_ID_START = 7_000_001
REFUND_LINE_ID_START = 7_500_001
TRANSACTION_ID_START = 4_000_001
BALANCE_TRANSACTION_ID_START = 4_500_001
PAYOUT_ID_START = 100_001
ORDER_EDIT_ID_START = 9_500_001

DEFAULT_LOCATION_NAME = "Warehouse"
ORDER_CREATE_TOPIC = "orders/create"
# Topics a subscription may be created for. Emitted by this mock: orders/create,
# orders/updated, orders/edited, orders/cancelled, orders/fulfilled, refunds/create,
# fulfillments/create, fulfillments/update, inventory_levels/update, products/create.
WEBHOOK_TOPICS = frozenset(
    {
        "orders/create",
        "orders/updated",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "orders/partially_fulfilled",
        "orders/edited",
        "orders/delete",
        "refunds/create",
        "fulfillments/create",
        "fulfillments/update",
        "fulfillment_orders/cancelled",
        "inventory_levels/update",
        "inventory_levels/connect",
        "inventory_items/update",
        "products/create",
        "products/update",
        "products/delete",
        "app/uninstalled",
    }
)

# The breaking change between supported versions (documented in the module docstring).
ORDER_TOTAL_DISCOUNTS_DEPRECATED_IN = "2026-04"
ORDER_TOTAL_DISCOUNTS_REMOVED_IN = "2026-07"
DEPRECATED_FIELD_REASON = "Order.total_discounts"
DEPRECATED_VERSION_REASON = "https://shopify.dev/api/usage/versioning#deprecation-practices"

VARIANT_LIMIT_MESSAGE = (
    "Daily variant creation limit reached. Please try again later. See "
    "https://help.shopify.com/api/getting-started/api-call-limit for more information about "
    "rate limits and how to avoid them."
)
TOO_MANY_REQUESTS_422_MESSAGE = "Too many requests"
LOCKED_MESSAGE = "This shop is locked. Reduce request rates to resume service."
CHECKOUT_LOCATION_STRATEGIES = ("primary", "first_with_stock")


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
    webhook_delay_rate: float = 0.0
    """Share of deliveries held back before their first attempt ("up to a day late")."""
    webhook_delay_max_seconds: float = 3600.0
    """A delayed delivery waits a seeded uniform time up to this."""
    webhook_reorder_rate: float = 0.0
    """Share of deliveries held back a little so later events overtake them."""
    webhook_reorder_max_seconds: float = 30.0
    """A reordered delivery waits a seeded uniform time up to this."""
    webhook_removal_failed_deliveries: int = 8
    """Consecutive failed deliveries (each one exhausting its retries) after which Shopify
    deletes an Admin-API-created subscription; 0 disables the rule."""
    deprecated_api_versions: tuple[str, ...] = ("2025-10",)
    """Supported but deprecated: answered with ``X-Shopify-API-Deprecated-Reason``."""
    payments_fee_percent: Decimal = Decimal("2.9")
    """Shopify Payments fee per charge: percent of the amount (rounded half-up to cents) ..."""
    payments_fee_fixed: Decimal = Decimal("0.30")
    """... plus this fixed amount."""
    # -- quirks, one switch each (off by default) ------------------------------------------
    checkout_location_strategy: str = "primary"
    """``primary``: every line from the first location (the contract's default).
    ``first_with_stock``: each line from the first location holding enough (multi-location
    stock); reproduces connectors that assume one location and restock/sync the wrong one."""
    bundle_expansion: bool = False
    """Products seeded with ``bundle_components`` sell as bundles: checkout decrements the
    components, the order line carries the bundle SKU and a ``_components`` property.
    Reproduces ERPs receiving an unknown bundle SKU while component stock silently drains."""
    cancel_refused_after_picking: bool = False
    """Cancel is refused once a fulfillment order is ``in_progress`` (``/_sim/start-picking``).
    Reproduces cancel flows that assume a not-yet-shipped order can always be cancelled."""
    post_purchase_edits: bool = False
    """``/_sim/edit-order`` may change the address or a line's quantity of an unfulfilled order
    (``current_quantity``/``current_*`` change; ``quantity``/``total_price`` do not).
    Reproduces connectors that read an order once at create and ship the original."""
    variant_creation_daily_limit: int | None = None
    """New variants per simulated UTC day (None: unlimited); beyond it ``POST products.json``
    answers 429 with the daily-limit body while the call-limit header stays low. Reproduces
    naive 429 loops that retry for a day (ShopifySharp#350)."""
    too_many_requests_422_rate: float = 0.0
    """Seeded share of admitted calls answered ``422 {"errors":"Too many requests"}``.
    Reproduces clients that treat every 422 as a permanent validation error (ShopifySharp#352)."""
    lock_after_429s: int | None = None
    """This many 429s for one token within ``lock_window_seconds`` lock the shop (``423``) for
    ``lock_seconds`` (None: never). Reproduces clients that ignore Retry-After."""
    lock_window_seconds: float = 60.0
    lock_seconds: float = 600.0

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
            "webhook_delay_rate": 0.0 <= self.webhook_delay_rate <= 1.0,
            "webhook_delay_max_seconds": self.webhook_delay_max_seconds >= 0,
            "webhook_reorder_rate": 0.0 <= self.webhook_reorder_rate <= 1.0,
            "webhook_reorder_max_seconds": self.webhook_reorder_max_seconds >= 0,
            "webhook_removal_failed_deliveries": self.webhook_removal_failed_deliveries >= 0,
            "payments_fee_percent": Decimal(0) <= self.payments_fee_percent < Decimal(100),
            "payments_fee_fixed": self.payments_fee_fixed >= 0,
            "checkout_location_strategy": (
                self.checkout_location_strategy in CHECKOUT_LOCATION_STRATEGIES
            ),
            "variant_creation_daily_limit": (
                self.variant_creation_daily_limit is None or self.variant_creation_daily_limit >= 0
            ),
            "too_many_requests_422_rate": 0.0 <= self.too_many_requests_422_rate <= 1.0,
            "lock_after_429s": self.lock_after_429s is None or self.lock_after_429s >= 1,
            "lock_window_seconds": self.lock_window_seconds > 0,
            "lock_seconds": self.lock_seconds > 0,
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

    def is_deprecated_version(self, requested: str | None) -> bool:
        """A deprecated supported version, or one that fell forward (it no longer exists)."""
        return (
            requested not in self.supported_api_versions
            or requested in self.deprecated_api_versions
        )

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


_INT_KEYS = frozenset(
    {
        "bucket_size",
        "page_limit_default",
        "page_limit_max",
        "webhook_concurrency",
        "webhook_removal_failed_deliveries",
    }
)
_OPTIONAL_INT_KEYS = frozenset({"variant_creation_daily_limit", "lock_after_429s"})
_FLOAT_KEYS = frozenset(
    {
        "leak_rate",
        "retry_after_seconds",
        "webhook_drop_rate",
        "webhook_duplicate_rate",
        "webhook_timeout_seconds",
        "webhook_delay_rate",
        "webhook_delay_max_seconds",
        "webhook_reorder_rate",
        "webhook_reorder_max_seconds",
        "too_many_requests_422_rate",
        "lock_window_seconds",
        "lock_seconds",
    }
)


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
    if key in _INT_KEYS or (key in _OPTIONAL_INT_KEYS and raw is not None):
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"setting {key!r} must be an integer, got {raw!r}")
        return raw
    if key in _OPTIONAL_INT_KEYS:
        return None
    if key in _FLOAT_KEYS:
        return _number(key, raw)
    if key in {"tax_rate", "payments_fee_percent"}:
        return _decimal(key, raw)
    if key == "payments_fee_fixed":
        return to_money(raw, field=key)
    if key in {"bundle_expansion", "cancel_refused_after_picking", "post_purchase_edits"}:
        if not isinstance(raw, bool):
            raise ValueError(f"setting {key!r} must be true or false, got {raw!r}")
        return raw
    if key == "checkout_location_strategy":
        if raw not in CHECKOUT_LOCATION_STRATEGIES:
            raise ValueError(f"setting {key!r} must be one of {CHECKOUT_LOCATION_STRATEGIES}")
        return raw
    if key in {"currency", "tax_title", "shop_domain"}:
        if not isinstance(raw, str) or not raw:
            raise ValueError(f"setting {key!r} must be a non-empty string, got {raw!r}")
        return raw
    if key in {"supported_api_versions", "deprecated_api_versions"}:
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
