"""The fault plan as a model: windows, seeded draws, distributions, scope, validation, log.

Pure Python on a VirtualClock: no HTTP (``test_fault_plan_http.py`` covers the middleware).
"""

from __future__ import annotations

import tracemalloc
from typing import Any

import pytest

from mocks.common.fault_plan import FaultPlan
from mocks.common.fault_rules import FaultPlanError, LatencyRule, parse_rules
from simclock import VirtualClock

API = "/admin/api/2026-01/orders.json"


def plan_of(*rules: dict[str, Any], seed: int = 1, **kwargs: Any) -> tuple[FaultPlan, VirtualClock]:
    clock = VirtualClock()
    plan = FaultPlan(clock=clock, seed=seed, **kwargs)
    plan.replace(parse_rules(list(rules)))
    return plan, clock


def status_now(plan: FaultPlan, clock: VirtualClock, path: str = API, method: str = "GET") -> Any:
    injection = plan.decide(clock.now(), method, path)
    return None if injection is None else (injection.status or injection.kind)


# -- windows -----------------------------------------------------------------------------------


def test_a_window_opens_at_start_and_closes_at_end_on_the_simulated_clock() -> None:
    plan, clock = plan_of({"kind": "error", "statuses": [503], "start": 10, "end": 20})
    assert status_now(plan, clock) is None and plan.active(clock.now()) == []
    clock.advance(9.999)
    assert status_now(plan, clock) is None
    clock.advance(0.001)
    assert status_now(plan, clock) == 503 and plan.active(clock.now()) == [0]
    clock.advance(9.999)
    assert status_now(plan, clock) == 503
    clock.advance(0.001)  # end is exclusive
    assert status_now(plan, clock) is None and plan.active(clock.now()) == []


def test_open_ended_rules_last_until_the_plan_changes() -> None:
    plan, clock = plan_of({"kind": "error", "statuses": [500], "start": 5})
    clock.advance(86_400)
    assert status_now(plan, clock) == 500
    plan.clear()
    assert status_now(plan, clock) is None


def test_put_counts_windows_from_installation_and_post_from_its_own_arrival() -> None:
    plan, clock = plan_of({"kind": "error", "statuses": [500], "start": 10, "end": 20})
    clock.advance(15)
    plan.append(parse_rules([{"kind": "error", "statuses": [502], "start": 10, "end": 20}]))
    assert status_now(plan, clock) == 500  # rule 0 open; rule 1 opens at 15 + 10
    clock.advance(10)
    assert status_now(plan, clock) == 502 and plan.active(clock.now()) == [1]
    plan.replace(parse_rules([{"kind": "error", "statuses": [504], "start": 1}]))
    assert plan.installed_at == clock.now()
    assert status_now(plan, clock) is None
    clock.advance(1)
    assert status_now(plan, clock) == 504


def test_latency_rules_add_up_and_the_first_firing_action_answers() -> None:
    plan, clock = plan_of(
        {"kind": "latency", "seconds": 1.5},
        {"kind": "error", "statuses": [503]},
        {"kind": "latency", "seconds": 2},
        {"kind": "error", "statuses": [500]},
    )
    injection = plan.decide(clock.now(), "GET", API)
    assert injection is not None
    assert (injection.delay, injection.status) == (3.5, 503)
    assert [r.rule for r in plan.log()] == [0, 1, 2]  # rule 3 drew but did not answer


# -- seeded draws ------------------------------------------------------------------------------


def outcomes(seed: int, *extra: dict[str, Any]) -> list[Any]:
    plan, clock = plan_of(
        {"kind": "error", "statuses": [503], "probability": 0.5}, *extra, seed=seed
    )
    seen = []
    for _ in range(60):
        injection = plan.decide(clock.now(), "GET", API)
        seen.append(None if injection is None else injection.status)
        clock.advance(1)
    return seen


def test_probability_draws_repeat_per_seed_and_differ_across_seeds() -> None:
    first = outcomes(7)
    assert set(first) == {None, 503}
    assert first == outcomes(7)
    assert first != outcomes(8)


def test_adding_a_rule_after_another_does_not_shift_its_draws() -> None:
    later = {"kind": "latency", "seconds": 1, "probability": 0.5}
    assert outcomes(7) == outcomes(7, later)


def test_weighted_statuses_follow_their_weights() -> None:
    plan, clock = plan_of({"kind": "error", "statuses": [503, 429], "weights": [1, 3]}, seed=3)
    seen = [status_now(plan, clock) for _ in range(2000)]
    assert 0.20 < seen.count(503) / len(seen) < 0.30
    assert set(seen) == {503, 429}


# -- latency distributions ---------------------------------------------------------------------


def latency(**params: Any) -> LatencyRule:
    rule = parse_rules([{"kind": "latency", **params}])[0]
    assert isinstance(rule, LatencyRule)
    return rule


