"""What the flows need from a sales channel, whatever its platform or API version.

A channel connector translates one platform API version's wire format to the canonical model
(``sync_engine.model``) and back, paces its calls with its own budget, and holds no retry or
scheduling logic (that is the flows'). Connectors are pinned per channel in the engine config
by id (``sync_engine.connectors.registry``), so one scenario can run on v1 and on v2.

Ids cross this boundary as strings, whatever the platform's type (Shopify's integers,
SHOPLINE's 19-digit strings, Shopware's UUIDs).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sync_engine.model import Order, Payout, Refund


@dataclass(frozen=True, kw_only=True)
class WebhookEvent:
    """A verified delivery, parsed. Some platforms send the order, others only its id."""

    event_id: str
    """Stable across the platform's retries: the inbox's deduplication key."""
    topic: str
    order: Order | None = None
    order_id: str | None = None
    """Set when the body names an order without carrying it (Shopware's ``*.written``)."""
    refund: Refund | None = None
    """A refund the body carries (Shopify's ``refunds/create``)."""


class ChannelConnector(Protocol):
    """One channel, as the flows see it."""

    name: str
    """The channel's name in the engine config (prefix of every external id)."""
    connector_id: str
    """Pinned connector and API version, e.g. ``shopify-rest-2026-01``."""
    accepted_carriers: Collection[str]
    """Carrier names the channel recognises for tracking links."""

    async def aclose(self) -> None: ...

    def status(self) -> dict[str, Any]:
        """Budget and circuit figures for ``/status``."""
        ...

    # -- webhooks ----------------------------------------------------------------------------

    async def ensure_webhooks(self, address: str) -> None:
        """Subscribe ``address`` to the order topics (idempotent)."""
        ...

    def verify_webhook(self, headers: Mapping[str, str], body: bytes) -> bool:
        """The platform's signature check, in constant time."""
        ...

    def parse_webhook(self, headers: Mapping[str, str], body: bytes) -> WebhookEvent:
        """A verified body as an event; ``ValueError`` naming the problem when it is not one."""
        ...

    # -- orders ------------------------------------------------------------------------------

    async def fetch_order(self, order_id: str) -> Order: ...

    def orders_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Order], str]]:
        """Orders after ``cursor`` (any status), oldest first, a page at a time, each with
        the cursor to resume after it."""
        ...

    async def newest_order_seq(self) -> int:
        """The ``Order.seq`` of the newest order (0 if none): the marker of a stock read."""
        ...

    # -- inventory ---------------------------------------------------------------------------

    async def items_by_sku(self) -> dict[str, str]:
        """Channel SKU → the id stock is adjusted by (first one wins for duplicates)."""
        ...

    async def levels(
        self, item_ids: list[str], location_ids: list[str]
    ) -> dict[tuple[str, str], int]:
        """Available per (item id, location id)."""
        ...

    async def adjust(self, item_id: str, location_id: str, delta: int) -> None:
        """A relative change, which commutes with checkouts in flight."""
        ...


@runtime_checkable
class FulfilmentTarget(Protocol):
    """A channel that can close an order's fulfilment with carrier and tracking."""

    async def push_fulfilment(
        self,
        order_id: str,
        *,
        tracking_number: str,
        carrier: str,
        lines: list[tuple[str, int]] | None = None,
    ) -> None:
        """Idempotent: a fulfilment already carrying ``tracking_number`` is not made again."""
        ...


@runtime_checkable
class RefundSource(Protocol):
    """A channel whose refunds become credit memos."""

    def refunds_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Refund], str]]: ...


@runtime_checkable
class PayoutSource(Protocol):
    """A channel with a payment provider whose payouts become journal entries."""

    def payouts_since(self, cursor: str | None) -> AsyncIterator[tuple[list[Payout], str]]: ...
