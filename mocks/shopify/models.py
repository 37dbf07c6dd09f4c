"""The Shopify mock's state and operations, as plain Python (no HTTP, no FastAPI).

One :class:`ShopifyModel` per app instance: locations, products with one variant each (a
variant is 1:1 with an inventory item holding the SKU), inventory levels per location, orders,
webhook subscriptions, per-token leaky buckets and the counters behind ``/_mock/stats``.
Operations are named after the API's; errors are raised as classes from ``errors.py``.
Deterministic for a given seed and clock.
"""

from __future__ import annotations

import hmac
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from mocks.common.money import fmt
from mocks.common.ratelimit import BucketResult, LeakyBucket
from mocks.common.rng import derive
from mocks.common.webhooks import WebhookOutbox
from mocks.shopify import constants as c
from mocks.shopify.constants import ShopifySettings
from mocks.shopify.errors import NotFound, Unprocessable
from mocks.shopify.events import Publisher
from mocks.shopify.fulfillments import FulfillmentBook
from mocks.shopify.order_changes import OrderChanges
from mocks.shopify.orders import shopify_time
from mocks.shopify.pagination import Page, paginate
from mocks.shopify.payouts import PaymentsLedger
from mocks.shopify.quirks import AbuseGuard, SpuriousThrottle, VariantCreationLimit
from mocks.shopify.records import (
    CallStats,
    InventoryLevel,
    Location,
    Order,
    Product,
    Variant,
    WebhookSubscription,
)
from mocks.shopify.refunds import RefundDesk
from mocks.shopify.schemas import (
    CheckoutRequest,
    InventoryChange,
    ListRequest,
    OrderFilters,
    WebhookCreate,
    parse_id_list,
    parse_order_filters,
)
from mocks.shopify.seeding import seed_catalog
from mocks.shopify.snapshot import state_of, stats_of
from mocks.shopify.staff import StaffDesk
from mocks.shopify.storefront import place_order
from simclock import Clock


