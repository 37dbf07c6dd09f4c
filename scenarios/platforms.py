"""What the orchestrator needs to know of each platform: credentials, seed, the location stock
is shown at, the engine's settings for it, the shopper's checkout and the counters it keeps.

One adapter per platform, looked up by name (:data:`CHANNELS`, :data:`BACK_OFFICES`). The
orchestrator stays platform-blind: it starts a mock per channel and one for the back office,
seeds them all with the same generated catalogue (same SKUs) and asks the adapters for the rest.
State readers for the checkers live in ``scenarios.invariants_channels``.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, ClassVar

from scenarios.catalogue import (
    ERP_LOCATION_ID,
    LOCATION_NAME,
    Product,
    bundle_stock,
    bundle_tax_rate,
    catalogue_bundles,
    erp_seed,
    shopify_seed,
    shown_stock,
)
from scenarios.schema import Channel, Scenario

SHOPWARE_LOCATION_ID = "default"
"""Shopware keeps one stock per product: the engine's pseudo location for it."""
SHOPWARE_ORDER_EVENT = "order.written"
SHOPWARE_DEFAULT_SETTINGS: dict[str, Any] = {"closeout_stock_write": "accept"}
"""The catalogue is seeded as closeout products ("sell only while stock lasts"), so the shop
refuses checkouts beyond its stock as every other channel does; plain Shopware then accepts
the engine's stock writes. The field failure (``ignore``) stays one ``platforms:`` setting
away."""


@dataclass(frozen=True, kw_only=True)
class Counters:
    """A mock's ``/_mock/stats``, read the same way for every platform."""

    calls: int
    throttled: int
    """429s answered to API clients (the engine)."""
    accepted: int = 0
    """Checkouts accepted (channels)."""
    rejected: int = 0
    """Checkouts refused as sold out (channels)."""
    webhooks_pending: int = 0
    orders: int = 0
    """Sales orders held (back offices)."""
    rejected_concurrency: int = 0
    """Requests refused for concurrency (the ERP's 429)."""
    max_in_flight: int = 0


def _webhooks_pending(stats: dict[str, Any]) -> int:
    return int((stats.get("webhooks") or {}).get("pending", 0))


class ChannelPlatform:
    """A storefront platform as a rehearsal channel (base: Shopify's REST shape)."""

    platform: ClassVar[str] = "shopify"

    def credentials(self) -> dict[str, str]:
        """Fresh credentials for the mock and the engine (never written under results/)."""
        return {
            "access_token": "shpat_" + secrets.token_hex(16),
            "webhook_secret": secrets.token_hex(24),
        }

    def default_settings(self, scenario: Scenario) -> dict[str, Any]:
        """Mock settings the rehearsal needs unless the scenario says otherwise: the
        catalogue's one ``tax_rate`` as the shop's tax rate (Shopify and SHOPLINE charge one
        rate for the whole shop, so ``tax_classes`` leave the mock's own rate)."""
        rate = scenario.catalogue.tax_rate
        return {} if rate is None else {"tax_rate": str(rate)}

    def native_bundles(self, scenario: Scenario, channel: Channel) -> bool:
        """Whether bundles are seeded as the platform's own bundles (Shopify's
        ``bundle_components``): only when the scenario turns ``bundle_expansion`` on."""
        return scenario.settings_for(channel.name).get("bundle_expansion") is True

    def seed(
        self,
        products: list[Product],
        *,
        scenario: Scenario,
        channel: Channel,
        webhook_url: str | None,
    ) -> dict[str, Any]:
        """``/_mock/seed``: the catalogue at the back office's stock minus the buffer, and the
        generated bundles (``webhook_url``: the engine's ingress for platforms whose webhooks
        are seeded)."""
        return shopify_seed(
            products,
            buffer=scenario.stock_buffer(channel),
            currency=scenario.catalogue.currency,
            bundles=catalogue_bundles(scenario, products),
            native_bundles=self.native_bundles(scenario, channel),
        )

    def location(self, answer: dict[str, Any]) -> str:
        """The channel location stock is shown at, from the seed's answer."""
        for location in answer["locations"]:
            if location["name"] == LOCATION_NAME:
                return str(location["id"])
        return str(answer["locations"][0]["id"])

    def engine_settings(
        self,
        channel: Channel,
        *,
        base_url: str,
        credentials: dict[str, str],
        location_map: dict[str, str],
        stock_buffer: int,
    ) -> dict[str, Any]:
        """The channel's ``ChannelSettings`` in the engine config."""
        settings: dict[str, Any] = {
            "platform": channel.platform,
            "base_url": base_url,
            "location_map": location_map,
            "stock_buffer": stock_buffer,
            **credentials,
        }
        if channel.connector is not None:
            settings["connector"] = channel.connector
        if channel.api_version is not None:
            settings["api_version"] = channel.api_version
        return settings

    def counters(self, stats: dict[str, Any]) -> Counters:
        checkouts = stats.get("checkouts") or {}
        return Counters(
            calls=int(stats.get("calls", 0)),
            throttled=int(stats.get("throttled", 0)),
            accepted=int(checkouts.get("accepted", 0)),
            rejected=int(checkouts.get("rejected", 0)),
            webhooks_pending=_webhooks_pending(stats),
        )


