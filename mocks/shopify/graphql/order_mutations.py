"""``fulfillmentCreate``, ``orderCancel`` and ``refundCreate`` over the REST model's operations.

Each resolver checks what only GraphQL has (global ids, enums), translates its input into the
REST body and makes the *same* model call the REST route makes (``FulfillmentBook.
create_fulfillment``, ``OrderChanges.cancel_order``, ``RefundDesk.create``), so the two APIs
always agree and the same webhooks fire. The model's refusals (404/422 on REST) come back as
``userErrors`` in an HTTP 200 answer, as Shopify's GraphQL does; nothing is applied then, since
the model validates everything before it changes anything.

``orderCancel`` returns an async ``Job`` on Shopify (PLATFORMS.md 1.7). Here the cancel is
applied at once and the job is handed out already ``done: true``; ``job(id)`` answers it too.
A caller that polls the job until done works unchanged. ``staffNote`` is accepted and not kept.

``refundCreate`` takes ``@idempotent(key:)`` as the inventory mutations do: optional from 2026-01,
required from 2026-04 (``GraphQLSettings.change_from_quantity_version``); a replay returns the
stored payload and refunds nothing twice. ``LEGACY_RESTOCK`` is refused, as on Shopify.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from mocks.common.money import MoneyError, to_money
from mocks.shopify.errors import NotFound, ShopifyMockError
from mocks.shopify.fulfillments import FULFILLABLE
from mocks.shopify.graphql.connections import parse_gid
from mocks.shopify.graphql.fulfillment_types import job_object
from mocks.shopify.graphql.mutations import run_idempotent
from mocks.shopify.graphql.runtime import Info, RequestContext

Errors = list[dict[str, Any]]

FIELD_NAMES = {
    "line_item_id": "lineItemId",
    "restock_type": "restockType",
    "location_id": "locationId",
    "line_item": "lineItemId",
    "location": "locationId",
    "quantity": "quantity",
    "amount": "amount",
    "kind": "kind",
    "parent_id": "parentId",
    "refund_line_items": "refundLineItems",
    "transactions": "transactions",
    "shipping": "shipping",
}


def user_error(field: list[str] | None, message: str, code: str | None = None) -> dict[str, Any]:
    """One ``UserError`` (``code`` is read only by payloads whose error type has one)."""
    return {"field": field, "message": message, "code": code}


def _field_path(prefix: list[str], rest_key: str) -> list[str]:
    """``refund_line_items.restock_type`` -> ``[*prefix, "refundLineItems", "restockType"]``."""
    if rest_key == "base":
        return list(prefix)
    return [*prefix, *(FIELD_NAMES.get(part, part) for part in rest_key.split("."))]


def _sentence(text: str) -> str:
    return text[:1].upper() + text[1:]


def errors_of(exc: ShopifyMockError, prefix: list[str]) -> Errors:
    """A REST refusal of the model as GraphQL ``userErrors`` (field paths in camelCase)."""
    if isinstance(exc, NotFound):
        return [user_error(prefix, "The resource does not exist.")]
    body = exc.body
    if isinstance(body, Mapping) and "errors" in body:
        found = body["errors"]
        if isinstance(found, Mapping):
            return [
                user_error(_field_path(prefix, str(key)), _sentence(str(msg)))
                for key, messages in found.items()
                for msg in (messages if isinstance(messages, list) else [messages])
            ]
        if isinstance(found, list):
            return [user_error(prefix, _sentence(str(msg))) for msg in found]
        return [user_error(prefix, _sentence(str(found)))]
    if isinstance(body, Mapping) and "error" in body:  # a /_sim/-style refusal
        detail = body.get("reason") or body.get("detail") or body["error"]
        return [user_error(prefix, _sentence(str(detail)))]
    return [user_error(prefix, str(exc))]  # pragma: no cover - every mock error has a body


# -- fulfillmentCreate -----------------------------------------------------------------------


def resolve_fulfillment_create(
    _root: Any, info: Info, fulfillment: dict[str, Any], message: str | None = None
) -> dict[str, Any]:
    """``fulfillmentCreate(fulfillment: FulfillmentV2Input!)``."""
    ctx: RequestContext = info.context
    book = ctx.model.fulfillment_book
    errors: Errors = []
    groups = []
    for i, group in enumerate(fulfillment["lineItemsByFulfillmentOrder"]):
        path = ["fulfillment", "lineItemsByFulfillmentOrder", str(i)]
        fo_id = parse_gid(group["fulfillmentOrderId"], "FulfillmentOrder")
        fo = book.fulfillment_orders.get(fo_id) if fo_id is not None else None
        if fo is None:
            errors.append(
                user_error([*path, "fulfillmentOrderId"], "Fulfillment order does not exist.")
            )
            continue
        if fo.status not in FULFILLABLE:
            message = f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status}."
            errors.append(user_error([*path, "fulfillmentOrderId"], message))
            continue
        rest_group: dict[str, Any] = {"fulfillment_order_id": fo.id}
        items = group.get("fulfillmentOrderLineItems")
        if items is not None:
            rest_items = []
            for j, item in enumerate(items):
                line_id = parse_gid(item["id"], "FulfillmentOrderLineItem")
                if line_id is None or all(ln.id != line_id for ln in fo.lines):
                    errors.append(
                        user_error(
                            [*path, "fulfillmentOrderLineItems", str(j), "id"],
                            "Fulfillment order line item does not exist.",
                        )
                    )
                    continue
                rest_items.append({"id": line_id, "quantity": item["quantity"]})
            rest_group["fulfillment_order_line_items"] = rest_items
        groups.append(rest_group)
    if errors:
        return {"fulfillment": None, "userErrors": errors}
    tracking = fulfillment.get("trackingInfo") or {}
    # The model keeps one tracking number and URL (as its REST resource does): the first given.
    numbers = [n for n in [tracking.get("number"), *(tracking.get("numbers") or [])] if n]
    urls = [u for u in [tracking.get("url"), *(tracking.get("urls") or [])] if u]
    body = {
        "fulfillment": {
            "line_items_by_fulfillment_order": groups,
            "notify_customer": bool(fulfillment.get("notifyCustomer")),
            "origin_address": fulfillment.get("originAddress"),
            "tracking_info": {
                "number": numbers[0] if numbers else None,
                "url": urls[0] if urls else None,
                "company": tracking.get("company"),
            },
        }
    }
    try:
        created = book.create_fulfillment(body)
    except ShopifyMockError as exc:
        return {"fulfillment": None, "userErrors": errors_of(exc, ["fulfillment"])}
    return {"fulfillment": book.fulfillments[created["id"]], "userErrors": []}


# -- orderCancel -----------------------------------------------------------------------------


def resolve_order_cancel(
    _root: Any,
    info: Info,
    orderId: str,
    reason: str,
    refund: bool,
    restock: bool,
    notifyCustomer: bool | None = False,
    staffNote: str | None = None,
) -> dict[str, Any]:
    """``orderCancel``: applied at once; the returned ``Job`` is already done."""
    ctx: RequestContext = info.context
    oid = parse_gid(orderId, "Order")
    if oid is None or oid not in ctx.model.orders:
        error = user_error(["orderId"], "Order does not exist.", "NOT_FOUND")
        return {"job": None, "orderCancelUserErrors": [error], "userErrors": [error]}
    body = {
        "reason": reason.lower(),
        "refund": refund,
        "restock": restock,
        "email": bool(notifyCustomer),
    }
    try:
        ctx.model.order_changes.cancel_order(str(oid), body)
    except ShopifyMockError as exc:
        errors = [{**e, "code": "INVALID"} for e in errors_of(exc, ["orderId"])]
        return {"job": None, "orderCancelUserErrors": errors, "userErrors": errors}
    job_id = ctx.runtime.next_id("Job")
    ctx.runtime.jobs.add(job_id)
    return {"job": job_object(job_id), "orderCancelUserErrors": [], "userErrors": []}


# -- refundCreate ----------------------------------------------------------------------------


def _refund_body(
    ctx: RequestContext, order_id: int, inp: dict[str, Any], errors: Errors
) -> dict[str, Any]:
    """The REST ``refund`` object for ``RefundInput`` (errors for what only GraphQL checks)."""
    lines = []
    for i, raw in enumerate(inp.get("refundLineItems") or []):
        path = ["input", "refundLineItems", str(i)]
        line_id = parse_gid(raw["lineItemId"], "LineItem")
        if line_id is None or ctx.model.orders[order_id].line(line_id) is None:
            errors.append(user_error([*path, "lineItemId"], "Line item does not exist."))
            continue
        restock_type = raw.get("restockType") or "NO_RESTOCK"
        if restock_type == "LEGACY_RESTOCK":
            message = "LEGACY_RESTOCK is deprecated and not accepted when creating refunds."
            errors.append(user_error([*path, "restockType"], message))
            continue
        line: dict[str, Any] = {
            "line_item_id": line_id,
            "quantity": raw["quantity"],
            "restock_type": restock_type.lower(),
        }
        if raw.get("locationId") is not None:
            location_id = parse_gid(raw["locationId"], "Location")
            if location_id is None or location_id not in ctx.model.locations:
                errors.append(user_error([*path, "locationId"], "Location does not exist."))
                continue
            line["location_id"] = location_id
        lines.append(line)
    transactions = []
    for i, raw in enumerate(inp.get("transactions") or []):
        path = ["input", "transactions", str(i)]
        if raw["kind"] != "REFUND":
            errors.append(user_error([*path, "kind"], "Transaction kind must be REFUND."))
        if parse_gid(raw["orderId"], "Order") != order_id:
            message = "Transaction order must be the refunded order."
            errors.append(user_error([*path, "orderId"], message))
        try:
            amount = to_money(raw["amount"], field="amount")
        except MoneyError as exc:
            errors.append(user_error([*path, "amount"], str(exc)))
            continue
        txn: dict[str, Any] = {"kind": "refund", "amount": str(amount), "gateway": raw["gateway"]}
        if raw.get("parentId") is not None:
            parent = parse_gid(raw["parentId"], "OrderTransaction")
            owned = {t.id for t in ctx.model.ledger.for_order(order_id)}
            if parent is None or parent not in owned:
                message = "Parent transaction does not exist."
                errors.append(user_error([*path, "parentId"], message))
                continue
            txn["parent_id"] = parent
        transactions.append(txn)
    body: dict[str, Any] = {
        "note": inp.get("note"),
        "notify": bool(inp.get("notify")),
        "refund_line_items": lines,
        "transactions": transactions,
    }
    shipping = inp.get("shipping")
    if shipping is not None:
        if shipping.get("fullRefund"):
            body["shipping"] = {"full_refund": True}
        elif shipping.get("amount") is not None:
            try:
                body["shipping"] = {"amount": str(to_money(shipping["amount"], field="amount"))}
            except MoneyError as exc:
                errors.append(user_error(["input", "shipping", "amount"], str(exc)))
    return body


def resolve_refund_create(_root: Any, info: Info, input: dict[str, Any]) -> dict[str, Any]:
    """``refundCreate(input: RefundInput!) @idempotent(key:)``."""
    ctx: RequestContext = info.context

    def run() -> dict[str, Any]:
        oid = parse_gid(input["orderId"], "Order")
        if oid is None or oid not in ctx.model.orders:
            error = user_error(["input", "orderId"], "Order does not exist.")
            return {"refund": None, "order": None, "userErrors": [error]}
        errors: Errors = []
        body = _refund_body(ctx, oid, input, errors)
        if errors:
            return {"refund": None, "order": None, "userErrors": errors}
        try:
            created = ctx.model.refund_desk.create(str(oid), {"refund": body})
        except ShopifyMockError as exc:
            return {"refund": None, "order": None, "userErrors": errors_of(exc, ["input"])}
        return {"refund": created, "order": ctx.model.orders[oid], "userErrors": []}

    return run_idempotent(
        info, input, required=ctx.change_from_rules, run=run, result_field="refund"
    )


MUTATIONS: dict[str, Callable[..., Any]] = {
    "fulfillmentCreate": resolve_fulfillment_create,
    "orderCancel": resolve_order_cancel,
    "refundCreate": resolve_refund_create,
}
