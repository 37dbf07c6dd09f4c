"""Shopware 6 mock, search criteria: parsing errors with pointers and evaluation semantics."""

from __future__ import annotations

from typing import Any

import pytest

from mocks.shopware.criteria import Criteria, CriteriaParser
from mocks.shopware.errors import CriteriaError
from mocks.shopware.search import search, values_at

DOCS: list[dict[str, Any]] = [
    {
        "id": "a",
        "orderNumber": "10000",
        "amountTotal": "19.99",
        "createdAt": "2025-11-24T10:00:00.000+00:00",
        "customerComment": None,
        "lineItems": [{"payload": {"productNumber": "TEE"}}, {"payload": {}}],
    },
    {
        "id": "b",
        "orderNumber": "10001",
        "amountTotal": "105.00",
        "createdAt": "2025-11-25T09:30:00.000+00:00",
        "customerComment": "Gift",
        "lineItems": [{"payload": {"productNumber": "CAP"}}],
    },
    {
        "id": "c",
        "orderNumber": "10002",
        "amountTotal": "7.35",
        "createdAt": "2025-11-26T00:00:00.000+00:00",
        "customerComment": "gift wrap",
        "lineItems": [],
    },
]
FIELDS = {"id", "orderNumber", "amountTotal", "createdAt", "customerComment", "lineItems"}


def parser() -> CriteriaParser:
    return CriteriaParser(entity="order", fields=FIELDS, default_limit=25, max_limit=100)


def ids(body: dict[str, Any]) -> list[str]:
    return [d["id"] for d in search(DOCS, parser().parse_body(body)).data]


def test_paths_fan_out_over_lists() -> None:
    assert values_at(DOCS[0], "lineItems.payload.productNumber") == ["TEE"]
    assert values_at(DOCS[2], "lineItems.payload.productNumber") == []


def test_to_many_filters_match_any_line_and_strings_ignore_case() -> None:
    tee = {"type": "equals", "field": "lineItems.payload.productNumber", "value": "tee"}
    assert ids({"filter": [tee]}) == ["a"]
    assert ids({"filter": [{"type": "equals", "field": "customerComment", "value": None}]}) == ["a"]
    gift = {"type": "contains", "field": "customerComment", "value": "GIFT"}
    assert ids({"filter": [gift]}) == ["b", "c"]
    either = {"type": "equalsAny", "field": "orderNumber", "value": "10000|10002"}
    assert ids({"filter": [either]}) == ["a", "c"]


def test_amounts_compare_as_numbers_and_dates_as_instants() -> None:
    over_20 = {"type": "range", "field": "amountTotal", "parameters": {"gt": 20}}
    assert ids({"filter": [over_20]}) == ["b"]
    since = {"type": "range", "field": "createdAt", "parameters": {"gte": "2025-11-25"}}
    assert ids({"filter": [since]}) == ["b", "c"]
    window = {
        "type": "range",
        "field": "order.createdAt",
        "parameters": {"gt": "2025-11-24T10:00:00+00:00", "lt": "2025-11-26T00:00:00Z"},
    }
    assert ids({"filter": [window]}) == ["b"]


def test_sort_puts_null_first_ascending_and_last_descending() -> None:
    asc = [{"field": "customerComment", "order": "ASC"}]
    desc = [{"field": "customerComment", "order": "DESC"}]
    assert ids({"sort": asc}) == ["a", "b", "c"]
    assert ids({"sort": desc}) == ["c", "b", "a"]
    assert ids({"sort": [{"field": "amountTotal", "order": "desc"}]}) == ["b", "a", "c"]


def test_ids_keep_their_order_without_a_sort() -> None:
    assert ids({"ids": ["c", "a"]}) == ["c", "a"]
    assert ids({"ids": ["c", "a"], "sort": [{"field": "orderNumber"}]}) == ["a", "c"]


def test_total_count_modes_and_aggregations() -> None:
    def total(mode: Any, **extra: Any) -> int:
        return search(DOCS, parser().parse_body({"total-count-mode": mode, **extra})).total

    assert (total(0, limit=1), total(1, limit=1), total(2, limit=1)) == (1, 3, 3)
    assert total("next-pages", limit=1, page=3) == 1
    criteria = parser().parse_body(
        {
            "aggregations": [
                {"name": "revenue", "type": "sum", "field": "amountTotal"},
                {"name": "top", "type": "max", "field": "amountTotal"},
                {"name": "skus", "type": "terms", "field": "lineItems.payload.productNumber"},
            ]
        }
    )
    aggs = search(DOCS, criteria).aggregations
    assert aggs["revenue"] == {"sum": "132.34"} and aggs["top"] == {"max": "105.00"}
    assert aggs["skus"]["buckets"] == [{"key": "CAP", "count": 1}, {"key": "TEE", "count": 1}]


@pytest.mark.parametrize(
    ("body", "code", "pointer"),
    [
        ({"page": 0}, "FRAMEWORK__INVALID_PAGE_QUERY", "/page"),
        ({"limit": "ten"}, "FRAMEWORK__INVALID_LIMIT_QUERY", "/limit"),
        (
            {"filter": [{"type": "like", "field": "id"}]},
            "FRAMEWORK__INVALID_FILTER_QUERY",
            "/filter/0/type",
        ),
        (
            {"filter": [{"type": "equals", "value": 1}]},
            "FRAMEWORK__INVALID_FILTER_QUERY",
            "/filter/0/field",
        ),
        (
            {
                "filter": [
                    {
                        "type": "multi",
                        "queries": [{"type": "range", "field": "id", "parameters": {}}],
                    }
                ]
            },
            "FRAMEWORK__INVALID_FILTER_QUERY",
            "/filter/0/queries/0/parameters",
        ),
        (
            {"sort": [{"field": "id", "order": "UP"}]},
            "FRAMEWORK__INVALID_SORT_QUERY",
            "/sort/0/order",
        ),
        ({"sort": [{"field": "price.gross"}]}, "FRAMEWORK__UNMAPPED_FIELD", "/sort/0/field"),
    ],
)
def test_bad_criteria_name_the_place(body: dict[str, Any], code: str, pointer: str) -> None:
    with pytest.raises(CriteriaError) as caught:
        parser().parse_body(body)
    error = caught.value.errors()[0]
    assert (error["code"], error["source"]["pointer"], error["status"]) == (code, pointer, "400")


def test_limit_is_clamped_and_query_strings_parse() -> None:
    assert parser().parse_body({"limit": 1000}).limit == 100
    criteria = parser().parse_query(
        {"limit": "2", "page": "2", "sort": "-amountTotal", "filter[orderNumber]": "10001"}
    )
    assert criteria == Criteria(
        page=2,
        limit=2,
        filters=criteria.filters,
        sort=criteria.sort,
        total_count_mode=0,
    )
    assert criteria.sort[0].descending and criteria.filters[0].value == "10001"
