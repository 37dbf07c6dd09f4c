"""The SuiteQL tables: the model's records as rows, named and typed as NetSuite's analytics
data source names them (``transaction``, ``transactionline``, ``customer``, ``item``, ...).

A table is built only when a query names it. Money columns are TEXT holding the exact
decimal string with a ``DECIMAL`` collation, so ``foreigntotal >= 100``, ``ORDER BY`` and
``MIN``/``MAX`` compare as decimals without a float ever holding the amount. Modelling
choices*: quantities are positive on every line (NetSuite signs some of them by
transaction type); ``tranDate`` and timestamps are ISO strings; the views ``salesorder``,
``itemfulfillment``, ``creditmemo`` and ``journalentry`` are ``transaction`` filtered by type
(a convenience, not NetSuite tables); a sales order's header ``taxtotal``, ``discounttotal``
and ``shippingcost`` and the integration's custom body field ``custbody_rh_channel_created``
(the channel's creation time, ISO text) are columns of ``transaction``, so reconciliation can
count and sum sales orders per window of channel time in one query.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol

from mocks.common import money
from mocks.erp.credit_memos import CreditMemoBook
from mocks.erp.customers import CustomerBook
from mocks.erp.fulfilment import FulfilmentBook
from mocks.erp.inventory import Inventory
from mocks.erp.journal import JournalBook
from mocks.erp.orders import SalesOrderBook
from mocks.erp.records import iso_ms

MONEY = "TEXT COLLATE DECIMAL"
Row = tuple[Any, ...]


class Ledger(Protocol):
    """What the tables are built from (the ERP model offers all of it)."""

    inventory: Inventory
    customers: CustomerBook
    orders: SalesOrderBook
    fulfilments: FulfilmentBook
    credit_memos: CreditMemoBook
    journal: JournalBook


@dataclass(frozen=True)
class Table:
    """Column declarations and a row source."""

    columns: tuple[tuple[str, str], ...]
    rows: Callable[[Ledger], Iterable[Row]]


# Every query rebuilds its tables, so the same timestamps and amounts are formatted again and
# again (100k sales orders take seconds): both formatters are pure, and cached.
CACHED_VALUES = 1 << 18


@functools.lru_cache(maxsize=CACHED_VALUES)
def _ts(seconds: float) -> str:
    return iso_ms(math.floor(seconds * 1000))


@functools.lru_cache(maxsize=CACHED_VALUES)
def _fmt(value: Decimal, signed: bool) -> str:
    return money.fmt(value)


def fmt(value: Decimal) -> str:
    """``money.fmt``, cached; keyed on the sign too, since ``-0 == 0`` but prints ``-0.00``."""
    return _fmt(value, value.is_signed())


def _tf(value: bool) -> str:
    return "T" if value else "F"


# fmt: off
# One row per line keeps each tuple readable against its column list.
def _transactions(ledger: Ledger) -> Iterator[Row]:
    for so in ledger.orders.by_id.values():
        yield (
            so.id, so.tran_id, "SalesOrd", so.status, so.tran_date, so.external_id,
            so.customer.id, _ts(so.created_ts), _ts(so.last_modified_ts), so.currency,
            fmt(so.total), so.memo, None, so.location_id, so.other_ref_num, so.channel,
            so.channel_order_id, None, None, None, fmt(so.tax_total), fmt(so.discount_total),
            fmt(so.shipping_cost), so.channel_created,
        )
    for f in ledger.fulfilments.by_id.values():
        yield (
            f.id, f.tran_id, "ItemShip", f.ship_status, f.tran_date, f.external_id,
            f.order.customer.id, _ts(f.created_ts), _ts(f.last_modified_ts), f.order.currency,
            None, f.memo, f.order.id, f.order.location_id, None, None, None, f.ship_method,
            f.ship_carrier, ",".join(f.tracking_numbers) or None, None, None, None, None,
        )
    for m in ledger.credit_memos.by_id.values():
        yield (
            m.id, m.tran_id, "CustCred", "A", m.tran_date, m.external_id, m.order.customer.id,
            _ts(m.created_ts), _ts(m.last_modified_ts), m.order.currency, fmt(m.total), m.memo,
            m.order.id, m.order.location_id, None, None, None, None, None, None, None, None,
            None, None,
        )
    for je in ledger.journal.by_id.values():
        yield (
            je.id, je.tran_id, "Journal", "B", je.tran_date, je.external_id, None,
            _ts(je.created_ts), _ts(je.last_modified_ts), je.currency, fmt(je.total), je.memo,
            None, None, None, None, None, None, None, None, None, None, None, None,
        )


def _transaction_lines(ledger: Ledger) -> Iterator[Row]:
    for so in ledger.orders.by_id.values():
        closed = _tf(so.status in ("C", "H"))
        for ln in so.lines:
            yield (
                so.id, ln.line, ln.item_id, ln.quantity, fmt(ln.rate), fmt(ln.amount),
                so.location_id, ln.committed, ln.backordered, ln.fulfilled, closed, None,
            )
    for f in ledger.fulfilments.by_id.values():
        for fl in f.lines:
            yield (
                f.id, fl.order_line, fl.item_id, fl.quantity, None, None, f.order.location_id,
                None, None, None, "F", None,
            )
    for m in ledger.credit_memos.by_id.values():
        for cl in m.lines:
            yield (
                m.id, cl.order_line, cl.item_id, cl.quantity, None, fmt(cl.amount),
                m.order.location_id, None, None, None, "F", _tf(cl.restock),
            )


# fmt: on


def _accounting_lines(ledger: Ledger) -> Iterator[Row]:
    for je in ledger.journal.by_id.values():
        for ln in je.lines:
            yield (
                je.id,
                ln.line,
                ln.account,
                fmt(ln.debit) if ln.debit is not None else None,
                fmt(ln.credit) if ln.credit is not None else None,
                ln.memo,
            )


# fmt: off
def _customers(ledger: Ledger) -> Iterator[Row]:
    for cu in ledger.customers.by_id.values():
        yield (
            cu.id, cu.entity_id, cu.external_id, cu.email, cu.phone, cu.first_name,
            cu.last_name, cu.company_name, _tf(cu.is_person), _ts(cu.created_ts),
            _ts(cu.last_modified_ts),
        )


# fmt: on


def _items(ledger: Ledger) -> Iterator[Row]:
    for item in ledger.inventory.items.values():
        yield (item.id, item.sku, item.sku, item.name, "InvtPart", iso_ms(item.last_modified_ms))


def _item_locations(ledger: Ledger) -> Iterator[Row]:
    for item in ledger.inventory.items.values():
        for loc_id, lv in item.levels.items():
            yield (item.id, loc_id, lv.on_hand, lv.available, lv.committed, lv.backordered)


# fmt: off
TABLES: dict[str, Table] = {
    "transaction": Table(
        (
            ("id", "INTEGER"), ("tranid", "TEXT"), ("type", "TEXT"), ("status", "TEXT"),
            ("trandate", "TEXT"), ("externalid", "TEXT"), ("entity", "INTEGER"),
            ("createddate", "TEXT"), ("lastmodifieddate", "TEXT"), ("currency", "TEXT"),
            ("foreigntotal", MONEY), ("memo", "TEXT"), ("createdfrom", "INTEGER"),
            ("location", "TEXT"), ("otherrefnum", "TEXT"), ("custbody_rh_channel", "TEXT"),
            ("custbody_rh_channel_order_id", "TEXT"), ("shipmethod", "TEXT"),
            ("shipcarrier", "TEXT"), ("trackingnumbers", "TEXT"), ("taxtotal", MONEY),
            ("discounttotal", MONEY), ("shippingcost", MONEY),
            ("custbody_rh_channel_created", "TEXT"),
        ),
        _transactions,
    ),
    "transactionline": Table(
        (
            ("transaction", "INTEGER"), ("linesequencenumber", "INTEGER"), ("item", "INTEGER"),
            ("quantity", "INTEGER"), ("rate", MONEY), ("netamount", MONEY), ("location", "TEXT"),
            ("quantitycommitted", "INTEGER"), ("quantitybackordered", "INTEGER"),
            ("quantityshiprecv", "INTEGER"), ("isclosed", "TEXT"), ("custcol_rh_restock", "TEXT"),
        ),
        _transaction_lines,
    ),
    "transactionaccountingline": Table(
        (
            ("transaction", "INTEGER"),
            ("transactionline", "INTEGER"),
            ("account", "TEXT"),
            ("debit", MONEY),
            ("credit", MONEY),
            ("memo", "TEXT"),
        ),
        _accounting_lines,
    ),
    "customer": Table(
        (
            ("id", "INTEGER"), ("entityid", "TEXT"), ("externalid", "TEXT"), ("email", "TEXT"),
            ("phone", "TEXT"), ("firstname", "TEXT"), ("lastname", "TEXT"),
            ("companyname", "TEXT"), ("isperson", "TEXT"), ("datecreated", "TEXT"),
            ("lastmodifieddate", "TEXT"),
        ),
        _customers,
    ),
    "item": Table(
        (
            ("id", "INTEGER"),
            ("itemid", "TEXT"),
            ("externalid", "TEXT"),
            ("displayname", "TEXT"),
            ("itemtype", "TEXT"),
            ("lastmodifieddate", "TEXT"),
        ),
        _items,
    ),
    "inventoryitemlocations": Table(
        (
            ("item", "INTEGER"),
            ("location", "TEXT"),
            ("quantityonhand", "INTEGER"),
            ("quantityavailable", "INTEGER"),
            ("quantitycommitted", "INTEGER"),
            ("quantitybackordered", "INTEGER"),
        ),
        _item_locations,
    ),
    "location": Table(
        (("id", "TEXT"), ("name", "TEXT")),
        lambda ledger: ledger.inventory.locations.items(),
    ),
    "account": Table(
        (("id", "TEXT"), ("acctnumber", "TEXT"), ("fullname", "TEXT")),
        lambda ledger: ((k, k, v) for k, v in ledger.journal.accounts.items()),
    ),
}
# fmt: on
VIEWS: dict[str, str] = {
    "salesorder": "SalesOrd",
    "itemfulfillment": "ItemShip",
    "creditmemo": "CustCred",
    "journalentry": "Journal",
}
"""* Views over ``transaction`` by type."""
