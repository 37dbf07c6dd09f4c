"""ERP (NetSuite-style) contract: the same tests in-process and against a live server."""

from __future__ import annotations

from typing import Any

import httpx

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


# --------------------------------------------------------------------------- helpers
QL = "/services/rest/query/v1/suiteql"


def put_order(target: Target, eid: str, *lines: tuple[str, int, str], **header: object) -> str:
    """Upsert a sales order at location 1 and return its internal id."""
    body: dict[str, object] = {
        "entity": {"externalId": "a@example.com"},
        "location": {"id": "1"},
        "item": {
            "items": [
                {"item": {"externalId": sku}, "quantity": qty, "rate": rate}
                for sku, qty, rate in lines
            ]
        },
        **header,
    }
    r = target.request("PUT", f"{REC}/salesOrder/eid:{eid}", headers=auth(target), json=body)
    assert r.status_code == 204, r.text
    return r.headers["Location"].rsplit("/", 1)[1]


def error_of(response: httpx.Response) -> dict[str, str]:
    """The first ``o:errorDetails`` entry of a NetSuite error response."""
    body = response.json()
    assert body["status"] == response.status_code
    detail: dict[str, str] = body["o:errorDetails"][0]
    return detail


def level_of(target: Target, sku: str) -> dict[str, int]:
    """The SKU's quantities at location 1 from the REST record (not the control routes)."""
    r = target.request("GET", f"{REC}/inventoryItem/eid:{sku}", headers=auth(target))
    assert r.status_code == 200, r.text
    (loc,) = r.json()["locations"]["items"]
    return {
        k: loc[k]
        for k in (
            "quantityOnHand",
            "quantityCommitted",
            "quantityAvailable",
            "quantityBackOrdered",
        )
    }


def order_record(target: Target, so_id: str) -> dict[str, Any]:
    r = target.request("GET", f"{REC}/salesOrder/{so_id}", headers=auth(target))
    assert r.status_code == 200, r.text
    record: dict[str, Any] = r.json()
    return record


def fulfil(target: Target, so_id: str, body: dict[str, Any] | None = None) -> httpx.Response:
    return target.request(
        "POST",
        f"{REC}/salesOrder/{so_id}/!transform/itemFulfillment",
        headers=auth(target),
        json=body if body is not None else {},
    )


def suiteql(target: Target, q: str, **params: object) -> httpx.Response:
    headers = {**auth(target), "Prefer": "transient"}
    return target.request("POST", QL, headers=headers, params=params, json={"q": q})


def state(target: Target) -> dict[str, Any]:
    result: dict[str, Any] = target.request("GET", "/_mock/state").json()
    return result


# --------------------------------------------------------------------------- customers
def test_customers_upsert_create_get_and_duplicates_are_allowed_but_counted(erp: Target) -> None:
    h = auth(erp)
    first = erp.request(
        "PUT",
        f"{REC}/customer/eid:C-1",
        headers=h,
        json={"firstName": "Ada", "email": "ada@example.com", "phone": "(555) 010-0000"},
    )
    assert first.status_code == 204
    cid = first.headers["Location"].rsplit("/", 1)[1]
    again = erp.request("PUT", f"{REC}/customer/eid:C-1", headers=h, json={"lastName": "L"})
    assert again.headers["Location"] == first.headers["Location"]  # upsert, not a second one
    record = erp.request("GET", f"{REC}/customer/{cid}", headers=h).json()
    assert (record["externalId"], record["firstName"], record["lastName"]) == ("C-1", "Ada", "L")
    assert erp.request("GET", f"{REC}/customer/eid:C-1", headers=h).json()["id"] == cid
    # NetSuite does not stop a second customer with the same e-mail (other case) or phone.
    dup = erp.request("POST", f"{REC}/customer", headers=h, json={"email": "ADA@example.com "})
    assert dup.status_code == 204 and dup.headers["Location"] != first.headers["Location"]
    erp.request("POST", f"{REC}/customer", headers=h, json={"phone": "+1 555 010 0000"})
    taken = erp.request("POST", f"{REC}/customer", headers=h, json={"externalId": "C-1"})
    assert taken.status_code == 400 and error_of(taken)["o:errorCode"] == "DUP_RCRD"
    truth = state(erp)
    assert len(truth["customers"]) == 3
    assert truth["duplicate_customers"] == 2
    assert truth["duplicate_customer_groups"] == [[cid, str(int(cid) + 1), str(int(cid) + 2)]]


