"""Shopify mock model: settings, money arithmetic, checkout atomicity (no HTTP)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mocks.common.webhooks import WebhookOutbox
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.errors import InsufficientInventory, UnknownDiscountCode, UnknownSku
from mocks.shopify.models import ShopifyModel
from mocks.shopify.pricing import allocate_discount, price_order
from mocks.shopify.schemas import CheckoutLine, CheckoutRequest
from simclock import VirtualClock

D = Decimal


def make_model(**overrides: object) -> ShopifyModel:
    clock = VirtualClock()
    settings = ShopifySettings.from_overrides(overrides)
    outbox = WebhookOutbox(clock=clock, seed=1)
    model = ShopifyModel(
        settings=settings, clock=clock, credentials={"access_token": "t"}, seed=1, outbox=outbox
    )
    model.seed(
        {
            "locations": [{"name": "Warehouse"}, {"name": "Overflow"}],
            "products": [
                {"sku": "A", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 5}},
                {"sku": "B", "title": "Cap", "price": "7.35", "inventory": {"Warehouse": 1}},
                {"sku": "C", "title": "Bag", "price": "3.00", "inventory": {"Overflow": 50}},
            ],
        }
    )
    return model


def basket(*lines: tuple[str, int], **kwargs: str) -> CheckoutRequest:
    return CheckoutRequest(
        lines=tuple(CheckoutLine(sku=s, quantity=q) for s, q in lines),
        **kwargs,
    )


def available(model: ShopifyModel) -> dict[tuple[int, int], int]:
    return {key: level.available for key, level in model.levels.items()}


# -- settings -------------------------------------------------------------------------------


def test_settings_defaults_follow_the_platform_notes() -> None:
    s = ShopifySettings()
    assert (s.bucket_size, s.leak_rate, s.retry_after_seconds) == (40, 2.0, 2.0)
    assert (s.page_limit_default, s.page_limit_max) == (50, 250)
    assert s.tax_rate == D("0.08")
    assert s.shipping_rates == {"standard": D("5.00"), "express": D("15.00")}
    assert s.discount_codes == {"FLASH10": D("10")}
    assert sum(s.webhook_retry_schedule) == 14_400


def test_unknown_setting_is_refused_by_name() -> None:
    with pytest.raises(ValueError, match="leak_rte"):
        ShopifySettings.from_overrides({"leak_rte": 4})


def test_overrides_are_converted_and_validated() -> None:
    s = ShopifySettings.from_overrides(
        {"leak_rate": 20, "shipping_rates": {"next_day": "25.50"}, "tax_rate": "0.2"}
    )
    assert s.leak_rate == 20.0
    assert s.shipping_rates == {"next_day": D("25.50")}
    assert s.tax_rate == D("0.2")
    with pytest.raises(ValueError, match="bucket_size"):
        ShopifySettings.from_overrides({"bucket_size": "40"})
    with pytest.raises(ValueError, match="webhook_drop_rate"):
        ShopifySettings.from_overrides({"webhook_drop_rate": 1.5})


def test_unknown_api_version_falls_forward_to_the_oldest_supported() -> None:
    s = ShopifySettings()
    assert s.resolve_api_version("2026-04") == "2026-04"
    assert s.resolve_api_version("2019-07") == "2025-10"
    assert s.resolve_api_version(None) == "2025-10"


# -- money ----------------------------------------------------------------------------------


def test_contract_example_prices_exactly() -> None:
    priced = price_order(
        lines=[(D("20.00"), 2)], discount_percent=D("10"), tax_rate=D("0.08"), shipping=D("5")
    )
    assert priced.total_line_items_price == D("40.00")
    assert priced.total_discounts == D("4.00")
    assert priced.subtotal_price == D("36.00")
    assert priced.total_tax == D("2.88")
    assert priced.total_price == D("43.88")


def test_discount_remainder_cents_are_allocated_so_lines_sum_to_the_order_discount() -> None:
    # 10 % of 0.05 + 0.05 + 0.05 = 0.015 -> order discount 0.02; exact shares 0.005 each.
    shares = allocate_discount([D("0.05"), D("0.05"), D("0.05")], D("10"))
    assert sum(shares) == D("0.02")
    assert shares == [D("0.01"), D("0.01"), D("0.00")]  # ties go to the earlier lines


money = st.decimals(min_value=D("0.01"), max_value=D("999.99"), places=2)


@given(
    lines=st.lists(st.tuples(money, st.integers(1, 20)), min_size=1, max_size=8),
    percent=st.one_of(st.none(), st.decimals(min_value=0, max_value=100, places=2)),
    rate=st.decimals(min_value=0, max_value=D("0.25"), places=4),
)
def test_order_identities_hold_exactly(
    lines: list[tuple[Decimal, int]], percent: Decimal | None, rate: Decimal
) -> None:
    p = price_order(lines=lines, discount_percent=percent, tax_rate=rate, shipping=D("5.00"))
    assert p.total_line_items_price == sum((price * qty for price, qty in lines), D(0))
    assert p.total_discounts == sum((line.discount for line in p.lines), D(0))
    if percent is not None:
        expected = (p.total_line_items_price * percent / 100).quantize(D("0.01"), "ROUND_HALF_UP")
        assert p.total_discounts == expected
    assert all(D(0) <= line.discount <= line.line_price for line in p.lines)
    assert p.subtotal_price == p.total_line_items_price - p.total_discounts
    assert p.total_tax == sum((line.tax for line in p.lines), D(0))
    assert p.total_price == p.subtotal_price + p.total_tax + p.shipping


# -- checkout -------------------------------------------------------------------------------


def test_checkout_decrements_the_primary_location_only() -> None:
    model = make_model()
    before = available(model)
    order = model.checkout(basket(("A", 2), ("B", 1), email="a@example.com"))
    after = available(model)
    changed = {key: (before[key], after[key]) for key in before if before[key] != after[key]}
    primary = next(iter(model.locations))
    a, b = (model.variants_by_sku[s].inventory_item_id for s in "AB")
    assert changed == {(a, primary): (5, 3), (b, primary): (1, 0)}
    assert order["name"] == "#1001"
    assert order["email"] == "a@example.com"


def test_short_line_in_a_basket_changes_nothing() -> None:
    model = make_model()
    before = available(model)
    with pytest.raises(InsufficientInventory) as err:
        model.checkout(basket(("A", 1), ("B", 2)))
    assert err.value.body == {
        "error": "insufficient_inventory", "sku": "B", "requested": 2, "available": 1
    }  # fmt: skip
    assert available(model) == before
    assert model.orders == {}
    assert model.stats()["checkouts"] == {"accepted": 0, "rejected": 1}
    assert model.outbox.counters().queued == 0


def test_repeated_sku_lines_are_checked_against_their_sum() -> None:
    model = make_model()
    with pytest.raises(InsufficientInventory) as err:
        model.checkout(basket(("A", 3), ("A", 3)))
    assert err.value.body["requested"] == 6


def test_stock_only_at_another_location_does_not_count() -> None:
    model = make_model()
    with pytest.raises(InsufficientInventory):
        model.checkout(basket(("C", 1)))


def test_unknown_sku_and_discount_code_change_nothing() -> None:
    model = make_model()
    before = available(model)
    with pytest.raises(UnknownSku):
        model.checkout(basket(("A", 1), ("NOPE", 1)))
    with pytest.raises(UnknownDiscountCode):
        model.checkout(basket(("A", 1), discount_code="BOGUS"))
    assert available(model) == before


def test_order_ids_and_names_are_monotonic() -> None:
    model = make_model()
    orders = [model.checkout(basket(("A", 1))) for _ in range(3)]
    assert [o["id"] for o in orders] == [5001, 5002, 5003]
    assert [o["name"] for o in orders] == ["#1001", "#1002", "#1003"]
    line_ids = [o["line_items"][0]["id"] for o in orders]
    assert line_ids == sorted(set(line_ids))


def test_reset_empties_the_shop() -> None:
    model = make_model()
    model.checkout(basket(("A", 1)))
    model.reset()
    assert model.orders == {} and model.levels == {} and model.variants_by_sku == {}
    assert model.state()["orders"] == []
