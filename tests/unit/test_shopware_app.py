"""Shopware 6 mock, in-process: settings, entity writes, sync cost and transactions, Admin
orders, stock management, the optional Admin limit and the fault hooks.

Over httpx.ASGITransport on a virtual clock that jumps to every sleeper's deadline; nothing
sleeps. ``run`` and the helpers are shared by the other ``test_shopware_*`` modules.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mocks.shopware.api import create_app
from mocks.shopware.constants import ShopwareSettings
from simclock import VirtualClock

CREDENTIALS = {"client_id": "SWIAUNIT", "client_secret": "unit-secret", "webhook_secret": "shh"}
SEED: dict[str, Any] = {
    "products": [
        {"productNumber": "TEE", "name": "Tee", "stock": 10, "price": "19.99"},
        {"productNumber": "LAST", "name": "Last", "stock": 2, "price": "49.00", "isCloseout": True},
    ],
    "promotions": [{"code": "FIVEOFF", "type": "absolute", "value": "5.00"}],
}

Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


def run(
    scenario: Scenario,
    *,
    settings: dict[str, Any] | None = None,
    seed_body: dict[str, Any] | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> None:
    """Build a seeded app on a virtual clock and run ``scenario`` against it."""
    clock = VirtualClock()
    app = create_app(
        settings=settings, clock=clock, credentials=CREDENTIALS, seed=7, webhook_transport=transport
    )

    async def main() -> None:
        asgi = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=asgi, base_url="http://shopware.test") as client:
            r = await client.post("/_mock/seed", json=SEED if seed_body is None else seed_body)
            assert r.status_code == 200, r.text
            await scenario(client, app, clock)
        await app.state.outbox.aclose()

    asyncio.run(main())


async def headers(client: httpx.AsyncClient) -> dict[str, str]:
    """A fresh bearer token's header."""
    r = await client.post(
        "/api/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": CREDENTIALS["client_id"],
            "client_secret": CREDENTIALS["client_secret"],
        },
    )
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


async def product_ids(client: httpx.AsyncClient) -> dict[str, str]:
    """productNumber -> id from the ground truth."""
    state = (await client.get("/_mock/state")).json()
    return {p["productNumber"]: p["id"] for p in state["products"]}


async def stock_of(client: httpx.AsyncClient, number: str) -> int:
    """Current stock of one product."""
    state = (await client.get("/_mock/state")).json()
    return int(next(p["stock"] for p in state["products"] if p["productNumber"] == number))


def first_error(response: httpx.Response) -> dict[str, Any]:
    """The first entry of a Shopware error body."""
    error: dict[str, Any] = response.json()["errors"][0]
    return error


# -- settings ---------------------------------------------------------------------------------


def test_settings_reject_unknown_keys_and_bad_values() -> None:
    with pytest.raises(ValueError, match="unknown Shopware setting 'oauth_rate_limt'"):
        ShopwareSettings.from_overrides({"oauth_rate_limt": 5})
    with pytest.raises(ValueError, match="closeout_stock_write"):
        ShopwareSettings.from_overrides({"closeout_stock_write": "sometimes"})
    with pytest.raises(ValueError, match="must be an integer"):
        ShopwareSettings.from_overrides({"sync_max_payload_records": 1.5})
    settings = ShopwareSettings.from_overrides({"webhook_retry_schedule": [1, 2]})
    assert settings.webhook_retry_schedule == (1.0, 2.0)
    assert ShopwareSettings().webhook_retry_schedule == (5.0, 30.0, 300.0, 1800.0, 14400.0)


def test_runtime_settings_are_limited_and_reset_restores_them() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        r = await client.post("/_mock/settings", json={"token_ttl_seconds": 5})
        assert r.status_code == 422 and "cannot change at run time" in first_error(r)["detail"]
        r = await client.post("/_mock/settings", json={"closeout_stock_write": "reject"})
        assert r.json()["closeout_stock_write"] == "reject"
        await client.post("/_mock/reset")
        assert app.state.model.settings.closeout_stock_write == "ignore"

    run(scenario)


# -- entity writes ----------------------------------------------------------------------------


