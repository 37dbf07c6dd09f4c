"""Pure parts of the Fulfil mock: domains, Tryton JSON encoding, settings, the key ring."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from random import Random
from typing import Any

import pytest

from mocks.fulfil.constants import FulfilSettings
from mocks.fulfil.domain import matches, parse_domain, parse_order
from mocks.fulfil.errors import UserError
from mocks.fulfil.gate import KeyRing
from mocks.fulfil.notify import decode_secret, sign
from mocks.fulfil.wire import from_wire, money, parse_json, to_wire
from simclock import VirtualClock

RECORD: dict[str, list[Any]] = {
    "code": ["SKU-1"],
    "name": ["Red Tee"],
    "price": [Decimal("19.99")],
    "emails": ["a@x.io", "b@y.io"],
    "none": [None],
    "when": [datetime(2026, 11, 27, 10, 0)],
}


def hit(domain: Any) -> bool:
    tree = parse_domain(from_wire(domain), lambda field: None)
    return matches(tree, lambda path: RECORD[path])


@pytest.mark.parametrize(
    ("domain", "expected"),
    [
        ([], True),
        ([["code", "=", "SKU-1"]], True),
        ([["code", "!=", "SKU-1"]], False),
        ([["price", ">", "19.98"]], True),
        ([["price", "<=", {"__class__": "Decimal", "decimal": "19.98"}]], False),
        ([["name", "like", "Red%"]], True),
        ([["name", "like", "red%"]], False),
        ([["name", "ilike", "red_tee"]], True),
        ([["name", "not ilike", "%TEE"]], False),
        ([["code", "in", ["A", "SKU-1"]]], True),
        ([["code", "not in", ["SKU-1"]]], False),
        ([["emails", "=", "b@y.io"]], True),  # one-to-many: any value matches
        ([["emails", "!=", "b@y.io"]], False),  # ... and negatives hold for all
        ([["none", "=", None]], True),
        ([["none", ">", 1]], False),  # NULL compares to nothing
        ([["when", ">=", date(2026, 11, 27)]], True),
        (["OR", ["code", "=", "X"], ["name", "ilike", "%tee"]], True),
        (["AND", ["code", "=", "SKU-1"], ["OR", ["price", "<", 1], ["name", "=", "Nope"]]], False),
        ([["code", "=", "SKU-1"], ["price", "<", 20]], True),
    ],
)
def test_domain_operators_and_nesting(domain: Any, expected: bool) -> None:
    assert hit(domain) is expected


@pytest.mark.parametrize(
    "domain",
    [
        "code = 1",
        [["code", "~", 1]],
        [["code", "in", "A"]],
        [["name", "like", 3]],
        ["AND", "OR", ["code", "=", 1]],
        [5],
    ],
)
def test_malformed_domains_are_user_errors(domain: Any) -> None:
    with pytest.raises(UserError):
        parse_domain(domain, lambda field: None)


def test_incomparable_values_are_user_errors_not_type_errors() -> None:
    with pytest.raises(UserError, match="cannot compare"):
        hit([["when", ">", "yesterday"]])


def test_unknown_field_is_reported_by_the_checker() -> None:
    def check(field: str) -> None:
        raise UserError(f"no field {field}")

    with pytest.raises(UserError, match="no field code"):
        parse_domain([["OR", ["code", "=", 1]]], check)


def test_order_accepts_pairs_and_strings() -> None:
    assert parse_order([["a", "DESC"], ["b", "asc"]], lambda f: None) == [("a", True), ("b", False)]
    assert parse_order("a desc, b", lambda f: None) == [("a", True), ("b", False)]
    with pytest.raises(UserError):
        parse_order([["a", "sideways"]], lambda f: None)


def test_tryton_encoding_round_trips_decimal_date_datetime() -> None:
    value = {
        "amount": Decimal("19.990"),
        "day": date(2026, 11, 27),
        "at": datetime(2026, 11, 27, 9, 30, 1, 5),
        "nested": [Decimal("1")],
    }
    wire = to_wire(value)
    assert wire["amount"] == {"__class__": "Decimal", "decimal": "19.990"}
    assert wire["day"]["iso_string"] == "2026-11-27"
    assert from_wire(wire) == value


def test_money_accepts_tagged_strings_and_ints_but_not_floats() -> None:
    assert money(parse_json(b'{"__class__": "Decimal", "decimal": "0.10"}'), "fee") == Decimal(
        "0.10"
    )
    assert money("2.50", "fee") == Decimal("2.50")
    assert money(3, "fee") == Decimal(3)
    for bad in (parse_json(b"0.1"), True, "abc", None, "NaN"):
        with pytest.raises(UserError, match="fee"):
            money(bad, "fee")


def test_bad_json_and_bad_tags_are_user_errors() -> None:
    with pytest.raises(UserError, match="not valid JSON"):
        parse_json(b"[1,")
    with pytest.raises(UserError, match="Unsupported __class__"):
        parse_json(b'{"__class__": "bytes", "base64": ""}')
    with pytest.raises(UserError, match="date"):
        parse_json(b'{"__class__": "date", "year": 2026, "month": 13, "day": 1}')


def test_settings_reject_unknown_keys_and_bad_values() -> None:
    assert FulfilSettings.from_overrides({}).requests_per_minute == 1000
    assert FulfilSettings.from_overrides({"per_page_max": 100}).per_page_max == 100
    with pytest.raises(ValueError, match="requests_per_minut"):
        FulfilSettings.from_overrides({"requests_per_minut": 5})
    with pytest.raises(ValueError, match="allow_negative_stock"):
        FulfilSettings.from_overrides({"allow_negative_stock": "yes"})
    with pytest.raises(ValueError, match="per_page_default"):
        FulfilSettings.from_overrides({"per_page_default": 600})
    with pytest.raises(ValueError, match="unknown webhook event"):
        FulfilSettings.from_overrides({"webhooks": [{"event": "order.made", "url": "http://x"}]})


def test_key_ring_sliding_window_and_revocation() -> None:
    clock = VirtualClock(1000.0)
    ring = KeyRing(configured="k", clock=clock, rng=Random(1), limit=3, window=60.0)
    assert ring.authenticate("k") == "k" and ring.authenticate("x") is None
    assert [ring.admit("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    clock.advance(20)
    assert ring.admit("k") == pytest.approx(40.0)  # the first request leaves at t=1060
    clock.advance(40)
    assert ring.admit("k") == 0.0
    ring.revoke_all()
    assert ring.authenticate("k") is None
    fresh = ring.issue()
    assert fresh != "k" and ring.authenticate(fresh) == fresh
    ring.reset()
    assert ring.authenticate("k") == "k" and ring.authenticate(fresh) is None


def test_signature_uses_the_base64_decoded_secret() -> None:
    key = decode_secret("ZnVsZmlsX3NlY3JldA==")
    assert key == b"fulfil_secret"
    assert sign(key, b"{}") == "Bm++QzTaloSmDNXOyUb/oqjfuKl4DM5HezxgF3ZtWrU="
    assert decode_secret("not base64!") == b"not base64!"
