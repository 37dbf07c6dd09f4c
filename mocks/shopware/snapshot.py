"""``GET /_mock/state`` and ``/_mock/stats`` of the Shopware 6 mock: ground truth for checkers.

State shape::

    {"products": [{"id", "productNumber", "name", "stock", "availableStock", "isCloseout",
                   "active", "sales", "parentId", "options", "gross"}],
     "inventory_levels": [{"sku", "product_id", "available"}],   # one per product
     "oversold": {"<productNumber>": units},   # products whose stock went below zero
     "orders": [{...live order with every association, "created_at_ts", "updated_at_ts",
                 "drafts": [versionId, ...],
                 "totals": {"total", "net", "tax", "shipping", "discount"}}],
     "customers": [...customer resources], "promotions": [...], "webhooks": [...],
     "stats": {...as /_mock/stats}}

``totals`` are decimal strings: ``tax`` is the sum of ``calculatedTaxes``, ``discount`` the
(positive) sum of the promotion lines. Stats: Admin API calls by status, 401s, 429s (token route
and Admin limiter), tokens issued, checkouts, sync requests/records, closeout stock writes
ignored or rejected, and the webhook outbox counters.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from mocks.common.money import fmt
from mocks.shopware.resources import customer_resource, promotion_resource

if TYPE_CHECKING:
    from mocks.shopware.models import ShopwareModel


def stats(model: ShopwareModel) -> dict[str, Any]:
    """Counters since the last reset."""
    s = model.stats_
    return {
        "calls": s.calls,
        "unauthorized": s.unauthorized,
        "throttled": s.throttled,
        "by_status": dict(s.by_status),
        "oauth": {
            "tokens_issued": s.tokens_issued,
            "throttled": s.oauth_throttled,
            "revocations": model.revocations,
        },
        "checkouts": {"accepted": s.checkouts_accepted, "rejected": s.checkouts_rejected},
        "sync": {
            "requests": s.sync_requests,
            "records": s.sync_records,
            "rejected": s.sync_rejected,
        },
        "closeout_stock_writes": {
            "ignored": s.closeout_writes_ignored,
            "rejected": s.closeout_writes_rejected,
        },
        "orders": len(model.orders),
        "customers": len(model.catalog.customers),
        "webhooks": {
            **model.outbox.counters().as_dict(),
            "subscriptions": len(model.notifier.subscriptions),
            "messages": model.notifier.messages,
            "sequence": model.notifier.sequence,
        },
    }


def _totals(order: dict[str, Any]) -> dict[str, str]:
    tax = sum((Decimal(t["tax"]) for t in order["price"]["calculatedTaxes"]), Decimal(0))
    discount = -sum(
        (Decimal(li["totalPrice"]) for li in order["lineItems"] if li["type"] == "promotion"),
        Decimal(0),
    )
    return {
        "total": order["amountTotal"],
        "net": order["amountNet"],
        "tax": fmt(tax),
        "shipping": order["shippingTotal"],
        "discount": fmt(discount),
    }


def snapshot(model: ShopwareModel) -> dict[str, Any]:
    """Every product, order, customer, promotion and webhook, plus the stats."""
    products = []
    for p in model.catalog.products.values():
        _, gross, _ = model.effective_price(p)
        products.append(
            {
                "id": p.id,
                "productNumber": p.product_number,
                "name": p.name,
                "stock": p.stock,
                "availableStock": p.stock,
                "isCloseout": p.is_closeout,
                "active": p.active,
                "sales": p.sales,
                "parentId": p.parent_id,
                "options": [dict(o) for o in p.options],
                "gross": fmt(gross),
            }
        )
    orders = []
    for order in model.orders.values():
        doc = model.order_doc(order, None)
        orders.append(
            {
                **doc,
                "created_at_ts": order.live.created_ts,
                "updated_at_ts": order.live.updated_ts or order.live.created_ts,
                "drafts": list(order.drafts),
                "totals": _totals(doc),
            }
        )
    return {
        "products": products,
        "inventory_levels": [
            {"sku": p["productNumber"], "product_id": p["id"], "available": p["stock"]}
            for p in products
        ],
        "oversold": {
            p.product_number: -p.stock for p in model.catalog.products.values() if p.stock < 0
        },
        "orders": orders,
        "customers": [customer_resource(cu) for cu in model.catalog.customers.values()],
        "promotions": [promotion_resource(p) for p in model.promotions.values()],
        "webhooks": [
            {"id": s.id, "event": s.event, "url": s.url, "onlyLiveVersion": s.only_live_version}
            for s in model.notifier.subscriptions.values()
        ],
        "stats": stats(model),
    }
