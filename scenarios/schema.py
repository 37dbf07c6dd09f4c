"""The scenario file format: what a rehearsal runs, and what it must achieve to pass."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import Decimal
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    ValidationInfo,
    field_validator,
    model_validator,
)

from mocks.common.fault_rules import FaultPlanError, parse_rules
from scenarios.schema_catalogue import Bundles, TaxClass
from scenarios.schema_shoppers import Shoppers
from scenarios.schema_traffic import Traffic, check_points
from scenarios.staff import Staff, StaffActions
from sync_engine.mapping.rules import MappingRules

FAULT_PLATFORMS = ("shopify", "shopline", "shopware", "fulfil", "erp")
CHANNEL_PLATFORMS = ("shopify", "shopline", "shopware")
BACK_OFFICES = ("erp", "fulfil")
STARTED_PLATFORMS = ("erp", "shopify")
"""The mocks a scenario that names no channels starts: one Shopify channel and the ERP.
A scenario with ``channels:`` / ``back_office.platform`` starts those instead, and its
``faults:`` and ``platforms:`` may name only what it starts (``Scenario.started``)."""
RESERVED_NAMES = frozenset({*BACK_OFFICES, "engine", "alerts", "locust"})
"""Service names of the run that a channel may not take."""

_STARTED: ContextVar[tuple[str, ...]] = ContextVar("started", default=STARTED_PLATFORMS)
"""What the scenario being validated starts (set by ``Scenario``'s wrap validator)."""


@contextmanager
def _starting(names: tuple[str, ...]) -> Iterator[None]:
    token = _STARTED.set(names)
    try:
        yield
    finally:
        _STARTED.reset(token)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)


class HotSkus(_Strict):
    """The few SKUs everyone wants, with scarce stock: where overselling happens."""

    count: int = Field(5, ge=0)
    """How many: SKUs 1..count."""
    stock: int = Field(30, ge=0)
    """Units of each in stock."""


class Catalogue(_Strict):
    """A generated catalogue; SKU 1 is the hottest (Zipf rank 1)."""

    generator: Literal["simple", "faker"] = "simple"
    """``simple``: titles ``Product N``, uniform prices and stock (the catalogue of scenarios
    written before generators); ``faker``: Faker titles, log-normal prices and stock from
    numpy, both seeded by the scenario's seed."""
    skus: int = Field(200, ge=1, le=100_000)
    """Number of products; SKUs are ``{sku_prefix}0001`` upwards, hottest first."""
    sku_prefix: str = Field("SKU-", pattern=r"^[A-Za-z0-9_.-]{0,16}$")
    price_range: tuple[Decimal, Decimal] = (Decimal("9.00"), Decimal("89.00"))
    """``[low, high]`` unit price, to the cent."""
    stock_range: tuple[int, int] = (40, 120)
    """``[low, high]`` units in stock of each SKU that is not hot."""
    hot: HotSkus = Field(default_factory=HotSkus)
    zipf_s: float = Field(1.1, gt=0)
    """Hot-SKU exponent of the shoppers' choice (rank k in proportion to 1 / k^s)."""
    currency: str = Field("USD", pattern=r"^[A-Z]{3}$")
    tax_rate: Decimal | None = Field(None, ge=0, lt=1)
    """One tax rate for every product, e.g. ``"0.20"`` (instead of ``tax_classes``)."""
    tax_classes: dict[str, TaxClass] = Field(default_factory=dict)
    """Tax classes by name, each ``{rate, share}``: products are assigned a class at random in
    proportion to the shares (seeded)."""
    bundles: Bundles = Field(default_factory=Bundles)
    locations: int = Field(1, ge=1)
    """Stock locations; only 1 is supported end to end."""

    @field_validator("locations")
    @classmethod
    def _one_location(cls, locations: int) -> int:
        if locations != 1:
            raise ValueError(f"only one stock location is supported (got {locations})")
        return locations

    @model_validator(mode="after")
    def _ranges(self) -> Catalogue:
        low, high = self.price_range
        if low <= 0 or high < low:
            raise ValueError("price_range must be [low, high] with 0 < low <= high")
        if self.stock_range[0] < 0 or self.stock_range[1] < self.stock_range[0]:
            raise ValueError("stock_range must be [low, high] with 0 <= low <= high")
        if self.hot.count > self.skus:
            raise ValueError(f"hot.count ({self.hot.count}) exceeds skus ({self.skus})")
        if self.tax_rate is not None and self.tax_classes:
            raise ValueError("give tax_rate or tax_classes, not both")
        if self.tax_classes and sum(c.share for c in self.tax_classes.values()) <= 0:
            raise ValueError("tax_classes: the shares add up to 0")
        if self.bundles.count and self.bundles.components > self.skus - self.hot.count:
            raise ValueError(
                f"bundles.components ({self.bundles.components}) exceeds the SKUs that are not "
                f"hot ({self.skus - self.hot.count})"
            )
        return self