def test_latency_distributions_draw_from_one_uniform_number() -> None:
    assert latency(seconds=2.5).sample(0.9, 0) == 2.5
    uniform = latency(distribution="uniform", low=1, high=3)
    assert (uniform.sample(0.0, 0), uniform.sample(0.5, 0)) == (1.0, 2.0)
    assert uniform.sample(0.999, 0) == pytest.approx(2.998)
    lognormal = latency(distribution="lognormal", median=0.8, sigma=0.5, max=5)
    assert lognormal.sample(0.5, 0) == pytest.approx(0.8)  # the median is the median
    assert lognormal.sample(0.9, 0) > 1.2 and lognormal.sample(0.1, 0) < 0.6
    assert lognormal.sample(1.0, 0) == 5.0 and lognormal.sample(0.0, 0) > 0
    load = latency(distribution="load", base=0.2, per_in_flight=0.1, max=1)
    assert [load.sample(0.3, n) for n in (0, 3, 50)] == [0.2, pytest.approx(0.5), 1.0]


def test_load_latency_reads_the_requests_in_flight() -> None:
    plan, clock = plan_of(
        {"kind": "latency", "distribution": "load", "base": 1, "per_in_flight": 2}
    )
    delays = []
    for in_flight in (1, 2, 5):
        plan.in_flight = in_flight  # the middleware counts this request too
        injection = plan.decide(clock.now(), "GET", API)
        assert injection is not None
        delays.append(injection.delay)
    assert delays == [1, 3, 9]


# -- scope ---------------------------------------------------------------------------------------


def test_default_scope_is_the_api_not_the_storefront_except_for_an_outage() -> None:
    plan, clock = plan_of({"kind": "admin_down"}, api_prefixes=("/admin/",))
    assert status_now(plan, clock) == 503
    assert status_now(plan, clock, "/_sim/checkout", "POST") is None
    assert status_now(plan, clock, "/docs") is None  # not under the platform's API prefixes
    plan.replace(parse_rules([{"kind": "outage", "status": 502}]))
    assert status_now(plan, clock, "/_sim/checkout", "POST") == 502
    assert status_now(plan, clock) == 502


def test_without_api_prefixes_everything_but_storefront_and_docs_is_api() -> None:
    plan, clock = plan_of({"kind": "error", "statuses": [500]})
    assert status_now(plan, clock, "/services/rest/record/v1/salesOrder", "POST") == 500
    assert status_now(plan, clock, "/openapi.json") is None
    assert status_now(plan, clock, "/_sim/checkout", "POST") is None


def test_routes_are_prefixes_or_regexes_and_the_storefront_only_when_named() -> None:
    plan, clock = plan_of(
        {"kind": "error", "statuses": [500], "routes": [r"^/admin/api/[^/]+/orders", "/x/"]},
        {"kind": "error", "statuses": [502], "routes": ["/_sim/checkout"], "methods": ["post"]},
    )
    assert status_now(plan, clock) == 500
    assert status_now(plan, clock, "/admin/api/2026-01/products.json") is None
    assert status_now(plan, clock, "/x/y") == 500
    assert status_now(plan, clock, "/_sim/checkout", "POST") == 502
    assert status_now(plan, clock, "/_sim/checkout", "GET") is None
    plan.replace(parse_rules([{"kind": "error", "statuses": [500], "routes": ["^/"]}]))
    assert status_now(plan, clock, "/_sim/checkout", "POST") is None  # not named: not matched


# -- revocation and webhooks -------------------------------------------------------------------


def test_revoke_token_calls_the_platform_once_at_start() -> None:
    calls: list[float] = []
    clock = VirtualClock()
    plan = FaultPlan(clock=clock, seed=1, revoker=lambda: lambda: calls.append(clock.now()))
    plan.replace(parse_rules([{"kind": "revoke_token", "start": 30}]))
    plan.tick(clock.now())
    clock.advance(45)  # nobody asked at 30 exactly: the first look after it revokes
    assert plan.decide(clock.now(), "GET", API) is None  # the platform's own 401 will answer
    for _ in range(3):
        plan.tick(clock.now())
        clock.advance(10)
    assert calls == [clock.now() - 30] and plan.counts()["revoke_token"] == 1


def test_revoke_token_without_platform_support_answers_401_for_its_window() -> None:
    plan, clock = plan_of({"kind": "revoke_token", "start": 10, "end": 20})
    clock.advance(10)
    injection = plan.decide(clock.now(), "GET", API)
    assert injection is not None and (injection.status, injection.detail) == (401, "Unauthorized")
    clock.advance(10)
    assert status_now(plan, clock) is None