def test_customer_lookup_by_email_is_case_insensitive_and_by_phone_exact(erp: Target) -> None:
    h = auth(erp)
    for body in (
        {"email": "Bo@Example.com", "phone": "(555) 010-0000"},
        {"email": "other@example.com"},
    ):
        erp.request("POST", f"{REC}/customer", headers=h, json=body).raise_for_status()

    def ids(q: str) -> list[str]:
        r = erp.request("GET", f"{REC}/customer", headers=h, params={"q": q})
        assert r.status_code == 200, r.text
        page = r.json()
        assert page["count"] == len(page["items"]) == page["totalResults"]
        # Collection queries give ids and links only, as NetSuite's do.
        assert all(set(item) == {"links", "id"} for item in page["items"])
        return [item["id"] for item in page["items"]]

    assert ids('email IS "bo@example.com"') == ["501"]
    assert ids('phone IS "(555) 010-0000"') == ["501"]
    # Exact text match: a differently formatted number is not found (how duplicates are born).
    assert ids('phone IS "+1 555 010 0000"') == []
    assert ids('email IS "nobody@example.com" OR email IS "other@example.com"') == ["502"]
    assert ids('email START_WITH "bo" AND phone EMPTY_NOT') == ["501"]
    bad = erp.request("GET", f"{REC}/customer", headers=h, params={"q": "email = bo"})
    assert bad.status_code == 400 and error_of(bad)["o:errorCode"] == "INVALID_PARAMETER"
    via_sql = suiteql(erp, "SELECT id FROM customer WHERE LOWER(email) = 'bo@example.com'")
    assert via_sql.json()["items"] == [{"links": [], "id": "501"}]


def test_customer_fields_are_validated(erp: Target) -> None:
    h = auth(erp)
    bad_email = erp.request("POST", f"{REC}/customer", headers=h, json={"email": "no-at-sign"})
    assert bad_email.status_code == 400 and "email" in error_of(bad_email)["detail"]
    short = erp.request("POST", f"{REC}/customer", headers=h, json={"phone": "12-34"})
    assert short.status_code == 400 and "seven digits" in error_of(short)["detail"]
    assert state(erp)["customers"] == []


def test_sales_order_entity_by_internal_id_or_external_id(erp: Target) -> None:
    seed(erp)
    h = auth(erp)
    made = erp.request("POST", f"{REC}/customer", headers=h, json={"email": "c@example.com"})
    cid = made.headers["Location"].rsplit("/", 1)[1]
    so = put_order(erp, "shopify-e1", ("A", 1, "1.00"), entity={"id": cid})
    assert order_record(erp, so)["entity"] == {"id": cid, "externalId": None}
    unknown = erp.request(
        "PUT",
        f"{REC}/salesOrder/eid:shopify-e2",
        headers=h,
        json={**sales_order("shopify-e2"), "entity": {"id": "999"}},
    )
    assert unknown.status_code == 400
    assert error_of(unknown)["detail"] == "Invalid Field Value 999 for the following field: entity"
    put_order(erp, "shopify-e3", ("A", 1, "1.00"))  # entity.externalId: created on first use
    emails = [c["email"] for c in state(erp)["customers"]]
    assert emails == ["c@example.com", "a@example.com"]


