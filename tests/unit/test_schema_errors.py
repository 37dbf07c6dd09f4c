"""Broken scenario files in each new block: wrong type, unknown key, impossible value. Every
message names the file, the field's path and the reason."""

from __future__ import annotations

from pathlib import Path

import pytest

from scenarios.loader import ScenarioError, load

CURVE = "arrival_curve: [[0, 1], [5, 2]]\n"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        # traffic
        (
            "traffic: {stages: [{duration: ten, rate: 1}]}\n",
            "traffic.stages.0.duration: Input should be a valid number",
        ),
        (
            "traffic: {stages: [{duration: 10, rate: 1, colour: 3}]}\n",
            "traffic.stages.0.colour: Extra inputs are not permitted",
        ),
        (
            "traffic: {stages: [{duration: 10, from: 1}]}\n",
            "traffic.stages.0: Value error, a stage needs rate, or both from and to",
        ),
        (
            "traffic: {table: [[0, 1], [0, 2]]}\n",
            "traffic.table: Value error, point 1: time 0.0 is not after 0.0",
        ),
        (
            "traffic: {profile: cyber-monday, peak_rate: 3}\n",
            "traffic.profile: Input should be 'black-friday-day'",
        ),
        (
            "traffic: {profile: black-friday-day, peak_rate: -3}\n",
            "traffic.peak_rate: Input should be greater than 0",
        ),
        ("traffic: {profile: black-friday-day}\n", "traffic: Value error, profile needs peak_rate"),
        (
            CURVE + "traffic: {table: [[0, 1], [5, 2]]}\n",
            "(top level): Value error, give arrival_curve or traffic, not both",
        ),
        ("duration: 5\n", "(top level): Value error, give arrival_curve or traffic"),
        # shoppers
        (
            CURVE + "shoppers: {guest_share: lots}\n",
            "shoppers.guest_share: Input should be a valid number",
        ),
        (
            CURVE + "shoppers: {guest_share: 1.5}\n",
            "shoppers.guest_share: Input should be less than or equal to 1",
        ),
        (CURVE + "shoppers: {colour: red}\n", "shoppers.colour: Extra inputs are not permitted"),
        (
            CURVE + "shoppers: {basket_sizes: {0: 1}}\n",
            "shoppers.basket_sizes: Value error, line count 0 is outside 1..50",
        ),
        (
            CURVE + "shoppers: {basket_sizes: {1: -1}}\n",
            "shoppers.basket_sizes: Value error, weight of 1 line(s)",
        ),
        (
            CURVE + "shoppers: {basket_sizes: [1, 2]}\n",
            "shoppers.basket_sizes: Input should be a valid dictionary",
        ),
        (
            CURVE + "shoppers: {returning_customers: 5}\n",
            "shoppers: Value error, returning_customers needs guest_share",
        ),
        (
            CURVE + "shoppers: {zipf_s: 2}\ncatalogue: {zipf_s: 1.1}\n",
            "shoppers: Value error, zipf_s (2.0) and catalogue.zipf_s disagree",
        ),
        (
            CURVE + "shoppers: {promo_share: 0.5}\nbasket: {discount_share: 0.2}\n",
            "shoppers: Value error, promo_share (0.5) and basket.discount_share disagree",
        ),
        # catalogue
        (
            CURVE + "catalogue: {generator: fancy}\n",
            "catalogue.generator: Input should be 'simple' or 'faker'",
        ),
        (
            CURVE + "catalogue: {locations: 3}\n",
            "catalogue.locations: Value error, only one stock location is supported (got 3)",
        ),
        (CURVE + "catalogue: {tax_rate: 1.5}\n", "catalogue.tax_rate: Input should be less than 1"),
        (
            CURVE + "catalogue: {tax_rate: '0.2', tax_classes: {a: {rate: '0.1'}}}\n",
            "catalogue: Value error, give tax_rate or tax_classes, not both",
        ),
        (
            CURVE + "catalogue: {tax_classes: {a: {rate: '0.1', vat: 1}}}\n",
            "catalogue.tax_classes.a.vat: Extra inputs are not permitted",
        ),
        (
            CURVE + "catalogue: {tax_classes: {a: {rate: high}}}\n",
            "catalogue.tax_classes.a.rate: Input should be a valid decimal",
        ),
        (
            CURVE + "catalogue: {bundles: {count: 2, components: 1}}\n",
            "catalogue.bundles.components: Input should be greater than or equal to 2",
        ),
        (
            CURVE + "catalogue: {bundles: {count: 1, colour: 2}}\n",
            "catalogue.bundles.colour: Extra inputs are not permitted",
        ),
        (
            CURVE + "catalogue: {skus: 6, bundles: {count: 1, components: 3}}\n",
            "catalogue: Value error, bundles.components (3) exceeds the SKUs that are not hot (1)",
        ),
        # slo
        (
            CURVE + "slo: {latency_p50_seconds: -1}\n",
            "slo.latency_p50_seconds: Input should be greater than 0",
        ),
        (
            CURVE + "slo: {latency_p95_seconds: soon}\n",
            "slo.latency_p95_seconds: Input should be a valid number",
        ),
        (
            CURVE + "slo: {latency_p90_seconds: 3}\n",
            "slo.latency_p90_seconds: Extra inputs are not permitted",
        ),
    ],
)
def test_broken_new_blocks_name_file_path_and_reason(
    tmp_path: Path, body: str, expected: str
) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("name: x\n" + body)
    with pytest.raises(ScenarioError) as info:
        load(str(path))
    assert f"{path}: {expected}" in str(info.value)
