"""What a run hands its processes, checked against the readers on the other side: the engine
config must validate as ``EngineConfig`` (and build the connectors it names), the load config
must parse as the locustfile's ``LoadConfig``, and the sampled row must add channels up."""

from __future__ import annotations

from typing import Any

import pytest

from loadtests.baskets import LoadConfig, RequestKind
from scenarios.catalogue import products
from scenarios.platforms import BACK_OFFICES, CHANNELS
from scenarios.run_config import Started, engine_config, load_config, sample_row
from scenarios.schema import Scenario
from simclock import VirtualClock
from sync_engine.config import EngineConfig
from sync_engine.connectors.registry import build_back_office, build_channel
from sync_engine.metrics import Metrics

BASE: dict[str, Any] = {"name": "x", "duration": 60, "arrival_curve": [[0, 2], [60, 2]]}
THREE = [
    {"name": "shopify", "platform": "shopify", "share": 0.5},
    {"name": "shopline", "platform": "shopline", "api_version": "v20230901", "share": 0.25},
    {"name": "shopware", "platform": "shopware", "share": 0.25, "stock_buffer": 8},
]


def started(sc: Scenario) -> Started:
    bo = sc.back_office.platform
    creds = {c.name: CHANNELS[c.platform].credentials() for c in sc.channels}
    creds[bo] = BACK_OFFICES[bo].credentials()
    return Started(
        urls={name: f"http://{name}.test" for name in creds},
        credentials=creds,
        back_office_location="1",
        channel_locations={
            c.name: {"shopify": "70000001", "shopline": "6100000000000000001"}.get(
                c.platform, "default"
            )
            for c in sc.channels
        },
    )


@pytest.mark.parametrize("back_office", ["erp", "fulfil"])
def test_engine_config_is_the_general_form_the_engine_accepts(back_office: str) -> None:
    sc = Scenario.model_validate(
        {
            **BASE,
            "channels": THREE,
            "back_office": back_office,
            "mapping": {"discount_item": "PROMO"},
            "engine": {"stock_buffer": 5},
        }
    )
    raw = engine_config(
        sc,
        started(sc),
        engine_port=8123,
        db_path="/tmp/x.sqlite",
        alerts_url="http://alerts.test/alerts",
        clock={},
    )
    config = EngineConfig.model_validate(raw)
    assert config.back_office == back_office and config.shopify is None
    assert config.webhook_address == "http://127.0.0.1:8123/webhooks"
    assert config.mapping.discount_item == "PROMO"
    channels = config.all_channels
    assert {n: c.location_map for n, c in channels.items()} == {
        "shopify": {"1": "70000001"},
        "shopline": {"1": "6100000000000000001"},
        "shopware": {"1": "default"},
    }
    assert channels["shopware"].stock_buffer == 8 and channels["shopify"].stock_buffer == 5
    assert channels["shopware"].client_id and channels["shopware"].client_secret
    # The connectors the run will be labelled with are the ones the engine builds.
    clock, metrics = VirtualClock(), Metrics()
    built = {n: build_channel(n, s, clock=clock, metrics=metrics) for n, s in channels.items()}
    assert {n: c.connector_id for n, c in built.items()} == {
        "shopify": "shopify-rest-2026-01",
        "shopline": "shopline-rest-v20230901",
        "shopware": "shopware-admin-6.6",
    }
    office = build_back_office(config, clock=clock, metrics=metrics)
    assert office.connector_id == {"erp": "netsuite-rest-v1", "fulfil": "fulfil-v2"}[back_office]


def test_fulfil_is_told_the_keys_rate_the_scenario_gives_its_mock() -> None:
    sc = Scenario.model_validate(
        {**BASE, "back_office": "fulfil", "platforms": {"fulfil": {"requests_per_minute": 300}}}
    )
    raw = engine_config(sc, started(sc), engine_port=1, db_path="x", alerts_url="a", clock={})
    assert raw["fulfil"]["requests_per_minute"] == 300 and "erp" not in raw


def test_load_config_reads_back_as_the_locustfiles_config() -> None:
    sc = Scenario.model_validate(
        {
            **BASE,
            "duration": 600,  # about 1,200 checkouts: shares within a few points
            "arrival_curve": [[0, 2], [600, 2]],
            "channels": THREE,
            "back_office": {"platform": "fulfil", "rate": 1.0},
        }
    )
    st = started(sc)
    raw = load_config(sc, st, products=products(sc), report_path="/tmp/r.json")
    config = LoadConfig.from_mapping(raw)
    assert [(c.name, c.platform, c.url) for c in config.channels] == [
        ("shopify", "shopify", "http://shopify.test"),
        ("shopline", "shopline", "http://shopline.test"),
        ("shopware", "shopware", "http://shopware.test"),
    ]
    assert config.erp_url == "http://fulfil.test" and config.back_office.location_id == "1"
    plan = config.plan()
    checkouts = [r for r in plan if r.kind is RequestKind.CHECKOUT]
    share = sum(r.channel == "shopify" for r in checkouts) / len(checkouts)
    assert {r.channel for r in checkouts} == {"shopify", "shopline", "shopware"}
    assert 0.45 < share < 0.55
    assert any(r.kind is RequestKind.STOCK_MOVEMENT for r in plan)


