"""``/_mock/state`` and ``/_mock/stats`` of the Shopify mock (ground truth for checkers)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mocks.shopify.models import ShopifyModel


def stats_of(model: ShopifyModel) -> dict[str, Any]:
    """``/_mock/stats`` shape."""
    s = model.stats_
    return {
        "calls": s.calls,
        "throttled": s.throttled,
        "by_status": dict(s.by_status),
        "checkouts": {"accepted": s.checkouts_accepted, "rejected": s.checkouts_rejected},
        "webhooks": {
            **model.outbox.counters().as_dict(),
            "subscriptions_removed": len(model.publisher.removed),
        },
        "shop_locks": model.abuse_guard.locks,
        "staff": {
            action: {k: v for k, v in counts.items() if k != "order_ids"}
            for action, counts in model.staff_desk.counts().items()
        },
    }


def state_of(model: ShopifyModel) -> dict[str, Any]:
    """Every order, inventory level, location, fulfillment order and the money trail."""
    ledger = model.ledger
    return {
        "orders": [
            {**o.resource, "created_at_ts": o.created_ts, "updated_at_ts": o.updated_ts}
            for o in model.orders.values()
        ],
        "inventory_levels": [
            {
                "sku": model.variants_by_item[lv.inventory_item_id].sku,
                "inventory_item_id": lv.inventory_item_id,
                "location_id": lv.location_id,
                "available": lv.available,
                "updated_at_ts": lv.updated_ts,
            }
            for lv in model.levels.values()
        ],
        "locations": [
            {"id": loc.id, "name": loc.name, "primary": i == 0}
            for i, loc in enumerate(model.locations.values())
        ],
        "fulfillment_orders": [
            {
                "id": fo.id,
                "order_id": fo.order_id,
                "location_id": fo.location_id,
                "status": fo.status,
            }
            for fo in model.fulfillment_book.fulfillment_orders.values()
        ],
        "transactions": [t.resource() for t in ledger.transactions.values()],
        "balance_transactions": [
            bt.resource("paid" if bt.payout_id else "pending") for bt in ledger.balance.values()
        ],
        "payouts": [p.resource() for p in ledger.payouts.values()],
        "staff": model.staff_desk.counts(),
        "stats": stats_of(model),
    }
