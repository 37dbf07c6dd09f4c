"""Shopify GraphQL Admin API: fulfilment, cancel, refunds and order edits over the REST model.

Every change made here is read back over REST (and vice versa): the two APIs share one model.
In-process over httpx.ASGITransport on a virtual clock; webhooks go to an in-process receiver.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response

from mocks.shopify.api import create_app
from simclock import VirtualClock
from tests.unit.shopify_graphql_support import AUTH, NEW, OLD, SEED, TOKEN, available, gql

V = f"/admin/api/{OLD}"


class Receiver:
    """A webhook endpoint recording the topics it was sent."""

    def __init__(self) -> None:
        self.received: list[tuple[str, dict[str, Any]]] = []
        self.app = FastAPI()

        @self.app.post("/hooks")
        async def hook(request: Request) -> Response:
            body = json.loads(await request.body())
            self.received.append((request.headers["x-shopify-topic"], body))
            return Response(status_code=200)

    def topics(self) -> list[str]:
        return [t for t, _ in self.received]


Scenario = Callable[[httpx.AsyncClient, dict[str, Any], Receiver, FastAPI], Awaitable[None]]
TOPICS = (
    "fulfillments/create",
    "orders/cancelled",
    "orders/edited",
    "orders/updated",
    "refunds/create",
)


def run(scenario: Scenario) -> None:
    """Seeded app on a virtual clock with every lifecycle topic subscribed."""
    receiver = Receiver()
    app = create_app(
        settings={},
        clock=VirtualClock(),
        credentials={"access_token": TOKEN, "webhook_secret": "s"},
        seed=7,
        webhook_transport=httpx.ASGITransport(app=receiver.app),
    )

    async def main() -> None:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as client:
            seeded = (await client.post("/_mock/seed", json=SEED)).json()
            ids: dict[str, Any] = {"Warehouse:rest": seeded["locations"][0]["id"]}
            for v in seeded["variants"]:
                ids[f"{v['sku']}:rest"] = v["inventory_item_id"]
                ids[f"{v['sku']}:variant"] = f"gid://shopify/ProductVariant/{v['variant_id']}"
            for topic in TOPICS:
                body = {"webhook": {"topic": topic, "address": "http://engine/hooks"}}
                r = await client.post(f"{V}/webhooks.json", json=body, headers=AUTH)
                assert r.status_code == 201, r.text
            await scenario(client, ids, receiver, app)

    asyncio.run(main())


async def buy(client: httpx.AsyncClient, *lines: tuple[str, int]) -> dict[str, Any]:
    body = {"lines": [{"sku": s, "quantity": q} for s, q in lines]}
    r = await client.post("/_sim/checkout", json=body)
    assert r.status_code == 201, r.text
    order: dict[str, Any] = r.json()["order"]
    return order


async def rest(client: httpx.AsyncClient, path: str) -> Any:
    r = await client.get(f"{V}/{path}", headers=AUTH)
    assert r.status_code == 200, r.text
    return r.json()


def data(body: dict[str, Any], field: str) -> dict[str, Any]:
    """The mutation payload, after checking it ran and cost exactly 10 points."""
    assert "errors" not in body, body
    cost = body["extensions"]["cost"]
    assert cost["requestedQueryCost"] == 10 and cost["actualQueryCost"] == 10, cost
    payload: dict[str, Any] = body["data"][field]
    return payload


FULFILLMENT_ORDERS = """query($id: ID!) { order(id: $id) { fulfillmentOrders(first: 5) { nodes {
  id status assignedLocation { location { id } }
  lineItems(first: 5) { nodes { id totalQuantity remainingQuantity lineItem { id sku } } }
} } } }"""
FULFILL = """mutation($f: FulfillmentV2Input!) { fulfillmentCreate(fulfillment: $f) {
  fulfillment { id status trackingInfo { number url company } } userErrors { field message } } }"""
CANCEL = """mutation($id: ID!, $refund: Boolean!, $restock: Boolean!) {
  orderCancel(orderId: $id, reason: CUSTOMER, refund: $refund, restock: $restock) {
    job { id done } orderCancelUserErrors { field message code } userErrors { field message } } }"""
REFUND_FIELDS = """refund { id totalRefundedSet { shopMoney { amount currencyCode } }
    refundLineItems(first: 5) { nodes { quantity restockType lineItem { id } } } }
  userErrors { field message }"""
REFUND = "mutation($input: RefundInput!) { refundCreate(input: $input) { " + REFUND_FIELDS + " } }"
REFUND_KEYED = (
    'mutation($input: RefundInput!) { refundCreate(input: $input) @idempotent(key: "k-1") { '
    + REFUND_FIELDS
    + " } }"
)
BEGIN = """mutation($id: ID!) { orderEditBegin(id: $id) {
  calculatedOrder { id lineItems(first: 5) { nodes { id quantity sku } } }
  userErrors { field message } } }"""
SET_QTY = """mutation($id: ID!, $line: ID!, $q: Int!) {
  orderEditSetQuantity(id: $id, lineItemId: $line, quantity: $q, restock: true) {
    calculatedLineItem { quantity } userErrors { field message } } }"""
ADD_VARIANT = """mutation($id: ID!, $v: ID!, $q: Int!) {
  orderEditAddVariant(id: $id, variantId: $v, quantity: $q) {
    calculatedLineItem { id quantity sku } userErrors { field message } } }"""
COMMIT = """mutation($id: ID!) { orderEditCommit(id: $id, staffNote: "phone call") {
  order { id } userErrors { field message } } }"""


def oid(order: dict[str, Any]) -> str:
    return f"gid://shopify/Order/{order['id']}"


def line_gid(order: dict[str, Any], index: int = 0) -> str:
    return f"gid://shopify/LineItem/{order['line_items'][index]['id']}"


async def first_fo(client: httpx.AsyncClient, order: dict[str, Any]) -> dict[str, Any]:
    body = await gql(client, FULFILLMENT_ORDERS, id=oid(order))
    fo: dict[str, Any] = body["data"]["order"]["fulfillmentOrders"]["nodes"][0]
    return fo


def fulfil(fo: dict[str, Any], qty: int | None, **tracking: Any) -> dict[str, Any]:
    group: dict[str, Any] = {"fulfillmentOrderId": fo["id"]}
    if qty is not None:
        line = fo["lineItems"]["nodes"][0]["id"]
        group["fulfillmentOrderLineItems"] = [{"id": line, "quantity": qty}]
    return {"lineItemsByFulfillmentOrder": [group], "trackingInfo": tracking or None}


# -- fulfillmentCreate ----------------------------------------------------------------------


def test_partial_fulfilment_shows_over_rest_with_tracking_and_leaves_remaining() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        fo = await first_fo(client, order)
        assert fo["status"] == "OPEN"
        assert fo["assignedLocation"]["location"]["id"].endswith(f"/{ids['Warehouse:rest']}")
        (line,) = fo["lineItems"]["nodes"]
        assert (line["totalQuantity"], line["remainingQuantity"]) == (3, 3)
        assert line["lineItem"] == {"id": line_gid(order), "sku": "SKU-1"}

        tracking = {"number": "1Z999", "url": "https://ups.example/1Z999", "company": "UPS"}
        body = await gql(client, FULFILL, f=fulfil(fo, 2, **tracking))
        payload = data(body, "fulfillmentCreate")
        assert payload["userErrors"] == []
        assert payload["fulfillment"]["status"] == "SUCCESS"
        assert payload["fulfillment"]["trackingInfo"] == [tracking]

        (shipped,) = (await rest(client, f"orders/{order['id']}/fulfillments.json"))["fulfillments"]
        assert payload["fulfillment"]["id"] == f"gid://shopify/Fulfillment/{shipped['id']}"
        assert shipped["tracking_number"] == "1Z999" and shipped["tracking_company"] == "UPS"
        assert shipped["tracking_url"] == tracking["url"]
        assert [li["quantity"] for li in shipped["line_items"]] == [2]
        assert (await rest(client, f"orders/{order['id']}.json"))["order"][
            "fulfillment_status"
        ] == "partial"

        q = "query($id: ID!) { fulfillmentOrder(id: $id) { status lineItems(first: 1) { nodes {"
        q += " remainingQuantity } } } }"
        after = (await gql(client, q, id=fo["id"]))["data"]["fulfillmentOrder"]
        assert after == {
            "status": "IN_PROGRESS",
            "lineItems": {"nodes": [{"remainingQuantity": 1}]},
        }
        await app.state.outbox.deliver_due()
        assert "fulfillments/create" in receiver.topics()

    run(scenario)


def test_over_fulfilment_and_unknown_ids_are_user_errors_that_change_nothing() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        fo = await first_fo(client, order)
        payload = data(await gql(client, FULFILL, f=fulfil(fo, 4)), "fulfillmentCreate")
        assert payload["fulfillment"] is None
        assert payload["userErrors"][0]["message"] == (
            "Invalid fulfillment order line item quantity requested."
        )
        missing = {**fo, "id": "gid://shopify/FulfillmentOrder/999999"}
        payload = data(await gql(client, FULFILL, f=fulfil(missing, None)), "fulfillmentCreate")
        assert payload["fulfillment"] is None
        assert "does not exist" in payload["userErrors"][0]["message"]
        assert payload["userErrors"][0]["field"][-1] == "fulfillmentOrderId"
        fulfillments = await rest(client, f"orders/{order['id']}/fulfillments.json")
        assert fulfillments["fulfillments"] == []
        assert (await first_fo(client, order))["lineItems"]["nodes"][0]["remainingQuantity"] == 3

    run(scenario)


# -- orderCancel ----------------------------------------------------------------------------


def test_order_cancel_restocks_returns_a_done_job_and_rest_shows_cancelled_at() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        assert await available(client, ids) == 7
        body = await gql(client, CANCEL, id=oid(order), refund=True, restock=True)
        payload = data(body, "orderCancel")
        assert payload["orderCancelUserErrors"] == [] and payload["userErrors"] == []
        assert payload["job"]["done"] is True
        job = await gql(
            client, "query($id: ID!) { job(id: $id) { done } }", id=payload["job"]["id"]
        )
        assert job["data"]["job"] == {"done": True}
        assert await available(client, ids) == 10
        shown = (await rest(client, f"orders/{order['id']}.json"))["order"]
        assert shown["cancelled_at"] is not None and shown["cancel_reason"] == "customer"
        assert shown["financial_status"] == "refunded"

        again = data(
            await gql(client, CANCEL, id=oid(order), refund=False, restock=True), "orderCancel"
        )
        assert again["job"] is None
        assert again["orderCancelUserErrors"][0]["message"] == "Order has already been cancelled"
        assert await available(client, ids) == 10
        await app.state.outbox.deliver_due()
        assert receiver.topics().count("orders/cancelled") == 1

    run(scenario)


def test_order_cancel_is_refused_once_fulfilled_and_for_unknown_orders() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 2))
        fo = await first_fo(client, order)
        assert (
            data(await gql(client, FULFILL, f=fulfil(fo, None)), "fulfillmentCreate")["userErrors"]
            == []
        )
        payload = data(
            await gql(client, CANCEL, id=oid(order), refund=False, restock=True), "orderCancel"
        )
        assert payload["job"] is None
        (error,) = payload["orderCancelUserErrors"]
        assert (error["code"], error["message"]) == (
            "INVALID",
            "Cannot cancel an order with fulfillments",
        )
        assert (await rest(client, f"orders/{order['id']}.json"))["order"]["cancelled_at"] is None
        assert await available(client, ids) == 8
        unknown = await gql(
            client, CANCEL, id="gid://shopify/Order/424242", refund=False, restock=False
        )
        (error,) = data(unknown, "orderCancel")["orderCancelUserErrors"]
        assert error["code"] == "NOT_FOUND" and "does not exist" in error["message"]

    run(scenario)


# -- refundCreate ---------------------------------------------------------------------------


def refund_input(order: dict[str, Any], amount: Any, *lines: tuple[int, str]) -> dict[str, Any]:
    return {
        "orderId": oid(order),
        "refundLineItems": [
            {"lineItemId": line_gid(order), "quantity": q, "restockType": t} for q, t in lines
        ],
        "transactions": [
            {
                "orderId": oid(order),
                "gateway": "shopify_payments",
                "kind": "REFUND",
                "amount": amount,
            }
        ],
    }


def test_partial_refund_with_return_and_cancel_restock_is_exact_and_agrees_with_rest() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))  # 3 x 20.00 + 8% tax
        fo = await first_fo(client, order)
        data(await gql(client, FULFILL, f=fulfil(fo, 1)), "fulfillmentCreate")
        assert await available(client, ids) == 7
        legacy = refund_input(order, "21.60", (1, "LEGACY_RESTOCK"))
        refused = data(await gql(client, REFUND, input=legacy), "refundCreate")
        assert refused["refund"] is None and "LEGACY_RESTOCK" in refused["userErrors"][0]["message"]
        as_float = refund_input(order, 21.6, (1, "RETURN"))
        refused = data(await gql(client, REFUND, input=as_float), "refundCreate")
        assert refused["refund"] is None and refused["userErrors"][0]["field"][-1] == "amount"

        inp = refund_input(order, "43.20", (1, "RETURN"), (1, "CANCEL"))
        payload = data(await gql(client, REFUND, input=inp), "refundCreate")
        assert payload["userErrors"] == []
        refund = payload["refund"]
        assert refund["totalRefundedSet"]["shopMoney"] == {"amount": "43.2", "currencyCode": "USD"}
        assert [(n["quantity"], n["restockType"]) for n in refund["refundLineItems"]["nodes"]] == [
            (1, "RETURN"),
            (1, "CANCEL"),
        ]
        assert await available(client, ids) == 9  # both units back on the shelf

        (shown,) = (await rest(client, f"orders/{order['id']}/refunds.json"))["refunds"]
        assert refund["id"] == f"gid://shopify/Refund/{shown['id']}"
        assert [(x["subtotal"], x["total_tax"]) for x in shown["refund_line_items"]] == [
            ("20.00", "1.60"),
            ("20.00", "1.60"),
        ]
        assert [t["amount"] for t in shown["transactions"]] == ["43.20"]
        rest_order = (await rest(client, f"orders/{order['id']}.json"))["order"]
        assert rest_order["financial_status"] == "partially_refunded"
        assert rest_order["line_items"][0]["current_quantity"] == 1
        remaining = (await first_fo(client, order))["lineItems"]["nodes"][0]["remainingQuantity"]
        assert remaining == 1  # 3 ordered - 1 shipped - 1 cancelled

    run(scenario)


def test_refund_idempotency_key_is_required_from_2026_04_and_a_replay_applies_once() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        inp = refund_input(order, "21.60", (1, "CANCEL"))
        missing = await gql(client, REFUND, version=NEW, input=inp)
        assert missing["data"]["refundCreate"] is None
        assert "@idempotent" in missing["errors"][0]["message"]
        assert (await rest(client, f"orders/{order['id']}/refunds.json"))["refunds"] == []
        assert await available(client, ids) == 7

        first = data(await gql(client, REFUND_KEYED, version=NEW, input=inp), "refundCreate")
        replay = data(await gql(client, REFUND_KEYED, version=NEW, input=inp), "refundCreate")
        assert first["userErrors"] == [] and replay == first
        (shown,) = (await rest(client, f"orders/{order['id']}/refunds.json"))["refunds"]
        assert first["refund"]["id"] == f"gid://shopify/Refund/{shown['id']}"
        assert await available(client, ids) == 8  # restocked once, not twice
        other = refund_input(order, "43.20", (2, "CANCEL"))
        clash = data(await gql(client, REFUND_KEYED, version=NEW, input=other), "refundCreate")
        assert clash["refund"] is None and "idempotency key" in clash["userErrors"][0]["message"]
        # Before 2026-04 the key is optional.
        plain = data(await gql(client, REFUND, version=OLD, input=inp), "refundCreate")
        assert plain["userErrors"] == [] and plain["refund"]["id"] != first["refund"]["id"]

    run(scenario)


def test_money_literal_in_the_query_text_stays_exact() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        q = (
            'mutation { refundCreate(input: {orderId: "%s", transactions: [{orderId: "%s",'
            ' gateway: "shopify_payments", kind: REFUND, amount: 10.10}]}) { '
            + REFUND_FIELDS
            + " } }"
        ) % (oid(order), oid(order))
        payload = data(await gql(client, q), "refundCreate")
        assert payload["userErrors"] == []
        assert payload["refund"]["totalRefundedSet"]["shopMoney"]["amount"] == "10.1"
        (shown,) = (await rest(client, f"orders/{order['id']}/refunds.json"))["refunds"]
        assert [t["amount"] for t in shown["transactions"]] == ["10.10"]

    run(scenario)


# -- order edits ----------------------------------------------------------------------------


async def begin(client: httpx.AsyncClient, order: dict[str, Any]) -> dict[str, Any]:
    payload = data(await gql(client, BEGIN, id=oid(order)), "orderEditBegin")
    assert payload["userErrors"] == []
    calc: dict[str, Any] = payload["calculatedOrder"]
    return calc


def test_order_edit_quantity_commit_shows_in_rest_current_quantity_and_emits_edited() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        calc = await begin(client, order)
        (line,) = calc["lineItems"]["nodes"]
        assert (line["quantity"], line["sku"]) == (3, "SKU-1")
        staged = data(
            await gql(client, SET_QTY, id=calc["id"], line=line["id"], q=1), "orderEditSetQuantity"
        )
        assert staged == {"calculatedLineItem": {"quantity": 1}, "userErrors": []}
        before = (await rest(client, f"orders/{order['id']}.json"))["order"]["line_items"][0]
        assert before["current_quantity"] == 3  # staged only: nothing changed yet
        committed = data(await gql(client, COMMIT, id=calc["id"]), "orderEditCommit")
        assert committed == {"order": {"id": oid(order)}, "userErrors": []}

        shown = (await rest(client, f"orders/{order['id']}.json"))["order"]
        assert shown["line_items"][0]["quantity"] == 3  # as ordered, as on Shopify
        assert shown["line_items"][0]["current_quantity"] == 1
        assert shown["current_total_price"] == "26.60"  # 20.00 + 8% + 5.00 shipping
        assert shown["total_price"] == order["total_price"]
        assert await available(client, ids) == 9
        fo = await first_fo(client, order)
        assert fo["lineItems"]["nodes"][0]["remainingQuantity"] == 1
        q = "query($id: ID!) { order(id: $id) { lineItems(first: 1) { nodes { quantity"
        q += " currentQuantity } } } }"
        (gql_line,) = (await gql(client, q, id=oid(order)))["data"]["order"]["lineItems"]["nodes"]
        assert gql_line == {"quantity": 3, "currentQuantity": 1}  # GraphQL agrees with REST
        await app.state.outbox.deliver_due()
        assert receiver.topics()[-2:] == ["orders/edited", "orders/updated"]
        edit = next(b for t, b in receiver.received if t == "orders/edited")["order_edit"]
        assert edit["line_items"]["removals"] == [{"id": order["line_items"][0]["id"], "delta": 2}]
        assert edit["staff_note"] == "phone call"
        again = data(await gql(client, COMMIT, id=calc["id"]), "orderEditCommit")
        assert again["order"] is None and "does not exist" in again["userErrors"][0]["message"]

    run(scenario)


def test_order_edit_refuses_fulfilled_lines_and_unknown_orders() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 3))
        fo = await first_fo(client, order)
        data(await gql(client, FULFILL, f=fulfil(fo, 1)), "fulfillmentCreate")
        calc = await begin(client, order)
        line = calc["lineItems"]["nodes"][0]["id"]
        refused = data(
            await gql(client, SET_QTY, id=calc["id"], line=line, q=1), "orderEditSetQuantity"
        )
        assert refused["calculatedLineItem"] is None
        assert refused["userErrors"][0]["message"] == "Only unfulfilled line items can be edited."
        unknown = data(await gql(client, BEGIN, id="gid://shopify/Order/424242"), "orderEditBegin")
        assert unknown["calculatedOrder"] is None
        assert "does not exist" in unknown["userErrors"][0]["message"]
        shown = (await rest(client, f"orders/{order['id']}.json"))["order"]["line_items"][0]
        assert shown["current_quantity"] == 3

    run(scenario)


def test_order_edit_add_variant_creates_a_fulfillable_line_visible_over_rest() -> None:
    async def scenario(
        client: httpx.AsyncClient, ids: dict[str, Any], receiver: Receiver, app: FastAPI
    ) -> None:
        order = await buy(client, ("SKU-1", 1))
        calc = await begin(client, order)
        added = data(
            await gql(client, ADD_VARIANT, id=calc["id"], v=ids["SKU-2:variant"], q=2),
            "orderEditAddVariant",
        )
        assert added["userErrors"] == [] and added["calculatedLineItem"]["sku"] == "SKU-2"
        too_many = data(
            await gql(client, ADD_VARIANT, id=calc["id"], v=ids["SKU-1:variant"], q=1),
            "orderEditAddVariant",
        )
        assert "allowDuplicates" in too_many["userErrors"][0]["message"]
        data(await gql(client, COMMIT, id=calc["id"]), "orderEditCommit")

        lines = (await rest(client, f"orders/{order['id']}.json"))["order"]["line_items"]
        assert [(li["sku"], li["current_quantity"]) for li in lines] == [("SKU-1", 1), ("SKU-2", 2)]
        assert await available(client, ids, "SKU-2") == 3
        fo = await first_fo(client, order)
        remaining = {n["lineItem"]["sku"]: n["remainingQuantity"] for n in fo["lineItems"]["nodes"]}
        assert remaining == {"SKU-1": 1, "SKU-2": 2}
        shipped = data(await gql(client, FULFILL, f=fulfil(fo, None)), "fulfillmentCreate")
        assert shipped["userErrors"] == []
        assert (await rest(client, f"orders/{order['id']}.json"))["order"][
            "fulfillment_status"
        ] == "fulfilled"

    run(scenario)
