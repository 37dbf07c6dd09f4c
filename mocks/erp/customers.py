"""Customer records (PLATFORMS.md 5.3 ``customer``): upsert by externalId, create, lookup.

What integrations trip over, modelled on purpose:
- NetSuite does **not** stop two customers from sharing an e-mail or a phone number; an
  integration that looks up before it creates, and races or misses, makes duplicates. The
  ground truth (``/_mock/state``) groups customers by normalised e-mail (trimmed, lower case)
  or phone (its last ten digits*) and counts the extras as ``duplicate_customers``.
- ``GET customer?q=email IS "a@b.c"`` matches text case-insensitively but *exactly*:*
  ``phone IS "+1 555 010 0000"`` does not find ``(555) 010-0000``, which is how
  differently formatted numbers turn into duplicate customers.
- A sales order naming an unknown ``entity.externalId`` creates the customer (the connector
  sends the shopper's e-mail there); its ``email`` is that externalId when it looks like one.*
- Collection queries return ids and links only, as NetSuite's do; GET each record for fields.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mocks.erp.errors import DuplicateRecord, InvalidParameter, UserError
from mocks.erp.records import Customer, find_record, iso_ms
from mocks.erp.schemas_tx import CustomerInput, normalise_email, normalise_phone, parse_customer
from simclock import Clock, parse_iso_utc

TEXT_FIELDS = {
    "email": "email",
    "phone": "phone",
    "externalId": "external_id",
    "entityId": "entity_id",
    "firstName": "first_name",
    "lastName": "last_name",
    "companyName": "company_name",
}
DATE_FIELDS = {"dateCreated": "created_ts", "lastModifiedDate": "last_modified_ts"}
TEXT_OPS = ("IS_NOT", "IS", "CONTAIN", "START_WITH", "EMPTY_NOT", "EMPTY")
DATE_OPS = ("ON_OR_AFTER", "AFTER", "ON_OR_BEFORE", "BEFORE")
_CONDITION = re.compile(
    r"\s*(\w+)\s+(" + "|".join((*TEXT_OPS, *DATE_OPS)) + r')\b(?:\s+"((?:[^"\\]|\\.)*)")?\s*'
)
_JOIN = re.compile(r"(AND|OR)\b")
Predicate = Callable[[Customer], bool]


@dataclass(frozen=True, kw_only=True)
class CustomerPage:
    """One page of a customer query: internal ids only, as NetSuite's collections give."""

    ids: list[int]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        """Whether rows remain after this page."""
        return self.offset + len(self.ids) < self.total


def _condition(field: str, op: str, value: str | None, q: str) -> Predicate:
    def refuse(why: str) -> InvalidParameter:
        return InvalidParameter(
            f"Invalid value for the query parameter q: {q!r}. {why}", **{"o:errorQueryParam": "q"}
        )

    if field in TEXT_FIELDS:
        attr = TEXT_FIELDS[field]
        if op not in TEXT_OPS:
            raise refuse(f"Operator {op} does not apply to the text field {field}.")
        if op in ("EMPTY", "EMPTY_NOT"):
            empty = op == "EMPTY"
            return lambda cu: (not getattr(cu, attr)) == empty
        if value is None:
            raise refuse(f'Operator {op} needs a quoted value, e.g. {field} {op} "x".')
        wanted = value.lower()
        tests: dict[str, Callable[[str], bool]] = {
            "IS": lambda v: v == wanted,
            "IS_NOT": lambda v: v != wanted,
            "CONTAIN": lambda v: wanted in v,
            "START_WITH": lambda v: v.startswith(wanted),
        }
        test = tests[op]
        return lambda cu: test((getattr(cu, attr) or "").lower())
    if field in DATE_FIELDS:
        attr = DATE_FIELDS[field]
        if op not in DATE_OPS or value is None:
            raise refuse(f'Date fields take {", ".join(DATE_OPS)} "<ISO-8601>".')
        try:
            ms = round(parse_iso_utc(value) * 1000)
        except ValueError:
            raise refuse(f"{value!r} is not an ISO-8601 date-time.") from None
        compare: dict[str, Callable[[int], bool]] = {
            "ON_OR_AFTER": lambda v: v >= ms,
            "AFTER": lambda v: v > ms,
            "ON_OR_BEFORE": lambda v: v <= ms,
            "BEFORE": lambda v: v < ms,
        }
        check = compare[op]
        return lambda cu: check(math.floor(getattr(cu, attr) * 1000))
    known = ", ".join([*TEXT_FIELDS, *DATE_FIELDS])
    raise refuse(f"Unknown field {field}; queryable fields: {known}.")


