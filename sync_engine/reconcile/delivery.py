"""Engine ↔ back office: is every order the engine synced there once, with the right figures?

The engine's synced orders give, for free, what each calendar bucket of channel time should
hold in the back office (:class:`~sync_engine.reconcile.ledger.Expectations`: the mapping's
header per order). The back office returns the same checksums for a whole level of buckets
in one grouped query; buckets that differ are grouped again at the finest level whose groups
still fit in one page (levels are skipped when they would cost a query each), and once the
differing buckets hold at most a page of orders they are listed in one query, together with
the back-office records of every order the engine has in them (found by channel order id, so a
record filed under another time is not taken for a missing one), and diffed order by order.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from sync_engine.reconcile.compare import money_cause, values
from sync_engine.reconcile.findings import Cause, DriftReport, Where, finding
from sync_engine.reconcile.ledger import Expectations, Expected, LedgerOrder
from sync_engine.reconcile.segments import (
    LEVELS,
    Checksum,
    Level,
    Window,
    bucket_of,
    checksums_by_bucket,
    differing,
    level_of,
    next_level,
    start_level,
)
from sync_engine.reconcile.sources import BackOfficeRow, BackOfficeSource

SYNCED = "synced"
PENDING = "pending"
EXCEPTION = "exception"


@dataclass(kw_only=True)
class DeliveryCheck:
    """One channel's delivery check; an unfinished descent carries over to the next pass."""

    back_office: BackOfficeSource
    channel: str
    numeric_ids: bool
    expectations: Expectations
    carried: tuple[Level, dict[str, int]] | None = None
    back_office_orders: int | None = None
    """Sales orders the back office holds for the window (from the first level's counts)."""
    levels: list[str] = field(default_factory=list)
    """Levels queried this pass, coarsest first (for the report)."""

    async def run(
        self,
        window: Window,
        in_window: list[LedgerOrder],
        report: DriftReport,
        *,
        known_missing: set[str],
    ) -> None:
        """Check ``window`` (``in_window``: the engine's orders there, any state);
        ``known_missing``: channel orders the receipt check found the engine lacks."""
        synced = [r for r in in_window if r.state == SYNCED]
        summands = self.expectations.summands(r.order for r in synced)
        page = self.back_office.page_size
        self.levels = []
        if self.carried is not None:
            level, bad = self.carried
            self.carried = None
        else:
            level = start_level(window, page=page)
            local = checksums_by_bucket(summands, level, numeric_ids=self.numeric_ids)
            remote = await self._checksums(level, window, ())
            self.back_office_orders = sum(c.count for c in remote.values())
            bad = differing(local, remote)
        while bad and sum(bad.values()) > page and level != LEVELS[-1]:
            finer = next_level(level, len(bad), sum(bad.values()), page=page)
            parents = set(bad)
            inside = [s for s in summands if bucket_of(s.created_ts, level) in parents]
            local = checksums_by_bucket(inside, finer, numeric_ids=self.numeric_ids)
            try:
                remote = await self._checksums(finer, window, sorted(parents))
            except BaseException:
                self.carried = (level, bad)
                raise
            bad = differing(local, remote)
            level = finer
        stuck = [r for r in in_window if r.state == PENDING]
        if not bad and not stuck:
            return
        try:
            await self._list(window, bad, in_window, stuck, report, known_missing)
        except BaseException:
            self.carried = (level, bad)
            raise

    async def _checksums(
        self, level: Level, window: Window, parents: list[str] | tuple[str, ...]
    ) -> dict[str, Checksum]:
        self.levels.append(level.name)
        return await self.back_office.checksums(
            self.channel, level, window, parents=parents, numeric_ids=self.numeric_ids
        )

    async def _list(
        self,
        window: Window,
        bad: dict[str, int],
        in_window: list[LedgerOrder],
        stuck: list[LedgerOrder],
        report: DriftReport,
        known_missing: set[str],
    ) -> None:
        prefixes = {len(key) for key in bad}
        level_by_prefix = {n: level_of(next(k for k in bad if len(k) == n)) for n in prefixes}

        def in_bad(ts: float) -> bool:
            return any(bucket_of(ts, lv) in bad for lv in level_by_prefix.values())

        mine = [r for r in in_window if in_bad(r.created_ts)]
        scope = {r.order_id: r for r in [*mine, *stuck]}
        rows = await self.back_office.rows(
            self.channel, window, buckets=sorted(bad), order_ids=sorted(scope)
        )
        records: dict[str, list[BackOfficeRow]] = defaultdict(list)
        for row in rows:
            records[row.order_id].append(row)
        for order_id in sorted(set(scope) | set(records)):
            self._judge(
                order_id, scope.get(order_id), records.get(order_id, []), report, known_missing
            )

    def _judge(
        self,
        order_id: str,
        mine: LedgerOrder | None,
        records: list[BackOfficeRow],
        report: DriftReport,
        known_missing: set[str],
    ) -> None:
        channel = self.channel
        created = mine.created_ts if mine is not None else None
        if len(records) > 1:
            report.add(
                finding(
                    Cause.DUPLICATE,
                    Where.BACK_OFFICE,
                    channel=channel,
                    record_key=order_id,
                    detail=f"{len(records)} sales orders for one channel order: "
                    + ", ".join(f"{r.external_id} ({r.record_id})" for r in records),
                    values={f"back_office.{r.record_id}": r.external_id for r in records},
                    created_ts=created,
                )
            )
        if mine is None:
            if records and order_id not in known_missing:
                report.add(
                    finding(
                        Cause.ORPHAN,
                        Where.BACK_OFFICE,
                        channel=channel,
                        record_key=order_id,
                        detail="the back office has a sales order for a channel order the "
                        f"engine never recorded ({records[0].external_id})",
                    )
                )
            return
        if mine.state == PENDING:
            if not records:
                report.add(
                    finding(
                        Cause.MISSING,
                        Where.BACK_OFFICE,
                        channel=channel,
                        record_key=order_id,
                        detail=f"order {mine.order.number} is still queued in the engine, "
                        "older than the lag threshold",
                        created_ts=created,
                        detail_code="STUCK_IN_QUEUE",
                    )
                )
            return
        if mine.state != SYNCED:
            return  # held: reported from the exception queue
        if not records:
            report.add(
                finding(
                    Cause.MISSING,
                    Where.BACK_OFFICE,
                    channel=channel,
                    record_key=order_id,
                    detail=f"order {mine.order.number} was synced by the engine but the back "
                    "office has no sales order for it",
                    created_ts=created,
                )
            )
            return
        self._compare(mine, self.expectations.of(mine.order), records[0], report)

    def _differs(
        self,
        mine: LedgerOrder,
        cause: Cause,
        detail: str,
        report: DriftReport,
        *,
        values: dict[str, str] | None = None,
        detail_code: str | None = None,
    ) -> None:
        """Report a difference; a change still queued for the back office makes it lag, one
        the engine holds is already in the exception queue."""
        order = mine.order
        if mine.change == PENDING:
            cause, detail_code = Cause.SYNC_LAG, None
            detail += f" (version {order.version} is queued for the back office)"
        elif mine.change == EXCEPTION:
            detail_code = "HELD"
            detail += " (the change is held in the exception queue)"
        report.add(
            finding(
                cause,
                Where.BACK_OFFICE,
                channel=self.channel,
                record_key=order.order_id,
                detail=detail,
                values=values,
                created_ts=order.created_ts,
                detail_code=detail_code,
            )
        )

    def _compare(
        self,
        mine: LedgerOrder,
        expected: Expected | None,
        record: BackOfficeRow,
        report: DriftReport,
    ) -> None:
        order = mine.order
        if order.cancelled != record.cancelled:
            self._differs(
                mine,
                Cause.CANCELLATION,
                f"order {order.number} is "
                + (
                    "cancelled on the channel but not in the back office"
                    if order.cancelled
                    else "cancelled in the back office but not on the channel"
                )
                + f" (sales order {record.external_id}, status {record.status})",
                report,
                detail_code="CANCELLED_ON_CHANNEL" if order.cancelled else None,
            )
        if expected is None:
            return
        want = {
            "total": expected.total,
            "tax": expected.tax,
            "discount": expected.discount,
            "shipping": expected.shipping,
        }
        have = {
            "total": record.total,
            "tax": record.tax,
            "discount": record.discount,
            "shipping": record.shipping,
        }
        cause = money_cause(want, have)
        if cause is not None:
            self._differs(
                mine,
                cause,
                f"order {order.number}: sales order {record.external_id} carries other "
                "figures than the channel's (mapped)",
                report,
                values=values("expected", want, "back_office", have),
            )
