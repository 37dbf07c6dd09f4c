"""Resolvers for ``orders``, ``order``, ``ordersCount`` and the Order/LineItem types.

The source is the model's ``Order`` record; money and lines are read from its REST resource
(the one wire shape both APIs are built from, so the two can never disagree on an amount).
Unlike REST ``orders.json`` (default ``status=open``), GraphQL ``orders`` lists every order.
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from mocks.shopify.graphql.connections import gid, paginate, parse_gid, shopify_decimal
from mocks.shopify.graphql.runtime import Info, RequestContext
from mocks.shopify.graphql.search import Term, build_filter, compare, int_value, time_value
from mocks.shopify.records import Order
from simclock import iso_utc

Resolver = Callable[..., Any]

_STATUSES: dict[str, Callable[[Order], bool]] = {
    "open": lambda o: o.cancelled_ts is None and o.closed_ts is None,
    "closed": lambda o: o.closed_ts is not None,
    "cancelled": lambda o: o.cancelled_ts is not None,
    "any": lambda o: True,
}


def _time(o: Order, attr: str) -> int:
    # Compared at whole seconds, the precision the API shows, so a bound copied from a
    # returned createdAt includes that order (same rule as the REST filters).
    return int(getattr(o, attr))


def _term_time(attr: str) -> Callable[[Order, Term], bool]:
    return lambda o, t: compare(_time(o, attr), t.op, time_value(t.value))


ORDER_SEARCH_FIELDS: dict[str, Callable[[Order, Term], bool]] = {
    "created_at": _term_time("created_ts"),
    "processed_at": _term_time("created_ts"),
    "updated_at": _term_time("updated_ts"),
    "id": lambda o, t: compare(o.id, t.op, int_value(t.value)),
    "name": lambda o, t: compare(o.resource.get("name"), t.op, t.value),
    "email": lambda o, t: compare(o.resource.get("email"), t.op, t.value),
    "status": lambda o, t: t.value.lower() in _STATUSES and _STATUSES[t.value.lower()](o),
    "financial_status": lambda o, t: compare(o.resource.get("financial_status"), t.op, t.value),
    "fulfillment_status": lambda o, t: compare(
        o.resource.get("fulfillment_status") or "unfulfilled", t.op, t.value
    ),
}

_SORT_VALUES: dict[str, Callable[[Order], Any]] = {
    "ID": lambda o: o.id,
    "ORDER_NUMBER": lambda o: o.id,
    "CREATED_AT": lambda o: o.created_ts,
    "PROCESSED_AT": lambda o: o.created_ts,
    "UPDATED_AT": lambda o: o.updated_ts,
}

_FULFILLMENT = {
    None: "UNFULFILLED",
    "fulfilled": "FULFILLED",
    "partial": "PARTIALLY_FULFILLED",
    "restocked": "RESTOCKED",
}


def _matching(info: Info, query: str | None) -> list[Order]:
    ctx: RequestContext = info.context
    keep, report = build_filter(query, ORDER_SEARCH_FIELDS, info.field_name)
    ctx.search_reports.extend(report)
    return [o for o in ctx.model.orders.values() if keep(o)]


def orders(
    _root: Any,
    info: Info,
    query: str | None = None,
    sortKey: str = "ID",
    reverse: bool = False,
    **page: Any,
) -> dict[str, Any]:
    """``orders(first, after, last, before, query, sortKey, reverse)``."""
    value = _SORT_VALUES[sortKey]
    return paginate(_matching(info, query), lambda o: (value(o), o.id), page, reverse=reverse)


def order(_root: Any, info: Info, id: str) -> Order | None:
    """``order(id)``."""
    ctx: RequestContext = info.context
    oid = parse_gid(id, "Order")
    return ctx.model.orders.get(oid) if oid is not None else None


def orders_count(
    _root: Any, info: Info, query: str | None = None, limit: int | None = None
) -> dict[str, Any]:
    """``ordersCount(query, limit = 10000)``: capped at ``limit`` (null = uncapped)."""
    count = len(_matching(info, query))
    if limit is not None and count > limit:
        return {"count": limit, "precision": "AT_LEAST"}
    return {"count": count, "precision": "EXACT"}


def money_bag(amount: Any, currency: str) -> dict[str, Any]:
    """A ``MoneyBag`` of a decimal amount (string or Decimal; shop = presentment currency)."""
    money = {"amount": shopify_decimal(Decimal(str(amount))), "currencyCode": currency}
    return {"shopMoney": money, "presentmentMoney": dict(money)}


def _currency(o: Order) -> str:
    return str(o.resource.get("currency", "USD"))


def _order_bag(field: str) -> Resolver:
    return lambda o, _i: money_bag(o.resource.get(field, "0"), _currency(o))


def _shipping(o: Order, _info: Info) -> dict[str, Any]:
    shop_money = o.resource.get("total_shipping_price_set", {}).get("shop_money", {})
    return money_bag(shop_money.get("amount", "0"), _currency(o))


def _stamp(ts: float | None) -> str | None:
    return None if ts is None else iso_utc(int(ts), millis=False)


def line_node(o: Order, line: dict[str, Any]) -> dict[str, Any]:
    """The source object of a ``LineItem``: the REST line plus the order's currency."""
    return {**line, "_currency": _currency(o)}


