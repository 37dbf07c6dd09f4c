"""Defaults and settings of the NetSuite-style ERP mock.

Figures follow ``shared/reference/PLATFORMS.md`` section 5: Premium tier / Tier 1 concurrency
of 15 (5.1), query pages of at most 1000 rows and SuiteQL results capped at 100,000 (5.3), and
(no published figure exists) record writes of about a second with a long tail. Every duration
is in *simulated* seconds. Choices the reference does not settle are marked with "*".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any

REST_PREFIX = "/services/rest/"
"""Every request under this prefix is authenticated and governed by the concurrency limit."""
RECORD_PREFIX = "/services/rest/record/v1"

DEFAULT_CONCURRENCY_LIMIT = 15
DEFAULT_WRITE_LATENCY_MEDIAN = 1.0
DEFAULT_WRITE_LATENCY_SIGMA = 0.5
DEFAULT_WRITE_LATENCY_MAX = 60.0
DEFAULT_READ_LATENCY_MEDIAN = 0.3
DEFAULT_READ_LATENCY_SIGMA = 0.4
DEFAULT_READ_LATENCY_MAX = 30.0
DEFAULT_QUERY_PAGE_LIMIT_MAX = 1000
DEFAULT_QUERY_PAGE_LIMIT = 1000
DEFAULT_ACCOUNT_ID = "1234567"
DEFAULT_CURRENCY = "USD"

FIRST_ITEM_ID = 101
FIRST_CUSTOMER_ID = 501
FIRST_SALES_ORDER_ID = 2001
FIRST_TRAN_NUMBER = 1001
"""``tranId`` of the first sales order is ``SO1001``, as a fresh NetSuite numbering prefix."""

FIRST_TRANSACTION_ID = FIRST_SALES_ORDER_ID
"""Every transaction type (sales order, fulfilment, credit memo, journal) shares one id series,
as NetSuite's ``transaction`` table does."""

SALES_ORDER_STATUS = {"id": "B", "refName": "Pending Fulfillment"}
"""Status of a new, approved sales order (kept for callers of the first version)."""
SALES_ORDER_STATUSES = {
    "A": "Pending Approval",
    "B": "Pending Fulfillment",
    "C": "Cancelled",
    "D": "Partially Fulfilled",
    "E": "Pending Billing/Partially Fulfilled",
    "F": "Pending Billing",
    "G": "Billed",
    "H": "Closed",
}
"""NetSuite's sales-order status letters. Invoicing is not modelled, so E and G never occur."""
SHIP_STATUSES = {"A": "Picked", "B": "Packed", "C": "Shipped"}
"""Item fulfilment ``shipStatus`` letters; stock leaves the warehouse at C."""
STOCK_MOVEMENT_REASONS = ("receipt", "other_channel")

DEFAULT_ACCOUNTS = (
    ("1000", "Cash"),
    ("1100", "Undeposited Funds"),
    ("1200", "Accounts Receivable"),
    ("1300", "Inventory Asset"),
    ("2400", "Sales Tax Payable"),
    ("4000", "Sales"),
    ("4100", "Shipping Income"),
    ("4900", "Sales Returns and Allowances"),
    ("5000", "Cost of Goods Sold"),
    ("6100", "Merchant Fees"),
)
"""* The chart of accounts a fresh account has (journal lines must name one of these or a
seeded one)."""

SHIP_CARRIERS = (
    ("ups", "UPS Ground", "1Z"),
    ("fedex", "FedEx Home Delivery", "7"),
    ("usps", "USPS Priority Mail", "94"),
)
"""* ``(shipCarrier, shipMethod, tracking prefix)`` drawn by ``/_sim/ship``."""

DEFAULT_LATENCY_LOAD_FACTOR = 0.0
"""* Off unless a scenario sets it: no published figure says how NetSuite slows under load."""
DEFAULT_SUITEQL_PAGE_LIMIT_MAX = 1000
DEFAULT_SUITEQL_MAX_RESULTS = 100_000
DEFAULT_SUITEQL_MAX_STEPS = 20_000_000
DEFAULT_MAINTENANCE_RETRY_AFTER = 300.0


