"""SHOPLINE mock settings: every number from PLATFORMS.md section 2, overridable per run.

The process config's ``settings`` object is applied with :meth:`ShoplineSettings.from_overrides`;
an unknown key is an error (a misspelt ``leak_rte`` must not silently run the default).

Modelling choices PLATFORMS.md does not settle (see ``api.py`` for the full list):
- ``updated_at_cutoff_version``: versions *before* it spell every ``updated_at`` key
  ``update_at`` (PLATFORMS 2.5 says only "in some versions"); we date the rename v20240901.
- store lock: ``lock_threshold`` 429s within ``lock_window_seconds`` lock the store (423) for
  ``lock_duration_seconds`` (PLATFORMS 2.2 says only "repeatedly exceeding API limits").
"""

from __future__ import annotations

import dataclasses
import fnmatch
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from mocks.common.money import to_money
from mocks.common.webhooks import SHOPIFY_RETRY_SCHEDULE

DEFAULT_ACCESS_TOKEN = "shpl_rehearsal"
DEFAULT_WEBHOOK_SECRET = "rehearsal-shopline-app-secret"
CREDENTIAL_KEYS = frozenset({"access_token", "webhook_secret"})

# Wire messages. 429's "Too many request" (sic) is documented; the others are our wording in
# SHOPLINE's documented ``{"errors": "<string>"}`` shape.
THROTTLED_MESSAGE = "Too many request"
MISSING_TOKEN_MESSAGE = "Missing access token"
INVALID_TOKEN_MESSAGE = "Invalid access token"
EXPIRED_TOKEN_MESSAGE = "Access token has expired"
STORE_LOCKED_MESSAGE = "The store is locked because API limits were exceeded repeatedly"
FAULT_MESSAGES: Mapping[int, str] = MappingProxyType(
    {
        402: "The store is frozen because of unpaid fees",
        423: "The store is locked",
        433: "Request blocked",
        434: "Excessive rate limit by security policy",
        435: "Request blocked by CC attack protection",
        436: "Request blocked by security policy",
    }
)
FAULT_STATUSES = frozenset(FAULT_MESSAGES)

VERSION_PATTERN = re.compile(r"^v\d{8}$")

# 19-digit string ids as SHOPLINE shows them ("7177011084762551696"); disjoint ranges per kind
# so an id of the wrong kind is a 404/422, never somebody else's record.
LOCATION_ID_START = 6_100_000_000_000_000_001
PRODUCT_ID_START = 1_600_000_000_000_000_001
VARIANT_ID_START = 1_800_000_000_000_000_001
INVENTORY_ITEM_ID_START = 1_900_000_000_000_000_001
ORDER_ID_START = 2_100_000_000_000_000_001
LINE_ITEM_ID_START = 2_200_000_000_000_000_001
CUSTOMER_ID_START = 4_200_000_000_000_000_001
WEBHOOK_ID_START = 3_100_000_000_000_000_001
FULFILLMENT_ID_START = 4_000_000_000_000_000_001
ORDER_NUMBER_START = 1001

DEFAULT_LOCATION_NAME = "Warehouse"
ORDER_CREATE_TOPIC = "orders/create"
ORDER_UPDATE_TOPIC = "orders/update"
ORDER_FULFILLED_TOPIC = "orders/fulfilled"
ORDER_CANCELLED_TOPIC = "orders/cancelled"
MAX_TRACKING_INFOS = 10
"""``tracking_info_list`` takes at most 10 entries (SHOPLINE's fulfilment pages)."""
WEBHOOK_TOPICS = frozenset(
    {
        "orders/create",
        "orders/update",
        "orders/paid",
        "orders/cancelled",
        "orders/fulfilled",
        "customers/create",
        "customers/update",
        "products/update",
        "inventory_levels/update",
        "apps/installed_uninstalled",
    }
)


def _money_map(values: Mapping[str, str]) -> Mapping[str, Decimal]:
    return MappingProxyType({k: Decimal(v) for k, v in values.items()})


