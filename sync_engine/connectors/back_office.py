"""What the flows need from the back office (the NetSuite-style ERP or Fulfil).

The back office is the source of truth for stock and the destination of orders, credit
memos and journal entries; it is where shipments come from. Every write is idempotent by an
external id the engine derives from the channel record (``shopify-1001``,
``shopify-refund-77``, ``shopify-payout-5``), so a retry after an unknown outcome or a crash
never applies an effect twice. Connectors translate and pace; they do not retry.

Errors follow ``sync_engine.errors``: a business refusal (unknown SKU, wrong state, past the
picking cut-off, unbalanced journal) is a :class:`~sync_engine.errors.RecordRejected` with the
platform's code, which holds the record in the exception queue.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from sync_engine.circuit import CircuitBreaker
from sync_engine.mapping.order_map import BackOfficeOrder
from sync_engine.model import Payout, Refund, Shipment, StockLevel


@dataclass(frozen=True, kw_only=True)
class JournalLine:
    account: str
    debit: Decimal = Decimal("0")
    credit: Decimal = Decimal("0")
    memo: str = ""


class BackOfficeConnector(Protocol):
    """One back office, as the flows see it."""

    name: str
    """``erp`` or ``fulfil``: the destination label in metrics and ``/status``."""
    connector_id: str
    """Pinned connector and API version, e.g. ``netsuite-rest-v1``, ``fulfil-v2``."""
    breaker: CircuitBreaker
    """Fails fast while the back office is down (see ``sync_engine.circuit``)."""

    async def aclose(self) -> None: ...

    def status(self) -> dict[str, Any]: ...

    async def upsert_sales_order(self, order: BackOfficeOrder, *, location_id: str) -> None:
        """Create or update by ``order.external_id``, with the customer matched by
        ``order.customer_key`` (e-mail, then phone) before one is created."""
        ...

    async def update_sales_order(self, order: BackOfficeOrder, *, location_id: str) -> None:
        """An edit (lines, address) before picking; ``RecordRejected`` (``PAST_CUTOFF`` or the
        back office's own code) when it can no longer change."""
        ...

    async def cancel_sales_order(self, external_id: str) -> None:
        """Cancel before picking; ``RecordRejected`` (code ``PAST_CUTOFF``) after it."""
        ...

    async def inventory(self, modified_since: str | None) -> list[tuple[StockLevel, str]]:
        """Available-to-sell per SKU and location (changed since ``modified_since`` if
        given), each with the change stamp to resume from."""
        ...

    async def shipments_since(self, cursor: str | None) -> tuple[list[Shipment], str | None]:
        """Shipments completed after ``cursor`` (carrier, tracking, lines), oldest first."""
        ...

    async def credit_memo(
        self, refund: Refund, *, amount_lines: list[tuple[str, int, Decimal]]
    ) -> None:
        """A credit memo against the refund's sales order, idempotent by
        ``refund.external_id``; lines are (sku, quantity, amount), restocking per refund line."""
        ...

    async def journal_entry(
        self, external_id: str, *, date: str, memo: str, currency: str, lines: list[JournalLine]
    ) -> None:
        """A balanced journal entry, idempotent by ``external_id``."""
        ...


def payout_journal(payout: Payout, *, accounts: dict[str, str]) -> list[JournalLine]:
    """One payout as balanced journal lines: the bank gets the net, fees and refunds are
    expensed against the clearing account that held the gross.

    Debit bank (net) + debit fees + debit refunds = credit clearing (gross) + adjustments
    (signed). ``accounts`` names ``bank``, ``fees``, ``refunds``, ``clearing``, ``adjustments``.
    """
    lines = [
        JournalLine(account=accounts["bank"], debit=payout.net, memo="payout net"),
        JournalLine(account=accounts["fees"], debit=payout.fees, memo="processing fees"),
        JournalLine(account=accounts["refunds"], debit=payout.refunds, memo="refunds paid"),
        JournalLine(account=accounts["clearing"], credit=payout.gross, memo="charges captured"),
    ]
    if payout.adjustments > 0:
        lines.append(JournalLine(account=accounts["adjustments"], credit=payout.adjustments))
    elif payout.adjustments < 0:
        lines.append(JournalLine(account=accounts["adjustments"], debit=-payout.adjustments))
    return [line for line in lines if line.debit or line.credit]
