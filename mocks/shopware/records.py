"""Records of the Shopware 6 mock's state: plain dataclasses (money as Decimal, ids as 32-hex).

Orders are versioned (PLATFORMS 3.6): an :class:`Order` holds its live :class:`OrderData` and
any draft versions, each a full copy that a merge writes back to live.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from random import Random
from typing import Any


class IdFactory:
    """Seeded Shopware ids: uuid4 as 32 lower-case hex characters, reproducible per seed."""

    def __init__(self, rng: Random) -> None:
        self._rng = rng

    def new(self) -> str:
        """The next id."""
        return uuid.UUID(int=self._rng.getrandbits(128), version=4).hex


@dataclass(frozen=True, kw_only=True)
class PriceEntry:
    """One currency's price of a product (``gross`` includes tax)."""

    currency_id: str
    gross: Decimal
    net: Decimal
    linked: bool = True


@dataclass(kw_only=True)
class Tax:
    """A tax rate products refer to by ``taxId``."""

    id: str
    name: str
    rate: Decimal


@dataclass(kw_only=True)
class Product:
    """A sellable product; ``productNumber`` is its unique SKU. ``availableStock`` mirrors
    ``stock`` (6.6 stock handling) and is never written directly."""

    id: str
    product_number: str
    name: str
    stock: int
    price: list[PriceEntry]
    tax_id: str
    is_closeout: bool = False
    active: bool = True
    parent_id: str | None = None
    options: list[dict[str, str]] = field(default_factory=list)
    """Configurator options of a variant: ``[{"group": "Size", "option": "M"}]``."""
    custom_fields: dict[str, Any] | None = None
    sales: int = 0
    created_ts: float = 0.0
    updated_ts: float | None = None


@dataclass(kw_only=True)
class Customer:
    """A registered or guest customer; every guest checkout makes a new one."""

    id: str
    customer_number: str
    email: str
    first_name: str
    last_name: str
    guest: bool = False
    active: bool = True
    custom_fields: dict[str, Any] | None = None
    created_ts: float = 0.0
    updated_ts: float | None = None


@dataclass(frozen=True, kw_only=True)
class CalculatedTax:
    """Tax contained in a gross amount at one rate."""

    tax: Decimal
    tax_rate: Decimal
    price: Decimal


@dataclass(kw_only=True)
class LineItem:
    """One order line; product, promotion, custom, credit or container (with children)."""

    id: str
    identifier: str
    type: str
    label: str
    quantity: int
    unit_price: Decimal
    total_price: Decimal
    taxes: list[CalculatedTax]
    tax_rate: Decimal
    position: int
    product_id: str | None = None
    referenced_id: str | None = None
    parent_id: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    good: bool = True
    created_ts: float = 0.0
    updated_ts: float | None = None


@dataclass(kw_only=True)
class Delivery:
    """The order's shipment with its shipping costs."""

    id: str
    shipping_method: str
    shipping_costs: Decimal
    taxes: list[CalculatedTax]
    state: str = "open"
    tracking_codes: list[str] = field(default_factory=list)


@dataclass(kw_only=True)
class Transaction:
    """The order's payment."""

    id: str
    payment_method: str
    amount: Decimal
    taxes: list[CalculatedTax]
    state: str = "open"


@dataclass(kw_only=True)
class OrderCustomer:
    """The customer as the order recorded it (``orderCustomer``)."""

    id: str
    customer_id: str
    email: str
    first_name: str
    last_name: str
    customer_number: str


@dataclass(kw_only=True)
class OrderData:
    """One version of an order: everything a read returns."""

    id: str
    version_id: str
    order_number: str
    order_ts: float
    customer: OrderCustomer
    state: str
    line_items: list[LineItem]
    delivery: Delivery
    transaction: Transaction
    position_price: Decimal
    shipping_total: Decimal
    amount_total: Decimal
    amount_net: Decimal
    taxes: list[CalculatedTax]
    currency_id: str
    currency_iso: str
    promotion_code: str | None = None
    customer_comment: str | None = None
    affiliate_code: str | None = None
    campaign_code: str | None = None
    custom_fields: dict[str, Any] | None = None
    created_ts: float = 0.0
    updated_ts: float | None = None


@dataclass(kw_only=True)
class Order:
    """A versioned order: the live data and its draft versions by version id."""

    id: str
    live: OrderData
    drafts: dict[str, OrderData] = field(default_factory=dict)

    def version(self, version_id: str | None) -> OrderData:
        """The data a read in ``version_id`` sees (live when the order has no such draft)."""
        if version_id is None:
            return self.live
        return self.drafts.get(version_id, self.live)


@dataclass(kw_only=True)
class Promotion:
    """A promotion code configured by seed: a percentage or an absolute gross discount."""

    id: str
    name: str
    code: str
    discount_type: str
    value: Decimal
    active: bool = True


@dataclass(kw_only=True)
class WebhookSubscription:
    """An app webhook: an event name and the app server's URL."""

    id: str
    name: str
    event: str
    url: str
    only_live_version: bool = False
    active: bool = True


@dataclass(kw_only=True)
class CallStats:
    """Counters behind ``/_mock/stats``."""

    calls: int = 0
    unauthorized: int = 0
    throttled: int = 0
    oauth_throttled: int = 0
    tokens_issued: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    checkouts_accepted: int = 0
    checkouts_rejected: int = 0
    sync_requests: int = 0
    sync_records: int = 0
    sync_rejected: int = 0
    closeout_writes_ignored: int = 0
    closeout_writes_rejected: int = 0
