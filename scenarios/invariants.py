"""The one definition of lost, duplicated, oversold, drifted and late (DESIGN.md "Invariants").

Computed only from the mocks' own state (``/_mock/state``), never from the engine's account of
itself; used by run verdicts and by tests alike. Every channel and back office is first read
into one shape (``scenarios.invariants_channels``), so the definitions below hold for any mix
of Shopify, SHOPLINE and Shopware channels in front of the ERP or Fulfil:

- **lost**: an order a channel accepted with no back-office order of external id
  ``{channel}-{order id}``; **unsurfaced** if the engine's exception queue does not hold it;
- **duplicated**: more than one back-office order for one external id;
- **oversold units**: per SKU, units of accepted orders the back office could not allocate
  (ERP backorders; Fulfil reservations beyond stock on hand);
- **stock drift**: per channel, SKU and channel location, channel available ≠ the back
  office's available-to-sell at the locations mapped to it, minus that channel's buffer,
  minus the units of accepted orders the back office does not hold (a lost or held order's
  units are spoken for on every channel: the engine must not offer them again, and the loss
  is counted once, as lost, not again as drift on every channel);
- **amount drift**: a back-office order whose total, tax, discount or shipping differs from
  the channel order's, for each figure both sides carry (``AMOUNTS``);
- **latency**: channel order created → back-office order created, simulated seconds;
- **cancel, refund and edit drift**: post-purchase changes on the channel (cancellations,
  refunds, shipping-address edits) that did not reach the back office and are not held in the
  engine's exception queue (``scenarios.invariants_staff``). A channel order cancelled before
  it reached the back office is not lost.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from scenarios.invariants_channels import (
    AMOUNTS,
    BackOfficeOrderView,
    BackOfficeView,
    ChannelView,
    read_back_office,
    read_channel,
)
from scenarios.invariants_staff import HeldJobs, StaffTally, check_order

EXAMPLES = 20
"""Ids kept per finding for triage."""


@dataclass(frozen=True, kw_only=True)
class Latency:
    """Order created on the channel → sales order created in the back office, simulated s."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


@dataclass(frozen=True, kw_only=True)
class ChannelFindings:
    """One channel's share of the findings (oversold is per SKU across channels)."""

    orders_accepted: int
    orders_synced: int
    lost: int
    duplicated: int
    stock_drift_keys: int
    stock_drift_units: int
    amount_drift: int
    unsurfaced_failures: int
    latency: Latency


@dataclass(frozen=True, kw_only=True)
class Findings:
    """Everything the checkers found; ``examples`` keeps a few ids per finding for triage."""

    orders_accepted: int
    orders_synced: int
    lost: int
    duplicated: int
    oversold_units: int
    stock_drift_keys: int
    stock_drift_units: int
    amount_drift: int
    unsurfaced_failures: int
    latency: Latency
    examples: dict[str, list[Any]] = field(default_factory=dict)
    channels: dict[str, ChannelFindings] = field(default_factory=dict)
    back_office: str = "erp"
    cancel_drift: int = 0
    refund_drift: int = 0
    edit_drift: int = 0
    changes_held: int = 0
    """Post-purchase changes the back office refused (picking cut-off), held by the engine."""
    refunds_held: int = 0
    oversold_by_sku: dict[str, int] = field(default_factory=dict)
    """Oversold units per SKU (every SKU with any; ``oversold_units`` is their sum)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 100)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def latency_of(values: list[float]) -> Latency:
    ordered = sorted(values)
    return Latency(
        count=len(ordered),
        p50=percentile(ordered, 50),
        p95=percentile(ordered, 95),
        p99=percentile(ordered, 99),
        max=ordered[-1] if ordered else None,
    )


@dataclass(kw_only=True)
class _Tally:
    """One channel's findings while they are being counted."""

    accepted: int = 0
    lost: list[str] = field(default_factory=list)
    unallocated: Counter[str] = field(default_factory=Counter)
    """Units per SKU of this channel's orders the back office does not hold."""
    duplicated: dict[str, int] = field(default_factory=dict)
    unsurfaced: list[str] = field(default_factory=list)
    amount_drift: list[dict[str, Any]] = field(default_factory=list)
    stock_drift: list[dict[str, Any]] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    staff: StaffTally = field(default_factory=StaffTally)

    def findings(self) -> ChannelFindings:
        return ChannelFindings(
            orders_accepted=self.accepted,
            orders_synced=self.accepted - len(self.lost),
            lost=len(self.lost),
            duplicated=sum(n - 1 for n in self.duplicated.values()),
            stock_drift_keys=len(self.stock_drift),
            stock_drift_units=sum(abs(d["channel"] - d["expected"]) for d in self.stock_drift),
            amount_drift=len(self.amount_drift),
            unsurfaced_failures=len(self.unsurfaced),
            latency=latency_of(self.latencies),
        )