@dataclass(frozen=True, kw_only=True)
class FaultRule:
    """Settings shorthand: answer ``status`` instead of the real response on ``rate`` of calls.

    ``route`` is an :func:`fnmatch.fnmatch` pattern over the path after the version, e.g.
    ``"orders.json"``, ``"orders/*"`` or ``"*"`` (every route). Installed at start-up as an
    ``error`` rule of the shared fault plan (:meth:`as_plan_rule`); at run time the plan is
    read and changed at ``/_mock/faults`` like every mock's (docs/faults.md).
    """

    status: int
    rate: float = 1.0
    route: str = "*"

    def __post_init__(self) -> None:
        if self.status not in FAULT_STATUSES:
            allowed = ", ".join(str(s) for s in sorted(FAULT_STATUSES))
            raise ValueError(f"fault status must be one of {allowed}, got {self.status!r}")
        if not 0.0 <= self.rate <= 1.0:
            raise ValueError(f"fault rate must be within [0, 1], got {self.rate!r}")
        if not self.route:
            raise ValueError("fault route must be a non-empty pattern")

    def as_dict(self) -> dict[str, Any]:
        """JSON shape, as the ``faults`` setting takes it."""
        return {"status": self.status, "rate": self.rate, "route": self.route}

    def as_plan_rule(self) -> dict[str, Any]:
        """The same fault as a rule of the shared plan (a regex over the whole path)."""
        route = r"^/admin/openapi/v\d{8}/" + fnmatch.translate(self.route)
        return {
            "kind": "error",
            "statuses": [self.status],
            "probability": self.rate,
            "routes": [route],
        }

    @classmethod
    def parse(cls, raw: Any) -> FaultRule:
        """From ``{"status", "rate"?, "route"?}``; a bad value raises ValueError."""
        if not isinstance(raw, Mapping):
            raise ValueError(f"a fault must be an object, got {raw!r}")
        unknown = set(raw) - {"status", "rate", "route"}
        if unknown:
            raise ValueError(f"unknown fault key(s): {', '.join(sorted(unknown))}")
        status, rate, route = raw.get("status"), raw.get("rate", 1.0), raw.get("route", "*")
        if isinstance(status, bool) or not isinstance(status, int):
            raise ValueError(f"fault status must be an integer, got {status!r}")
        if isinstance(rate, bool) or not isinstance(rate, (int, float, Decimal)):
            raise ValueError(f"fault rate must be a number, got {rate!r}")
        if not isinstance(route, str):
            raise ValueError(f"fault route must be a string, got {route!r}")
        return cls(status=status, rate=float(rate), route=route)


