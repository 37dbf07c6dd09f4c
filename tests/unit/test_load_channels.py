"""Shoppers on several channels: which channel each arrival picks, each platform's checkout
body, and how a shopper reads each platform's sold-out answer."""

from __future__ import annotations

import random
from collections import Counter
from typing import Any

import pytest

from loadtests.baskets import LoadConfig, without_sold_out
from loadtests.channels import channel_picker, checkout_body, parse_channels, sold_out_sku

BASKET = {
    "lines": [{"sku": "SKU-0001", "quantity": 2}, {"sku": "SKU-0002", "quantity": 1}],
    "email": "customer000001@example.com",
    "discount_code": "FLASH10",
    "shipping": "express",
}
CONFIG: dict[str, Any] = {
    "time_scale": 5.0,
    "seed": 3,
    "duration": 200.0,
    "arrival_curve": [[0, 5], [200, 5]],
    "skus": [f"SKU-{i:04d}" for i in range(1, 31)],
    "basket": {"max_lines": 3, "discount_code": "FLASH10", "discount_share": 0.5},
}


def test_shopify_and_shopline_take_the_basket_shopware_its_own_names() -> None:
    assert checkout_body("shopify", BASKET) == BASKET
    assert checkout_body("shopline", BASKET) == BASKET
    assert checkout_body("shopware", BASKET) == {
        "lines": [
            {"productNumber": "SKU-0001", "quantity": 2},
            {"productNumber": "SKU-0002", "quantity": 1},
        ],
        "email": "customer000001@example.com",
        "promotion_code": "FLASH10",
        "shipping": "express",
    }


def test_a_channel_without_the_promotion_sends_no_code() -> None:
    assert "discount_code" not in checkout_body("shopify", BASKET, promotions=False)
    assert "promotion_code" not in checkout_body("shopware", BASKET, promotions=False)
    assert BASKET["discount_code"] == "FLASH10"  # the drawn basket is left as it was


def test_each_platforms_sold_out_answer_names_the_sku_the_shopper_drops() -> None:
    shopify = {"error": "insufficient_inventory", "sku": "SKU-0002", "requested": 1}
    shopware = {
        "errors": [
            {
                "code": "CHECKOUT__PRODUCT_STOCK_REACHED",
                "status": "409",
                "meta": {"parameters": {"productNumber": "SKU-0002", "available": 0}},
            }
        ]
    }
    assert sold_out_sku("shopify", shopify) == "SKU-0002"
    assert sold_out_sku("shopline", shopify) == "SKU-0002"
    assert sold_out_sku("shopware", shopware) == "SKU-0002"
    assert sold_out_sku("shopware", shopify) is None
    assert sold_out_sku("shopware", {"errors": []}) is None
    assert sold_out_sku("shopify", ["not", "an", "object"]) is None
    retry = without_sold_out(BASKET, sold_out_sku("shopware", shopware))
    assert retry is not None and [ln["sku"] for ln in retry["lines"]] == ["SKU-0001"]


def test_arrivals_pick_channels_by_share_from_their_own_seed_stream() -> None:
    pick = channel_picker([("a", 3.0), ("b", 1.0)], random.Random(1))
    counts = Counter(pick() for _ in range(20_000))
    assert abs(counts["a"] / 20_000 - 0.75) < 0.02
    single = channel_picker([("only", 1.0)], random.Random(1))
    assert {single() for _ in range(5)} == {"only"}
    assert channel_picker([], random.Random(1))() is None


def test_the_channel_mix_does_not_change_the_baskets() -> None:
    one = LoadConfig.from_mapping({**CONFIG, "shopify_url": "http://s.test"}).plan()
    three = LoadConfig.from_mapping(
        {
            **CONFIG,
            "channels": [
                {"name": "s", "platform": "shopify", "url": "http://s.test/", "share": 2},
                {"name": "l", "platform": "shopline", "url": "http://l.test"},
                {"name": "w", "platform": "shopware", "url": "http://w.test", "promotions": False},
            ],
        }
    )
    plan = three.plan()
    assert [(r.sim_t, r.body) for r in plan] == [(r.sim_t, r.body) for r in one]
    assert {r.channel for r in plan} == {"s", "l", "w"} and {r.channel for r in one} == {"shopify"}
    assert three.shopify_url == "http://s.test" and three.channel("w").promotions is False
    assert three.channel(None).name == "s"


@pytest.mark.parametrize(
    ("channels", "message"),
    [
        ([], "channels must be a non-empty list"),
        (["x"], "channels[0] must be an object"),
        ([{"name": "a", "platform": "magento", "url": "u"}], "channels[0].platform 'magento'"),
        ([{"name": "a", "platform": "shopify"}], "channels[0].url is required"),
        ([{"name": "a", "url": "u", "share": 0}], "channels[0].share must be > 0"),
        ([{"name": "a", "url": "u", "colour": 1}], "channels[0]: "),
        ([{"name": "a", "url": "u"}, {"name": "a", "url": "v"}], "channel names must be unique"),
    ],
)
def test_bad_channel_lists_are_refused_with_the_key_named(
    channels: list[Any], message: str
) -> None:
    with pytest.raises(ValueError) as info:
        parse_channels({"channels": channels})
    assert message in str(info.value)
