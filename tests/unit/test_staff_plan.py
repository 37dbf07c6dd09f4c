"""Staff actions in the scenario (``scenarios.staff``) and the load plan (``loadtests.staff``):
validated against the channels, planned deterministically at their rates, merged by time."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from pydantic import ValidationError

from loadtests.baskets import LoadConfig, RequestKind
from loadtests.staff import StaffSpec, staff_arrivals
from scenarios.schema import Scenario

BASE: dict[str, Any] = {
    "name": "s",
    "duration": 600,
    "arrival_curve": [[0, 1], [600, 1]],
}


def spec(**over: Any) -> StaffSpec:
    raw: dict[str, Any] = {
        "rates_per_minute": {"edit-address": 6.0, "cancel": 3.0, "refund": 1.5},
        "refund_share": "0.5",
        "channels": ["a", "b"],
        "start": 60.0,
        "end": 3660.0,
    }
    return StaffSpec.from_mapping({**raw, **over})


def test_same_seed_same_actions_and_rates_are_honoured() -> None:
    arrivals = staff_arrivals(spec(), seed=11)
    assert arrivals == staff_arrivals(spec(), seed=11)
    assert [a.body for a in arrivals] == [a.body for a in staff_arrivals(spec(), seed=11)]
    assert arrivals != staff_arrivals(spec(), seed=12)
    counts = Counter(a.body["action"] for a in arrivals)
    # 60 simulated minutes: 360, 180, 90 expected; Poisson sd is sqrt(mean), allow 4 sd
    for action, expected in (("edit-address", 360), ("cancel", 180), ("refund", 90)):
        assert abs(counts[action] - expected) <= 4 * expected**0.5, (action, counts)
    assert all(60.0 <= a.sim_t < 3660.0 for a in arrivals)
    assert [a.sim_t for a in arrivals] == sorted(a.sim_t for a in arrivals)
    assert {a.channel for a in arrivals} == {"a", "b"}
    assert all(0 <= a.body["pick"] < 1 for a in arrivals)
    assert {a.body.get("refund_share") for a in arrivals if a.body["action"] == "refund"} == {"0.5"}
    assert {a.body.get("restock") for a in arrivals if a.body["action"] == "cancel"} == {False}
    restocking = staff_arrivals(spec(restock_on_cancel=True), seed=11)
    assert {a.body.get("restock") for a in restocking if a.body["action"] == "cancel"} == {True}


def test_one_action_rate_does_not_move_the_others() -> None:
    more = spec(rates_per_minute={"edit-address": 6.0, "cancel": 30.0, "refund": 1.5})
    edits = [a for a in staff_arrivals(spec(), seed=3) if a.body["action"] == "edit-address"]
    assert edits == [a for a in staff_arrivals(more, seed=3) if a.body["action"] == "edit-address"]


def test_no_rates_no_staff_and_bad_specs_name_the_key() -> None:
    assert staff_arrivals(StaffSpec.from_mapping(None), seed=1) == []
    assert staff_arrivals(spec(rates_per_minute={}), seed=1) == []
    for bad, key in (
        ({"rates_per_minute": {"delete": 1.0}}, "unknown action 'delete'"),
        ({"rates_per_minute": {"cancel": -1}}, "staff.rates_per_minute.cancel"),
        ({"refund_share": "2"}, "staff.refund_share"),
        ({"start": 10.0, "end": 5.0}, "start < end"),
        ({"when": 1}, "unknown key(s) when"),
    ):
        with pytest.raises(ValueError, match=key.replace("(", r"\(").replace(")", r"\)")):
            spec(**bad)


def load_raw(staff: dict[str, Any] | None) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "channels": [
            {"name": "a", "platform": "shopify", "url": "http://a", "share": 1.0},
            {"name": "b", "platform": "shopify", "url": "http://b", "share": 1.0},
        ],
        "erp_url": "http://erp",
        "time_scale": 10,
        "seed": 5,
        "duration": 300,
        "arrival_curve": [[0, 2], [300, 2]],
        "skus": ["S1", "S2", "S3"],
    }
    if staff is not None:
        raw["staff"] = staff
    return raw


def test_the_plan_merges_staff_by_time_and_leaves_checkouts_unchanged() -> None:
    staff = {"rates_per_minute": {"cancel": 12.0}, "channels": ["b"], "start": 0, "end": 300}
    without = LoadConfig.from_mapping(load_raw(None)).plan()
    with_staff = LoadConfig.from_mapping(load_raw(staff)).plan()
    staff_requests = [r for r in with_staff if r.kind is RequestKind.STAFF]
    assert 30 <= len(staff_requests) <= 90  # 60 expected
    assert all(r.channel == "b" and r.body["action"] == "cancel" for r in staff_requests)
    assert [r for r in with_staff if r.kind is not RequestKind.STAFF] == without
    assert [r.body for r in with_staff if r.kind is not RequestKind.STAFF] == [
        r.body for r in without
    ]
    assert [r.sim_t for r in with_staff] == sorted(r.sim_t for r in with_staff)


def scenario(staff: dict[str, Any], **extra: Any) -> Scenario:
    return Scenario.model_validate({**BASE, **extra, "staff": staff})


def test_scenario_staff_is_strict_and_checked_against_the_channels() -> None:
    sc = scenario({"cancellations_per_minute": 2, "refund_share": "0.25"})
    assert sc.staff.active
    assert sc.staff.load_config(duration=600, channels=("shopify",)) == {
        "rates_per_minute": {"edit-address": 0.0, "cancel": 2.0, "refund": 0.0},
        "refund_share": "0.25",
        "channels": ["shopify"],
        "start": 0.0,
        "end": 600,
        "restock_on_cancel": False,
    }
    assert not Scenario.model_validate(BASE).staff.active
    mixed = {
        "channels": [
            {"name": "web", "platform": "shopify"},
            {"name": "eu", "platform": "shopware"},
        ]
    }
    with pytest.raises(ValidationError, match="channel 'eu' is on shopware, which has no staff"):
        scenario({"refunds_per_minute": 1}, **mixed)
    assert scenario({"refunds_per_minute": 1, "channels": ["web"]}, **mixed).staff.active
    for bad, reason in (
        ({"refunds_per_minute": 1, "channels": ["nope"]}, "no channel named 'nope'"),
        ({"cancellations_per_minute": -1}, "greater than or equal to 0"),
        ({"refund_share": "1.5"}, "refund_share"),
        ({"refunds": 1}, "Extra inputs are not permitted"),
        ({"start": 100, "end": 50}, "must be after start"),
        ({"cancellations_per_minute": 1, "start": 600}, "must be before the duration"),
    ):
        with pytest.raises(ValidationError, match=reason):
            scenario(bad)
