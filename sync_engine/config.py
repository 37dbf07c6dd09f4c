"""Engine settings, built once from a JSON/YAML mapping and passed down (nothing reads env)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sync_engine.connectors.fulfil_v2 import FulfilDestination
from sync_engine.exceptions import AlertSettings
from sync_engine.mapping.rules import MappingRules

LEASE_MARGIN_SECONDS = 30.0
"""Added to the ERP request timeout to make an order lease: a request that is still running
when its lease ends would be sent a second time by another engine (harmless, it is an
idempotent upsert, but wasted budget), so the lease outlives the request's timeout."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShopifyDestination(_Strict):
    """A Shopify store the engine syncs with (REST Admin API)."""

    base_url: str
    access_token: str = Field(repr=False)
    webhook_secret: str = Field(repr=False)
    api_version: str = "2026-01"
    page_limit: int = Field(250, ge=1, le=250)
    ids_per_filter: int = Field(50, ge=1, le=250)
    """Inventory item ids per ``inventory_levels.json`` call (Shopify accepts up to 50)."""
    bucket_headroom: int = Field(2, ge=0)
    """Calls kept free in the leaky bucket so other apps' and the poller's calls fit."""


class ErpDestination(_Strict):
    """The NetSuite-style back office."""

    base_url: str
    access_token: str = Field(repr=False)
    initial_concurrency: int = Field(4, ge=1)
    max_concurrency: int = Field(64, ge=1)
    """Upper bound for the learned concurrency; the real ceiling is found from 429s."""
    decrease_factor: float = Field(0.75, gt=0, lt=1)
    query_limit: int = Field(1000, ge=1, le=1000)
    request_timeout: float = Field(120.0, gt=0)
    """Simulated seconds before an ERP request's outcome is treated as unknown."""


class ChannelSettings(_Strict):
    """One sales channel: platform, pinned connector version, credentials and stock mapping."""

    platform: Literal["shopify", "shopline", "shopware"]
    connector: str | None = None
    """Connector family (``shopify-rest``, ``shopify-graphql``, ``shopline-rest``,
    ``shopware-admin``); the platform's first one when absent. The API version is pinned by
    ``api_version``: together they are the connector id results are labelled with."""
    base_url: str
    api_version: str | None = None
    access_token: str | None = Field(None, repr=False)
    webhook_secret: str = Field(repr=False)
    client_id: str | None = Field(None, repr=False)
    client_secret: str | None = Field(None, repr=False)
    location_map: dict[str, str]
    """Back-office location id → this channel's location id (several may share one)."""
    sales_location_id: str | None = None
    """The channel location checkouts draw from (default: the first mapped one)."""
    stock_buffer: int | None = Field(None, ge=0)
    """Overrides the engine-wide buffer for this channel."""
    page_limit: int = Field(250, ge=1, le=250)
    bucket_headroom: float | None = Field(None, ge=0)

    @property
    def sales_location(self) -> str:
        return self.sales_location_id or next(iter(self.location_map.values()))


class ReconcileConfig(_Strict):
    """Scheduled reconciliation (``sync_engine.reconcile``): lowest priority, same budgets."""

    enabled: bool = True
    interval: float = Field(900.0, gt=0)
    """Simulated seconds between passes."""
    lag: float = Field(900.0, ge=0)
    """Orders younger than this missing from the back office are sync lag, not drift."""
    horizon: float = Field(7 * 86_400.0, gt=0)
    """How far back a pass looks (simulated seconds)."""
    max_calls: int = Field(200, ge=1)
    """API calls one pass may spend; the next pass resumes where it stopped."""


class Timing(_Strict):
    """Loop periods and back-off, all in simulated seconds."""

    stock_poll_interval: float = Field(2.0, gt=0)
    stock_poll_overlap: float = Field(2.0, ge=0)
    order_poll_interval: float = Field(30.0, gt=0)
    full_sync_interval: float = Field(300.0, gt=0)
    quiet_full_sync_after: float = Field(15.0, gt=0)
    """After this long without a new order, a full stock sync settles any residual drift."""
    fulfilment_poll_interval: float = Field(30.0, gt=0)
    """How often back-office shipments are read (simulated seconds)."""
    refund_poll_interval: float = Field(60.0, gt=0)
    payout_poll_interval: float = Field(600.0, gt=0)
    push_tick: float = Field(0.5, gt=0)
    worker_tick: float = Field(0.2, gt=0)
    retry_base: float = Field(0.5, gt=0)
    retry_cap: float = Field(60.0, gt=0)
    webhook_max_age: float = Field(18000.0, gt=0)
    """Deliveries triggered longer ago are refused as replays: above every platform's retry
    horizon (Shopify 4 h, Shopware 4.6 h); see ``sync_engine.webhook_freshness``."""
    webhook_max_skew: float = Field(300.0, ge=0)
    """Deliveries dated further in the future than this are refused."""


