"""Refunds: one credit memo per refund the engine took on, for the refund's amount.

The engine's refunds flow keys each refund by its external id (``{channel}-refund-{id}``),
which is also the credit memo's external id, and a credit memo's total is the refund's
amount. So one SuiteQL aggregate (count and sum of the channel's credit memos) against the
engine's done refund jobs settles a clean pass in one call; only when they differ are the
credit memos listed (pages of 1000) and matched refund by refund. From the store alone, free:
a refund still queued is *refund timing* while younger than the lag threshold (not drift),
a missing credit memo after that; a held one is in the exception queue already.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from simclock import Clock
from sync_engine.errors import SyncError
from sync_engine.reconcile.findings import Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import jobs_of
from sync_engine.reconcile.meter import BudgetSpent, Meter
from sync_engine.reconcile.segments import Window
from sync_engine.reconcile.sources import BACK_OFFICE_SIDE, literal
from sync_engine.store import Store

REFUNDS_FLOW = "refunds"


class RefundReconciler:
    """Compares one channel's refunds (as the engine took them on) with the credit memos."""

    def __init__(
        self,
        *,
        channel: str,
        back_office: Any,
        store: Store,
        clock: Clock,
        meter: Meter,
        lag: float = 900.0,
    ) -> None:
        # ``back_office``: the engine's ``NetSuiteRest`` (SuiteQL pages).
        self.channel = channel
        self.back_office = back_office
        self.store = store
        self.clock = clock
        self.meter = meter
        self.lag = lag
        self.name = f"{channel}:refunds"
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
            for key, payload, state, created in jobs_of(self.store, REFUNDS_FLOW)
            if payload.get("channel") == self.channel
        ]
        report.orders_compared = len(jobs)
        done = {key: Decimal(str(p["amount"])) for key, p, state, _ in jobs if state == "done"}
        for key, payload, state, created in jobs:
            self._from_store(key, payload, state, created, now, report)
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

    def _from_store(
        self,
        key: str,
        payload: dict[str, Any],
        state: str,
        created: float,
        now: float,
        report: DriftReport,
    ) -> None:
        if state != "pending":
            return  # done: checked against the back office; held: in the exception queue
        young = now - created < self.lag
        report.add(
            finding(
                Cause.REFUND_TIMING if young else Cause.MISSING_CREDIT_MEMO,
                Where.BACK_OFFICE,
                channel=self.channel,
                record_key=key,
                detail=f"refund {payload.get('refund_id')} of order {payload.get('order_id')} "
                f"({payload.get('amount')}) is queued in the engine"
                + ("" if young else ", older than the lag threshold"),
                values={"engine.amount": str(payload.get("amount"))},
                created_ts=created,
            )
        )

    async def _compare(
        self, done: dict[str, Decimal], known: set[str], report: DriftReport
    ) -> None:
        prefix = literal(f"{self.channel}-refund-%")
        [row] = await self._query(
            "SELECT COUNT(*) AS n, SUM(foreigntotal) AS total FROM creditmemo "
            f"WHERE externalid LIKE {prefix}"
        ) or [{}]
        count = int(row.get("n", 0))
        total = Decimal(str(row.get("total", "0")))
        if count == len(done) and total == sum(done.values(), Decimal(0)):
            return
        memos: dict[str, list[Decimal]] = {}
        for memo in await self._query(
            "SELECT externalid, foreigntotal AS total FROM creditmemo "
            f"WHERE externalid LIKE {prefix} ORDER BY id"
        ):
            memos.setdefault(str(memo["externalid"]), []).append(Decimal(str(memo["total"])))
        for key, amount in sorted(done.items()):
            found = memos.get(key, [])
            if not found:
                report.add(
                    finding(
                        Cause.MISSING_CREDIT_MEMO,
                        Where.BACK_OFFICE,
                        channel=self.channel,
                        record_key=key,
                        detail=f"refund {key} was applied by the engine but the back office "
                        "has no credit memo for it",
                        values={"engine.amount": str(amount)},
                    )
                )
            elif found[0] != amount:
                report.add(
                    finding(
                        Cause.TOTAL,
                        Where.BACK_OFFICE,
                        channel=self.channel,
                        record_key=key,
                        detail=f"credit memo {key} credits {found[0]}, the refund was {amount}",
                        values={"engine.amount": str(amount), "back_office.total": str(found[0])},
                    )
                )
        for key in sorted(set(memos) - known):
            report.add(
                finding(
                    Cause.ORPHAN,
                    Where.BACK_OFFICE,
                    channel=self.channel,
                    record_key=key,
                    detail=f"credit memo {key} matches no refund the engine took on",
                    values={"back_office.total": str(memos[key][0])},
                )
            )
