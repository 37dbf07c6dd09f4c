"""The post-purchase part of the one definition: cancellations, refunds and address edits the
channel made (staff under load, issue 8) must reach the back office, or be surfaced.

Per channel order that has a back-office order:

- **cancel drift**: the channel cancelled it and the back office did not (or the other way
  round), and the engine holds no change of the order in its exception queue. The back office
  refuses a cancellation once fulfilment started (the picking cut-off); the engine then holds
  the change with the reason, which is surfaced, not drift (counted as ``changes_held``). An
  order cancelled before it ever reached the back office is neither lost nor drift (see
  ``invariants._orders``);
- **refund drift**: money the channel paid back ≠ the credit memos against the order, unless
  one of the order's refunds is held in the exception queue (surfaced: ``refunds_held``);
- **edit drift**: the channel's shipping address (the fields of ``ADDRESS_KEYS``) ≠ the back
  office's, on an order neither side cancelled, unless a change of the order is held.

Only figures both sides report are compared (a reader leaves the others None).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scenarios.invariants_channels import BackOfficeOrderView, ChannelOrderView

CHANGE_FLOW = "order_changes"
REFUND_FLOW = "refunds"
CHECKED_JOB_FLOWS = (CHANGE_FLOW, REFUND_FLOW)
"""The engine's job flows whose outcome these checks read: a run drains until they are done."""


@dataclass(frozen=True, kw_only=True)
class HeldJobs:
    """The engine's held post-purchase jobs (``GET /exceptions/records`` → ``jobs``)."""

    changes: frozenset[str] = frozenset()
    """External ids (``{channel}-{order id}``) of orders with a held change."""
    refunds: frozenset[str] = frozenset()
    """External ids (``{channel}-refund-{id}``) of held refunds."""

    @classmethod
    def from_rows(cls, rows: Iterable[Mapping[str, Any]]) -> HeldJobs:
        """From the engine's rows: ``{flow, record_key, ...}``; a change's key is
        ``{external id}@{version}`` (``-cancel`` appended for a cancellation)."""
        changes, refunds = set(), set()
        for row in rows:
            key = str(row.get("record_key", ""))
            if row.get("flow") == CHANGE_FLOW:
                changes.add(key.rsplit("@", 1)[0])
            elif row.get("flow") == REFUND_FLOW:
                refunds.add(key)
        return cls(changes=frozenset(changes), refunds=frozenset(refunds))


@dataclass(kw_only=True)
class StaffTally:
    """Post-purchase findings while they are being counted (examples, one per order)."""

    cancel_drift: list[dict[str, Any]] = field(default_factory=list)
    refund_drift: list[dict[str, Any]] = field(default_factory=list)
    edit_drift: list[dict[str, Any]] = field(default_factory=list)
    changes_held: list[str] = field(default_factory=list)
    refunds_held: list[str] = field(default_factory=list)


def check_order(
    tally: StaffTally,
    *,
    channel: str,
    order: ChannelOrderView,
    back_office: BackOfficeOrderView,
    held: HeldJobs,
    order_held: bool = False,
) -> None:
    """Compare one channel order's cancellation, refunds and address with its back-office
    order. ``order_held``: the engine holds the order itself in its exception queue (say its
    cancellation, sent with a late first sync, was refused past the cut-off): surfaced too."""
    external_id = f"{channel}-{order.order_id}"
    change_held = order_held or external_id in held.changes
    if back_office.cancelled is not None and order.cancelled != back_office.cancelled:
        if change_held:
            tally.changes_held.append(external_id)
        else:
            tally.cancel_drift.append(
                {
                    "order": external_id,
                    "channel": "cancelled" if order.cancelled else "open",
                    "back_office": "cancelled" if back_office.cancelled else "open",
                }
            )
    credited = back_office.credited
    if order.refunded is not None and credited is not None and order.refunded != credited:
        refund_keys = {f"{channel}-refund-{rid}" for rid in order.refund_ids}
        if refund_keys & held.refunds:
            tally.refunds_held.append(external_id)
        else:
            tally.refund_drift.append(
                {"order": external_id, "channel": str(order.refunded), "back_office": str(credited)}
            )
    if order.cancelled or back_office.cancelled or order.address is None:
        return
    if back_office.address is None:
        return
    differ = {
        key: {"channel": value, "back_office": back_office.address.get(key)}
        for key, value in order.address.items()
        if back_office.address.get(key) != value
    }
    if differ:
        if change_held:
            if external_id not in tally.changes_held:
                tally.changes_held.append(external_id)
        else:
            tally.edit_drift.append({"order": external_id, "fields": differ})
