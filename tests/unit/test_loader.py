from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.cli import main
from scenarios.loader import ScenarioError, load


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "s.yaml"
    path.write_text(text)
    return path


HEAD = "name: x\nduration: 10\narrival_curve: "
OK = HEAD + "[[0, 1], [5, 2]]\n"


def test_library_scenario_loads() -> None:
    scenario = load("flash-sale")
    assert scenario.name == "flash-sale" and scenario.duration > 0


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "name: x\nduration: 10\narrival_curve: [[0, 1], [5, -1]]\n",
            "arrival_curve: Value error, point 1: rate -1.0 is negative",
        ),
        (
            "name: x\nduration: 10\narrival_curve: [[0, 1], [0, 2]]\n",
            "point 1: time 0.0 is not after 0.0",
        ),
        (
            OK + "colour: red\n",
            "colour: Extra inputs are not permitted",
        ),
        (
            "name: x\nduration: ten\narrival_curve: [[0, 1], [5, 2]]\n",
            "duration: Input should be a valid number",
        ),
        (
            OK + "catalogue: {skus: 3, hot: {count: 5}}\n",
            "hot.count (5) exceeds skus (3)",
        ),
        (
            OK + "platforms: {magento: {}}\n",
            "unknown platform(s) ['magento']",
        ),
        ("name: x\n  duration: [\n", ":2:11: YAML syntax error"),
        ("- just\n- a list\n", "a scenario is a mapping"),
    ],
)
def test_bad_files_name_the_file_field_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as info:
        load(str(path))
    assert str(path) in str(info.value)
    assert expected in str(info.value)


def test_cli_exits_2_on_bad_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = write(tmp_path, "name: x\nduration: -5\narrival_curve: [[0, 1], [5, 2]]\n")
    assert main(["validate", str(path)]) == 2
    assert "duration: Input should be greater than 0" in capsys.readouterr().err
    assert main(["run", str(tmp_path / "missing.yaml")]) == 2


CHANNELS = (
    "channels:\n"
    "  - {name: web, platform: shopify, share: 2}\n"
    "  - {name: sl, platform: shopline, api_version: v20230901}\n"
    "  - {name: sw, platform: shopware, stock_buffer: 8}\n"
)


def test_a_scenario_without_channels_is_one_shopify_channel_against_the_erp() -> None:
    scenario = load("flash-sale")
    assert [(c.name, c.platform) for c in scenario.channels] == [("shopify", "shopify")]
    assert scenario.back_office.platform == "erp" and scenario.back_office.rate == 4.0
    assert scenario.started == ("erp", "shopify")


def test_channels_back_office_shorthand_and_mapping(tmp_path: Path) -> None:
    text = (
        OK
        + CHANNELS
        + "back_office: fulfil\nmapping: {discount_item: PROMO, sku_aliases: {a: B}}\n"
    )
    scenario = load(str(write(tmp_path, text)))
    assert scenario.back_office.platform == "fulfil"
    assert [c.name for c in scenario.channels] == ["web", "sl", "sw"]
    assert scenario.stock_buffer(scenario.channels[2]) == 8
    assert scenario.stock_buffer(scenario.channels[0]) == scenario.engine.stock_buffer
    assert scenario.mapping.discount_item == "PROMO"
    assert scenario.mapping.sku_aliases == {"a": "B"}


def test_faults_and_settings_name_a_channel_a_platform_or_the_back_office(tmp_path: Path) -> None:
    text = (
        OK + CHANNELS + "back_office: {platform: fulfil, rate: 1}\n"
        "platforms: {shopware: {tax_rate: 7}, sw: {currency: EUR},\n"
        "            fulfil: {requests_per_minute: 60}}\n"
        "faults:\n"
        "  - {platform: sl, at: 5, kind: reset}\n"
        "  - {platform: shopify, at: 1, kind: outage, duration: 2}\n"
        "  - {platform: fulfil, at: 0, kind: reset}\n"
    )
    scenario = load(str(write(tmp_path, text)))
    assert scenario.fault_plans() == {
        "sl": [{"kind": "reset", "start": 5}],
        "web": [{"kind": "outage", "start": 1, "end": 3}],
        "fulfil": [{"kind": "reset", "start": 0}],
    }
    assert scenario.settings_for("sw") == {"tax_rate": 7, "currency": "EUR"}
    assert scenario.settings_for("fulfil") == {"requests_per_minute": 60}


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "channels: [{name: a, platform: shopify}, {name: a, platform: shopline}]\n",
            "channels: Value error, channel name(s) used twice: a",
        ),
        (
            "channels: [{name: erp, platform: shopify}]\n",
            "channels.0.name: Value error, 'erp' is reserved",
        ),
        ("channels: [{name: x, platform: magento}]\n", "channels.0.platform: Input should be"),
        ("channels: [{name: Web-1, platform: shopify}]\n", "channels.0.name: String should match"),
        ("channels: []\n", "channels: Tuple should have at least 1 item"),
        (
            "channels: [{name: x, platform: shopify, share: 0}]\n",
            "channels.0.share: Input should be greater than 0",
        ),
        ("back_office: sap\n", "back_office.platform: Input should be 'erp' or 'fulfil'"),
        ("mapping: {bundles: {B: [{sku: A, quantity: 0}]}}\n", "mapping.bundles.B.0.quantity"),
        ("mapping: {colour: red}\n", "mapping.colour: Extra inputs are not permitted"),
        (
            CHANNELS + "faults: [{platform: shopify, at: 0, kind: reset},\n"
            "         {platform: erp, at: 0, kind: reset}]\n"
            "back_office: fulfil\n",
            "faults.1.platform: Value error, 'erp' is not started by this scenario "
            "(started: fulfil, shopify, shopline, shopware, sl, sw, web)",
        ),
        (CHANNELS + "platforms: {shopify: {}, erp: {}, x: {}}\n", "unknown platform(s) ['x']"),
    ],
)
def test_bad_channels_back_offices_and_mappings_name_the_path(
    tmp_path: Path, extra: str, expected: str
) -> None:
    with pytest.raises(ScenarioError) as info:
        load(str(write(tmp_path, OK + extra)))
    assert expected in str(info.value)
    assert str(tmp_path) in str(info.value)


@pytest.mark.parametrize(
    "name",
    ["multi-channel", "multi-channel-smoke", "fulfil-backoffice", "fulfil-backoffice-smoke"],
)
def test_library_multi_channel_and_fulfil_scenarios_load(name: str) -> None:
    scenario = load(name)
    assert scenario.name == name
    if name.startswith("multi-channel"):
        assert {c.platform for c in scenario.channels} == {"shopify", "shopline", "shopware"}
        assert scenario.back_office.platform == "erp"
    else:
        assert scenario.back_office.platform == "fulfil"
