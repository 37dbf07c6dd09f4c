"""The mapping rules, one seed failure pattern each (issue 6): what the engine does with it."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync_engine.mapping import MappingError, MappingRules, map_order
from sync_engine.mapping.carriers import OTHER, channel_carrier
from sync_engine.mapping.customers import customer_key
from sync_engine.model import Customer, Order, OrderLine

D = Decimal
CATALOGUE = {"TEE-M", "MUG", "CAP", "SOCKS"}


def line(sku: str, qty: int = 1, price: str = "10.00", **kw: object) -> OrderLine:
    return OrderLine(
        sku=sku,
        quantity=qty,
        unit_price=D(price),
        discount=D(str(kw.pop("discount", "0"))),
        tax=D(str(kw.pop("tax", "0"))),
        **kw,  # type: ignore[arg-type]
    )


def order(*lines: OrderLine, customer: Customer | None = None, oid: str = "1") -> Order:
    total = sum((ln.amount - ln.discount + ln.tax for ln in lines), D(0))
    return Order(
        channel="shopware",
        order_id=oid,
        number=f"#{oid}",
        created_ts=0.0,
        email=customer.email if customer else "a@example.com",
        currency="EUR",
        lines=lines,
        discount_total=sum((ln.discount for ln in lines), D(0))
        - sum((ln.amount for ln in lines if ln.kind == "promotion"), D(0)),
        tax_total=sum((ln.tax for ln in lines), D(0)),
        shipping=D("4.90"),
        total=total + D("4.90"),
        customer=customer,
    )


def test_unknown_sku_is_refused_with_line_and_sku_named() -> None:
    with pytest.raises(MappingError) as info:
        map_order(order(line("TEE-M"), line("GHOST-1")), MappingRules(), CATALOGUE)
    assert info.value.code == "UNKNOWN_SKU"
    assert "line 2" in str(info.value) and "'GHOST-1'" in str(info.value)


def test_sku_is_normalised_and_aliased_before_the_catalogue_check() -> None:
    rules = MappingRules(sku_aliases={"old-cap": "CAP"})
    mapped = map_order(order(line(" tee-m "), line("OLD-CAP")), rules, CATALOGUE)
    assert [ln.sku for ln in mapped.lines] == ["TEE-M", "CAP"]
    assert mapped.lines[0].channel_sku == " tee-m "


def test_promotion_line_without_sku_becomes_the_discount_item() -> None:
    promo = line("", price="-5.00", kind="promotion", name="Rule Builder 10% off")
    mapped = map_order(order(line("MUG", 2), promo), MappingRules(), CATALOGUE)
    discount = mapped.lines[-1]
    assert (discount.sku, discount.inventory, discount.amount) == ("DISCOUNT", False, D("-5.00"))
    assert mapped.stock_lines == mapped.lines[:1]


def test_promotion_line_is_held_when_no_discount_item_is_configured() -> None:
    promo = line("", price="-5.00", kind="promotion", name="Rule Builder 10% off")
    with pytest.raises(MappingError) as info:
        map_order(order(line("MUG"), promo), MappingRules(discount_item=None), CATALOGUE)
    assert info.value.code == "PROMO_WITHOUT_ITEM"


def test_guest_checkouts_are_distinct_customers_even_with_one_email() -> None:
    guest = Customer(email="shared@example.com", guest=True)
    one = map_order(order(line("MUG"), customer=guest, oid="1"), MappingRules(), CATALOGUE)
    two = map_order(order(line("MUG"), customer=guest, oid="2"), MappingRules(), CATALOGUE)
    assert one.customer_key != two.customer_key
    assert one.customer_key.startswith("guest:")


def test_registered_customer_matches_by_email_then_phone_across_channels() -> None:
    a = Customer(email=" Ann@Example.COM ")
    b = Customer(email="ann@example.com", phone="+44 20 7946 0000")
    assert customer_key(a, channel="shopify", order_id="1") == customer_key(
        b, channel="shopware", order_id="9"
    )
    phone_only = Customer(phone="+44 (20) 7946-0000")
    assert customer_key(phone_only, channel="x", order_id="1") == "phone:+442079460000"


def test_duplicate_sku_lines_are_consolidated_with_sums_kept() -> None:
    mapped = map_order(
        order(line("mug", 1, tax="0.80"), line("MUG", 2, tax="1.60")), MappingRules(), CATALOGUE
    )
    assert len(mapped.lines) == 1
    assert (mapped.lines[0].quantity, mapped.lines[0].amount, mapped.lines[0].tax) == (
        3,
        D("30.00"),
        D("2.40"),
    )


def test_duplicate_sku_lines_are_held_under_the_flag_rule() -> None:
    with pytest.raises(MappingError) as info:
        map_order(order(line("MUG"), line("mug")), MappingRules(duplicate_sku="flag"), CATALOGUE)
    assert info.value.code == "DUPLICATE_SKU"


def test_bundle_expands_to_components_and_totals_still_match() -> None:
    rules = MappingRules(
        bundles={
            "GIFT-SET": [
                {"sku": "MUG", "quantity": 1, "price_weight": "2"},
                {"sku": "SOCKS", "quantity": 2, "price_weight": "1"},
            ]
        }
    )
    bundle = line("gift-set", 3, price="33.33", discount="1.00", tax="7.99")
    mapped = map_order(order(bundle), rules, CATALOGUE)
    assert [(ln.sku, ln.quantity) for ln in mapped.lines] == [("MUG", 3), ("SOCKS", 6)]
    assert sum(ln.amount for ln in mapped.lines) == D("99.99")
    assert sum(ln.discount for ln in mapped.lines) == D("1.00")
    assert sum(ln.tax for ln in mapped.lines) == D("7.99")
    assert all(ln.channel_sku == "gift-set" for ln in mapped.lines)


def test_bundle_component_missing_from_catalogue_is_refused() -> None:
    rules = MappingRules(bundles={"SET": [{"sku": "MUG"}, {"sku": "SPOON"}]})
    with pytest.raises(MappingError, match=r"bundle SET.*SPOON"):
        map_order(order(line("SET")), rules, CATALOGUE)


def test_configurator_options_ride_on_the_line() -> None:
    opts = (("Size", "M"), ("Colour", "Red"))
    mapped = map_order(order(line("TEE-M", options=opts)), MappingRules(), CATALOGUE)
    assert mapped.lines[0].options == opts


def test_carrier_names_map_per_channel_or_fall_back_to_other() -> None:
    rules = MappingRules(carriers={"shopify": {"ups ground": "UPS"}})
    accepted = ["UPS", "DHL Express", "Other"]
    assert channel_carrier("shopify", "UPS GROUND", rules, accepted) == "UPS"
    assert channel_carrier("shopify", "dhl express", rules, accepted) == "DHL Express"
    assert channel_carrier("shopify", "Bob's Vans", rules, accepted) == OTHER
    with pytest.raises(MappingError) as info:
        channel_carrier("shopify", "Bob's Vans", MappingRules(unknown_carrier="flag"), accepted)
    assert info.value.code == "UNKNOWN_CARRIER"


def test_a_promotion_discount_is_not_taken_off_twice() -> None:
    promo = line("", price="-5.00", kind="promotion", name="10% off")
    mapped = map_order(order(line("MUG", 2), promo), MappingRules(), CATALOGUE)
    assert mapped.discount_total == 0  # the DISCOUNT line carries it
    total = sum(ln.amount for ln in mapped.lines) - mapped.discount_total
    assert total + mapped.tax_total + mapped.shipping == mapped.total


def test_gross_prices_become_net_lines_and_shipping_and_totals_still_match() -> None:
    # Shopware-style: 19% included in lines and shipping; the promotion is a gross line.
    tee = line("TEE-M", 2, price="11.90", tax="3.80")  # 23.80 gross, 3.80 tax
    promo = line("", price="-2.38", tax="-0.38", kind="promotion")
    gross = Order(
        channel="shopware",
        order_id="a1",
        number="10001",
        created_ts=0.0,
        email="a@example.com",
        currency="EUR",
        lines=(tee, promo),
        discount_total=D("2.38"),
        tax_total=D("3.42") + D("0.80"),  # lines 3.42, shipping 0.80
        shipping=D("5.00"),
        total=D("23.80") - D("2.38") + D("5.00"),
        taxes_included=True,
    )
    mapped = map_order(gross, MappingRules(), CATALOGUE)
    assert [ln.amount for ln in mapped.lines] == [D("20.00"), D("-2.00")]
    assert (mapped.shipping, mapped.discount_total) == (D("4.20"), D("0"))
    assert sum(ln.amount for ln in mapped.lines) + mapped.tax_total + mapped.shipping == gross.total


def test_an_order_whose_figures_do_not_add_up_is_held() -> None:
    broken = order(line("MUG"))
    broken = Order(**{**broken.__dict__, "total": broken.total + D("0.01")})
    with pytest.raises(MappingError) as info:
        map_order(broken, MappingRules(), CATALOGUE)
    assert info.value.code == "TOTAL_MISMATCH"
