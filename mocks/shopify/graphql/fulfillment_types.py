"""Resolvers for fulfillment orders, fulfillments, refunds, transactions and jobs (read side).

Every source is the REST model's own object, read live: a ``FulfillmentOrder`` record of the
``FulfillmentBook``, a fulfillment or refund as its REST resource, a ledger ``Transaction``.
So a fulfilment created over REST shows here at once, and one created here shows over REST.
Amounts come from the REST resources' decimal strings (never a float).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from mocks.shopify.fulfillments import FulfillmentOrder, FulfillmentOrderLine
from mocks.shopify.graphql.connections import gid, paginate, parse_gid
from mocks.shopify.graphql.orders import line_node, money_bag
from mocks.shopify.graphql.runtime import Info, RequestContext
from mocks.shopify.models import ShopifyModel
from mocks.shopify.payouts import Transaction
from mocks.shopify.records import Order
from simclock import iso_utc, parse_iso_utc

Resolver = Callable[..., Any]
ZERO = Decimal("0.00")


@dataclass(frozen=True, slots=True)
class FoLine:
    """A ``FulfillmentOrderLineItem``: one line of one fulfillment order."""

    fo: FulfillmentOrder
    line: FulfillmentOrderLine


def _model(info: Info) -> ShopifyModel:
    ctx: RequestContext = info.context
    return ctx.model


def _order(info: Info, order_id: int) -> Order:
    return _model(info).orders[order_id]


def _currency(info: Info, order_id: int) -> str:
    return str(_order(info, order_id).resource["currency"])


def gql_time(rest_stamp: str | None) -> str | None:
    """A REST timestamp (``...-00:00``) as the GraphQL ``DateTime`` (``...Z``)."""
    return None if rest_stamp is None else iso_utc(parse_iso_utc(rest_stamp), millis=False)


def _first(items: list[Any], first: int | None) -> list[Any]:
    return items if first is None else items[: max(0, first)]


# -- Query root ------------------------------------------------------------------------------


def fulfillment_order(_root: Any, info: Info, id: str) -> FulfillmentOrder | None:
    """``fulfillmentOrder(id)``."""
    fo_id = parse_gid(id, "FulfillmentOrder")
    return None if fo_id is None else _model(info).fulfillment_book.fulfillment_orders.get(fo_id)


def fulfillment(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    """``fulfillment(id)``."""
    fid = parse_gid(id, "Fulfillment")
    return None if fid is None else _model(info).fulfillment_book.fulfillments.get(fid)


def refund(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    """``refund(id)``."""
    rid = parse_gid(id, "Refund")
    if rid is None:
        return None
    refunds = (r for o in _model(info).orders.values() for r in o.resource.get("refunds", []))
    return next((r for r in refunds if r["id"] == rid), None)


def job(_root: Any, info: Info, id: str) -> dict[str, Any] | None:
    """``job(id)``: every job this mock hands out is already done."""
    ctx: RequestContext = info.context
    jid = parse_gid(id, "Job")
    return job_object(jid) if jid is not None and jid in ctx.runtime.jobs else None


def job_object(job_id: int) -> dict[str, Any]:
    """A finished ``Job``; ``query`` is the query root, as on Shopify."""
    return {"id": gid("Job", job_id), "done": True, "query": {}}


# -- Order additions -------------------------------------------------------------------------


def _fulfillment_orders(o: Order, info: Info, reverse: bool = False, **page: Any) -> Any:
    fos = _model(info).fulfillment_book.of_order(o)
    return paginate(fos, lambda fo: (fo.id, fo.id), page, reverse=reverse)


def _fulfillments(o: Order, info: Info, first: int | None = None) -> list[dict[str, Any]]:
    book = _model(info).fulfillment_book
    return _first(book.list_fulfillments(o), first)


def _refunds(o: Order, _info: Info, first: int | None = None) -> list[dict[str, Any]]:
    return _first(list(o.resource.get("refunds", [])), first)


def _transactions(o: Order, info: Info, first: int | None = None) -> list[Transaction]:
    return _first(_model(info).ledger.for_order(o.id), first)


def _cancel_reason(o: Order, _info: Info) -> str | None:
    reason = o.resource.get("cancel_reason")
    return None if reason is None else str(reason).upper()


def _order_money(field: str) -> Resolver:
    return lambda o, _i: money_bag(o.resource.get(field, "0"), str(o.resource["currency"]))


# -- FulfillmentOrder ------------------------------------------------------------------------


def _fo_lines(fo: FulfillmentOrder, _info: Info, **page: Any) -> dict[str, Any]:
    lines = [FoLine(fo, line) for line in fo.lines]
    return paginate(lines, lambda fl: (fl.line.id, fl.line.id), page)


def _fo_line_item(fl: FoLine, info: Info) -> dict[str, Any]:
    order = _order(info, fl.fo.order_id)
    line = order.line(fl.line.line_item_id)
    assert line is not None  # a fulfillment order line always points at its order's line
    return line_node(order, line)


def _assigned(fo: FulfillmentOrder, info: Info) -> dict[str, Any]:
    location = _model(info).locations.get(fo.location_id)
    return {"location": location, "name": location.name if location else ""}


# -- Fulfillment -----------------------------------------------------------------------------


def _tracking(f: dict[str, Any], _info: Info, first: int | None = None) -> list[dict[str, Any]]:
    numbers: list[Any] = list(f.get("tracking_numbers") or [])
    urls: list[Any] = list(f.get("tracking_urls") or [])
    company = f.get("tracking_company")
    count = max(len(numbers), len(urls), 1 if company else 0)
    infos = [
        {
            "company": company,
            "number": numbers[i] if i < len(numbers) else None,
            "url": urls[i] if i < len(urls) else None,
        }
        for i in range(count)
    ]
    return _first(infos, first)


# -- Refund, RefundLineItem, OrderTransaction --------------------------------------------------


@dataclass(frozen=True, slots=True)
class RefundLine:
    """A ``RefundLineItem``: the REST refund line and its order."""

    order_id: int
    line: dict[str, Any]


def _refund_total(r: dict[str, Any], info: Info) -> dict[str, Any]:
    total = sum((Decimal(t["amount"]) for t in r.get("transactions", [])), ZERO)
    return money_bag(total, _currency(info, r["order_id"]))


def _refund_lines(r: dict[str, Any], _info: Info, **page: Any) -> dict[str, Any]:
    lines = [RefundLine(r["order_id"], line) for line in r.get("refund_line_items", [])]
    return paginate(lines, lambda rl: (rl.line["id"], rl.line["id"]), page)


def _refund_transactions(r: dict[str, Any], info: Info, **page: Any) -> dict[str, Any]:
    ledger = _model(info).ledger
    txns = [ledger.transactions[t["id"]] for t in r.get("transactions", [])]
    return paginate(txns, lambda t: (t.id, t.id), page)


def _refund_line_item(rl: RefundLine, info: Info) -> dict[str, Any]:
    order = _order(info, rl.order_id)
    line = order.line(rl.line["line_item_id"])
    assert line is not None  # refunds only name the order's own lines
    return line_node(order, line)


def _refund_line_money(key: str) -> Resolver:
    return lambda rl, i: money_bag(rl.line[key], _currency(i, rl.order_id))


def _refund_line_price(rl: RefundLine, info: Info) -> dict[str, Any]:
    return money_bag(rl.line["line_item"]["price"], _currency(info, rl.order_id))


TYPE_RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {
        "fulfillmentOrder": fulfillment_order,
        "fulfillment": fulfillment,
        "refund": refund,
        "job": job,
    },
    "Order": {
        "cancelReason": _cancel_reason,
        "currentTotalPriceSet": _order_money("current_total_price"),
        "currentSubtotalPriceSet": _order_money("current_subtotal_price"),
        "fulfillmentOrders": _fulfillment_orders,
        "fulfillments": _fulfillments,
        "refunds": _refunds,
        "transactions": _transactions,
    },
    "LineItem": {
        "fulfillableQuantity": lambda li, _i: li["fulfillable_quantity"],
        "refundableQuantity": lambda li, _i: li.get("current_quantity", li["quantity"]),
    },
    "FulfillmentOrder": {
        "id": lambda fo, _i: gid("FulfillmentOrder", fo.id),
        "orderId": lambda fo, _i: gid("Order", fo.order_id),
        "order": lambda fo, i: _order(i, fo.order_id),
        "status": lambda fo, _i: fo.status.upper(),
        "createdAt": lambda fo, _i: iso_utc(int(fo.created_ts), millis=False),
        "updatedAt": lambda fo, _i: iso_utc(int(fo.updated_ts), millis=False),
        "assignedLocation": _assigned,
        "lineItems": _fo_lines,
    },
    "FulfillmentOrderLineItem": {
        "id": lambda fl, _i: gid("FulfillmentOrderLineItem", fl.line.id),
        "sku": lambda fl, i: _fo_line_item(fl, i).get("sku"),
        "totalQuantity": lambda fl, _i: fl.line.quantity,
        "remainingQuantity": lambda fl, _i: fl.line.fulfillable_quantity,
        "lineItem": _fo_line_item,
    },
    "Fulfillment": {
        "id": lambda f, _i: gid("Fulfillment", f["id"]),
        "name": lambda f, _i: f["name"],
        "status": lambda f, _i: str(f["status"]).upper(),
        "createdAt": lambda f, _i: gql_time(f["created_at"]),
        "updatedAt": lambda f, _i: gql_time(f["updated_at"]),
        "totalQuantity": lambda f, _i: sum(li["quantity"] for li in f["line_items"]),
        "location": lambda f, i: _model(i).locations.get(f["location_id"]),
        "order": lambda f, i: _order(i, f["order_id"]),
        "trackingInfo": _tracking,
    },
    "OrderTransaction": {
        "id": lambda t, _i: gid("OrderTransaction", t.id),
        "kind": lambda t, _i: t.kind.upper(),
        "status": lambda t, _i: "SUCCESS",
        "gateway": lambda t, _i: t.gateway,
        "amountSet": lambda t, _i: money_bag(t.amount, t.currency),
        "createdAt": lambda t, _i: iso_utc(int(t.created_ts), millis=False),
    },
    "Refund": {
        "id": lambda r, _i: gid("Refund", r["id"]),
        "legacyResourceId": lambda r, _i: str(r["id"]),
        "note": lambda r, _i: r.get("note"),
        "createdAt": lambda r, _i: gql_time(r.get("created_at")),
        "order": lambda r, i: _order(i, r["order_id"]),
        "totalRefundedSet": _refund_total,
        "refundLineItems": _refund_lines,
        "transactions": _refund_transactions,
    },
    "RefundLineItem": {
        "id": lambda rl, _i: gid("RefundLineItem", rl.line["id"]),
        "quantity": lambda rl, _i: rl.line["quantity"],
        "restockType": lambda rl, _i: str(rl.line["restock_type"]).upper(),
        "restocked": lambda rl, _i: rl.line["restock_type"] != "no_restock",
        "location": lambda rl, i: _model(i).locations.get(rl.line["location_id"]),
        "lineItem": _refund_line_item,
        "priceSet": _refund_line_price,
        "subtotalSet": _refund_line_money("subtotal"),
        "totalTaxSet": _refund_line_money("total_tax"),
    },
}
