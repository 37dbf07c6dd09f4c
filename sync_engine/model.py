"""The canonical model connectors translate to and from. Money is Decimal, always.

A channel connector turns its platform's order into an :class:`Order`; the mapping rules
(``sync_engine.mapping``) turn that into a :class:`~sync_engine.mapping.order_map.BackOfficeOrder`;
a back-office connector turns that into its platform's sales order. Nothing else crosses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

LINE_KINDS = ("product", "promotion", "custom", "credit", "gift_card")
"""What a channel line is. Only ``product`` lines move stock; a ``promotion`` line carries a
(negative) discount and usually no SKU (Shopware's Rule Builder promotions)."""


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    """One line of a channel order, with its own discount and tax."""

    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal
    kind: str = "product"
    name: str = ""
    options: tuple[tuple[str, str], ...] = ()
    """Configurator options (group, option), e.g. (("Size", "M"), ("Colour", "Red"))."""

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "sku": self.sku,
            "quantity": self.quantity,
            "unit_price": str(self.unit_price),
            "discount": str(self.discount),
            "tax": str(self.tax),
        }
        if self.kind != "product":
            data["kind"] = self.kind
        if self.name:
            data["name"] = self.name
        if self.options:
            data["options"] = [list(pair) for pair in self.options]
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OrderLine:
        return cls(
            sku=data["sku"],
            quantity=int(data["quantity"]),
            unit_price=Decimal(data["unit_price"]),
            discount=Decimal(data["discount"]),
            tax=Decimal(data["tax"]),
            kind=data.get("kind", "product"),
            name=data.get("name", ""),
            options=tuple((str(g), str(o)) for g, o in data.get("options", [])),
        )


@dataclass(frozen=True, kw_only=True)
class Customer:
    """Who bought: matched in the back office by e-mail, then phone; guests are never merged."""

    email: str | None = None
    phone: str | None = None
    guest: bool = False
    first_name: str = ""
    last_name: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "email": self.email,
            "phone": self.phone,
            "guest": self.guest,
            "first_name": self.first_name,
            "last_name": self.last_name,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Customer:
        return cls(
            email=data.get("email"),
            phone=data.get("phone"),
            guest=bool(data.get("guest", False)),
            first_name=data.get("first_name", ""),
            last_name=data.get("last_name", ""),
        )


@dataclass(frozen=True, kw_only=True)
class Order:
    """A channel order as the engine carries it to the back office."""

    channel: str
    order_id: str
    number: str
    created_ts: float
    email: str | None
    currency: str
    lines: tuple[OrderLine, ...]
    discount_total: Decimal
    """Every discount on the order (positive), those carried by promotion lines included."""
    tax_total: Decimal
    shipping: Decimal
    total: Decimal
    customer: Customer | None = None
    shipping_address: dict[str, str] = field(default_factory=dict)
    cancelled: bool = False
    version: int = 0
    """Bumped by the channel connector on each edit (address change, line edit, cancel)."""
    taxes_included: bool = False
    """Line amounts and shipping include tax (Shopware's gross prices, EU shops). Otherwise
    ``total = Σ line amounts − discount_total + tax_total + shipping``; when included, tax is
    inside the amounts and promotion lines carry the discount: ``total = Σ line amounts +
    shipping``."""
    sequence: int | None = None
    """The channel's monotonic order number where its ids are not (Shopware's UUIDs); the
    ledger compares it with the marker of its last channel read."""

    @property
    def external_id(self) -> str:
        """The idempotency key of this order's sales order in the back office."""
        return f"{self.channel}-{self.order_id}"

    @property
    def seq(self) -> int:
        """Monotonic per channel: ``sequence`` if the connector gave one, else the numeric id."""
        return self.sequence if self.sequence is not None else int(self.order_id)

    @property
    def buyer(self) -> Customer:
        """The customer, or one made from the e-mail for connectors that give only that."""
        return self.customer or Customer(email=self.email)

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "channel": self.channel,
            "order_id": self.order_id,
            "number": self.number,
            "created_ts": self.created_ts,
            "email": self.email,
            "currency": self.currency,
            "lines": [line.to_json() for line in self.lines],
            "discount_total": str(self.discount_total),
            "tax_total": str(self.tax_total),
            "shipping": str(self.shipping),
            "total": str(self.total),
        }
        if self.customer is not None:
            data["customer"] = self.customer.to_json()
        if self.shipping_address:
            data["shipping_address"] = dict(self.shipping_address)
        if self.cancelled:
            data["cancelled"] = True
        if self.version:
            data["version"] = self.version
        if self.sequence is not None:
            data["sequence"] = self.sequence
        if self.taxes_included:
            data["taxes_included"] = True
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Order:
        customer = data.get("customer")
        return cls(
            channel=data["channel"],
            order_id=data["order_id"],
            number=data["number"],
            created_ts=float(data["created_ts"]),
            email=data.get("email"),
            currency=data["currency"],
            lines=tuple(OrderLine.from_json(line) for line in data["lines"]),
            discount_total=Decimal(data["discount_total"]),
            tax_total=Decimal(data["tax_total"]),
            shipping=Decimal(data["shipping"]),
            total=Decimal(data["total"]),
            customer=Customer.from_json(customer) if customer else None,
            shipping_address={str(k): str(v) for k, v in data.get("shipping_address", {}).items()},
            cancelled=bool(data.get("cancelled", False)),
            version=int(data.get("version", 0)),
            sequence=int(data["sequence"]) if data.get("sequence") is not None else None,
            taxes_included=bool(data.get("taxes_included", False)),
        )


@dataclass(frozen=True, kw_only=True)
class StockLevel:
    """Back-office available-to-sell for one SKU at one back-office location."""

    sku: str
    location: str
    available: int


@dataclass(frozen=True, kw_only=True)
class Shipment:
    """A back-office fulfilment of (part of) a channel order, to be closed on the channel."""

    shipment_id: str
    channel: str
    order_id: str
    lines: tuple[tuple[str, int], ...]
    """(sku, quantity) shipped."""
    carrier: str
    tracking_number: str


@dataclass(frozen=True, kw_only=True)
class Refund:
    """A channel refund, to become a credit memo against the original sales order."""

    refund_id: str
    channel: str
    order_id: str
    lines: tuple[tuple[str, int, bool], ...]
    """(sku, quantity, restock)."""
    amount: Decimal
    shipping: Decimal = Decimal("0")

    @property
    def external_id(self) -> str:
        return f"{self.channel}-refund-{self.refund_id}"


@dataclass(frozen=True, kw_only=True)
class Payout:
    """A payment-provider payout (Shopify Payments), to become one balanced journal entry."""

    payout_id: str
    channel: str
    currency: str
    date: str
    gross: Decimal
    """Charges captured."""
    refunds: Decimal
    """Refunds paid back (positive)."""
    fees: Decimal
    """Provider fees (positive)."""
    net: Decimal
    """What reached the bank: gross − refunds − fees + adjustments."""
    adjustments: Decimal = Decimal("0")
    """Signed: reserves released (+) or withheld (−), chargebacks (−)."""

    @property
    def external_id(self) -> str:
        return f"{self.channel}-payout-{self.payout_id}"