# --------------------------------------------------------------------------- inventory
def test_inventory_item_record_by_id_and_external_id(erp: Target) -> None:
    seed(erp)
    put_order(erp, "shopify-i1", ("A", 2, "1.00"))
    h = auth(erp)
    by_eid = erp.request("GET", f"{REC}/inventoryItem/eid:A", headers=h).json()
    by_id = erp.request("GET", f"{REC}/inventoryItem/{by_eid['id']}", headers=h).json()
    assert by_id["itemId"] == "A" and by_id["locations"] == by_eid["locations"]
    assert level_of(erp, "A") == {
        "quantityOnHand": 5,
        "quantityCommitted": 2,
        "quantityAvailable": 3,
        "quantityBackOrdered": 0,
    }
    missing = erp.request("GET", f"{REC}/inventoryItem/9999", headers=h)
    assert missing.status_code == 404 and error_of(missing)["o:errorCode"] == "NONEXISTENT_ID"


# --------------------------------------------------------------------------- fulfilment
def test_partial_then_full_fulfilment_moves_stock_and_status(erp: Target) -> None:
    seed(erp)
    so = put_order(erp, "shopify-f1", ("A", 3, "10.00"))
    assert order_record(erp, so)["status"] == {"id": "B", "refName": "Pending Fulfillment"}
    r = fulfil(
        erp,
        so,
        {
            "item": {"items": [{"orderLine": 1, "quantity": 2}]},
            "shipMethod": {"refName": "UPS Ground"},
            "trackingNumbers": ["1Z999"],
            "shipStatus": {"id": "C"},
        },
    )
    assert r.status_code == 204 and "/itemFulfillment/" in r.headers["Location"]
    if_id = r.headers["Location"].rsplit("/", 1)[1]
    record = erp.request("GET", f"{REC}/itemFulfillment/{if_id}", headers=auth(erp)).json()
    assert record["createdFrom"]["id"] == so
    assert record["shipStatus"] == {"id": "C", "refName": "Shipped"}
    assert record["package"]["items"] == [{"packageTrackingNumber": "1Z999"}]
    assert [(ln["orderLine"], ln["quantity"]) for ln in record["item"]["items"]] == [(1, 2)]
    assert level_of(erp, "A") == {
        "quantityOnHand": 3,
        "quantityCommitted": 1,
        "quantityAvailable": 2,
        "quantityBackOrdered": 0,
    }
    so_record = order_record(erp, so)
    assert so_record["status"] == {"id": "D", "refName": "Partially Fulfilled"}
    assert so_record["item"]["items"][0]["quantityFulfilled"] == 2
    # No body: every committed unit not yet fulfilled.
    assert fulfil(erp, so).status_code == 204
    assert order_record(erp, so)["status"] == {"id": "F", "refName": "Pending Billing"}
    assert level_of(erp, "A")["quantityOnHand"] == 2
    nothing = fulfil(erp, so)
    assert nothing.status_code == 400 and "Pending Billing" in error_of(nothing)["detail"]
    stats = erp.request("GET", "/_mock/stats").json()
    assert stats["fulfillments"] == {"created": 2, "rejected": 1, "shipped_units": 3}


def test_fulfilling_more_than_remaining_or_committed_is_refused(erp: Target) -> None:
    seed(erp)
    so = put_order(erp, "shopify-f2", ("B", 3, "5.00"))  # 1 on hand: 1 committed, 2 backordered
    too_many = fulfil(erp, so, {"item": {"items": [{"orderLine": 1, "quantity": 4}]}})
    assert too_many.status_code == 400
    assert error_of(too_many) == {
        "detail": "You cannot fulfil 4 of line 1 (B) on sales order SO1001: only 3 remain to "
        "fulfil (ordered 3, already fulfilled 0).",
        "o:errorCode": "USER_ERROR",
        "o:errorPath": "item.items[0].quantity",
    }
    backordered = fulfil(
        erp, so, {"item": {"items": [{"item": {"externalId": "B"}, "quantity": 2}]}}
    )
    assert backordered.status_code == 400
    assert "only 1 committed" in error_of(backordered)["detail"]
    assert level_of(erp, "B")["quantityOnHand"] == 1  # nothing moved
    missing_line = fulfil(erp, so, {"item": {"items": [{"orderLine": 7}]}})
    assert error_of(missing_line)["o:errorPath"] == "item.items[0].orderLine"
    assert state(erp)["item_fulfillments"] == []