class ShoplinePlatform(ChannelPlatform):
    """SHOPLINE's Open API: the Shopify mock's seed, checkout and counters, string ids."""

    platform = "shopline"

    def credentials(self) -> dict[str, str]:
        return {"access_token": secrets.token_hex(20), "webhook_secret": secrets.token_hex(24)}

    def native_bundles(self, scenario: Scenario, channel: Channel) -> bool:
        return False  # the SHOPLINE mock has no bundle products: bundles are plain products


class ShopwarePlatform(ChannelPlatform):
    """Shopware 6: gross prices, one stock per product, OAuth client credentials, and app
    webhooks declared by the app (seeded here) rather than subscribed by the engine."""

    platform = "shopware"

    def credentials(self) -> dict[str, str]:
        return {
            "client_id": "SWIA" + secrets.token_hex(12).upper(),
            "client_secret": secrets.token_urlsafe(32),
            "webhook_secret": secrets.token_hex(24),
        }

    def default_settings(self, scenario: Scenario) -> dict[str, Any]:
        return {**SHOPWARE_DEFAULT_SETTINGS, "currency": scenario.catalogue.currency}

    def seed(
        self,
        products: list[Product],
        *,
        scenario: Scenario,
        channel: Channel,
        webhook_url: str | None,
    ) -> dict[str, Any]:
        shown = shown_stock(products, buffer=scenario.stock_buffer(channel))
        seeded = [
            _shopware_product(p.sku, p.title, p.price, shown[p.sku], p.tax_rate) for p in products
        ]
        seeded.extend(
            _shopware_product(
                b.sku, b.title, b.price, bundle_stock(b, shown), bundle_tax_rate(b, products)
            )
            for b in catalogue_bundles(scenario, products)
        )
        payload: dict[str, Any] = {"products": seeded}
        if webhook_url is not None:
            # The app manifest's webhook, pointed at the engine's ingress for this channel.
            payload["webhooks"] = [
                {"event": SHOPWARE_ORDER_EVENT, "url": webhook_url, "onlyLiveVersion": True}
            ]
        code = scenario.basket.discount_code
        if code:
            payload["promotions"] = [
                {"code": code, "name": code, "type": "percentage", "value": "10"}
            ]
        return payload

    def location(self, answer: dict[str, Any]) -> str:
        return SHOPWARE_LOCATION_ID


def _shopware_product(
    sku: str, name: str, price: Decimal, stock: int, tax_rate: Decimal | None
) -> dict[str, Any]:
    """A closeout product at a gross ``price``; ``taxRate`` (percent) only when the catalogue
    names one, else the shop's standard rate. Bundles are plain products (the mock's
    containers exist only in orders), showing what their components allow."""
    product: dict[str, Any] = {
        "productNumber": sku,
        "name": name,
        "price": str(price),
        "stock": stock,
        "isCloseout": True,
    }
    if tax_rate is not None:
        product["taxRate"] = str(tax_rate * 100)
    return product


