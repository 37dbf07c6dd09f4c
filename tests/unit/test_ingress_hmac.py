from __future__ import annotations

import base64
import hashlib
import hmac

from sync_engine.ingress import shopify_signature, verify_shopify


def test_signature_matches_shopify_definition() -> None:
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    assert shopify_signature("secret", body) == expected
    assert verify_shopify("secret", body, expected)


def test_wrong_secret_tampered_body_or_missing_header_fail() -> None:
    body = b'{"id": 1}'
    good = shopify_signature("secret", body)
    assert not verify_shopify("other", body, good)
    assert not verify_shopify("secret", b'{"id": 2}', good)
    assert not verify_shopify("secret", body, None)
    assert not verify_shopify("secret", body, "")
