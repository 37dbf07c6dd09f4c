"""Shopware 6 mock settings: every number from PLATFORMS.md section 3, overridable per run.

The process config's ``settings`` object is applied with :meth:`ShopwareSettings.from_overrides`;
an unknown key is an error (a misspelt ``oauth_rate_limt`` must not silently run the default).

Modelling choices PLATFORMS.md does not settle are marked * (see ``api.py`` for the full list):
- ``sync_max_payload_records`` (500): Shopware documents no sync payload limit (PLATFORMS 3.2
  says [U]); ours refuses bigger requests with 400 ``FRAMEWORK__SYNC_PAYLOAD_TOO_LARGE``.
- ``sync_base_seconds`` / ``sync_seconds_per_record``: the simulated time a sync request holds
  before it commits. 0 by default so contract suites on a paused virtual clock never wait;
  a rehearsal sets real figures (e.g. 0.2 s + 0.01 s per record).
- ``closeout_stock_write``: what a stock write to an ``isCloseout`` product does: ``ignore``
  (default; accepted, stock unchanged - the "Abverkauf" failure seen in the field), ``reject``
  (400 ``CONTENT__PRODUCT_CLOSEOUT_STOCK_WRITE``) or ``accept`` (plain Shopware behaviour).
- ``admin_rate_limit`` (0 = off): self-hosted Shopware does not limit Admin CRUD (PLATFORMS
  3.3); a run can switch a per-integration window on to model a hosted plan.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from types import MappingProxyType
from typing import Any

from mocks.common.money import to_money

DEFAULT_CLIENT_ID = "SWIAREHEARSAL"
DEFAULT_CLIENT_SECRET = "rehearsal-shopware-secret"
DEFAULT_WEBHOOK_SECRET = "rehearsal-shopware-shop-secret"
CREDENTIAL_KEYS = frozenset({"client_id", "client_secret", "webhook_secret"})

LIVE_VERSION_ID = "0fa91ce3e96a4bc2be4bd9ce752c3425"
"""Shopware's ``Defaults::LIVE_VERSION``: the version id of every live row."""

ORDER_STATES: Mapping[str, str] = MappingProxyType(
    {"open": "Open", "in_progress": "In Progress", "completed": "Done", "cancelled": "Cancelled"}
)
"""technicalName -> display name of the ``order.state`` state machine."""
ORDER_TRANSITIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "open": MappingProxyType({"process": "in_progress", "cancel": "cancelled"}),
        "in_progress": MappingProxyType({"complete": "completed", "cancel": "cancelled"}),
        "completed": MappingProxyType({"reopen": "open"}),
        "cancelled": MappingProxyType({"reopen": "open"}),
    }
)
"""From state -> {transition: to state} (Shopware's default order state machine)."""

DELIVERY_STATES: Mapping[str, str] = MappingProxyType(
    {
        "open": "Open",
        "shipped": "Shipped",
        "shipped_partially": "Shipped (partially)",
        "returned": "Returned",
        "returned_partially": "Returned (partially)",
        "cancelled": "Cancelled",
    }
)
"""technicalName -> display name of the ``order_delivery.state`` state machine."""
DELIVERY_TRANSITIONS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {
        "open": MappingProxyType(
            {"ship": "shipped", "ship_partially": "shipped_partially", "cancel": "cancelled"}
        ),
        "shipped_partially": MappingProxyType(
            {
                "ship": "shipped",
                "retour": "returned",
                "retour_partially": "returned_partially",
                "cancel": "cancelled",
                "reopen": "open",
            }
        ),
        "shipped": MappingProxyType(
            {
                "retour": "returned",
                "retour_partially": "returned_partially",
                "cancel": "cancelled",
                "reopen": "open",
            }
        ),
        "returned_partially": MappingProxyType({"retour": "returned", "reopen": "open"}),
        "returned": MappingProxyType({"reopen": "open"}),
        "cancelled": MappingProxyType({"reopen": "open"}),
    }
)
"""From state -> {transition: to state} (Shopware's default ``order_delivery.state`` machine;
every state but ``open`` can be reopened, Migration1600349343)."""

LINE_ITEM_TYPES = ("product", "promotion", "custom", "credit", "discount", "container")

VERSIONED_ENTITIES = frozenset(
    {"product", "order", "order_line_item", "order_delivery", "order_transaction"}
)
"""Entities whose webhook ``primaryKey`` is ``{"id", "versionId"}`` rather than a string."""

WEBHOOK_EVENTS = frozenset(
    {
        "product.written",
        "product.deleted",
        "customer.written",
        "customer.deleted",
        "order.written",
        "order.deleted",
        "order_line_item.written",
        "order_delivery.written",
        "order_transaction.written",
    }
)

SHOPWARE_OUTBOX_RETRY_SCHEDULE: tuple[float, ...] = (5.0, 30.0, 300.0, 1800.0, 14400.0)
"""New webhook outbox (PLATFORMS 3.7, ADR 2026-04-14): 5 s, 30 s, 5 min, 30 min, 4 h."""
SHOPWARE_LEGACY_RETRY_SCHEDULE: tuple[float, ...] = (1.0, 2.0, 4.0)
"""Legacy Messenger delivery (PLATFORMS 3.7): 1 s, 2 s, 4 s, then error_count++."""

