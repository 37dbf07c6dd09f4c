"""Fulfilments of SHOPLINE orders, and the cancellation that ends an order's shipping.

SHOPLINE's Open API ships an order with "Create a fulfillment based on an order" and lists
what went out with "Query all fulfillments for an order" (PLATFORMS.md 2.5: the order
endpoints mirror Shopify's REST; developer.shopline.com admin-rest-api/order/
shipping-and-fulfillment/create-a-fulfillment-based-on-an-order and
…/query-all-fulfillments-for-an-order):

- ``POST orders/{id}/fulfillments.json`` ``{"fulfillment": {"line_items": [{"id",
  "quantity"}], "tracking_number", "tracking_company", "tracking_url", "tracking_info_list":
  [{"tracking_number", "tracking_company", "tracking_url"}] (at most 10; replaces the single
  fields), "notify_customer": false}}`` -> ``{"fulfillment"}``.
- ``GET orders/{id}/fulfillments.json`` -> ``{"fulfillments": [...]}``, oldest first; each
  line item shows its units in the fulfilment (``quantity``, ``fulfillment_quantity``), the
  line's units still to ship (``fulfillable_quantity``) and ``fulfillment_status``
  (``unshipped`` / ``partial`` / ``shipped``, SHOPLINE's values).

Modelling choices (*):
- *``line_items`` omitted ships every unit still unshipped (Shopify's legacy rule).
- *Answers 200 (SHOPLINE's pages document 200 for creates), with the fulfilment.
- *Both tracking forms are read in every version (SHOPLINE deprecates the single fields from
  v20250601, after the newest version mocked by default).
- *Refusals are 422 ``{"errors": "..."}`` and write nothing: a cancelled order, a line item
  not on the order, more units than a line has left (over-fulfilment), nothing left to ship.
  An unknown order is the usual 404.
- *The order's ``fulfillment_status`` goes ``partial``, then ``shipped`` (the vocabulary of the
  ``orders.json`` filter, PLATFORMS 2.5), and its ``updated_at`` moves; ``orders/update`` is
  queued every time, ``orders/fulfilled`` as well when the last unit ships.
- *Fulfilments are always ``success`` (none is cancelled here).
- *``POST /_sim/orders/{id}/cancel`` stands in for the merchant cancelling in the admin: the
  order becomes ``cancelled`` (``cancelled_at`` set), its units go back to stock at its
  location, ``orders/cancelled`` and ``orders/update`` are queued; 404 unknown order, 409
  already cancelled or with units shipped.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from mocks.shopline import constants as c
from mocks.shopline.errors import NotFound, OrderNotCancellable, UnknownOrder, Unprocessable
from mocks.shopline.notify import emit
from mocks.shopline.records import Fulfillment, InventoryLevel, Order
from mocks.shopline.resources import fulfillment_resource, shopline_time
from mocks.shopline.schemas import FulfillmentCreate

if TYPE_CHECKING:
    from mocks.shopline.models import ShoplineModel


def _order(model: ShoplineModel, order_id: str) -> Order | None:
    return model.orders.get(int(order_id)) if order_id.isdecimal() else None


def _admin_order(model: ShoplineModel, order_id: str) -> Order:
    order = _order(model, order_id)
    if order is None:
        raise NotFound("order")
    return order


def shipped_units(model: ShoplineModel, order_id: int) -> Counter[int]:
    """Units per line item id in every fulfilment of the order."""
    shipped: Counter[int] = Counter()
    for f in model.fulfillments.get(order_id, []):
        shipped.update(f.lines)
    return shipped


def _announce(model: ShoplineModel, order: Order, *topics: str) -> None:
    for topic in topics:
        emit(
            outbox=model.outbox,
            subscriptions=model.subscriptions.values(),
            topic=topic,
            resource=order.resource,
            secret=model.webhook_secret,
            settings=model.settings,
        )


def _touch(order: Order, now: float) -> None:
    order.updated_ts = now
    order.resource["updated_at"] = shopline_time(now)


def order_fulfillments(model: ShoplineModel, order: Order) -> list[dict[str, Any]]:
    """Every fulfilment of ``order`` as the API shows it, oldest first."""
    shipped = shipped_units(model, order.id)
    return [
        fulfillment_resource(f, order.resource, shipped)
        for f in model.fulfillments.get(order.id, [])
    ]


def list_fulfillments(model: ShoplineModel, order_id: str) -> list[dict[str, Any]]:
    """``GET orders/{id}/fulfillments.json``."""
    return order_fulfillments(model, _admin_order(model, order_id))


def _wanted(order: Order, req: FulfillmentCreate, left: dict[int, int]) -> Counter[int]:
    """Units per line to ship now; refuses (422) what the order cannot ship."""
    wanted: Counter[int] = Counter()
    if req.lines is None:
        wanted.update({line_id: n for line_id, n in left.items() if n > 0})
        if not wanted:
            raise Unprocessable("The order has no unfulfilled line items")
        return wanted
    for line_id, quantity in req.lines:
        if line_id not in left:
            raise Unprocessable(f"Line item {line_id} does not belong to order {order.id}")
        wanted[line_id] += quantity
    for line_id, quantity in wanted.items():
        if quantity > left[line_id]:
            raise Unprocessable(
                f"Line item {line_id}: fulfillment quantity {quantity} exceeds the "
                f"fulfillable quantity {left[line_id]}"
            )
    return wanted


def create_fulfillment(
    model: ShoplineModel, order_id: str, req: FulfillmentCreate
) -> dict[str, Any]:
    """``POST orders/{id}/fulfillments.json``: ship some or all unshipped units."""
    order = _admin_order(model, order_id)
    if order.status == "cancelled":
        raise Unprocessable("The order has been cancelled and cannot be fulfilled")
    ordered = {int(li["id"]): int(li["quantity"]) for li in order.resource["line_items"]}
    shipped = shipped_units(model, order.id)
    wanted = _wanted(order, req, {i: q - shipped[i] for i, q in ordered.items()})
    now = model.clock.now()
    fulfillment = Fulfillment(
        id=model.new_id("fulfillment"),
        order_id=order.id,
        lines=dict(wanted),
        tracking=req.tracking,
        notify_customer=req.notify_customer,
        created_ts=now,
        updated_ts=now,
    )
    model.fulfillments.setdefault(order.id, []).append(fulfillment)
    shipped.update(wanted)
    done = all(shipped[i] >= q for i, q in ordered.items())
    order.fulfillment_status = "shipped" if done else "partial"
    order.resource["fulfillment_status"] = order.fulfillment_status
    _touch(order, now)
    topics = (c.ORDER_FULFILLED_TOPIC,) if done else ()
    _announce(model, order, *topics, c.ORDER_UPDATE_TOPIC)
    return fulfillment_resource(fulfillment, order.resource, shipped)


def cancel_order(model: ShoplineModel, order_id: str) -> dict[str, Any]:
    """``POST /_sim/orders/{id}/cancel``: cancel an unshipped order and restock its units."""
    order = _order(model, order_id)
    if order is None:
        raise UnknownOrder(order_id)
    if order.status == "cancelled":
        raise OrderNotCancellable(order_id, "already cancelled")
    if shipped_units(model, order.id):
        raise OrderNotCancellable(order_id, "units have been shipped")
    now = model.clock.now()
    location_id = int(order.resource["location_id"])
    for li in order.resource["line_items"]:
        item_id = model.variants[int(li["variant_id"])].inventory_item_id
        level = model.levels.setdefault(
            (item_id, location_id),
            InventoryLevel(
                inventory_item_id=item_id, location_id=location_id, available=0, updated_ts=now
            ),
        )
        level.available += int(li["quantity"])
        level.updated_ts = now
    order.status = "cancelled"
    order.resource["status"] = "cancelled"
    order.resource["cancelled_at"] = shopline_time(now)
    _touch(order, now)
    _announce(model, order, c.ORDER_CANCELLED_TOPIC, c.ORDER_UPDATE_TOPIC)
    return order.resource
