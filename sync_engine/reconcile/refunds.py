"""Refunds and payouts: one back-office posting per record the engine took on, for its amount.

The engine's refunds flow keys each refund by ``{channel}-refund-{id}``, also the credit
memo's external id, and a credit memo's total is the refund's amount; the payouts flow keys
each payout by ``{channel}-payout-{id}``, the journal entry's external id, whose total (the
debits) is what ``payout_journal`` makes of the payout. So one SuiteQL aggregate (count and
sum of the channel's postings) against the engine's done jobs settles a clean pass in one
call; only when they differ are the postings listed (pages of 1000) and matched one by one.
From the store alone, free: a record still queued is timing while younger than the lag
threshold (not drift), a missing posting after that; a held one is in the exception queue.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from simclock import Clock
from sync_engine.connectors.back_office import payout_journal
from sync_engine.errors import SyncError
from sync_engine.flows.payouts import DEFAULT_ACCOUNTS, payout_from_payload
from sync_engine.reconcile.findings import Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import jobs_of
from sync_engine.reconcile.meter import BudgetSpent, Meter
from sync_engine.reconcile.segments import Window
from sync_engine.reconcile.sources import BACK_OFFICE_SIDE, SuiteQLClient, literal
from sync_engine.store import Store


@dataclass(frozen=True, kw_only=True)
class Posting:
    """What one flow posts and how its amount is known."""

    flow: str
    table: str
    """The SuiteQL view the postings are in (``creditmemo``, ``journalentry``)."""
    infix: str
    """Between the channel and the id in the external id (``refund``, ``payout``)."""
    noun: str
    timing: Cause
    missing: Cause
    amount: Callable[[dict[str, Any]], Decimal]
    """The posting's expected total from the job's payload."""


def _refund_amount(payload: dict[str, Any]) -> Decimal:
    return Decimal(str(payload["amount"]))


def payout_amount(accounts: dict[str, str]) -> Callable[[dict[str, Any]], Decimal]:
    """A payout journal's total (its debits), by the one rule that builds the journal."""

    def amount(payload: dict[str, Any]) -> Decimal:
        lines = payout_journal(payout_from_payload(payload), accounts=accounts)
        return sum((line.debit for line in lines), Decimal(0))

    return amount


REFUNDS = Posting(
    flow="refunds",
    table="creditmemo",
    infix="refund",
    noun="credit memo",
    timing=Cause.REFUND_TIMING,
    missing=Cause.MISSING_CREDIT_MEMO,
    amount=_refund_amount,
)


def payouts(accounts: dict[str, str] | None = None) -> Posting:
    """The payouts posting, with the engine's chart of accounts."""
    return Posting(
        flow="payouts",
        table="journalentry",
        infix="payout",
        noun="journal entry",
        timing=Cause.SYNC_LAG,
        missing=Cause.MISSING_JOURNAL,
        amount=payout_amount({**DEFAULT_ACCOUNTS, **(accounts or {})}),
    )


class PostingReconciler:
    """Compares one channel's refunds (or payouts) as the engine took them on with the back
    office's credit memos (or journal entries)."""

    def __init__(
        self,
        *,
        channel: str,
        back_office: SuiteQLClient,
        store: Store,
        clock: Clock,
        meter: Meter,
        posting: Posting = REFUNDS,
        lag: float = 900.0,
    ) -> None:
        self.channel = channel
        self.back_office = back_office
        self.store = store
        self.clock = clock
        self.meter = meter
        self.posting = posting
        self.lag = lag
        self.name = f"{channel}:{posting.flow}"
        self.last_report: DriftReport | None = None

    async def _spend(self) -> None:
        await self.meter.spend(BACK_OFFICE_SIDE)

    async def _query(self, q: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.back_office.suiteql_pages(
            q, kind="suiteql.reconcile", before_call=self._spend
        ):
            rows.extend(page)
        return rows

    async def run_pass(self) -> DriftReport:
        self.meter.start_pass()
        now = self.clock.now()
        report = DriftReport(channel=self.channel, started_at=now, window=Window(0.0, now))
        jobs = [
            (key, payload, state, created)
            for key, payload, state, created in jobs_of(self.store, self.posting.flow)
            if payload.get("channel") == self.channel
        ]
        report.orders_compared = len(jobs)
        done = {key: self.posting.amount(p) for key, p, state, _ in jobs if state == "done"}
        for key, _, state, created in jobs:
            if state == "pending":
                self._queued(key, created, now, report)
        try:
            await self._compare(done, {key for key, *_ in jobs}, report)
        except BudgetSpent:
            report.complete = False
        except SyncError as error:
            report.complete = False
            report.error = f"{type(error).__name__}: {error}"
        report.calls = dict(self.meter.calls)
        report.finished_at = self.clock.now()
        self.last_report = report
        return report

    def _queued(self, key: str, created: float, now: float, report: DriftReport) -> None:
        young = now - created < self.lag
        report.add(
            finding(
                self.posting.timing if young else self.posting.missing,
                Where.BACK_OFFICE,
                channel=self.channel,
                record_key=key,
                detail=f"{key} is queued in the engine for its {self.posting.noun}"
                + ("" if young else ", longer than the lag threshold"),
                created_ts=created,
                detail_code=None if young else "STUCK_IN_QUEUE",
            )
        )

    async def _compare(
        self, done: dict[str, Decimal], known: set[str], report: DriftReport
    ) -> None:
        p = self.posting
        prefix = literal(f"{self.channel}-{p.infix}-%")
        [row] = await self._query(
            f"SELECT COUNT(*) AS n, SUM(foreigntotal) AS total FROM {p.table} "
            f"WHERE externalid LIKE {prefix}"
        ) or [{}]
        count = int(row.get("n", 0))
        total = Decimal(str(row.get("total", "0")))
        if count == len(done) and total == sum(done.values(), Decimal(0)):
            return
        posted: dict[str, list[Decimal]] = {}
        for item in await self._query(
            f"SELECT externalid, foreigntotal AS total FROM {p.table} "
            f"WHERE externalid LIKE {prefix} ORDER BY id"
        ):
            posted.setdefault(str(item["externalid"]), []).append(Decimal(str(item["total"])))
        for key, amount in sorted(done.items()):
            found = posted.get(key, [])
            if not found:
                cause, detail = p.missing, f"{key} was posted by the engine but the back "
                detail += f"office has no {p.noun} for it"
                values = {"engine.amount": str(amount)}
            elif found[0] != amount:
                cause = Cause.TOTAL
                detail = f"{p.noun} {key} is for {found[0]}; the engine posted {amount}"
                values = {"engine.amount": str(amount), "back_office.total": str(found[0])}
            else:
                continue
            report.add(
                finding(
                    cause,
                    Where.BACK_OFFICE,
                    channel=self.channel,
                    record_key=key,
                    detail=detail,
                    values=values,
                )
            )
        for key in sorted(set(posted) - known):
            report.add(
                finding(
                    Cause.ORPHAN,
                    Where.BACK_OFFICE,
                    channel=self.channel,
                    record_key=key,
                    detail=f"{p.noun} {key} matches nothing the engine took on",
                    values={"back_office.total": str(posted[key][0])},
                )
            )


RefundReconciler = PostingReconciler
"""Refunds are the default posting (``posting=REFUNDS``)."""
