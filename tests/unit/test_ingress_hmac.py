from __future__ import annotations

import base64
import hashlib
import hmac

from sync_engine.connectors.webhook_sig import (
    b64_hmac_sha256,
    fulfil_key,
    hex_hmac_sha256,
    verify,
)


def test_signature_matches_shopify_definition() -> None:
    body = b'{"id": 1}'
    expected = base64.b64encode(hmac.new(b"secret", body, hashlib.sha256).digest()).decode()
    assert b64_hmac_sha256(b"secret", body) == expected
    assert verify(b64_hmac_sha256(b"secret", body), expected)


def test_wrong_secret_tampered_body_or_missing_header_fail() -> None:
    body = b'{"id": 1}'
    good = b64_hmac_sha256(b"secret", body)
    assert not verify(b64_hmac_sha256(b"other", body), good)
    assert not verify(b64_hmac_sha256(b"secret", b'{"id": 2}'), good)
    assert not verify(good, None)
    assert not verify(good, "")


def test_shopware_signs_hex_and_fulfil_keys_with_the_decoded_secret() -> None:
    body = b'{"data":{}}'
    assert hex_hmac_sha256(b"s", body) == hmac.new(b"s", body, hashlib.sha256).hexdigest()
    assert fulfil_key(base64.b64encode(b"raw key").decode()) == b"raw key"
    assert fulfil_key("not base64!") == b"not base64!"
