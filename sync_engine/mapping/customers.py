"""The key a back office matches customers on: e-mail, then phone; guests never merge.

A guest checkout is one distinct customer per order (the seeds' guest failure: an integration
that matched guests by e-mail merged strangers sharing a shop's placeholder address). A
registered buyer is matched by normalised e-mail, else normalised phone, so the same person
ordering on two channels is one customer, never two (the seeds' duplicate-customer failure).
"""

from __future__ import annotations

import re

from sync_engine.model import Customer


def normalise_email(email: str | None) -> str | None:
    if not email or "@" not in email:
        return None
    return email.strip().lower()


def normalise_phone(phone: str | None) -> str | None:
    """Digits with a leading ``+`` kept; ``None`` for fewer than 6 digits."""
    if not phone:
        return None
    digits = re.sub(r"\D", "", phone)
    if len(digits) < 6:
        return None
    return ("+" if phone.strip().startswith("+") else "") + digits


def customer_key(customer: Customer, *, channel: str, order_id: str) -> str:
    """``email:…``, ``phone:…`` or ``guest:{channel}-{order_id}``."""
    if not customer.guest:
        email = normalise_email(customer.email)
        if email:
            return f"email:{email}"
        phone = normalise_phone(customer.phone)
        if phone:
            return f"phone:{phone}"
    return f"guest:{channel}-{order_id}"