class Basket(_Strict):
    """How shoppers fill their baskets."""

    max_lines: int = Field(3, ge=1, le=50)
    max_quantity: int = Field(2, ge=1, le=100)
    discount_code: str | None = "FLASH10"
    discount_share: float = Field(0.3, ge=0, le=1)
    express_share: float = Field(0.2, ge=0, le=1)


class BackOffice(_Strict):
    """Which back office the channels sell from (``erp`` = NetSuite-style, or ``fulfil``), and
    stock moving in it on its own: receipts and other channels' sales. ``back_office: fulfil``
    is short for ``back_office: {platform: fulfil}``."""

    platform: Literal["erp", "fulfil"] = "erp"
    rate: float = Field(0.0, ge=0)
    """Movements per simulated second."""
    receipt_share: float = Field(0.5, ge=0, le=1)
    max_units: int = Field(5, ge=1)
    zipf_s: float = Field(0.0, ge=0)
    """SKU bias: 0 = even across the catalogue; the catalogue's zipf_s = chase the hot SKUs."""
    ship_every: float | None = Field(None, gt=0)
    """The warehouse ships every this many simulated seconds (the ERP's ``/_sim/ship``; Fulfil
    ships on its own clock), so the fulfilment flow runs during the rehearsal."""
    ship_min_age: float = Field(30.0, ge=0)
    """Only orders at least this old (simulated seconds) are picked."""

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"platform": data} if isinstance(data, str) else data


class Channel(_Strict):
    """One sales channel: a mock of ``platform`` started for it, and the connector the engine
    talks to it with. The name prefixes every back-office external id (``{name}-{order id}``)."""

    name: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    platform: Literal["shopify", "shopline", "shopware"]
    connector: str | None = None
    """Connector family (``shopify-rest``, ``shopline-rest``, ``shopware-admin``); the
    platform's default when absent."""
    api_version: str | None = None
    """Pinned API version (``2026-01``, ``v20250301``, ``6.6``); the connector's default when
    absent. Family and version make the connector id results are labelled with."""
    share: float = Field(1.0, gt=0)
    """Relative share of the checkouts (shares are normalised over the channels)."""
    stock_buffer: int | None = Field(None, ge=0)
    """Units held back on this channel (default: ``engine.stock_buffer``)."""
    promotions: bool = True
    """Whether shoppers here enter the basket's ``discount_code`` (a channel may not run the
    promotion; the baskets drawn stay the same either way)."""

    @field_validator("name")
    @classmethod
    def _not_reserved(cls, name: str) -> str:
        if name in RESERVED_NAMES:
            raise ValueError(f"{name!r} is reserved ({', '.join(sorted(RESERVED_NAMES))})")
        return name


DEFAULT_CHANNELS = (Channel(name="shopify", platform="shopify"),)


class EngineSettings(_Strict):
    """What the scenario sets on the sync engine (the rest keeps its defaults)."""

    stock_buffer: int = Field(0, ge=0)
    erp_initial_concurrency: int = Field(4, ge=1)
    erp_max_concurrency: int = Field(64, ge=1)
    timing: dict[str, float] = Field(default_factory=dict)


class Slo(_Strict):
    """What must hold for the run to pass, besides lost = duplicated = amount drift = 0."""

    max_oversold_units: int = Field(0, ge=0)
    """Units sold beyond stock, over all SKUs."""
    max_stock_drift_units: int = Field(0, ge=0)
    """Units by which channel stock and back-office stock disagree once the run settles."""
    latency_p50_seconds: float | None = Field(None, gt=0)
    """Median simulated seconds from channel order to back-office sales order."""
    latency_p95_seconds: float | None = Field(None, gt=0)
    """95th percentile of that latency."""
    latency_p99_seconds: float | None = Field(None, gt=0)
    """99th percentile of that latency."""
    max_drain_seconds: float | None = Field(None, gt=0)
    """Simulated seconds from the backlog's peak to an empty backlog."""


