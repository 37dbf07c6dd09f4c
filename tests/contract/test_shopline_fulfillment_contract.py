"""SHOPLINE fulfilments over the wire, in-process and against a live server.

``GET``/``POST /admin/openapi/{version}/orders/{id}/fulfillments.json``: partial then complete
shipping moves the order's ``fulfillment_status`` and ``updated_at``; over-fulfilment, a
cancelled order, a foreign line item and malformed bodies are refused in SHOPLINE's
``{"errors": "..."}`` shape with nothing written; ``orders/fulfilled`` is queued only when
the last unit ships.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.contract.conftest import Target

V = "/admin/openapi/v20250301"
OLD = "/admin/openapi/v20230901"
DEAD_HOOK = "http://127.0.0.1:9/hooks"  # nothing listens: deliveries fail, queueing is counted


def auth(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.credentials['access_token']}"}


def place_order(target: Target) -> dict[str, Any]:
    """A seeded store and one order: 2 x TEE and 1 x CAP, at the only location."""
    target.request(
        "POST",
        "/_mock/seed",
        json={
            "locations": [{"name": "WH"}],
            "products": [
                {"sku": "TEE", "title": "Tee", "price": "19.99", "inventory": {"WH": 20}},
                {"sku": "CAP", "title": "Cap", "price": "7.35", "inventory": {"WH": 5}},
            ],
        },
    ).raise_for_status()
    r = target.request(
        "POST",
        "/_sim/checkout",
        json={"lines": [{"sku": "TEE", "quantity": 2}, {"sku": "CAP", "quantity": 1}]},
    )
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()["order"]
    return order


def fulfil(target: Target, order_id: str, body: dict[str, Any], version: str = V) -> Any:
    return target.request(
        "POST",
        f"{version}/orders/{order_id}/fulfillments.json",
        headers=auth(target),
        json={"fulfillment": body},
    )


def get_order(target: Target, order_id: str) -> dict[str, Any]:
    r = target.request("GET", f"{V}/orders/{order_id}.json", headers=auth(target))
    assert r.status_code == 200, r.text
    order: dict[str, Any] = r.json()["order"]
    return order


def listed(target: Target, order_id: str) -> list[dict[str, Any]]:
    r = target.request("GET", f"{V}/orders/{order_id}/fulfillments.json", headers=auth(target))
    assert r.status_code == 200, r.text
    fulfillments: list[dict[str, Any]] = r.json()["fulfillments"]
    return fulfillments


def queued_webhooks(target: Target) -> int:
    return int(target.request("GET", "/_mock/stats").json()["webhooks"]["queued"])


def test_partial_then_rest_moves_fulfillment_status_and_updated_at(shopline: Target) -> None:
    order = place_order(shopline)
    oid, (tee, cap) = order["id"], order["line_items"]
    assert order["fulfillment_status"] == "unshipped"
    shopline.advance(5)
    r = fulfil(
        shopline,
        oid,
        {
            "line_items": [{"id": tee["id"], "quantity": 1}],
            "tracking_number": "SF100",
            "tracking_company": "SF Express",
            "notify_customer": False,
        },
    )
    assert r.status_code == 200, r.text
    first = r.json()["fulfillment"]
    assert isinstance(first["id"], str) and first["order_id"] == oid
    assert (first["tracking_number"], first["tracking_company"]) == ("SF100", "SF Express")
    (line,) = first["line_items"]
    assert (line["id"], line["sku"], line["quantity"]) == (tee["id"], "TEE", 1)
    assert (line["fulfillable_quantity"], line["fulfillment_status"]) == (1, "partial")
    partial = get_order(shopline, oid)
    assert partial["fulfillment_status"] == "partial"
    assert partial["updated_at"] > order["updated_at"]

    r = fulfil(shopline, oid, {"tracking_number": "SF101", "tracking_company": "SF Express"})
    assert r.status_code == 200, r.text  # no line_items: every unit still unshipped
    rest = {li["sku"]: li["quantity"] for li in r.json()["fulfillment"]["line_items"]}
    assert rest == {"TEE": 1, "CAP": 1}
    assert get_order(shopline, oid)["fulfillment_status"] == "shipped"
    assert [f["tracking_number"] for f in listed(shopline, oid)] == ["SF100", "SF101"]
    shipped = shopline.request(
        "GET", f"{V}/orders.json?status=any&fulfillment_status=shipped", headers=auth(shopline)
    )
    assert [o["id"] for o in shipped.json()["orders"]] == [oid]
    (state,) = shopline.request("GET", "/_mock/state").json()["orders"]
    assert [f["id"] for f in state["fulfillments"]] == [f["id"] for f in listed(shopline, oid)]
    assert cap["id"] in {li["id"] for f in state["fulfillments"] for li in f["line_items"]}


def test_over_fulfilment_is_a_422_and_writes_nothing(shopline: Target) -> None:
    order = place_order(shopline)
    oid, tee = order["id"], order["line_items"][0]
    r = fulfil(shopline, oid, {"line_items": [{"id": tee["id"], "quantity": 3}]})
    assert r.status_code == 422 and isinstance(r.json()["errors"], str)
    assert "exceeds" in r.json()["errors"]
    assert fulfil(shopline, oid, {"line_items": [{"id": tee["id"], "quantity": 2}]}).is_success
    again = fulfil(shopline, oid, {"line_items": [{"id": tee["id"], "quantity": 1}]})
    assert again.status_code == 422  # the line has nothing left
    assert len(listed(shopline, oid)) == 1
    assert get_order(shopline, oid)["fulfillment_status"] == "partial"


def test_a_cancelled_order_cannot_be_fulfilled(shopline: Target) -> None:
    order = place_order(shopline)
    oid = order["id"]
    r = shopline.request("POST", f"/_sim/orders/{oid}/cancel")
    assert r.status_code == 200, r.text
    assert r.json()["order"]["status"] == "cancelled" and r.json()["order"]["cancelled_at"]
    refused = fulfil(shopline, oid, {"tracking_number": "SF1"})
    assert refused.status_code == 422 and "cancelled" in refused.json()["errors"]
    assert listed(shopline, oid) == []
    assert get_order(shopline, oid)["fulfillment_status"] == "unshipped"
    assert shopline.request("POST", f"/_sim/orders/{oid}/cancel").status_code == 409
    levels = shopline.request("GET", "/_mock/state").json()["inventory_levels"]
    assert {lv["sku"]: lv["available"] for lv in levels} == {"TEE": 20, "CAP": 5}  # restocked


def test_a_shipped_order_cannot_be_cancelled(shopline: Target) -> None:
    oid = place_order(shopline)["id"]
    assert fulfil(shopline, oid, {"tracking_number": "SF1"}).is_success
    r = shopline.request("POST", f"/_sim/orders/{oid}/cancel")
    assert r.status_code == 409 and r.json()["error"] == "order_not_cancellable"
    assert get_order(shopline, oid)["status"] == "open"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"line_items": [{"id": "2200000000000009999", "quantity": 1}]}, 422),
        ({"line_items": [{"id": "x", "quantity": 1}]}, 400),
        ({"line_items": [{"id": "{tee}", "quantity": 0}]}, 400),
        ({"line_items": []}, 400),
        ({"notify_customer": "yes"}, 400),
        ({"tracking_info_list": [{"tracking_number": str(n)} for n in range(11)]}, 400),
    ],
)
def test_bad_fulfilment_bodies_are_refused_in_shopline_shape(
    shopline: Target, body: dict[str, Any], status: int
) -> None:
    order = place_order(shopline)
    tee = order["line_items"][0]["id"]
    lines = [{**li, "id": li["id"].replace("{tee}", tee)} for li in body.get("line_items", [])]
    r = fulfil(shopline, order["id"], {**body, **({"line_items": lines} if lines else {})})
    assert r.status_code == status and isinstance(r.json()["errors"], str), r.text
    assert listed(shopline, order["id"]) == []


def test_unknown_order_and_missing_fulfillment_object(shopline: Target) -> None:
    oid = place_order(shopline)["id"]
    for method in ("GET", "POST"):
        r = shopline.request(
            method,
            f"{V}/orders/2100000000000009999/fulfillments.json",
            headers=auth(shopline),
            json={"fulfillment": {"tracking_number": "SF1"}} if method == "POST" else None,
        )
        assert r.status_code == 404 and r.json() == {"errors": "The order does not exist."}
    r = shopline.request(
        "POST", f"{V}/orders/{oid}/fulfillments.json", headers=auth(shopline), json={}
    )
    assert r.status_code == 400 and "fulfillment" in r.json()["errors"]
    unauthenticated = shopline.request("GET", f"{V}/orders/{oid}/fulfillments.json")
    assert unauthenticated.status_code == 401


def test_tracking_info_list_replaces_the_single_fields_and_old_versions_say_update_at(
    shopline: Target,
) -> None:
    oid = place_order(shopline)["id"]
    body = {
        "tracking_number": "IGNORED",
        "tracking_info_list": [
            {"tracking_number": "YT1", "tracking_company": "YunExpress"},
            {"tracking_number": "YT2", "tracking_company": "YunExpress"},
        ],
    }
    r = fulfil(shopline, oid, body, version=OLD)
    assert r.status_code == 200, r.text
    created = r.json()["fulfillment"]
    assert created["tracking_numbers"] == ["YT1", "YT2"] and created["tracking_number"] == "YT1"
    assert "update_at" in created and "updated_at" not in created
    assert "updated_at" in listed(shopline, oid)[0]


def test_orders_fulfilled_is_queued_only_when_the_last_unit_ships(shopline: Target) -> None:
    order = place_order(shopline)
    oid, tee = order["id"], order["line_items"][0]
    r = shopline.request(
        "POST",
        f"{V}/webhooks.json",
        headers=auth(shopline),
        json={"webhook": {"topic": "orders/fulfilled", "address": DEAD_HOOK}},
    )
    assert r.status_code == 201, r.text
    before = queued_webhooks(shopline)
    assert fulfil(shopline, oid, {"line_items": [{"id": tee["id"], "quantity": 1}]}).is_success
    assert queued_webhooks(shopline) == before
    assert fulfil(shopline, oid, {"tracking_number": "SF9"}).is_success
    assert queued_webhooks(shopline) == before + 1