def _line_items(o: Order, _info: Info, **page: Any) -> dict[str, Any]:
    lines = [line_node(o, line) for line in o.resource.get("line_items", [])]
    return paginate(lines, lambda li: (li["id"], li["id"]), page)


def _line_bag(field: str) -> Resolver:
    return lambda li, _i: money_bag(li.get(field, "0"), li["_currency"])


def _allocations(li: dict[str, Any], _info: Info) -> list[dict[str, Any]]:
    return [
        {"allocatedAmountSet": money_bag(a["amount"], li["_currency"])}
        for a in li.get("discount_allocations", [])
    ]


def _tax_lines(li: dict[str, Any], _info: Info) -> list[dict[str, Any]]:
    return [
        {
            "title": t["title"],
            # Rates are not money: Shopify types them Float.
            "rate": float(Decimal(str(t["rate"]))),
            "ratePercentage": float(Decimal(str(t["rate"])) * 100),
            "priceSet": money_bag(t["price"], li["_currency"]),
        }
        for t in li.get("tax_lines", [])
    ]


TYPE_RESOLVERS: dict[str, dict[str, Resolver]] = {
    "Query": {"orders": orders, "order": order, "ordersCount": orders_count},
    "Order": {
        "id": lambda o, _i: gid("Order", o.id),
        "legacyResourceId": lambda o, _i: str(o.id),
        "name": lambda o, _i: o.resource.get("name"),
        "email": lambda o, _i: o.resource.get("email"),
        "createdAt": lambda o, _i: _stamp(o.created_ts),
        "processedAt": lambda o, _i: _stamp(o.created_ts),
        "updatedAt": lambda o, _i: _stamp(o.updated_ts),
        "cancelledAt": lambda o, _i: _stamp(o.cancelled_ts),
        "closedAt": lambda o, _i: _stamp(o.closed_ts),
        "currencyCode": lambda o, _i: _currency(o),
        "displayFulfillmentStatus": lambda o, _i: _FULFILLMENT.get(
            o.resource.get("fulfillment_status"), "UNFULFILLED"
        ),
        "displayFinancialStatus": lambda o, _i: str(
            o.resource.get("financial_status") or "pending"
        ).upper(),
        "totalPriceSet": _order_bag("total_price"),
        "subtotalPriceSet": _order_bag("subtotal_price"),
        "totalTaxSet": _order_bag("total_tax"),
        "totalDiscountsSet": _order_bag("total_discounts"),
        "totalShippingPriceSet": _shipping,
        "lineItems": _line_items,
    },
    "LineItem": {
        "id": lambda li, _i: gid("LineItem", li["id"]),
        "name": lambda li, _i: li.get("name") or li.get("title"),
        "title": lambda li, _i: li.get("title"),
        # Refunds and edits change current_quantity; quantity stays as ordered.
        "currentQuantity": lambda li, _i: li.get("current_quantity", li["quantity"]),
        "unfulfilledQuantity": lambda li, _i: li.get("fulfillable_quantity", li["quantity"]),
        "variant": lambda li, i: next(
            (
                v
                for p in i.context.model.products.values()
                for v in p.variants
                if v.id == li.get("variant_id")
            ),
            None,
        ),
        "originalUnitPriceSet": _line_bag("price"),
        "totalDiscountSet": _line_bag("total_discount"),
        "discountAllocations": _allocations,
        "taxLines": _tax_lines,
    },
}