@dataclass(frozen=True, kw_only=True)
class ShoplineSettings:
    """Tunable behaviour of the SHOPLINE mock (all durations in simulated seconds)."""

    bucket_size: int = 40
    """REST leaky bucket capacity per app per store."""
    leak_rate: float = 4.0
    """Calls drained per second (4 QPS)."""
    token_ttl_seconds: float = 36_000.0
    """OAuth access token lifetime (10 h)."""
    token_grace_seconds: float = 300.0
    """How long the previous token keeps working after a rotation (OAuth apps: 5 min)."""
    supported_api_versions: tuple[str, ...] = (
        "v20230901",
        "v20240301",
        "v20240901",
        "v20250301",
    )
    """Oldest first; an unsupported ``vYYYYMMDD`` falls back to the newest."""
    updated_at_cutoff_version: str = "v20240901"
    """First version that spells ``updated_at``; older ones say ``update_at``."""
    lock_threshold: int = 100
    """429s within ``lock_window_seconds`` that lock the store (0 disables the lock)."""
    lock_window_seconds: float = 60.0
    lock_duration_seconds: float = 300.0
    faults: tuple[FaultRule, ...] = ()
    """Injected 402/423/433-436 answers, installed on the fault plan at start-up."""
    page_limit_default: int = 50
    page_limit_max: int = 1000
    currency: str = "USD"
    tax_rate: Decimal = Decimal("0.08")
    tax_title: str = "Sales tax"
    shipping_rates: Mapping[str, Decimal] = field(
        default_factory=lambda: _money_map({"standard": "5.00", "express": "15.00"})
    )
    discount_codes: Mapping[str, Decimal] = field(
        default_factory=lambda: _money_map({"FLASH10": "10"})
    )
    """Discount code -> percentage off the line items (10 means 10 %)."""
    shop_domain: str = "rehearsal.myshopline.com"
    shop_id: str = "1700000000001"
    merchant_id: str = "2000000000001"
    webhook_retry_schedule: tuple[float, ...] = SHOPIFY_RETRY_SCHEDULE
    """SHOPLINE's schedule is undocumented; Shopify-like defaults (PLATFORMS section 7)."""
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_concurrency: int = 20
    webhook_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        versions = self.supported_api_versions
        checks = {
            "bucket_size": self.bucket_size > 0,
            "leak_rate": self.leak_rate > 0,
            "token_ttl_seconds": self.token_ttl_seconds > 0,
            "token_grace_seconds": self.token_grace_seconds >= 0,
            "supported_api_versions": bool(versions)
            and all(VERSION_PATTERN.match(v) for v in versions)
            and list(versions) == sorted(versions),
            "updated_at_cutoff_version": bool(
                VERSION_PATTERN.match(self.updated_at_cutoff_version)
            ),
            "lock_threshold": self.lock_threshold >= 0,
            "lock_window_seconds": self.lock_window_seconds > 0,
            "lock_duration_seconds": self.lock_duration_seconds > 0,
            "page_limit_default": 1 <= self.page_limit_default <= self.page_limit_max,
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
            raise ValueError(f"invalid SHOPLINE setting(s): {', '.join(bad)}")

    def resolve_api_version(self, requested: str) -> str:
        """A supported version answers itself; any other ``vYYYYMMDD`` falls back to the newest
        stable one (PLATFORMS 2.3: "fall back to the most recent available stable version")."""
        if requested in self.supported_api_versions:
            return requested
        return self.supported_api_versions[-1]

    def spells_update_at(self, version: str) -> bool:
        """Whether ``version`` predates the ``update_at`` -> ``updated_at`` rename."""
        return version < self.updated_at_cutoff_version  # vYYYYMMDD sorts as text

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> ShoplineSettings:
        """Defaults with ``overrides`` applied; unknown keys and bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in (overrides or {}).items():
            if key not in known:
                raise ValueError(f"unknown SHOPLINE setting {key!r}; known: {', '.join(known)}")
            values[key] = _convert(key, raw)
        return cls(**values)


_INTS = {"bucket_size", "lock_threshold", "page_limit_default", "page_limit_max"}
_INTS |= {"webhook_concurrency"}
_NUMBERS = {
    "leak_rate",
    "token_ttl_seconds",
    "token_grace_seconds",
    "lock_window_seconds",
    "lock_duration_seconds",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "webhook_timeout_seconds",
}
_STRINGS = {"currency", "tax_title", "shop_domain", "shop_id", "merchant_id"}
_STRINGS |= {"updated_at_cutoff_version"}


def _number(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise ValueError(f"setting {key!r} must be a number, got {raw!r}")
    return float(raw)


def _decimal(key: str, raw: Any) -> Decimal:
    if isinstance(raw, bool):
        raise ValueError(f"setting {key!r} must be a decimal string, got {raw!r}")
    try:
        return Decimal(str(raw))
    except InvalidOperation as exc:
        raise ValueError(f"setting {key!r}: {raw!r} is not a decimal") from exc


def _convert(key: str, raw: Any) -> Any:
    """Coerce one JSON override to the field's type, naming the key on failure."""
    if key in _INTS:
        if isinstance(raw, bool) or not isinstance(raw, int):
            raise ValueError(f"setting {key!r} must be an integer, got {raw!r}")
        return raw
    if key in _NUMBERS:
        return _number(key, raw)
    if key in _STRINGS:
        if not isinstance(raw, str) or not raw:
            raise ValueError(f"setting {key!r} must be a non-empty string, got {raw!r}")
        return raw
    if key == "tax_rate":
        return _decimal(key, raw)
    if key == "supported_api_versions":
        if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
            raise ValueError(f"setting {key!r} must be a list of vYYYYMMDD strings")
        return tuple(raw)
    if key == "faults":
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"setting {key!r} must be a list of {{status, rate, route}}")
        return tuple(FaultRule.parse(r) for r in raw)
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
