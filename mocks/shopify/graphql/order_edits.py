"""Order editing: ``orderEditBegin`` -> ``orderEditSetQuantity``/``orderEditAddVariant`` ->
``orderEditCommit`` (PLATFORMS.md 1.7).

Begin opens a ``CalculatedOrder``: an edit session kept on the GraphQL runtime (per app, cleared
by ``/_mock/reset``) that stages changes and touches nothing. Only unfulfilled line items are
editable: a line with shipped units is refused with a userError. Commit checks everything again
(the order may have moved on since begin), then applies every change or none: quantities
through the same model operation as ``/_sim/edit-order`` (``edits.change_line_quantity``: stock,
fulfillment-order units, ``fulfillable_quantity``, ``current_quantity``), new lines through
``order_edit_lines.add_line``; then, like ``/_sim/edit-order``, recomputes the ``current_*``
totals and emits ``orders/edited`` (one ``order_edit`` body for the commit) and
``orders/updated``. ``quantity`` and ``total_price`` keep their checkout values, as on Shopify.
Unlike ``/_sim/edit-order`` this is a real Admin API and needs no ``post_purchase_edits`` quirk.
A commit with nothing staged changes nothing and publishes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from mocks.shopify.edits import change_line_quantity, order_edit_resource
from mocks.shopify.errors import ShopifyMockError
from mocks.shopify.graphql.connections import gid, paginate, parse_gid
from mocks.shopify.graphql.order_edit_lines import add_line, stock_units
from mocks.shopify.graphql.order_mutations import errors_of, user_error
from mocks.shopify.graphql.orders import money_bag
from mocks.shopify.graphql.runtime import Info, RequestContext
from mocks.shopify.models import ShopifyModel
from mocks.shopify.records import Order, Variant

ADDED_LINE_ID_BASE = 1_000_000_000
"""Calculated ids of staged (not yet created) lines start here, clear of real line ids."""
NOT_EDITABLE = "Only unfulfilled line items can be edited."

Errors = list[dict[str, Any]]


@dataclass(kw_only=True)
class StagedLine:
    """A variant staged for addition."""

    calc_id: int
    variant: Variant
    quantity: int
    location_id: int


@dataclass(kw_only=True)
class EditSession:
    """A ``CalculatedOrder``: the staged edit of one order."""

    id: int
    order_id: int
    quantities: dict[int, int] = field(default_factory=dict)
    """Existing line id -> staged quantity."""
    restock: dict[int, bool] = field(default_factory=dict)
    added: list[StagedLine] = field(default_factory=list)
    committed: bool = False


def _ctx(info: Info) -> RequestContext:
    ctx: RequestContext = info.context
    return ctx


def _session(ctx: RequestContext, calc_gid: str) -> EditSession | None:
    sid = parse_gid(calc_gid, "CalculatedOrder")
    session = ctx.runtime.order_edits.get(sid) if sid is not None else None
    return session if isinstance(session, EditSession) else None


def _shipped(model: ShopifyModel, order: Order, line_id: int) -> int:
    return model.order_changes.shipped_quantity(order, line_id)


def _variant(model: ShopifyModel, variant_gid: str) -> Variant | None:
    vid = parse_gid(variant_gid, "ProductVariant")
    return next((v for p in model.products.values() for v in p.variants if v.id == vid), None)


def _failure(errors: Errors, **extra: Any) -> dict[str, Any]:
    return {"calculatedOrder": None, **extra, "userErrors": errors}


# -- CalculatedOrder / CalculatedLineItem objects ----------------------------------------------


def _existing_line(session: EditSession, order: Order, line: dict[str, Any]) -> dict[str, Any]:
    qty = session.quantities.get(line["id"], line["current_quantity"])
    return {
        "id": gid("CalculatedLineItem", line["id"]),
        "_key": line["id"],
        "sku": line.get("sku"),
        "title": line.get("title") or line.get("name") or "",
        "quantity": qty,
        "editableQuantity": line["fulfillable_quantity"],
        "restocking": session.restock.get(line["id"], False) and qty < line["current_quantity"],
        "variant_id": line.get("variant_id"),
        "originalUnitPriceSet": money_bag(line["price"], order.resource["currency"]),
    }


def _added_line(staged: StagedLine, order: Order) -> dict[str, Any]:
    return {
        "id": gid("CalculatedLineItem", staged.calc_id),
        "_key": staged.calc_id,
        "sku": staged.variant.sku,
        "title": staged.variant.product_title,
        "quantity": staged.quantity,
        "editableQuantity": staged.quantity,
        "restocking": False,
        "variant_id": staged.variant.id,
        "originalUnitPriceSet": money_bag(staged.variant.price, order.resource["currency"]),
    }


def _calc_lines(session: EditSession, model: ShopifyModel) -> list[dict[str, Any]]:
    order = model.orders[session.order_id]
    lines = [_existing_line(session, order, li) for li in order.resource["line_items"]]
    return lines + [_added_line(s, order) for s in session.added]


def _lines(session: EditSession, info: Info, **page: Any) -> dict[str, Any]:
    lines = _calc_lines(session, _ctx(info).model)
    return paginate(lines, lambda li: (li["_key"], li["_key"]), page)


def _added(session: EditSession, info: Info, **page: Any) -> dict[str, Any]:
    order = _ctx(info).model.orders[session.order_id]
    lines = [_added_line(s, order) for s in session.added]
    return paginate(lines, lambda li: (li["_key"], li["_key"]), page)


def _calc_variant(line: dict[str, Any], info: Info) -> Variant | None:
    model = _ctx(info).model
    return next(
        (v for p in model.products.values() for v in p.variants if v.id == line["variant_id"]),
        None,
    )


# -- mutations -------------------------------------------------------------------------------


def resolve_begin(_root: Any, info: Info, id: str) -> dict[str, Any]:
    """``orderEditBegin(id)``: a new CalculatedOrder; nothing changes yet."""
    ctx = _ctx(info)
    oid = parse_gid(id, "Order")
    order = ctx.model.orders.get(oid) if oid is not None else None
    if order is None:
        return _failure([user_error(["id"], "The order does not exist.")])
    if order.cancelled_ts is not None:
        return _failure([user_error(["id"], "Cancelled orders cannot be edited.")])
    session = EditSession(id=ctx.runtime.next_id("CalculatedOrder"), order_id=order.id)
    ctx.runtime.order_edits[session.id] = session
    return {"calculatedOrder": session, "userErrors": []}


def resolve_set_quantity(
    _root: Any,
    info: Info,
    id: str,
    lineItemId: str,
    quantity: int,
    restock: bool | None = False,
) -> dict[str, Any]:
    """``orderEditSetQuantity``: stage a new quantity (0 removes the line)."""
    ctx = _ctx(info)
    session = _session(ctx, id)
    if session is None or session.committed:
        return _failure([user_error(["id"], "The calculated order does not exist.")])
    if quantity < 0:
        return _failure([user_error(["quantity"], "Quantity must be at least 0.")])
    key = parse_gid(lineItemId, "CalculatedLineItem")
    order = ctx.model.orders[session.order_id]
    line = order.line(key) if key is not None else None
    staged = next((s for s in session.added if s.calc_id == key), None)
    if line is not None:
        if _shipped(ctx.model, order, line["id"]) > 0:
            return _failure([user_error(["lineItemId"], NOT_EDITABLE)])
        session.quantities[line["id"]] = quantity
        session.restock[line["id"]] = bool(restock)
        calc = _existing_line(session, order, line)
    elif staged is not None:
        if quantity == 0:
            session.added.remove(staged)
        staged.quantity = quantity
        calc = _added_line(staged, order)
    else:
        return _failure([user_error(["lineItemId"], "The line item does not exist.")])
    return {"calculatedOrder": session, "calculatedLineItem": calc, "userErrors": []}


def resolve_add_variant(
    _root: Any,
    info: Info,
    id: str,
    variantId: str,
    quantity: int,
    locationId: str | None = None,
    allowDuplicates: bool | None = False,
) -> dict[str, Any]:
    """``orderEditAddVariant``: stage a new line of a variant."""
    ctx = _ctx(info)
    model = ctx.model
    session = _session(ctx, id)
    if session is None or session.committed:
        return _failure([user_error(["id"], "The calculated order does not exist.")])
    variant = _variant(model, variantId)
    if variant is None:
        return _failure([user_error(["variantId"], "The variant does not exist.")])
    if quantity < 1:
        return _failure([user_error(["quantity"], "Quantity must be at least 1.")])
    order = model.orders[session.order_id]
    on_order = any(li.get("variant_id") == variant.id for li in order.resource["line_items"])
    if not allowDuplicates and (on_order or any(s.variant.id == variant.id for s in session.added)):
        message = "The variant is already on the order; pass allowDuplicates to add another line."
        return _failure([user_error(["variantId"], message)])
    if locationId is not None:
        location_id = parse_gid(locationId, "Location")
        if location_id is None or location_id not in model.locations:
            return _failure([user_error(["locationId"], "The location does not exist.")])
    else:
        fos = model.fulfillment_book.of_order(order)
        location_id = fos[0].location_id if fos else next(iter(model.locations))
    units = stock_units(model, variant, location_id)
    if any((u.inventory_item_id, u.location_id) not in model.levels for u in units):
        message = "The variant is not stocked at the location."
        return _failure([user_error(["locationId"], message)])
    staged = StagedLine(
        calc_id=ADDED_LINE_ID_BASE + ctx.runtime.next_id("CalculatedLineItem"),
        variant=variant,
        quantity=quantity,
        location_id=location_id,
    )
    session.added.append(staged)
    return {
        "calculatedOrder": session,
        "calculatedLineItem": _added_line(staged, order),
        "userErrors": [],
    }


def _check_commit(model: ShopifyModel, session: EditSession, order: Order) -> Errors:
    """Everything that could refuse the commit, checked before anything is applied."""
    errors: Errors = []
    need: dict[tuple[int, int], int] = {}
    for line_id, qty in session.quantities.items():
        line = order.line(line_id)
        assert line is not None  # staged from this order's own lines
        delta = qty - line["current_quantity"]
        if (delta and _shipped(model, order, line_id) > 0) or -delta > line["fulfillable_quantity"]:
            errors.append(user_error(["id"], f"{NOT_EDITABLE} (line {line_id})"))
        for unit in order.line_stock[line_id] if delta > 0 else ():
            key = (unit.inventory_item_id, unit.location_id)
            need[key] = need.get(key, 0) + unit.per_unit * delta
    for staged in session.added:
        for unit in stock_units(model, staged.variant, staged.location_id):
            key = (unit.inventory_item_id, unit.location_id)
            need[key] = need.get(key, 0) + unit.per_unit * staged.quantity
    for (item_id, location_id), units in need.items():
        level = model.levels.get((item_id, location_id))
        if level is None or level.available < units:
            sku = model.variants_by_item[item_id].sku
            errors.append(user_error(["id"], f"Not enough inventory of {sku} at the location."))
    return errors


def resolve_commit(
    _root: Any,
    info: Info,
    id: str,
    notifyCustomer: bool | None = None,
    staffNote: str | None = None,
) -> dict[str, Any]:
    """``orderEditCommit``: apply every staged change or none, then announce the edit."""
    ctx = _ctx(info)
    model = ctx.model
    session = _session(ctx, id)
    if session is None or session.committed:
        return {
            "order": None,
            "userErrors": [user_error(["id"], "The calculated order does not exist.")],
        }
    order = model.orders[session.order_id]
    if order.cancelled_ts is not None:
        return {
            "order": None,
            "userErrors": [user_error(["id"], "Cancelled orders cannot be edited.")],
        }
    errors = _check_commit(model, session, order)
    if errors:
        return {"order": None, "userErrors": errors}
    additions: list[dict[str, int]] = []
    removals: list[dict[str, int]] = []
    try:
        for line_id, qty in session.quantities.items():
            restock = session.restock.get(line_id, False)
            delta = change_line_quantity(model, order, line_id, qty, restock=restock)
            if delta:
                (additions if delta > 0 else removals).append({"id": line_id, "delta": abs(delta)})
        for staged in session.added:
            new_id = add_line(model, order, staged.variant, staged.quantity, staged.location_id)
            additions.append({"id": new_id, "delta": staged.quantity})
    except ShopifyMockError as exc:  # pragma: no cover - _check_commit refuses these first
        return {"order": None, "userErrors": errors_of(exc, ["id"])}
    session.committed = True
    if additions or removals:
        model.order_changes.touch(order)
        edit = order_edit_resource(
            model,
            order,
            additions=additions,
            removals=removals,
            notify_customer=bool(notifyCustomer),
            staff_note=staffNote or "",
        )
        model.publisher.publish("orders/edited", {"order_edit": edit})
        model.order_changes.announce(order)
    return {"order": order, "userErrors": []}


MUTATIONS: dict[str, Callable[..., Any]] = {
    "orderEditBegin": resolve_begin,
    "orderEditSetQuantity": resolve_set_quantity,
    "orderEditAddVariant": resolve_add_variant,
    "orderEditCommit": resolve_commit,
}

TYPE_RESOLVERS: dict[str, dict[str, Any]] = {
    "CalculatedOrder": {
        "id": lambda s, _i: gid("CalculatedOrder", s.id),
        "committed": lambda s, _i: s.committed,
        "originalOrder": lambda s, i: _ctx(i).model.orders[s.order_id],
        "lineItems": _lines,
        "addedLineItems": _added,
    },
    "CalculatedLineItem": {"variant": _calc_variant},
}
