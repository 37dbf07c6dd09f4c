"""Journal entries (PLATFORMS.md 5.3 ``journalEntry``): payouts, fees and adjustments.

- ``PUT journalEntry/eid:{externalId}`` upserts (a repeat replaces the lines, so a retried
  post never books twice); ``POST journalEntry`` creates (a taken externalId is
  ``DUP_RCRD``*); GET by id or ``eid:``.
- Lines (the ``line`` sublist) name an account of the chart (``account.id``; the default
  chart is in ``constants.DEFAULT_ACCOUNTS``, more via ``/_mock/seed`` ``accounts``*) and a
  debit or a credit as a decimal string. Debits must equal credits exactly: otherwise a 400
  with both totals and the difference, and nothing is stored.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from mocks.common.money import fmt
from mocks.erp.errors import (
    DuplicateRecord,
    InvalidContent,
    UserError,
)
from mocks.erp.records import NumberSeries, find_record, iso_ms
from mocks.erp.schemas_tx import JournalInput, parse_journal
from simclock import Clock


@dataclass(frozen=True, kw_only=True)
class JournalLine:
    """One posting: an account and either a debit or a credit."""

    line: int
    account: str
    debit: Decimal | None
    credit: Decimal | None
    memo: str | None


@dataclass(kw_only=True)
class JournalEntry:
    """A balanced journal entry."""

    id: int
    tran_id: str
    external_id: str | None
    tran_date: str
    memo: str | None
    currency: str
    lines: tuple[JournalLine, ...]
    created_ts: float
    last_modified_ts: float

    @property
    def total(self) -> Decimal:
        """Sum of the debits (which equals the sum of the credits)."""
        return sum((ln.debit or Decimal(0) for ln in self.lines), Decimal(0))


class JournalBook:
    """The account's chart of accounts and journal entries."""

    def __init__(
        self, *, clock: Clock, numbers: NumberSeries, accounts: dict[str, str], currency: str
    ) -> None:
        self.clock = clock
        self.numbers = numbers
        self.accounts = accounts
        """Account id -> name."""
        self.currency = currency
        self.by_id: dict[int, JournalEntry] = {}
        self.by_external_id: dict[str, JournalEntry] = {}
        self.created = 0
        self.updated = 0
        self.rejected = 0

    def get(self, ref: str) -> JournalEntry:
        """A journal entry by internal id or ``eid:{externalId}``."""
        return find_record(ref, self.by_id, self.by_external_id)

    def upsert(self, external_id: str, body: Any) -> tuple[JournalEntry, bool]:
        """Create, or replace date, memo and lines of the entry with this externalId."""
        data = self._checked(body, url_external_id=external_id)
        existing = self.by_external_id.get(external_id)
        if existing is None:
            return self._create(data), True
        existing.lines = self._lines(data)
        existing.memo = data.memo if data.memo is not None else existing.memo
        existing.tran_date = data.tran_date or existing.tran_date
        existing.currency = data.currency or existing.currency
        existing.last_modified_ts = self.clock.now()
        self.updated += 1
        return existing, False

    def create(self, body: Any) -> JournalEntry:
        """``POST journalEntry``."""
        data = self._checked(body, url_external_id=None)
        if data.external_id is not None and data.external_id in self.by_external_id:
            self.rejected += 1
            taken = self.by_external_id[data.external_id]
            raise DuplicateRecord(
                f"A journalEntry with externalId {data.external_id!r} already exists (internal "
                f"id {taken.id}); use PUT journalEntry/eid:{data.external_id} to update it."
            )
        return self._create(data)

    def _checked(self, body: Any, *, url_external_id: str | None) -> JournalInput:
        try:
            data = parse_journal(body, url_external_id=url_external_id)
            self._validate(data)
        except (InvalidContent, UserError):
            self.rejected += 1
            raise
        return data

    def _validate(self, data: JournalInput) -> None:
        for i, line in enumerate(data.lines):
            if line.account not in self.accounts:
                raise UserError(
                    f"Invalid Field Value {line.account} for the following field: account "
                    f"(line.items[{i}].account)",
                    **{"o:errorPath": f"line.items[{i}].account"},
                )
        debits = sum((ln.debit or Decimal(0) for ln in data.lines), Decimal(0))
        credits = sum((ln.credit or Decimal(0) for ln in data.lines), Decimal(0))
        if debits != credits:
            raise UserError(
                f"The journal entry is out of balance: debits total {fmt(debits)} and credits "
                f"total {fmt(credits)} (difference {fmt(abs(debits - credits))}). Total debits "
                "must equal total credits."
            )

    @staticmethod
    def _lines(data: JournalInput) -> tuple[JournalLine, ...]:
        return tuple(
            JournalLine(
                line=number,
                account=ln.account,
                debit=ln.debit,
                credit=ln.credit,
                memo=ln.memo,
            )
            for number, ln in enumerate(data.lines, start=1)
        )

    def _create(self, data: JournalInput) -> JournalEntry:
        now = self.clock.now()
        entry_id, tran_id = self.numbers.next("JE")
        entry = JournalEntry(
            id=entry_id,
            tran_id=tran_id,
            external_id=data.external_id,
            tran_date=data.tran_date or datetime.fromtimestamp(now, tz=UTC).date().isoformat(),
            memo=data.memo,
            currency=data.currency or self.currency,
            lines=self._lines(data),
            created_ts=now,
            last_modified_ts=now,
        )
        self.by_id[entry_id] = entry
        if data.external_id is not None:
            self.by_external_id[data.external_id] = entry
        self.created += 1
        return entry

    def record(self, entry: JournalEntry) -> dict[str, Any]:
        """The record as ``GET journalEntry/{id}`` returns it."""
        return {
            "id": str(entry.id),
            "tranId": entry.tran_id,
            "externalId": entry.external_id,
            "tranDate": entry.tran_date,
            "memo": entry.memo,
            "currency": {"refName": entry.currency},
            "approved": True,
            "createdDate": iso_ms(math.floor(entry.created_ts * 1000)),
            "lastModifiedDate": iso_ms(math.floor(entry.last_modified_ts * 1000)),
            "line": {
                "items": [
                    {
                        "line": ln.line,
                        "account": {"id": ln.account, "refName": self.accounts[ln.account]},
                        **({"debit": fmt(ln.debit)} if ln.debit is not None else {}),
                        **({"credit": fmt(ln.credit)} if ln.credit is not None else {}),
                        "memo": ln.memo,
                    }
                    for ln in entry.lines
                ],
                "totalResults": len(entry.lines),
            },
        }


def journal_state(entry: JournalEntry) -> dict[str, Any]:
    """A journal entry as ``/_mock/state`` reports it."""
    return {
        "id": str(entry.id),
        "tranId": entry.tran_id,
        "externalId": entry.external_id,
        "tran_date": entry.tran_date,
        "memo": entry.memo,
        "currency": entry.currency,
        "created_ts": entry.created_ts,
        "total": fmt(entry.total),
        "lines": [
            {
                "account": ln.account,
                "debit": fmt(ln.debit) if ln.debit is not None else None,
                "credit": fmt(ln.credit) if ln.credit is not None else None,
                "memo": ln.memo,
            }
            for ln in entry.lines
        ],
    }
