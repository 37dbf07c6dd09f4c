"""The configs a run hands its processes, and the row it samples each wall second: pure
functions of the scenario and of what the started mocks answered, so they are tested without
starting anything.

- :func:`mock_config`: a mock's process config;
- :func:`engine_config`: the engine's config in the general form (``channels`` by name, the
  selected ``back_office`` and its section, ``mapping``, ``webhook_address`` = the engine's
  ``/webhooks`` base, to which the engine appends the channel name);
- :func:`load_config`: the Locust process's ``REHEARSAL_LOAD`` (every channel's storefront URL
  and traffic share, the back office for stock movements);
- :func:`sample_row`: one row of ``timeseries.csv`` from every mock's ``/_mock/stats`` and the
  engine's ``/status``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from scenarios.catalogue import Product, engine_mapping, shopper_skus
from scenarios.platforms import BACK_OFFICES, CHANNELS, default_settings
from scenarios.schema import Scenario


@dataclass(frozen=True, kw_only=True)
class Started:
    """What the orchestrator learnt while starting and seeding the mocks."""

    urls: dict[str, str]
    """Base URL per service: channel names and the back office (``erp`` / ``fulfil``)."""
    credentials: dict[str, dict[str, str]]
    """Per service, as given to its mock (and to the engine)."""
    back_office_location: str
    """The back-office location id the catalogue's stock is at."""
    channel_locations: dict[str, str]
    """Per channel, the channel location id it shows that stock at."""

    def location_map(self, channel: str) -> dict[str, str]:
        """Back-office location id → the channel's location id."""
        return {self.back_office_location: self.channel_locations[channel]}


def mock_config(
    scenario: Scenario, service: str, *, clock: dict[str, float], credentials: dict[str, str]
) -> dict[str, Any]:
    """A mock's process config (``mocks.serve --config``): the run's clock and seed, the
    settings the rehearsal needs overridden by the scenario's, and its credentials."""
    platform = scenario.mocks[service]
    return {
        "clock": clock,
        "seed": scenario.seed,
        "settings": {**default_settings(platform, scenario), **scenario.settings_for(service)},
        "credentials": credentials,
    }


def webhook_base(engine_port: int) -> str:
    """The engine's ingress: deliveries for channel ``name`` go to ``{base}/{name}``."""
    return f"http://127.0.0.1:{engine_port}/webhooks"


RECONCILE_LAG = 60.0
"""Simulated seconds an order may take to reach the back office before it counts as drift."""
RECONCILE_INTERVAL = 120.0
RECONCILE_PASSES = 50
"""A long rehearsal (a whole day) reconciles at most about this many times during the load."""


def reconcile_interval(scenario: Scenario) -> float:
    """Simulated seconds between scheduled reconciliation passes: every 2 minutes in a
    flash sale, every ~30 minutes over a 24-hour day."""
    return max(RECONCILE_INTERVAL, scenario.duration / RECONCILE_PASSES)


def engine_config(
    scenario: Scenario,
    started: Started,
    *,
    engine_port: int,
    db_path: str,
    alerts_url: str,
    clock: dict[str, float],
) -> dict[str, Any]:
    """The engine's config file (``sync_engine.config.EngineConfig``), general form."""
    bo = scenario.back_office.platform
    channels = {
        c.name: CHANNELS[c.platform].engine_settings(
            c,
            base_url=started.urls[c.name],
            credentials=started.credentials[c.name],
            location_map=started.location_map(c.name),
            stock_buffer=scenario.stock_buffer(c),
        )
        for c in scenario.channels
    }
    return {
        "db_path": db_path,
        "channels": channels,
        "back_office": bo,
        bo: BACK_OFFICES[bo].engine_section(
            base_url=started.urls[bo], credentials=started.credentials[bo], scenario=scenario
        ),
        "stock_buffer": scenario.engine.stock_buffer,
        # The scenario's mapping, with the catalogue's generated bundles merged in.
        "mapping": engine_mapping(scenario),
        "webhook_address": webhook_base(engine_port),
        "timing": scenario.engine.timing,
        # A rehearsal lasts minutes of simulated time: reconcile with a lag to match, so the
        # scheduled passes (lowest priority, same budgets) and the end-of-run pass see it.
        "reconcile": {"lag": RECONCILE_LAG, "interval": reconcile_interval(scenario)},
        "alerts": {"url": alerts_url},
        "seed": scenario.seed,
        "clock": clock,
        # A stable identity: a restarted engine reclaims its own leases at once.
        "engine_id": "rehearsal-engine-1",
    }