def test_picked_fulfilment_ships_later_and_external_id_is_unique(erp: Target) -> None:
    seed(erp)
    so = put_order(erp, "shopify-f3", ("A", 2, "10.00"))
    body = {"externalId": "pick-1", "shipStatus": "A"}
    r = fulfil(erp, so, body)
    if_id = r.headers["Location"].rsplit("/", 1)[1]
    assert level_of(erp, "A")["quantityOnHand"] == 5  # picked, not gone yet
    # A retried push with the same externalId is refused, not fulfilled twice.
    again = fulfil(erp, put_order(erp, "shopify-f4", ("A", 1, "1.00")), body)
    assert again.status_code == 400
    assert error_of(again)["o:errorCode"] == "DUP_RCRD"
    h = auth(erp)
    shipped = erp.request(
        "PATCH", f"{REC}/itemFulfillment/{if_id}", headers=h, json={"shipStatus": {"id": "C"}}
    )
    assert shipped.status_code == 204
    assert level_of(erp, "A")["quantityOnHand"] == 3
    back = erp.request(
        "PATCH", f"{REC}/itemFulfillment/eid:pick-1", headers=h, json={"shipStatus": "B"}
    )
    assert back.status_code == 400 and "back from Shipped" in error_of(back)["detail"]


def test_edit_and_cancel_before_fulfilment_are_refused_after_it(erp: Target) -> None:
    seed(erp)
    h = auth(erp)
    so = put_order(erp, "shopify-c1", ("A", 2, "10.00"))
    edit = erp.request(
        "PATCH",
        f"{REC}/salesOrder/{so}",
        headers=h,
        params={"replace": "item"},
        json={
            "shippingAddress": {"addr1": "1 Main St", "city": "Springfield", "country": "US"},
            "item": {"items": [{"item": {"externalId": "A"}, "quantity": 4, "rate": "10.00"}]},
        },
    )
    assert edit.status_code == 204, edit.text
    record = order_record(erp, so)
    assert record["shippingAddress"]["city"] == "Springfield"
    assert record["total"] == "40.00"
    assert level_of(erp, "A")["quantityCommitted"] == 4  # released 2, committed 4
    no_replace = erp.request(
        "PATCH", f"{REC}/salesOrder/{so}", headers=h, json={"item": {"items": []}}
    )
    assert no_replace.status_code == 400 and "replace=item" in error_of(no_replace)["detail"]
    fulfil(erp, so, {"item": {"items": [{"orderLine": 1, "quantity": 1}]}})
    cancel = erp.request(
        "PATCH", f"{REC}/salesOrder/{so}", headers=h, json={"orderStatus": {"id": "C"}}
    )
    assert cancel.status_code == 400
    assert error_of(cancel)["detail"].startswith(
        "You cannot cancel sales order SO1001: its status is Partially Fulfilled and fulfilment "
        "has started (item fulfillment 2002)."
    )
    late_edit = erp.request("PATCH", f"{REC}/salesOrder/{so}", headers=h, json={"memo": "x"})
    assert late_edit.status_code == 400 and "cannot edit" in error_of(late_edit)["detail"]
    # Closing is still allowed: what was never fulfilled is released.
    close = erp.request("PATCH", f"{REC}/salesOrder/{so}", headers=h, json={"orderStatus": "H"})
    assert close.status_code == 204
    assert order_record(erp, so)["status"] == {"id": "H", "refName": "Closed"}
    assert level_of(erp, "A") == {
        "quantityOnHand": 4,
        "quantityCommitted": 0,
        "quantityAvailable": 4,
        "quantityBackOrdered": 0,
    }


