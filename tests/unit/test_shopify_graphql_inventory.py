"""Shopify GraphQL inventory mutations over HTTP (in-process): compare-and-set on both sides of
the 2026-04 rules, all-or-nothing, idempotency keys, and one stock shared with REST."""

from __future__ import annotations

from typing import Any

import httpx

from simclock import VirtualClock
from tests.unit.shopify_graphql_support import (
    AUTH,
    NEW,
    OLD,
    available,
    checkout,
    gql,
    gql_quantities,
    run,
)

# -- inventorySetQuantities ----------------------------------------------------------------------

SET = """mutation S($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup {
      reason changes { name delta quantityAfterChange item { id } location { id } } }
    userErrors { field message code } } }"""


def set_input(ids: dict[str, Any], *quantities: dict[str, Any], **extra: Any) -> dict[str, Any]:
    rows = [
        {"inventoryItemId": ids[q.pop("sku", "SKU-1")], "locationId": ids["Warehouse"], **q}
        for q in quantities
    ]
    return {"name": "available", "reason": "correction", "quantities": rows, **extra}


def test_set_quantities_compare_quantity_before_2026_04() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        ok = await gql(client, SET, input=set_input(ids, {"quantity": 7, "compareQuantity": 10}))
        payload = ok["data"]["inventorySetQuantities"]
        assert payload["userErrors"] == []
        changes = {c["name"]: c for c in payload["inventoryAdjustmentGroup"]["changes"]}
        assert (changes["available"]["delta"], changes["available"]["quantityAfterChange"]) == (
            -3,
            7,
        )
        assert changes["on_hand"]["quantityAfterChange"] == 7
        assert await available(client, ids) == 7
        # One stale quantity in two: nothing at all is applied.
        stale = await gql(
            client,
            SET,
            input=set_input(
                ids,
                {"sku": "SKU-2", "quantity": 1, "compareQuantity": 5},
                {"quantity": 2, "compareQuantity": 10},
            ),
        )
        payload = stale["data"]["inventorySetQuantities"]
        assert payload["inventoryAdjustmentGroup"] is None
        assert payload["userErrors"] == [
            {
                "field": ["input", "quantities", "1", "compareQuantity"],
                "message": "The compareQuantity value does not match persisted value.",
                "code": "COMPARE_QUANTITY_STALE",
            }
        ]
        assert (await available(client, ids), await available(client, ids, "SKU-2")) == (7, 5)
        missing = await gql(client, SET, input=set_input(ids, {"quantity": 2}))
        assert (
            missing["data"]["inventorySetQuantities"]["userErrors"][0]["code"]
            == "COMPARE_QUANTITY_REQUIRED"
        )
        ignored = await gql(
            client, SET, input=set_input(ids, {"quantity": 2}, ignoreCompareQuantity=True)
        )
        assert ignored["data"]["inventorySetQuantities"]["userErrors"] == []
        assert await available(client, ids) == 2

    run(scenario)


def test_set_quantities_change_from_quantity_from_2026_04() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        ok = await gql(
            client,
            SET,
            version=NEW,
            input=set_input(ids, {"quantity": 4, "changeFromQuantity": 10}),
        )
        assert ok["data"]["inventorySetQuantities"]["userErrors"] == []
        assert await available(client, ids) == 4
        stale = await gql(
            client,
            SET,
            version=NEW,
            input=set_input(
                ids,
                {"sku": "SKU-2", "quantity": 9, "changeFromQuantity": 5},
                {"quantity": 1, "changeFromQuantity": 10},
            ),
        )
        payload = stale["data"]["inventorySetQuantities"]
        assert payload["inventoryAdjustmentGroup"] is None
        assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
            ("CHANGE_FROM_QUANTITY_STALE", ["input", "quantities", "1", "changeFromQuantity"])
        ]
        assert (await available(client, ids), await available(client, ids, "SKU-2")) == (4, 5)
        # compareQuantity no longer counts: a missing changeFromQuantity key is an error ...
        missing = await gql(
            client, SET, version=NEW, input=set_input(ids, {"quantity": 1, "compareQuantity": 4})
        )
        [error] = missing["data"]["inventorySetQuantities"]["userErrors"]
        assert error["field"] == ["input", "quantities", "0", "changeFromQuantity"]
        assert await available(client, ids) == 4
        # ... and an explicit null opts out of the check.
        skip = await gql(
            client,
            SET,
            version=NEW,
            input=set_input(ids, {"quantity": 1, "changeFromQuantity": None}),
        )
        assert skip["data"]["inventorySetQuantities"]["userErrors"] == []
        assert await available(client, ids) == 1

    run(scenario)


