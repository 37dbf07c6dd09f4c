"""Shopware 6 order deliveries: tracking codes and the delivery state machine, in both modes.

What a fulfilment push relies on: ``PATCH /api/order-delivery/{id}`` stores the tracking codes
as sent, ``POST /api/_action/order_delivery/{id}/state/{transition}`` follows Shopware's
``order_delivery.state`` machine and refuses what it does not allow, and each write sends an
ids-only ``order_delivery.written`` without touching the order's own ``updatedAt``.
"""

from __future__ import annotations

from typing import Any

from tests.contract.conftest import Target
from tests.contract.test_shopware_contract import auth, checkout, seed

UNREACHABLE = "http://127.0.0.1:9/hooks"
"""Deliveries to it stay queued: the test reads them from ``/_mock/webhooks/deliveries``."""


def placed(target: Target) -> tuple[dict[str, Any], str, dict[str, str]]:
    seed(target)
    order = checkout(target, lines=[{"productNumber": "TEE", "quantity": 1}])
    return order, str(order["deliveries"][0]["id"]), auth(target)


def delivery(target: Target, delivery_id: str, headers: dict[str, str]) -> dict[str, Any]:
    r = target.request("GET", f"/api/order-delivery/{delivery_id}", headers=headers)
    assert r.status_code == 200, r.text
    data: dict[str, Any] = r.json()["data"]
    return data


def test_tracking_codes_are_written_as_sent_and_read_back(shopware: Target) -> None:
    order, did, headers = placed(shopware)
    assert order["deliveries"][0]["trackingCodes"] == []
    r = shopware.request(
        "PATCH",
        f"/api/order-delivery/{did}",
        headers=headers,
        json={"trackingCodes": ["1Z999", "1Z998"], "shippingDateEarliest": "2026-01-01"},
    )
    assert r.status_code == 204 and r.headers["Location"].endswith(f"/api/order-delivery/{did}")
    assert delivery(shopware, did, headers)["trackingCodes"] == ["1Z999", "1Z998"]
    found = shopware.request(
        "POST",
        "/api/search/order",
        headers=headers,
        json={"ids": [order["id"]], "associations": {"deliveries": {}}},
    ).json()["data"]
    assert found[0]["deliveries"][0]["trackingCodes"] == ["1Z999", "1Z998"]
    assert found[0]["updatedAt"] == order["updatedAt"]  # only the delivery row was written
    # snake_case path and ?_response=detail, as Shopware accepts both
    r = shopware.request(
        "PATCH",
        f"/api/order_delivery/{did}?_response=detail",
        headers=headers,
        json={"trackingCodes": None},
    )
    assert r.status_code == 200 and r.json()["data"]["trackingCodes"] == []


def test_bad_tracking_codes_are_refused_with_pointers_and_change_nothing(shopware: Target) -> None:
    _, did, headers = placed(shopware)
    path = f"/api/order-delivery/{did}"
    r = shopware.request("PATCH", path, headers=headers, json={"trackingCodes": "1Z999"})
    assert r.status_code == 400
    (error,) = r.json()["errors"]
    assert error["code"] == "FRAMEWORK__WRITE_CONSTRAINT_VIOLATION" and error["status"] == "400"
    assert error["source"]["pointer"] == "/trackingCodes"
    r = shopware.request("PATCH", path, headers=headers, json={"trackingCodes": ["ok", 7]})
    assert [e["source"]["pointer"] for e in r.json()["errors"]] == ["/trackingCodes/1"]
    assert delivery(shopware, did, headers)["trackingCodes"] == []
    missing = shopware.request("PATCH", f"/api/order-delivery/{'0' * 32}", headers=headers, json={})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "FRAMEWORK__RESOURCE_NOT_FOUND"
    assert shopware.request("PATCH", path, json={"trackingCodes": []}).status_code == 401


def test_delivery_ships_returns_reopens_and_refuses_what_the_machine_lacks(
    shopware: Target,
) -> None:
    _, did, headers = placed(shopware)
    base = f"/api/_action/order_delivery/{did}/state"

    def move(transition: str) -> Any:
        return shopware.request("POST", f"{base}/{transition}", headers=headers)

    r = move("ship")
    assert r.status_code == 200
    shipped = r.json()["data"]
    assert (shipped["technicalName"], shipped["name"]) == ("shipped", "Shipped")
    now = delivery(shopware, did, headers)
    assert now["stateMachineState"]["technicalName"] == "shipped"
    assert now["stateId"] == shipped["id"]
    again = move("ship")  # a second ship is refused, naming what is possible
    assert again.status_code == 400
    error = again.json()["errors"][0]
    assert error["code"] == "SYSTEM__ILLEGAL_STATE_TRANSITION"
    assert error["meta"]["parameters"]["possibleTransitions"] == [
        "cancel",
        "reopen",
        "retour",
        "retour_partially",
    ]
    assert move("retour").json()["data"]["technicalName"] == "returned"
    assert move("cancel").status_code == 400
    assert move("reopen").json()["data"]["technicalName"] == "open"
    assert move("ship_partially").json()["data"]["technicalName"] == "shipped_partially"
    assert move("ship").json()["data"]["technicalName"] == "shipped"
    assert move("cancel").json()["data"]["technicalName"] == "cancelled"
    assert move("bogus").status_code == 400
    missing = shopware.request(
        "POST", f"/api/_action/order_delivery/{'0' * 32}/state/ship", headers=headers
    )
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["code"] == "FRAMEWORK__ENTITY_NOT_FOUND"


def test_delivery_writes_send_ids_only_order_delivery_written(shopware: Target) -> None:
    _, did, headers = placed(shopware)
    for event in ("order_delivery.written", "order.written"):
        sub = shopware.request("POST", "/_mock/webhooks", json={"event": event, "url": UNREACHABLE})
        assert sub.status_code == 201
    path = f"/api/order-delivery/{did}"
    shopware.request("PATCH", path, headers=headers, json={"trackingCodes": ["1Z9"]})
    shopware.request("POST", f"/api/_action/order_delivery/{did}/state/ship", headers=headers)
    listed = shopware.request("GET", "/_mock/webhooks/deliveries").json()["deliveries"]
    assert [d["event"] for d in listed] == ["order_delivery.written", "order_delivery.written"]


def test_a_draft_carries_tracking_codes_and_a_merge_keeps_the_live_delivery_state(
    shopware: Target,
) -> None:
    order, did, headers = placed(shopware)
    r = shopware.request("POST", f"/api/_action/version/order/{order['id']}", headers=headers)
    version = r.json()["versionId"]
    draft = {**headers, "sw-version-id": version}
    path = f"/api/order-delivery/{did}"
    r = shopware.request("PATCH", path, headers=draft, json={"trackingCodes": ["DRAFT-1"]})
    assert r.status_code == 204
    assert delivery(shopware, did, headers)["trackingCodes"] == []
    assert delivery(shopware, did, draft)["trackingCodes"] == ["DRAFT-1"]
    # Shipped while the draft is open: the merge must not take the delivery back to open.
    ship = f"/api/_action/order_delivery/{did}/state/ship"
    assert shopware.request("POST", ship, headers=headers).status_code == 200
    merge = f"/api/_action/version/merge/order/{version}"
    assert shopware.request("POST", merge, headers=headers).status_code == 204
    live = delivery(shopware, did, headers)
    assert live["trackingCodes"] == ["DRAFT-1"]
    assert live["stateMachineState"]["technicalName"] == "shipped"
    gone = {**headers, "sw-version-id": version}
    r = shopware.request("PATCH", path, headers=gone, json={"trackingCodes": []})
    assert r.status_code == 404
