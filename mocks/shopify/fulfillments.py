"""Fulfillment orders and fulfillments (REST, Shopify's wire shape).

A checkout creates one fulfillment order per location it took stock from, ``open``, each line
with its remaining (``fulfillable_quantity``) units. ``POST fulfillments.json`` with
``line_items_by_fulfillment_order`` ships some or all of them: the fulfillment order goes
``in_progress`` while units remain and ``closed`` when none do; the order's
``fulfillment_status`` goes ``partial`` then ``fulfilled``. ``/_sim/start-picking`` moves a
fulfillment order to ``in_progress`` as a warehouse starting to pick would (the
``cancel_refused_after_picking`` quirk then refuses the order's cancellation).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mocks.shopify.errors import MissingParameter, NotFound, SimError, Unprocessable
from mocks.shopify.orders import shopify_time
from mocks.shopify.records import Order
from mocks.shopify.schemas import json_int

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

OPEN, IN_PROGRESS, CLOSED, CANCELLED = "open", "in_progress", "closed", "cancelled"
FULFILLABLE = frozenset({OPEN, IN_PROGRESS})


@dataclass(kw_only=True)
class FulfillmentOrderLine:
    """One order line's units assigned to a fulfillment order."""

    id: int
    line_item_id: int
    inventory_item_id: int
    variant_id: int
    quantity: int
    fulfillable_quantity: int


@dataclass(kw_only=True)
class FulfillmentOrder:
    """The units of one order to be shipped from one location."""

    id: int
    order_id: int
    location_id: int
    created_ts: float
    updated_ts: float
    lines: list[FulfillmentOrderLine] = field(default_factory=list)
    status: str = OPEN

    def resource(self, location_name: str, destination: dict[str, Any] | None) -> dict[str, Any]:
        """REST shape of ``orders/{id}/fulfillment_orders.json``."""
        actions = (
            ["create_fulfillment", "request_fulfillment", "hold", "move"]
            if self.status in FULFILLABLE
            else []
        )
        return {
            "id": self.id,
            "admin_graphql_api_id": f"gid://shopify/FulfillmentOrder/{self.id}",
            "shop_id": 1,
            "order_id": self.order_id,
            "assigned_location_id": self.location_id,
            "request_status": "unsubmitted",
            "status": self.status,
            "supported_actions": actions,
            "destination": destination,
            "line_items": [
                {
                    "id": line.id,
                    "shop_id": 1,
                    "fulfillment_order_id": self.id,
                    "quantity": line.quantity,
                    "line_item_id": line.line_item_id,
                    "inventory_item_id": line.inventory_item_id,
                    "fulfillable_quantity": line.fulfillable_quantity,
                    "variant_id": line.variant_id,
                }
                for line in self.lines
            ],
            "fulfill_at": None,
            "fulfill_by": None,
            "international_duties": None,
            "fulfillment_holds": [],
            "delivery_method": {"method_type": "shipping"},
            "created_at": shopify_time(self.created_ts),
            "updated_at": shopify_time(self.updated_ts),
            "assigned_location": {"location_id": self.location_id, "name": location_name},
            "merchant_requests": [],
        }


class UnknownFulfillmentOrder(SimError):
    """404 on ``/_sim/start-picking`` for an id that is not a fulfillment order."""

    status_code = 404

    def __init__(self, fulfillment_order_id: int) -> None:
        super().__init__("unknown_fulfillment_order", fulfillment_order_id=fulfillment_order_id)


