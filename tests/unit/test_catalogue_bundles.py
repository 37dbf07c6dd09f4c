"""Generated bundles and tax reach a run: every channel mock sells the bundles (price, shown
stock, tax), the back office stocks only their components, the engine's mapping expands them
and shoppers buy them, while scenarios without bundles keep their configs and plans."""

from __future__ import annotations

import asyncio
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

import mocks.shopify.api
import mocks.shopline.api
import mocks.shopware.api
from loadtests.baskets import LoadConfig, RequestKind
from scenarios.catalogue import (
    bundle_stock,
    catalogue_bundles,
    engine_mapping,
    products,
    shown_stock,
)
from scenarios.loader import load
from scenarios.platforms import BACK_OFFICES, CHANNELS
from scenarios.run_config import Started, engine_config, load_config
from scenarios.schema import Scenario
from simclock import VirtualClock
from sync_engine.mapping.rules import MappingRules

APPS = {
    "shopify": mocks.shopify.api.create_app,
    "shopline": mocks.shopline.api.create_app,
    "shopware": mocks.shopware.api.create_app,
}
CENT = Decimal("0.01")


def scenario(platform: str = "shopify", **changes: Any) -> Scenario:
    """bundles-smoke on one channel of ``platform``, with ``changes`` laid over it."""
    raw = load("bundles-smoke").model_dump(mode="json", exclude_unset=True)
    raw["channels"] = [{"name": platform, "platform": platform}]
    raw["platforms"] = {"erp": raw["platforms"]["erp"]}
    for key, value in changes.items():
        raw[key] = {**raw.get(key, {}), **value}
    return Scenario.model_validate(raw)


class Mock:
    """A mock app in process (``httpx.ASGITransport``), called synchronously."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app

    def call(self, method: str, path: str, body: Any = None) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as c:
                return await c.request(method, path, json=body)

        return asyncio.run(send())

    def post(self, path: str, json: Any) -> httpx.Response:
        return self.call("POST", path, json)

    def get(self, path: str) -> httpx.Response:
        return self.call("GET", path)


def seeded(sc: Scenario) -> Mock:
    """The channel's mock, started with the settings a run gives it and seeded by its adapter."""
    channel = sc.channels[0]
    adapter = CHANNELS[channel.platform]
    settings = {**adapter.default_settings(sc), **sc.settings_for(channel.name)}
    app: FastAPI = APPS[channel.platform](settings=settings, clock=VirtualClock(), credentials={})
    client = Mock(app)
    items = products(sc)
    seed = adapter.seed(items, scenario=sc, channel=channel, webhook_url=None)
    answer = client.post("/_mock/seed", json=seed)
    assert answer.status_code == 200, answer.text
    return client


def levels(state: dict[str, Any]) -> dict[str, int]:
    return {row["sku"]: int(row["available"]) for row in state["inventory_levels"]}


def buy(client: Mock, platform: str, sku: str, quantity: int) -> dict[str, Any]:
    key = "productNumber" if platform == "shopware" else "sku"
    answer = client.post(
        "/_sim/checkout",
        json={"lines": [{key: sku, "quantity": quantity}], "email": "a@example.com"},
    )
    assert answer.status_code == 201, answer.text
    order: dict[str, Any] = answer.json()["order"]
    return order


