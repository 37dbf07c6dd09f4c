"""The fault plan over HTTP, in process (httpx.ASGITransport) on a VirtualClock: nothing sleeps.

Shopify and SHOPLINE install the plan in ``create_app``; a bare FastAPI app shows the generic
answers a platform without ``render_fault`` gets.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from mocks.common.faults import install_fault_plan
from mocks.shopify.api import create_app as create_shopify
from mocks.shopline.api import create_app as create_shopline
from simclock import VirtualClock

SHOPIFY_TOKEN = "shpat_test"
SHOPIFY = "/admin/api/2026-01"
SHOPIFY_AUTH = {"X-Shopify-Access-Token": SHOPIFY_TOKEN}
SHOPLINE_TOKEN = "shpl_test"
SHOPLINE = "/admin/openapi/v20250301"
SHOPLINE_AUTH = {"Authorization": f"Bearer {SHOPLINE_TOKEN}"}
SEED = {
    "locations": [{"name": "Warehouse"}],
    "products": [
        {"sku": "SKU-1", "title": "Tee", "price": "20.00", "inventory": {"Warehouse": 50}}
    ],
}
CHECKOUT = {"lines": [{"sku": "SKU-1", "quantity": 1}]}
Scenario = Callable[[httpx.AsyncClient, FastAPI, VirtualClock], Awaitable[None]]


def run(platform: str, scenario: Scenario, *, clock: VirtualClock | None = None) -> None:
    """A seeded Shopify or SHOPLINE app on a virtual clock (autojump unless given)."""
    clock = clock or VirtualClock()
    create = create_shopify if platform == "shopify" else create_shopline
    token = SHOPIFY_TOKEN if platform == "shopify" else SHOPLINE_TOKEN
    app = create(clock=clock, credentials={"access_token": token, "webhook_secret": "s"}, seed=5)

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://mock.test") as client:
            assert (await client.post("/_mock/seed", json=SEED)).status_code == 200
            await scenario(client, app, clock)

    asyncio.run(main())


async def install(client: httpx.AsyncClient, *rules: dict[str, Any]) -> dict[str, Any]:
    r = await client.put("/_mock/faults", json={"rules": list(rules)})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


# -- latency -------------------------------------------------------------------------------------


def test_fixed_latency_delays_by_simulated_seconds_then_serves() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "latency", "seconds": 2.5, "end": 60})
        before = clock.now()
        r = await client.get(f"{SHOPIFY}/locations.json", headers=SHOPIFY_AUTH)
        assert r.status_code == 200 and clock.now() - before == 2.5
        before = clock.now()
        assert (await client.post("/_sim/checkout", json=CHECKOUT)).status_code == 201
        assert clock.now() == before  # shoppers are not the API
        clock.advance(60)
        before = clock.now()
        await client.get(f"{SHOPIFY}/locations.json", headers=SHOPIFY_AUTH)
        assert clock.now() == before  # the window has closed

    run("shopify", scenario)


def test_uniform_latency_stays_within_its_bounds_and_repeats_per_seed() -> None:
    def delays() -> list[float]:
        seen: list[float] = []

        async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
            await install(
                client, {"kind": "latency", "distribution": "uniform", "low": 1, "high": 4}
            )
            for _ in range(20):
                before = clock.now()
                await client.get(f"{SHOPLINE}/locations.json", headers=SHOPLINE_AUTH)
                seen.append(clock.now() - before)
                clock.advance(10)  # the bucket drains

        run("shopline", scenario)
        return seen

    first = delays()
    assert all(1 <= d <= 4 for d in first) and len(set(first)) == 20
    assert first == delays()


def test_load_latency_grows_with_the_requests_in_flight() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        rule = {"kind": "latency", "distribution": "load", "base": 0.5, "per_in_flight": 0.25}
        await install(client, rule)
        calls = [client.get(f"{SHOPIFY}/orders/count.json", headers=SHOPIFY_AUTH) for _ in range(4)]
        assert {r.status_code for r in await asyncio.gather(*calls)} == {200}
        log = (await client.get("/_mock/faults")).json()["log"]
        assert sorted(entry["seconds"] for entry in log) == [0.5, 0.75, 1.0, 1.25]

    run("shopify", scenario)


# -- errors in each platform's shape ------------------------------------------------------------


def test_shopify_error_burst_uses_shopifys_bodies_and_retry_after() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(
            client,
            {"kind": "error", "statuses": [503], "end": 10},
            {"kind": "error", "statuses": [429], "start": 10, "end": 20},
            {"kind": "error", "statuses": [502], "detail": "upstream gone", "start": 20},
        )
        r = await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
        assert (r.status_code, r.json()) == (503, {"errors": "Service Unavailable"})
        clock.advance(10)
        r = await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
        assert r.status_code == 429 and r.headers["Retry-After"] == "2.0"
        assert r.json()["errors"].startswith("Exceeded 2 calls per second for api client")
        clock.advance(10)
        r = await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
        assert (r.status_code, r.json()) == (502, {"errors": "upstream gone"})
        stats = (await client.get("/_mock/stats")).json()
        assert stats["faults"]["error"] == 3
        assert stats["calls"] == 0  # outside the gate: no budget spent, no call counted

    run("shopify", scenario)


def test_shopline_security_statuses_use_its_wording_and_a_trace_id() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "error", "statuses": [434, 504], "weights": [1, 1]})
        seen: dict[int, Any] = {}
        for _ in range(20):
            r = await client.get(f"{SHOPLINE}/orders.json", headers=SHOPLINE_AUTH)
            seen[r.status_code] = r.json()
            assert r.headers["traceid"]
        assert seen == {
            434: {"errors": "Excessive rate limit by security policy"},
            504: {"errors": "Gateway Timeout"},
        }

    run("shopline", scenario)


def test_a_platform_without_render_fault_answers_generic_json() -> None:
    clock = VirtualClock()
    app = FastAPI()

    @app.get("/api/thing")
    async def thing() -> dict[str, str]:
        return {"ok": "yes"}

    install_fault_plan(app, clock=clock, seed=1, rules=[{"kind": "outage", "status": 500}])

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://x.test") as client:
            r = await client.get("/api/thing")
            assert (r.status_code, r.json()) == (500, {"errors": "Internal Server Error"})
            assert (await client.get("/openapi.json")).status_code == 200
            assert (await client.delete("/_mock/faults")).status_code == 200
            assert (await client.get("/api/thing")).json() == {"ok": "yes"}

    asyncio.run(main())


# -- connections ---------------------------------------------------------------------------------


def test_reset_is_a_transport_error_for_an_in_process_client() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "reset", "methods": ["POST"], "end": 30})
        body = {"inventory_item_id": 1, "location_id": 1, "available": 3}
        with pytest.raises(httpx.TransportError):
            await client.post(
                f"{SHOPIFY}/inventory_levels/set.json", json=body, headers=SHOPIFY_AUTH
            )
        assert (await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)).status_code == 200
        assert (await client.get("/_mock/faults")).json()["counts"]["reset"] == 1

    run("shopify", scenario)


def test_hang_holds_the_request_for_its_simulated_seconds_then_drops_it() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "hang"}, {"kind": "hang", "seconds": 90, "start": 10})
        before = clock.now()
        with pytest.raises(httpx.RemoteProtocolError):
            await client.get(f"{SHOPLINE}/orders.json", headers=SHOPLINE_AUTH)
        assert clock.now() - before == 3600  # the default: an hour of silence
        plan = (await client.get("/_mock/faults")).json()
        assert plan["counts"]["hang"] == 1 and plan["in_flight"] == 0

    run("shopline", scenario)


def test_a_client_that_gives_up_ends_the_hang() -> None:
    clock = VirtualClock(autojump=False)  # time stands still: only the client's patience ends it

    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "hang"})
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH), 0.05)
        assert app.state.fault_plan.in_flight == 0

    run("shopify", scenario, clock=clock)


# -- outages -------------------------------------------------------------------------------------


def test_outage_takes_down_api_and_storefront_but_not_the_control_routes() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "outage", "start": 5, "end": 65})
        clock.advance(5)
        assert (await client.post("/_sim/checkout", json=CHECKOUT)).status_code == 503
        r = await client.get(f"{SHOPLINE}/orders.json", headers=SHOPLINE_AUTH)
        assert (r.status_code, r.json()) == (503, {"errors": "Service Unavailable"})
        assert (await client.get("/_mock/state")).status_code == 200
        clock.advance(60)
        assert (await client.post("/_sim/checkout", json=CHECKOUT)).status_code == 201

    run("shopline", scenario)


def test_admin_down_keeps_checkout_selling_and_webhooks_queued() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        sub = {"webhook": {"topic": "orders/create", "address": "http://engine.test/hooks"}}
        r = await client.post(f"{SHOPIFY}/webhooks.json", json=sub, headers=SHOPIFY_AUTH)
        assert r.status_code == 201
        await install(client, {"kind": "admin_down", "start": 60, "end": 3 * 3600})
        clock.advance(60)
        for _ in range(3):
            assert (await client.post("/_sim/checkout", json=CHECKOUT)).status_code == 201
            r = await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
            assert r.status_code == 503
        stats = (await client.get("/_mock/stats")).json()
        assert stats["checkouts"]["accepted"] == 3 and stats["webhooks"]["queued"] == 3
        assert stats["faults"]["admin_down"] == 3
        clock.advance(3 * 3600)
        r = await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
        assert len(r.json()["orders"]) == 3  # nothing was lost while the admin was down

    run("shopify", scenario)


# -- credentials ---------------------------------------------------------------------------------


def test_revoke_token_on_shopline_kills_the_token_and_rotation_gives_a_working_one() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "revoke_token", "start": 30})
        assert (
            await client.get(f"{SHOPLINE}/orders.json", headers=SHOPLINE_AUTH)
        ).status_code == 200
        clock.advance(30)
        r = await client.get(f"{SHOPLINE}/orders.json", headers=SHOPLINE_AUTH)
        assert (r.status_code, r.json()) == (401, {"errors": "Invalid access token"})
        fresh = (await client.post("/_mock/token", json={})).json()["access_token"]
        auth = {"Authorization": f"Bearer {fresh}"}
        assert (await client.get(f"{SHOPLINE}/orders.json", headers=auth)).status_code == 200
        clock.advance(3600)
        assert (await client.get(f"{SHOPLINE}/orders.json", headers=auth)).status_code == 200
        assert (await client.get("/_mock/faults")).json()["counts"]["revoke_token"] == 1

    run("shopline", scenario)


def test_revoke_token_falls_back_to_401_for_the_window_where_tokens_cannot_be_revoked() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        await install(client, {"kind": "revoke_token", "start": 10, "end": 70})
        clock.advance(10)
        r = await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
        assert r.status_code == 401
        assert r.json()["errors"].startswith("[API] Invalid API key or access token")
        clock.advance(60)
        assert (await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)).status_code == 200

    run("shopify", scenario)


# -- webhooks ------------------------------------------------------------------------------------


def test_webhook_rates_are_overridden_only_inside_the_window() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        sub = {"webhook": {"topic": "orders/create", "address": "http://engine.test/hooks"}}
        await client.post(f"{SHOPIFY}/webhooks.json", json=sub, headers=SHOPIFY_AUTH)
        await install(client, {"kind": "webhook", "drop_rate": 1.0, "start": 100, "end": 200})
        outbox = app.state.outbox
        dropped = []
        for _ in range(3):  # before, inside, after
            await client.post("/_sim/checkout", json=CHECKOUT)
            dropped.append(outbox.counters().dropped)
            clock.advance(100)
        assert dropped == [0, 1, 1]
        assert outbox.drop_rate == 0.0  # the outbox's own setting is untouched

    run("shopify", scenario)


# -- control routes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "status", "needle"),
    [
        (b"{not json", 400, "malformed_json"),
        (b"[1, 2]", 400, "must be an object"),
        (b"{}", 422, "rules: is required"),
        (b'{"rules": [], "seed": 3}', 422, "unknown key(s) ['seed']"),
        (b'{"rules": {"kind": "reset"}}', 422, "rules: must be a list"),
        (
            b'{"rules": [{"kind": "reset"}, {"kind": "latency", "seconds": -1}]}',
            422,
            "rules[1].seconds: Input should be greater than or equal to 0",
        ),
    ],
)
def test_bad_plans_are_refused_with_what_and_where_and_change_nothing(
    body: bytes, status: int, needle: str
) -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        kept = await install(client, {"kind": "error", "statuses": [500], "start": 600})
        for method in ("PUT", "POST"):
            r = await client.request(method, "/_mock/faults", content=body)
            assert r.status_code == status and needle in r.text
        assert (await client.get("/_mock/faults")).json()["rules"] == kept["rules"]

    run("shopify", scenario)


def test_get_shows_a_plan_that_can_be_put_back_and_reset_clears_it() -> None:
    async def scenario(client: httpx.AsyncClient, app: FastAPI, clock: VirtualClock) -> None:
        shown = await install(client, {"kind": "error", "statuses": [500], "start": 10, "end": 20})
        assert (shown["installed_at"], shown["now"], shown["active"]) == (clock.now(),) * 2 + ([],)
        assert shown["windows"][0]["starts_at"] == clock.now() + 10
        clock.advance(10)
        await client.get(f"{SHOPIFY}/orders.json", headers=SHOPIFY_AUTH)
        again = await install(client, *shown["rules"])
        assert again["rules"] == shown["rules"] and again["counts"]["error"] == 1
        appended = await client.post("/_mock/faults", json={"rules": [{"kind": "reset"}]})
        assert [w["rule"] for w in appended.json()["windows"]] == [0, 1]
        assert (await client.post("/_mock/reset")).status_code == 200
        cleared = (await client.get("/_mock/faults")).json()
        assert (cleared["rules"], cleared["injected"], cleared["log"]) == ([], 0, [])

    run("shopify", scenario)


def test_installing_again_adds_rules_to_the_one_plan() -> None:
    clock = VirtualClock()
    app = create_shopline(clock=clock, seed=1, settings={"faults": [{"status": 436}]})
    middleware = len(app.user_middleware)
    plan = install_fault_plan(app, clock=clock, seed=1, rules=[{"kind": "reset"}])
    assert plan is app.state.fault_plan and len(app.user_middleware) == middleware
    assert [r.kind for r in plan.rules] == ["error", "reset"]  # the setting's rule stays
    assert install_fault_plan(app, clock=clock, seed=1) is plan and len(plan.rules) == 2