CLOSEOUT_STOCK_WRITE_MODES = ("ignore", "reject", "accept")
RUNTIME_SETTINGS = frozenset(
    {
        "closeout_stock_write",
        "enable_stock_management",
        "sync_max_payload_records",
        "sync_base_seconds",
        "sync_seconds_per_record",
    }
)
"""Settings ``POST /_mock/settings`` may change while the mock runs (reset restores them)."""
TOTAL_COUNT_MODES: Mapping[str, int] = MappingProxyType({"none": 0, "exact": 1, "next-pages": 2})


def stable_id(name: str) -> str:
    """A 32-hex id that is the same in every run (currencies, taxes, states, methods)."""
    return hashlib.sha256(f"shopware:{name}".encode()).hexdigest()[:32]


def _money_map(values: Mapping[str, str]) -> Mapping[str, Decimal]:
    return MappingProxyType({k: Decimal(v) for k, v in values.items()})


@dataclass(frozen=True, kw_only=True)
class WebhookSetting:
    """A webhook registered from the settings (as an app manifest would declare it)."""

    event: str
    url: str
    only_live_version: bool = False


@dataclass(frozen=True, kw_only=True)
class ShopwareSettings:
    """Tunable behaviour of the Shopware 6 mock (all durations in simulated seconds)."""

    token_ttl_seconds: float = 600.0
    """Admin API access token lifetime (PLATFORMS 3.1: 10 minutes)."""
    oauth_rate_limit: int = 10
    """``POST /api/oauth/token`` calls per window per client IP (SaaS: 10/min); 0 = off."""
    oauth_rate_window_seconds: float = 60.0
    admin_rate_limit: int = 0
    """* Optional Admin API limit per integration per window; 0 = off (self-hosted)."""
    admin_rate_window_seconds: float = 60.0
    sync_max_payload_records: int = 500
    """* Most records one ``/api/_action/sync`` request may carry (Shopware: undocumented)."""
    sync_base_seconds: float = 0.0
    """* Simulated seconds every sync request holds before it commits."""
    sync_seconds_per_record: float = 0.0
    """* Additional simulated seconds per record of a sync request."""
    closeout_stock_write: str = "ignore"
    """* ``ignore`` | ``reject`` | ``accept``: a stock write to a closeout product."""
    enable_stock_management: bool = True
    """``shopware.stock.enable_stock_management``: false leaves stock alone on orders."""
    page_limit_default: int = 25
    """* Page size of a list or search without ``limit``."""
    page_limit_max: int = 500
    """* ``shopware.api.max_limit``: a larger ``limit`` is clamped to it."""
    currency: str = "EUR"
    tax_rate: Decimal = Decimal("19")
    """Percent rate of the standard tax every seeded product gets unless it names another."""
    tax_name: str = "Standard rate"
    tax_status: str = "gross"
    """B2C prices include tax (``gross``); tax is extracted per line."""
    shipping_methods: Mapping[str, Decimal] = field(
        default_factory=lambda: _money_map({"standard": "4.99", "express": "9.99"})
    )
    """Shipping method technical name -> gross price."""
    shop_id: str = "rehearsalShop01"
    shop_url: str = "http://shopware.rehearsal.test"
    app_version: str = "1.0.0"
    shopware_version: str = "6.6.10.0"
    """Sent as ``sw-version`` on webhooks."""
    language_id: str = "2fbb5fe2e29a4d70aa5854ce7ce3e20b"
    """Shopware's ``Defaults::LANGUAGE_SYSTEM``, sent as ``sw-context-language``."""
    user_language: str = "en-GB"
    webhooks: tuple[WebhookSetting, ...] = ()
    """Webhooks registered at start and after every reset."""
    webhook_retry_schedule: tuple[float, ...] = SHOPWARE_OUTBOX_RETRY_SCHEDULE
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_delay_rate: float = 0.0
    webhook_delay_max_seconds: float = 3600.0
    webhook_reorder_rate: float = 0.0
    webhook_reorder_max_seconds: float = 30.0
    webhook_concurrency: int = 8
    """* Deliveries in flight at once (the outbox is best-effort FIFO per app)."""
    webhook_timeout_seconds: float = 5.0
    """App-server request timeout (PLATFORMS 3.7: 5 s)."""

    def __post_init__(self) -> None:
        checks = {
            "token_ttl_seconds": self.token_ttl_seconds > 0,
            "oauth_rate_limit": self.oauth_rate_limit >= 0,
            "oauth_rate_window_seconds": self.oauth_rate_window_seconds > 0,
            "admin_rate_limit": self.admin_rate_limit >= 0,
            "admin_rate_window_seconds": self.admin_rate_window_seconds > 0,
            "sync_max_payload_records": self.sync_max_payload_records >= 1,
            "sync_base_seconds": self.sync_base_seconds >= 0,
            "sync_seconds_per_record": self.sync_seconds_per_record >= 0,
            "closeout_stock_write": self.closeout_stock_write in CLOSEOUT_STOCK_WRITE_MODES,
            "page_limit_default": 1 <= self.page_limit_default <= self.page_limit_max,
            "tax_rate": Decimal(0) <= self.tax_rate < Decimal(100),
            "tax_status": self.tax_status == "gross",
            "shipping_methods": bool(self.shipping_methods)
            and all(v >= 0 for v in self.shipping_methods.values()),
            "webhooks": all(w.event in WEBHOOK_EVENTS for w in self.webhooks),
            "webhook_retry_schedule": all(d >= 0 for d in self.webhook_retry_schedule),
            "webhook_drop_rate": 0.0 <= self.webhook_drop_rate <= 1.0,
            "webhook_duplicate_rate": 0.0 <= self.webhook_duplicate_rate <= 1.0,
            "webhook_delay_rate": 0.0 <= self.webhook_delay_rate <= 1.0,
            "webhook_reorder_rate": 0.0 <= self.webhook_reorder_rate <= 1.0,
            "webhook_delay_max_seconds": self.webhook_delay_max_seconds >= 0,
            "webhook_reorder_max_seconds": self.webhook_reorder_max_seconds >= 0,
            "webhook_concurrency": self.webhook_concurrency >= 1,
            "webhook_timeout_seconds": self.webhook_timeout_seconds > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid Shopware setting(s): {', '.join(bad)}")

    @property
    def currency_id(self) -> str:
        """Id of the shop's default currency."""
        return stable_id(f"currency:{self.currency}")

    @property
    def standard_tax_id(self) -> str:
        """Id of the standard tax rate."""
        return stable_id("tax:standard")

    def with_runtime(self, overrides: Mapping[str, Any]) -> ShopwareSettings:
        """A copy with some :data:`RUNTIME_SETTINGS` changed; other keys raise ValueError."""
        others = set(overrides) - RUNTIME_SETTINGS
        if others:
            raise ValueError(
                f"setting(s) {', '.join(sorted(others))} cannot change at run time; "
                f"runtime settings: {', '.join(sorted(RUNTIME_SETTINGS))}"
            )
        values = {key: _convert(key, raw) for key, raw in overrides.items()}
        return dataclasses.replace(self, **values)

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> ShopwareSettings:
        """Defaults with ``overrides`` applied; unknown keys and bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in (overrides or {}).items():
            if key not in known:
                raise ValueError(
                    f"unknown Shopware setting {key!r}; known: {', '.join(sorted(known))}"
                )
            values[key] = _convert(key, raw)
        return cls(**values)


_INTS = {
    "oauth_rate_limit",
    "admin_rate_limit",
    "sync_max_payload_records",
    "page_limit_default",
    "page_limit_max",
    "webhook_concurrency",
}
_NUMBERS = {
    "token_ttl_seconds",
    "oauth_rate_window_seconds",
    "admin_rate_window_seconds",
    "sync_base_seconds",
    "sync_seconds_per_record",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "webhook_delay_rate",
    "webhook_delay_max_seconds",
    "webhook_reorder_rate",
    "webhook_reorder_max_seconds",
    "webhook_timeout_seconds",
}
_STRINGS = {
    "closeout_stock_write",
    "currency",
    "tax_name",
    "tax_status",
    "shop_id",
    "shop_url",
    "app_version",
    "shopware_version",
    "language_id",
    "user_language",
}


def _number(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise ValueError(f"setting {key!r} must be a number, got {raw!r}")
    return float(raw)


def _webhook(raw: Any) -> WebhookSetting:
    if not isinstance(raw, Mapping) or not isinstance(raw.get("event"), str):
        raise ValueError(f"setting 'webhooks' entries must be {{event, url}}, got {raw!r}")
    url = raw.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ValueError(f"setting 'webhooks': url must be http(s), got {url!r}")
    return WebhookSetting(
        event=raw["event"], url=url, only_live_version=bool(raw.get("onlyLiveVersion", False))
    )


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
    if key == "enable_stock_management":
        if not isinstance(raw, bool):
            raise ValueError(f"setting {key!r} must be true or false, got {raw!r}")
        return raw
    if key == "tax_rate":
        if isinstance(raw, bool):
            raise ValueError(f"setting {key!r} must be a decimal string, got {raw!r}")
        try:
            return Decimal(str(raw))
        except InvalidOperation as exc:
            raise ValueError(f"setting {key!r}: {raw!r} is not a decimal") from exc
    if key == "shipping_methods":
        if not isinstance(raw, Mapping):
            raise ValueError(f"setting {key!r} must be an object of name -> gross price")
        return MappingProxyType({str(k): to_money(v, field=f"{key}.{k}") for k, v in raw.items()})
    if key == "webhooks":
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"setting {key!r} must be a list of {{event, url}}")
        return tuple(_webhook(r) for r in raw)
    if key == "webhook_retry_schedule":
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"setting {key!r} must be a list of delays in seconds")
        return tuple(_number(key, v) for v in raw)
    raise AssertionError(f"no converter for setting {key!r}")  # pragma: no cover