def test_webhook_rates_apply_only_inside_the_window_and_merge_in_order() -> None:
    plan, clock = plan_of(
        {"kind": "webhook", "drop_rate": 0.5, "delay_rate": 0.1, "start": 10, "end": 30},
        {"kind": "webhook", "drop_rate": 1.0, "start": 20, "end": 30},
    )
    assert plan.webhook_rates() is None
    clock.advance(10)
    rates = plan.webhook_rates()
    assert rates is not None and (rates.drop_rate, rates.delay_rate) == (0.5, 0.1)
    assert rates.duplicate_rate is None  # the outbox keeps its own
    clock.advance(10)
    rates = plan.webhook_rates()
    assert rates is not None and (rates.drop_rate, rates.delay_rate) == (1.0, 0.1)
    clock.advance(10)
    assert plan.webhook_rates() is None
    assert status_now(plan, clock) is None  # webhook rules never touch requests
    assert plan.counts()["webhook"] == 2


# -- history and cost --------------------------------------------------------------------------


def test_log_is_bounded_and_counts_survive_clear_but_not_reset() -> None:
    plan, clock = plan_of({"kind": "error", "statuses": [500]}, log_size=3)
    for _ in range(5):
        clock.advance(1)
        plan.decide(clock.now(), "POST", API)
    assert [r.at for r in plan.log()] == [clock.now() - 2, clock.now() - 1, clock.now()]
    assert plan.log()[0].as_dict()["method"] == "POST"
    plan.clear()
    assert plan.counts()["error"] == 5 and plan.rules == ()
    plan.reset()
    assert plan.counts()["error"] == 0 and plan.log() == []


def peak_bytes_of_one_decision(plan: FaultPlan, now: float) -> int:
    plan.decide(now, "GET", API)  # warm: the first look computes the window
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        plan.decide(now, "GET", API)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak - base


def test_an_idle_plan_decides_without_allocating() -> None:
    idle, clock = plan_of({"kind": "error", "statuses": [500], "start": 3600})
    assert peak_bytes_of_one_decision(idle, clock.now()) == 0
    empty, clock = plan_of()
    assert peak_bytes_of_one_decision(empty, clock.now()) == 0
    busy, clock = plan_of({"kind": "error", "statuses": [500]})
    assert peak_bytes_of_one_decision(busy, clock.now()) > 0  # the measure does see a decision


# -- validation ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rules", "expected"),
    [
        ([{"kind": "flood"}], "rules[0].kind: Input tag 'flood'"),
        ([{"statuses": [500]}], "rules[0].kind: Unable to extract tag"),
        ([{"kind": "latency"}], "rules[0].seconds: required by distribution 'fixed'"),
        (
            [
                {"kind": "reset"},
                {"kind": "latency", "distribution": "uniform", "low": 2, "high": 1},
            ],
            "rules[1].high: must be >= low (2)",
        ),
        ([{"kind": "latency", "seconds": 1, "median": 2}], "rules[0].median: not used by"),
        ([{"kind": "error", "statuses": [200]}], "rules[0].statuses[0]: Input should be greater"),
        ([{"kind": "error", "statuses": [500, 503], "weights": [1]}], "rules[0].weights: needs"),
        ([{"kind": "reset", "start": 10, "end": 5}], "rules[0].end: must be after start (10)"),
        ([{"kind": "reset", "routes": ["/_mock/stats"]}], "rules[0].routes[0]: '/_mock/stats'"),
        ([{"kind": "reset", "routes": ["admin"]}], "must be a path prefix (/...) or a regex"),
        ([{"kind": "reset", "routes": ["^(admin"]}], "is not a valid regular expression"),
        ([{"kind": "reset", "methods": ["FETCH"]}], "rules[0].methods: unknown method(s) FETCH"),
        ([{"kind": "reset", "probability": 1.5}], "rules[0].probability: Input should be less"),
        ([{"kind": "hang", "seconds": "5"}], "rules[0].seconds: Input should be a valid number"),
        ([{"kind": "webhook"}], "rules[0].drop_rate: give at least one of"),
        ([{"kind": "webhook", "drop_rate": 1, "routes": ["/a"]}], "rules[0].routes: webhook"),
        ([{"kind": "revoke_token", "probability": 0.5}], "rules[0].probability: a revocation"),
        ([{"kind": "outage", "colour": "red"}], "rules[0].colour: Extra inputs are not permitted"),
        ([7], "rules[0]: Input should be a valid dictionary"),
        ({"kind": "reset"}, "rules: must be a list of rule objects, got dict"),
    ],
)
def test_invalid_rules_name_the_rule_the_field_and_the_reason(rules: Any, expected: str) -> None:
    with pytest.raises(FaultPlanError) as info:
        parse_rules(rules)
    assert expected in str(info.value)


def test_problems_are_structured_for_the_control_route() -> None:
    with pytest.raises(FaultPlanError) as info:
        parse_rules([{"kind": "reset"}, {"kind": "error", "statuses": [99]}])
    [problem] = info.value.problems
    assert problem.as_dict() == {
        "rule": 1,
        "field": "statuses[0]",
        "reason": "Input should be greater than or equal to 400",
    }