def test_cancel_releases_commitment_and_backorder(erp: Target) -> None:
    seed(erp)
    so = put_order(erp, "shopify-c2", ("B", 3, "5.00"))
    r = erp.request(
        "PATCH", f"{REC}/salesOrder/{so}", headers=auth(erp), json={"status": {"id": "C"}}
    )
    assert r.status_code == 204
    assert order_record(erp, so)["status"] == {"id": "C", "refName": "Cancelled"}
    assert level_of(erp, "B")["quantityAvailable"] == 1
    (truth,) = state(erp)["sales_orders"]
    assert truth["status"] == "C" and truth["lines"][0]["backordered"] == 0
    assert fulfil(erp, so).status_code == 400
    # A retried upsert of the cancelled order still answers 204 and changes nothing.
    put_order(erp, "shopify-c2", ("B", 3, "5.00"))
    assert order_record(erp, so)["status"]["id"] == "C"


def test_pending_approval_commits_nothing_until_approved(erp: Target) -> None:
    seed(erp)
    so = put_order(erp, "shopify-p1", ("A", 2, "1.00"), orderStatus={"id": "A"})
    assert order_record(erp, so)["status"]["id"] == "A"
    assert level_of(erp, "A")["quantityCommitted"] == 0
    assert fulfil(erp, so).status_code == 400
    erp.request(
        "PATCH", f"{REC}/salesOrder/{so}", headers=auth(erp), json={"orderStatus": "B"}
    ).raise_for_status()
    assert level_of(erp, "A")["quantityCommitted"] == 2


def test_warehouse_ships_the_oldest_orders_with_seeded_tracking(erp: Target) -> None:
    seed(erp)
    first = put_order(erp, "shopify-w1", ("A", 1, "1.00"))
    erp.advance(10)
    put_order(erp, "shopify-w2", ("A", 1, "1.00"))
    r = erp.request("POST", "/_sim/ship", json={"max_orders": 1})
    assert r.status_code == 200
    (made,) = r.json()["fulfillments"]
    assert made["sales_order_id"] == first and made["ship_status"] == "C"
    assert made["tracking_numbers"][0][:1] in ("1", "7", "9")
    assert level_of(erp, "A")["quantityOnHand"] == 4
    young = erp.request("POST", "/_sim/ship", json={"min_age_seconds": 60}).json()
    assert young["fulfillments"] == []
    assert erp.request("POST", "/_sim/ship", json={"max_orders": 0}).status_code == 400
    # The warehouse is not an API client: it spends none of the concurrency budget.
    stats = erp.request("GET", "/_mock/stats").json()
    assert stats["by_record"] == {"salesOrder": 2, "inventoryItem": 1}


# --------------------------------------------------------------------------- credit memos
def test_credit_memo_restocks_and_cannot_exceed_what_is_refundable(erp: Target) -> None:
    seed(erp)
    h = auth(erp)
    so = put_order(erp, "shopify-r1", ("A", 2, "10.00"), shippingCost="5.00")  # total 25.00
    fulfil(erp, so)
    memo = {
        "externalId": "refund-1",
        "item": {"items": [{"orderLine": 1, "quantity": 1, "amount": "10.00", "restock": True}]},
        "shippingCost": "5.00",
    }
    r = erp.request("POST", f"{REC}/salesOrder/{so}/!transform/creditMemo", headers=h, json=memo)
    assert r.status_code == 204 and "/creditMemo/" in r.headers["Location"]
    record = erp.request("GET", f"{REC}/creditMemo/eid:refund-1", headers=h).json()
    assert (record["total"], record["createdFrom"]["id"]) == ("15.00", so)
    assert level_of(erp, "A")["quantityOnHand"] == 4  # 5 - 2 shipped + 1 restocked
    too_much = {"item": {"items": [{"orderLine": 1, "quantity": 1, "amount": "10.01"}]}}
    refused = erp.request(
        "POST", f"{REC}/salesOrder/{so}/!transform/creditMemo", headers=h, json=too_much
    )
    assert refused.status_code == 400
    assert error_of(refused)["detail"] == (
        "The credit memo total 10.01 exceeds what is still refundable on sales order SO1001: "
        "10.00 (order total 25.00, already credited 15.00)."
    )
    over_units = {"item": {"items": [{"orderLine": 1, "quantity": 2, "amount": "1.00"}]}}
    units = erp.request(
        "POST", f"{REC}/salesOrder/{so}/!transform/creditMemo", headers=h, json=over_units
    )
    assert units.status_code == 400 and "only 1 not yet credited" in error_of(units)["detail"]
    (truth,) = state(erp)["sales_orders"]
    assert (truth["credited_total"], truth["credit_memos"]) == ("15.00", [record["id"]])


