"""Fulfilments: every back-office shipment of a channel order shows its tracking on the channel.

The engine's fulfilments flow queues each shipped item fulfilment once (keyed by its internal
id) and pushes it to the channel, idempotent on the tracking number. A pass checks:

- *back office ↔ engine*, one SuiteQL count of this channel's shipped fulfilments against the
  engine's jobs; only when the back office has more are they listed and matched (a shipment
  the engine never picked up);
- *engine ↔ channel*, incrementally: the orders of fulfilments the engine finished since the
  last pass are read back with ``orders.json?ids=`` (250 orders a call, their fulfilments
  inline) and each tracking number must be there; once seen, a fulfilment is not read again;
- from the store, free: a push still queued is lag below the threshold, a missing tracking
  number above it; a held one is in the exception queue already.
"""

from __future__ import annotations

from typing import Any

from simclock import Clock, parse_iso_utc
from sync_engine.connectors.shopify_rest import ShopifyRest
from sync_engine.errors import SyncError
from sync_engine.reconcile.findings import Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import jobs_of
from sync_engine.reconcile.meter import BudgetSpent, Meter
from sync_engine.reconcile.segments import Window
from sync_engine.reconcile.sources import (
    BACK_OFFICE_SIDE,
    CHANNEL_SIDE,
    SuiteQLClient,
    literal,
)
from sync_engine.store import Store

FULFILMENTS_FLOW = "fulfilments"


def _tracking(order: dict[str, Any]) -> set[str]:
    out: set[str] = set()
    for fulfilment in order.get("fulfillments") or []:
        numbers = fulfilment.get("tracking_numbers") or [fulfilment.get("tracking_number")]
        out.update(str(n) for n in numbers if n)
    return out


class FulfilmentReconciler:
    """Tracking on the channel for one Shopify channel's shipments."""

    def __init__(
        self,
        *,
        channel: str,
        rest: ShopifyRest,
        back_office: SuiteQLClient,
        store: Store,
        clock: Clock,
        meter: Meter,
        lag: float = 900.0,
    ) -> None:
        self.channel = channel
        self.rest = rest
        self.back_office = back_office
        self.store = store
        self.clock = clock
        self.meter = meter
        self.lag = lag
        self.name = f"{channel}:fulfilments"
        self.verified: set[str] = set()
        """Shipments whose tracking number was seen on the channel (not read again)."""
        self.last_report: DriftReport | None = None

    async def _spend_back_office(self) -> None:
        await self.meter.spend(BACK_OFFICE_SIDE)

    async def _spend_channel(self) -> None:
        await self.meter.spend(CHANNEL_SIDE)

    async def _query(self, q: str) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async for page in self.back_office.suiteql_pages(
            q, kind="suiteql.reconcile", before_call=self._spend_back_office
        ):
            rows.extend(page)
        return rows

    async def run_pass(self) -> DriftReport:
        self.meter.start_pass()
        now = self.clock.now()
        report = DriftReport(channel=self.channel, started_at=now, window=Window(0.0, now))
        jobs = {
            key: (payload, state, created)
            for key, payload, state, created in jobs_of(self.store, FULFILMENTS_FLOW)
            if payload.get("channel") == self.channel
        }
        report.orders_compared = len(jobs)
        for key, (payload, state, created) in sorted(jobs.items()):
            if state == "pending":
                young = now - created < self.lag
                report.add(
                    finding(
                        Cause.SYNC_LAG if young else Cause.MISSING_TRACKING,
                        Where.CHANNEL,
                        channel=self.channel,
                        record_key=key,
                        detail=f"shipment {key} ({payload.get('tracking_number')}) of order "
                        f"{payload.get('order_id')} is queued in the engine"
                        + ("" if young else ", older than the lag threshold"),
                        created_ts=created,
                        detail_code=None if young else "STUCK_IN_QUEUE",
                    )
                )
        try:
            await self._back_office(jobs, report)
            await self._channel(jobs, report)
        except BudgetSpent:
            report.complete = False
        except SyncError as error:
            report.complete = False
            report.error = f"{type(error).__name__}: {error}"
        report.calls = dict(self.meter.calls)
        report.finished_at = self.clock.now()
        self.last_report = report
        return report

    async def _back_office(
        self, jobs: dict[str, tuple[dict[str, Any], str, float]], report: DriftReport
    ) -> None:
        scope = (
            "FROM itemfulfillment f JOIN salesorder s ON s.id = f.createdfrom "
            f"WHERE s.custbody_rh_channel = {literal(self.channel)} AND f.status = 'C'"
        )
        [row] = await self._query(f"SELECT COUNT(*) AS n {scope}") or [{}]
        if int(row.get("n", 0)) <= len(jobs):
            return
        now = self.clock.now()
        for shipped in await self._query(
            "SELECT f.id AS id, f.trackingnumbers AS tracking, f.lastmodifieddate AS modified, "
            f"s.custbody_rh_channel_order_id AS orderid {scope} ORDER BY f.id"
        ):
            key = str(shipped["id"])
            if key in jobs:
                continue
            try:
                young = now - parse_iso_utc(str(shipped.get("modified"))) < self.lag
            except ValueError:
                young = False
            report.add(
                finding(
                    Cause.SYNC_LAG if young else Cause.MISSING_TRACKING,
                    Where.ENGINE,
                    channel=self.channel,
                    record_key=key,
                    detail=f"item fulfilment {key} of order {shipped.get('orderid')} "
                    f"({shipped.get('tracking') or 'no tracking'}) was shipped in the back "
                    + ("office just now" if young else "office but the engine never picked it up"),
                )
            )

    async def _channel(
        self, jobs: dict[str, tuple[dict[str, Any], str, float]], report: DriftReport
    ) -> None:
        todo = {
            key: payload
            for key, (payload, state, _) in jobs.items()
            if state == "done" and key not in self.verified and payload.get("tracking_number")
        }
        orders = sorted({str(p["order_id"]) for p in todo.values()}, key=lambda i: (len(i), i))
        shown: dict[str, set[str]] = {}
        for start in range(0, len(orders), self.rest.dest.page_limit):
            chunk = orders[start : start + self.rest.dest.page_limit]
            params = {"ids": ",".join(chunk), "status": "any", "limit": len(chunk)}
            async for page in self.rest.order_pages(params, before_call=self._spend_channel):
                for order in page:
                    shown[str(order["id"])] = _tracking(order)
        for key, payload in sorted(todo.items()):
            if str(payload["tracking_number"]) in shown.get(str(payload["order_id"]), set()):
                self.verified.add(key)
                continue
            report.add(
                finding(
                    Cause.MISSING_TRACKING,
                    Where.CHANNEL,
                    channel=self.channel,
                    record_key=key,
                    detail=f"shipment {key} was pushed by the engine but order "
                    f"{payload['order_id']} shows no tracking {payload['tracking_number']}",
                    values={"engine.tracking": str(payload["tracking_number"])},
                )
            )
