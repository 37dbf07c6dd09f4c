"""The NetSuite-style ERP as plain Python: one account's books, governance and ground truth.

No HTTP here (moto's ``models.py`` shape): ``api.py`` and the route modules read the request,
call one operation and serialise. Every operation is synchronous, so on one event loop each
is atomic: two concurrent upserts of one externalId can never both create.

The account is composed of focused books, each in its own module: ``inventory`` (items and
stock levels), ``customers``, ``orders`` (sales orders, allocation, edits), ``fulfilments``,
``credit_memos`` and ``journal``; SuiteQL reads them all through ``suiteql``. This module
keeps what spans them: reset, seed, ``/_mock/state`` and ``/_mock/stats``, simulated latency
(lognormal, longer under load) and the maintenance schedule.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Literal

from mocks.common.concurrency import ConcurrencyLimiter
from mocks.common.money import fmt
from mocks.common.rng import derive
from mocks.erp import constants as c
from mocks.erp.constants import ErpSettings
from mocks.erp.credit_memos import CreditMemoBook, credit_memo_state
from mocks.erp.customers import CustomerBook, customer_state
from mocks.erp.errors import InvalidSeed, NetSuiteError
from mocks.erp.fulfilment import FulfilmentBook, fulfilment_state
from mocks.erp.inventory import Inventory, InventoryPage
from mocks.erp.journal import JournalBook, journal_state
from mocks.erp.maintenance import MaintenanceSchedule
from mocks.erp.orders import SalesOrderBook
from mocks.erp.records import (
    Customer,
    InventoryItem,
    NumberSeries,
    SalesOrder,
    item_state,
    order_state,
    sales_order_record,
)
from mocks.erp.schemas import InventoryQuery, SalesOrderInput, parse_sales_order, parse_seed
from mocks.erp.schemas_tx import CustomerInput, parse_customer
from simclock import Clock

RequestKind = Literal["read", "write"]

__all__ = ["ErpModel", "InventoryPage", "RequestKind"]


@dataclass
class _LatencyTotals:
    count: int = 0
    total_seconds: float = 0.0
    max_seconds: float = 0.0

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total_seconds += seconds
        self.max_seconds = max(self.max_seconds, seconds)


@dataclass
class _Stats:
    calls: int = 0
    by_status: Counter[str] = field(default_factory=Counter)
    by_record: Counter[str] = field(default_factory=Counter)
    suiteql_queries: int = 0
    suiteql_rejected: int = 0
    latency: dict[str, _LatencyTotals] = field(
        default_factory=lambda: {"read": _LatencyTotals(), "write": _LatencyTotals()}
    )


def _parse_accounts(payload: dict[str, Any]) -> dict[str, str]:
    raw = payload.get("accounts", [])
    if not isinstance(raw, list):
        raise InvalidSeed("accounts must be a list of {id, name}")
    accounts: dict[str, str] = {}
    for i, acct in enumerate(raw):
        acct_id = acct.get("id") if isinstance(acct, dict) else None
        name = acct.get("name") if isinstance(acct, dict) else None
        if isinstance(acct_id, int) and not isinstance(acct_id, bool):
            acct_id = str(acct_id)
        if not isinstance(acct_id, str) or not acct_id or not isinstance(name, str) or not name:
            raise InvalidSeed(f"accounts[{i}] must be {{id, name}} with non-empty strings")
        accounts[acct_id] = name
    return accounts


def _parse_seed_customers(payload: dict[str, Any]) -> list[CustomerInput]:
    raw = payload.get("customers", [])
    if not isinstance(raw, list):
        raise InvalidSeed("customers must be a list of customer records")
    parsed = []
    for i, body in enumerate(raw):
        try:
            parsed.append(parse_customer(body))
        except NetSuiteError as exc:
            raise InvalidSeed(f"customers[{i}]: {exc.detail}") from exc
    return parsed


def _parse_seed_orders(payload: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    raw = payload.get("sales_orders", [])
    if not isinstance(raw, list):
        raise InvalidSeed("sales_orders must be a list of sales-order bodies")
    parsed: list[tuple[str, dict[str, Any]]] = []
    seen: set[str] = set()
    for i, body in enumerate(raw):
        external_id = body.get("externalId") if isinstance(body, dict) else None
        if not isinstance(external_id, str) or not external_id:
            raise InvalidSeed(f"sales_orders[{i}] must be an object with a non-empty externalId")
        if external_id in seen:
            raise InvalidSeed(f"sales_orders[{i}]: externalId {external_id!r} is seeded twice")
        seen.add(external_id)
        parsed.append((external_id, body))
    return parsed


def _seed_order(index: int, external_id: str, body: dict[str, Any]) -> SalesOrderInput:
    try:
        return parse_sales_order(external_id, body, creating=True)
    except NetSuiteError as exc:
        raise InvalidSeed(f"sales_orders[{index}]: {exc.detail}") from exc


class ErpModel:
    """State and operations of one ERP account; implements the ``/_mock/`` ``Controllable``."""

    def __init__(self, *, settings: ErpSettings, clock: Clock, seed: int) -> None:
        self.settings = settings
        """Behaviour knobs, fixed for the life of the model."""
        self.clock = clock
        """Source of simulated time for timestamps."""
        self.seed_value = seed
        """Root seed of the latency and warehouse streams (re-derived on reset)."""
        self.origin = clock.now()
        """Simulated time at creation: maintenance windows count from here."""
        self.limiter = ConcurrencyLimiter(settings.concurrency_limit)
        """The account's concurrency governance, shared by every /services/rest/ request."""
        self.reset()

    # ----------------------------------------------------------------- control (/_mock/)
    def reset(self) -> None:
        """Forget all records and counters; slots held by in-flight requests stay held."""
        numbers = NumberSeries()
        self.inventory = Inventory(
            clock=self.clock, non_inventory=self.settings.non_inventory_items
        )
        self.customers = CustomerBook(clock=self.clock, first_id=c.FIRST_CUSTOMER_ID)
        self.orders = SalesOrderBook(
            clock=self.clock,
            inventory=self.inventory,
            customers=self.customers,
            numbers=numbers,
            default_currency=self.settings.default_currency,
        )
        self.fulfilments = FulfilmentBook(
            clock=self.clock,
            orders=self.orders,
            inventory=self.inventory,
            numbers=numbers,
            rng=derive(self.seed_value, "erp.warehouse"),
        )
        self.credit_memos = CreditMemoBook(
            clock=self.clock, orders=self.orders, inventory=self.inventory, numbers=numbers
        )
        self.journal = JournalBook(
            clock=self.clock,
            numbers=numbers,
            accounts=dict(c.DEFAULT_ACCOUNTS),
            currency=self.settings.default_currency,
        )
        self.maintenance = MaintenanceSchedule(
            clock=self.clock, origin=self.origin, windows=self.settings.maintenance_windows
        )
        self._latency_rng = derive(self.seed_value, "erp.latency")
        self._stats = _Stats()
        self.limiter.reset_stats()

    @property
    def locations(self) -> dict[str, str]:
        """Location id -> name."""
        return self.inventory.locations

    @property
    def items(self) -> dict[str, InventoryItem]:
        """SKU -> inventory item."""
        return self.inventory.items

    @property
    def sales_orders(self) -> dict[str, SalesOrder]:
        """External id -> sales order."""
        return self.orders.by_external_id

    def seed(self, payload: dict[str, Any]) -> dict[str, Any]:
        """Add locations, items with on-hand stock, accounts, customers and sales orders.

        ``sales_orders`` are upsert bodies with their ``externalId``, created (and allocated)
        in list order as ``PUT salesOrder/eid:`` would, without an API call being counted.
        Bodies are validated before anything changes; their items, locations and customers
        are checked against the account as it is once this seed's own are added.
        """
        locations, items = parse_seed(payload, known_locations=set(self.locations))
        accounts = _parse_accounts(payload)
        customers = _parse_seed_customers(payload)
        orders = [
            _seed_order(i, external_id, body)
            for i, (external_id, body) in enumerate(_parse_seed_orders(payload))
        ]
        self.journal.accounts.update(accounts)
        seeded = self.inventory.seed(locations, items)
        made: list[Customer] = [self.customers.seed(data) for data in customers]
        for i, order_in in enumerate(orders):
            if order_in.external_id in self.orders.by_external_id:
                raise InvalidSeed(
                    f"sales_orders[{i}]: a sales order with externalId "
                    f"{order_in.external_id!r} exists already"
                )
            try:
                self.orders.check_refs(order_in.location_id, order_in.lines)
                self.customers.check_order_entity(customer_id=order_in.customer_id)
            except NetSuiteError as exc:
                raise InvalidSeed(f"sales_orders[{i}]: {exc.detail}") from exc
        created = [self.orders.create(order_in) for order_in in orders]
        return {
            "locations": [{"id": k, "name": v} for k, v in self.locations.items()],
            "items": seeded,
            "customers": [{"id": str(cu.id), "externalId": cu.external_id} for cu in made],
            "accounts": sorted(self.journal.accounts),
            "sales_orders": len(created),
        }

    def state(self) -> dict[str, Any]:
        """Ground truth for the checkers (money as decimal strings, times as ``*_ts`` floats)."""
        orders = sorted(self.orders.by_id.values(), key=lambda so: so.id)
        return {
            "sales_orders": [order_state(so) for so in orders],
            "items": [item_state(item) for item in self.items.values() if item.stocked],
            "non_inventory_items": [i.sku for i in self.items.values() if not i.stocked],
            "customers": [customer_state(cu) for cu in self.customers.by_id.values()],
            "duplicate_customers": self.customers.duplicate_count(),
            "duplicate_customer_groups": [
                [str(i) for i in group] for group in self.customers.duplicate_groups()
            ],
            "item_fulfillments": [fulfilment_state(f) for f in self.fulfilments.by_id.values()],
            "credit_memos": [credit_memo_state(m) for m in self.credit_memos.by_id.values()],
            "journal_entries": [journal_state(je) for je in self.journal.by_id.values()],
            "maintenance": self.maintenance.state(),
            "stats": self.stats(),
        }

    def stats(self) -> dict[str, Any]:
        """Call counters, concurrency governance, record counters and simulated latency."""
        s = self._stats
        return {
            "calls": s.calls,
            "rejected_concurrency": self.limiter.rejected,
            "rejected_maintenance": self.maintenance.rejected,
            "max_in_flight": self.limiter.max_in_flight,
            "in_flight": self.limiter.in_flight,
            "concurrency_limit": self.limiter.limit,
            "by_status": dict(sorted(s.by_status.items())),
            "by_record": dict(sorted(s.by_record.items())),
            "sales_orders": len(self.orders.by_id),
            "upserts": {"created": self.orders.created, "updated": self.orders.updated},
            "order_edits": {
                "applied": self.orders.edits,
                "rejected": self.orders.edit_rejections,
                "cancelled": self.orders.cancelled,
                "closed": self.orders.closed,
            },
            "customers": len(self.customers),
            "fulfillments": {
                "created": self.fulfilments.created,
                "rejected": self.fulfilments.rejected,
                "shipped_units": self.fulfilments.shipped_units,
            },
            "credit_memos": {
                "created": self.credit_memos.created,
                "repeated": self.credit_memos.repeated,
                "rejected": self.credit_memos.rejected,
                "amount": fmt(self.credit_memos.amount),
                "restocked_units": self.credit_memos.restocked_units,
            },
            "journal_entries": {
                "created": self.journal.created,
                "updated": self.journal.updated,
                "rejected": self.journal.rejected,
            },
            "suiteql": {"queries": s.suiteql_queries, "rejected": s.suiteql_rejected},
            "latency": {
                kind: {
                    "count": t.count,
                    "total_seconds": t.total_seconds,
                    "max_seconds": t.max_seconds,
                }
                for kind, t in s.latency.items()
            },
        }

    # ------------------------------------------------------------------ governance
    def draw_latency(self, kind: RequestKind, *, in_flight: int = 0) -> float:
        """Simulated seconds one request takes: lognormal around the median, capped.

        The median grows with load: x (1 + ``latency_load_factor`` x others / limit), where
        ``others`` are the requests in flight besides this one (``in_flight`` counts it).
        """
        s = self.settings
        if kind == "write":
            median, sigma, cap = s.write_latency_median, s.write_latency_sigma, s.write_latency_max
        else:
            median, sigma, cap = s.read_latency_median, s.read_latency_sigma, s.read_latency_max
        if median <= 0:
            return 0.0
        if kind == "write" or s.latency_load_reads:
            others = max(0, in_flight - 1)
            median *= 1 + s.latency_load_factor * others / self.limiter.limit
        return min(self._latency_rng.lognormvariate(math.log(median), sigma), cap)

    def record_call(
        self, status: int, kind: RequestKind, latency: float | None, record: str = "other"
    ) -> None:
        """Count one /services/rest/ response (rejected ones too, with ``latency=None``)."""
        self._stats.calls += 1
        self._stats.by_status[str(status)] += 1
        self._stats.by_record[record] += 1
        if latency is not None:
            self._stats.latency[kind].add(latency)

    def record_suiteql(self, *, ok: bool) -> None:
        """Count one SuiteQL query."""
        self._stats.suiteql_queries += 1
        if not ok:
            self._stats.suiteql_rejected += 1

    # ------------------------------------------------------------------ compatibility
    def upsert_sales_order(self, external_id: str, body: Any) -> tuple[SalesOrder, bool]:
        """PUT salesOrder/eid:{externalId} (see ``orders.SalesOrderBook.upsert``)."""
        return self.orders.upsert(external_id, body)

    def get_sales_order(self, ref: str) -> SalesOrder:
        """A sales order by ``eid:{externalId}`` or by internal id."""
        return self.orders.get(ref)

    def sales_order_record(self, order: SalesOrder) -> dict[str, Any]:
        """The record as ``GET salesOrder`` returns it."""
        return sales_order_record(order, self.locations)

    def query_inventory(self, query: InventoryQuery) -> InventoryPage:
        """Items matching the lastModifiedDate filter, oldest change first, one page."""
        return self.inventory.query(query)

    def stock_movement(self, body: Any) -> dict[str, Any]:
        """Stock received or sold elsewhere (``/_sim/stock-movement``)."""
        return self.inventory.stock_movement(body)