def _orders(
    tally: _Tally,
    channel: ChannelView,
    by_external: Mapping[str, list[Any]],
    exception_keys: Collection[tuple[str, str]],
    jobs: HeldJobs,
) -> None:
    for order in channel.orders:
        tally.accepted += 1
        external_id = f"{channel.name}-{order.order_id}"
        held: list[BackOfficeOrderView] = by_external.get(external_id, [])
        if not held and order.cancelled:
            continue  # cancelled before it reached the back office: nothing to carry
        if not held:
            tally.lost.append(external_id)
            tally.unallocated.update(order.units)
            if (channel.name, order.order_id) not in exception_keys:
                tally.unsurfaced.append(external_id)
            continue
        if len(held) > 1:
            tally.duplicated[external_id] = len(held)
        first = held[0]
        tally.latencies.append(first.created_ts - order.created_ts)
        for name in AMOUNTS:
            ours, theirs = order.amounts.get(name), first.amounts.get(name)
            if ours is not None and theirs is not None and ours != theirs:
                tally.amount_drift.append(
                    {
                        "order": external_id,
                        "field": name,
                        "channel": str(ours),
                        "back_office": str(theirs),
                    }
                )
        check_order(
            tally.staff,
            channel=channel.name,
            order=order,
            back_office=first,
            held=jobs,
            order_held=(channel.name, order.order_id) in exception_keys,
        )


def _stock(
    tally: _Tally,
    channel: ChannelView,
    back_office: BackOfficeView,
    *,
    buffer: int,
    location_map: Mapping[str, str],
    unallocated: Mapping[str, int],
) -> None:
    """Channel levels against the back office's ATS at the locations mapped to them, less
    the buffer and the units of orders the back office does not hold."""
    sources: dict[str, list[str]] = defaultdict(list)
    for bo_location, channel_location in location_map.items():
        sources[str(channel_location)].append(str(bo_location))
    for (sku, location), available in sorted(channel.levels.items()):
        mapped = [(sku, bo) for bo in sources.get(location, []) if (sku, bo) in back_office.ats]
        if not mapped:
            continue  # not a location or SKU the engine syncs
        ats = sum(back_office.ats[key] for key in mapped)
        expected = max(0, ats - buffer - unallocated.get(sku, 0))
        if available != expected:
            tally.stock_drift.append(
                {
                    "channel_name": channel.name,
                    "sku": sku,
                    "location": location,
                    "channel": available,
                    "expected": expected,
                }
            )


