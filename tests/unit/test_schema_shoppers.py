"""``shoppers:``: the mix reaches the Locust process's plan, and its absence changes nothing."""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from typing import Any

import pytest

from loadtests.baskets import LoadConfig, PlannedRequest, RequestKind
from scenarios.catalogue import products
from scenarios.loader import load
from scenarios.run_config import Started, load_config
from scenarios.schema import Scenario

PINNED_PLANS = {
    "flash-sale": (3286, "5d13f349a4247e463f5405cacfc71c626e41bfe96a24872f696d4d067724d912"),
    "multi-channel-smoke": (
        531,
        "b4981b76469606a661fec17ec15f71ffa175ff18cc4366886abbc28e2320cdc1",
    ),
}
"""Request count and digest of the library plans as drawn before ``shoppers:`` existed."""


def started(sc: Scenario) -> Started:
    urls = {name: f"http://{name}.test" for name in sc.mocks}
    return Started(urls=urls, credentials={}, back_office_location="1", channel_locations={})


def plan(sc: Scenario) -> list[PlannedRequest]:
    raw = load_config(sc, started(sc), products=products(sc), report_path="r.json")
    return LoadConfig.from_mapping(json.loads(json.dumps(raw))).plan()


def digest(requests: list[PlannedRequest]) -> str:
    rows = [[r.sim_t, r.kind.value, r.body, r.channel] for r in requests]
    return hashlib.sha256(json.dumps(rows, sort_keys=True).encode()).hexdigest()


@pytest.mark.parametrize("name", sorted(PINNED_PLANS))
def test_library_plans_are_request_for_request_what_they_were(name: str) -> None:
    requests = plan(load(name))
    assert (len(requests), digest(requests)) == PINNED_PLANS[name]


def checkouts(mix: dict[str, Any], **extra: Any) -> list[dict[str, Any]]:
    sc = Scenario.model_validate(
        {"name": "x", "seed": 7, "arrival_curve": [[0, 20], [200, 20]], "shoppers": mix, **extra}
    )
    return [r.body for r in plan(sc) if r.kind is RequestKind.CHECKOUT]


def test_an_empty_mix_is_the_default_plan() -> None:
    assert checkouts({}) == checkouts({}, basket={"discount_share": 0.3})


def test_guest_share_gives_fresh_guest_emails_and_repeat_customers() -> None:
    bodies = checkouts({"guest_share": 0.6})
    emails = [b["email"] for b in bodies]
    guests = [e for e in emails if e.startswith("guest-")]
    assert 0.55 < len(guests) / len(emails) < 0.65
    assert len(set(guests)) == len(guests)  # a guest never comes back
    returning = Counter(e for e in emails if e.startswith("customer"))
    # about 1600 returning checkouts from a pool of about 800: most come back
    assert sum(n for n in returning.values() if n > 1) > 0.6 * sum(returning.values())


def test_the_returning_pool_size_can_be_given() -> None:
    bodies = checkouts({"guest_share": 0.2, "returning_customers": 12})
    assert len({b["email"] for b in bodies if b["email"].startswith("customer")}) == 12


def test_basket_sizes_set_the_line_count_distribution() -> None:
    bodies = checkouts({"basket_sizes": {1: 0.6, 2: 0.3, 4: 0.1}})
    sizes = Counter(len(b["lines"]) for b in bodies)
    assert set(sizes) == {1, 2, 4}
    total = sum(sizes.values())
    assert abs(sizes[1] / total - 0.6) < 0.04 and abs(sizes[4] / total - 0.1) < 0.03


def test_promo_share_and_zipf_s_are_the_basket_and_catalogue_settings() -> None:
    assert checkouts({"promo_share": 0.9, "zipf_s": 2.0}) == checkouts(
        {}, basket={"discount_share": 0.9}, catalogue={"zipf_s": 2.0}
    )
    promo = checkouts({"promo_share": 1.0})
    assert all(b["discount_code"] == "FLASH10" for b in promo)
    hot = Counter(line["sku"] for b in checkouts({"zipf_s": 3.0}) for line in b["lines"])
    assert hot.most_common(1)[0][0] == "SKU-0001"
