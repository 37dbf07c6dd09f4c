"""Each service's rate-limit bound, as a rate the report can draw a run's throughput against.

The bound is what the mock was told (its defaults, the rehearsal's defaults, then the
scenario's ``platforms:`` overrides, exactly as ``run_config.mock_config`` builds them), and
``derived`` says in words how the number follows from those settings:

- Shopify REST and SHOPLINE: the leaky bucket's leak rate, calls/s;
- Shopify GraphQL (``shopify-graphql`` connector): the cost bucket's restore rate, points/s;
- Shopware: the optional Admin API limit per window, calls/s (None when off, as self-hosted);
- Fulfil: requests per minute per key ÷ 60, calls/s;
- the ERP: concurrency limit ÷ median write latency, writes/s (Little's law).
"""

from __future__ import annotations

import dataclasses
from typing import Any

from mocks.erp.constants import ErpSettings
from mocks.fulfil.constants import FulfilSettings
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.graphql.settings import GraphQLSettings
from mocks.shopline.constants import ShoplineSettings
from mocks.shopware.constants import ShopwareSettings
from scenarios.platforms import default_settings
from scenarios.schema import Scenario


def _default(settings: type[Any], name: str) -> Any:
    """A settings dataclass's default for ``name``."""
    return next(f.default for f in dataclasses.fields(settings) if f.name == name)


def _bound(rate: float | None, unit: str, derived: str) -> dict[str, Any]:
    return {"rate": None if rate is None else round(rate, 4), "unit": unit, "derived": derived}


def _shopify(settings: dict[str, Any], connector: str | None) -> dict[str, Any]:
    if connector == "shopify-graphql":
        graphql = settings.get("graphql") or {}
        rate = float(graphql.get("restore_rate", _default(GraphQLSettings, "restore_rate")))
        size = graphql.get("bucket_size", _default(GraphQLSettings, "bucket_size"))
        return _bound(
            rate, "points/s", f"GraphQL cost bucket of {size:g} points restoring {rate:g}/s"
        )
    rate = float(settings.get("leak_rate", _default(ShopifySettings, "leak_rate")))
    size = settings.get("bucket_size", _default(ShopifySettings, "bucket_size"))
    return _bound(rate, "calls/s", f"REST leaky bucket of {size} calls leaking {rate:g}/s")


def _shopline(settings: dict[str, Any]) -> dict[str, Any]:
    rate = float(settings.get("leak_rate", _default(ShoplineSettings, "leak_rate")))
    size = settings.get("bucket_size", _default(ShoplineSettings, "bucket_size"))
    return _bound(rate, "calls/s", f"leaky bucket of {size} calls leaking {rate:g}/s")


def _shopware(settings: dict[str, Any]) -> dict[str, Any]:
    limit = int(settings.get("admin_rate_limit", _default(ShopwareSettings, "admin_rate_limit")))
    window = float(
        settings.get(
            "admin_rate_window_seconds", _default(ShopwareSettings, "admin_rate_window_seconds")
        )
    )
    if limit <= 0:
        return _bound(None, "calls/s", "no Admin API rate limit (admin_rate_limit off)")
    return _bound(limit / window, "calls/s", f"{limit} Admin API calls per {window:g} s")


def _fulfil(settings: dict[str, Any]) -> dict[str, Any]:
    rpm = int(settings.get("requests_per_minute", _default(FulfilSettings, "requests_per_minute")))
    window = float(
        settings.get(
            "rate_limit_window_seconds", _default(FulfilSettings, "rate_limit_window_seconds")
        )
    )
    return _bound(rpm / window, "calls/s", f"{rpm} requests per {window:g} s per API key")


def _erp(settings: dict[str, Any]) -> dict[str, Any]:
    limit = int(settings.get("concurrency_limit", _default(ErpSettings, "concurrency_limit")))
    median = float(
        settings.get("write_latency_median", _default(ErpSettings, "write_latency_median"))
    )
    return _bound(
        limit / median if median > 0 else None,
        "writes/s",
        f"{limit} concurrent requests ÷ {median:g} s median write latency",
    )


def rate_limits(scenario: Scenario) -> dict[str, dict[str, Any]]:
    """Per service (channel names, then the back office): ``{platform, rate, unit, derived}``."""
    limits: dict[str, dict[str, Any]] = {}
    for channel in scenario.channels:
        settings = {
            **default_settings(channel.platform, scenario),
            **scenario.settings_for(channel.name),
        }
        if channel.platform == "shopify":
            bound = _shopify(settings, channel.connector)
        elif channel.platform == "shopline":
            bound = _shopline(settings)
        else:
            bound = _shopware(settings)
        limits[channel.name] = {"platform": channel.platform, **bound}
    office = scenario.back_office.platform
    settings = scenario.settings_for(office)
    bound = _erp(settings) if office == "erp" else _fulfil(settings)
    limits[office] = {"platform": office, **bound}
    return limits