class ScenarioFault(BaseModel):
    """A fault on one started mock, timed from the start of the load: ``{platform, at,
    duration?, kind, ...params}``; the params are the rule's (docs/faults.md)."""

    model_config = ConfigDict(extra="allow", frozen=True)

    platform: str
    """A channel name, a platform the scenario starts (every channel on it), or the back office."""
    at: float = Field(ge=0)
    """Simulated seconds after the load starts."""
    duration: float | None = Field(None, gt=0)
    """Open until the run ends when absent."""
    kind: str

    @field_validator("platform")
    @classmethod
    def _platform(cls, platform: str) -> str:
        started = _STARTED.get()
        if platform in started:
            return platform
        if platform not in FAULT_PLATFORMS:
            known = ", ".join(FAULT_PLATFORMS)
            raise ValueError(f"unknown platform {platform!r}; known: {known}")
        raise ValueError(
            f"{platform!r} is not started by this scenario (started: {', '.join(started)})"
        )

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
    """Every random draw of the run (catalogue, arrivals, baskets, faults) derives from it."""
    time_scale: float = Field(1.0, gt=0, le=1000)
    """Simulated seconds per wall second."""
    duration: float = Field(gt=0)
    """Simulated seconds of load (default: the curve's last point)."""
    drain_timeout: float = Field(600.0, gt=0)
    """Simulated seconds the run waits after the load for the backlog to drain."""
    arrival_curve: list[tuple[float, float]] | None = Field(None, min_length=2)
    """Checkouts per simulated second at given simulated times; linear in between (or give
    ``traffic``)."""
    traffic: Traffic | None = None
    """The arrival curve as stages, a table or a generated day profile (or ``arrival_curve``)."""
    catalogue: Catalogue = Field(default_factory=Catalogue)
    basket: Basket = Field(default_factory=Basket)
    shoppers: Shoppers = Field(default_factory=Shoppers)
    channels: tuple[Channel, ...] = Field(DEFAULT_CHANNELS, min_length=1)
    """Sales channels, each on a mock of its own; default one Shopify channel ``shopify``."""
    back_office: BackOffice = Field(default_factory=BackOffice)
    platforms: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Mock setting overrides by channel name, channel platform (every channel on it) or back
    office (``erp``, ``fulfil``); validated by each mock when it starts."""
    engine: EngineSettings = Field(default_factory=EngineSettings)
    mapping: MappingRules = Field(default_factory=MappingRules)
    """The engine's mapping rules (``sync_engine.mapping.rules.MappingRules``): bundles, SKU
    aliases, discount and custom items, carriers."""
    slo: Slo = Field(default_factory=Slo)
    dispatchers: int = Field(4, ge=1, le=64)
    """Locust users firing the planned arrivals."""
    faults: list[ScenarioFault] = Field(default_factory=list)
    """Fault timeline; each platform's rules are PUT to its ``/_mock/faults`` as load starts."""
    staff: Staff = Field(default_factory=StaffActions)

    @model_validator(mode="before")
    @classmethod
    def _duration_from_curve(cls, data: Any) -> Any:
        """``duration`` defaults to the time of the curve's last point."""
        if not isinstance(data, dict) or "duration" in data:
            return data
        length = _curve_length(data)
        return data if length is None else {**data, "duration": length}

    @field_validator("arrival_curve")
    @classmethod
    def _curve(cls, curve: list[tuple[float, float]] | None) -> list[tuple[float, float]] | None:
        if curve is not None:
            check_points(curve)
        return curve

    @model_validator(mode="after")
    def _one_curve_and_aliases(self) -> Scenario:
        if self.arrival_curve is None and self.traffic is None:
            raise ValueError("give arrival_curve or traffic (the arrival-rate curve)")
        if self.arrival_curve is not None and self.traffic is not None:
            raise ValueError("give arrival_curve or traffic, not both")
        return self._aliases_applied()

    def _aliases_applied(self) -> Scenario:
        """The scenario with ``shoppers.promo_share`` / ``zipf_s`` written into the basket and
        catalogue too, so every reader (and a dumped and reloaded copy) sees one value."""
        mix = self.shoppers
        update: dict[str, Any] = {}
        if mix.promo_share is not None:
            update["basket"] = self.basket.model_copy(update={"discount_share": mix.promo_share})
        if mix.zipf_s is not None:
            update["catalogue"] = self.catalogue.model_copy(update={"zipf_s": mix.zipf_s})
        return self.model_copy(update=update) if update else self

    @field_validator("shoppers")
    @classmethod
    def _aliases_agree(cls, shoppers: Shoppers, info: ValidationInfo) -> Shoppers:
        """``promo_share`` and ``zipf_s`` may repeat the basket's and catalogue's settings,
        not contradict them (those blocks come first, so they are validated by now)."""
        pairs = (
            ("promo_share", shoppers.promo_share, "basket", "discount_share"),
            ("zipf_s", shoppers.zipf_s, "catalogue", "zipf_s"),
        )
        for alias, value, block, name in pairs:
            given = info.data.get(block)
            if value is None or given is None or name not in given.model_fields_set:
                continue
            if getattr(given, name) != value:
                raise ValueError(f"{alias} ({value}) and {block}.{name} disagree: give one of them")
        return shoppers

    def curve(self) -> list[tuple[float, float]]:
        """The arrival curve ``[(t, rate), ...]``: ``arrival_curve`` or the compiled ``traffic``."""
        if self.arrival_curve is not None:
            return list(self.arrival_curve)
        assert self.traffic is not None
        return self.traffic.points()

    @property
    def zipf_s(self) -> float:
        """The shoppers' hot-SKU exponent (``shoppers.zipf_s`` or ``catalogue.zipf_s``)."""
        s = self.shoppers.zipf_s
        return self.catalogue.zipf_s if s is None else s

    @property
    def discount_share(self) -> float:
        """Share of baskets with the code (``shoppers.promo_share`` or the basket's)."""
        share = self.shoppers.promo_share
        return self.basket.discount_share if share is None else share

    @model_validator(mode="wrap")
    @classmethod
    def _validate_against_what_starts(
        cls, data: Any, handler: ModelWrapValidatorHandler[Scenario]
    ) -> Scenario:
        """Faults and platform settings may name only what this scenario starts: read that
        from the raw channels and back office first (their own errors are reported by their
        own validators)."""
        with _starting(_started_from_raw(data)):
            return handler(data)

    @field_validator("platforms")
    @classmethod
    def _platforms(cls, platforms: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
        started = _STARTED.get()
        unknown = set(platforms) - set(started)
        if unknown:
            raise ValueError(f"unknown platform(s) {sorted(unknown)}; known: {', '.join(started)}")
        return platforms

    @field_validator("channels")
    @classmethod
    def _unique_names(cls, channels: tuple[Channel, ...]) -> tuple[Channel, ...]:
        names = [c.name for c in channels]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"channel name(s) used twice: {', '.join(twice)}")
        return channels

    @property
    def mocks(self) -> dict[str, str]:
        """The run's mocks, service name → platform: every channel, then the back office."""
        services: dict[str, str] = {c.name: c.platform for c in self.channels}
        services[self.back_office.platform] = self.back_office.platform
        return services

    @property
    def started(self) -> tuple[str, ...]:
        """Names faults and settings may use: channel names, their platforms, the back office."""
        return _started(self.channels, self.back_office.platform)

    def services_for(self, target: str) -> list[str]:
        """The run's services (channel names, or the back office) a fault or setting for
        ``target`` applies to: the channel of that name, or every channel on that platform."""
        if target == self.back_office.platform:
            return [target]
        named = [c.name for c in self.channels if c.name == target]
        return named or [c.name for c in self.channels if c.platform == target]

    def settings_for(self, service: str) -> dict[str, Any]:
        """A service's mock settings: its platform's, overridden by its channel name's."""
        channel = next((c for c in self.channels if c.name == service), None)
        if channel is None:
            return dict(self.platforms.get(service, {}))
        return {**self.platforms.get(channel.platform, {}), **self.platforms.get(channel.name, {})}

    def stock_buffer(self, channel: Channel) -> int:
        """Units held back on ``channel``."""
        return self.engine.stock_buffer if channel.stock_buffer is None else channel.stock_buffer

    def fault_plans(self) -> dict[str, list[dict[str, Any]]]:
        """Per started service (channel name or back office), the rules of its fault plan, in
        the scenario's order."""
        plans: dict[str, list[dict[str, Any]]] = {}
        for fault in self.faults:
            for service in self.services_for(fault.platform):
                plans.setdefault(service, []).append(fault.rule())
        return plans


