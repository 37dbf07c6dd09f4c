"""The scenario file format: what a rehearsal runs, and what it must achieve to pass."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from mocks.common.fault_rules import FaultPlanError, parse_rules

FAULT_PLATFORMS = ("shopify", "shopline", "shopware", "fulfil", "erp")
STARTED_PLATFORMS = ("erp", "shopify")
"""The mocks a rehearsal starts (``orchestrator.py``); faults may target only these."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class HotSkus(_Strict):
    """The few SKUs everyone wants, with scarce stock: where overselling happens."""

    count: int = Field(5, ge=0)
    stock: int = Field(30, ge=0)


class Catalogue(_Strict):
    """A generated catalogue; SKU 1 is the hottest (Zipf rank 1)."""

    skus: int = Field(200, ge=1, le=100_000)
    sku_prefix: str = "SKU-"
    price_range: tuple[Decimal, Decimal] = (Decimal("9.00"), Decimal("89.00"))
    stock_range: tuple[int, int] = (40, 120)
    hot: HotSkus = Field(default_factory=HotSkus)
    zipf_s: float = Field(1.1, gt=0)
    currency: str = "USD"

    @model_validator(mode="after")
    def _ranges(self) -> Catalogue:
        low, high = self.price_range
        if low <= 0 or high < low:
            raise ValueError("price_range must be [low, high] with 0 < low <= high")
        if self.stock_range[0] < 0 or self.stock_range[1] < self.stock_range[0]:
            raise ValueError("stock_range must be [low, high] with 0 <= low <= high")
        if self.hot.count > self.skus:
            raise ValueError(f"hot.count ({self.hot.count}) exceeds skus ({self.skus})")
        return self


class Basket(_Strict):
    """How shoppers fill their baskets."""

    max_lines: int = Field(3, ge=1, le=50)
    max_quantity: int = Field(2, ge=1, le=100)
    discount_code: str | None = "FLASH10"
    discount_share: float = Field(0.3, ge=0, le=1)
    express_share: float = Field(0.2, ge=0, le=1)


class BackOffice(_Strict):
    """Stock moving in the ERP on its own: receipts and other channels' sales."""

    rate: float = Field(0.0, ge=0)
    """Movements per simulated second."""
    receipt_share: float = Field(0.5, ge=0, le=1)
    max_units: int = Field(5, ge=1)
    zipf_s: float = Field(0.0, ge=0)
    """SKU bias: 0 = even across the catalogue; the catalogue's zipf_s = chase the hot SKUs."""


class EngineSettings(_Strict):
    """What the scenario sets on the sync engine (the rest keeps its defaults)."""

    stock_buffer: int = Field(0, ge=0)
    erp_initial_concurrency: int = Field(4, ge=1)
    erp_max_concurrency: int = Field(64, ge=1)
    timing: dict[str, float] = Field(default_factory=dict)


class Slo(_Strict):
    """What must hold for the run to pass, besides lost = duplicated = amount drift = 0."""

    max_oversold_units: int = Field(0, ge=0)
    max_stock_drift_units: int = Field(0, ge=0)
    latency_p99_seconds: float | None = Field(None, gt=0)
    max_drain_seconds: float | None = Field(None, gt=0)


class ScenarioFault(BaseModel):
    """A fault on one started mock, timed from the start of the load: ``{platform, at,
    duration?, kind, ...params}``; the params are the rule's (docs/faults.md)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    platform: str
    at: float = Field(ge=0)
    """Simulated seconds after the load starts."""
    duration: float | None = Field(None, gt=0)
    """Open until the run ends when absent."""
    kind: str

    @field_validator("platform")
    @classmethod
    def _platform(cls, platform: str) -> str:
        if platform not in FAULT_PLATFORMS:
            known = ", ".join(FAULT_PLATFORMS)
            raise ValueError(f"unknown platform {platform!r}; known: {known}")
        if platform not in STARTED_PLATFORMS:
            started = ", ".join(STARTED_PLATFORMS)
            raise ValueError(f"{platform!r} is not started by this scenario (started: {started})")
        return platform

    @model_validator(mode="after")
    def _rule(self) -> ScenarioFault:
        clash = sorted({"start", "end"} & set(self.model_extra or {}))
        if clash:
            raise ValueError(f"{', '.join(clash)}: use at and duration in a scenario")
        try:
            parse_rules([self.rule()])
        except FaultPlanError as exc:
            raise ValueError("; ".join(f"{p.field}: {p.reason}" for p in exc.problems)) from None
        return self

    def rule(self) -> dict[str, Any]:
        """The fault as a rule of the platform's plan (installed when the load starts)."""
        rule: dict[str, Any] = {"kind": self.kind, "start": self.at, **(self.model_extra or {})}
        if self.duration is not None:
            rule["end"] = self.at + self.duration
        return rule


class Scenario(_Strict):
    """One rehearsal. All durations are simulated seconds."""

    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    description: str = ""
    seed: int = 0
    time_scale: float = Field(1.0, gt=0, le=1000)
    duration: float = Field(gt=0)
    drain_timeout: float = Field(600.0, gt=0)
    arrival_curve: list[tuple[float, float]] = Field(min_length=2)
    """Checkouts per simulated second at given simulated times; linear in between."""
    catalogue: Catalogue = Field(default_factory=Catalogue)
    basket: Basket = Field(default_factory=Basket)
    back_office: BackOffice = Field(default_factory=BackOffice)
    platforms: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Per-platform setting overrides (``shopify``, ``erp``), validated by each mock."""
    engine: EngineSettings = Field(default_factory=EngineSettings)
    slo: Slo = Field(default_factory=Slo)
    dispatchers: int = Field(4, ge=1, le=64)
    faults: list[ScenarioFault] = Field(default_factory=list)
    """Fault timeline; each platform's rules are PUT to its ``/_mock/faults`` as load starts."""

    @field_validator("arrival_curve")
    @classmethod
    def _curve(cls, curve: list[tuple[float, float]]) -> list[tuple[float, float]]:
        for i, (t, rate) in enumerate(curve):
            if rate < 0:
                raise ValueError(f"point {i}: rate {rate} is negative")
            if i and t <= curve[i - 1][0]:
                raise ValueError(f"point {i}: time {t} is not after {curve[i - 1][0]}")
        if curve[0][0] != 0:
            raise ValueError("the first point must be at time 0")
        return curve

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, platforms: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        unknown = set(platforms) - {"shopify", "erp"}
        if unknown:
            raise ValueError(f"unknown platform(s) {sorted(unknown)}; known: erp, shopify")
        return platforms

    def fault_plans(self) -> dict[str, list[dict[str, Any]]]:
        """Per platform, the rules of its fault plan, in the scenario's order."""
        plans: dict[str, list[dict[str, Any]]] = {}
        for fault in self.faults:
            plans.setdefault(fault.platform, []).append(fault.rule())
        return plans
