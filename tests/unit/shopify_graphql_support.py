"""Shared set-up for the Shopify GraphQL API tests: a seeded app on a virtual clock, helpers."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.shopify.api import create_app
from simclock import VirtualClock

TOKEN = "shpat_test"
AUTH = {"X-Shopify-Access-Token": TOKEN}
OLD, NEW = "2026-01", "2026-04"
INVALID_TOKEN = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
SEED = {
    "locations": [{"name": "Warehouse"}, {"name": "Store"}],
    "products": [
        {"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 10}},
        {"sku": "SKU-2", "title": "Cap", "price": "7.35", "inventory": {"Warehouse": 5}},
    ],
}

Scenario = Callable[[httpx.AsyncClient, VirtualClock, dict[str, Any]], Awaitable[None]]


def run(scenario: Scenario, *, settings: dict[str, Any] | None = None) -> None:
    """Seeded app (REST + GraphQL) on a virtual clock; ``ids`` maps names to gids."""
    clock = VirtualClock()
    app: FastAPI = create_app(
        settings=settings or {},
        clock=clock,
        credentials={"access_token": TOKEN},
        seed=7,
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            seeded = (await client.post("/_mock/seed", json=SEED)).json()
            ids: dict[str, Any] = {
                loc["name"]: f"gid://shopify/Location/{loc['id']}" for loc in seeded["locations"]
            }
            for v in seeded["variants"]:
                ids[v["sku"]] = f"gid://shopify/InventoryItem/{v['inventory_item_id']}"
                ids[f"{v['sku']}:rest"] = v["inventory_item_id"]
            ids["Warehouse:rest"] = seeded["locations"][0]["id"]
            await scenario(client, clock, ids)

    asyncio.run(main())


async def gql(
    client: httpx.AsyncClient, query: str, *, version: str = OLD, **variables: Any
) -> dict[str, Any]:
    r = await client.post(
        f"/admin/api/{version}/graphql.json",
        json={"query": query, "variables": variables},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def checkout(client: httpx.AsyncClient, sku: str = "SKU-1", qty: int = 1) -> int:
    r = await client.post("/_sim/checkout", json={"lines": [{"sku": sku, "quantity": qty}]})
    assert r.status_code == 201, r.text
    return int(r.json()["order"]["id"])


async def available(client: httpx.AsyncClient, ids: dict[str, Any], sku: str = "SKU-1") -> int:
    """``available`` at the Warehouse as REST reports it."""
    r = await client.get(
        f"/admin/api/{OLD}/inventory_levels.json",
        params={"inventory_item_ids": ids[f"{sku}:rest"], "location_ids": ids["Warehouse:rest"]},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    return int(r.json()["inventory_levels"][0]["available"])


QUANTITIES = """query Q($id: ID!, $loc: ID!) { inventoryItem(id: $id) {
    inventoryLevel(locationId: $loc) { quantities(names: ["available", "committed", "on_hand"]) {
      name quantity } } } }"""


async def gql_quantities(client: httpx.AsyncClient, ids: dict[str, Any]) -> dict[str, int]:
    body = await gql(client, QUANTITIES, id=ids["SKU-1"], loc=ids["Warehouse"])
    level = body["data"]["inventoryItem"]["inventoryLevel"]
    return {q["name"]: q["quantity"] for q in level["quantities"]}
