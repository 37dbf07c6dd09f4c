"""Customers, identified by e-mail and/or mobile number (plain Python, no HTTP).

A checkout or seed names a customer by ``email``, ``phone`` or both. Matching is by normalised
e-mail first (case-insensitive), then by normalised mobile number (``+`` and digits only); on a
match a missing identifier is filled in unless another customer already holds it; with no
match a new customer is created.
"""

from __future__ import annotations

from typing import Any

from mocks.shopify.pagination import Page, paginate
from mocks.shopline.errors import NotFound
from mocks.shopline.records import Customer
from mocks.shopline.resources import customer_resource
from mocks.shopline.schemas import ListRequest, normalise_email, normalise_phone, parse_id


class CustomerBook:
    """The store's customers with lookup by e-mail or mobile number."""

    def __init__(self) -> None:
        self.customers: dict[int, Customer] = {}
        self.created = 0
        """Customers created since the last reset (seeded ones included)."""

    def find(self, *, email: str | None, phone: str | None) -> Customer | None:
        """The customer with this (already normalised) e-mail, else this mobile number."""
        if email is not None:
            hit = next((cu for cu in self.customers.values() if cu.email == email), None)
            if hit is not None:
                return hit
        if phone is not None:
            return next((cu for cu in self.customers.values() if cu.phone == phone), None)
        return None

    def find_or_create(
        self, *, email: str | None, phone: str | None, new_id: int, now: float
    ) -> Customer:
        """Match or create; ``new_id`` is used only when a customer is created."""
        email = normalise_email(email) if email else None
        phone = normalise_phone(phone) if phone else None
        customer = self.find(email=email, phone=phone)
        if customer is None:
            customer = Customer(id=new_id, email=email, phone=phone, created_ts=now, updated_ts=now)
            self.customers[customer.id] = customer
            self.created += 1
            return customer
        if customer.email is None and email and self.find(email=email, phone=None) is None:
            customer.email, customer.updated_ts = email, now
        if customer.phone is None and phone and self.find(email=None, phone=phone) is None:
            customer.phone, customer.updated_ts = phone, now
        return customer

    def list(self, req: ListRequest) -> Page[dict[str, Any]]:
        """``GET customers.json?email=|phone=|since_id=`` by id ascending."""
        email, phone = req.filters.get("email"), req.filters.get("phone")
        since = req.filters.get("since_id")
        since_id = parse_id(since, "since_id") if since else None
        matching = [
            cu
            for cu in self.customers.values()
            if (not email or cu.email == normalise_email(email))
            and (not phone or cu.phone == normalise_phone(phone))
            and (since_id is None or cu.id > since_id)
        ]
        page = paginate(
            matching,
            lambda cu: (cu.id,),
            resource="customers",
            limit=req.limit,
            cursor=req.cursor,
            filters=req.filters,
        )
        items = [customer_resource(cu) for cu in page.items]
        return Page(items=items, next_cursor=page.next_cursor, prev_cursor=page.prev_cursor)

    def get(self, customer_id: str) -> dict[str, Any]:
        """``GET customers/{id}.json``."""
        customer = self.customers.get(int(customer_id)) if customer_id.isdecimal() else None
        if customer is None:
            raise NotFound("customer")
        return customer_resource(customer)
