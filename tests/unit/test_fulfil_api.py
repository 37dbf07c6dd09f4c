"""The Fulfil mock in-process: fault hooks, key revocation, shipments, lines, the worker."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from fastapi import FastAPI

from mocks.common.webhooks import WebhookOutbox
from mocks.fulfil.api import create_app
from simclock import VirtualClock

KEY = "unit-key"
H = {"x-api-key": KEY}
M = "/api/v2/model"
TEE: dict[str, Any] = {"code": "SKU1", "name": "Tee", "list_price": "10.00", "stock": {"MAIN": 1}}
SEED: dict[str, Any] = {
    "warehouses": [{"name": "Main", "code": "MAIN"}],
    "products": [TEE],
    "parties": [{"name": "Ada", "email": "ada@example.com"}],
}


def make(**settings: Any) -> tuple[FastAPI, VirtualClock]:
    clock = VirtualClock(1_800_000_000.0, autojump=False)
    app = create_app(settings=settings, clock=clock, credentials={"api_key": KEY}, seed=7)
    return app, clock


def run(
    app: FastAPI, calls: list[tuple[str, str, Any]], headers: dict[str, str] = H
) -> list[httpx.Response]:
    async def go() -> list[httpx.Response]:
        out = []
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://fulfil.test") as c:
            for method, path, body in calls:
                out.append(await c.request(method, path, json=body, headers=headers))
        return out

    return asyncio.run(go())


def one(
    app: FastAPI, method: str, path: str, body: Any = None, headers: dict[str, str] = H
) -> httpx.Response:
    return run(app, [(method, path, body)], headers)[0]


def order(app: FastAPI, quantity: int = 1, ident: str = "1") -> int:
    sale = {
        "party": 1,
        "channel_identifier": ident,
        "lines": [{"product": "SKU1", "quantity": quantity}],
    }
    (sale_id,) = one(app, "PUT", f"{M}/sale.sale/create", [[sale]]).json()
    for button in ("quote", "confirm", "process"):
        assert one(app, "PUT", f"{M}/sale.sale/{button}", [[sale_id]]).status_code == 200
    return int(sale_id)


def shipments(app: FastAPI) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = one(app, "GET", "/_mock/state").json()["shipments"]
    return rows


def test_render_fault_speaks_fulfil_for_each_status() -> None:
    app, _ = make()
    render = app.state.render_fault
    for status in (500, 502, 503, 504):
        response = render(status, "boom")
        assert response.status_code == status
        sentry = response.headers["X-Sentry-ID"]
        assert len(sentry) == 32 and int(sentry, 16) >= 0
        assert b'"type":"ServerError"' in response.body and b'"message":"boom"' in response.body
    throttled = render(429, "slow down")
    assert throttled.status_code == 429 and throttled.headers["Retry-After"] == "1"
    assert b'"type":"RateLimitError"' in throttled.body
    assert b'"type":"AuthenticationError"' in render(401, "").body
    assert isinstance(app.state.outbox, WebhookOutbox)


def test_revoked_key_is_401_until_a_new_key_is_issued_and_reset_restores() -> None:
    app, _ = make()
    assert one(app, "GET", f"{M}/product.product").status_code == 200
    app.state.revoke_credentials()
    assert one(app, "GET", f"{M}/product.product").status_code == 401
    issued = one(app, "POST", "/_mock/api-keys", {}).json()["api_key"]
    assert one(app, "GET", f"{M}/product.product", headers={"x-api-key": issued}).status_code == 200
    assert one(app, "GET", f"{M}/product.product").status_code == 401
    one(app, "POST", "/_mock/reset")
    assert one(app, "GET", f"{M}/product.product").status_code == 200


def test_waiting_shipments_are_assigned_oldest_first_when_stock_arrives() -> None:
    app, clock = make()
    one(app, "POST", "/_mock/seed", SEED)
    first, second = order(app, 2, "a"), order(app, 1, "b")
    clock.advance(60)
    # 1 unit on hand: the newer 1-unit shipment fits, the older 2-unit one waits.
    assert [s["state"] for s in shipments(app)] == ["waiting", "assigned"]
    receipt = {"sku": "SKU1", "location_id": 1, "delta": 1, "reason": "receipt"}
    assert one(app, "POST", "/_sim/stock-movement", receipt).status_code == 200
    assert [s["state"] for s in shipments(app)] == ["waiting", "assigned"]  # 2 on hand, 1 taken
    one(app, "POST", "/_sim/stock-movement", receipt)
    assert [s["state"] for s in shipments(app)] == ["assigned", "assigned"]
    assert shipments(app)[0]["assigned_ts"] == clock.now()
    assert (first, second) == (1, 2)


def test_cancelling_a_processing_sale_frees_its_assigned_stock_for_a_waiting_one() -> None:
    app, clock = make()
    one(app, "POST", "/_mock/seed", SEED)
    first, _second = order(app, 1, "a"), order(app, 1, "b")
    clock.advance(60)
    assert [s["state"] for s in shipments(app)] == ["assigned", "waiting"]
    assert one(app, "PUT", f"{M}/sale.sale/cancel", [[first]]).status_code == 200
    assert [s["state"] for s in shipments(app)] == ["cancel", "assigned"]
    (product,) = one(app, "GET", "/_mock/state").json()["products"]
    assert (product["on_hand"], product["reserved"], product["available"]) == (1, 1, 0)


def test_packed_shipment_blocks_cancel() -> None:
    app, clock = make()
    one(app, "POST", "/_mock/seed", SEED)
    sale = order(app)
    clock.advance(360)
    r = one(app, "PUT", f"{M}/sale.sale/cancel", [[sale]])
    assert r.status_code == 400 and "packed" in r.json()["message"]


def test_allow_negative_stock_assigns_without_stock() -> None:
    app, clock = make(allow_negative_stock=True, assign_after_seconds=0, pack_after_seconds=0)
    one(app, "POST", "/_mock/seed", SEED)
    order(app, 5)
    assert [s["state"] for s in shipments(app)] == ["packed"]
    clock.advance(600)
    (product,) = one(app, "GET", "/_mock/state").json()["products"]
    assert product["on_hand"] == -4


def test_carriers_and_tracking_numbers_are_seeded() -> None:
    def tracking() -> list[str]:
        app, clock = make()
        one(
            app,
            "POST",
            "/_mock/seed",
            {**SEED, "products": [{**TEE, "stock": {"MAIN": 9}}]},
        )
        for i in range(3):
            order(app, 1, str(i))
        clock.advance(1000)
        return [f"{s['carrier']}:{s['tracking_number']}" for s in shipments(app)]

    assert tracking() == tracking()


def test_lines_change_only_in_draft_payment_fields_always() -> None:
    app, _ = make()
    one(app, "POST", "/_mock/seed", SEED)
    (sale,) = one(app, "PUT", f"{M}/sale.sale/create", [[{"party": 1}]]).json()
    line = {"sale": sale, "product": 1, "quantity": 2, "unit_price": "7.125"}
    (line_id,) = one(app, "PUT", f"{M}/sale.line/create", [[line]]).json()
    row = one(app, "GET", f"{M}/sale.line/{line_id}").json()
    assert row["amount"] == {"__class__": "Decimal", "decimal": "14.25"}  # half-up to cents
    assert one(app, "PUT", f"{M}/sale.line/write", [[line_id], {"quantity": 3}]).status_code == 200
    one(app, "PUT", f"{M}/sale.sale/quote", [[sale]])
    refused = one(app, "PUT", f"{M}/sale.line/write", [[line_id], {"quantity": 4}])
    assert refused.status_code == 400 and "draft" in refused.json()["message"]
    refused = one(app, "PUT", f"{M}/sale.sale/write", [[sale], {"party": 1}])
    assert refused.status_code == 400
    fee = {"payment_transaction_id": "ch_1", "payment_fees": "0.45"}
    assert one(app, "PUT", f"{M}/sale.sale/write", [[sale], fee]).status_code == 200
    assert one(app, "PUT", f"{M}/sale.sale/delete", [[sale]]).status_code == 400
    one(app, "PUT", f"{M}/sale.sale/cancel", [[sale]])
    assert one(app, "PUT", f"{M}/sale.sale/delete", [[sale]]).status_code == 200
    assert one(app, "PUT", f"{M}/sale.line/search_count", [[]]).json() == 0


def test_get_product_inventory_per_warehouse() -> None:
    app, _ = make()
    one(app, "POST", "/_mock/seed", SEED)
    order(app, 1)
    r = one(app, "PUT", f"{M}/product.product/get_product_inventory", [[1], [1]])
    assert r.json() == {"1": {"1": {"quantity_on_hand": 1, "quantity_available": 0}}}
    assert (
        one(app, "PUT", f"{M}/product.product/get_product_inventory", [[1], [9]]).status_code == 400
    )


def test_settings_subscriptions_survive_reset_api_ones_do_not() -> None:
    app, _ = make(webhooks=[{"event": "*", "url": "http://127.0.0.1:9/hooks"}])
    one(app, "POST", "/_mock/webhooks", {"event": "sale.sale.done", "url": "http://127.0.0.1:9/x"})
    assert len(one(app, "GET", "/_mock/webhooks").json()["webhooks"]) == 2
    bad = one(app, "POST", "/_mock/webhooks", {"event": "sale.made", "url": "http://x"})
    assert bad.status_code == 422
    one(app, "POST", "/_mock/reset")
    (sub,) = one(app, "GET", "/_mock/webhooks").json()["webhooks"]
    assert sub["source"] == "settings"
    one(app, "POST", "/_mock/seed", SEED)
    order(app)
    stats = one(app, "GET", "/_mock/stats").json()
    assert stats["webhooks"]["queued"] >= 4  # created, confirmed, stock_changed, processing
    assert stats["by_method"]["sale.sale.confirm"] == 1


def test_clock_worker_moves_shipments_without_any_request() -> None:
    app, clock = make()
    one(app, "POST", "/_mock/seed", SEED)
    order(app)
    model = app.state.model

    async def go() -> list[str]:
        seen = []
        async with app.router.lifespan_context(app):
            for step in (60, 300, 600):
                clock.advance(step)
                for _ in range(5):
                    await asyncio.sleep(0)
                seen.append(str(model.shipments[1].state))
        return seen

    assert asyncio.run(go()) == ["assigned", "packed", "done"]


def test_an_unexpected_crash_still_answers_like_fulfil_with_a_sentry_id() -> None:
    app, _ = make()

    def boom(*args: Any) -> Any:
        raise RuntimeError("bug")

    app.state.model.find = boom

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://fulfil.test") as c:
            return await c.get(f"{M}/product.product", headers=H)

    response = asyncio.run(go())
    assert response.status_code == 500 and response.json()["type"] == "ServerError"
    assert len(response.headers["X-Sentry-ID"]) == 32