def test_product_create_answers_204_with_location_or_the_record() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        tax = (await client.get("/api/tax", headers=h)).json()["data"][0]["id"]
        cur = (await client.get("/api/currency", headers=h)).json()["data"][0]["id"]
        body = {
            "productNumber": "NEW",
            "name": "New",
            "stock": 1,
            "taxId": tax,
            "price": [{"currencyId": cur, "gross": 10, "net": "8.40"}],
            "stok": 99,  # unknown fields are ignored silently, as Shopware's DAL does
        }
        r = await client.post("/api/product", headers=h, json=body)
        assert r.status_code == 204 and r.content == b""
        new_id = r.headers["Location"].rsplit("/", 1)[1]
        got = (await client.get(f"/api/product/{new_id}", headers=h)).json()["data"]
        assert (got["stock"], got["price"][0]["gross"], "stok" in got) == (1, "10.00", False)
        again = await client.post("/api/product", headers=h, json={**body, "id": new_id})
        assert first_error(again)["code"] == "FRAMEWORK__WRITE_TYPE_INTEND_ERROR"
        dup = {**body, "productNumber": "tee"}
        r = await client.post("/api/product?_response=detail", headers=h, json=dup)
        assert r.status_code == 400
        assert first_error(r)["code"] == "CONTENT__PRODUCT_NUMBER_DUPLICATE"
        body["productNumber"] = "NEWER"
        r = await client.post("/api/product?_response=detail", headers=h, json=body)
        assert r.status_code == 200 and r.json()["data"]["productNumber"] == "NEWER"

    run(scenario)


def test_patch_and_delete_of_missing_records_are_404() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        missing = "f" * 32
        r = await client.patch(f"/api/product/{missing}", headers=h, json={"stock": 1})
        assert r.status_code == 404 and first_error(r)["code"] == "FRAMEWORK__RESOURCE_NOT_FOUND"
        tee = (await product_ids(client))["TEE"]
        assert (await client.delete(f"/api/product/{tee}", headers=h)).status_code == 204
        assert (await client.delete(f"/api/product/{tee}", headers=h)).status_code == 404
        r = await client.post("/api/order-line-item", headers=h, json={})
        assert r.status_code == 405 and r.headers["Allow"] == "GET"
        r = await client.get("/api/nothing/here/at/all", headers=h)
        assert r.status_code == 404 and first_error(r)["status"] == "404"

    run(scenario)


def test_customers_are_written_and_searched_by_email() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        body = {"email": "Ada@Example.com", "firstName": "Ada", "lastName": "L"}
        assert (await client.post("/api/customer", headers=h, json=body)).status_code == 204
        r = await client.post("/api/customer", headers=h, json={"email": "nope"})
        pointers = {e["source"]["pointer"] for e in r.json()["errors"]}
        assert pointers == {"/email", "/firstName", "/lastName"}
        found = await client.post(
            "/api/search/customer",
            headers=h,
            json={"filter": [{"type": "equals", "field": "email", "value": "ada@example.com"}]},
        )
        assert [c["customerNumber"] for c in found.json()["data"]] == ["10000"]

    run(scenario)


# -- sync -------------------------------------------------------------------------------------


def test_sync_holds_its_simulated_cost_before_committing() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        tee = (await product_ids(client))["TEE"]
        before = clock.slept
        body = {
            "s": {"entity": "product", "action": "upsert", "payload": [{"id": tee, "stock": 3}] * 4}
        }
        r = await client.post("/api/_action/sync", headers=h, json=body)
        assert r.status_code == 200
        assert clock.slept - before == pytest.approx(0.5 + 0.25 * 4)
        stats = (await client.get("/_mock/stats")).json()["sync"]
        assert stats == {"requests": 1, "records": 4, "rejected": 0}

    run(scenario, settings={"sync_base_seconds": 0.5, "sync_seconds_per_record": 0.25})


def test_sync_single_operation_off_commits_each_operation_alone() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        ids = await product_ids(client)
        body = {
            "good": {
                "entity": "product",
                "action": "upsert",
                "payload": [{"id": ids["TEE"], "stock": 1}],
            },
            "bad": {
                "entity": "product",
                "action": "upsert",
                "payload": [{"id": ids["LAST"], "availableStock": 1}],
            },
        }
        r = await client.post(
            "/api/_action/sync", headers={**h, "single-operation": "0"}, json=body
        )
        assert r.status_code == 400
        assert first_error(r)["source"]["pointer"] == "/bad/0/availableStock"
        assert await stock_of(client, "TEE") == 1
        r = await client.post(
            "/api/_action/sync", headers={**h, "single-operation": "1"}, json=body
        )
        assert r.status_code == 400

    run(scenario)


def test_sync_refuses_unknown_entities_actions_and_shapes() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)

        async def sync(body: Any) -> dict[str, Any]:
            r = await client.post("/api/_action/sync", headers=h, json=body)
            assert r.status_code == 400, r.text
            return first_error(r)

        unknown = await sync({"k": {"entity": "nothing", "action": "upsert", "payload": []}})
        assert unknown["code"] == "FRAMEWORK__DEFINITION_NOT_FOUND"
        assert unknown["source"]["pointer"] == "/k/entity"
        orders = await sync({"k": {"entity": "order", "action": "upsert", "payload": []}})
        assert orders["code"] == "FRAMEWORK__INVALID_SYNC_OPERATION"
        action = await sync([{"entity": "product", "action": "create", "payload": []}])
        assert action["source"]["pointer"] == "/0/action"
        assert (await sync("nope"))["code"] == "FRAMEWORK__INVALID_SYNC_OPERATION"

    run(scenario)


