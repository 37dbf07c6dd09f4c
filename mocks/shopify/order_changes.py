"""What happens to an order after checkout: shipments, cancellation, restocks, current totals.

Refunds live in ``refunds.py`` and post-purchase edits in ``edits.py``; both come back here to
restock units, recompute the ``current_*`` totals and publish the order's webhooks, so every
change of an order is announced the same way (``orders/updated`` plus the specific topic).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.money import fmt
from mocks.shopify.errors import BadRequest, NotFound, Unprocessable
from mocks.shopify.fulfillments import IN_PROGRESS
from mocks.shopify.orders import shopify_time
from mocks.shopify.pricing import price_order
from mocks.shopify.records import Order

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel

CANCEL_REASONS = ("customer", "inventory", "fraud", "declined", "staff", "other")
ALREADY_CANCELLED = "Order has already been cancelled"
HAS_FULFILLMENTS = "Cannot cancel an order with fulfillments"
PICKING_STARTED = "Cannot cancel an order with fulfillment orders in progress"


class OrderChanges:
    """Post-checkout changes of the model's orders."""

    def __init__(self, model: ShopifyModel) -> None:
        self.model = model

    def order(self, order_id: str | int) -> Order:
        """The order by id (string from a path or int), or 404."""
        key = int(order_id) if isinstance(order_id, int) or order_id.isdecimal() else None
        order = self.model.orders.get(key) if key is not None else None
        if order is None:
            raise NotFound()
        return order

    # -- stock ---------------------------------------------------------------------------

    def restock(
        self, order: Order, line_item_id: int, quantity: int, location_id: int | None = None
    ) -> None:
        """Put ``quantity`` units of a line back (bundle lines put their components back)."""
        for unit in order.line_stock[line_item_id]:
            self.change_stock(
                unit.inventory_item_id, location_id or unit.location_id, unit.per_unit * quantity
            )

    def change_stock(self, inventory_item_id: int, location_id: int, delta: int) -> None:
        """Move ``available`` and announce it (``inventory_levels/update``)."""
        level = self.model.levels.get((inventory_item_id, location_id))
        if level is None:
            raise Unprocessable({"location_id": [f"Location {location_id} does not stock it"]})
        level.available += delta
        level.updated_ts = self.model.clock.now()
        self.model.publisher.publish("inventory_levels/update", self.model._level_resource(level))

    # -- bookkeeping on the resource ---------------------------------------------------

    def touch(self, order: Order) -> None:
        """New ``updated_at`` and recomputed ``current_*`` totals (from current quantities)."""
        now = self.model.clock.now()
        order.updated_ts = now
        r = order.resource
        r["updated_at"] = shopify_time(now)
        items = r["line_items"]
        refunded_shipping = sum(
            (
                -Decimal(adj["amount"])
                for refund in r.get("refunds", [])
                for adj in refund.get("order_adjustments", [])
            ),
            Decimal("0.00"),
        )
        priced = price_order(
            lines=[(Decimal(li["price"]), li["current_quantity"]) for li in items],
            discount_percent=order.discount_percent,
            tax_rate=self.model.settings.tax_rate,
            shipping=max(order.shipping_price - refunded_shipping, Decimal("0.00")),
        )
        r["current_subtotal_price"] = fmt(priced.subtotal_price)
        r["current_total_discounts"] = fmt(priced.total_discounts)
        r["current_total_tax"] = fmt(priced.total_tax)
        r["current_total_price"] = fmt(priced.total_price)

    def announce(self, order: Order, *topics: str) -> None:
        """Publish ``orders/updated`` and any more specific order topics."""
        for topic in (*topics, "orders/updated"):
            self.model.publisher.publish(topic, order.resource)

    def record_shipment(
        self, order: Order, shipped: Mapping[int, int], fulfillment: dict[str, Any]
    ) -> None:
        """A fulfillment was created: lines' ``fulfillable_quantity`` and the order status."""
        for item in order.resource["line_items"]:
            item["fulfillable_quantity"] -= shipped.get(item["id"], 0)
        order.resource.setdefault("fulfillments", []).append(fulfillment)
        remaining = sum(li["fulfillable_quantity"] for li in order.resource["line_items"])
        order.resource["fulfillment_status"] = "partial" if remaining else "fulfilled"
        self.touch(order)
        self.model.publisher.publish("fulfillments/create", fulfillment)
        self.announce(order, "orders/partially_fulfilled" if remaining else "orders/fulfilled")

    def shipped_quantity(self, order: Order, line_item_id: int) -> int:
        """Units of a line in fulfillments."""
        return sum(
            li["quantity"]
            for f in self.model.fulfillment_book.list_fulfillments(order)
            for li in f["line_items"]
            if li["id"] == line_item_id
        )

    # -- cancel --------------------------------------------------------------------------

    def cancel_order(self, order_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        """``POST orders/{id}/cancel.json`` (``reason``, ``restock``, ``email``, ``refund``)."""
        order = self.order(order_id)
        reason = body.get("reason", "other")
        if reason not in CANCEL_REASONS:
            raise BadRequest("reason", f"must be one of {', '.join(CANCEL_REASONS)}")
        for name in ("restock", "email", "refund"):
            if name in body and not isinstance(body[name], bool):
                raise BadRequest(name, "must be true or false")
        if order.cancelled_ts is not None:
            raise Unprocessable({"base": [ALREADY_CANCELLED]})
        book = self.model.fulfillment_book
        if book.list_fulfillments(order):
            raise Unprocessable({"base": [HAS_FULFILLMENTS]})
        if self.model.settings.cancel_refused_after_picking and any(
            fo.status == IN_PROGRESS for fo in book.of_order(order)
        ):
            raise Unprocessable({"base": [PICKING_STARTED]})
        restock = bool(body.get("restock", False))
        if body.get("refund", False):
            self.model.refund_desk.refund_everything(order, restock=restock)
        elif restock:
            for item in order.resource["line_items"]:
                if item["fulfillable_quantity"]:
                    self.restock(order, item["id"], item["fulfillable_quantity"])
        book.cancel_all(order)
        now = self.model.clock.now()
        order.cancelled_ts = now
        r = order.resource
        r["cancelled_at"] = shopify_time(now)
        r["cancel_reason"] = reason
        for item in r["line_items"]:
            item["fulfillable_quantity"] = 0
        self.touch(order)
        self.announce(order, "orders/cancelled")
        return r