def check_channels(
    channels: Sequence[ChannelView],
    back_office: BackOfficeView,
    *,
    buffers: Mapping[str, int],
    location_maps: Mapping[str, Mapping[str, str]],
    exception_keys: Collection[tuple[str, str]] = frozenset(),
    held_jobs: Iterable[Mapping[str, Any]] = (),
) -> Findings:
    """Compare every channel with the back office after drain.

    ``buffers`` and ``location_maps`` (back-office location id → channel location id) are per
    channel name; ``exception_keys`` are the (channel, order id) pairs the engine holds in its
    exception queue (surfaced, not silently lost); ``held_jobs`` are its held job rows
    (``GET /exceptions/records`` → ``jobs``): post-purchase changes and refunds it surfaced.
    """
    jobs = HeldJobs.from_rows(held_jobs)
    by_external: dict[str, list[BackOfficeOrderView]] = defaultdict(list)
    for so in back_office.orders:
        by_external[so.external_id].append(so)
    tallies: dict[str, _Tally] = {}
    for channel in channels:
        _orders(
            tallies.setdefault(channel.name, _Tally()), channel, by_external, exception_keys, jobs
        )
    unallocated: Counter[str] = Counter()
    for tally in tallies.values():
        unallocated.update(tally.unallocated)
    for channel in channels:
        _stock(
            tallies[channel.name],
            channel,
            back_office,
            buffer=buffers.get(channel.name, 0),
            location_map=location_maps.get(channel.name, {}),
            unallocated=unallocated,
        )
    known = {f"{c.name}-{o.order_id}" for c in channels for o in c.orders}
    strangers = [eid for eid in by_external if eid not in known]
    per_channel = {name: t.findings() for name, t in tallies.items()}
    every = list(tallies.values())

    def joined(attr: str) -> list[Any]:
        return [item for t in every for item in getattr(t, attr)]

    lost, drift = joined("lost"), joined("stock_drift")
    return Findings(
        orders_accepted=sum(f.orders_accepted for f in per_channel.values()),
        orders_synced=sum(f.orders_synced for f in per_channel.values()),
        lost=len(lost),
        duplicated=sum(f.duplicated for f in per_channel.values()),
        oversold_units=sum(back_office.oversold.values()),
        stock_drift_keys=len(drift),
        stock_drift_units=sum(f.stock_drift_units for f in per_channel.values()),
        amount_drift=sum(f.amount_drift for f in per_channel.values()),
        unsurfaced_failures=sum(f.unsurfaced_failures for f in per_channel.values()),
        latency=latency_of(joined("latencies")),
        examples={
            "lost": lost[:EXAMPLES],
            "duplicated": [eid for t in every for eid in t.duplicated][:EXAMPLES],
            "unsurfaced": joined("unsurfaced")[:EXAMPLES],
            "unexpected_sales_orders": strangers[:EXAMPLES],
            "amount_drift": joined("amount_drift")[:EXAMPLES],
            "stock_drift": drift[:EXAMPLES],
            "oversold": sorted(back_office.oversold.items(), key=lambda kv: -kv[1])[:EXAMPLES],
            **_staff_examples(every),
        },
        channels=per_channel,
        back_office=back_office.platform,
        **_staff_figures(every),
        oversold_by_sku={sku: n for sku, n in sorted(back_office.oversold.items()) if n},
    )


STAFF_FIGURES = ("cancel_drift", "refund_drift", "edit_drift", "changes_held", "refunds_held")


def _staff_figures(tallies: list[_Tally]) -> dict[str, int]:
    return {name: sum(len(getattr(t.staff, name)) for t in tallies) for name in STAFF_FIGURES}


def _staff_examples(tallies: list[_Tally]) -> dict[str, list[Any]]:
    return {
        name: [x for t in tallies for x in getattr(t.staff, name)][:EXAMPLES]
        for name in STAFF_FIGURES
    }


def check(
    shopify: dict[str, Any],
    erp: dict[str, Any],
    *,
    stock_buffer: int,
    location_map: Mapping[str, int | str],
    exception_keys: Collection[str] = frozenset(),
) -> Findings:
    """One Shopify channel named ``shopify`` against the ERP (the single-channel form).

    ``location_map`` maps ERP location ids to Shopify location ids; ``exception_keys`` are the
    Shopify order ids the engine holds in its exception queue.
    """
    return check_channels(
        [read_channel("shopify", "shopify", shopify)],
        read_back_office("erp", erp),
        buffers={"shopify": stock_buffer},
        location_maps={"shopify": {str(k): str(v) for k, v in location_map.items()}},
        exception_keys={("shopify", str(key)) for key in exception_keys},
    )