@pytest.mark.parametrize("platform", ["shopify", "shopline", "shopware"])
def test_every_channel_sells_the_bundles_at_their_price_showing_what_components_allow(
    platform: str,
) -> None:
    sc = scenario(platform)
    items = products(sc)
    bundles = catalogue_bundles(sc, items)
    price = {p.sku: p.price for p in items}
    shown = shown_stock(items, buffer=sc.stock_buffer(sc.channels[0]))
    client = seeded(sc)
    before = levels(client.get("/_mock/state").json())
    for b in bundles:
        expected = min(shown[sku] // units for sku, units in b.components.items())
        assert before[b.sku] == bundle_stock(b, shown) == expected > 0
        full = sum(price[sku] * units for sku, units in b.components.items())
        assert b.price == (full * (1 - Decimal("0.15"))).quantize(CENT)
    b = bundles[1]
    order = buy(client, platform, b.sku, 2)
    after = levels(client.get("/_mock/state").json())
    # a plain product of the channel: its own level moves, its components' do not
    assert after[b.sku] == before[b.sku] - 2
    assert all(after[sku] == before[sku] for sku in b.components)
    if platform == "shopware":  # gross prices, the catalogue's rate on the product
        assert Decimal(order["positionPrice"]) == b.price * 2
        assert {t["taxRate"] for t in order["price"]["calculatedTaxes"]} == {"20"}
    else:  # net prices, the catalogue's one rate as the shop's rate
        line = order["line_items"][0]
        assert Decimal(line["price"]) == b.price
        assert Decimal(order["total_tax"]) == (b.price * 2 * Decimal("0.20")).quantize(CENT)


def test_shopify_sells_native_bundles_from_component_stock_only_with_bundle_expansion() -> None:
    plain = scenario()
    channel = plain.channels[0]
    items = products(plain)
    payload = CHANNELS["shopify"].seed(items, scenario=plain, channel=channel, webhook_url=None)
    assert not any("bundle_components" in p for p in payload["products"])
    native = scenario(platforms={"shopify": {"bundle_expansion": True}})
    payload = CHANNELS["shopify"].seed(items, scenario=native, channel=channel, webhook_url=None)
    by_sku = {p["sku"]: p for p in payload["products"]}
    b = catalogue_bundles(native, items)[1]
    assert by_sku[b.sku]["bundle_components"] == b.components
    client = seeded(native)
    before = levels(client.get("/_mock/state").json())
    buy(client, "shopify", b.sku, 2)
    after = levels(client.get("/_mock/state").json())
    assert after[b.sku] == before[b.sku] == 0  # no stock of its own
    assert {sku: before[sku] - after[sku] for sku in b.components} == {
        sku: 2 * units for sku, units in b.components.items()
    }
    # SHOPLINE has no bundle products: the same setting seeds plain ones
    shopline = scenario("shopline", platforms={"shopline": {"bundle_expansion": True}})
    payload = CHANNELS["shopline"].seed(
        items, scenario=shopline, channel=shopline.channels[0], webhook_url=None
    )
    assert not any("bundle_components" in p for p in payload["products"])


@pytest.mark.parametrize("back_office", ["erp", "fulfil"])
def test_the_back_office_stocks_only_the_components(back_office: str) -> None:
    sc = scenario()
    items = products(sc)
    seed = BACK_OFFICES[back_office].seed(items, scenario=sc)
    stocked = {item["sku"] for item in seed["items"]}
    assert stocked == {p.sku for p in items}
    for b in catalogue_bundles(sc, items):
        assert b.sku not in stocked and set(b.components) <= stocked


def started(sc: Scenario) -> Started:
    names = [c.name for c in sc.channels]
    return Started(
        urls={name: f"http://127.0.0.1:1/{name}" for name in [*names, "erp"]},
        credentials={name: {"access_token": "t"} for name in [*names, "erp"]},
        back_office_location="1",
        channel_locations=dict.fromkeys(names, "7"),
    )


def mapping_of(sc: Scenario) -> dict[str, Any]:
    config = engine_config(
        sc, started(sc), engine_port=1, db_path="x.sqlite", alerts_url="http://a", clock={}
    )
    mapping: dict[str, Any] = config["mapping"]
    return mapping


def test_the_engine_maps_generated_bundles_and_the_scenarios_own_win() -> None:
    sc = scenario(mapping={"sku_aliases": {"OLD-1": "SKU-0001"}})
    items = products(sc)
    price = {p.sku: p.price for p in items}
    bundles = catalogue_bundles(sc, items)
    rules = MappingRules.model_validate(mapping_of(sc))
    assert rules.sku_aliases == {"OLD-1": "SKU-0001"}
    assert {sku: {c.sku: c.quantity for c in parts} for sku, parts in rules.bundles.items()} == {
        b.sku: b.components for b in bundles
    }
    # the bundle's money is split by the components' list prices, not by their units
    assert all(
        c.price_weight == price[c.sku] * c.quantity
        for parts in rules.bundles.values()
        for c in parts
    )
    own = [{"sku": "SKU-0007", "quantity": 3}]
    mine = scenario(mapping={"bundles": {"sku-b002": own, "SKU-X": own}})
    rules = MappingRules.model_validate(mapping_of(mine))
    assert set(rules.bundles) == {"SKU-B001", "sku-b002", "SKU-B003", "SKU-X"}
    assert [(c.sku, c.quantity) for c in rules.bundles["sku-b002"]] == [("SKU-0007", 3)]
    assert engine_mapping(mine)["bundles"]["SKU-B001"][0]["sku"] in bundles[0].components


def test_without_bundles_the_engine_and_the_shoppers_get_what_they_got_before() -> None:
    sc = load("flash-sale-smoke")
    items = products(sc)
    assert mapping_of(sc) == sc.mapping.model_dump(mode="json", exclude_unset=True)
    assert "bundles" not in mapping_of(sc)
    config = load_config(sc, started(sc), products=items, report_path="r.json")
    assert config["skus"] == [p.sku for p in items]
    assert "stock_skus" not in config


def test_shoppers_buy_bundles_ranked_after_the_hot_skus_and_stock_moves_on_stocked_skus() -> None:
    sc = scenario()
    items = products(sc)
    made = [b.sku for b in catalogue_bundles(sc, items)]
    config = load_config(sc, started(sc), products=items, report_path="r.json")
    hot = sc.catalogue.hot.count
    assert config["skus"][hot : hot + len(made)] == made
    assert sorted(config["skus"]) == sorted([p.sku for p in items] + made)
    assert config["stock_skus"] == [p.sku for p in items]
    plan = LoadConfig.from_mapping(config).plan()
    bought = Counter(
        line["sku"] for r in plan if r.kind is RequestKind.CHECKOUT for line in r.body["lines"]
    )
    assert all(bought[sku] > 10 for sku in made), bought
    moved = {r.body["sku"] for r in plan if r.kind is RequestKind.STOCK_MOVEMENT}
    assert moved and not moved & set(made)


def test_a_load_config_with_stock_skus_outside_the_catalogue_is_refused() -> None:
    sc = scenario()
    config = load_config(sc, started(sc), products=products(sc), report_path="r.json")
    with pytest.raises(ValueError, match="stock_skus must be distinct skus of the catalogue"):
        LoadConfig.from_mapping({**config, "stock_skus": ["SKU-0001", "NOPE"]})
    with pytest.raises(ValueError, match="stock_skus"):
        LoadConfig.from_mapping({**config, "stock_skus": ["SKU-0001", "SKU-0001"]})


def test_tax_classes_reach_shopware_per_product_and_leave_the_shops_rate_elsewhere() -> None:
    classes = {"standard": {"rate": "0.20", "share": 1}, "reduced": {"rate": "0.07", "share": 1}}
    raw = load("bundles-smoke").model_dump(mode="json", exclude_unset=True)
    raw["catalogue"].pop("tax_rate")
    raw["catalogue"]["tax_classes"] = classes
    raw["channels"] = [{"name": "shopware", "platform": "shopware"}]
    raw["platforms"] = {}
    sc = Scenario.model_validate(raw)
    assert CHANNELS["shopify"].default_settings(sc) == {}  # one rate per shop: not passed
    assert CHANNELS["shopify"].default_settings(scenario()) == {"tax_rate": "0.20"}
    items = products(sc)
    by_sku = {p.sku: p for p in items}
    payload = CHANNELS["shopware"].seed(
        items, scenario=sc, channel=sc.channels[0], webhook_url=None
    )
    rates = {p["productNumber"]: Decimal(p["taxRate"]) for p in payload["products"]}
    assert {rates[p.sku] for p in items} == {Decimal(20), Decimal(7)}
    assert all(rates[p.sku] == p.tax_rate * 100 for p in items if p.tax_rate is not None)
    for b in catalogue_bundles(sc, items):
        heaviest = max(b.components, key=lambda s: by_sku[s].price * b.components[s])
        assert rates[b.sku] == by_sku[heaviest].tax_rate * 100  # type: ignore[operator]
    seeded(sc)  # and the mock takes them
