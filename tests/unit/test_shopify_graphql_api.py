"""Shopify GraphQL Admin API over HTTP (in-process): auth, the REST bucket, orders paging,
filters and counts, order money."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.shopify.api import create_app
from mocks.shopify.graphql import graphql_router
from simclock import VirtualClock, iso_utc
from tests.unit.shopify_graphql_support import AUTH, INVALID_TOKEN, OLD, TOKEN, checkout, gql, run

# -- auth and the REST bucket ------------------------------------------------------------------


def test_missing_or_wrong_token_is_401_even_without_the_rest_gate() -> None:
    clock = VirtualClock()
    shop = create_app(clock=clock, credentials={"access_token": TOKEN})
    bare = FastAPI()  # the router alone, as if the gate skipped graphql.json entirely
    bare.state.model = shop.state.model
    bare.include_router(graphql_router())

    async def main() -> None:
        for app in (shop, bare):
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url="http://s") as client:
                for headers in ({}, {"X-Shopify-Access-Token": "wrong"}):
                    r = await client.post(
                        f"/admin/api/{OLD}/graphql.json",
                        json={"query": "{ shop { id } }"},
                        headers=headers,
                    )
                    assert (r.status_code, r.json()) == (401, INVALID_TOKEN)
                r = await client.post(
                    f"/admin/api/{OLD}/graphql.json",
                    json={"query": "{ shop { id } }"},
                    headers=AUTH,
                )
                assert r.status_code == 200 and r.json()["data"]["shop"]["id"]

    asyncio.run(main())


def test_body_that_is_not_a_graphql_request_is_400() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        r = await client.post(f"/admin/api/{OLD}/graphql.json", content=b"{nope", headers=AUTH)
        assert r.status_code == 400
        assert r.json() == {"errors": {"query": "Required parameter missing or invalid"}}

    run(scenario)


def test_graphql_requests_do_not_spend_the_rest_bucket() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        for _ in range(45):  # more than the 40-call REST bucket, no time passing
            body = await gql(client, "{ shop { id } }")
            assert "errors" not in body
        r = await client.get(f"/admin/api/{OLD}/locations.json", headers=AUTH)
        assert r.status_code == 200
        assert r.headers["X-Shopify-Shop-Api-Call-Limit"] == "1/40"

    run(scenario, settings={})


# -- orders ------------------------------------------------------------------------------------

ORDERS_PAGE = """query P($n: Int, $after: String, $last: Int, $before: String, $q: String,
                         $sort: OrderSortKeys, $rev: Boolean) {
  orders(first: $n, after: $after, last: $last, before: $before, query: $q, sortKey: $sort,
         reverse: $rev) {
    edges { cursor node { id name createdAt } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } }"""


def test_cursor_pagination_visits_every_order_exactly_once_both_ways() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        created = []
        for _ in range(7):
            created.append(await checkout(client))
            clock.advance(60)
        wanted = [f"gid://shopify/Order/{i}" for i in created]

        async def walk(**args: Any) -> tuple[list[str], list[dict[str, Any]]]:
            seen, infos, cursor = [], [], None
            while True:
                body = await gql(client, ORDERS_PAGE, n=3, after=cursor, **args)
                page = body["data"]["orders"]
                seen += [e["node"]["id"] for e in page["edges"]]
                infos.append(page["pageInfo"])
                if not page["pageInfo"]["hasNextPage"]:
                    return seen, infos
                cursor = page["pageInfo"]["endCursor"]

        forward, infos = await walk()
        assert forward == wanted
        assert [len(forward[i : i + 3]) for i in (0, 3, 6)] == [3, 3, 1]
        assert [i["hasPreviousPage"] for i in infos] == [False, True, True]
        newest_first, _ = await walk(sort="CREATED_AT", rev=True)
        assert newest_first == wanted[::-1]
        # Backwards from the end with last/before collects the same set once.
        back: list[str] = []
        cursor = None
        while True:
            page = (await gql(client, ORDERS_PAGE, last=3, before=cursor))["data"]["orders"]
            back = [e["node"]["id"] for e in page["edges"]] + back
            if not page["pageInfo"]["hasPreviousPage"]:
                break
            cursor = page["pageInfo"]["startCursor"]
        assert back == wanted
        bad = await gql(client, ORDERS_PAGE, n=3, after="not-a-cursor")
        assert bad["data"] is None and "Invalid cursor" in bad["errors"][0]["message"]

    run(scenario)


def test_orders_query_filter_and_orders_count() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        created, stamps = [], []
        for _ in range(6):
            stamps.append(iso_utc(clock.now(), millis=False))
            created.append(await checkout(client))
            clock.advance(3600)
        since = f"created_at:>={stamps[2]}"
        body = await gql(client, ORDERS_PAGE, n=50, q=since)
        assert [e["node"]["id"] for e in body["data"]["orders"]["edges"]] == [
            f"gid://shopify/Order/{i}" for i in created[2:]
        ]
        count = """query C($q: String, $limit: Int) {
            ordersCount(query: $q, limit: $limit) { count precision } }"""
        assert (await gql(client, count, q=since))["data"]["ordersCount"] == {
            "count": 4,
            "precision": "EXACT",
        }
        by_id = await gql(client, count, q=f"id:>{created[4]}")
        assert by_id["data"]["ordersCount"]["count"] == 1
        both = await gql(client, count, q=f"updated_at:>={stamps[1]} AND id:<{created[3]}")
        assert both["data"]["ordersCount"]["count"] == 2
        capped = await gql(client, count, q=None, limit=5)
        assert capped["data"]["ordersCount"] == {"count": 5, "precision": "AT_LEAST"}
        uncapped = await gql(client, count, q=None, limit=None)  # explicit null: no cap
        assert uncapped["data"]["ordersCount"] == {"count": 6, "precision": "EXACT"}
        unknown = await gql(client, count, q="colour:red")  # ignored, as Shopify, with a warning
        assert unknown["data"]["ordersCount"]["count"] == 6
        assert unknown["extensions"]["search"][0]["warnings"][0]["field"] == "colour"

    run(scenario)


def test_order_money_and_lines_match_the_rest_resource() -> None:
    query = """{ orders(first: 1) { nodes { name currencyCode displayFulfillmentStatus cancelledAt
        totalPriceSet { shopMoney { amount currencyCode } }
        subtotalPriceSet { shopMoney { amount } }
        totalTaxSet { shopMoney { amount } } totalDiscountsSet { shopMoney { amount } }
        totalShippingPriceSet { shopMoney { amount } }
        lineItems(first: 5) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } }
          discountAllocations { allocatedAmountSet { shopMoney { amount } } }
          taxLines { rate title priceSet { shopMoney { amount } } } } } } } }"""

    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        r = await client.post(
            "/_sim/checkout",
            json={"lines": [{"sku": "SKU-1", "quantity": 2}], "discount_code": "FLASH10"},
        )
        rest = r.json()["order"]
        node = (await gql(client, query))["data"]["orders"]["nodes"][0]

        def money(bag: dict[str, Any]) -> str:
            return str(bag["shopMoney"]["amount"])

        # Same amounts as REST, in Shopify's GraphQL decimal style ("36.0", not "36.00").
        assert money(node["totalPriceSet"]) == "43.88" == rest["total_price"]
        assert money(node["subtotalPriceSet"]) == "36.0" and rest["subtotal_price"] == "36.00"
        assert (money(node["totalTaxSet"]), money(node["totalDiscountsSet"])) == ("2.88", "4.0")
        assert money(node["totalShippingPriceSet"]) == "5.0"
        assert (node["name"], node["currencyCode"], node["cancelledAt"]) == (
            rest["name"],
            "USD",
            None,
        )
        assert node["displayFulfillmentStatus"] == "UNFULFILLED"
        [line] = node["lineItems"]["nodes"]
        assert (line["sku"], line["quantity"], money(line["originalUnitPriceSet"])) == (
            "SKU-1",
            2,
            "20.0",
        )
        assert money(line["discountAllocations"][0]["allocatedAmountSet"]) == "4.0"
        assert line["taxLines"] == [
            {"rate": 0.08, "title": "Sales tax", "priceSet": {"shopMoney": {"amount": "2.88"}}}
        ]

    run(scenario)
