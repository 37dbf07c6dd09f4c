"""Fulfil mock settings: every number from PLATFORMS.md section 4, overridable per run.

The process config's ``settings`` object is applied with :meth:`FulfilSettings.from_overrides`;
an unknown key is a ``ValueError`` naming it (a misspelt ``requests_per_minut`` must not
silently run the default). Modelling choices PLATFORMS.md does not settle carry a ``*``:

- ``requests_per_minute`` 1000 per API key*: PLATFORMS 4.2 has only the marketing figure
  "1,000+ requests per minute"; enforced as a sliding window of ``rate_limit_window_seconds``.
- ``per_page_max`` 500*: the official client batches ``search`` + ``read`` by 500 ids
  (PLATFORMS 4.4); a larger ``per_page`` is refused with a UserError naming the maximum.
- Shipment timings* (``assign_after_seconds``, ``pack_after_seconds``,
  ``ship_after_seconds``): Fulfil publishes none; warehouse work is simulated on the clock.
- Webhook retry schedule*: PLATFORMS 4.4 says "unknown"; Shopify-like defaults (section 7).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.common.webhooks import SHOPIFY_RETRY_SCHEDULE

API_PREFIX = "/api/v2"
"""Every request under this prefix is authenticated and rate limited."""
MODEL_PREFIX = f"{API_PREFIX}/model"

CREDENTIAL_KEYS = frozenset({"api_key", "webhook_secret"})
DEFAULT_API_KEY = "fulfil_rehearsal"
DEFAULT_WEBHOOK_SECRET = "cmVoZWFyc2FsLWZ1bGZpbA=="  # base64 of "rehearsal-fulfil"

STOCK_MOVEMENT_REASONS = ("receipt", "other_channel")

WEBHOOK_EVENTS = frozenset(
    {
        "sale.sale.created",
        "sale.sale.confirmed",
        "sale.sale.processing",
        "sale.sale.done",
        "sale.sale.cancelled",
        "stock.shipment.out.assigned",
        "stock.shipment.out.packed",
        "stock.shipment.out.done",
        "stock.shipment.out.cancelled",
        "product.product.stock_changed",
    }
)
"""Events a subscription may name; ``"*"`` subscribes to all of them.*"""


@dataclass(frozen=True, kw_only=True)
class WebhookSubscriptionConfig:
    """A subscription given in the settings (kept across ``/_mock/reset``)."""

    event: str
    url: str

    def __post_init__(self) -> None:
        if self.event != "*" and self.event not in WEBHOOK_EVENTS:
            known = ", ".join(sorted(WEBHOOK_EVENTS))
            raise ValueError(f"unknown webhook event {self.event!r}; known: *, {known}")
        if not self.url.startswith(("http://", "https://")):
            raise ValueError(f"webhook url must be http(s), got {self.url!r}")


@dataclass(frozen=True, kw_only=True)
class FulfilSettings:
    """Tunable behaviour of the Fulfil mock (durations in simulated seconds)."""

    requests_per_minute: int = 1000
    """Requests one API key may make per window (marketing figure, PLATFORMS 4.2)*."""
    rate_limit_window_seconds: float = 60.0
    """Length of the sliding window the limit counts over."""
    per_page_default: int = 10
    """``find`` page size when ``per_page`` is absent (PLATFORMS 4.1)."""
    per_page_max: int = 500
    """Largest ``per_page`` (and ``search`` limit) accepted*."""
    allow_negative_stock: bool = False
    """False: a shipment waits until on-hand stock covers it; True: it is assigned at once."""
    assign_after_seconds: float = 60.0
    """A processed sale's shipment is tried for assignment this long after it was created*."""
    pack_after_seconds: float = 300.0
    """An assigned shipment is packed this long after assignment*."""
    ship_after_seconds: float = 600.0
    """A packed shipment is done (shipped, tracking set) this long after packing*."""
    carriers: tuple[str, ...] = ("UPS", "FedEx", "USPS")
    """Carrier drawn (seeded) for each shipment; tracking numbers are seeded too*."""
    currency: str = "USD"
    """Company currency: a sale created without ``currency`` gets it."""
    company_name: str = "Rehearsal Inc."
    subdomain: str = "rehearsal"
    """``{subdomain}.fulfil.io``: sent in webhook headers only."""
    webhooks: tuple[WebhookSubscriptionConfig, ...] = ()
    """Subscriptions present from the start (and after every reset)."""
    webhook_retry_schedule: tuple[float, ...] = SHOPIFY_RETRY_SCHEDULE
    webhook_drop_rate: float = 0.0
    webhook_duplicate_rate: float = 0.0
    webhook_concurrency: int = 20
    webhook_timeout_seconds: float = 5.0

    def __post_init__(self) -> None:
        checks = {
            "requests_per_minute": self.requests_per_minute >= 1,
            "rate_limit_window_seconds": self.rate_limit_window_seconds > 0,
            "per_page_default": 1 <= self.per_page_default <= self.per_page_max,
            "per_page_max": self.per_page_max >= 1,
            "assign_after_seconds": self.assign_after_seconds >= 0,
            "pack_after_seconds": self.pack_after_seconds >= 0,
            "ship_after_seconds": self.ship_after_seconds >= 0,
            "carriers": bool(self.carriers) and all(self.carriers),
            "currency": len(self.currency) == 3,
            "webhook_retry_schedule": all(d >= 0 for d in self.webhook_retry_schedule),
            "webhook_drop_rate": 0.0 <= self.webhook_drop_rate <= 1.0,
            "webhook_duplicate_rate": 0.0 <= self.webhook_duplicate_rate <= 1.0,
            "webhook_concurrency": self.webhook_concurrency >= 1,
            "webhook_timeout_seconds": self.webhook_timeout_seconds > 0,
        }
        bad = [name for name, ok in checks.items() if not ok]
        if bad:
            raise ValueError(f"invalid Fulfil setting(s): {', '.join(bad)}")

    @classmethod
    def from_overrides(cls, overrides: Mapping[str, Any] | None) -> FulfilSettings:
        """Defaults with ``overrides`` applied; unknown keys and bad values raise ValueError."""
        known = {f.name for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for key, raw in (overrides or {}).items():
            if key not in known:
                raise ValueError(
                    f"unknown Fulfil setting {key!r}; known: {', '.join(sorted(known))}"
                )
            values[key] = _convert(key, raw)
        return cls(**values)


_INTS = {"requests_per_minute", "per_page_default", "per_page_max", "webhook_concurrency"}
_NUMBERS = {
    "rate_limit_window_seconds",
    "assign_after_seconds",
    "pack_after_seconds",
    "ship_after_seconds",
    "webhook_drop_rate",
    "webhook_duplicate_rate",
    "webhook_timeout_seconds",
}
_STRINGS = {"currency", "company_name", "subdomain"}


def _number(key: str, raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal)):
        raise ValueError(f"setting {key!r} must be a number, got {raw!r}")
    return float(raw)


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
    if key == "allow_negative_stock":
        if not isinstance(raw, bool):
            raise ValueError(f"setting {key!r} must be true or false, got {raw!r}")
        return raw
    if key == "carriers":
        if not isinstance(raw, (list, tuple)) or not all(isinstance(v, str) for v in raw):
            raise ValueError(f"setting {key!r} must be a list of carrier names")
        return tuple(raw)
    if key == "webhook_retry_schedule":
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"setting {key!r} must be a list of delays in seconds")
        return tuple(_number(key, v) for v in raw)
    if key == "webhooks":
        if not isinstance(raw, (list, tuple)):
            raise ValueError(f"setting {key!r} must be a list of {{event, url}}")
        subs = []
        for item in raw:
            if not isinstance(item, Mapping) or set(item) != {"event", "url"}:
                raise ValueError(f"setting {key!r}: each entry must be {{event, url}}")
            subs.append(WebhookSubscriptionConfig(event=str(item["event"]), url=str(item["url"])))
        return tuple(subs)
    raise AssertionError(f"no converter for setting {key!r}")  # pragma: no cover
