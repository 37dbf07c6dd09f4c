"""The canonical model connectors translate to and from. Money is Decimal, always."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any


@dataclass(frozen=True, kw_only=True)
class OrderLine:
    """One line of a channel order, with its own discount and tax."""

    sku: str
    quantity: int
    unit_price: Decimal
    discount: Decimal
    tax: Decimal

    @property
    def amount(self) -> Decimal:
        return self.unit_price * self.quantity


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
    tax_total: Decimal
    shipping: Decimal
    total: Decimal

    @property
    def external_id(self) -> str:
        """The idempotency key of this order's sales order in the back office."""
        return f"{self.channel}-{self.order_id}"

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "order_id": self.order_id,
            "number": self.number,
            "created_ts": self.created_ts,
            "email": self.email,
            "currency": self.currency,
            "lines": [
                {
                    "sku": line.sku,
                    "quantity": line.quantity,
                    "unit_price": str(line.unit_price),
                    "discount": str(line.discount),
                    "tax": str(line.tax),
                }
                for line in self.lines
            ],
            "discount_total": str(self.discount_total),
            "tax_total": str(self.tax_total),
            "shipping": str(self.shipping),
            "total": str(self.total),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Order:
        return cls(
            channel=data["channel"],
            order_id=data["order_id"],
            number=data["number"],
            created_ts=float(data["created_ts"]),
            email=data.get("email"),
            currency=data["currency"],
            lines=tuple(
                OrderLine(
                    sku=line["sku"],
                    quantity=int(line["quantity"]),
                    unit_price=Decimal(line["unit_price"]),
                    discount=Decimal(line["discount"]),
                    tax=Decimal(line["tax"]),
                )
                for line in data["lines"]
            ),
            discount_total=Decimal(data["discount_total"]),
            tax_total=Decimal(data["tax_total"]),
            shipping=Decimal(data["shipping"]),
            total=Decimal(data["total"]),
        )


@dataclass(frozen=True, kw_only=True)
class StockLevel:
    """Back-office available-to-sell for one SKU at one back-office location."""

    sku: str
    location: str
    available: int