def test_set_quantities_rejects_bad_names_reasons_and_items() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        bad = set_input(
            ids, {"quantity": 1, "compareQuantity": 10}, name="committed", reason="whim"
        )
        bad["quantities"].append(
            {
                "inventoryItemId": "gid://shopify/InventoryItem/1",
                "locationId": ids["Warehouse"],
                "quantity": 1,
                "compareQuantity": 0,
            }
        )
        body = await gql(client, SET, input=bad)
        codes = [e["code"] for e in body["data"]["inventorySetQuantities"]["userErrors"]]
        assert codes == ["INVALID_NAME", "INVALID_REASON", "INVALID_INVENTORY_ITEM"]
        assert await available(client, ids) == 10

    run(scenario)


# -- inventoryAdjustQuantities -------------------------------------------------------------

ADJUST = """mutation A($input: InventoryAdjustQuantitiesInput!) {{
  inventoryAdjustQuantities(input: $input) {directive} {{
    inventoryAdjustmentGroup {{ createdAt reason changes {{ name delta quantityAfterChange }} }}
    userErrors {{ field message code }} }} }}"""


def adjust_input(ids: dict[str, Any], delta: int, **change: Any) -> dict[str, Any]:
    row = {
        "inventoryItemId": ids["SKU-1"],
        "locationId": ids["Warehouse"],
        "delta": delta,
        **change,
    }
    return {"name": "available", "reason": "received", "changes": [row]}


def test_adjust_with_the_same_idempotency_key_applies_once() -> None:
    keyed = ADJUST.format(directive='@idempotent(key: "4f5b6ebf-143c-4da5-8d0f-fb8553bfd85d")')

    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        first = await gql(client, keyed, version=NEW, input=adjust_input(ids, 5))
        clock.advance(30)
        retry = await gql(client, keyed, version=NEW, input=adjust_input(ids, 5))
        assert retry["data"] == first["data"]  # the original result, createdAt included
        assert first["data"]["inventoryAdjustQuantities"]["inventoryAdjustmentGroup"]["changes"][
            0
        ] == {
            "name": "available",
            "delta": 5,
            "quantityAfterChange": 15,
        }
        assert await available(client, ids) == 15
        other = await gql(client, keyed, version=NEW, input=adjust_input(ids, 6))
        [error] = other["data"]["inventoryAdjustQuantities"]["userErrors"]
        assert error["code"] == "IDEMPOTENCY_KEY_PARAMETER_MISMATCH"
        assert await available(client, ids) == 15

    run(scenario)


def test_adjust_without_a_key_is_refused_from_2026_04_but_allowed_before() -> None:
    bare = ADJUST.format(directive="")

    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        refused = await gql(client, bare, version=NEW, input=adjust_input(ids, 5))
        assert refused["data"]["inventoryAdjustQuantities"] is None
        assert "@idempotent" in refused["errors"][0]["message"]
        assert await available(client, ids) == 10
        for expected in (15, 20):  # no key before 2026-04: every call applies
            ok = await gql(client, bare, version=OLD, input=adjust_input(ids, 5))
            assert ok["data"]["inventoryAdjustQuantities"]["userErrors"] == []
            assert await available(client, ids) == expected
        stale = await gql(
            client, bare, version=OLD, input=adjust_input(ids, -1, changeFromQuantity=3)
        )
        assert (
            stale["data"]["inventoryAdjustQuantities"]["userErrors"][0]["code"]
            == "CHANGE_FROM_QUANTITY_STALE"
        )
        assert await available(client, ids) == 20

    run(scenario)


# -- one stock for REST and GraphQL ---------------------------------------------------------


def test_rest_and_graphql_see_the_same_stock() -> None:
    async def scenario(client: httpx.AsyncClient, clock: VirtualClock, ids: dict[str, Any]) -> None:
        assert await gql_quantities(client, ids) == {"available": 10, "committed": 0, "on_hand": 10}
        await checkout(client, qty=3)  # the storefront commits 3
        assert await available(client, ids) == 7
        assert await gql_quantities(client, ids) == {"available": 7, "committed": 3, "on_hand": 10}
        on_hand = set_input(ids, {"quantity": 12, "compareQuantity": 10}, name="on_hand")
        assert (await gql(client, SET, input=on_hand))["data"]["inventorySetQuantities"][
            "userErrors"
        ] == []
        assert await available(client, ids) == 9  # on_hand 12 - committed 3
        r = await client.post(
            f"/admin/api/{OLD}/inventory_levels/adjust.json",
            json={
                "location_id": ids["Warehouse:rest"],
                "inventory_item_id": ids["SKU-1:rest"],
                "available_adjustment": -4,
            },
            headers=AUTH,
        )
        assert r.status_code == 200
        assert await gql_quantities(client, ids) == {"available": 5, "committed": 3, "on_hand": 8}

    run(scenario)