# -- orders and stock -------------------------------------------------------------------------


def test_admin_created_orders_are_priced_stocked_and_refused_with_400() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        body = {
            "orderCustomer": {"email": "ops@example.com"},
            "lineItems": [{"type": "product", "payload": {"productNumber": "TEE"}, "quantity": 2}],
            "promotionCode": "FIVEOFF",
        }
        r = await client.post("/api/order?_response=detail", headers=h, json=body)
        assert r.status_code == 200, r.text
        assert r.json()["data"]["amountTotal"] == "39.97"  # 39.98 - 5.00 + 4.99 shipping
        assert await stock_of(client, "TEE") == 8
        body["lineItems"] = [
            {"type": "product", "payload": {"productNumber": "LAST"}, "quantity": 3}
        ]
        r = await client.post("/api/order", headers=h, json=body)
        assert r.status_code == 400 and first_error(r)["code"] == "CHECKOUT__PRODUCT_STOCK_REACHED"

    run(scenario)


def test_stock_management_off_leaves_stock_alone() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        body = {"lines": [{"productNumber": "LAST", "quantity": 5}]}
        assert (await client.post("/_sim/checkout", json=body)).status_code == 201
        assert await stock_of(client, "LAST") == 2

    run(scenario, settings={"enable_stock_management": False})


def test_live_quantity_edit_moves_stock_at_once() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        r = await client.post(
            "/_sim/checkout", json={"lines": [{"productNumber": "TEE", "quantity": 1}]}
        )
        order = r.json()["order"]
        edit = {"lineItems": [{"id": order["lineItems"][0]["id"], "quantity": 4}]}
        assert (
            await client.patch(f"/api/order/{order['id']}", headers=h, json=edit)
        ).status_code == 204
        assert await stock_of(client, "TEE") == 6
        bad = {"lineItems": [{"id": order["lineItems"][0]["id"], "quantity": 0}]}
        r = await client.patch(f"/api/order/{order['id']}", headers=h, json=bad)
        assert (
            r.status_code == 400 and first_error(r)["source"]["pointer"] == "/lineItems/0/quantity"
        )

    run(scenario)


# -- limits and fault hooks -------------------------------------------------------------------


def test_optional_admin_limit_counts_per_integration() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        for _ in range(3):
            assert (await client.get("/api/product", headers=h)).status_code == 200
        r = await client.get("/api/product", headers=h)
        assert r.status_code == 429 and r.headers["Retry-After"] == "10"
        clock.advance(10)
        assert (await client.get("/api/product", headers=h)).status_code == 200

    run(scenario, settings={"admin_rate_limit": 3, "admin_rate_window_seconds": 10})


def test_admin_crud_is_not_limited_by_default() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        statuses = {(await client.get("/api/tax", headers=h)).status_code for _ in range(200)}
        assert statuses == {200}

    run(scenario)


@pytest.mark.parametrize("status", [401, 429, 500, 503])
def test_render_fault_answers_shopware_errors(status: int) -> None:
    app = create_app(clock=VirtualClock(), credentials=CREDENTIALS)
    response = app.state.render_fault(status, "injected")
    assert response.status_code == status
    error = json.loads(response.body)["errors"][0]
    assert error["status"] == str(status)
    if status == 401:
        assert error["code"] == "9"
    if status == 429:
        assert error["code"] == "FRAMEWORK__RATE_LIMIT_EXCEEDED"
        assert response.headers["Retry-After"] == str(error["meta"]["parameters"]["seconds"])
    if status == 503:
        assert "Retry-After" in response.headers


@pytest.mark.parametrize("status", [502, 504])
def test_render_fault_answers_the_proxy_page_for_gateway_errors(status: int) -> None:
    app = create_app(clock=VirtualClock(), credentials=CREDENTIALS)
    response = app.state.render_fault(status, "injected")
    assert response.status_code == status and response.media_type == "text/html"
    assert b"nginx" in response.body


def test_revoke_credentials_hook_invalidates_tokens_but_not_the_client() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        h = await headers(client)
        app.state.revoke_credentials()
        assert (await client.get("/api/product", headers=h)).status_code == 401
        assert (await client.get("/api/product", headers=await headers(client))).status_code == 200
        stats = (await client.get("/_mock/stats")).json()
        assert stats["unauthorized"] == 1 and stats["oauth"]["revocations"] == 1

    run(scenario)
