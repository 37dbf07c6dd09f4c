"""Payouts (Shopify Payments) to one balanced journal entry each, fees and refunds allocated.

A payout is queued once by its external id (``{channel}-payout-{id}``), which is also the
journal entry's external id, so a retry never posts twice. The entry comes from
``back_office.payout_journal``: bank (net) + fees + refunds on the debit side, the clearing
account (gross) on the credit side, adjustments on the side their sign puts them; an entry
that would not balance is refused before any call.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sync_engine.connectors.back_office import BackOfficeConnector, payout_journal
from sync_engine.connectors.channel import ChannelConnector, PayoutSource
from sync_engine.flows.jobs import JobFlow
from sync_engine.model import Payout
from sync_engine.store.contract import DueJob

DEFAULT_ACCOUNTS = {
    "bank": "1000",
    "clearing": "1100",
    "fees": "6100",
    "refunds": "4900",
    "adjustments": "6100",
}
"""Account ids in a fresh NetSuite-style chart (cash, undeposited funds as the payments
clearing account, merchant fees, sales returns); every deployment sets its own in the
engine config's ``accounts``."""


def cursor_key(channel: str) -> str:
    return f"{channel}_payouts_cursor"


def payout_payload(p: Payout) -> dict[str, Any]:
    return {
        "payout_id": p.payout_id,
        "channel": p.channel,
        "currency": p.currency,
        "date": p.date,
        "gross": str(p.gross),
        "refunds": str(p.refunds),
        "fees": str(p.fees),
        "net": str(p.net),
        "adjustments": str(p.adjustments),
    }


def payout_from_payload(p: dict[str, Any]) -> Payout:
    money = {k: Decimal(p[k]) for k in ("gross", "refunds", "fees", "net", "adjustments")}
    return Payout(
        payout_id=str(p["payout_id"]),
        channel=str(p["channel"]),
        currency=str(p["currency"]),
        date=str(p["date"]),
        **money,
    )


class PayoutSync(JobFlow):
    flow = "payouts"

    def __init__(
        self,
        *,
        back_office: BackOfficeConnector,
        channels: dict[str, ChannelConnector],
        accounts: dict[str, str] | None = None,
        **kw: Any,
    ) -> None:
        super().__init__(**kw)
        self.back_office = back_office
        self.sources = {n: c for n, c in channels.items() if isinstance(c, PayoutSource)}
        self.accounts = {**DEFAULT_ACCOUNTS, **(accounts or {})}

    async def discover(self) -> int:
        new = 0
        for name, source in self.sources.items():
            key = cursor_key(name)
            pages = source.payouts_since(self.store.get(key))
            new += await self.enqueue_pages(
                pages, key, lambda p: (p.external_id, payout_payload(p))
            )
        return new

    async def perform(self, job: DueJob) -> None:
        payout = payout_from_payload(job.payload)
        await self.back_office.journal_entry(
            payout.external_id,
            date=payout.date,
            memo=f"{payout.channel} payout {payout.payout_id}",
            currency=payout.currency,
            lines=payout_journal(payout, accounts=self.accounts),
        )