def test_a_single_shopify_run_keeps_its_plan_and_its_columns() -> None:
    sc = Scenario.model_validate(BASE)
    raw = load_config(sc, started(sc), products=products(sc), report_path="r")
    with_channels = LoadConfig.from_mapping(raw).plan()
    legacy = {k: v for k, v in raw.items() if k != "channels"}
    assert with_channels == LoadConfig.from_mapping(legacy).plan()
    row = sample_row(
        sc,
        t=3.0,
        stats={
            "shopify": {
                "calls": 9,
                "throttled": 1,
                "checkouts": {"accepted": 5, "rejected": 2},
                "webhooks": {"pending": 3},
            },
            "erp": {"calls": 20, "rejected_concurrency": 4, "sales_orders": 3, "max_in_flight": 15},
        },
        engine={
            "idle": True,
            "erp": {"concurrency_limit": 6.0},
            "orders": {"exception": 1},
            "inventory": {"last_full_sync": 1000.5},
        },
        origin=990.0,
    )
    assert row["backlog"] == 2 and row["engine_held"] == 1 and row["engine_idle"]
    assert row["engine_full_sync_t"] == 10.5
    for column in (
        "shopify_calls",
        "shopify_429",
        "erp_calls",
        "erp_rejected",
        "erp_in_flight_max",
        "webhooks_pending",
        "engine_erp_limit",
    ):
        assert column in row


def test_sample_row_adds_channels_up_against_fulfils_sales() -> None:
    sc = Scenario.model_validate({**BASE, "channels": THREE, "back_office": "fulfil"})

    def channel(accepted: int) -> dict[str, Any]:
        return {"calls": 1, "throttled": 0, "checkouts": {"accepted": accepted, "rejected": 1}}

    row = sample_row(
        sc,
        t=1.0,
        stats={
            "shopify": channel(10),
            "shopline": channel(4),
            "shopware": channel(6),
            "fulfil": {"calls": 50, "throttled": 2, "sales": 15},
        },
        engine={},
    )
    assert (row["accepted"], row["rejected"], row["sales_orders"], row["backlog"]) == (20, 3, 15, 5)
    assert row["shopware_accepted"] == 6 and row["fulfil_rejected"] == 2
    assert not row["engine_up"] and "erp_in_flight_max" not in row
    assert row["engine_full_sync_t"] is None


def test_sample_row_gives_arrivals_backlog_by_flow_and_budget_use() -> None:
    sc = Scenario.model_validate(BASE)
    row = sample_row(
        sc,
        t=5.0,
        stats={
            "shopify": {"calls": 9, "throttled": 0, "checkouts": {"accepted": 7, "rejected": 3}},
            "erp": {"calls": 20, "rejected_concurrency": 0, "sales_orders": 4},
        },
        engine={
            "erp": {"concurrency_limit": 10.0, "utilisation": 0.8},
            "channels": {"shopify": {"budget": {"utilisation": 0.95}}},
            "jobs": {"refunds": {"pending": 2, "done": 5, "exception": 1}, "fulfilments": {}},
            "inventory": {"pending_pushes": 6},
        },
    )
    assert row["arrivals"] == 10 and row["synced"] == 4
    assert row["backlog_orders"] == row["backlog"] == 3
    # Held jobs are not backlog; a flow the engine reports nothing for has none waiting.
    assert row["backlog_refunds"] == 2 and row["backlog_fulfilments"] == 0
    assert row["backlog_payouts"] is None and row["backlog_stock_pushes"] == 6
    assert row["shopify_budget_use"] == 0.95 and row["erp_budget_use"] == 0.8


def test_sample_row_with_the_engine_down_leaves_engine_columns_blank() -> None:
    sc = Scenario.model_validate(BASE)
    row = sample_row(
        sc,
        t=5.0,
        stats={
            "shopify": {"calls": 1, "throttled": 0, "checkouts": {"accepted": 2, "rejected": 0}},
            "erp": {"calls": 1, "sales_orders": 1},
        },
        engine={},
    )
    assert row["backlog_orders"] == 1
    assert row["backlog_refunds"] is None and row["backlog_stock_pushes"] is None
    assert row["shopify_budget_use"] is None and row["erp_budget_use"] is None
