"""Engine settings, built once from a JSON/YAML mapping and passed down (nothing reads env)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sync_engine.exceptions import AlertSettings

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


class Timing(_Strict):
    """Loop periods and back-off, all in simulated seconds."""

    stock_poll_interval: float = Field(2.0, gt=0)
    stock_poll_overlap: float = Field(2.0, ge=0)
    order_poll_interval: float = Field(30.0, gt=0)
    full_sync_interval: float = Field(300.0, gt=0)
    quiet_full_sync_after: float = Field(15.0, gt=0)
    """After this long without a new order, a full stock sync settles any residual drift."""
    push_tick: float = Field(0.5, gt=0)
    worker_tick: float = Field(0.2, gt=0)
    retry_base: float = Field(0.5, gt=0)
    retry_cap: float = Field(60.0, gt=0)


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
    shopify: ShopifyDestination
    erp: ErpDestination
    location_map: dict[str, int]
    """ERP location id → Shopify location id. Several ERP locations may map to one channel id."""
    sales_location_id: int | None = None
    """Channel location that checkouts draw from (default: the first mapped one)."""
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

    @property
    def store_location(self) -> str:
        """The URL (or bare SQLite path) ``open_store`` is given."""
        return self.store_url or str(self.db_path)

    @property
    def order_lease_seconds(self) -> float:
        """How long a claimed order stays ours before another engine may take it over."""
        return self.erp.request_timeout + self.order_lease_margin

    @property
    def channel_sales_location(self) -> int:
        if self.sales_location_id is not None:
            return self.sales_location_id
        return next(iter(self.location_map.values()))
