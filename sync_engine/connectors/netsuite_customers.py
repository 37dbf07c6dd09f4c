"""Customer matching before a sales order is written: look up, else create by external id.

NetSuite lets any number of customers share an e-mail or a phone, so an integration that
names the customer only by its own key makes one customer per channel (the same shopper on
Shopify and SHOPLINE becomes two). Before the upsert, the connector therefore asks
``GET customer?q=…`` and uses the internal id it finds; only when nothing matches does it
create the customer with ``PUT customer/eid:{customer key}``, which is idempotent: a retry,
or two engines racing on the same new shopper, land on the one record.

The lookup is one call, whatever the key:
- ``email:…``: ``email IS "<email>"`` (the record API compares text case-insensitively), or a
  customer with no e-mail whose phone is the buyer's (``phone IS "…" AND email EMPTY``), so a
  shopper first known by phone is not duplicated when they come back with an e-mail, while
  someone else sharing that phone (and having their own e-mail) is never merged in.
- ``phone:…``: ``phone IS`` the number as the channel gave it, its normalised form
  (``+15550100000``), its digits only (``15550100000``) and, for longer numbers, the last ten
  digits (``5550100000``). The API matches the stored text *exactly*, so a customer stored as
  ``(555) 010-0000`` is found only through the channel's own spelling: those misses become
  duplicates the mock's ``/_mock/state`` counts (``duplicate_customers``).
- ``guest:…``: never looked up; one customer per guest order (strangers share placeholder
  e-mails), created by its key, so a retried guest order still makes one.
Several matches: the lowest internal id (the oldest record) wins, the same one every time.

Found ids are kept in a bounded in-memory LRU (per process): a repeat buyer costs no lookup.
Nothing depends on it for correctness.
"""

from __future__ import annotations

import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from sync_engine.connectors.http import json_exact
from sync_engine.connectors.netsuite_orders import record_path
from sync_engine.mapping.customers import normalise_phone
from sync_engine.mapping.order_map import BackOfficeOrder

CACHE_SIZE = 10_000
"""Customer keys remembered per process (least recently used dropped first)."""
MIN_PHONE_DIGITS = 7
"""The record API refuses a phone with fewer digits (such a number is left off the record)."""
NATIONAL_DIGITS = 10
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")

Call = Callable[..., Awaitable[httpx.Response]]
"""The connector's ``_call(method, url, *, kind, params=None, body=None)``."""


def _quoted(value: str) -> str | None:
    """A query value in double quotes; None for text the query syntax cannot carry."""
    if "\\" in value or not value.strip():
        return None
    return '"' + value.replace('"', '\\"') + '"'


def phone_forms(*phones: str | None) -> list[str]:
    """The spellings a stored phone may match: as given, normalised, digits, national."""
    forms: list[str] = []
    for phone in phones:
        if not phone:
            continue
        digits = re.sub(r"\D", "", phone)
        national = digits[-NATIONAL_DIGITS:] if len(digits) > NATIONAL_DIGITS else None
        for form in (phone.strip(), normalise_phone(phone), digits, national):
            if form and form not in forms:
                forms.append(form)
    return forms


def lookup_query(order: BackOfficeOrder) -> str | None:
    """The ``q`` that finds this order's customer, or None (guests: always a new one)."""
    kind, _, value = order.customer_key.partition(":")
    clauses: list[str] = []
    if kind == "email":
        if (email := _quoted(value)) is not None:
            clauses.append(f"email IS {email}")
        if normalise_phone(order.customer.phone):
            for form in phone_forms(order.customer.phone):
                if (phone := _quoted(form)) is not None:
                    clauses.append(f"phone IS {phone} AND email EMPTY")
    elif kind == "phone":
        for form in phone_forms(order.customer.phone, value):
            if (phone := _quoted(form)) is not None:
                clauses.append(f"phone IS {phone}")
    return " OR ".join(clauses) or None


def customer_body(order: BackOfficeOrder) -> dict[str, Any]:
    """A new customer from the order's buyer; fields the record API would refuse are left
    off (an order is not held over a malformed e-mail or a short phone number)."""
    buyer = order.customer
    body: dict[str, Any] = {"isPerson": True}
    email = (buyer.email or "").strip()
    if _EMAIL.match(email):
        body["email"] = email
    phone = (buyer.phone or "").strip()
    if len(re.sub(r"\D", "", phone)) >= MIN_PHONE_DIGITS:
        body["phone"] = phone
    if buyer.first_name:
        body["firstName"] = buyer.first_name
    if buyer.last_name:
        body["lastName"] = buyer.last_name
    return body


def location_id(response: httpx.Response) -> str | None:
    """The internal id at the end of a write's ``Location`` header."""
    location = response.headers.get("Location", "")
    tail = location.rstrip("/").rsplit("/", 1)[-1]
    return tail if tail.isdigit() else None


class CustomerMatcher:
    """Finds or creates the customer of each order; counts what it did."""

    def __init__(self, call: Call, *, capacity: int = CACHE_SIZE) -> None:
        self._call = call
        self.capacity = capacity
        self._cache: OrderedDict[str, str] = OrderedDict()
        self.cache_hits = 0
        self.matched = 0
        """Orders whose customer was found by a lookup."""
        self.created = 0
        """Creating ``PUT customer/eid:`` calls (a retry after a lost answer repeats one)."""

    def _remember(self, key: str, customer_id: str) -> str:
        self._cache[key] = customer_id
        self._cache.move_to_end(key)
        while len(self._cache) > self.capacity:
            self._cache.popitem(last=False)
        return customer_id

    async def customer_id(self, order: BackOfficeOrder) -> str:
        """The internal id of the order's customer, created if no one matches."""
        key = order.customer_key
        cached = self._cache.get(key)
        if cached is not None:
            self._cache.move_to_end(key)
            self.cache_hits += 1
            return cached
        q = lookup_query(order)
        if q is not None:
            response = await self._call(
                "GET", "customer", kind="customer.lookup", params={"q": q, "limit": 1}
            )
            items = json_exact(response).get("items") or []
            if items:
                self.matched += 1
                return self._remember(key, str(items[0]["id"]))
        path = record_path("customer", key)
        response = await self._call("PUT", path, kind="customer.upsert", body=customer_body(order))
        self.created += 1
        found = location_id(response)
        if found is None:  # no Location: read the record the upsert named
            record = json_exact(await self._call("GET", path, kind="customer.get"))
            found = str(record["id"])
        return self._remember(key, found)

    def stats(self) -> dict[str, int]:
        return {
            "matched": self.matched,
            "created": self.created,
            "cache_hits": self.cache_hits,
            "cached": len(self._cache),
        }