def test_credit_memo_upsert_by_external_id_never_credits_twice(erp: Target) -> None:
    seed(erp)
    h = auth(erp)
    so = put_order(erp, "shopify-r2", ("A", 1, "10.00"))
    body = {
        "createdFrom": {"externalId": "shopify-r2"},
        "item": {"items": [{"item": {"externalId": "A"}, "quantity": 1}]},
    }
    locations = {
        erp.request("PUT", f"{REC}/creditMemo/eid:refund-2", headers=h, json=body).headers[
            "Location"
        ]
        for _ in range(3)
    }
    assert len(locations) == 1
    memos = state(erp)["credit_memos"]
    assert [(m["externalId"], m["total"]) for m in memos] == [("refund-2", "10.00")]
    posted = erp.request(
        "POST", f"{REC}/creditMemo", headers=h, json={**body, "externalId": "refund-2"}
    )
    assert posted.status_code == 400 and error_of(posted)["o:errorCode"] == "DUP_RCRD"
    orphan = erp.request("POST", f"{REC}/creditMemo", headers=h, json={"item": body["item"]})
    assert orphan.status_code == 400 and "createdFrom" in error_of(orphan)["detail"]
    assert erp.request("GET", "/_mock/stats").json()["credit_memos"]["created"] == 1
    assert order_record(erp, so)["status"]["id"] == "B"


# --------------------------------------------------------------------------- journals
def journal(*lines: tuple[str, str, str], **header: object) -> dict[str, object]:
    return {
        "tranDate": "2026-11-27",
        "memo": "payout",
        "line": {
            "items": [{"account": {"id": acct}, side: amount} for acct, side, amount in lines]
        },
        **header,
    }


def test_journal_entries_must_balance_and_upsert_by_external_id(erp: Target) -> None:
    h = auth(erp)
    balanced = journal(
        ("1000", "debit", "97.10"), ("6100", "debit", "2.90"), ("1100", "credit", "100.00")
    )
    for _ in range(2):
        r = erp.request("PUT", f"{REC}/journalEntry/eid:payout-1", headers=h, json=balanced)
        assert r.status_code == 204
    entry = erp.request("GET", r.headers["Location"], headers=h).json()
    assert entry["externalId"] == "payout-1"
    assert [
        (ln["account"]["id"], ln.get("debit"), ln.get("credit")) for ln in entry["line"]["items"]
    ] == [
        ("1000", "97.10", None),
        ("6100", "2.90", None),
        ("1100", None, "100.00"),
    ]
    unbalanced = journal(("1000", "debit", "100.00"), ("1100", "credit", "99.99"))
    refused = erp.request("POST", f"{REC}/journalEntry", headers=h, json=unbalanced)
    assert refused.status_code == 400
    assert error_of(refused) == {
        "detail": "The journal entry is out of balance: debits total 100.00 and credits total "
        "99.99 (difference 0.01). Total debits must equal total credits.",
        "o:errorCode": "USER_ERROR",
    }
    unknown = erp.request(
        "POST",
        f"{REC}/journalEntry",
        headers=h,
        json=journal(("9999", "debit", "1.00"), ("1000", "credit", "1.00")),
    )
    assert error_of(unknown)["o:errorPath"] == "line.items[0].account"
    float_money = erp.request(
        "POST",
        f"{REC}/journalEntry",
        headers=h,
        content=b'{"line": {"items": [{"account": {"id": "1000"}, "debit": 1.5}]}}',
    )
    assert error_of(float_money)["o:errorCode"] == "INVALID_CONTENT"
    truth = state(erp)
    assert [je["externalId"] for je in truth["journal_entries"]] == ["payout-1"]
    assert truth["stats"]["journal_entries"] == {"created": 1, "updated": 1, "rejected": 3}


