"""Connector ids → connectors: the one place a channel's pinned version becomes code.

A connector id is ``<family>-<api version>`` (``shopify-rest-2026-01``,
``shopline-rest-v20230901``); results and ``/status`` carry it, so two runs of one scenario on
two connector versions are told apart and compared.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import cast

import httpx

from simclock import Clock
from sync_engine.config import ChannelSettings, EngineConfig, ShopifyDestination
from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.connectors.channel import ChannelConnector
from sync_engine.connectors.fulfil_v2 import FulfilBackOffice
from sync_engine.connectors.netsuite_rest import NetSuiteRest
from sync_engine.connectors.shopify_channel import ShopifyChannel
from sync_engine.connectors.shopify_graphql_channel import build_shopify_graphql_channel
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.connectors.shopline_channel import ShoplineChannel
from sync_engine.connectors.shopline_rest import (
    DEFAULT_API_VERSION as SHOPLINE_DEFAULT_VERSION,
)
from sync_engine.connectors.shopline_rest import (
    HEADERLESS_HEADROOM,
    ShoplineDestination,
    ShoplineRest,
)
from sync_engine.connectors.shopware_channel import build_shopware_channel
from sync_engine.metrics import Metrics

Factory = Callable[
    [str, ChannelSettings, Clock, Metrics, httpx.AsyncBaseTransport | None], ChannelConnector
]


def _require(settings: ChannelSettings, name: str, field: str) -> str:
    value = getattr(settings, field)
    if not value:
        raise ValueError(f"channels.{name}.{field} is required for {settings.platform}")
    return str(value)


def _shopify_rest(
    name: str,
    s: ChannelSettings,
    clock: Clock,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None,
) -> ChannelConnector:
    dest = ShopifyDestination(
        base_url=s.base_url,
        access_token=_require(s, name, "access_token"),
        webhook_secret=s.webhook_secret,
        page_limit=s.page_limit,
        **({"api_version": s.api_version} if s.api_version else {}),
        **({"bucket_headroom": int(s.bucket_headroom)} if s.bucket_headroom is not None else {}),
    )
    rest = ShopifyRest(dest, clock=clock, metrics=metrics, transport=transport)
    return ShopifyChannel(name, rest, webhook_secret=s.webhook_secret)


def _shopline_rest(
    name: str,
    s: ChannelSettings,
    clock: Clock,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None,
) -> ChannelConnector:
    dest = ShoplineDestination(
        base_url=s.base_url,
        access_token=_require(s, name, "access_token"),
        api_version=s.api_version or SHOPLINE_DEFAULT_VERSION,
        page_limit=s.page_limit,
        bucket_headroom=s.bucket_headroom if s.bucket_headroom is not None else HEADERLESS_HEADROOM,
    )
    rest = ShoplineRest(dest, clock=clock, metrics=metrics, transport=transport)
    return ShoplineChannel(name, rest, webhook_secret=s.webhook_secret)


FAMILIES: dict[str, Factory] = {
    "shopify-rest": _shopify_rest,
    "shopline-rest": _shopline_rest,
    "shopware-admin": build_shopware_channel,
    "shopify-graphql": build_shopify_graphql_channel,
}
DEFAULT_FAMILY = {
    "shopify": "shopify-rest",
    "shopline": "shopline-rest",
    "shopware": "shopware-admin",
}


def build_channel(
    name: str,
    settings: ChannelSettings,
    *,
    clock: Clock,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ChannelConnector:
    """The connector ``settings`` pin; ``ValueError`` naming the known ones otherwise."""
    family = settings.connector or DEFAULT_FAMILY[settings.platform]
    factory = FAMILIES.get(family)
    if factory is None or not family.startswith(settings.platform):
        known = ", ".join(f for f in FAMILIES if f.startswith(settings.platform)) or "none yet"
        raise ValueError(
            f"channels.{name}.connector: {family!r} is not a {settings.platform} connector "
            f"(known: {known})"
        )
    return factory(name, settings, clock, metrics, transport)


def build_back_office(
    config: EngineConfig,
    *,
    clock: Clock,
    metrics: Metrics,
    transport: httpx.AsyncBaseTransport | None = None,
) -> BackOfficeConnector:
    """The back office ``config.back_office`` selects (``netsuite-rest-v1`` or ``fulfil-v2``)."""
    if config.back_office == "fulfil":
        assert config.fulfil is not None
        return FulfilBackOffice(config.fulfil, clock=clock, metrics=metrics, transport=transport)
    assert config.erp is not None
    return cast(
        BackOfficeConnector,
        NetSuiteRest(config.erp, clock=clock, metrics=metrics, transport=transport),
    )
