"""Records of the Fulfil mock: plain mutable dataclasses, one per Tryton model we serve.

Relations are held as integer ids (Tryton's many-to-one) and lists of ids (one-to-many), so
the ORM layer in ``orm.py`` can follow dotted paths and render them exactly as Tryton reads
them. Times are simulated POSIX seconds; money is ``Decimal``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from mocks.common.money import round_cents


class SaleState(StrEnum):
    """``sale.sale`` states (Tryton's; ``quotation`` and ``cancelled`` per PLATFORMS 4.3)."""

    DRAFT = "draft"
    QUOTATION = "quotation"
    CONFIRMED = "confirmed"
    PROCESSING = "processing"
    DONE = "done"
    CANCELLED = "cancelled"


class ShipmentState(StrEnum):
    """``stock.shipment.out`` states (PLATFORMS 4.3)."""

    WAITING = "waiting"
    ASSIGNED = "assigned"
    PACKED = "packed"
    DONE = "done"
    CANCELLED = "cancel"


OPEN_SALE_STATES = frozenset({SaleState.CONFIRMED, SaleState.PROCESSING})
"""Sales whose unshipped lines reserve stock."""


@dataclass(kw_only=True)
class Location:
    """A warehouse (``stock.location`` of type ``warehouse``)."""

    id: int
    name: str
    code: str
    type: str = "warehouse"


@dataclass(kw_only=True)
class Channel:
    """A ``sale.channel`` (web store, marketplace...)."""

    id: int
    name: str
    code: str


@dataclass(kw_only=True)
class Product:
    """A ``product.product`` variant; ``code`` is the SKU."""

    id: int
    code: str
    name: str
    list_price: Decimal
    cost_price: Decimal
    active: bool = True
    create_ts: float = 0.0
    write_ts: float = 0.0


@dataclass(kw_only=True)
class Party:
    """A ``party.party`` (customer)."""

    id: int
    name: str
    code: str
    contact_mechanisms: list[int] = field(default_factory=list)
    addresses: list[int] = field(default_factory=list)
    create_ts: float = 0.0
    write_ts: float = 0.0


@dataclass(kw_only=True)
class ContactMechanism:
    """A ``party.contact_mechanism``: an e-mail address, phone number..."""

    id: int
    party: int
    type: str
    value: str


@dataclass(kw_only=True)
class Address:
    """A ``party.address`` (country and subdivision as codes*, not relations)."""

    id: int
    party: int
    name: str | None = None
    street: str | None = None
    street_bis: str | None = None
    city: str | None = None
    zip: str | None = None
    subdivision: str | None = None
    country: str | None = None


@dataclass(kw_only=True)
class SaleLine:
    """A ``sale.line``; ``product`` is None for a non-stock line (shipping, fee...)."""

    id: int
    sale: int
    sequence: int
    product: int | None
    quantity: int
    unit_price: Decimal
    tax_amount: Decimal = Decimal(0)
    description: str | None = None
    options: str | None = None
    note: str | None = None

    @property
    def amount(self) -> Decimal:
        """``quantity x unit_price`` rounded half-up to cents, as Tryton computes it."""
        return round_cents(self.unit_price * self.quantity)


@dataclass(kw_only=True)
class Sale:
    """A ``sale.sale``."""

    id: int
    state: SaleState
    party: int | None
    channel: int
    warehouse: int
    currency: str
    sale_date: float
    reference: str | None = None
    number: str | None = None
    channel_identifier: str | None = None
    shipment_address: int | None = None
    invoice_address: int | None = None
    lines: list[int] = field(default_factory=list)
    shipments: list[int] = field(default_factory=list)
    payment_gateway: str | None = None
    payment_transaction_id: str | None = None
    payment_fees: Decimal = Decimal(0)
    comment: str | None = None
    create_ts: float = 0.0
    write_ts: float = 0.0
    confirmed_ts: float | None = None


@dataclass(kw_only=True)
class Move:
    """A ``stock.move`` from a warehouse to the customer, part of one shipment."""

    id: int
    shipment: int
    sale_line: int
    product: int
    quantity: int
    from_location: int
    state: str = "draft"


@dataclass(kw_only=True)
class Shipment:
    """A ``stock.shipment.out``; advances on the clock (see ``shipments.py``)."""

    id: int
    number: str
    sale: int
    customer: int | None
    delivery_address: int | None
    warehouse: int
    state: ShipmentState
    moves: list[int] = field(default_factory=list)
    create_ts: float = 0.0
    write_ts: float = 0.0
    assign_due_ts: float = 0.0
    """When the warehouse first tries to assign it (it keeps waiting without stock)."""
    assigned_ts: float | None = None
    packed_ts: float | None = None
    done_ts: float | None = None
    carrier: str | None = None
    tracking_number: str | None = None