# --------------------------------------------------------------------------- SuiteQL
def test_suiteql_needs_prefer_transient_and_pages_of_at_most_1000(erp: Target) -> None:
    seed(erp)
    h = auth(erp)
    plain = erp.request("POST", QL, headers=h, json={"q": "SELECT id FROM item"})
    assert plain.status_code == 400
    assert error_of(plain)["o:errorCode"] == "INVALID_HEADER"
    assert error_of(plain)["o:errorHeader"] == "Prefer"
    too_big = suiteql(erp, "SELECT id FROM item", limit=1001)
    assert too_big.status_code == 400
    assert "limit" in error_of(too_big)["detail"]
    for i in range(3):
        put_order(erp, f"shopify-q{i}", ("A", 1, f"{i + 1}.50"))
    first = suiteql(erp, "SELECT id, tranid FROM transaction ORDER BY id", limit=2).json()
    assert (first["count"], first["hasMore"], first["offset"], first["totalResults"]) == (
        2,
        True,
        0,
        3,
    )
    assert first["items"] == [
        {"links": [], "id": "2001", "tranid": "SO1001"},
        {"links": [], "id": "2002", "tranid": "SO1002"},
    ]
    assert any(link["rel"] == "next" for link in first["links"])
    second = suiteql(erp, "SELECT id FROM transaction ORDER BY id", limit=2, offset=2).json()
    assert (second["count"], second["hasMore"], second["items"]) == (
        1,
        False,
        [{"links": [], "id": "2003"}],
    )


def test_suiteql_filters_orders_counts_and_compares_money_as_decimals(erp: Target) -> None:
    seed(erp)
    for i, rate in enumerate(("9.99", "100.00", "26.60")):
        put_order(erp, f"shopify-m{i}", ("A", 1, rate))
    over = suiteql(
        erp,
        "SELECT tranid, foreigntotal FROM transaction "
        "WHERE type = 'SalesOrd' AND foreigntotal >= 26.6 ORDER BY foreigntotal DESC",
    ).json()
    assert [(i["tranid"], i["foreigntotal"]) for i in over["items"]] == [
        ("SO1002", "100.00"),
        ("SO1003", "26.60"),
    ]
    count = suiteql(erp, "SELECT COUNT(*), SUM(foreigntotal) AS revenue FROM salesorder").json()
    assert count["items"] == [{"links": [], "expr1": "3", "revenue": "136.59"}]
    joined = suiteql(
        erp,
        "SELECT t.tranid, i.itemid, tl.quantity FROM transactionline tl "
        "JOIN transaction t ON t.id = tl.transaction JOIN item i ON i.id = tl.item "
        "WHERE t.externalid = 'shopify-m1'",
    ).json()
    assert joined["items"] == [{"links": [], "tranid": "SO1002", "itemid": "A", "quantity": "1"}]
    # Null columns are left out of the item, as NetSuite does.
    (row,) = suiteql(erp, "SELECT id, memo FROM transaction WHERE id = 2001").json()["items"]
    assert row == {"links": [], "id": "2001"}


def test_suiteql_refuses_what_it_cannot_run_in_netsuite_shape(erp: Target) -> None:
    cases = {
        "DELETE FROM customer": "Only SELECT statements are supported.",
        "SELECT * FROM nosuchrecord": "Record 'nosuchrecord' was not found.",
        "SELECT nosuchfield FROM customer": "Field 'nosuchfield' was not found.",
        "SELECT id FROM customer FETCH FIRST 1 ROWS ONLY": "syntax error",
        "SELECT 1; SELECT 2": "one statement",
    }
    for q, needle in cases.items():
        r = suiteql(erp, q)
        assert r.status_code == 400, q
        detail = error_of(r)
        assert detail["o:errorCode"] == "INVALID_PARAMETER"
        assert (
            detail["detail"].startswith("Invalid search query.") and needle in detail["detail"]
        ), detail
    empty = erp.request("POST", QL, headers={**auth(erp), "Prefer": "transient"}, json={})
    assert error_of(empty)["o:errorCode"] == "INVALID_CONTENT"
    stats = erp.request("GET", "/_mock/stats").json()["suiteql"]
    assert stats == {"queries": 6, "rejected": 6}