def parse_customer_query(q: str) -> Predicate:
    """``field OP "value"`` conditions joined by AND / OR (AND binds tighter)."""
    groups: list[list[Predicate]] = [[]]
    pos = 0
    while True:
        match = _CONDITION.match(q, pos)
        if match is None:
            raise InvalidParameter(
                f"Invalid value for the query parameter q: {q!r}. Expected conditions such as "
                'email IS "a@example.com" joined by AND or OR.',
                **{"o:errorQueryParam": "q"},
            )
        field, op, raw = match.groups()
        value = raw.replace('\\"', '"') if raw is not None else None
        groups[-1].append(_condition(field, op, value, q))
        pos = match.end()
        if pos >= len(q):
            break
        join = _JOIN.match(q, pos)
        if join is None:
            raise InvalidParameter(
                f"Invalid value for the query parameter q: {q!r}. Unexpected text at "
                f"{q[pos:]!r}; join conditions with AND or OR.",
                **{"o:errorQueryParam": "q"},
            )
        if join.group(1) == "OR":
            groups.append([])
        pos = join.end()
    return lambda cu: any(all(test(cu) for test in group) for group in groups)


class CustomerBook:
    """The account's customers."""

    def __init__(self, *, clock: Clock, first_id: int) -> None:
        self.clock = clock
        self.by_id: dict[int, Customer] = {}
        self.by_external_id: dict[str, Customer] = {}
        self._next_id = first_id
        self.created = 0
        self.updated = 0

    def __len__(self) -> int:
        return len(self.by_id)

    def _new(self, external_id: str | None) -> Customer:
        now = self.clock.now()
        customer = Customer(
            id=self._next_id,
            external_id=external_id,
            created_ts=now,
            last_modified_ts=now,
            entity_id=f"CUST{self._next_id}",
        )
        self._next_id += 1
        self.by_id[customer.id] = customer
        if external_id is not None:
            self.by_external_id[external_id] = customer
        self.created += 1
        return customer

    def _apply(self, customer: Customer, data: CustomerInput) -> None:
        for attr in ("entity_id", "email", "phone", "first_name", "last_name", "company_name"):
            value = getattr(data, attr)
            if value is not None:
                setattr(customer, attr, value)
        if data.is_person is not None:
            customer.is_person = data.is_person
        customer.last_modified_ts = self.clock.now()

    def upsert(self, external_id: str, body: Any) -> tuple[Customer, bool]:
        """``PUT customer/eid:{externalId}``: create, or update the fields given."""
        data = parse_customer(body, url_external_id=external_id)
        existing = self.by_external_id.get(external_id)
        if existing is not None:
            self._apply(existing, data)
            self.updated += 1
            return existing, False
        customer = self._new(external_id)
        self._apply(customer, data)
        return customer, True

    def create(self, body: Any) -> Customer:
        """``POST customer``: always a new record; a taken externalId is refused."""
        data = parse_customer(body)
        if data.external_id is not None and data.external_id in self.by_external_id:
            taken = self.by_external_id[data.external_id]
            raise DuplicateRecord(
                f"A customer with externalId {data.external_id!r} already exists (internal id "
                f"{taken.id}); use PUT customer/eid:{data.external_id} to update it."
            )
        customer = self._new(data.external_id)
        self._apply(customer, data)
        return customer

    def seed(self, data: CustomerInput) -> Customer:
        """A seeded customer: upserted by externalId when it has one, else always new."""
        existing = self.by_external_id.get(data.external_id) if data.external_id else None
        customer = existing or self._new(data.external_id)
        self._apply(customer, data)
        return customer

    def get(self, ref: str) -> Customer:
        """A customer by internal id or ``eid:{externalId}``."""
        return find_record(ref, self.by_id, self.by_external_id)

    def for_order(self, *, customer_id: str | None, external_id: str | None) -> Customer:
        """The sales order's entity: an existing id, or an externalId (created if new)."""
        if customer_id is not None:
            found = self.by_id.get(int(customer_id)) if customer_id.isdecimal() else None
            if found is None:
                raise UserError(
                    f"Invalid Field Value {customer_id} for the following field: entity"
                )
            return found
        assert external_id is not None
        customer = self.by_external_id.get(external_id)
        if customer is None:
            customer = self._new(external_id)
            if "@" in external_id:
                customer.email = external_id
        return customer

    def check_order_entity(self, *, customer_id: str | None) -> None:
        """Refuse an unknown ``entity.id`` before anything else changes."""
        if customer_id is not None:
            self.for_order(customer_id=customer_id, external_id=None)

    def query(self, q: str | None, *, limit: int, offset: int) -> CustomerPage:
        """Customers matching ``q``, by internal id ascending, one page."""
        test = parse_customer_query(q) if q and q.strip() else None
        matching = [cu.id for cu in self.by_id.values() if test is None or test(cu)]
        matching.sort()
        return CustomerPage(
            ids=matching[offset : offset + limit], total=len(matching), offset=offset, limit=limit
        )

    def duplicate_groups(self) -> list[list[int]]:
        """Customers linked by a shared normalised e-mail or phone, groups of two or more."""
        parent = {cu.id: cu.id for cu in self.by_id.values()}

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        first_seen: dict[tuple[str, str], int] = {}
        for cu in self.by_id.values():
            keys = []
            if cu.email:
                keys.append(("email", normalise_email(cu.email)))
            if cu.phone and normalise_phone(cu.phone):
                keys.append(("phone", normalise_phone(cu.phone)))
            for key in keys:
                other = first_seen.setdefault(key, cu.id)
                parent[root(cu.id)] = root(other)
        groups: dict[int, list[int]] = {}
        for cid in parent:
            groups.setdefault(root(cid), []).append(cid)
        return sorted(sorted(g) for g in groups.values() if len(g) > 1)

    def duplicate_count(self) -> int:
        """Customers beyond the first of each duplicate group."""
        return sum(len(g) - 1 for g in self.duplicate_groups())


def customer_record(cu: Customer) -> dict[str, Any]:
    """The record as ``GET customer/{id}`` returns it."""
    return {
        "id": str(cu.id),
        "externalId": cu.external_id,
        "entityId": cu.entity_id,
        "isPerson": cu.is_person,
        "firstName": cu.first_name,
        "lastName": cu.last_name,
        "companyName": cu.company_name,
        "email": cu.email,
        "phone": cu.phone,
        "dateCreated": iso_ms(math.floor(cu.created_ts * 1000)),
        "lastModifiedDate": iso_ms(math.floor(cu.last_modified_ts * 1000)),
    }


def customer_state(cu: Customer) -> dict[str, Any]:
    """A customer as ``/_mock/state`` reports it."""
    return {
        "id": str(cu.id),
        "externalId": cu.external_id,
        "entityId": cu.entity_id,
        "email": cu.email,
        "phone": cu.phone,
        "email_normalised": normalise_email(cu.email) if cu.email else None,
        "phone_normalised": normalise_phone(cu.phone) if cu.phone else None,
        "first_name": cu.first_name,
        "last_name": cu.last_name,
        "company_name": cu.company_name,
        "created_ts": cu.created_ts,
        "last_modified_ts": cu.last_modified_ts,
    }
