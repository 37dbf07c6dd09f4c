"""The Shopware 6 mock's state and operations, as plain Python (no HTTP, no FastAPI).

One :class:`ShopwareModel` per app instance: the catalog (products, customers, taxes), orders
with their versions, promotions, webhook subscriptions, the integration's OAuth tokens, the
token-route and optional Admin limiters and the counters behind ``/_mock/stats``. Writes go
through ``writes.py``, orders through ``checkout.py`` and ``orders.py``; errors are raised as
classes from ``errors.py``. Deterministic for a given seed and clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from mocks.common.money import round_cents
from mocks.common.rng import derive
from mocks.common.webhooks import WebhookOutbox
from mocks.shopware import constants as c
from mocks.shopware.auth import TokenStore, WindowLimiter
from mocks.shopware.catalog import Catalog, UnitOfWork, WriteResult
from mocks.shopware.checkout import place_order
from mocks.shopware.constants import LIVE_VERSION_ID, ShopwareSettings
from mocks.shopware.criteria import Criteria
from mocks.shopware.errors import ResourceNotFound, ShopwareError
from mocks.shopware.notify import Notifier
from mocks.shopware.records import CallStats, IdFactory, Order, OrderData, Product, Promotion, Tax
from mocks.shopware.resources import (
    ORDER_TO_MANY,
    currency_resource,
    customer_resource,
    delivery_resource,
    line_resource,
    order_resource,
    product_resource,
    promotion_resource,
    tax_resource,
    transaction_resource,
)
from mocks.shopware.schemas import CheckoutRequest
from mocks.shopware.search import SearchResult, search
from mocks.shopware.seeding import seed_shop
from mocks.shopware.snapshot import snapshot, stats
from mocks.shopware.writes import WriteContext, delete_record, write_record
from simclock import Clock

READABLE_ENTITIES = (
    "product",
    "customer",
    "order",
    "order_line_item",
    "order_delivery",
    "order_transaction",
    "tax",
    "currency",
    "promotion",
)


_FIELDS: dict[str, str] = {
    "product": """id versionId parentId productNumber name stock availableStock available
        isCloseout active price taxId options sales customFields createdAt updatedAt""",
    "customer": """id customerNumber email firstName lastName guest active customFields
        createdAt updatedAt""",
    "order": """id versionId orderNumber orderDateTime orderDate currencyId currency price
        amountTotal amountNet positionPrice taxStatus shippingTotal shippingCosts stateId
        stateMachineState orderCustomer customerComment affiliateCode campaignCode customFields
        createdAt updatedAt lineItems deliveries transactions""",
    "order_line_item": """id versionId orderId orderVersionId identifier referencedId productId
        parentId type label quantity unitPrice totalPrice price payload good removable
        stackable position createdAt updatedAt""",
    "order_delivery": """id versionId orderId orderVersionId shippingMethodId shippingMethod
        shippingCosts stateId stateMachineState trackingCodes""",
    "order_transaction": """id versionId orderId orderVersionId paymentMethodId amount stateId
        stateMachineState""",
    "promotion": "id name active useCodes code discounts",
    "tax": "id name taxRate",
    "currency": "id isoCode factor isSystemDefault",
}
ENTITY_FIELDS: dict[str, frozenset[str]] = {k: frozenset(v.split()) for k, v in _FIELDS.items()}
"""Top-level field names per readable entity (criteria validate against them)."""


class ShopwareModel:
    """All state of one mocked Shopware 6 shop."""

    def __init__(
        self,
        *,
        settings: ShopwareSettings,
        clock: Clock,
        credentials: Mapping[str, str],
        seed: int,
        outbox: WebhookOutbox,
    ) -> None:
        unknown = set(credentials) - c.CREDENTIAL_KEYS
        if unknown:
            raise ValueError(f"unknown Shopware credential(s): {', '.join(sorted(unknown))}")
        self.settings = settings
        self.launch_settings = settings
        """The settings the app started with; reset restores them."""
        self.clock = clock
        self.outbox = outbox
        self.client_id = credentials.get("client_id", c.DEFAULT_CLIENT_ID)
        self.client_secret = credentials.get("client_secret", c.DEFAULT_CLIENT_SECRET)
        self.live_version_id = LIVE_VERSION_ID
        self.ids = IdFactory(derive(seed, "shopware:ids"))
        self.tokens = TokenStore(
            clock=clock, rng=derive(seed, "shopware:tokens"), ttl=settings.token_ttl_seconds
        )
        self.oauth_limiter = WindowLimiter(
            clock=clock, limit=settings.oauth_rate_limit, window=settings.oauth_rate_window_seconds
        )
        self.admin_limiter = WindowLimiter(
            clock=clock, limit=settings.admin_rate_limit, window=settings.admin_rate_window_seconds
        )
        self.notifier = Notifier(
            outbox=outbox,
            settings=settings,
            secret=credentials.get("webhook_secret", c.DEFAULT_WEBHOOK_SECRET),
            rng=derive(seed, "shopware:webhooks"),
        )
        self._clear()

    def _clear(self) -> None:
        self.catalog = Catalog()
        standard = Tax(
            id=self.settings.standard_tax_id,
            name=self.settings.tax_name,
            rate=self.settings.tax_rate,
        )
        self.catalog.taxes[standard.id] = standard
        self.orders: dict[str, Order] = {}
        self.promotions: dict[str, Promotion] = {}
        self.order_numbers = 10000
        self.stats_ = CallStats()
        self.revocations = 0
        self._docs: dict[tuple[str, str], dict[str, Any]] = {}
        self.oauth_limiter.reset()
        self.admin_limiter.reset()
        self.notifier.reset()

    # -- control (/_mock/) -----------------------------------------------------------------

    def reset(self) -> None:
        """Empty shop, fresh counters, empty outbox, settings' webhooks (tokens are kept)."""
        self.settings = self.launch_settings
        self._clear()
        self.outbox.reset()

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add taxes, products, customers, promotions and webhooks; see seeding.py."""
        return seed_shop(self, payload)

    def state(self) -> dict[str, Any]:
        """Ground truth for checkers (see snapshot.py)."""
        return snapshot(self)

    def stats(self) -> dict[str, Any]:
        """``/_mock/stats``."""
        return stats(self)

    def change_settings(self, overrides: Mapping[str, Any]) -> dict[str, Any]:
        """``POST /_mock/settings``: switch a runtime quirk (ValueError names a bad key)."""
        self.settings = self.settings.with_runtime(overrides)
        return {key: getattr(self.settings, key) for key in sorted(c.RUNTIME_SETTINGS)}

    def record_call(self, status: int) -> None:
        """Count one ``/api/`` response."""
        s = self.stats_
        s.calls += 1
        s.by_status[str(status)] += 1
        s.unauthorized += status == 401
        s.throttled += status == 429

    def revoke_credentials(self) -> None:
        """Invalidate every issued token; the client credentials still get new ones."""
        self.tokens.revoke_all()
        self.revocations += 1

    # -- helpers shared by the write and order modules ------------------------------------

    def next_order_number(self) -> str:
        """Shopware's order number range starts at 10000."""
        value = self.order_numbers
        self.order_numbers += 1
        return str(value)

    def write_context(self) -> WriteContext:
        """Everything a write needs besides its payload."""
        return WriteContext(
            settings=self.settings, ids=self.ids, now=self.clock.now(), stats=self.stats_
        )

    def effective_price(self, product: Product) -> tuple[str, Decimal, Decimal]:
        """``(name, gross unit price, tax rate)``; a variant inherits what it leaves empty."""
        parent = self.catalog.products.get(product.parent_id or "")
        name = product.name or (parent.name if parent else product.product_number)
        prices = product.price or (parent.price if parent else [])
        entry = next((p for p in prices if p.currency_id == self.settings.currency_id), None)
        gross = round_cents(entry.gross) if entry else Decimal("0.00")
        tax = self.catalog.taxes.get(product.tax_id or (parent.tax_id if parent else ""))
        return name, gross, tax.rate if tax else self.settings.tax_rate

    def touch(self, order: Order, data: OrderData) -> None:
        """Mark a version of ``order`` changed now (drops cached documents)."""
        data.updated_ts = self.clock.now()
        self.forget_documents(order)

    def forget_documents(self, order: Order) -> None:
        """Drop ``order``'s cached documents after a change to one of its associations (a
        delivery write leaves the order's own ``updatedAt`` as it was)."""
        for key in [k for k in self._docs if k[0] == order.id]:
            del self._docs[key]

    def order_doc(self, order: Order, version_id: str | None) -> dict[str, Any]:
        """The full order document (every association) of one version, cached."""
        data = order.version(version_id)
        key = (order.id, data.version_id)
        doc = self._docs.get(key)
        if doc is None:
            doc = self._docs[key] = order_resource(data, associations=None)
        return doc

    # -- reads ---------------------------------------------------------------------------

    def documents(self, entity: str, version_id: str | None = None) -> list[dict[str, Any]]:
        """Every record of ``entity`` as a full wire document, in creation order."""
        if entity == "product":
            return [product_resource(p) for p in self.catalog.products.values()]
        if entity == "customer":
            return [customer_resource(cu) for cu in self.catalog.customers.values()]
        if entity == "tax":
            return [tax_resource(t) for t in self.catalog.taxes.values()]
        if entity == "currency":
            return [currency_resource(self.settings.currency_id, self.settings.currency)]
        if entity == "promotion":
            return [promotion_resource(p) for p in self.promotions.values()]
        if entity == "order":
            return [self.order_doc(o, version_id) for o in self.orders.values()]
        datas = [o.version(version_id) for o in self.orders.values()]
        if entity == "order_line_item":
            return [line_resource(li, d) for d in datas for li in d.line_items]
        if entity == "order_delivery":
            return [delivery_resource(d.delivery, d) for d in datas]
        return [transaction_resource(d.transaction, d) for d in datas]

    @staticmethod
    def field_names(entity: str) -> frozenset[str]:
        """Top-level fields a criteria may name for ``entity``."""
        return ENTITY_FIELDS[entity]

    def search(self, entity: str, criteria: Criteria, version_id: str | None) -> SearchResult:
        """``POST /api/search/{entity}`` and ``GET /api/{entity}``."""
        result = search(self.documents(entity, version_id), criteria)
        data = [self.project(entity, doc, criteria) for doc in result.data]
        return SearchResult(total=result.total, data=data, aggregations=result.aggregations)

    def project(self, entity: str, doc: dict[str, Any], criteria: Criteria) -> dict[str, Any]:
        """Unrequested to-many associations become null; ``includes`` keeps listed fields."""
        if entity == "order":
            doc = {
                **doc,
                **{a: None for a in ORDER_TO_MANY if a not in criteria.associations},
            }
        wanted = criteria.includes.get(entity)
        if wanted:
            doc = {k: v for k, v in doc.items() if k in wanted}
        return doc

    def detail(self, entity: str, record_id: str, version_id: str | None) -> dict[str, Any]:
        """``GET /api/{entity}/{id}`` (404 when absent)."""
        rid = record_id.lower()
        if entity == "order" and rid in self.orders:
            return self.order_doc(self.orders[rid], version_id)
        for doc in self.documents(entity, version_id):
            if doc.get("id") == rid:
                return doc
        raise ResourceNotFound(entity, record_id)

    # -- writes (entity routes) -----------------------------------------------------------

    def require(self, entity: str, record_id: str) -> None:
        """404 unless ``entity`` has a record ``record_id`` (PATCH of a missing record*)."""
        store: Mapping[str, Any] = (
            self.catalog.products if entity == "product" else self.catalog.customers
        )
        if record_id.lower() not in store:
            raise ResourceNotFound(entity, record_id)

    def write(self, entity: str, payload: Any, *, mode: str) -> WriteResult:
        """``POST`` (create) or ``PATCH`` (update) of one product or customer."""
        uow = UnitOfWork(self.catalog)
        result = write_record(
            self.catalog, entity, payload, pointer="", mode=mode, uow=uow, ctx=self.write_context()
        )
        self.notifier.written([result], now=self.clock.now())
        return result

    def delete(self, entity: str, record_id: str) -> None:
        """``DELETE /api/{entity}/{id}`` for products, customers and orders."""
        rid = record_id.lower()
        if entity == "order":
            order = self.orders.pop(rid, None)
            if order is None:
                raise ResourceNotFound(entity, record_id)
            self.touch(order, order.live)
            result = WriteResult(entity="order", id=rid, operation="delete", fields=())
        else:
            store: Mapping[str, Any] = (
                self.catalog.products if entity == "product" else self.catalog.customers
            )
            if rid not in store:
                raise ResourceNotFound(entity, record_id)
            found = delete_record(
                self.catalog, entity, {"id": rid}, pointer="", uow=UnitOfWork(self.catalog)
            )
            assert found is not None
            result = found
        self.notifier.written([result], now=self.clock.now())

    # -- orders ------------------------------------------------------------------------------

    def checkout(self, req: CheckoutRequest, *, admin: bool = False) -> Order:
        """Place an order (storefront, or Admin API with 400s); emits its written events."""
        try:
            order, results = place_order(self, req)
        except ShopwareError as exc:
            self.stats_.checkouts_rejected += 1
            if admin and exc.status != 400:
                raise exc.with_status(400) from None
            raise
        self.orders[order.id] = order
        self.stats_.checkouts_accepted += 1
        self.notifier.written(results, now=self.clock.now())
        return order
