"""Defaults and settings of the NetSuite-style ERP mock.

Figures follow ``shared/reference/PLATFORMS.md`` section 5: Premium tier / Tier 1 concurrency
of 15, query pages of at most 1000 rows, and (no published figure exists) record writes of
about a second with a long tail. Every duration is in *simulated* seconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
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

SALES_ORDER_STATUS = {"id": "B", "refName": "Pending Fulfillment"}
STOCK_MOVEMENT_REASONS = ("receipt", "other_channel")


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

    def __post_init__(self) -> None:
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
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise ValueError(f"{name} must be a number, got {value!r}")
            if not math.isfinite(value) or value < 0:
                raise ValueError(f"{name} must be a finite number >= 0, got {value!r}")
        for name in ("query_page_limit_max", "query_page_limit_default"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be an integer >= 1, got {value!r}")
        if self.query_page_limit_default > self.query_page_limit_max:
            raise ValueError("query_page_limit_default must not exceed query_page_limit_max")
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
        return cls(**overrides)
