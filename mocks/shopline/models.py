"""The SHOPLINE mock's state and operations, as plain Python (no HTTP, no FastAPI).

One :class:`ShoplineModel` per app instance: locations, products with variants (SKUs may repeat
across products), inventory levels per location, customers (by e-mail and/or mobile number),
orders and their fulfilments (operations in fulfillments.py), webhook subscriptions, the app's
access tokens, its leaky bucket (one per app per store, shared by every token of the app, so a
rotation never refills the budget), the store lock and the counters behind ``/_mock/stats``
(injected faults are the shared fault plan's). Errors are raised as classes from ``errors.py``.
Deterministic for a given seed and clock.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from mocks.common.ratelimit import BucketResult, LeakyBucket
from mocks.common.rng import derive
from mocks.common.webhooks import WebhookOutbox
from mocks.shopify.pagination import Page, paginate
from mocks.shopline import constants as c
from mocks.shopline.access import StoreLock, TokenStore
from mocks.shopline.checkout import reserve_and_price
from mocks.shopline.constants import ShoplineSettings
from mocks.shopline.customers import CustomerBook
from mocks.shopline.errors import NotFound, ShoplineMockError, UnknownLocation, Unprocessable
from mocks.shopline.notify import emit
from mocks.shopline.records import (
    CallStats,
    Customer,
    Fulfillment,
    InventoryLevel,
    Location,
    Order,
    Product,
    Variant,
    WebhookSubscription,
)
from mocks.shopline.resources import (
    build_order,
    level_resource,
    location_resource,
    product_resource,
    webhook_resource,
)
from mocks.shopline.schemas import (
    CheckoutRequest,
    InventoryChange,
    ListRequest,
    WebhookCreate,
    parse_id_list,
    parse_order_filters,
)
from mocks.shopline.seeding import seed_catalog
from mocks.shopline.snapshot import snapshot
from simclock import Clock

_ID_STARTS = {
    "location": c.LOCATION_ID_START,
    "product": c.PRODUCT_ID_START,
    "variant": c.VARIANT_ID_START,
    "item": c.INVENTORY_ITEM_ID_START,
    "order": c.ORDER_ID_START,
    "line": c.LINE_ITEM_ID_START,
    "customer": c.CUSTOMER_ID_START,
    "webhook": c.WEBHOOK_ID_START,
    "fulfillment": c.FULFILLMENT_ID_START,
    "number": c.ORDER_NUMBER_START,
}


class ShoplineModel:
    """All state of one mocked SHOPLINE store."""

    def __init__(
        self,
        *,
        settings: ShoplineSettings,
        clock: Clock,
        credentials: Mapping[str, str],
        seed: int,
        outbox: WebhookOutbox,
    ) -> None:
        unknown = set(credentials) - c.CREDENTIAL_KEYS
        if unknown:
            raise ValueError(f"unknown SHOPLINE credential(s): {', '.join(sorted(unknown))}")
        self.settings = settings
        self.clock = clock
        self.outbox = outbox
        self.webhook_secret = credentials.get("webhook_secret", c.DEFAULT_WEBHOOK_SECRET)
        self.tokens = TokenStore(
            clock=clock,
            rng=derive(seed, "shopline:tokens"),
            ttl=settings.token_ttl_seconds,
            grace=settings.token_grace_seconds,
            initial_token=credentials.get("access_token", c.DEFAULT_ACCESS_TOKEN),
        )
        self.bucket = LeakyBucket(
            capacity=settings.bucket_size, leak_rate=settings.leak_rate, clock=clock
        )
        self.lock = StoreLock(
            clock=clock,
            threshold=settings.lock_threshold,
            window=settings.lock_window_seconds,
            duration=settings.lock_duration_seconds,
        )
        self._clear()

    def _clear(self) -> None:
        self.currency = self.settings.currency
        self.locations: dict[int, Location] = {}
        self.products: dict[int, Product] = {}
        self.variants: dict[int, Variant] = {}
        self.variants_by_item: dict[int, Variant] = {}
        self.levels: dict[tuple[int, int], InventoryLevel] = {}
        self.customers = CustomerBook()
        self.orders: dict[int, Order] = {}
        self.fulfillments: dict[int, list[Fulfillment]] = {}
        """Order id -> its fulfilments, oldest first (operations in fulfillments.py)."""
        self.subscriptions: dict[int, WebhookSubscription] = {}
        self.stats_ = CallStats()
        self._next = dict(_ID_STARTS)
        self.bucket.reset()
        self.lock.reset()

    def new_id(self, kind: str) -> int:
        """Next id of ``kind`` (monotonic per kind until reset)."""
        value = self._next[kind]
        self._next[kind] = value + 1
        return value

    # -- budget and counters (the gate calls these) ------------------------------------------

    def acquire(self) -> BucketResult:
        """Spend one call from the app's bucket; a refusal counts toward the store lock."""
        result = self.bucket.try_acquire(1)
        if not result.allowed:
            self.lock.record_throttle()
        return result

    def record_call(self, status: int) -> None:
        """Count one Open API response."""
        s = self.stats_
        s.calls += 1
        s.by_status[str(status)] += 1
        s.throttled += status == 429
        s.unauthorized += status == 401

    # -- control (/_mock/) -----------------------------------------------------------------

    def reset(self) -> None:
        """Empty store, fresh counters, empty outbox, unlocked (tokens are kept)."""
        self._clear()
        self.outbox.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add locations, products (duplicate SKUs allowed) and customers; see seeding.py."""
        return seed_catalog(self, payload)

    def stats(self) -> dict[str, Any]:
        """``/_mock/stats`` shape (the Shopify mock's, plus SHOPLINE's lock; the fault plan adds
        ``faults``)."""
        s = self.stats_
        return {
            "calls": s.calls,
            "throttled": s.throttled,
            "locked": s.locked,
            "unauthorized": s.unauthorized,
            "store_locks": self.lock.locks,
            "store_locked": self.lock.is_locked(),
            "by_status": dict(s.by_status),
            "checkouts": {"accepted": s.checkouts_accepted, "rejected": s.checkouts_rejected},
            "customers": {
                "total": len(self.customers.customers),
                "created": self.customers.created,
            },
            "webhooks": self.outbox.counters().as_dict(),
        }

    def state(self) -> dict[str, Any]:
        """Ground truth for checkers (see snapshot.py)."""
        return snapshot(self)

    # -- locations, products, inventory ----------------------------------------------------

    def list_locations(self) -> list[dict[str, Any]]:
        """``GET locations.json``."""
        return [location_resource(loc) for loc in self.locations.values()]

    def list_products(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET products.json`` by id ascending; every variant shows its own SKU, repeats
        included."""
        page = paginate(
            list(self.products.values()),
            lambda p: (p.id,),
            resource="products",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        totals: Counter[int] = Counter()
        for (item_id, _), level in self.levels.items():
            totals[item_id] += level.available
        items = [product_resource(p, dict(totals)) for p in page.items]
        return Page(items=items, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)

    def list_inventory_levels(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET inventory_levels.json?inventory_item_ids=&location_ids=`` (both optional)."""
        items = parse_id_list("inventory_item_ids", req.filters.get("inventory_item_ids"))
        locations = parse_id_list("location_ids", req.filters.get("location_ids"))
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
            items=[
                level_resource(lv, self.variants_by_item[lv.inventory_item_id]) for lv in page.items
            ],
            next_cursor=page.next_cursor,
            prev_cursor=page.prev_cursor,
        )

    def _level(self, change: InventoryChange) -> InventoryLevel:
        if change.location_id not in self.locations:
            raise NotFound("location")
        if change.inventory_item_id not in self.variants_by_item:
            raise NotFound("inventory item")
        key = (change.inventory_item_id, change.location_id)
        if key not in self.levels:
            self.levels[key] = InventoryLevel(
                inventory_item_id=key[0], location_id=key[1], available=0, updated_ts=0.0
            )
        return self.levels[key]

    def set_inventory_level(self, change: InventoryChange) -> dict[str, Any]:
        """``POST inventory_levels/set.json``: absolute ``available`` at one location."""
        level = self._level(change)
        level.available = change.value
        level.updated_ts = self.clock.now()
        return level_resource(level, self.variants_by_item[level.inventory_item_id])

    def adjust_inventory_level(self, change: InventoryChange) -> dict[str, Any]:
        """``POST inventory_levels/adjust.json``: add a +/- delta at one location."""
        level = self._level(change)
        level.available += change.value
        level.updated_ts = self.clock.now()
        return level_resource(level, self.variants_by_item[level.inventory_item_id])

    # -- orders ----------------------------------------------------------------------------

    def list_orders(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET orders.json``: by id ascending (SHOPLINE pages start in ``since_id`` mode)."""
        f = parse_order_filters(req.filters)
        matching = [o for o in self.orders.values() if o.matches(f)]
        page = paginate(
            matching,
            lambda o: (o.id,),
            resource="orders",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        items = [o.resource for o in page.items]
        return Page(items=items, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)

    def count_orders(self, filters: Mapping[str, str]) -> int:
        """``GET orders/count.json`` with the list's filters."""
        f = parse_order_filters(filters)
        return sum(1 for o in self.orders.values() if o.matches(f))

    def get_order(self, order_id: str) -> dict[str, Any]:
        """``GET orders/{id}.json``."""
        order = self.orders.get(int(order_id)) if order_id.isdecimal() else None
        if order is None:
            raise NotFound("order")
        return order.resource

    # -- customers -------------------------------------------------------------------------

    def find_or_create_customer(self, *, email: str | None, phone: str | None) -> Customer:
        """Match a customer by e-mail, then mobile number, or create one (see customers.py)."""
        customer = self.customers.find_or_create(
            email=email, phone=phone, new_id=self._next["customer"], now=self.clock.now()
        )
        if customer.id == self._next["customer"]:
            self.new_id("customer")
        return customer

    # -- webhook subscriptions -------------------------------------------------------------

    def create_webhook(self, body: WebhookCreate, *, api_version: str) -> dict[str, Any]:
        """``POST webhooks.json``; deliveries use ``api_version`` (chosen at subscription)."""
        if body.topic not in c.WEBHOOK_TOPICS:
            raise Unprocessable(f"Invalid topic: {body.topic}")
        if not body.address.startswith(("http://", "https://")):
            raise Unprocessable(f"Invalid address: {body.address}")
        if any(
            s.topic == body.topic and s.address == body.address for s in self.subscriptions.values()
        ):
            raise Unprocessable("The address for this topic has already been taken")
        sub = WebhookSubscription(
            id=self.new_id("webhook"),
            topic=body.topic,
            address=body.address,
            api_version=api_version,
            created_ts=self.clock.now(),
        )
        self.subscriptions[sub.id] = sub
        return webhook_resource(sub)

    def list_webhooks(self) -> list[dict[str, Any]]:
        """``GET webhooks.json``."""
        return [webhook_resource(s) for s in self.subscriptions.values()]

    def delete_webhook(self, webhook_id: str) -> None:
        """``DELETE webhooks/{id}.json``."""
        if not webhook_id.isdecimal() or self.subscriptions.pop(int(webhook_id), None) is None:
            raise NotFound("webhook")

    # -- storefront (/_sim/) ---------------------------------------------------------------

    def checkout(self, req: CheckoutRequest) -> dict[str, Any]:
        """Place an order: every line reserved at one location or none (409/422); the customer
        is matched or created by e-mail / mobile number; ``orders/create`` is emitted."""
        now = self.clock.now()
        try:
            location_id = req.location_id or next(iter(self.locations), None)
            if location_id is None or location_id not in self.locations:
                raise UnknownLocation(str(req.location_id or ""))
            priced, variants = reserve_and_price(
                req=req,
                settings=self.settings,
                variants=self.variants,
                levels=self.levels,
                location_id=location_id,
                now=now,
            )
        except ShoplineMockError:
            self.stats_.checkouts_rejected += 1
            raise
        customer = None
        if req.email or req.phone:
            customer = self.find_or_create_customer(email=req.email, phone=req.phone)
            customer.orders_count += 1
            customer.total_spent += priced.total_price
            customer.updated_ts = now
        order_id, number = self.new_id("order"), self.new_id("number")
        resource = build_order(
            order_id=order_id,
            number=number,
            line_ids=[self.new_id("line") for _ in variants],
            variants=variants,
            priced=priced,
            req=req,
            customer=customer,
            location_id=location_id,
            tax_rate=str(self.settings.tax_rate),
            tax_title=self.settings.tax_title,
            currency=self.currency,
            now=now,
        )
        self.orders[order_id] = Order(
            id=order_id, created_ts=now, updated_ts=now, resource=resource
        )
        self.stats_.checkouts_accepted += 1
        emit(
            outbox=self.outbox,
            subscriptions=self.subscriptions.values(),
            topic=c.ORDER_CREATE_TOPIC,
            resource=resource,
            secret=self.webhook_secret,
            settings=self.settings,
        )
        return resource