class EngineConfig(_Strict):
    """Everything one engine process needs."""

    db_path: str | None = None
    """SQLite file (kept for older configs; ``store_url`` is the general form)."""
    store_url: str | None = None
    """Where state lives: ``sqlite:///path``, ``memory://`` or ``postgresql://…`` (see
    ``sync_engine.store.open_store``). Takes precedence over ``db_path``."""
    engine_id: str | None = None
    """This engine's name as a lease owner; default: host, pid and a random suffix."""
    order_lease_margin: float = Field(LEASE_MARGIN_SECONDS, gt=0)
    """An order lease lasts the ERP request timeout plus this (simulated seconds)."""
    shopify: ShopifyDestination | None = None
    """The single-Shopify form (with ``location_map``); folded into ``channels["shopify"]``."""
    channels: dict[str, ChannelSettings] = Field(default_factory=dict)
    """Sales channels by name; the name prefixes every external id (``shopify-1001``)."""
    back_office: Literal["erp", "fulfil"] = "erp"
    """Which back office orders go to and stock comes from."""
    erp: ErpDestination | None = None
    """The NetSuite-style ERP (``back_office: erp``)."""
    fulfil: FulfilDestination | None = None
    """Fulfil (``back_office: fulfil``)."""
    location_map: dict[str, int] = Field(default_factory=dict)
    """ERP location id → Shopify location id, for the single-Shopify form."""
    sales_location_id: int | None = None
    """Channel location that checkouts draw from (default: the first mapped one)."""
    mapping: MappingRules = Field(default_factory=MappingRules)
    reconcile: ReconcileConfig = Field(default_factory=ReconcileConfig)
    accounts: dict[str, str] = Field(default_factory=dict)
    """General-ledger accounts payout journals post to (``bank``, ``clearing``, ``fees``,
    ``refunds``, ``adjustments``); defaults in ``flows.payouts.DEFAULT_ACCOUNTS``."""
    """SKU, bundle, promotion, customer and carrier rules (``sync_engine.mapping``)."""
    stock_buffer: int = Field(0, ge=0)
    """Units held back per SKU and location: channel available = ERP ATS − buffer."""
    scarce_stock_below: int = Field(50, ge=0)
    """Orders touching a SKU with less back-office stock than this jump the order queue."""
    webhook_address: str
    """Where the platform should deliver webhooks to this engine."""
    timing: Timing = Field(default_factory=Timing)
    alerts: AlertSettings = Field(default_factory=AlertSettings)
    """Where exception alerts go (new fingerprint, threshold reached)."""
    seed: int = 0
    clock: dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _has_store(self) -> EngineConfig:
        if self.store_url is None and self.db_path is None:
            raise ValueError("give store_url (or db_path for a SQLite file)")
        return self

    @model_validator(mode="after")
    def _has_back_office(self) -> EngineConfig:
        if getattr(self, self.back_office) is None:
            raise ValueError(
                f"back_office is {self.back_office!r}: give its {self.back_office}: section"
            )
        return self

    @model_validator(mode="after")
    def _has_channels(self) -> EngineConfig:
        if self.shopify is not None and not self.location_map:
            raise ValueError("shopify needs location_map (ERP location id → Shopify location id)")
        if self.shopify is None and not self.channels:
            raise ValueError("configure at least one sales channel (channels, or shopify)")
        if self.shopify is not None and "shopify" in self.channels:
            raise ValueError("give Shopify either as shopify + location_map or in channels")
        return self

    @property
    def all_channels(self) -> dict[str, ChannelSettings]:
        """Every channel, the single-Shopify form included as ``shopify``."""
        if self.shopify is None:
            return dict(self.channels)
        legacy = ChannelSettings(
            platform="shopify",
            base_url=self.shopify.base_url,
            api_version=self.shopify.api_version,
            access_token=self.shopify.access_token,
            webhook_secret=self.shopify.webhook_secret,
            location_map={erp: str(chan) for erp, chan in self.location_map.items()},
            sales_location_id=None
            if self.sales_location_id is None
            else str(self.sales_location_id),
            page_limit=self.shopify.page_limit,
            bucket_headroom=self.shopify.bucket_headroom,
        )
        return {"shopify": legacy, **self.channels}

    @property
    def store_location(self) -> str:
        """The URL (or bare SQLite path) ``open_store`` is given."""
        return self.store_url or str(self.db_path)

    @property
    def order_lease_seconds(self) -> float:
        """How long a claimed order stays ours before another engine may take it over."""
        dest = self.erp if self.back_office == "erp" else self.fulfil
        assert dest is not None  # _has_back_office
        return dest.request_timeout + self.order_lease_margin
