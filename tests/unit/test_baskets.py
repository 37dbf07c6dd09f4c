"""Baskets, stock movements and the request plan the dispatchers share."""

from __future__ import annotations

import random
import re
from collections import Counter

import pytest

from loadtests.baskets import (
    BackOfficeSpec,
    BasketSpec,
    LoadConfig,
    RequestKind,
    build_plan,
    cumulative_weights,
    dispatcher_share,
    draw_basket,
    draw_stock_movement,
    zipf_weights,
)

SKUS = [f"SKU-{i:04d}" for i in range(1, 21)]
CUM = cumulative_weights(zipf_weights(len(SKUS), 1.1))
SPEC = BasketSpec(
    max_lines=3, max_quantity=2, discount_code="FLASH10", discount_share=0.3, express_share=0.2
)
BACK_OFFICE = BackOfficeSpec(rate=2.0, receipt_share=0.5, max_units=5, location_id="1")


def _plan(back_office: BackOfficeSpec = BACK_OFFICE, seed: int = 42) -> list:
    return build_plan(
        curve=[[0, 2], [50, 8], [100, 0]],
        duration=100,
        seed=seed,
        skus=SKUS,
        zipf_s=1.1,
        basket=SPEC,
        back_office=back_office,
    )


def test_zipf_weights_are_normalised_and_follow_the_power_law() -> None:
    weights = zipf_weights(5, 1.1)
    assert sum(weights) == pytest.approx(1.0)
    assert weights[0] / weights[1] == pytest.approx(2**1.1)
    assert weights[0] / weights[4] == pytest.approx(5**1.1)
    assert zipf_weights(4, 0.0) == pytest.approx([0.25] * 4)


def test_zipf_rejects_no_skus_and_negative_exponent() -> None:
    with pytest.raises(ValueError, match="at least one sku"):
        zipf_weights(0, 1.1)
    with pytest.raises(ValueError, match="zipf_s must be >= 0"):
        zipf_weights(3, -1)


def test_rank_one_sku_is_drawn_most_and_hot_beats_cold() -> None:
    rng = random.Random(5)
    counts = Counter(
        line["sku"] for _ in range(3000) for line in draw_basket(rng, SKUS, CUM, SPEC, 100)["lines"]
    )
    assert counts.most_common(1)[0][0] == SKUS[0]
    assert counts[SKUS[0]] > 3 * counts[SKUS[-1]]


def test_baskets_are_valid_checkout_bodies() -> None:
    rng = random.Random(11)
    baskets = [draw_basket(rng, SKUS, CUM, SPEC, 50) for _ in range(2000)]
    for basket in baskets:
        skus = [line["sku"] for line in basket["lines"]]
        assert 1 <= len(skus) <= SPEC.max_lines
        assert len(set(skus)) == len(skus), basket
        assert set(skus) <= set(SKUS)
        assert all(1 <= line["quantity"] <= SPEC.max_quantity for line in basket["lines"])
        assert re.fullmatch(r"customer\d{6}@example\.com", basket["email"])
        assert basket["shipping"] in {"standard", "express"}
        assert basket.get("discount_code", "FLASH10") == "FLASH10"
    discounted = sum("discount_code" in b for b in baskets) / len(baskets)
    express = sum(b["shipping"] == "express" for b in baskets) / len(baskets)
    assert discounted == pytest.approx(0.3, abs=0.04)
    assert express == pytest.approx(0.2, abs=0.04)
    assert {len(b["lines"]) for b in baskets} == {1, 2, 3}
    assert {line["quantity"] for b in baskets for line in b["lines"]} == {1, 2}


def test_every_sku_fits_in_a_basket_even_when_one_sku_dominates() -> None:
    skus = ["A", "B", "C", "D"]
    steep = cumulative_weights(zipf_weights(4, 12.0))  # rank 4 is drawn ~1 in 17 million
    rng = random.Random(1)
    for _ in range(50):
        basket = draw_basket(rng, skus, steep, BasketSpec(max_lines=4, max_quantity=1), 10)
        if len(basket["lines"]) == 4:
            assert sorted(line["sku"] for line in basket["lines"]) == skus


def test_no_discount_code_without_a_code() -> None:
    rng = random.Random(2)
    spec = BasketSpec(discount_code=None, discount_share=1.0)
    assert not any("discount_code" in draw_basket(rng, SKUS, CUM, spec, 10) for _ in range(200))


def test_some_customers_repeat_but_most_orders_are_new_customers() -> None:
    emails = [r.body["email"] for r in _plan() if r.kind is RequestKind.CHECKOUT]
    repeats = len(emails) - len(set(emails))
    assert 0 < repeats < len(emails) / 3


def test_stock_movements_match_their_reason_and_bounds() -> None:
    rng = random.Random(3)
    movements = [draw_stock_movement(rng, SKUS, CUM, BACK_OFFICE) for _ in range(2000)]
    for movement in movements:
        assert movement["location_id"] == "1"
        assert movement["sku"] in SKUS
        assert 1 <= abs(movement["delta"]) <= 5
        assert movement["reason"] == ("receipt" if movement["delta"] > 0 else "other_channel")
    receipts = sum(m["reason"] == "receipt" for m in movements) / len(movements)
    assert receipts == pytest.approx(0.5, abs=0.04)


def test_plan_is_time_ordered_mixes_both_streams_and_is_reproducible() -> None:
    plan = _plan()
    assert [r.sim_t for r in plan] == sorted(r.sim_t for r in plan)
    kinds = Counter(r.kind for r in plan)
    assert abs(kinds[RequestKind.CHECKOUT] - 450) <= 4 * 450**0.5  # integral of the curve
    assert abs(kinds[RequestKind.STOCK_MOVEMENT] - 200) <= 4 * 200**0.5
    again = _plan()
    assert [(r.sim_t, r.kind, r.body) for r in again] == [(r.sim_t, r.kind, r.body) for r in plan]
    assert [r.body for r in _plan(seed=43)] != [r.body for r in plan]