def _started(channels: tuple[Channel, ...] | list[Channel], back_office: str) -> tuple[str, ...]:
    names = [back_office]
    for channel in channels:
        names.extend(n for n in (channel.name, channel.platform) if n not in names)
    return tuple(sorted(names))


def _curve_length(data: dict[str, Any]) -> Any:
    """The last time of a raw scenario's curve, or None when it cannot be read (the curve's
    own errors are reported then, and ``duration`` is named as missing only without one)."""
    points: Any = data.get("arrival_curve")
    traffic = data.get("traffic")
    if points is None and traffic is not None:
        try:
            points = Traffic.model_validate(traffic).points()
        except ValueError:
            return 1.0
    try:
        return float(points[-1][0])
    except (TypeError, ValueError, IndexError, KeyError):
        return None if points is None else 1.0


def _started_from_raw(data: Any) -> tuple[str, ...]:
    """What a raw scenario mapping starts, as far as it can be read; defaults otherwise."""
    if not isinstance(data, dict):
        return STARTED_PLATFORMS
    back_office = data.get("back_office")
    if isinstance(back_office, dict):
        back_office = back_office.get("platform", "erp")
    if back_office is None:
        back_office = "erp"
    if not isinstance(back_office, str) or back_office not in BACK_OFFICES:
        back_office = "erp"
    raw_channels = data.get("channels")
    if raw_channels is None:
        return _started(list(DEFAULT_CHANNELS), back_office)
    channels = []
    for raw in raw_channels if isinstance(raw_channels, (list, tuple)) else ():
        if isinstance(raw, Channel):
            channels.append(raw)
            continue
        with contextlib.suppress(ValueError):
            channels.append(Channel.model_validate(raw))
    return _started(channels, back_office)
