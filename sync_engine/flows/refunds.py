"""Refunds to credit memos against the original sales order (partial refunds and restocks).

Each channel that offers refunds is read past its own cursor; a refund becomes one job keyed
by its external id (``{channel}-refund-{id}``), which is also the credit memo's external id in
the back office, so a retry never credits twice. The refunded amount (less refunded shipping)
is split across the refunded lines in proportion to what the order charged for them, to the
cent (``mapping.allocation``). A refund whose order has not reached the back office yet waits
for it; one that never does is held.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal
from typing import Any

from sync_engine.connectors.back_office import BackOfficeConnector
from sync_engine.connectors.channel import ChannelConnector, RefundSource
from sync_engine.errors import RecordRejected
from sync_engine.flows.jobs import JobFlow, RetryLater
from sync_engine.mapping.allocation import allocate
from sync_engine.mapping.rules import MappingRules
from sync_engine.mapping.skus import back_office_sku
from sync_engine.model import Order, Refund
from sync_engine.store.contract import DueJob

WAIT_FOR_ORDER_SECONDS = 30.0
MAX_WAITS = 40
"""A refund waits this many times for its order to reach the back office, then is held."""


def cursor_key(channel: str) -> str:
    return f"{channel}_refunds_cursor"


def refund_payload(r: Refund) -> dict[str, Any]:
    return {
        "refund_id": r.refund_id,
        "channel": r.channel,
        "order_id": r.order_id,
        "lines": [[sku, qty, restock] for sku, qty, restock in r.lines],
        "amount": str(r.amount),
        "shipping": str(r.shipping),
    }


def refund_from_payload(p: dict[str, Any]) -> Refund:
    return Refund(
        refund_id=str(p["refund_id"]),
        channel=str(p["channel"]),
        order_id=str(p["order_id"]),
        lines=tuple((str(s), int(q), bool(r)) for s, q, r in p["lines"]),
        amount=Decimal(p["amount"]),
        shipping=Decimal(p["shipping"]),
    )


def line_amounts(
    refund: Refund, order: Order, rules: MappingRules
) -> list[tuple[str, int, Decimal]]:
    """(back-office SKU, quantity, amount) per refunded line; amounts sum to the refund less
    its shipping, weighted by what the order charged per unit."""
    charged: dict[str, Decimal] = {}
    for line in order.lines:
        if line.quantity:
            per_unit = (line.amount - line.discount + line.tax) / line.quantity
            charged.setdefault(back_office_sku(line.sku, rules), per_unit)
    skus = [(back_office_sku(sku, rules), qty) for sku, qty, _ in refund.lines]
    weights = [charged.get(sku, Decimal(0)) * qty for sku, qty in skus]
    amounts = allocate(refund.amount - refund.shipping, weights) if skus else []
    return [(sku, qty, amount) for (sku, qty), amount in zip(skus, amounts, strict=True)]


class RefundSync(JobFlow):
    flow = "refunds"

    def __init__(
        self,
        *,
        back_office: BackOfficeConnector,
        channels: dict[str, ChannelConnector],
        rules: MappingRules,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.back_office = back_office
        self.sources = {n: c for n, c in channels.items() if isinstance(c, RefundSource)}
        self.rules = rules

    def record(self, refund: Refund) -> bool:
        """Queue a refund a webhook carried (the poll finds the same one under the same key)."""
        return self.record_one(refund.external_id, refund_payload(refund))

    async def discover(self) -> int:
        new = 0
        for name, source in self.sources.items():
            key = cursor_key(name)
            pages = source.refunds_since(self.store.get(key))
            new += await self.enqueue_pages(
                pages, key, lambda r: (r.external_id, refund_payload(r))
            )
        return new

    async def perform(self, job: DueJob) -> None:
        refund = refund_from_payload(job.payload)
        refund = replace(
            refund,
            lines=tuple((back_office_sku(s, self.rules), q, r) for s, q, r in refund.lines),
        )
        found = self.store.get_order(refund.channel, refund.order_id)
        if found is None or found[1] != "synced":
            if job.attempts >= MAX_WAITS:
                raise RecordRejected(
                    f"refund {refund.refund_id}: order {refund.channel}-{refund.order_id} "
                    f"never reached the back office ({'unknown' if found is None else found[1]})",
                    code="ORDER_NOT_SYNCED",
                )
            raise RetryLater("order not in the back office yet", delay=WAIT_FOR_ORDER_SECONDS)
        await self.back_office.credit_memo(
            refund, amount_lines=line_amounts(refund, found[0], self.rules)
        )