CHANNELS: dict[str, ChannelPlatform] = {
    "shopify": ChannelPlatform(),
    "shopline": ShoplinePlatform(),
    "shopware": ShopwarePlatform(),
}


class BackOfficePlatform:
    """The NetSuite-style ERP as the back office."""

    platform: ClassVar[str] = "erp"

    def credentials(self) -> dict[str, str]:
        return {"access_token": secrets.token_hex(24)}

    def seed(self, products: list[Product], *, scenario: Scenario) -> dict[str, Any]:
        return erp_seed(products)

    def location(self, answer: dict[str, Any]) -> str:
        """The back-office location the catalogue's stock is at (from the seed's answer)."""
        return ERP_LOCATION_ID

    def engine_section(
        self, *, base_url: str, credentials: dict[str, str], scenario: Scenario
    ) -> dict[str, Any]:
        """The back office's section of the engine config (``erp:`` / ``fulfil:``)."""
        eng = scenario.engine
        return {
            "base_url": base_url,
            "access_token": credentials["access_token"],
            "initial_concurrency": eng.erp_initial_concurrency,
            "max_concurrency": eng.erp_max_concurrency,
        }

    def counters(self, stats: dict[str, Any]) -> Counters:
        return Counters(
            calls=int(stats.get("calls", 0)),
            throttled=int(stats.get("rejected_concurrency", 0)),
            orders=int(stats.get("sales_orders", 0)),
            rejected_concurrency=int(stats.get("rejected_concurrency", 0)),
            max_in_flight=int(stats.get("max_in_flight", 0)),
        )


class FulfilPlatform(BackOfficePlatform):
    """Fulfil (v2 API): warehouses with their own ids, a per-key request rate, and one
    ``sale.channel`` per rehearsal channel (Fulfil's API cannot create them)."""

    platform = "fulfil"
    DEFAULT_REQUESTS_PER_MINUTE: ClassVar[int] = 1000
    """The mock's default, which the engine is told unless the scenario sets another."""

    def credentials(self) -> dict[str, str]:
        return {"api_key": secrets.token_hex(24)}

    def seed(self, products: list[Product], *, scenario: Scenario) -> dict[str, Any]:
        payload = erp_seed(products)
        payload["channels"] = [{"name": c.name, "code": c.name} for c in scenario.channels]
        return payload

    def location(self, answer: dict[str, Any]) -> str:
        return str(answer["warehouses"][0]["id"])

    def engine_section(
        self, *, base_url: str, credentials: dict[str, str], scenario: Scenario
    ) -> dict[str, Any]:
        # The key's rate is what an operator reads off their Fulfil plan: the mock's setting.
        rate = scenario.settings_for(self.platform).get(
            "requests_per_minute", self.DEFAULT_REQUESTS_PER_MINUTE
        )
        return {
            "base_url": base_url,
            "api_key": credentials["api_key"],
            "requests_per_minute": int(rate),
        }

    def counters(self, stats: dict[str, Any]) -> Counters:
        return Counters(
            calls=int(stats.get("calls", 0)),
            throttled=int(stats.get("throttled", 0)),
            orders=int(stats.get("sales", 0)),
        )


BACK_OFFICES: dict[str, BackOfficePlatform] = {
    "erp": BackOfficePlatform(),
    "fulfil": FulfilPlatform(),
}


def credentials_for(platform: str) -> dict[str, str]:
    """Fresh credentials for a mock of ``platform`` (channel or back office)."""
    adapter: ChannelPlatform | BackOfficePlatform = CHANNELS.get(platform) or BACK_OFFICES[platform]
    return adapter.credentials()


def default_settings(platform: str, scenario: Scenario) -> dict[str, Any]:
    """Mock settings the rehearsal needs for ``platform`` unless the scenario says otherwise."""
    adapter = CHANNELS.get(platform)
    return adapter.default_settings(scenario) if adapter is not None else {}
