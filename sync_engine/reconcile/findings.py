"""The drift report: findings in the operators' cause taxonomy, each with what to do about it.

Causes (PEERS.md section 5, the "revenue gap" breakdown): a missing or unmapped order, a
duplicate, a cancellation mismatch, refund timing, a tax/discount/shipping (or total)
mismatch, stock drift, and sync lag below the threshold, which is *not yet* drift. Each
finding carries an :class:`Action`: repair it (re-ingest the channel order, resync stock),
raise an exception with a code for a person, or nothing (already held, or just lag).
:func:`decide` is that table, in one place.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from simclock import iso_utc
from sync_engine.reconcile.segments import Window


class Cause(StrEnum):
    """Why a record differs between the channel, the engine and the back office."""

    MISSING = "missing_order"
    """The channel has it and the back office does not (never received, or lost after)."""
    UNMAPPED = "unmapped_order"
    """Not in the back office because the engine holds it in its exception queue."""
    DUPLICATE = "duplicate"
    """More than one sales order for one channel order."""
    CANCELLATION = "cancellation_mismatch"
    TAX = "tax_mismatch"
    DISCOUNT = "discount_mismatch"
    SHIPPING = "shipping_mismatch"
    TOTAL = "total_mismatch"
    """The total differs while tax, discount and shipping agree (the lines)."""
    ORPHAN = "orphan"
    """The back office (or the engine) has an order the channel does not."""
    REFUND_TIMING = "refund_timing"
    """A refund without its credit memo yet, younger than the threshold: not yet drift."""
    MISSING_CREDIT_MEMO = "missing_credit_memo"
    MISSING_TRACKING = "missing_tracking"
    """A back-office shipment whose tracking the channel does not show."""
    MISSING_JOURNAL = "missing_journal"
    """A payout without its journal entry."""
    STOCK_DRIFT = "stock_drift"
    SYNC_LAG = "sync_lag"
    """Younger than the lag threshold: expected to settle by itself, not yet drift."""


NOT_DRIFT = frozenset({Cause.SYNC_LAG, Cause.REFUND_TIMING})


class Action(StrEnum):
    """What a finding turns into."""

    REPAIR = "repair"
    """Re-ingest the channel record (or resync stock): the engine puts it right itself."""
    EXCEPTION = "exception"
    """Raise an exception with a code: a person decides (never auto-deleted or overwritten)."""
    NONE = "none"
    """Nothing: already in the exception queue, or lag that settles by itself."""


class Where(StrEnum):
    """Which hop the difference is on."""

    ENGINE = "engine"
    """Between the channel and what the engine recorded."""
    BACK_OFFICE = "back_office"
    """Between what the engine recorded and the back office."""
    CHANNEL = "channel"
    """Between what the back office says a channel should show and what it shows (stock)."""


def decide(
    cause: Cause, where: Where, *, detail_code: str | None = None
) -> tuple[Action, str | None]:
    """The action for a finding, and the exception code when it is one (``detail_code``
    ``HELD``: the engine holds the record in its exception queue already)."""
    if cause in NOT_DRIFT or cause is Cause.UNMAPPED or detail_code == "HELD":
        return Action.NONE, None
    if detail_code == "STUCK_IN_QUEUE":
        return Action.EXCEPTION, detail_code  # queued in the engine longer than the lag
    if cause is Cause.MISSING:
        return Action.REPAIR, None
    if cause is Cause.CANCELLATION:
        # The channel cancelled and the rest did not follow: re-ingesting the cancelled
        # version lets the order-change flow cancel (or hold it past the cut-off).
        if detail_code == "CANCELLED_ON_CHANNEL":
            return Action.REPAIR, None
        return Action.EXCEPTION, "CANCELLED_IN_BACK_OFFICE"
    if cause in (Cause.TAX, Cause.DISCOUNT, Cause.SHIPPING, Cause.TOTAL):
        if where is Where.ENGINE:
            return Action.REPAIR, None  # the engine holds a stale version: fetch the current
        return Action.EXCEPTION, f"{cause.value.upper()}"
    if cause is Cause.STOCK_DRIFT:
        return Action.REPAIR, None
    codes = {
        Cause.DUPLICATE: "DUPLICATE_SALES_ORDER",
        Cause.ORPHAN: "ORPHAN_RECORD",
        Cause.MISSING_CREDIT_MEMO: "MISSING_CREDIT_MEMO",
        Cause.MISSING_TRACKING: "MISSING_TRACKING",
        Cause.MISSING_JOURNAL: "MISSING_JOURNAL",
    }
    return Action.EXCEPTION, codes.get(cause, cause.value.upper())


@dataclass(frozen=True, kw_only=True)
class Finding:
    """One difference, as data."""

    cause: Cause
    where: Where
    channel: str
    record_key: str
    """The channel order id (or ``sku@location``, a refund or payout id)."""
    detail: str
    action: Action
    code: str | None = None
    """Exception code when ``action`` is an exception."""
    values: dict[str, str] = field(default_factory=dict)
    """The figures compared (``channel.total``, ``back_office.total``...)."""
    created_ts: float | None = None

    @property
    def drift(self) -> bool:
        return self.cause not in NOT_DRIFT

    @property
    def fingerprint(self) -> str:
        """Groups recurring findings of one kind (the exception queue's grouping key)."""
        return f"reconcile:{self.cause.value}:{self.where.value}:{self.code or '-'}"

    def to_json(self) -> dict[str, Any]:
        return {
            "cause": self.cause.value,
            "where": self.where.value,
            "channel": self.channel,
            "record_key": self.record_key,
            "detail": self.detail,
            "action": self.action.value,
            "code": self.code,
            "drift": self.drift,
            "values": dict(self.values),
            **({"created": iso_utc(self.created_ts)} if self.created_ts is not None else {}),
        }


def finding(
    cause: Cause,
    where: Where,
    *,
    channel: str,
    record_key: str,
    detail: str,
    values: dict[str, str] | None = None,
    created_ts: float | None = None,
    detail_code: str | None = None,
) -> Finding:
    """A finding with its action decided by :func:`decide`."""
    action, code = decide(cause, where, detail_code=detail_code)
    return Finding(
        cause=cause,
        where=where,
        channel=channel,
        record_key=record_key,
        detail=detail,
        action=action,
        code=code,
        values=values or {},
        created_ts=created_ts,
    )


@dataclass(kw_only=True)
class DriftReport:
    """One reconciliation pass: what was compared, what it cost, what differs."""

    channel: str
    started_at: float
    window: Window
    """The channel time compared; younger orders are lag."""
    finished_at: float | None = None
    complete: bool = True
    """False when the pass spent its call budget first (the next pass resumes)."""
    error: str | None = None
    calls: dict[str, int] = field(default_factory=dict)
    """API calls spent, by side (``channel``, ``back_office``)."""
    full_scan_calls: int | None = None
    """What listing everything on both sides would have cost, for comparison."""
    orders_compared: int = 0
    findings: list[Finding] = field(default_factory=list)
    lag: dict[str, Any] = field(default_factory=dict)
    repaired: list[str] = field(default_factory=list)
    """Channel order ids handed to the repair callback."""

    _seen: set[tuple[Cause, Where, str]] = field(default_factory=set, repr=False)

    def add(self, item: Finding) -> None:
        """Record a finding once (by cause, hop and record)."""
        key = (item.cause, item.where, item.record_key)
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(item)

    @property
    def drift(self) -> list[Finding]:
        return [f for f in self.findings if f.drift]

    def by_cause(self) -> dict[str, int]:
        return dict(sorted(Counter(f.cause.value for f in self.findings).items()))

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "started_at": iso_utc(self.started_at),
            "finished_at": iso_utc(self.finished_at) if self.finished_at is not None else None,
            "window": self.window.to_json(),
            "complete": self.complete,
            "error": self.error,
            "calls": dict(self.calls),
            "calls_total": sum(self.calls.values()),
            "full_scan_calls": self.full_scan_calls,
            "orders_compared": self.orders_compared,
            "drift": len(self.drift),
            "by_cause": self.by_cause(),
            "lag": dict(self.lag),
            "repaired": list(self.repaired),
            "findings": [f.to_json() for f in self.findings],
        }
