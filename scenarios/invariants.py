"""The one definition of lost, duplicated, oversold, drifted and late (DESIGN.md "Invariants").

Computed only from the mocks' own state (``/_mock/state``), never from the engine's account of
itself; used by run verdicts and by tests alike.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

AMOUNT_FIELDS = (
    # (channel order field, ERP sales-order field)
    ("total_price", "total"),
    ("total_tax", "tax_total"),
    ("total_discounts", "discount_total"),
    ("shipping", "shipping_cost"),
)


@dataclass(frozen=True, kw_only=True)
class Latency:
    """Order created on the channel → sales order created in the ERP, simulated seconds."""

    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


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

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def percentile(sorted_values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an ascending list."""
    if not sorted_values:
        return None
    rank = max(1, int(-(-q * len(sorted_values) // 100)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _shipping(order: dict[str, Any]) -> Decimal:
    return sum((Decimal(str(s["price"])) for s in order.get("shipping_lines", [])), Decimal("0"))


def check(
    shopify: dict[str, Any],
    erp: dict[str, Any],
    *,
    stock_buffer: int,
    location_map: dict[str, int],
    exception_keys: set[str] | frozenset[str] = frozenset(),
) -> Findings:
    """Compare channel and back office after drain.

    ``location_map`` maps ERP location ids to channel location ids; ``exception_keys`` are the
    channel order ids the engine holds in its exception queue (surfaced, not silently lost).
    """
    orders = {str(o["id"]): o for o in shopify["orders"]}
    by_channel_id: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for so in erp["sales_orders"]:
        if so.get("channel", "shopify") == "shopify":
            by_channel_id[str(so["channel_order_id"])].append(so)

    lost = [oid for oid in orders if oid not in by_channel_id]
    duplicated = {oid: len(sos) for oid, sos in by_channel_id.items() if len(sos) > 1}
    unsurfaced = [oid for oid in lost if oid not in exception_keys]
    strangers = [oid for oid in by_channel_id if oid not in orders]

    amount_drift = []
    latencies = []
    for oid, sos in by_channel_id.items():
        order = orders.get(oid)
        if order is None:
            continue
        so = sos[0]
        latencies.append(float(so["created_ts"]) - float(order["created_at_ts"]))
        channel_amounts = {
            "total_price": Decimal(str(order["total_price"])),
            "total_tax": Decimal(str(order["total_tax"])),
            "total_discounts": Decimal(str(order["total_discounts"])),
            "shipping": _shipping(order),
        }
        for channel_field, erp_field in AMOUNT_FIELDS:
            if channel_amounts[channel_field] != Decimal(str(so[erp_field])):
                amount_drift.append(
                    {
                        "order": oid,
                        "field": erp_field,
                        "channel": str(channel_amounts[channel_field]),
                        "erp": str(so[erp_field]),
                    }
                )

    oversold = sum(int(line["backordered"]) for so in erp["sales_orders"] for line in so["lines"])

    erp_ats: Counter[tuple[str, int]] = Counter()
    for item in erp["items"]:
        for loc in item["locations"]:
            channel_location = location_map.get(str(loc["location_id"]))
            if channel_location is not None:
                erp_ats[(item["sku"], channel_location)] += int(loc["available"])
    drift = []
    for level in shopify["inventory_levels"]:
        key = (level["sku"], int(level["location_id"]))
        if key not in erp_ats:
            continue
        expected = max(0, erp_ats[key] - stock_buffer)
        if int(level["available"]) != expected:
            drift.append(
                {
                    "sku": key[0],
                    "location": key[1],
                    "channel": int(level["available"]),
                    "expected": expected,
                }
            )

    latencies.sort()
    return Findings(
        orders_accepted=len(orders),
        orders_synced=len(orders) - len(lost),
        lost=len(lost),
        duplicated=sum(n - 1 for n in duplicated.values()),
        oversold_units=oversold,
        stock_drift_keys=len(drift),
        stock_drift_units=sum(abs(d["channel"] - d["expected"]) for d in drift),
        amount_drift=len(amount_drift),
        unsurfaced_failures=len(unsurfaced),
        latency=Latency(
            count=len(latencies),
            p50=percentile(latencies, 50),
            p95=percentile(latencies, 95),
            p99=percentile(latencies, 99),
            max=latencies[-1] if latencies else None,
        ),
        examples={
            "lost": lost[:20],
            "duplicated": list(duplicated)[:20],
            "unexpected_sales_orders": strangers[:20],
            "amount_drift": amount_drift[:20],
            "stock_drift": drift[:20],
        },
    )