@dataclass(frozen=True, kw_only=True)
class ErpSettings:
    """Tunable behaviour of one ERP mock; build with :meth:`from_overrides`."""

    concurrency_limit: int = DEFAULT_CONCURRENCY_LIMIT
    """Requests in flight at once before the next one gets 429 (NetSuite account limit)."""
    write_latency_median: float = DEFAULT_WRITE_LATENCY_MEDIAN
    """Median simulated seconds a record write holds its concurrency slot."""
    write_latency_sigma: float = DEFAULT_WRITE_LATENCY_SIGMA
    """Lognormal shape of write latency (0 = always the median)."""
    write_latency_max: float = DEFAULT_WRITE_LATENCY_MAX
    """Cap on one write's latency."""
    read_latency_median: float = DEFAULT_READ_LATENCY_MEDIAN
    """Median simulated seconds of a read (GET)."""
    read_latency_sigma: float = DEFAULT_READ_LATENCY_SIGMA
    """Lognormal shape of read latency."""
    read_latency_max: float = DEFAULT_READ_LATENCY_MAX
    """Cap on one read's latency."""
    query_page_limit_max: int = DEFAULT_QUERY_PAGE_LIMIT_MAX
    """Largest ``limit`` a collection query accepts."""
    query_page_limit_default: int = DEFAULT_QUERY_PAGE_LIMIT
    """Page size when the request gives no ``limit``."""
    account_id: str = DEFAULT_ACCOUNT_ID
    """NetSuite account id (appears in nothing but the stats; kept for realism)."""
    default_currency: str = DEFAULT_CURRENCY
    """Currency of a sales order whose body names none."""
    non_inventory_items: tuple[str, ...] = ("DISCOUNT",)
    """* Non-inventory sale items in the item master (discounts, services): sellable on an
    order, never stocked, not listed as ``inventoryItem`` records."""
    latency_load_factor: float = DEFAULT_LATENCY_LOAD_FACTOR
    """* Write latency median x (1 + factor x others_in_flight / limit); 0 disables."""
    latency_load_reads: bool = False
    """Apply the load factor to reads (GET, SuiteQL) too."""
    suiteql_page_limit_max: int = DEFAULT_SUITEQL_PAGE_LIMIT_MAX
    """Largest SuiteQL ``limit`` (a larger one is a 400)."""
    suiteql_max_results: int = DEFAULT_SUITEQL_MAX_RESULTS
    """Rows of one SuiteQL query that can be paged through; the rest are not reachable."""
    suiteql_max_steps: int = DEFAULT_SUITEQL_MAX_STEPS
    """* SQLite VM steps one query may take before it is refused (keeps the event loop alive)."""
    maintenance_windows: tuple[tuple[float, float], ...] = ()
    """``[start, end)`` pairs in seconds *relative to the mock's clock at creation* during which
    every /services/rest/ call answers 503."""
    maintenance_retry_after: float = DEFAULT_MAINTENANCE_RETRY_AFTER
    """* Retry-After of a 503 when the window has no known end (open-ended ``POST
    /_mock/maintenance``)."""

    def __post_init__(self) -> None:
        object.__setattr__(self, "maintenance_windows", parse_windows(self.maintenance_windows))
        if isinstance(self.concurrency_limit, bool) or not isinstance(self.concurrency_limit, int):
            raise ValueError("concurrency_limit must be an integer")
        if self.concurrency_limit < 1:
            raise ValueError("concurrency_limit must be >= 1")
        for name in (
            "write_latency_median",
            "write_latency_sigma",
            "write_latency_max",
            "read_latency_median",
            "read_latency_sigma",
            "read_latency_max",
            "latency_load_factor",
            "maintenance_retry_after",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in (
            "query_page_limit_max",
            "query_page_limit_default",
            "suiteql_page_limit_max",
            "suiteql_max_results",
            "suiteql_max_steps",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.query_page_limit_default > self.query_page_limit_max:
            raise ValueError("query_page_limit_default must not exceed query_page_limit_max")
        if not isinstance(self.latency_load_reads, bool):
            raise ValueError(
                f"latency_load_reads must be true or false, got {self.latency_load_reads!r}"
            )
        for name in ("account_id", "default_currency"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name):
                raise ValueError(f"{name} must be a non-empty string")

    @classmethod
    def from_overrides(cls, overrides: dict[str, Any] | None = None) -> ErpSettings:
        """Defaults with ``overrides`` applied; an unknown key is a ``ValueError`` naming it."""
        overrides = dict(overrides or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(overrides) - known)
        if unknown:
            raise ValueError(
                f"unknown ERP setting(s): {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        if "non_inventory_items" in overrides:
            raw = overrides["non_inventory_items"]
            if not isinstance(raw, (list, tuple)) or not all(
                isinstance(sku, str) and sku for sku in raw
            ):
                raise ValueError(f"non_inventory_items must be a list of SKUs, got {raw!r}")
            overrides["non_inventory_items"] = tuple(raw)
        return cls(**overrides)


def parse_windows(raw: Any) -> tuple[tuple[float, float], ...]:
    """``[[start, end], ...]`` as sorted float pairs; ``ValueError`` naming the bad entry."""
    if not isinstance(raw, (list, tuple)):
        raise ValueError(f"maintenance_windows must be a list of [start, end] pairs, got {raw!r}")
    windows: list[tuple[float, float]] = []
    for i, pair in enumerate(raw):
        if not isinstance(pair, (list, tuple)) or len(pair) != 2:
            raise ValueError(f"maintenance_windows[{i}] must be a [start, end] pair, got {pair!r}")
        bounds: list[float] = []
        for value in pair:
            if isinstance(value, bool) or not isinstance(value, (int, float, Decimal)):
                raise ValueError(f"maintenance_windows[{i}] must hold numbers, got {pair!r}")
            bounds.append(float(value))
        start, end = bounds
        if not (math.isfinite(start) and math.isfinite(end)) or start < 0 or end <= start:
            raise ValueError(
                f"maintenance_windows[{i}] must satisfy 0 <= start < end, got {pair!r}"
            )
        windows.append((start, end))
    return tuple(sorted(windows))
