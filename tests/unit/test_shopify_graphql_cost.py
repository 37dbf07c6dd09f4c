"""Shopify GraphQL calculated query cost: the pricing rules, the cost bucket, THROTTLED and refunds.

In-process (httpx.ASGITransport) on a virtual clock: bucket arithmetic is exact and nothing sleeps.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mocks.common.costbucket import CostBucket, display_available
from mocks.shopify.api import create_app
from mocks.shopify.graphql import GraphQLSettings
from mocks.shopify.graphql.cost import QueryRejected, operation_cost
from mocks.shopify.graphql.executor import GraphQLRequest, prepare
from simclock import VirtualClock

TOKEN = "shpat_test"
AUTH = {"X-Shopify-Access-Token": TOKEN}
GQL = "/admin/api/2026-01/graphql.json"
SEED = {
    "locations": [{"name": "Warehouse"}],
    "products": [
        {"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 100}},
        {"sku": "SKU-2", "title": "Cap", "price": "7.35", "inventory": {"Warehouse": 50}},
    ],
}

Scenario = Callable[[httpx.AsyncClient, VirtualClock], Awaitable[None]]


def run(scenario: Scenario, *, graphql: dict[str, Any] | None = None) -> None:
    """Seeded Shopify app with the GraphQL router mounted, on a virtual clock."""
    clock = VirtualClock()
    app: FastAPI = create_app(
        settings={"graphql": graphql or {}},
        clock=clock,
        credentials={"access_token": TOKEN},
        seed=1,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, clock)

    asyncio.run(main())


async def gql(client: httpx.AsyncClient, query: str, **variables: Any) -> dict[str, Any]:
    r = await client.post(GQL, json={"query": query, "variables": variables}, headers=AUTH)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def shops(n: int) -> str:
    """A query of exactly ``n`` points, requested *and* actual (so nothing is refunded).

    ``products(first: 2) { nodes { id } }`` is 2 + 2 x 1 = 4 points and, with the two seeded
    products, returns two nodes (actual 4 too); ``shop { id }`` is 1. Aliases repeat them.
    """
    fours = [f"p{i}: products(first: 2) {{ nodes {{ id }} }}" for i in range(n // 4)]
    ones = [f"s{i}: shop {{ id }}" for i in range(n % 4)]
    return "{ " + " ".join(fours + ones) + " }"


def requested(query: str, variables: dict[str, Any] | None = None) -> int:
    _, operation, ctx = prepare(
        GraphQLRequest(query=query, variables=variables or {}, operation_name=None),
        GraphQLSettings(),
    )
    return operation_cost(ctx, operation, actual=False)


# -- pricing rules ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "cost"),
    [
        # Objects cost 1, scalars 0.
        ("{ shop { id name myshopifyDomain } }", 1),
        # Connection: 2 + first x (node 1 + its selection); pageInfo/cursor are in the 2.
        (
            "{ products(first: 10) { edges { cursor node { id title } } "
            "pageInfo { hasNextPage } } }",
            12,
        ),
        # Nested connections multiply: 2 + 10 x (1 + (2 + 5 x (1 + inventoryItem 1))).
        (
            "{ products(first: 10) { nodes { variants(first: 5) "
            "{ nodes { inventoryItem { id } } } } } }",
            132,
        ),
        # Money bags are objects (2 each); a plain list of objects is priced like one object:
        # lineItem = 1 + taxLines(1 + priceSet 2) = 4; lineItems = 2 + 4 x 4 = 18;
        # order = 1 + totalPriceSet 2 + 18 = 21; orders = 2 + 3 x 21 = 65.
        (
            "{ orders(first: 3) { nodes { totalPriceSet { shopMoney { amount } } "
            "lineItems(first: 4) { nodes { taxLines { priceSet { shopMoney { amount } } } } } "
            "} } }",
            65,
        ),
        ("{ orders(last: 4) { nodes { id } } }", 6),
        # edges{node} and nodes select the same objects: priced once, at the dearer selection.
        (
            "{ orders(first: 5) { edges { node { id } } "
            "nodes { totalPriceSet { shopMoney { amount } } } } }",
            17,
        ),
        # Two root fields add up.
        ("{ shop { id } ordersCount { count } }", 2),
        ('mutation { inventorySetQuantities(input: {name: "available", reason: "correction", '
         "quantities: []}) { userErrors { field message } inventoryAdjustmentGroup "
         "{ changes { item { id } location { id } } } } }", 10),
    ],
)  # fmt: skip
def test_requested_cost_follows_shopifys_rules(query: str, cost: int) -> None:
    assert requested(query) == cost


def test_variables_fragments_and_skip_are_priced_as_executed() -> None:
    query = """
        query Q($n: Int!, $hide: Boolean!) { ...F  shop @skip(if: $hide) { id } }
        fragment F on Query { orders(first: $n) { nodes { id } } }
    """
    assert requested(query, {"n": 7, "hide": True}) == 9
    assert requested(query, {"n": 7, "hide": False}) == 10


def test_connection_without_first_or_last_is_rejected_before_pricing() -> None:
    with pytest.raises(QueryRejected, match="first or last"):
        requested("{ orders { nodes { id } } }")
    with pytest.raises(QueryRejected, match="between 0 and 250"):
        requested("{ orders(first: 251) { nodes { id } } }")


# -- the bucket itself ------------------------------------------------------------------------


def test_cost_bucket_reserves_refunds_and_restores_exactly() -> None:
    clock = VirtualClock()
    bucket = CostBucket(clock=clock, maximum_available=2000, restore_rate=100)
    assert bucket.reserve(1500).allowed
    refused = bucket.reserve(600)
    assert not refused.allowed
    assert refused.currently_available == 500.0  # a refused request takes nothing
    assert refused.retry_after == 1.0  # (600 - 500) / 100
    assert bucket.refund(250) == 750.0
    clock.advance(2.5)
    assert bucket.available() == 1000.0
    clock.advance(60)
    assert bucket.available() == 2000.0  # never above maximumAvailable
    assert bucket.throttle_status() == {
        "maximumAvailable": 2000.0,
        "currentlyAvailable": 2000,
        "restoreRate": 100.0,
    }


def test_displayed_availability_rounds_down_but_ignores_float_noise() -> None:
    assert display_available(99.99) == 99
    assert display_available(99.99999) == 100
    assert display_available(-0.5) == 0


# -- over HTTP --------------------------------------------------------------------------------


def test_bucket_runs_dry_throttles_then_restores_at_the_restore_rate() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock) -> None:
        for expected in (1400, 800, 200):
            body = await gql(client, shops(600))
            cost = body["extensions"]["cost"]
            assert (cost["requestedQueryCost"], cost["actualQueryCost"]) == (600, 600)
            assert cost["throttleStatus"]["currentlyAvailable"] == expected
        throttled = await gql(client, shops(600))
        assert "data" not in throttled
        assert throttled["errors"] == [
            {
                "message": "Throttled",
                "extensions": {
                    "code": "THROTTLED",
                    "documentation": "https://shopify.dev/api/usage/rate-limits",
                },
            }
        ]
        assert throttled["extensions"]["cost"] == {
            "requestedQueryCost": 600,
            "actualQueryCost": None,
            "throttleStatus": {
                "maximumAvailable": 2000.0,
                "currentlyAvailable": 200,
                "restoreRate": 100.0,
            },
        }
        clock.advance(3.0)  # 200 + 300 = 500: still short of 600, and still nothing taken
        again = await gql(client, shops(600))
        assert again["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 500
        assert again["errors"][0]["extensions"]["code"] == "THROTTLED"
        clock.advance(1.0)  # 600: exactly enough
        passed = await gql(client, shops(600))
        assert "errors" not in passed
        assert passed["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 0

    run(scenario)


def test_refund_of_requested_minus_actual_shows_in_throttle_status() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock) -> None:
        for _ in range(3):
            r = await client.post(
                "/_sim/checkout", json={"lines": [{"sku": "SKU-1", "quantity": 1}]}
            )
            assert r.status_code == 201
        body = await gql(
            client, "{ orders(first: 50) { nodes { id lineItems(first: 5) { nodes { sku } } } } }"
        )
        cost = body["extensions"]["cost"]
        # requested 2 + 50 x (1 + (2 + 5)) = 402; actual 2 + 3 x (1 + (2 + 1)) = 14.
        assert cost["requestedQueryCost"] == 402
        assert cost["actualQueryCost"] == 14
        assert cost["throttleStatus"]["currentlyAvailable"] == 2000 - 14

    run(scenario)


def test_single_query_over_1000_points_is_max_cost_exceeded_and_costs_nothing() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock) -> None:
        ok = await gql(client, shops(1000))  # exactly the limit is allowed
        assert ok["extensions"]["cost"]["actualQueryCost"] == 1000
        clock.advance(10.0)  # back to full
        body = await gql(
            client, "{ orders(first: 250) { nodes { lineItems(first: 10) { nodes { id } } } } }"
        )
        assert body.get("data") is None
        [error] = body["errors"]
        # 2 + 250 x (1 + 2 + 10) = 3252
        assert error["extensions"] == {"code": "MAX_COST_EXCEEDED", "cost": 3252, "maxCost": 1000}
        assert error["message"].startswith("Query cost is 3252, which exceeds the single query")
        assert body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 2000
        over = await gql(client, shops(1001))
        assert over["errors"][0]["extensions"]["code"] == "MAX_COST_EXCEEDED"

    run(scenario)


def test_bucket_size_and_restore_rate_are_settings() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock) -> None:
        body = await gql(client, shops(30))
        assert body["extensions"]["cost"]["throttleStatus"] == {
            "maximumAvailable": 50.0,
            "currentlyAvailable": 20,
            "restoreRate": 5.0,
        }
        assert (await gql(client, shops(30)))["errors"][0]["extensions"]["code"] == "THROTTLED"
        clock.advance(2.0)
        assert "errors" not in await gql(client, shops(30))

    run(scenario, graphql={"bucket_size": 50, "restore_rate": 5})


def test_buckets_are_per_access_token_and_per_app() -> None:
    clock = VirtualClock()
    apps = []
    for _ in range(2):
        app = create_app(clock=clock, credentials={"access_token": TOKEN})
        apps.append(app)

    async def main() -> None:
        levels = []
        for app in apps:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
                assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
                body = await gql(client, shops(700 if app is apps[0] else 100))
                levels.append(body["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"])
        assert levels == [1300, 1900]

    asyncio.run(main())


def test_input_arrays_over_250_are_refused_before_anything_runs() -> None:
    mutation = """mutation M($q: [InventoryQuantityInput!]!) {
        inventorySetQuantities(input: {name: "available", reason: "correction",
                                       ignoreCompareQuantity: true, quantities: $q}) {
          userErrors { code } } }"""
    item = {
        "inventoryItemId": "gid://shopify/InventoryItem/1",
        "locationId": "gid://shopify/Location/1",
        "quantity": 1,
    }

    async def scenario(client: httpx.AsyncClient, clock: VirtualClock) -> None:
        body = await gql(client, mutation, q=[item] * 251)
        [error] = body["errors"]
        assert error["extensions"]["code"] == "MAX_INPUT_SIZE_EXCEEDED"
        assert "251" in error["message"] and "250" in error["message"]
        assert "data" not in body and "extensions" not in body
        ok = await gql(client, mutation, q=[item] * 250)  # at the limit: runs (and fails per item)
        assert (
            ok["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
            == "INVALID_INVENTORY_ITEM"
        )
        assert ok["extensions"]["cost"]["throttleStatus"]["currentlyAvailable"] == 1990

    run(scenario)
