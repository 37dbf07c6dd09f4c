"""ERP (NetSuite-style) contract: the same tests in-process and against a live server."""

from __future__ import annotations

from tests.contract.conftest import Target

REC = "/services/rest/record/v1"


def seed(target: Target) -> None:
    target.request(
        "POST",
        "/_mock/seed",
        json={
            "locations": [{"id": "1", "name": "WH"}],
            "items": [{"sku": "A", "on_hand": {"1": 5}}, {"sku": "B", "on_hand": {"1": 1}}],
        },
    ).raise_for_status()


def auth(target: Target) -> dict[str, str]:
    return {"Authorization": f"Bearer {target.credentials['access_token']}"}


def sales_order(eid: str, qty: int = 2) -> dict[str, object]:
    return {
        "externalId": eid,
        "custbody_rh_channel": "shopify",
        "custbody_rh_channel_order_id": eid.split("-")[-1],
        "entity": {"externalId": "a@example.com"},
        "location": {"id": "1"},
        "item": {
            "items": [
                {
                    "item": {"externalId": "B"},
                    "quantity": qty,
                    "rate": "10.00",
                    "amount": f"{10 * qty}.00",
                    "taxAmount": "1.60",
                }
            ]
        },
        "discountTotal": "0.00",
        "taxTotal": "1.60",
        "shippingCost": "5.00",
    }


def test_record_api_needs_the_token(erp: Target) -> None:
    r = erp.request("GET", f"{REC}/inventoryItem")
    assert r.status_code == 401
    assert r.json()["o:errorDetails"][0]["o:errorCode"] == "INVALID_LOGIN"


def test_upsert_by_external_id_is_idempotent_and_allocates_once(erp: Target) -> None:
    seed(erp)
    for _ in range(3):
        r = erp.request(
            "PUT",
            f"{REC}/salesOrder/eid:shopify-1",
            headers=auth(erp),
            json=sales_order("shopify-1"),
        )
        assert r.status_code == 204 and "/salesOrder/" in r.headers["Location"]
    state = erp.request("GET", "/_mock/state").json()
    (so,) = state["sales_orders"]
    assert so["total"] == "26.60"
    (line,) = so["lines"]
    assert (line["committed"], line["backordered"]) == (1, 1)  # 1 on hand: 1 unit oversold


def test_unknown_item_is_a_user_error_and_nothing_is_stored(erp: Target) -> None:
    seed(erp)
    body = sales_order("shopify-2")
    body["item"]["items"][0]["item"] = {"externalId": "NOPE"}  # type: ignore[index]
    r = erp.request("PUT", f"{REC}/salesOrder/eid:shopify-2", headers=auth(erp), json=body)
    assert r.status_code == 400
    detail = r.json()["o:errorDetails"][0]
    assert detail["o:errorCode"] == "USER_ERROR" and "NOPE" in detail["detail"]
    assert erp.request("GET", "/_mock/state").json()["sales_orders"] == []


def test_inventory_changes_are_found_by_last_modified(erp: Target) -> None:
    seed(erp)
    erp.advance(60)
    erp.request(
        "PUT",
        f"{REC}/salesOrder/eid:shopify-3",
        headers=auth(erp),
        json=sales_order("shopify-3", qty=1),
    ).raise_for_status()
    everything = erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp)).json()
    assert everything["totalResults"] == 2
    last = max(i["lastModifiedDate"] for i in everything["items"])
    changed = erp.request(
        "GET",
        f"{REC}/inventoryItem",
        headers=auth(erp),
        params={"q": f'lastModifiedDate ON_OR_AFTER "{last}"'},
    ).json()
    assert [i["itemId"] for i in changed["items"]] == ["B"]
    (loc,) = changed["items"][0]["locations"]["items"]
    assert (loc["quantityOnHand"], loc["quantityAvailable"]) == (1, 0)