def load_config(
    scenario: Scenario, started: Started, *, products: list[Product], report_path: str
) -> dict[str, Any]:
    """The Locust process's config (``loadtests.baskets.LoadConfig``). With generated bundles
    shoppers also buy them (ranked after the hot SKUs, ``catalogue.shopper_skus``) and the
    back office's stock movements keep to its own SKUs (``stock_skus``)."""
    sc = scenario
    first = sc.channels[0].name
    # The basket block with the shopper mix laid over it; keys of the mix only when set, so a
    # scenario without one gives the config (and the plan) it gave before the mix existed.
    mix = sc.shoppers
    basket: dict[str, Any] = {**sc.basket.model_dump(), "discount_share": sc.discount_share}
    if mix.basket_sizes is not None:
        basket["line_sizes"] = [[n, w] for n, w in mix.basket_sizes.items()]
    if mix.guest_share is not None:
        basket["guest_share"] = mix.guest_share
        basket["returning_customers"] = mix.returning_customers
    return {
        "shopify_url": started.urls[first],
        "channels": [
            {
                "name": c.name,
                "platform": c.platform,
                "url": started.urls[c.name],
                "share": c.share,
                "promotions": c.promotions,
            }
            for c in sc.channels
        ],
        "erp_url": started.urls[sc.back_office.platform],
        "time_scale": sc.time_scale,
        "seed": sc.seed,
        "duration": sc.duration,
        "arrival_curve": [list(point) for point in sc.curve()],
        "skus": shopper_skus(sc, products),
        **({"stock_skus": [p.sku for p in products]} if sc.catalogue.bundles.count else {}),
        "zipf_s": sc.zipf_s,
        "basket": basket,
        "back_office": {
            **sc.back_office.model_dump(exclude={"platform", "ship_every", "ship_min_age"}),
            "location_id": started.back_office_location,
        },
        "dispatchers": sc.dispatchers,
        "report_path": report_path,
        "staff": sc.staff.load_config(
            duration=sc.duration, channels=tuple(c.name for c in sc.channels)
        ),
    }


def sample_row(
    scenario: Scenario,
    *,
    t: float,
    stats: dict[str, dict[str, Any]],
    engine: dict[str, Any],
    origin: float = 0.0,
) -> dict[str, Any]:
    """One row of the time series. ``backlog`` is ground truth, not the engine's word:
    orders accepted by the channels and not yet in the back office. Per channel
    ``{name}_accepted``, ``{name}_calls``, ``{name}_429``; per back office ``{bo}_calls``,
    ``{bo}_rejected`` (the ERP's concurrency refusals, Fulfil's 429s); a single Shopify
    channel in front of the ERP keeps the columns of the single-channel runs. ``origin`` is the
    simulated time of ``t = 0``: the engine's last full stock sync is given on the same axis."""
    bo = scenario.back_office.platform
    office = BACK_OFFICES[bo].counters(stats[bo])
    channels = {c.name: CHANNELS[c.platform].counters(stats[c.name]) for c in scenario.channels}
    accepted = sum(c.accepted for c in channels.values())
    rejected = sum(c.rejected for c in channels.values())
    row: dict[str, Any] = {
        "t": round(t, 2),
        "arrivals": accepted + rejected,
        "accepted": accepted,
        "rejected": rejected,
        "sales_orders": office.orders,
        "synced": office.orders,
        "backlog": accepted - office.orders,
    }
    row.update(_flow_backlogs(engine, orders=accepted - office.orders))
    engine_channels = engine.get("channels") or {}
    for name, counters in channels.items():
        row[f"{name}_accepted"] = counters.accepted
        row[f"{name}_calls"] = counters.calls
        row[f"{name}_429"] = counters.throttled
        row[f"{name}_budget_use"] = _budget_use(engine_channels.get(name))
    row[f"{bo}_calls"] = office.calls
    row[f"{bo}_rejected"] = office.throttled
    row[f"{bo}_budget_use"] = (engine.get("erp") or {}).get("utilisation")
    if bo == "erp":
        row["erp_in_flight_max"] = office.max_in_flight
    row["webhooks_pending"] = sum(c.webhooks_pending for c in channels.values())
    row["engine_up"] = bool(engine)
    row["engine_idle"] = bool(engine.get("idle"))
    row["engine_erp_limit"] = (engine.get("erp") or {}).get("concurrency_limit")
    row["engine_pending_pushes"] = (engine.get("inventory") or {}).get("pending_pushes")
    row["engine_held"] = int((engine.get("orders") or {}).get("exception") or 0)
    full_sync = (engine.get("inventory") or {}).get("last_full_sync")
    row["engine_full_sync_t"] = None if full_sync is None else round(full_sync - origin, 2)
    return row


JOB_FLOWS = ("fulfilments", "refunds", "order_changes", "payouts")
"""The engine's job flows, each with a backlog column (``backlog_<flow>``)."""
WAITING_JOB_STATES = ("pending",)
"""Job states still to be done (``done`` is finished; ``exception`` is held, not backlog)."""


def _flow_backlogs(engine: dict[str, Any], *, orders: int) -> dict[str, Any]:
    """Backlog by flow: orders (ground truth: accepted and not yet in the back office), each
    job flow's waiting jobs and the stock pushes due, as the engine reports them (blank while
    the engine is down)."""
    jobs = engine.get("jobs") or {}
    row: dict[str, Any] = {"backlog_orders": orders}
    for flow in JOB_FLOWS:
        counts = jobs.get(flow)
        row[f"backlog_{flow}"] = (
            None if counts is None else sum(int(counts.get(s) or 0) for s in WAITING_JOB_STATES)
        )
    row["backlog_stock_pushes"] = (engine.get("inventory") or {}).get("pending_pushes")
    return row


def _budget_use(status: dict[str, Any] | None) -> float | None:
    """Share of a channel's API budget the engine spends (0..1, its own measurement over the
    last window: calls or cost points per second ÷ the learned rate)."""
    budget = (status or {}).get("budget")
    if not isinstance(budget, dict) or budget.get("utilisation") is None:
        return None
    return float(budget["utilisation"])