def test_back_office_traffic_does_not_reshuffle_the_checkouts() -> None:
    with_movements = [r for r in _plan() if r.kind is RequestKind.CHECKOUT]
    without = _plan(BackOfficeSpec(rate=0))
    assert all(r.kind is RequestKind.CHECKOUT for r in without)
    assert [(r.sim_t, r.body) for r in without] == [(r.sim_t, r.body) for r in with_movements]


def test_dispatchers_split_the_plan_round_robin_without_loss() -> None:
    plan = _plan()
    shares = [dispatcher_share(plan, i, 4) for i in range(4)]
    assert shares[1][:2] == [plan[1], plan[5]]
    assert sorted((r for share in shares for r in share), key=plan.index) == plan
    with pytest.raises(ValueError, match=r"dispatcher index 4 outside 0\.\.3"):
        dispatcher_share(plan, 4, 4)


CONFIG = {
    "shopify_url": "http://127.0.0.1:8001/",
    "erp_url": "http://127.0.0.1:8002",
    "time_scale": 5.0,
    "seed": 42,
    "duration": 300.0,
    "arrival_curve": [[0, 0.5], [30, 12], [150, 12], [210, 1], [300, 0]],
    "skus": SKUS,
    "zipf_s": 1.1,
    "basket": {"max_lines": 3, "max_quantity": 2, "discount_code": "FLASH10"},
    "back_office": {"rate": 2.0, "receipt_share": 0.5, "max_units": 5, "location_id": "1"},
    "dispatchers": 4,
    "report_path": "/tmp/load_report.json",
}


def test_config_is_read_from_the_orchestrator_json() -> None:
    config = LoadConfig.from_mapping(CONFIG)
    assert config.shopify_url == "http://127.0.0.1:8001"
    assert config.curve[1] == (30.0, 12.0)
    assert config.back_office.rate == 2.0
    assert config.basket.discount_code == "FLASH10"
    assert len(config.plan()) > 2000


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"skus": []}, "skus: at least one sku is required"),
        ({"skus": ["A", "A"]}, "skus: duplicates are not allowed"),
        ({"erp_url": None}, "back_office.rate > 0 needs erp_url"),
        ({"basket": {"max_lines": 0}}, "basket.max_lines must be >= 1, got 0"),
        ({"basket": {"colour": "red"}}, "load config: basket: "),
        (
            {"back_office": {"receipt_share": 2}},
            "back_office.receipt_share must be in [0, 1], got 2",
        ),
        ({"time_scale": 0}, "time_scale must be > 0"),
        (
            {"arrival_curve": [[0, 1], [0, 2]]},
            "arrival_curve[1]: times must be strictly increasing",
        ),
        ({"dispatchers": 0}, "dispatchers must be >= 1, got 0"),
    ],
)
def test_bad_config_is_rejected_with_the_key_named(change: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        LoadConfig.from_mapping({**CONFIG, **change})
    assert message in str(info.value)


def test_missing_keys_are_listed() -> None:
    raw = {k: v for k, v in CONFIG.items() if k not in {"skus", "duration"}}
    with pytest.raises(ValueError, match="missing key\\(s\\) duration, skus"):
        LoadConfig.from_mapping(raw)


def test_back_office_block_may_be_absent() -> None:
    raw = {k: v for k, v in CONFIG.items() if k not in {"back_office", "erp_url"}}
    plan = LoadConfig.from_mapping(raw).plan()
    assert {r.kind for r in plan} == {RequestKind.CHECKOUT}


def test_shopper_drops_the_sold_out_item_and_keeps_the_rest() -> None:
    from loadtests.baskets import without_sold_out

    body = {"lines": [{"sku": "A", "quantity": 1}, {"sku": "B", "quantity": 2}], "email": "x"}
    assert without_sold_out(body, "A") == {"lines": [{"sku": "B", "quantity": 2}], "email": "x"}
    assert without_sold_out({"lines": [{"sku": "A", "quantity": 1}]}, "A") is None
    assert without_sold_out(body, "Z") is None  # refusal names no line: retrying changes nothing


@pytest.mark.parametrize(
    ("basket", "message"),
    [
        ({"line_sizes": [[0, 1.0]]}, "basket.line_sizes: line counts must be >= 1"),
        ({"line_sizes": [[1, 0.0], [2, 0.0]]}, "basket.line_sizes: the weights add up to 0"),
        ({"line_sizes": [[1]]}, "load config: basket:"),
        ({"guest_share": 1.5}, "basket.guest_share must be in [0, 1], got 1.5"),
        ({"returning_customers": 0, "guest_share": 0.5}, "returning_customers must be >= 1"),
        ({"lines_max": 3}, "load config: basket:"),
    ],
)
def test_bad_shopper_mix_in_the_load_config_is_named(basket: dict, message: str) -> None:
    with pytest.raises(ValueError) as info:
        LoadConfig.from_mapping({**CONFIG, "basket": {**CONFIG["basket"], **basket}})
    assert message in str(info.value)


def test_line_counts_never_exceed_the_catalogue() -> None:
    from loadtests.baskets import BasketSpec

    spec = BasketSpec(line_sizes=((5, 1.0),))
    rng = random.Random(1)
    cum = cumulative_weights(zipf_weights(3, 1.1))
    bodies = [draw_basket(rng, ["A", "B", "C"], cum, spec, 10) for _ in range(50)]
    assert {len(b["lines"]) for b in bodies} == {3}