class FulfillmentBook:
    """Fulfillment orders and fulfillments of one shop."""

    def __init__(self, model: ShopifyModel) -> None:
        self.model = model
        self.fulfillment_orders: dict[int, FulfillmentOrder] = {}
        self.fulfillments: dict[int, dict[str, Any]] = {}
        self.fulfillment_orders_of: dict[int, list[int]] = {}

    # -- creation with the order ----------------------------------------------------------

    def open_for(self, order: Order) -> None:
        """One ``open`` fulfillment order per location the order's lines took stock from."""
        now = self.model.clock.now()
        by_location: dict[int, FulfillmentOrder] = {}
        for item in order.resource["line_items"]:
            location_id = order.line_stock[item["id"]][0].location_id
            fo = by_location.get(location_id)
            if fo is None:
                fo = FulfillmentOrder(
                    id=self.model.new_id("fulfillment_order"),
                    order_id=order.id,
                    location_id=location_id,
                    created_ts=now,
                    updated_ts=now,
                )
                by_location[location_id] = fo
            fo.lines.append(
                FulfillmentOrderLine(
                    id=self.model.new_id("fulfillment_order_line"),
                    line_item_id=item["id"],
                    inventory_item_id=self.model.variants_by_sku[item["sku"]].inventory_item_id,
                    variant_id=item["variant_id"],
                    quantity=item["quantity"],
                    fulfillable_quantity=item["quantity"],
                )
            )
        for fo in by_location.values():
            self.fulfillment_orders[fo.id] = fo
        self.fulfillment_orders_of[order.id] = [fo.id for fo in by_location.values()]

    # -- reads ----------------------------------------------------------------------------

    def of_order(self, order: Order) -> list[FulfillmentOrder]:
        """The order's fulfillment orders, oldest first."""
        return [self.fulfillment_orders[i] for i in self.fulfillment_orders_of.get(order.id, [])]

    def list_fulfillment_orders(self, order: Order) -> list[dict[str, Any]]:
        """``GET orders/{id}/fulfillment_orders.json``."""
        destination = order.resource.get("shipping_address")
        return [
            fo.resource(self.model.locations[fo.location_id].name, destination)
            for fo in self.of_order(order)
        ]

    def list_fulfillments(self, order: Order) -> list[dict[str, Any]]:
        """``GET orders/{id}/fulfillments.json``."""
        return [f for f in self.fulfillments.values() if f["order_id"] == order.id]

    # -- changes ----------------------------------------------------------------------------

    def start_picking(self, fulfillment_order_id: int) -> dict[str, Any]:
        """``/_sim/start-picking``: the warehouse accepted the work (open -> in_progress)."""
        fo = self.fulfillment_orders.get(fulfillment_order_id)
        if fo is None:
            raise UnknownFulfillmentOrder(fulfillment_order_id)
        if fo.status == OPEN:
            fo.status = IN_PROGRESS
            fo.updated_ts = self.model.clock.now()
        order = self.model.orders[fo.order_id]
        return fo.resource(
            self.model.locations[fo.location_id].name, order.resource.get("shipping_address")
        )

    def remove_units(self, order: Order, line_item_id: int, quantity: int) -> None:
        """Take unshipped units off the line's fulfillment orders (cancel restock, edits)."""
        for fo in self.of_order(order):
            for line in fo.lines:
                if line.line_item_id == line_item_id and quantity > 0:
                    taken = min(quantity, line.fulfillable_quantity)
                    line.fulfillable_quantity -= taken
                    quantity -= taken
            self._settle(fo)

    def add_units(self, order: Order, line_item_id: int, quantity: int) -> None:
        """Put more units of a line on its (first) fulfillment order (an edit raised it)."""
        for fo in self.of_order(order):
            for line in fo.lines:
                if line.line_item_id == line_item_id:
                    line.quantity += quantity
                    line.fulfillable_quantity += quantity
                    return

    def _settle(self, fo: FulfillmentOrder) -> None:
        if fo.status in FULFILLABLE and all(ln.fulfillable_quantity == 0 for ln in fo.lines):
            shipped = any(ln.quantity > 0 for ln in fo.lines) and self._shipped_any(fo)
            fo.status = CLOSED if shipped else CANCELLED
        fo.updated_ts = self.model.clock.now()

    def _shipped_any(self, fo: FulfillmentOrder) -> bool:
        return any(fo.id in f["_fulfillment_order_ids"] for f in self.fulfillments.values())

    def cancel_all(self, order: Order) -> None:
        """Order cancelled: every unshipped unit is gone, every fulfillment order closes."""
        for fo in self.of_order(order):
            for line in fo.lines:
                line.fulfillable_quantity = 0
            if fo.status in FULFILLABLE:
                fo.status = CLOSED if self._shipped_any(fo) else CANCELLED
                fo.updated_ts = self.model.clock.now()

    def create_fulfillment(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST fulfillments.json``; returns the fulfillment resource."""
        raw = body.get("fulfillment")
        if not isinstance(raw, dict):
            raise MissingParameter("fulfillment", "expected an object")
        groups = raw.get("line_items_by_fulfillment_order")
        if not isinstance(groups, list) or not groups:
            raise MissingParameter("line_items_by_fulfillment_order", "expected a non-empty list")
        plan: list[tuple[FulfillmentOrder, FulfillmentOrderLine, int]] = []
        for group in groups:
            if not isinstance(group, dict):
                raise MissingParameter("line_items_by_fulfillment_order", "expected objects")
            fo_id = json_int(group.get("fulfillment_order_id"), "fulfillment_order_id")
            fo = self.fulfillment_orders.get(fo_id)
            if fo is None:
                raise NotFound()
            if fo.status not in FULFILLABLE:
                raise Unprocessable(
                    [f"Fulfillment order {fo.id} has an unfulfillable status= {fo.status}."]
                )
            plan.extend(self._plan_group(fo, group.get("fulfillment_order_line_items")))
        fos = {fo.id: fo for fo, _, _ in plan}
        if (
            len({fo.order_id for fo in fos.values()}) != 1
            or len({fo.location_id for fo in fos.values()}) > 1
        ):
            raise Unprocessable(
                ["All fulfillment orders must belong to the same order and location."]
            )
        if not plan:
            raise Unprocessable(["Invalid fulfillment order line item quantity requested."])
        tracking = raw.get("tracking_info") or {}
        if not isinstance(tracking, dict):
            raise MissingParameter("tracking_info", "expected an object")
        order = self.model.orders[next(iter(fos.values())).order_id]
        for _, line, qty in plan:
            line.fulfillable_quantity -= qty
        now = self.model.clock.now()
        fulfillment_id = self.model.new_id("fulfillment")
        shipped: dict[int, int] = {}
        for _, line, qty in plan:
            shipped[line.line_item_id] = shipped.get(line.line_item_id, 0) + qty
        resource: dict[str, Any] = {
            "id": fulfillment_id,
            "admin_graphql_api_id": f"gid://shopify/Fulfillment/{fulfillment_id}",
            "order_id": order.id,
            "name": f"{order.resource['name']}.{len(self.list_fulfillments(order)) + 1}",
            "status": "success",
            "service": "manual",
            "shipment_status": None,
            "location_id": next(iter(fos.values())).location_id,
            "origin_address": raw.get("origin_address"),
            "notify_customer": bool(raw.get("notify_customer", False)),
            "created_at": shopify_time(now),
            "updated_at": shopify_time(now),
            "receipt": {},
            "line_items": [
                {**(order.line(li_id) or {}), "quantity": qty} for li_id, qty in shipped.items()
            ],
            "_fulfillment_order_ids": sorted(fos),
        }
        _apply_tracking(resource, tracking)
        self.fulfillments[fulfillment_id] = resource
        for fo in fos.values():
            if fo.status == OPEN:
                fo.status = IN_PROGRESS
            self._settle(fo)
        self.model.order_changes.record_shipment(order, shipped, public(resource))
        return public(resource)

    def _plan_group(
        self, fo: FulfillmentOrder, items: Any
    ) -> list[tuple[FulfillmentOrder, FulfillmentOrderLine, int]]:
        if items is None:  # omitted: fulfil everything remaining on the fulfillment order
            return [(fo, ln, ln.fulfillable_quantity) for ln in fo.lines if ln.fulfillable_quantity]
        if not isinstance(items, list):
            raise MissingParameter("fulfillment_order_line_items", "expected a list")
        by_id = {ln.id: ln for ln in fo.lines}
        plan = []
        for item in items:
            if not isinstance(item, dict):
                raise MissingParameter("fulfillment_order_line_items", "expected objects")
            line = by_id.get(json_int(item.get("id"), "id"))
            qty = json_int(item.get("quantity"), "quantity")
            if line is None or qty < 1 or qty > line.fulfillable_quantity:
                raise Unprocessable(["Invalid fulfillment order line item quantity requested."])
            plan.append((fo, line, qty))
        return plan

    def update_tracking(self, fulfillment_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST fulfillments/{id}/update_tracking.json``."""
        known = fulfillment_id.isdecimal()
        resource = self.fulfillments.get(int(fulfillment_id)) if known else None
        if resource is None:
            raise NotFound()
        raw = body.get("fulfillment")
        if not isinstance(raw, dict) or not isinstance(raw.get("tracking_info"), dict):
            raise MissingParameter("tracking_info", "expected fulfillment.tracking_info object")
        _apply_tracking(resource, raw["tracking_info"])
        resource["notify_customer"] = bool(raw.get("notify_customer", False))
        resource["updated_at"] = shopify_time(self.model.clock.now())
        self.model.publisher.publish("fulfillments/update", public(resource))
        return public(resource)


def _apply_tracking(resource: dict[str, Any], tracking: Mapping[str, Any]) -> None:
    number, url = tracking.get("number"), tracking.get("url")
    resource["tracking_company"] = tracking.get("company")
    resource["tracking_number"] = number
    resource["tracking_numbers"] = [number] if number else []
    resource["tracking_url"] = url
    resource["tracking_urls"] = [url] if url else []


def public(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource without our private bookkeeping keys (``_``-prefixed)."""
    return {k: v for k, v in resource.items() if not k.startswith("_")}
