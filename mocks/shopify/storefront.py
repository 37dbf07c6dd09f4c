"""The storefront checkout (``POST /_sim/checkout``) from basket to announced order.

Reserve and price (``placement.py``), build the order resource, open its fulfillment orders at
the locations the stock came from, capture the payment (a ``sale`` transaction and its Shopify
Payments charge), then announce: ``orders/create`` (with the event-id stream it always had) and
``inventory_levels/update`` for every level the checkout moved.
"""

from __future__ import annotations

import uuid
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.shopify import constants as c
from mocks.shopify.errors import ShopifyMockError, UnknownSku
from mocks.shopify.orders import build_order
from mocks.shopify.placement import place, shipping_address, touched_levels
from mocks.shopify.records import Order
from mocks.shopify.schemas import CheckoutRequest

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel


def place_order(model: ShopifyModel, req: CheckoutRequest) -> dict[str, Any]:
    """Place an order: all lines reserved or none (409/422); returns the order resource."""
    try:
        if not model.locations:
            raise UnknownSku(req.lines[0].sku)  # nothing seeded: no SKU is sold yet
        placement = place(model, req)
    except ShopifyMockError:
        model.stats_.checkouts_rejected += 1
        raise
    now = model.clock.now()
    order_id, number = model.new_id("order"), model.new_id("number")
    line_ids = [model.new_id("line") for _ in placement.variants]
    resource = build_order(
        order_id=order_id,
        number=number,
        line_ids=line_ids,
        variants=placement.variants,
        priced=placement.priced,
        req=req,
        settings=model.settings,
        currency=model.currency,
        now=now,
        properties=placement.properties,
        shipping_address=shipping_address(req.email),
    )
    percent = model.settings.discount_codes.get(req.discount_code) if req.discount_code else None
    order = Order(
        id=order_id,
        created_ts=now,
        updated_ts=now,
        resource=resource,
        line_stock=dict(zip(line_ids, placement.stock, strict=True)),
        discount_percent=Decimal(percent) if percent is not None else None,
        shipping_price=placement.priced.shipping,
    )
    model.orders[order_id] = order
    model.fulfillment_book.open_for(order)
    model.ledger.record_sale(order_id, placement.priced.total_price, model.currency)
    model.stats_.checkouts_accepted += 1
    # orders/create keeps its own event-id stream, drawn for every order as it always was.
    event_id = str(uuid.UUID(int=model._event_rng.getrandbits(128), version=4))
    model.publisher.publish(c.ORDER_CREATE_TOPIC, resource, event_id=event_id)
    for key in touched_levels(placement):
        model.publisher.publish("inventory_levels/update", model._level_resource(model.levels[key]))
    return resource
