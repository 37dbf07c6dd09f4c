"""Webhook signature checks, one per scheme, all compared in constant time."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac


def b64_hmac_sha256(secret: bytes, body: bytes) -> str:
    """Shopify's and SHOPLINE's scheme: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret, body, hashlib.sha256).digest()).decode()


def hex_hmac_sha256(secret: bytes, body: bytes) -> str:
    """Shopware's ``shopware-shop-signature``: hex HMAC-SHA256 over the raw body."""
    return hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify(expected: str, header: str | None) -> bool:
    """Constant-time comparison; a missing header never verifies."""
    return header is not None and hmac.compare_digest(expected.encode(), header.strip().encode())


def fulfil_key(secret: str) -> bytes:
    """Fulfil signs with the base64-decoded secret (PLATFORMS.md 4.4); a secret that is not
    base64 is used as it is."""
    try:
        return base64.b64decode(secret, validate=True)
    except (binascii.Error, ValueError):
        return secret.encode()
