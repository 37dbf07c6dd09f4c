"""The writable entity store and its undo log (plain Python, no HTTP).

:class:`Catalog` holds products (with their case-insensitive productNumber index, as MySQL
compares it), customers and taxes; a :class:`UnitOfWork` records the previous state of every
record a transaction touches, so a failed transaction (a sync with fail-on-error) is rolled back
completely. :class:`WriteResult` is one written record as webhooks and the sync answer report it.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass

from mocks.shopware.records import Customer, Product, Tax


@dataclass(frozen=True, kw_only=True)
class WriteResult:
    """One written record, as webhooks and the sync response report it."""

    entity: str
    id: str
    operation: str
    """``insert``, ``update`` or ``delete``."""
    fields: tuple[str, ...]
    """Wire names of the fields written (empty for a delete)."""


class Catalog:
    """The writable entities: products (with their productNumber index), customers, taxes."""

    def __init__(self) -> None:
        self.products: dict[str, Product] = {}
        self.by_number: dict[str, str] = {}
        self.customers: dict[str, Customer] = {}
        self.taxes: dict[str, Tax] = {}
        self.customer_numbers = 10000

    def product_by_number(self, number: str) -> Product | None:
        """The product with ``number`` (case-insensitive)."""
        pid = self.by_number.get(number.casefold())
        return self.products.get(pid) if pid else None

    def next_customer_number(self) -> str:
        """Shopware's customer number range starts at 10000."""
        value = self.customer_numbers
        self.customer_numbers += 1
        return str(value)


class UnitOfWork:
    """Undo log of one transaction over a :class:`Catalog`."""

    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._undo: list[Callable[[], None]] = []

    def remember_product(self, pid: str) -> None:
        """Save the product's current state (or its absence) before a change."""
        cat, prev = self.catalog, self.catalog.products.get(pid)
        saved = dataclasses.replace(prev) if prev is not None else None

        def undo() -> None:
            current = cat.products.pop(pid, None)
            if current is not None:
                cat.by_number.pop(current.product_number.casefold(), None)
            if saved is not None:
                cat.products[pid] = saved
                cat.by_number[saved.product_number.casefold()] = pid

        self._undo.append(undo)

    def remember_customer(self, cid: str) -> None:
        """Save the customer's current state (or its absence) before a change."""
        cat, prev = self.catalog, self.catalog.customers.get(cid)
        saved = dataclasses.replace(prev) if prev is not None else None

        def undo() -> None:
            cat.customers.pop(cid, None)
            if saved is not None:
                cat.customers[cid] = saved

        self._undo.append(undo)

    def rollback(self) -> None:
        """Restore everything this unit changed, newest change first."""
        while self._undo:
            self._undo.pop()()