class ShopifyModel:
    """All state of one mocked shop."""

    def __init__(
        self,
        *,
        settings: ShopifySettings,
        clock: Clock,
        credentials: Mapping[str, str],
        seed: int,
        outbox: WebhookOutbox,
    ) -> None:
        unknown = set(credentials) - c.CREDENTIAL_KEYS
        if unknown:
            raise ValueError(f"unknown Shopify credential(s): {', '.join(sorted(unknown))}")
        self.settings = settings
        self.clock = clock
        self.outbox = outbox
        self.access_token = credentials.get("access_token", c.DEFAULT_ACCESS_TOKEN)
        self.webhook_secret = credentials.get("webhook_secret", c.DEFAULT_WEBHOOK_SECRET)
        self._event_rng = derive(seed, "shopify:event-ids")
        self._buckets: dict[str, LeakyBucket] = {}
        self.publisher = Publisher(
            outbox=outbox,
            subscriptions=lambda: self.subscriptions,
            settings=settings,
            clock=clock,
            secret=lambda: self.webhook_secret,
            seed=seed,
        )
        """Every webhook topic goes out through here."""
        self.abuse_guard = AbuseGuard(settings=settings, clock=clock)
        self.spurious_throttle = SpuriousThrottle(settings=settings, seed=seed)
        self.variant_quota = VariantCreationLimit(settings=settings, clock=clock)
        self.order_changes = OrderChanges(self)
        self._clear()

    def _clear(self) -> None:
        self.currency = self.settings.currency
        self.locations: dict[int, Location] = {}
        self.products: dict[int, Product] = {}
        self.variants_by_sku: dict[str, Variant] = {}
        self.variants_by_item: dict[int, Variant] = {}
        self.levels: dict[tuple[int, int], InventoryLevel] = {}
        self.orders: dict[int, Order] = {}
        self.subscriptions: dict[int, WebhookSubscription] = {}
        self.bundle_components: dict[str, dict[str, int]] = {}
        """Bundle sku -> component sku -> units per bundle (seeded)."""
        self.fulfillment_book = FulfillmentBook(self)
        self.refund_desk = RefundDesk(self)
        self.staff_desk = StaffDesk(self)
        self.ledger = PaymentsLedger(self)
        self.stats_ = CallStats()
        self._next = {
            "location": c.LOCATION_ID_START,
            "product": c.PRODUCT_ID_START,
            "variant": c.VARIANT_ID_START,
            "item": c.INVENTORY_ITEM_ID_START,
            "order": c.ORDER_ID_START,
            "line": c.LINE_ITEM_ID_START,
            "number": c.ORDER_NUMBER_START,
            "webhook": c.WEBHOOK_SUBSCRIPTION_ID_START,
            "fulfillment_order": c.FULFILLMENT_ORDER_ID_START,
            "fulfillment_order_line": c.FULFILLMENT_ORDER_LINE_ID_START,
            "fulfillment": c.FULFILLMENT_ID_START,
            "refund": c.REFUND_ID_START,
            "refund_line": c.REFUND_LINE_ID_START,
            "order_edit": c.ORDER_EDIT_ID_START,
            "transaction": c.TRANSACTION_ID_START,
            "balance": c.BALANCE_TRANSACTION_ID_START,
            "payout": c.PAYOUT_ID_START,
        }
        for bucket in self._buckets.values():
            bucket.reset()

    def new_id(self, kind: str) -> int:
        """Next id of ``kind`` (monotonic per kind until reset)."""
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # -- auth and budget ------------------------------------------------------------------

    def authenticate(self, token: str | None) -> bool:
        """Constant-time comparison with the configured access token."""
        return token is not None and hmac.compare_digest(token, self.access_token)

    def acquire(self, token: str) -> BucketResult:
        """Spend one call from the token's leaky bucket (per app per store)."""
        bucket = self._buckets.get(token)
        if bucket is None:
            bucket = LeakyBucket(
                capacity=self.settings.bucket_size,
                leak_rate=self.settings.leak_rate,
                clock=self.clock,
            )
            self._buckets[token] = bucket
        return bucket.try_acquire(1)

    def record_call(self, status: int) -> None:
        """Count one ``/admin/`` response."""
        self.stats_.calls += 1
        self.stats_.by_status[str(status)] += 1
        if status == 429:
            self.stats_.throttled += 1

    # -- control (/_mock/) -----------------------------------------------------------------

    def reset(self) -> None:
        """Empty shop, fresh counters, empty outbox."""
        self._clear()
        self.outbox.reset()
        self.abuse_guard.reset()
        self.variant_quota.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add locations and products (one variant each) with stock; see docs/contracts.md."""
        return seed_catalog(self, payload)

    def stats(self) -> dict[str, Any]:
        """``/_mock/stats`` shape."""
        return stats_of(self)

    def state(self) -> dict[str, Any]:
        """Ground truth for checkers: orders, inventory levels, locations, money trail."""
        return state_of(self)

    # -- Admin API: locations, products, inventory ------------------------------------------

    def list_locations(self) -> list[dict[str, Any]]:
        """``GET locations.json``."""
        return [
            {"id": loc.id, "name": loc.name, "active": loc.active}
            for loc in self.locations.values()
        ]

    @staticmethod
    def _variant_resource(v: Variant, quantity: int) -> dict[str, Any]:
        return {
            "id": v.id,
            "product_id": v.product_id,
            "title": v.title,
            "sku": v.sku,
            "price": fmt(v.price),
            "inventory_item_id": v.inventory_item_id,
            "inventory_quantity": quantity,
            "inventory_management": "shopify",
        }

    def list_products(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET products.json``, by id ascending."""
        products = sorted(self.products.values(), key=lambda p: p.id)
        page = paginate(
            products,
            lambda p: (p.id,),
            resource="products",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        totals: Counter[int] = Counter()
        for (item_id, _), level in self.levels.items():
            totals[item_id] += level.available
        items = [
            {
                "id": p.id,
                "title": p.title,
                "variants": [
                    self._variant_resource(v, totals[v.inventory_item_id]) for v in p.variants
                ],
            }
            for p in page.items
        ]
        return Page(items=items, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)

    @staticmethod
    def _level_resource(lv: InventoryLevel) -> dict[str, Any]:
        return {
            "inventory_item_id": lv.inventory_item_id,
            "location_id": lv.location_id,
            "available": lv.available,
            "updated_at": shopify_time(lv.updated_ts),
        }

    def list_inventory_levels(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET inventory_levels.json``; at least one id filter is required (422)."""
        items = parse_id_list("inventory_item_ids", req.filters.get("inventory_item_ids"))
        locations = parse_id_list("location_ids", req.filters.get("location_ids"))
        if items is None and locations is None:
            raise Unprocessable(
                {"base": ["inventory_item_ids, location_ids, or both must be specified"]}
            )
        levels = sorted(
            (
                lv
                for lv in self.levels.values()
                if (items is None or lv.inventory_item_id in items)
                and (locations is None or lv.location_id in locations)
            ),
            key=lambda lv: (lv.inventory_item_id, lv.location_id),
        )
        page = paginate(
            levels,
            lambda lv: (lv.inventory_item_id, lv.location_id),
            resource="inventory_levels",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        return Page(
            items=[self._level_resource(lv) for lv in page.items],
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )

    def _level(self, change: InventoryChange) -> InventoryLevel:
        if change.location_id not in self.locations:
            raise Unprocessable({"location_id": [f"Location {change.location_id} does not exist"]})
        if change.inventory_item_id not in self.variants_by_item:
            raise Unprocessable(
                {"inventory_item_id": [f"Inventory item {change.inventory_item_id} does not exist"]}
            )
        key = (change.inventory_item_id, change.location_id)
        if key not in self.levels:  # set/adjust connect the item to the location, as Shopify does
            self.levels[key] = InventoryLevel(
                inventory_item_id=key[0],
                location_id=key[1],
                available=0,
                updated_ts=self.clock.now(),
            )
        return self.levels[key]

    def set_inventory_level(self, change: InventoryChange) -> dict[str, Any]:
        """``POST inventory_levels/set.json``: absolute ``available``."""
        level = self._level(change)
        level.available = change.value
        level.updated_ts = self.clock.now()
        self.publisher.publish("inventory_levels/update", self._level_resource(level))
        return self._level_resource(level)

    def adjust_inventory_level(self, change: InventoryChange) -> dict[str, Any]:
        """``POST inventory_levels/adjust.json``: add a delta (Shopify lets it go negative)."""
        level = self._level(change)
        level.available += change.value
        level.updated_ts = self.clock.now()
        self.publisher.publish("inventory_levels/update", self._level_resource(level))
        return self._level_resource(level)

    # -- Admin API: orders -----------------------------------------------------------------

    def _query_orders(
        self, f: OrderFilters
    ) -> tuple[list[Order], Callable[[Order], tuple[float | int, ...]]]:
        matching = [o for o in self.orders.values() if o.matches(f)]
        if f.since_id is not None:  # Shopify: since_id lists by id ascending

            def key(o: Order) -> tuple[float | int, ...]:
                return (o.id,)
        else:  # otherwise newest first; negated so pagination always walks ascending keys

            def key(o: Order) -> tuple[float | int, ...]:
                return (-o.created_ts, -o.id)

        return sorted(matching, key=key), key

    def list_orders(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET orders.json``."""
        orders, key = self._query_orders(parse_order_filters(req.filters))
        page = paginate(
            orders, key, resource="orders", limit=req.limit, cursor=req.cursor, filters=req.filters
        )
        return Page(
            items=[o.resource for o in page.items],
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )

    def count_orders(self, filters: Mapping[str, str]) -> int:
        """``GET orders/count.json``."""
        f = parse_order_filters(filters)
        return sum(1 for o in self.orders.values() if o.matches(f))

    def get_order(self, order_id: str) -> dict[str, Any]:
        """``GET orders/{id}.json``."""
        order = self.orders.get(int(order_id)) if order_id.isdecimal() else None
        if order is None:
            raise NotFound()
        return order.resource

    # -- Admin API: webhook subscriptions -------------------------------------------------------

    def create_webhook(self, body: WebhookCreate, *, api_version: str) -> dict[str, Any]:
        """``POST webhooks.json``."""
        if body.topic not in c.WEBHOOK_TOPICS:
            raise Unprocessable({"topic": [f"Invalid topic specified: {body.topic}"]})
        if not body.address.startswith(("http://", "https://")):
            raise Unprocessable({"address": ["is invalid"]})
        if any(
            s.topic == body.topic and s.address == body.address for s in self.subscriptions.values()
        ):
            raise Unprocessable({"address": ["for this topic has already been taken"]})
        sub = WebhookSubscription(
            id=self.new_id("webhook"),
            topic=body.topic,
            address=body.address,
            api_version=api_version,
            created_ts=self.clock.now(),
            format=body.format,
        )
        self.subscriptions[sub.id] = sub
        return sub.resource()

    def list_webhooks(self) -> list[dict[str, Any]]:
        """``GET webhooks.json``."""
        return [s.resource() for s in self.subscriptions.values()]

    def delete_webhook(self, webhook_id: str) -> None:
        """``DELETE webhooks/{id}.json``."""
        if not webhook_id.isdecimal() or self.subscriptions.pop(int(webhook_id), None) is None:
            raise NotFound()

    # -- storefront (/_sim/) -----------------------------------------------------------------

    def checkout(self, req: CheckoutRequest) -> dict[str, Any]:
        """Place an order: all lines reserved or none (409/422); see ``storefront.py``."""
        return place_order(self, req)