# --------------------------------------------------------------------------- governance
def test_maintenance_window_answers_503_with_retry_after_then_recovers(erp: Target) -> None:
    opened = erp.request("POST", "/_mock/maintenance", json={"duration": 120})
    assert opened.status_code == 200 and opened.json()["active"] is True
    r = erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp))
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "120"
    assert error_of(r)["o:errorCode"] == "SERVICE_UNAVAILABLE"
    # Every /services/rest/ call, authenticated or not; the control routes stay up.
    assert erp.request("POST", QL, json={"q": "SELECT 1"}).status_code == 503
    erp.advance(60)
    assert (
        erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp)).headers["Retry-After"] == "60"
    )
    erp.advance(60)
    assert erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp)).status_code == 200
    stats = erp.request("GET", "/_mock/stats").json()
    assert (stats["rejected_maintenance"], stats["by_status"]["503"]) == (3, 3)
    bad = erp.request("POST", "/_mock/maintenance", json={"windows": [[10, 5]]})
    assert bad.status_code == 400 and bad.json()["field"] == "windows"


def test_issued_token_works_beside_the_configured_one(erp: Target) -> None:
    issued = erp.request("POST", "/_mock/token").json()["access_token"]
    assert issued != erp.credentials["access_token"]
    for token in (issued, erp.credentials["access_token"]):
        r = erp.request("GET", f"{REC}/inventoryItem", headers={"Authorization": f"Bearer {token}"})
        assert r.status_code == 200
    chosen = erp.request("POST", "/_mock/token", json={"access_token": "chosen"}).json()
    assert chosen == {"access_token": "chosen"}
    erp.reset()  # back to the configured token only
    r = erp.request("GET", f"{REC}/inventoryItem", headers={"Authorization": "Bearer chosen"})
    assert r.status_code == 401 and error_of(r)["o:errorCode"] == "INVALID_LOGIN"


def test_unknown_record_type_is_a_netsuite_404(erp: Target) -> None:
    r = erp.request("GET", f"{REC}/vendorBill/1", headers=auth(erp))
    assert r.status_code == 404 and error_of(r)["o:errorCode"] == "INVALID_URL"
    r = erp.request("DELETE", f"{REC}/salesOrder/1", headers=auth(erp))
    assert r.status_code == 405 and error_of(r)["o:errorCode"] == "INVALID_URL"


# --------------------------------------------------------------------------- fault plan hooks
def test_fault_plan_errors_use_netsuites_body_and_revocation_needs_a_new_token(
    erp: Target,
) -> None:
    rules = [
        {"kind": "error", "statuses": [503], "routes": [f"{REC}/inventoryItem"], "end": 10},
        {"kind": "revoke_token", "start": 20},
    ]
    erp.request("PUT", "/_mock/faults", json={"rules": rules}).raise_for_status()
    try:
        faulted = erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp))
        assert faulted.status_code == 503 and "Retry-After" in faulted.headers
        assert error_of(faulted)["o:errorCode"] == "SERVICE_UNAVAILABLE"
        erp.advance(20)
        revoked = erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp))
        assert revoked.status_code == 401 and error_of(revoked)["o:errorCode"] == "INVALID_LOGIN"
        fresh = erp.request("POST", "/_mock/token").json()["access_token"]
        again = erp.request(
            "GET", f"{REC}/inventoryItem", headers={"Authorization": f"Bearer {fresh}"}
        )
        assert again.status_code == 200
    finally:
        erp.request("DELETE", "/_mock/faults")
        erp.reset()  # the configured token is valid again
    assert erp.request("GET", f"{REC}/inventoryItem", headers=auth(erp)).status_code == 200
